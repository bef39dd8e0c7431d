// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMeterData
/// @notice Meter data committed per (region, local day, batch): readings travel in calldata only;
/// the contract computes and stores each batch's Merkle root (SPECIFICATION.md §6, rules M-1..M-6).
interface IMeterData {
    /// @notice What is known of one (region, day). One slot.
    struct DayInfo {
        uint16 batchCount; // batches posted so far
        uint32 lastConsumerId; // highest consumer id posted so far (ids strictly increase, M-4)
        uint32 consumerDays; // records posted so far
    }

    /// @notice The batch is empty, too large, or not a whole number of records.
    error InvalidBatchLength(uint256 length);
    /// @notice The region does not exist.
    error UnknownMeterRegion(uint16 regionId);
    /// @notice Data for a local day can be posted only after that day has ended (M-1).
    error DayNotEnded(uint16 regionId, uint32 day, uint256 endsAt);
    /// @notice A record's region or day differs from the batch's (M-3).
    error RecordOutOfBatch(uint256 index, uint16 regionId, uint32 day);
    /// @notice A record has unknown flag bits (M-2).
    error InvalidRecordFlags(uint256 index, uint8 flags);
    /// @notice Consumer ids must be >= 1 and strictly increasing across all batches of a day (M-4).
    error ConsumerIdNotIncreasing(uint256 index, uint32 consumerId, uint32 previous);

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

    /// @notice Commit a batch of consumer-day records for (region, day). Only METER_ORACLE_ROLE (M-1..M-5).
    /// @param regionId The region.
    /// @param day A local day that has ended.
    /// @param records Packed 107-byte records (MeterLeaf), consumer ids strictly increasing.
    /// @return batchIndex The batch's index under (region, day).
    function postBatch(uint16 regionId, uint32 day, bytes calldata records) external returns (uint16 batchIndex);

    /// @notice The root of batch `batchIndex` of (region, day); zero if none.
    function batchRoot(uint16 regionId, uint32 day, uint16 batchIndex) external view returns (bytes32);

    /// @notice What is known of (region, day).
    function dayInfo(uint16 regionId, uint32 day) external view returns (DayInfo memory);

    /// @notice Whether any batch was posted for (region, day).
    function hasData(uint16 regionId, uint32 day) external view returns (bool);

    /// @notice 256 data-present bits of a region: bit `d % 256` of word `d / 256` is day `d`.
    function dataWord(uint16 regionId, uint256 word) external view returns (uint256);
}
