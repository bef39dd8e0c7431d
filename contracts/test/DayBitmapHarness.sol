// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {DayBitmap} from "../libraries/DayBitmap.sol";

/// @title DayBitmapHarness
/// @notice TEST ONLY: a day bitmap to set, and DayBitmap.rollingCapReached, for the differential test
/// against the reference (oracles/reference/day_bitmap.py).
contract DayBitmapHarness {
    using DayBitmap for mapping(uint256 => uint256);

    mapping(uint256 => uint256) private _days;

    /// @notice Set each of `dayList`.
    function setDays(uint32[] calldata dayList) external {
        for (uint256 i = 0; i < dayList.length; ++i) _days.set(dayList[i]);
    }

    /// @notice DayBitmap.rollingCapReached on the days set so far.
    function rollingCapReached(uint32 day, uint256 cap) external view returns (bool) {
        return _days.rollingCapReached(day, cap);
    }
}
