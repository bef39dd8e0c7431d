// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Baseline} from "../libraries/Baseline.sol";
import {LoadShift} from "../libraries/LoadShift.sol";

/// @title IProofSettlement
/// @notice Proof-carrying settlement (SPECIFICATION.md §7, S-1..S-10): it chooses the baseline days
/// itself, checks every record the walk needs against its batch root, runs the Baseline library and
/// reports the outcome to the ledger (ReductionRequests), which checks the enrollment, records the
/// outcome and pays. It keeps no state of its own.
interface IProofSettlement {
    /// @notice What the ledger knows of one event and its program, handed to the verifier.
    struct Context {
        uint16 regionId;
        uint32 day; // the event's local day
        bool signedData; // the program counts meter-signed records only (S-10)
        bool net; // the program settles on net load, max(import - export, 0) per interval (N-1)
        Baseline.Params params; // method, meter interval, event intervals, day-of adjustment
        // the region's event-day bits for bitmap words (day - LOOKBACK_DAYS) >> 8 and the next: the
        // whole lookback lies in these two words (S-3)
        uint256[2] eventDays;
        bool loadShift; // a load-shifting program: the rebound settles with the reduction (L-2..L-5)
        LoadShift.Terms shift; // its rebound window and neutrality tolerance
    }

    /// @notice One meter record with its proof, for settlement.
    struct LeafProof {
        uint16 batchIndex; // batch of (region, day) whose root proves the record
        bytes record; // the 107-byte record, or 172-byte signed record (MeterLeaf), exactly as posted
        bytes32[] proof; // sibling hashes, leaf to root
    }

    /// @notice One meter batch that records of a batch settlement prove against (S-11).
    struct BatchGroup {
        uint32 day;
        uint16 batchIndex; // batch of (the event's region, day)
        uint32 width; // records in the batch (MeterBatchPosted.count)
        uint32 count; // records of the call in this batch: the references that name this group
        bytes32[] proof; // MeterMultiproof sibling hashes, level by level, in position order
    }

    /// @notice One consumer's records for `settleBatch`, in the walk's order (event day first).
    struct ConsumerRecords {
        address account;
        bytes records; // the records, exactly as posted, concatenated
        // per record: bits 0..31 its position in its batch, 32..47 its BatchGroup index,
        // bit 48 set for a 172-byte signed record (else 107 bytes)
        uint256[] refs;
    }

    /// @notice The verified outcome for one consumer and one event.
    struct Outcome {
        bool sufficient; // event-day record counted and at least Baseline.MIN_DAYS usable baseline days (S-6)
        bool eventDayMissing; // the event-day record is flagged missing or not counted
        uint256 baselineDays; // baseline days with a usable record (the others are gaps, B-9)
        Baseline.Result result; // zero unless sufficient
    }

    /// @notice The event day's meter data is not final yet (M-9, S-12): nothing settles before.
    error EventDayNotFinal(uint256 eventId, uint32 day);
    /// @notice A record the walk requires was not supplied.
    error MissingLeaf(uint32 day);
    /// @notice More records were supplied than the walk uses.
    error UnexpectedLeaf(uint256 index);
    /// @notice A batch settlement holds 1..max consumers.
    error InvalidSettleBatchSize(uint256 size, uint256 max);
    /// @notice A record reference names no group, or the records do not add up to the references
    /// (`record` = the number of references when the bytes are too long).
    error InvalidRecordRef(uint256 consumer, uint256 record);
    /// @notice A group holds no record, or its records do not prove against its batch root.
    error InvalidMultiproof(uint32 day, uint16 batchIndex);
    /// @notice The call's references name a different number of records of this batch than its
    /// group declares (S-11).
    error GroupCountMismatch(uint32 day, uint16 batchIndex, uint256 declared);
    /// @notice settleBatch reads one channel: a net program's enrollments settle one by one (`settle`)
    /// or through an optimistic root (N-3).
    error NetProgramNotBatchable(uint256 eventId);

    /// @notice The load shift the verifier measured for one consumer of a load-shifting program (L-3..L-5)
    /// and handed to the ledger with its outcome: the event-window reduction, the rebound window's
    /// baseline, use and rebound, and the shifted energy paid for (0 unless `neutral`). The ledger's
    /// Settled log carries the event window's baseline and use and, as its reduction, `shiftedWh`.
    event LoadShiftMeasured(
        uint256 indexed eventId,
        address indexed account,
        uint256 reductionWh,
        uint256 reboundBaselineWh,
        uint256 reboundActualWh,
        uint256 reboundWh,
        uint256 shiftedWh,
        bool neutral
    );

    // a record of the wrong length, consumer, region or day, or not under its batch root, reverts in
    // MeterData.verifiedReadings (IMeterData: RecordShapeNotSettleable, InvalidRecordLength, Leaf*Mismatch,
    // NotEligibleBaselineDay, ...)

    /// @notice Settle one enrollment from meter records and proofs. Anyone (S-1..S-10). The ledger
    /// refuses an enrollment that is not Enrolled, an event not Scheduled, a passed deadline or an
    /// event day without data (IReductionRequests errors).
    /// @param eventId The event.
    /// @param account The enrolled consumer.
    /// @param leaves The event-day record first, then the records of the days the contract requires, in its
    /// order; in a net program each day's import record followed by its export record (N-2).
    function settle(uint256 eventId, address account, LeafProof[] calldata leaves) external;

    /// @notice Settle many enrollments of one event in one call (S-11): the records of each consumer
    /// in walk order, each batch's records proved together by one multiproof. Anyone. The event must
    /// be settleable (S-1); a consumer whose enrollment is not Enrolled is skipped by the ledger
    /// (`SettlementSkipped`); any record error reverts the whole call, with the error `settle` gives.
    /// @return settled The number of enrollments settled.
    function settleBatch(
        uint256 eventId,
        ConsumerRecords[] calldata consumers,
        BatchGroup[] calldata groups
    ) external returns (uint256 settled);

    /// @notice The outcome `settle` would record, computed without writing: a stranger's recomputation
    /// (S-2..S-4, S-10). Reverts on a record that is missing, extra, of another consumer, region or
    /// day, or not under its batch root.
    function verify(
        uint256 eventId,
        address account,
        LeafProof[] calldata leaves
    ) external view returns (Outcome memory);

    /// @notice The event's baseline days for the consumer, most recent first (S-3): the 10 most recent
    /// like days in the lookback after its activation day, minus event days and (weekday events)
    /// holidays; region facts only. A day's record must be supplied where the day has data (S-4).
    function candidateDays(uint256 eventId, address account) external view returns (uint32[] memory dayList);

    /// @notice The ledger this contract settles for.
    function requests() external view returns (address);
}
