// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {Baseline} from "../libraries/Baseline.sol";

/// @title BaselineHarness
/// @notice TEST ONLY: exposes the Baseline library's internal functions for tests.
contract BaselineHarness {
    /// @notice See Baseline.compute.
    function compute(
        uint32[][] calldata baselineDays,
        uint32[] calldata eventDay,
        Baseline.Params calldata p
    ) external pure returns (Baseline.Result memory) {
        return Baseline.compute(baselineDays, eventDay, p, false);
    }

    /// @notice See Baseline.compute, with baseline days that are gaps (B-9).
    function computeGapped(
        uint32[][] calldata baselineDays,
        uint32[] calldata eventDay,
        Baseline.Params calldata p,
        bool gapped
    ) external pure returns (Baseline.Result memory) {
        return Baseline.compute(baselineDays, eventDay, p, gapped);
    }

    /// @notice See Baseline.computeTenInTen (after Baseline.validate, as its callers do).
    function computeTenInTen(
        uint256[] calldata sums,
        uint256 n,
        uint32[] calldata eventDay,
        Baseline.Params calldata p
    ) external pure returns (Baseline.Result memory) {
        Baseline.validate(p);
        return Baseline.computeTenInTen(sums, n, eventDay, p, false);
    }

    /// @notice See Baseline.adjustmentWindow.
    function adjustmentWindow(Baseline.Params calldata p) external pure returns (uint256, uint256) {
        return Baseline.adjustmentWindow(p);
    }

    /// @notice See Baseline.reward.
    function reward(
        uint256 reductionWh,
        uint256 committedWh,
        uint256 rate,
        uint16 minDeliveryBps,
        uint16 bonusCapBps
    ) external pure returns (uint256) {
        return Baseline.reward(reductionWh, committedWh, rate, minDeliveryBps, bonusCapBps);
    }

    /// @notice See Baseline.maxReward.
    function maxReward(uint256 committedWh, uint256 rate, uint16 bonusCapBps) external pure returns (uint256) {
        return Baseline.maxReward(committedWh, rate, bonusCapBps);
    }
}
