// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IGridStatus
/// @notice A region's current system state, as measured (not forecast): the source an Emergency-tier
/// event needs (SPECIFICATION.md P-4, P-6, F-9). LoadForecasting implements it today from F-5's grid
/// status; the grid balancing system will implement it from its own measurements.
interface IGridStatus {
    /// @notice A region's system state.
    enum GridLevel {
        Normal, // no stress measured
        Alert, // load High or stability Alert
        Emergency // load Critical or stability Emergency/Critical
    }

    /// @notice The region's current system state; Normal when nothing recent was measured.
    function gridLevel(uint16 regionId) external view returns (GridLevel);
}
