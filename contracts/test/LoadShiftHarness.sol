// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Baseline} from "../libraries/Baseline.sol";
import {LoadShift} from "../libraries/LoadShift.sol";

/// @title LoadShiftHarness
/// @notice TEST ONLY: exposes the LoadShift library's internal functions for tests.
contract LoadShiftHarness {
    /// @notice See LoadShift.reboundWindow.
    function reboundWindow(
        uint8 intervalMinutes,
        uint8 startInterval,
        uint8 endInterval,
        uint8 shiftHours,
        bool before
    ) external pure returns (uint8, uint8) {
        return LoadShift.reboundWindow(intervalMinutes, startInterval, endInterval, shiftHours, before);
    }

    /// @notice See LoadShift.compute.
    function compute(
        uint32[][] calldata baselineDays,
        uint32[] calldata eventDay,
        Baseline.Params calldata p,
        LoadShift.Terms calldata t
    ) external pure returns (Baseline.Result memory, LoadShift.Result memory) {
        return LoadShift.compute(baselineDays, eventDay, p, t);
    }

    /// @notice See LoadShift.isNeutral.
    function isNeutral(uint256 reductionWh, uint256 reboundWh, uint16 neutralityBps) external pure returns (bool) {
        return LoadShift.isNeutral(reductionWh, reboundWh, neutralityBps);
    }
}
