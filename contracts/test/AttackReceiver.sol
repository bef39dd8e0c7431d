// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Address} from "@openzeppelin/contracts/utils/Address.sol";

/// @title AttackReceiver
/// @notice Test only: a contract account that acts through `execute` and, when it receives ether,
/// either re-enters a target with stored calldata (once, recording how that call ended) or refuses
/// the ether outright.
contract AttackReceiver {
    /// @notice Ether was refused.
    error Rejected();

    address public target;
    bytes public payload;
    bool public attacked;
    bool public reentrySucceeded;
    bytes public reentryRevertData;
    bool public rejecting;

    /// @notice On the next ether received, call `target_` with `payload_` first (once).
    function arm(address target_, bytes calldata payload_) external {
        target = target_;
        payload = payload_;
        attacked = false;
    }

    /// @notice Refuse (true) or accept (false) every ether transfer.
    function setRejecting(bool value) external {
        rejecting = value;
    }

    /// @notice Call `to` with `data` and the attached value, as this contract; reverts bubble up.
    function execute(address to, bytes calldata data) external payable returns (bytes memory) {
        return Address.functionCallWithValue(to, data, msg.value);
    }

    // the attack is the point of this receiver
    // solhint-disable-next-line no-complex-fallback
    receive() external payable {
        if (rejecting) revert Rejected();
        if (target != address(0) && !attacked) {
            attacked = true;
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory data) = target.call(payload);
            reentrySucceeded = ok;
            reentryRevertData = data;
        }
    }
}
