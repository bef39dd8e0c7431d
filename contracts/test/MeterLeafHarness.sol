// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MeterLeaf} from "../libraries/MeterLeaf.sol";

/// @title MeterLeafHarness
/// @notice TEST ONLY: exposes MeterLeaf's record readers for the differential test against the reference.
contract MeterLeafHarness {
    /// @notice MeterLeaf.readIntervals of intervals [first, end) into a day of `n` intervals whose other
    /// intervals hold `fill`.
    function readIntervals(
        bytes calldata record,
        uint256 n,
        uint256 first,
        uint256 end,
        uint32 fill
    ) external pure returns (uint32[] memory r) {
        r = new uint32[](n);
        for (uint256 k = 0; k < n; ++k) r[k] = fill;
        MeterLeaf.readIntervals(record, r, first, end);
    }

    /// @notice The per-interval sums of `records` (`n` intervals each) through MeterLeaf.addToLanes and
    /// unpackLanes, and whether unpacking zeroed the lanes.
    function sumDays(bytes[] calldata records, uint256 n) external pure returns (uint256[] memory sums, bool zeroed) {
        uint256[] memory lanes = new uint256[](n / 4);
        sums = new uint256[](n);
        for (uint256 i = 0; i < records.length; ++i) MeterLeaf.addToLanes(records[i], lanes);
        MeterLeaf.unpackLanes(lanes, sums);
        zeroed = true;
        for (uint256 k = 0; k < lanes.length; ++k) zeroed = zeroed && lanes[k] == 0;
    }

    /// @notice MeterLeaf.readings of a record.
    function readings(bytes calldata record) external pure returns (uint32[] memory) {
        return MeterLeaf.readings(record);
    }
}
