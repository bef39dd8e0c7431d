// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {DayBitmap} from "../libraries/DayBitmap.sol";
import {LocalTime} from "../libraries/LocalTime.sol";
import {MeterLeaf} from "../libraries/MeterLeaf.sol";

/// @title MeterData
/// @notice Commits consumer-day meter records as Merkle roots; the records stay in calldata
/// (SPECIFICATION.md §6, M-1..M-7). It is also the EIP-712 domain that meters sign their days in (M-7).
contract MeterData is IMeterData, AccessControl, EIP712 {
    using DayBitmap for mapping(uint256 => uint256);

    /// @notice Meter oracles post batches.
    bytes32 public constant METER_ORACLE_ROLE = keccak256("METER_ORACLE_ROLE");
    /// @notice Most records per batch (the per-transaction gas cap allows about this many).
    uint256 public constant MAX_BATCH_RECORDS = 8_192;
    /// @notice The EIP-712 type a meter signs (M-7): one consumer-day of hourly Wh (MeterLeaf's).
    bytes32 public constant METER_DAY_TYPEHASH = MeterLeaf.METER_DAY_TYPEHASH;

    IRegionRegistry private immutable _regions;

    mapping(uint16 regionId => mapping(uint32 day => DayInfo)) private _days;
    mapping(uint16 regionId => mapping(uint256 word => uint256 bits)) private _present;
    mapping(uint256 key => bytes32 root) private _roots;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param regions The shared region registry.
    constructor(address admin, IRegionRegistry regions) EIP712("GridBalance MeterData", "1") {
        _regions = regions;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IMeterData
    function postBatch(
        uint16 regionId,
        uint32 day,
        bytes calldata records
    ) external onlyRole(METER_ORACLE_ROLE) returns (uint16) {
        return _post(regionId, day, records, MeterLeaf.RECORD_BYTES);
    }

    /// @inheritdoc IMeterData
    function postSignedBatch(
        uint16 regionId,
        uint32 day,
        bytes calldata records
    ) external onlyRole(METER_ORACLE_ROLE) returns (uint16) {
        return _post(regionId, day, records, MeterLeaf.SIGNED_RECORD_BYTES);
    }

    /// @inheritdoc IMeterData
    function meterDayDigest(bytes calldata record) public view returns (bytes32) {
        if (record.length < MeterLeaf.RECORD_BYTES) revert InvalidBatchLength(record.length);
        return MeterLeaf.digest(record, _domainSeparatorV4());
    }

    /// @inheritdoc IMeterData
    function domainSeparator() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    /// @inheritdoc IMeterData
    function verifiedReadings(
        RecordQuery calldata q,
        bytes calldata record,
        bytes32[] calldata proof
    ) external view returns (bool counted, uint32[24] memory readings) {
        counted = _checkQueryHeader(q, record);
        bytes32 root = _roots[_key(q.regionId, q.day, q.batchIndex)];
        if (
            root == bytes32(0) || !MerkleProof.verifyCalldata(proof, root, MeterLeaf.leafAt(record, 0, record.length))
        ) {
            revert InvalidMeterProof(q.day, q.batchIndex);
        }
        if (counted && q.signedOnly) counted = q.signer != address(0) && recordSigner(record) == q.signer;
        if (counted) readings = MeterLeaf.readings(record);
    }

    /// @inheritdoc IMeterData
    function recordSigner(bytes calldata signedRecord) public view returns (address) {
        return MeterLeaf.signer(signedRecord, _domainSeparatorV4());
    }

    /// @dev Commit one batch of `stride`-byte records (M-1..M-5, M-7).
    function _post(
        uint16 regionId,
        uint32 day,
        bytes calldata records,
        uint256 stride
    ) private returns (uint16 batchIndex) {
        uint256 n = _checkBatch(regionId, day, records.length, stride);
        DayInfo storage info = _days[regionId][day];
        (bytes32[] memory leaves, uint32 first, uint32 last) = _hashRecords(
            regionId,
            day,
            records,
            stride,
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
    function _checkBatch(uint16 regionId, uint32 day, uint256 len, uint256 stride) private view returns (uint256 n) {
        n = len / stride;
        if (n == 0 || n > MAX_BATCH_RECORDS || len % stride != 0) revert InvalidBatchLength(len);
        if (!_regions.regionExists(regionId)) revert UnknownMeterRegion(regionId);
        uint256 endsAt = LocalTime.dayStart(_regions.region(regionId).utcOffsetMinutes, day + 1);
        if (block.timestamp < endsAt) revert DayNotEnded(regionId, day, endsAt);
    }

    /// @dev Check every record's header (M-2..M-4) and hash it.
    function _hashRecords(
        uint16 regionId,
        uint32 day,
        bytes calldata records,
        uint256 stride,
        uint32 previous
    ) private pure returns (bytes32[] memory leaves, uint32 first, uint32 last) {
        uint256 n = records.length / stride;
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 offset = i * stride;
            (uint32 id, uint16 r, uint32 d, uint8 flags) = MeterLeaf.header(records, offset);
            if (r != regionId || d != day) revert RecordOutOfBatch(i, r, d);
            if (flags > MeterLeaf.FLAG_MISSING) revert InvalidRecordFlags(i, flags);
            if (id <= previous) revert ConsumerIdNotIncreasing(i, id, previous);
            if (i == 0) first = id;
            previous = id;
            leaves[i] = MeterLeaf.leafAt(records, offset, stride);
        }
        last = previous;
    }

    /// @dev The record is the query's consumer, region and day (S-2, S-3); false if flagged missing.
    function _checkQueryHeader(RecordQuery calldata q, bytes calldata record) private pure returns (bool present) {
        uint256 len = record.length;
        if (len != MeterLeaf.RECORD_BYTES && len != MeterLeaf.SIGNED_RECORD_BYTES) revert InvalidRecordLength(len);
        (uint32 id, uint16 regionId, uint32 day, uint8 flags) = MeterLeaf.header(record, 0);
        if (id != q.consumerId) revert LeafConsumerMismatch(q.consumerId, id);
        if (regionId != q.regionId) revert LeafRegionMismatch(q.regionId, regionId);
        if (day != q.day) {
            if (q.baselineDay) revert NotEligibleBaselineDay(q.day, day);
            revert LeafDayMismatch(q.day, day);
        }
        present = flags & MeterLeaf.FLAG_MISSING == 0;
    }

    function _key(uint16 regionId, uint32 day, uint16 batchIndex) private pure returns (uint256) {
        return (uint256(regionId) << 48) | (uint256(day) << 16) | batchIndex;
    }
}
