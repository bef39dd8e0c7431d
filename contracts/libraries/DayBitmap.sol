// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title DayBitmap
/// @notice One bit per local day, 256 days per storage word: membership, and rolling 30-day caps in
/// at most two storage reads.
library DayBitmap {
    /// @notice Whether `day` is set.
    function get(mapping(uint256 => uint256) storage map, uint32 day) internal view returns (bool) {
        return (map[day >> 8] >> (day & 0xff)) & 1 == 1;
    }

    /// @notice Set `day`.
    function set(mapping(uint256 => uint256) storage map, uint32 day) internal {
        map[day >> 8] |= 1 << (day & 0xff);
    }

    /// @notice Clear `day`.
    function unset(mapping(uint256 => uint256) storage map, uint32 day) internal {
        map[day >> 8] &= ~(1 << (day & 0xff));
    }

    /// @notice Days in a rolling cap's window (P-4, V-4).
    uint256 internal constant WINDOW_DAYS = 30;

    /// @notice Whether some window of WINDOW_DAYS consecutive days that contains `day` already holds
    /// `cap` or more set days, `day` itself not set: a true rolling cap, whatever the order in which
    /// the days were set (trust layer, attack f09). The 59 days around `day` span at most two words;
    /// when they hold fewer than `cap` set days no window can (one popcount), else the 30 windows are
    /// slid one day at a time.
    function rollingCapReached(
        mapping(uint256 => uint256) storage map,
        uint32 day,
        uint256 cap
    ) internal view returns (bool) {
        return capReached(around(map, day), cap);
    }

    /// @notice The 59 days around `day` (`day - 29` .. `day + 29`) as the low bits of one word: bit i is
    /// day `day - 29 + i`, so bit WINDOW_DAYS - 1 is `day` itself. Two such words of different maps
    /// combine bit by bit (a consumer's days masked by its region's event days, V-4).
    function around(mapping(uint256 => uint256) storage map, uint32 day) internal view returns (uint256) {
        return _segment(map, uint256(day) - (WINDOW_DAYS - 1)); // checked: days are far above 29
    }

    /// @notice `rollingCapReached` on the 59 days `seg` holds (as `around` returns them), its middle day
    /// not counted: when they hold fewer than `cap` set days no window can (one popcount), else the 30
    /// windows are slid one day at a time.
    function capReached(uint256 seg, uint256 cap) internal pure returns (bool) {
        seg &= ~(uint256(1) << (WINDOW_DAYS - 1));
        if (popcount(seg) < cap) return false;
        unchecked {
            uint256 c = popcount(seg & ((uint256(1) << WINDOW_DAYS) - 1)); // days lo .. day
            for (uint256 k = 0; k < WINDOW_DAYS - 1; ++k) {
                if (c >= cap) return true;
                // the next window gains day lo + k + 30 and loses day lo + k (which it counted)
                c = c + ((seg >> (k + WINDOW_DAYS)) & 1) - ((seg >> k) & 1);
            }
            return c >= cap; // the last window: day .. day + 29
        }
    }

    /// @notice Number of set bits (SWAR popcount, constant gas).
    function popcount(uint256 x) internal pure returns (uint256 c) {
        unchecked {
            // each step sums neighbouring fields; no field can overflow its width
            x = x - ((x >> 1) & 0x5555555555555555555555555555555555555555555555555555555555555555);
            x =
                (x & 0x3333333333333333333333333333333333333333333333333333333333333333) +
                ((x >> 2) & 0x3333333333333333333333333333333333333333333333333333333333333333);
            x = (x + (x >> 4)) & 0x0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f0f;
            // byte sums are <= 8; multiplying by 0x0101.. accumulates them into the top byte (<= 256 fits 9 bits)
            c = (x * 0x0101010101010101010101010101010101010101010101010101010101010101) >> 248;
            // the top byte wraps at 256 only if every bit is set
            if (c == 0 && x != 0) c = 256;
        }
    }

    /// @dev Days `lo` .. `lo + 2 * WINDOW_DAYS - 2` as the low bits of one word (from one or two words).
    function _segment(mapping(uint256 => uint256) storage map, uint256 lo) private view returns (uint256 seg) {
        uint256 offset = lo & 0xff;
        seg = map[lo >> 8] >> offset;
        if (offset > 256 - (2 * WINDOW_DAYS - 1)) seg |= map[(lo >> 8) + 1] << (256 - offset);
        seg &= (uint256(1) << (2 * WINDOW_DAYS - 1)) - 1;
    }
}
