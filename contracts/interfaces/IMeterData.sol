// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMeterData
/// @notice Meter data committed per (region, local day, batch): readings travel in calldata only;
/// the contract computes and stores each batch's Merkle root (SPECIFICATION.md §6, rules M-1..M-7).
interface IMeterData {
    /// @notice What is known of one (region, day). One slot.
    struct DayInfo {
        uint16 batchCount; // batches posted so far
        uint32 lastConsumerId; // highest consumer id posted so far (M-4)
        uint32 consumerDays; // records posted so far
    }

    /// @notice What settlement asks of one record (S-2, S-3, S-10).
    struct RecordQuery {
        uint16 regionId; // the event's region
        uint8 intervalMinutes; // the region's meter interval (R-7)
        uint8 channel; // the channel the walk reads (0 import; 1 export for a net program, N-1)
        uint32 consumerId; // the settled consumer
        uint32 day; // the day the walk requires
        uint16 batchIndex; // the batch whose root proves the record
        bool baselineDay; // a baseline day (a record of another day is cherry-picking) or the event day
        bool signedOnly; // count the record only if it is a meter-signed record (S-10)
    }

    /// @notice The batch is empty, too large, or not a whole number of records.
    error InvalidBatchLength(uint256 length);
    /// @notice The region does not exist.
    error UnknownMeterRegion(uint16 regionId);
    /// @notice Data for a local day can be posted only after that day has ended (M-1).
    error DayNotEnded(uint16 regionId, uint32 day, uint256 endsAt);
    /// @notice A record's region or day differs from the batch's (M-3).
    error RecordOutOfBatch(uint256 index, uint16 regionId, uint32 day);
    /// @notice Record `index`'s shape (format version, interval minutes, channel) is not one this batch
    /// takes (M-2, R-7): version 1, the region's interval (15, 30 or 60 minutes), channel import (0) or
    /// export (1), and every record of a batch the first one's.
    error RecordShapeUnsupported(uint256 index, uint8 version, uint8 intervalMinutes, uint8 channel);
    /// @notice Signed record `index` does not carry the signature of its consumer's meter key for the
    /// day (M-7, C-11), or the consumer has no such key.
    error RecordNotMeterSigned(uint256 index, uint32 consumerId);
    /// @notice A record has unknown flag bits (M-2).
    error InvalidRecordFlags(uint256 index, uint8 flags);
    /// @notice Consumer ids must be >= 1 and strictly increasing within a batch (M-4).
    error ConsumerIdNotIncreasing(uint256 index, uint32 consumerId, uint32 previous);
    /// @notice The consumer-day already has a record (an earlier batch of the day holds it) (M-4).
    error RecordAlreadyPosted(uint16 regionId, uint32 day, uint32 consumerId);
    /// @notice The region-day is final (M-9): no record can be posted for it, it cannot be finalized again.
    error DayFinal(uint16 regionId, uint32 day);
    /// @notice A region-day can be declared final only FINALITY_DELAY after it ended (M-9).
    error FinalityNotReached(uint16 regionId, uint32 day, uint256 finalFrom);
    /// @notice `postedWords` takes at most 256 days.
    error TooManyDays(uint256 count);

    /// @notice A record is shorter than its header says (`meterDayDigest`), or a settled hourly record is
    /// neither 110 nor 175 bytes.
    error InvalidRecordLength(uint256 length);
    /// @notice Settlement reads records of the region's interval and of the channel it asks for only
    /// (version 1, the region's interval, channel 0, or 1 for a net program's export; S-13, N-1): a
    /// record of another interval, another channel or another version is refused, never misread.
    error RecordShapeNotSettleable(uint8 version, uint8 intervalMinutes, uint8 channel);
    /// @notice The record is for another consumer.
    error LeafConsumerMismatch(uint32 expected, uint32 actual);
    /// @notice The record is from another region.
    error LeafRegionMismatch(uint16 expected, uint16 actual);
    /// @notice The event-day record is for another day.
    error LeafDayMismatch(uint32 expected, uint32 actual);
    /// @notice A baseline record is not the next day the contract requires (cherry-picking) (S-3).
    error NotEligibleBaselineDay(uint32 expected, uint32 supplied);
    /// @notice A record is not under the root of batch `batchIndex` of its day, or that batch does not exist.
    error InvalidMeterProof(uint32 day, uint16 batchIndex);

    /// @notice Every day of the region up to `throughDay` became final (M-9).
    event DaysFinalized(uint16 indexed regionId, uint32 throughDay);

    /// @notice A batch was committed.
    event MeterBatchPosted(
        uint16 indexed regionId,
        uint32 indexed day,
        uint16 batchIndex,
        bytes32 root,
        uint32 count,
        uint32 firstConsumerId,
        uint32 lastConsumerId
    );

    /// @notice Commit a batch of consumer-day records for (region, day). Only METER_ORACLE_ROLE (M-1..M-5,
    /// M-8): batches of a day come in any order; a consumer-day already posted on the batch's channel
    /// reverts RecordAlreadyPosted. Every record has the region's interval (R-7) and the first record's
    /// channel (M-2), else RecordShapeUnsupported.
    /// @param regionId The region.
    /// @param day A local day that has ended.
    /// @param records Packed records of the region's shape (MeterLeaf: 110, 206 or 398 bytes for 60-, 30-
    /// or 15-minute intervals), consumer ids strictly increasing within the batch.
    /// @return batchIndex The batch's index under (region, day).
    function postBatch(uint16 regionId, uint32 day, bytes calldata records) external returns (uint16 batchIndex);

    /// @notice Commit a batch of meter-signed consumer-day records (M-7): as `postBatch`, but each record
    /// is the record followed by its meter's 65-byte EIP-712 signature (175, 271 or 463 bytes), the leaf
    /// hashes all of it, and every signature must recover to the consumer's meter key for the day (C-11;
    /// else RecordNotMeterSigned). Anyone may call it: the signature is the authority, not a role, so a
    /// consumer or any relayer can post a day that the oracle withheld, and nobody can post a record that
    /// its meter did not sign.
    /// @param regionId The region.
    /// @param day A local day that has ended.
    /// @param records Packed signed records of the region's shape, consumer ids strictly increasing.
    /// @return batchIndex The batch's index under (region, day).
    function postSignedBatch(uint16 regionId, uint32 day, bytes calldata records) external returns (uint16 batchIndex);

    /// @notice The EIP-712 digest a meter signs for the record (header, flags included, and its 96, 48 or
    /// 24 readings as its interval says): MeterDay(version, intervalMinutes, channel, consumerId,
    /// regionId, day, flags, readings) in this contract's domain (M-7). An interval other than 15, 30 or
    /// 60 reverts RecordShapeUnsupported, a record shorter than its interval's InvalidRecordLength.
    /// @param record A record, signed or not.
    function meterDayDigest(bytes calldata record) external view returns (bytes32);

    /// @notice The readings of one record that settlement requires, checked: the record is an import
    /// record of `q.intervalMinutes` (else RecordShapeNotSettleable, S-13), the query's consumer,
    /// region and day (S-2, S-3), it is
    /// under the root of its batch (else InvalidMeterProof), and, if `q.signedOnly`, it is a signed
    /// record, whose signature was checked when posted (S-10).
    /// @param q What settlement requires of the record.
    /// @param record The record exactly as posted (14 + 4·n bytes, 65 more if signed).
    /// @param proof Sibling hashes, leaf to root.
    /// @return counted False if the record is flagged missing or, when signatures are required, an
    /// unsigned record (it then counts as missing data).
    /// @return readings The Wh of each interval of the day (24, 48 or 96) if counted, else empty.
    function verifiedReadings(
        RecordQuery calldata q,
        bytes calldata record,
        bytes32[] calldata proof
    ) external view returns (bool counted, uint32[] memory readings);

    /// @notice This contract's EIP-712 domain separator, which meters sign in (M-7).
    function domainSeparator() external view returns (bytes32);

    /// @notice The address whose signature a signed record carries; zero if the record is not its
    /// interval's signed length (175, 271 or 463 bytes) or its signature is malformed (M-7).
    /// @param signedRecord A signed record.
    function recordSigner(bytes calldata signedRecord) external view returns (address);

    /// @notice The root of batch `batchIndex` of (region, day); zero if none.
    function batchRoot(uint16 regionId, uint32 day, uint16 batchIndex) external view returns (bytes32);

    /// @notice What is known of (region, day).
    function dayInfo(uint16 regionId, uint32 day) external view returns (DayInfo memory);

    /// @notice Whether (region, day) is final and has data (M-9): what settlement and proposals need.
    function hasData(uint16 regionId, uint32 day) external view returns (bool);

    /// @notice Declare every day of the region up to `day` final (M-9). Anyone, once `day` ended
    /// FINALITY_DELAY ago (else FinalityNotReached); `day` already final: DayFinal.
    /// @param regionId The region.
    /// @param day The last day to make final.
    function finalize(uint16 regionId, uint32 day) external;

    /// @notice Whether the region-day is final (M-9): its records, and so every settlement input, are fixed.
    function isFinal(uint16 regionId, uint32 day) external view returns (bool);

    /// @notice 256 data-present bits of a region: bit `d % 256` of word `d / 256` is day `d`.
    function dataWord(uint16 regionId, uint256 word) external view returns (uint256);

    /// @notice Whether an import record of the consumer-day was posted (M-8): if not, its absence is proven.
    function recordPosted(uint16 regionId, uint32 day, uint32 consumerId) external view returns (bool);

    /// @notice Whether a record of the consumer-day was posted on `channel` (0 import, 1 export; M-4, M-8).
    /// @param regionId The region.
    /// @param day The local day.
    /// @param channel The record's channel.
    /// @param consumerId The consumer.
    function channelRecordPosted(
        uint16 regionId,
        uint32 day,
        uint8 channel,
        uint32 consumerId
    ) external view returns (bool);

    /// @notice For each of `dayList` (at most 256), the posted-record bits on `channel` of consumers
    /// `256·word .. 256·word + 255` of (region, that day): bit `id % 256` set iff the consumer's record
    /// of the channel was posted (M-8).
    /// @param regionId The region.
    /// @param dayList The days asked about.
    /// @param word Consumer id / 256.
    /// @param channel The records' channel (0 import, 1 export).
    function postedWords(
        uint16 regionId,
        uint32[] calldata dayList,
        uint256 word,
        uint8 channel
    ) external view returns (uint256[] memory words);
}
