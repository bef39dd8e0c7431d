// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IMeterData} from "./interfaces/IMeterData.sol";
import {IRegionRegistry} from "./interfaces/IRegionRegistry.sol";
import {DayBitmap} from "./libraries/DayBitmap.sol";
import {LocalTime} from "./libraries/LocalTime.sol";
import {MeterLeaf} from "./libraries/MeterLeaf.sol";

/// @title MeterData
/// @notice Commits consumer-day meter records as Merkle roots; the records stay in calldata
/// (SPECIFICATION.md §6, M-1..M-6).
contract MeterData is IMeterData, AccessControl {
    using DayBitmap for mapping(uint256 => uint256);

    /// @notice Meter oracles post batches.
    bytes32 public constant METER_ORACLE_ROLE = keccak256("METER_ORACLE_ROLE");
    /// @notice Most records per batch (the per-transaction gas cap allows about this many).
    uint256 public constant MAX_BATCH_RECORDS = 8_192;

    IRegionRegistry private immutable _regions;

    mapping(uint16 regionId => mapping(uint32 day => DayInfo)) private _days;
    mapping(uint16 regionId => mapping(uint256 word => uint256 bits)) private _present;
    mapping(uint256 key => bytes32 root) private _roots;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param regions The shared region registry.
    constructor(address admin, IRegionRegistry regions) {
        _regions = regions;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IMeterData
    function postBatch(
        uint16 regionId,
        uint32 day,
        bytes calldata records
    ) external onlyRole(METER_ORACLE_ROLE) returns (uint16 batchIndex) {
        uint256 n = _checkBatch(regionId, day, records.length);
        DayInfo storage info = _days[regionId][day];
        (bytes32[] memory leaves, uint32 first, uint32 last) = _hashRecords(
            regionId,
            day,
            records,
            n,
            info.lastConsumerId
        );
        bytes32 root = MeterLeaf.root(leaves);
        batchIndex = info.batchCount;
        _roots[_key(regionId, day, batchIndex)] = root;
        info.batchCount = batchIndex + 1;
        info.lastConsumerId = last;
        info.consumerDays += uint32(n);
        if (batchIndex == 0) _present[regionId].set(day);
        emit MeterBatchPosted(regionId, day, batchIndex, root, uint32(n), first, last);
    }

    /// @inheritdoc IMeterData
    function batchRoot(uint16 regionId, uint32 day, uint16 batchIndex) external view returns (bytes32) {
        return _roots[_key(regionId, day, batchIndex)];
    }

    /// @inheritdoc IMeterData
    function dayInfo(uint16 regionId, uint32 day) external view returns (DayInfo memory) {
        return _days[regionId][day];
    }

    /// @inheritdoc IMeterData
    function hasData(uint16 regionId, uint32 day) external view returns (bool) {
        return _present[regionId].get(day);
    }

    /// @inheritdoc IMeterData
    function dataWord(uint16 regionId, uint256 word) external view returns (uint256) {
        return _present[regionId][word];
    }

    /// @dev The number of records; the region exists and the day has ended (M-1, M-5).
    function _checkBatch(uint16 regionId, uint32 day, uint256 len) private view returns (uint256 n) {
        n = len / MeterLeaf.RECORD_BYTES;
        if (n == 0 || n > MAX_BATCH_RECORDS || len % MeterLeaf.RECORD_BYTES != 0) revert InvalidBatchLength(len);
        if (!_regions.regionExists(regionId)) revert UnknownMeterRegion(regionId);
        uint256 endsAt = LocalTime.dayStart(_regions.region(regionId).utcOffsetMinutes, day + 1);
        if (block.timestamp < endsAt) revert DayNotEnded(regionId, day, endsAt);
    }

    /// @dev Check every record's header (M-2..M-4) and hash it.
    function _hashRecords(
        uint16 regionId,
        uint32 day,
        bytes calldata records,
        uint256 n,
        uint32 previous
    ) private pure returns (bytes32[] memory leaves, uint32 first, uint32 last) {
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 offset = i * MeterLeaf.RECORD_BYTES;
            (uint32 id, uint16 r, uint32 d, uint8 flags) = MeterLeaf.header(records, offset);
            if (r != regionId || d != day) revert RecordOutOfBatch(i, r, d);
            if (flags > MeterLeaf.FLAG_MISSING) revert InvalidRecordFlags(i, flags);
            if (id <= previous) revert ConsumerIdNotIncreasing(i, id, previous);
            if (i == 0) first = id;
            previous = id;
            leaves[i] = MeterLeaf.leafAt(records, offset);
        }
        last = previous;
    }

    function _key(uint16 regionId, uint32 day, uint16 batchIndex) private pure returns (uint256) {
        return (uint256(regionId) << 48) | (uint256(day) << 16) | batchIndex;
    }
}
