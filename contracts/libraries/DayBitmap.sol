// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title DayBitmap
/// @notice One bit per local day, 256 days per storage word: membership and counts over a window
/// of days in at most two storage reads.
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

    /// @notice Number of set days in the inclusive range [`from`, `to`]; `to - from < 256`, so the
    /// range touches at most two words.
    function count(mapping(uint256 => uint256) storage map, uint32 from, uint32 to) internal view returns (uint256 n) {
        uint256 lo = from;
        uint256 hi = to;
        uint256 wLo = lo >> 8;
        uint256 wHi = hi >> 8;
        if (wLo == wHi) return popcount(_range(map[wLo], lo & 0xff, hi & 0xff));
        n = popcount(_range(map[wLo], lo & 0xff, 255));
        n += popcount(_range(map[wHi], 0, hi & 0xff));
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

    /// @dev Bits lo..hi (inclusive) of `word`.
    function _range(uint256 word, uint256 lo, uint256 hi) private pure returns (uint256) {
        uint256 width = hi - lo + 1;
        uint256 mask = width == 256 ? type(uint256).max : ((uint256(1) << width) - 1) << lo;
        return word & mask;
    }
}
