// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {DayBitmap} from "../libraries/DayBitmap.sol";
import {LocalTime} from "../libraries/LocalTime.sol";
import {MeterLeaf} from "../libraries/MeterLeaf.sol";

/// @title MeterData
/// @notice Commits consumer-day meter records as Merkle roots; the records stay in calldata
/// (SPECIFICATION.md §6, M-1..M-9). It is also the EIP-712 domain that meters sign their days in, and
/// checks those signatures when signed records are posted, by anyone (M-7).
contract MeterData is IMeterData, AccessControl, EIP712 {
    using DayBitmap for mapping(uint256 => uint256);

    /// @notice Meter oracles post unsigned batches (signed ones need no role, M-7).
    bytes32 public constant METER_ORACLE_ROLE = keccak256("METER_ORACLE_ROLE");
    /// @notice Most records per batch (the per-transaction gas cap allows about this many).
    uint256 public constant MAX_BATCH_RECORDS = 8_192;
    /// @notice A region-day can be declared final this long after it ended (M-9).
    uint256 public constant FINALITY_DELAY = 2 days;
    uint256 private constant _WORD_MASK = 0xffffff; // a posted-bit key's word: consumer id >> 8 (24 bits)
    /// @notice The EIP-712 type a meter signs (M-7): one consumer-day, header and readings (MeterLeaf's).
    bytes32 public constant METER_DAY_TYPEHASH = MeterLeaf.METER_DAY_TYPEHASH;

    IRegionRegistry private immutable _regions;
    IConsumerRegistry private immutable _consumers;

    mapping(uint16 regionId => mapping(uint32 day => DayInfo)) private _days;
    mapping(uint16 regionId => mapping(uint256 word => uint256 bits)) private _present;
    mapping(uint256 key => bytes32 root) private _roots;
    /// @dev One bit per consumer-day posted (M-4, M-8): bit `id % 256` of word `_postedKey(region, day, id / 256)`.
    mapping(uint256 key => uint256 bits) private _posted;
    /// @dev Per region: 1 + the last final day (M-9); 0 while none is. Days below it take no more records.
    mapping(uint16 regionId => uint32 dayPlusOne) private _finalThrough;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param regions The shared region registry.
    /// @param consumers The consumer registry, which holds the meter keys that sign records (C-11).
    constructor(
        address admin,
        IRegionRegistry regions,
        IConsumerRegistry consumers
    ) EIP712("GridBalance MeterData", "1") {
        _regions = regions;
        _consumers = consumers;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IMeterData
    function postBatch(
        uint16 regionId,
        uint32 day,
        bytes calldata records
    ) external onlyRole(METER_ORACLE_ROLE) returns (uint16) {
        (uint256 shape, , uint256 stride) = _checkBatch(regionId, day, records, 0);
        return _post(regionId, day, records, stride, shape);
    }

    /// @inheritdoc IMeterData
    function postSignedBatch(uint16 regionId, uint32 day, bytes calldata records) external returns (uint16) {
        (uint256 shape, uint256 readingsLength, uint256 stride) = _checkBatch(
            regionId,
            day,
            records,
            MeterLeaf.SIGNATURE_BYTES
        );
        _checkSignatures(day, records, stride, readingsLength, shape);
        return _post(regionId, day, records, stride, shape);
    }

    /// @inheritdoc IMeterData
    function meterDayDigest(bytes calldata record) public view returns (bytes32) {
        uint256 head = MeterLeaf.headAt(record, 0);
        uint256 rb = MeterLeaf.readingBytes(uint8(head >> 96));
        if (rb == 0) revert RecordShapeUnsupported(0, uint8(head >> 104), uint8(head >> 96), uint8(head >> 88));
        if (record.length < MeterLeaf.HEADER_BYTES + rb) revert InvalidRecordLength(record.length);
        return MeterLeaf.digest(record, rb, _domainSeparatorV4());
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
    ) external view returns (bool counted, uint32[] memory readings) {
        counted = _checkQueryHeader(q, record);
        bytes32 root = _roots[_key(q.regionId, q.day, q.batchIndex)];
        if (
            root == bytes32(0) || !MerkleProof.verifyCalldata(proof, root, MeterLeaf.leafAt(record, 0, record.length))
        ) {
            revert InvalidMeterProof(q.day, q.batchIndex);
        }
        // a signed record's signature was checked when it was posted (M-7)
        if (counted && q.signedOnly) {
            counted =
                record.length ==
                MeterLeaf.HEADER_BYTES + MeterLeaf.readingBytes(q.intervalMinutes) + MeterLeaf.SIGNATURE_BYTES;
        }
        if (counted) readings = MeterLeaf.readings(record);
    }

    /// @inheritdoc IMeterData
    function recordSigner(bytes calldata signedRecord) public view returns (address) {
        return MeterLeaf.signer(signedRecord, _domainSeparatorV4());
    }

    /// @dev Commit one checked batch of `stride`-byte records of `shape` (M-1..M-5, M-8).
    function _post(
        uint16 regionId,
        uint32 day,
        bytes calldata records,
        uint256 stride,
        uint256 shape
    ) private returns (uint16 batchIndex) {
        // every record's shape, region and day (M-2, M-3), as MeterLeaf.headAt reads them
        (bytes32[] memory leaves, uint32 first, uint32 last) = _hashRecords(
            _channelKey(regionId, day, uint8(shape), 0),
            (((((shape << 48) | regionId) << 32) | day) << 8),
            records,
            stride
        );
        bytes32 root = MeterLeaf.root(leaves);
        batchIndex = _commit(regionId, day, root, leaves.length, last);
        emit MeterBatchPosted(regionId, day, batchIndex, root, uint32(leaves.length), first, last);
    }

    /// @dev Store a batch's root under its index; the day's counters and data-present bit.
    function _commit(
        uint16 regionId,
        uint32 day,
        bytes32 root,
        uint256 n,
        uint32 last
    ) private returns (uint16 batchIndex) {
        DayInfo storage info = _days[regionId][day];
        batchIndex = info.batchCount;
        _roots[_key(regionId, day, batchIndex)] = root;
        info.batchCount = batchIndex + 1;
        if (last > info.lastConsumerId) info.lastConsumerId = last;
        info.consumerDays += uint32(n);
        if (batchIndex == 0) _present[regionId].set(day);
    }

    /// @inheritdoc IMeterData
    function finalize(uint16 regionId, uint32 day) external {
        if (!_regions.regionExists(regionId)) revert UnknownMeterRegion(regionId);
        uint256 finalFrom = LocalTime.dayStart(_regions.region(regionId).utcOffsetMinutes, day + 1) + FINALITY_DELAY;
        if (block.timestamp < finalFrom) revert FinalityNotReached(regionId, day, finalFrom);
        if (day < _finalThrough[regionId]) revert DayFinal(regionId, day);
        _finalThrough[regionId] = day + 1;
        emit DaysFinalized(regionId, day);
    }

    /// @inheritdoc IMeterData
    function isFinal(uint16 regionId, uint32 day) public view returns (bool) {
        return day < _finalThrough[regionId];
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
        return _present[regionId].get(day) && isFinal(regionId, day);
    }

    /// @inheritdoc IMeterData
    function dataWord(uint16 regionId, uint256 word) external view returns (uint256) {
        return _present[regionId][word];
    }

    /// @inheritdoc IMeterData
    function recordPosted(uint16 regionId, uint32 day, uint32 consumerId) external view returns (bool) {
        return (_posted[_postedKey(regionId, day, consumerId >> 8)] >> (consumerId & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IMeterData
    function channelRecordPosted(
        uint16 regionId,
        uint32 day,
        uint8 channel,
        uint32 consumerId
    ) external view returns (bool) {
        return (_posted[_channelKey(regionId, day, channel, consumerId >> 8)] >> (consumerId & 0xff)) & 1 == 1;
    }

    /// @inheritdoc IMeterData
    function postedWords(
        uint16 regionId,
        uint32[] calldata dayList,
        uint256 word,
        uint8 channel
    ) external view returns (uint256[] memory words) {
        uint256 n = dayList.length;
        if (n > 256) revert TooManyDays(n);
        words = new uint256[](n);
        for (uint256 i; i < n; ++i) words[i] = _posted[_channelKey(regionId, dayList[i], channel, word)];
    }

    /// @dev The batch's shape (its first record's: version 1, the region's interval, a known channel, M-2,
    /// R-7), the byte length of a record's readings and of a record (`signatureBytes` more if signed);
    /// the region exists, the batch is a whole number of 1..MAX_BATCH_RECORDS records of that length
    /// (M-5) and the day has ended and is not final (M-1, M-9).
    function _checkBatch(
        uint16 regionId,
        uint32 day,
        bytes calldata records,
        uint256 signatureBytes
    ) private view returns (uint256 shape, uint256 readingsLength, uint256 stride) {
        uint256 len = records.length;
        if (!_regions.regionExists(regionId)) revert UnknownMeterRegion(regionId);
        IRegionRegistry.RegionParams memory p = _regions.region(regionId);
        if (len != 0) {
            shape = MeterLeaf.headAt(records, 0) >> 88;
            uint8 channel = uint8(shape);
            uint256 versionAndInterval = (uint256(MeterLeaf.FORMAT_VERSION) << 8) | p.intervalMinutes;
            if ((shape >> 8) != versionAndInterval || channel > MeterLeaf.CHANNEL_EXPORT) {
                revert RecordShapeUnsupported(0, uint8(shape >> 16), uint8(shape >> 8), channel);
            }
        }
        readingsLength = MeterLeaf.readingBytes(p.intervalMinutes);
        stride = MeterLeaf.HEADER_BYTES + readingsLength + signatureBytes;
        uint256 n = len / stride;
        if (n == 0 || n > MAX_BATCH_RECORDS || len % stride != 0) revert InvalidBatchLength(len);
        uint256 endsAt = LocalTime.dayStart(p.utcOffsetMinutes, day + 1);
        if (block.timestamp < endsAt) revert DayNotEnded(regionId, day, endsAt);
        if (isFinal(regionId, day)) revert DayFinal(regionId, day);
    }

    /// @dev Every signed `stride`-byte record has the batch's `shape` and carries the signature of its
    /// consumer's meter key for `day` (M-7, C-11): one registry read for the batch, one recovery per record.
    function _checkSignatures(
        uint32 day,
        bytes calldata records,
        uint256 stride,
        uint256 readingsLength,
        uint256 shape
    ) private view {
        uint256 n = records.length / stride;
        uint32[] memory ids = new uint32[](n);
        for (uint256 i; i < n; ++i) {
            uint256 head = MeterLeaf.headAt(records, i * stride);
            // before the signature: a record of another shape gets its own error, not a signature's
            if (head >> 88 != shape) _revertShape(i, head);
            ids[i] = uint32(head >> 56);
        }
        address[] memory keys = _consumers.daySigners(day, ids);
        bytes32 domain = _domainSeparatorV4();
        for (uint256 i; i < n; ++i) {
            bytes calldata record = records[i * stride:(i + 1) * stride];
            if (keys[i] == address(0) || MeterLeaf.signerOf(record, readingsLength, domain) != keys[i]) {
                revert RecordNotMeterSigned(i, ids[i]);
            }
        }
    }

    /// @dev Check every record's header (M-2..M-4), mark its consumer-day posted (M-8) and hash it.
    /// Ids strictly increase within the batch, so the posted bits of one 256-id word are gathered and
    /// written once per word. `base`: the posted-bit key of word 0; `batchHead`: the header fields every
    /// record shares (MeterLeaf.BATCH_FIELDS).
    function _hashRecords(
        uint256 base,
        uint256 batchHead,
        bytes calldata records,
        uint256 stride
    ) private returns (bytes32[] memory leaves, uint32 first, uint32 last) {
        leaves = new bytes32[](records.length / stride);
        uint256 word = type(uint256).max; // the 256-id word being gathered (none yet)
        uint256 bits = 0; // the posted bits gathered for `word`
        for (uint256 i; i < leaves.length; ++i) {
            uint32 id = _checkHeader(MeterLeaf.headAt(records, i * stride), i, batchHead, last);
            if (i == 0) first = id;
            last = id;
            if (id >> 8 != word) {
                if (bits != 0) _markPosted(base | word, bits);
                (word, bits) = (id >> 8, 0);
            }
            bits |= uint256(1) << (id & 0xff);
            leaves[i] = MeterLeaf.leafAt(records, i * stride, stride);
        }
        _markPosted(base | word, bits);
    }

    /// @dev Record `i`'s header `head` (MeterLeaf.headAt) has the batch's shape, region and day
    /// (`batchHead`), known flags and an id above `previous` (M-2..M-4); its consumer id.
    function _checkHeader(
        uint256 head,
        uint256 i,
        uint256 batchHead,
        uint32 previous
    ) private pure returns (uint32 id) {
        // one comparison for shape, region and day: the fields every record of the batch shares
        if ((head & MeterLeaf.BATCH_FIELDS) != batchHead) {
            if ((head ^ batchHead) >> 88 != 0) _revertShape(i, head);
            revert RecordOutOfBatch(i, uint16(head >> 40), uint32(head >> 8));
        }
        uint8 flags = uint8(head);
        if (flags > MeterLeaf.FLAG_MISSING) revert InvalidRecordFlags(i, flags);
        id = uint32(head >> 56);
        if (id <= previous) revert ConsumerIdNotIncreasing(i, id, previous);
    }

    function _revertShape(uint256 i, uint256 head) private pure {
        revert RecordShapeUnsupported(i, uint8(head >> 104), uint8(head >> 96), uint8(head >> 88));
    }

    /// @dev Set a word of posted bits; any already set is a second record of a consumer-day (M-4).
    function _markPosted(uint256 key, uint256 bits) private {
        uint256 old = _posted[key];
        if (old & bits != 0) _revertPosted(key, old & bits);
        _posted[key] = old | bits;
    }

    function _revertPosted(uint256 key, uint256 twice) private pure {
        uint256 bit = 0;
        while ((twice >> bit) & 1 == 0) ++bit;
        uint32 id = uint32(((key & _WORD_MASK) << 8) | bit);
        revert RecordAlreadyPosted(uint16(key >> 56), uint32(key >> 24), id);
    }

    /// @dev The record has the hourly import shape that settlement reads (S-13) and is the query's
    /// consumer, region and day (S-2, S-3); false if flagged missing.
    function _checkQueryHeader(RecordQuery calldata q, bytes calldata record) private pure returns (bool present) {
        (uint24 shape, uint32 id, uint16 regionId, uint32 day, uint8 flags) = MeterLeaf.header(record, 0);
        // the shape first: a record of another interval or channel is refused as such, never misread
        if (shape != (MeterLeaf.importShape(q.intervalMinutes) | q.channel)) {
            revert RecordShapeNotSettleable(uint8(shape >> 16), uint8(shape >> 8), uint8(shape));
        }
        uint256 len = record.length;
        uint256 unsigned = MeterLeaf.HEADER_BYTES + MeterLeaf.readingBytes(q.intervalMinutes);
        if (len != unsigned && len != unsigned + MeterLeaf.SIGNATURE_BYTES) revert InvalidRecordLength(len);
        if (id != q.consumerId) revert LeafConsumerMismatch(q.consumerId, id);
        if (regionId != q.regionId) revert LeafRegionMismatch(q.regionId, regionId);
        if (day != q.day) {
            if (q.baselineDay) revert NotEligibleBaselineDay(q.day, day);
            revert LeafDayMismatch(q.day, day);
        }
        present = flags & MeterLeaf.FLAG_MISSING == 0;
    }

    /// @dev The key of import posted-bit word `word` (consumer ids `256·word ..`) of (region, day).
    function _postedKey(uint16 regionId, uint32 day, uint256 word) private pure returns (uint256) {
        return (uint256(regionId) << 56) | (uint256(day) << 24) | word;
    }

    /// @dev The key of posted-bit word `word` of (region, day) on `channel`: import's is `_postedKey`,
    /// so settlement's reads (import) are unchanged; each channel has its own bits (M-4: one record per
    /// consumer-day and channel).
    function _channelKey(uint16 regionId, uint32 day, uint8 channel, uint256 word) private pure returns (uint256) {
        return (uint256(channel) << 72) | _postedKey(regionId, day, word);
    }

    function _key(uint16 regionId, uint32 day, uint16 batchIndex) private pure returns (uint256) {
        return (uint256(regionId) << 48) | (uint256(day) << 16) | batchIndex;
    }
}
