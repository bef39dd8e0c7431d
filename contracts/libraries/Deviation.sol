// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Deviation
/// @notice How far a value lies from its reference, whichever side it lies on: a frequency or voltage
/// from its nominal (SPECIFICATION.md G-6, G-7, F-3, F-5), a forecast from the actual load (F-4).
/// OpenZeppelin 5's Math has no unsigned absolute difference.
library Deviation {
    /// @notice `|a − b|`, without underflow.
    function absDiff(uint256 a, uint256 b) internal pure returns (uint256) {
        return a > b ? a - b : b - a;
    }
}
