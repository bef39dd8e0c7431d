// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MeterLeaf} from "../libraries/MeterLeaf.sol";

/// @title MeterLeafHarness
/// @notice TEST ONLY: exposes MeterLeaf's record readers for the differential test against the reference.
contract MeterLeafHarness {
    /// @notice MeterLeaf.readHours of hours [first, end) into a day whose other hours hold `fill`.
    function readHours(
        bytes calldata record,
        uint256 first,
        uint256 end,
        uint32 fill
    ) external pure returns (uint32[24] memory r) {
        for (uint256 h = 0; h < 24; ++h) r[h] = fill;
        MeterLeaf.readHours(record, r, first, end);
    }

    /// @notice The per-hour sums of `records` through MeterLeaf.addToLanes and unpackLanes, and whether
    /// unpacking zeroed the lanes.
    function sumDays(bytes[] calldata records) external pure returns (uint256[24] memory sums, bool zeroed) {
        uint256[6] memory lanes;
        for (uint256 i = 0; i < records.length; ++i) MeterLeaf.addToLanes(records[i], lanes);
        MeterLeaf.unpackLanes(lanes, sums);
        zeroed = true;
        for (uint256 k = 0; k < 6; ++k) zeroed = zeroed && lanes[k] == 0;
    }

    /// @notice MeterLeaf.readings of a record.
    function readings(bytes calldata record) external pure returns (uint32[24] memory) {
        return MeterLeaf.readings(record);
    }
}
