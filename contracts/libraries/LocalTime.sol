// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title LocalTime
/// @notice Local days and hours of a region, from its UTC offset (SPECIFICATION.md R-3, R-4, T-1).
/// @dev Local day `d` of a region with offset `o` minutes starts at UTC `86_400·d − 60·o`. Local hour
/// indices count whole local hours since the local epoch: `h = floor((t + 60·o) / 3_600)`, so hour
/// `h` belongs to local day `h / 24` and is hour `h % 24` of that day.
library LocalTime {
    uint256 internal constant SECONDS_PER_DAY = 86_400;
    uint256 internal constant SECONDS_PER_HOUR = 3_600;
    uint256 internal constant SECONDS_PER_MINUTE = 60;
    uint256 internal constant MINUTES_PER_HOUR = 60;
    uint256 internal constant MINUTES_PER_DAY = 1_440;
    uint256 internal constant HOURS_PER_DAY = 24;

    /// @notice The local day of a timestamp (`t >= 86_400`, so the sum is positive).
    function dayOf(int16 utcOffsetMinutes, uint256 t) internal pure returns (uint32) {
        return uint32(uint256(int256(t) + int256(utcOffsetMinutes) * 60) / SECONDS_PER_DAY);
    }

    /// @notice The local hour index of a timestamp (T-1).
    function hourOf(int16 utcOffsetMinutes, uint256 t) internal pure returns (uint32) {
        return uint32(uint256(int256(t) + int256(utcOffsetMinutes) * 60) / SECONDS_PER_HOUR);
    }

    /// @notice The hour of its local day (0 .. 23) that local hour index `hour` is.
    function hourOfDay(uint32 hour) internal pure returns (uint8) {
        return uint8(hour % HOURS_PER_DAY);
    }

    /// @notice The UTC timestamp at which local hour index `hour` starts (T-1): the inverse of
    /// `hourOf` on whole local hours, so `t` is a whole local hour exactly when
    /// `hourStart(o, hourOf(o, t)) == t`. Callers keep `hour >= 24` (as `dayStart` keeps `day >= 1`).
    function hourStart(int16 utcOffsetMinutes, uint32 hour) internal pure returns (uint256) {
        return uint256(int256(uint256(hour)) * int256(SECONDS_PER_HOUR) - int256(utcOffsetMinutes) * 60);
    }

    /// @notice The UTC timestamp at which local day `day` starts (R-4). Callers keep `day >= 1`
    /// (day 0 east of UTC starts before 1970; RegionRegistry.localDayStart refuses it).
    function dayStart(int16 utcOffsetMinutes, uint32 day) internal pure returns (uint256) {
        return uint256(int256(uint256(day)) * int256(SECONDS_PER_DAY) - int256(utcOffsetMinutes) * 60);
    }

    /// @notice Day of the week, 0 = Monday .. 6 = Sunday (1970-01-01, day 0, was a Thursday).
    function weekday(uint32 day) internal pure returns (uint256) {
        return (uint256(day) + 3) % 7;
    }

    /// @notice Saturday or Sunday.
    function isWeekend(uint32 day) internal pure returns (bool) {
        return weekday(day) >= 5;
    }
}
