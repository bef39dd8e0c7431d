// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title BlocklistToken
/// @notice Test-only 6-decimal token whose transfers to blocked accounts revert (like USDC's
/// blocklist), to exercise the escrow's pull fallback (E-5).
contract BlocklistToken is ERC20 {
    /// @notice A transfer to a blocked account.
    error Blocked(address account);

    mapping(address account => bool) public blocked;

    constructor() ERC20("Blocklist USD", "bUSD") {}

    /// @notice Anyone mints (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Block or unblock an account.
    function setBlocked(address account, bool value) external {
        blocked[account] = value;
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (blocked[to]) revert Blocked(to);
        super._update(from, to, value);
    }
}
