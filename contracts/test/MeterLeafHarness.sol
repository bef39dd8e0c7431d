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

    /// @notice MeterLeaf.readingsHash of a record.
    function readingsHash(bytes calldata record) external pure returns (bytes32) {
        return MeterLeaf.readingsHash(record);
    }

    /// @notice MeterLeaf.readings of a record.
    function readings(bytes calldata record) external pure returns (uint32[24] memory) {
        return MeterLeaf.readings(record);
    }
}
