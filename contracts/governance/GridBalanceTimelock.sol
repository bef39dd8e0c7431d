// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {TimelockController} from "@openzeppelin/contracts/governance/TimelockController.sol";

/// @title GridBalanceTimelock
/// @notice The admin that scripts/handover.py can deploy: OpenZeppelin's TimelockController,
/// unchanged (SPECIFICATION.md, deployment and handover). It adds no function, so its interface is
/// OpenZeppelin's.
contract GridBalanceTimelock is TimelockController {
    /// @param minDelay Seconds between scheduling and executing an operation.
    /// @param proposers Accounts that schedule (and cancel) operations.
    /// @param executors Accounts that execute ready operations; the zero address lets anyone.
    /// @param admin An optional extra admin (the zero address: the timelock administers itself).
    constructor(
        uint256 minDelay,
        address[] memory proposers,
        address[] memory executors,
        address admin
    ) TimelockController(minDelay, proposers, executors, admin) {}
}
