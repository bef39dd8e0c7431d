// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test only: an ERC-20 whose transfers out of a watched payer first call back into a target
/// with stored calldata (a reentrancy attack through the token), recording how the reentrant call ended.
/// Transfers to a refused account revert (so a payer's push can fail).
contract ReentrantToken is ERC20 {
    /// @notice A transfer to a refused account.
    error Refused(address account);

    mapping(address account => bool) public refused;
    address public watched;
    address public target;
    bytes public payload;
    bool public attacked;
    bool public reentrySucceeded;
    bytes public reentryRevertData;

    constructor() ERC20("Reentrant", "RE") {}

    /// @notice Anyone mints (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice On the next transfer out of `watched_`, call `target_` with `payload_` first (once).
    function arm(address watched_, address target_, bytes calldata payload_) external {
        watched = watched_;
        target = target_;
        payload = payload_;
        attacked = false;
    }

    /// @notice Refuse (true) or accept (false) transfers to `account`.
    function setRefused(address account, bool value) external {
        refused[account] = value;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (refused[to]) revert Refused(to);
        if (from == watched && !attacked && target != address(0)) {
            attacked = true;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory data) = target.call(payload);
            reentrySucceeded = ok;
            reentryRevertData = data;
        }
        super._update(from, to, value);
    }
}
