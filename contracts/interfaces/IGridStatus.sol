// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGridStatus
/// @notice A region's current system state, as measured (not forecast): the source an Emergency-tier
/// event needs (SPECIFICATION.md P-4, F-9, G-12). GridStability implements it from its sub-hourly
/// measurements and system state; LoadForecasting combines that with its hourly load status and serves
/// it to ReductionRequests.
interface IGridStatus {
    /// @notice A region's system level for events.
    enum GridLevel {
        Normal, // no stress measured
        Alert, // load High, stability Alert, or the system state Alert
        Emergency // load Critical, stability Emergency/Critical, or the system state Emergency, Blackout or Restoration
    }

    /// @notice The region's current level; Normal when nothing recent was measured.
    function gridLevel(uint16 regionId) external view returns (GridLevel);

    /// @notice What a new event of the region gets (G-12): the level (an Emergency-tier event needs
    /// Emergency, any other tier needs it not to be), the stress multiplier in bps (F-7: 10_000, 12_500
    /// or 15_000) and the rate cap in bps of the program's base rate (0 = none).
    function eventTerms(uint16 regionId) external view returns (GridLevel level, uint256 stressBps, uint256 rateCapBps);
}
