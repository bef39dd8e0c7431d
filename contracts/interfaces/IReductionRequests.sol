// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IReductionRequests
/// @notice DR programs, events, enrollment, proof-carrying settlement against contract-chosen
/// baseline days, and disputes (SPECIFICATION.md §7, rules P-1..P-5, V-1..V-5, S-1..S-9, D-1..D-3).
interface IReductionRequests {
    /// @notice Event tier; sets the rate multiplier.
    enum Tier {
        Voluntary,
        Economic,
        Emergency
    }

    /// @notice Event lifecycle.
    enum EventStatus {
        None,
        Scheduled,
        Cancelled,
        Closed,
        RootPending, // an optimistic root is in its challenge window (O-3)
        RootSettled // paid by an optimistic root (O-6)
    }

    /// @notice Enrollment lifecycle.
    enum EnrollmentStatus {
        None,
        Enrolled,
        Settled,
        InsufficientData,
        Disputed,
        DisputeUpheld,
        DisputeRejected
    }

    /// @notice Program parameters given at creation (P-2).
    struct ProgramParams {
        address token; // allowlisted payment token
        uint96 baseRate; // token units per kWh, > 0
        uint8 method; // Baseline.METHOD_*
        uint8 adjWindowHours; // default 3, <= 12
        uint8 adjGapHours; // default 1, <= 12
        uint16 adjCapBps; // default 2_000
        uint16 minDeliveryBps; // default 5_000, <= 10_000
        uint16 bonusCapBps; // over-delivery paid up to commitment × (1 + cap), <= 10_000
        uint8 classMask; // bit = ConsumerClass, 1..7
        uint8 maxEventsPer30Days; // 1..30
        uint16 economicBps; // tier multipliers, 10_000 <= economic <= emergency <= 50_000
        uint16 emergencyBps;
        bool signedData; // settle only on meter-signed records (S-10)
    }

    /// @notice A program. Three slots, packed.
    struct Program {
        address utility; // slot 1
        uint16 regionId;
        uint8 method;
        uint8 classMask;
        uint8 adjWindowHours;
        uint8 adjGapHours;
        uint16 adjCapBps;
        uint16 minDeliveryBps;
        uint16 bonusCapBps;
        address token; // slot 2
        uint96 baseRate;
        uint8 maxEventsPer30Days; // slot 3
        uint16 economicBps;
        uint16 emergencyBps;
        bool signedData;
    }

    /// @notice An event. Two slots, packed.
    struct DrEvent {
        uint32 programId; // slot 1
        uint32 day; // local day
        uint8 startHour; // [startHour, endHour) local hours
        uint8 endHour;
        Tier tier;
        EventStatus status;
        uint96 rate; // base × tier × stress, token units per kWh, fixed at creation
        uint48 targetWh;
        uint16 regionId;
        uint64 committedWh; // slot 2
        uint128 reservedOutstanding; // reservations not yet released
        uint32 enrolled;
        uint32 settled;
    }

    /// @notice One consumer's enrollment in one event. One slot.
    struct Enrollment {
        uint48 committedWh;
        uint80 reserved; // B-8 maximum reward, reserved in the escrow
        uint80 paid; // reward plus any dispute adjustment
        EnrollmentStatus status;
        uint32 settledAt;
    }

    /// @notice One meter record with its proof, for settlement.
    struct LeafProof {
        uint16 batchIndex; // batch of (region, day) whose root proves the record
        bytes record; // the 107-byte record, or 172-byte signed record (MeterLeaf), exactly as posted
        bytes32[] proof; // sibling hashes, leaf to root
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not an active utility of the region (U-7).
    error UtilityNotActive(address utility, uint16 regionId);
    /// @notice Only the program's utility may do this.
    error NotProgramOwner(uint32 programId, address caller);
    /// @notice Base rate must be positive.
    error InvalidRate();
    /// @notice Class mask must be 1..7.
    error InvalidClassMask(uint8 classMask);
    /// @notice minDeliveryBps and bonusCapBps must be <= 10_000.
    error InvalidDeliveryParams(uint16 minDeliveryBps, uint16 bonusCapBps);
    /// @notice Adjustment window and gap must be <= 12 hours each.
    error InvalidAdjustmentWindow(uint8 windowHours, uint8 gapHours);
    /// @notice Events per 30 days must be 1..30.
    error InvalidEventCap(uint8 maxEventsPer30Days);
    /// @notice Tier multipliers must satisfy 10_000 <= economic <= emergency <= 50_000.
    error InvalidTierMultipliers(uint16 economicBps, uint16 emergencyBps);
    /// @notice No program has this id.
    error UnknownProgram(uint32 programId);
    /// @notice No event has this id.
    error UnknownEvent(uint256 eventId);
    /// @notice The event must start in the future and within 30 days.
    error InvalidEventStart(uint256 startsAt, uint256 nowTs);
    /// @notice The program already has an event on that local day.
    error ProgramDayTaken(uint32 programId, uint32 day);
    /// @notice The program reached its events-per-30-days cap.
    error ProgramEventCapReached(uint32 programId, uint32 day);
    /// @notice The event is not scheduled or has started (enrollment and cancellation close at the start).
    error EventNotOpen(uint256 eventId);
    /// @notice The consumer cannot take part: `reason` 1 not active, 2 paused, 3 no data-use consent,
    /// 4 no automated-enrollment consent, 5 other region, 6 class not eligible, 7 rate below minimum,
    /// 8 hours not available (V-2).
    error ConsumerNotEligible(address account, uint8 reason);
    /// @notice Commitment must be 1 .. capacity × event hours Wh.
    error InvalidCommitment(uint256 committedWh, uint256 maxWh);
    /// @notice The consumer is already enrolled in this event.
    error AlreadyEnrolled(uint256 eventId, address account);
    /// @notice The consumer is already enrolled in an event on this local day.
    error ConsumerDayTaken(address account, uint32 day);
    /// @notice The consumer reached their events-per-30-days cap.
    error ConsumerEventCapReached(address account, uint32 day);
    /// @notice The enrollment is not in the status this step needs.
    error EnrollmentNotInStatus(uint256 eventId, address account, EnrollmentStatus status);
    /// @notice The event-day data is not committed yet.
    error EventDataNotCommitted(uint256 eventId, uint32 day);
    /// @notice The event is cancelled or closed.
    error EventNotSettleable(uint256 eventId, EventStatus status);
    /// @notice The settlement deadline has passed.
    error SettlementClosed(uint256 eventId, uint256 deadline);
    /// @notice The settlement deadline has not passed yet.
    error SettlementStillOpen(uint256 eventId, uint256 deadline);
    // a record of the wrong length, consumer, region or day, or not under its batch root, reverts in
    // MeterData.verifiedReadings (IMeterData: InvalidRecordLength, Leaf*Mismatch, NotEligibleBaselineDay, ...)
    /// @notice A record the contract requires was not supplied.
    error MissingLeaf(uint32 day);
    /// @notice More records were supplied than the walk uses.
    error UnexpectedLeaf(uint256 index);
    /// @notice Disputes open within 7 days of settlement.
    error DisputeWindowClosed(uint256 eventId, address account);
    /// @notice The adjustment exceeds the enrollment's maximum reward minus what was paid.
    error AdjustmentTooLarge(uint256 amount, uint256 max);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The forecasting contract (stress multiplier source) was set.
    event ForecastingSet(address indexed forecasting);
    /// @notice A program was created and its escrow account opened.
    event ProgramCreated(
        uint32 indexed programId,
        address indexed utility,
        uint16 indexed regionId,
        ProgramParams params
    );
    /// @notice An event was created (`triggered` when by auto-trigger).
    event EventCreated(
        uint256 indexed eventId,
        uint32 indexed programId,
        uint16 indexed regionId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        Tier tier,
        uint96 rate,
        uint48 targetWh,
        bool triggered
    );
    /// @notice An event was cancelled; `released` went back to the program's budget.
    event EventCancelled(uint256 indexed eventId, uint256 released);
    /// @notice An event was closed after its deadline; `released` went back to the budget.
    event EventClosed(uint256 indexed eventId, uint256 released);
    /// @notice An optimistic root changed the event's status (O-3, O-5, O-6). On RootSettled, `total`
    /// went to the settlement contract and the rest of the event's reservations back to the budget.
    event RootStatusChanged(uint256 indexed eventId, EventStatus status, uint256 total);
    /// @notice A consumer enrolled (or was enrolled by a keeper).
    event Enrolled(
        uint256 indexed eventId,
        address indexed account,
        uint256 committedWh,
        uint256 reserved,
        bool byKeeper
    );
    /// @notice An enrollment was settled and paid.
    event Settled(
        uint256 indexed eventId,
        address indexed account,
        uint256 baselineWh,
        uint256 actualWh,
        uint256 reductionWh,
        uint256 adjustmentBps,
        uint256 reward,
        uint256 baselineDays
    );
    /// @notice An enrollment was settled as "insufficient data": nothing paid, reservation released.
    event SettledInsufficientData(
        uint256 indexed eventId,
        address indexed account,
        uint256 baselineDays,
        bool eventDayMissing
    );
    /// @notice A consumer opened a dispute.
    event DisputeOpened(uint256 indexed eventId, address indexed account, bytes32 reasonHash);
    /// @notice An arbiter resolved a dispute.
    event DisputeResolved(uint256 indexed eventId, address indexed account, bool upheld, uint256 adjustment);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Set the contract whose stress multiplier prices new events. Only DEFAULT_ADMIN_ROLE.
    function setForecasting(address forecasting) external;

    /// @notice Create a program for one of the caller's regions and escrow its budget. Active utility only (P-1, P-2).
    /// @param regionId A region in the caller's jurisdiction.
    /// @param params Program parameters.
    /// @param budget Initial budget pulled from the caller (approve the escrow first).
    /// @return programId The new program's id.
    function createProgram(
        uint16 regionId,
        ProgramParams calldata params,
        uint256 budget
    ) external returns (uint32 programId);

    /// @notice Create an event. The program's utility, while active (P-3, P-4).
    /// @return eventId The new event's id.
    function createEvent(
        uint32 programId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        uint48 targetWh,
        Tier tier
    ) external returns (uint256 eventId);

    /// @notice Create an event from an auto-trigger. Only TRIGGER_ROLE (the forecasting contract) (F-6).
    function createTriggeredEvent(
        uint32 programId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        uint48 targetWh,
        Tier tier
    ) external returns (uint256 eventId);

    /// @notice Cancel an event before it starts; every reservation is released. The program's utility (P-5).
    function cancelEvent(uint256 eventId) external;

    /// @notice Enroll msg.sender, committing `committedWh` (V-1..V-4).
    function enroll(uint256 eventId, uint48 committedWh) external;

    /// @notice Enroll a consumer who consented to automated enrollment. Only KEEPER_ROLE (V-5).
    function enrollFor(uint256 eventId, address account, uint48 committedWh) external;

    /// @notice Settle one enrollment from meter records and proofs. Anyone (S-1..S-9).
    /// @param leaves The event-day record first, then the records of the days the contract requires, in its order.
    function settle(uint256 eventId, address account, LeafProof[] calldata leaves) external;

    /// @notice After the deadline, release what unsettled enrollments still reserve. Anyone (S-9).
    function closeEvent(uint256 eventId) external;

    /// @notice Move an event through optimistic settlement. Only OPTIMISTIC_ROLE.
    /// `RootPending`: lock a Scheduled event none of whose enrollments is settled (O-3).
    /// `Scheduled`: a voided root hands the event back to proof-carrying settlement (O-5).
    /// `RootSettled`: pay the root; `total` goes from the escrow to the caller and every other
    /// reservation of the event is released (O-6).
    /// @param total The root's total reward; used only with `RootSettled`.
    function setRootStatus(uint256 eventId, EventStatus to, uint256 total) external;

    /// @notice Open a dispute on one's own settled enrollment within 7 days (D-1).
    function openDispute(uint256 eventId, bytes32 reasonHash) external;

    /// @notice Uphold a dispute, paying `adjustment` from the available budget. Only ARBITER_ROLE (D-2).
    function upholdDispute(uint256 eventId, address account, uint256 adjustment) external;

    /// @notice Reject a dispute. Only ARBITER_ROLE (D-3).
    function rejectDispute(uint256 eventId, address account) external;

    /// @notice A program.
    function program(uint32 programId) external view returns (Program memory);

    /// @notice An event.
    function drEvent(uint256 eventId) external view returns (DrEvent memory);

    /// @notice An enrollment.
    function enrollment(uint256 eventId, address account) external view returns (Enrollment memory);

    /// @notice Number of programs (ids 1..n).
    function programCount() external view returns (uint32);

    /// @notice Number of events (ids 1..n).
    function eventCount() external view returns (uint256);

    /// @notice Whether the region has an event (of any program) on a local day.
    function regionHasEvent(uint16 regionId, uint32 day) external view returns (bool);

    /// @notice The settlement deadline of an event (S-1).
    function settlementDeadline(uint256 eventId) external view returns (uint256);

    /// @notice The days whose records settlement requires, most recent first, before any are found
    /// missing: like dayList in the lookback, minus event days, holidays and days without data (S-3).
    function candidateDays(uint256 eventId, address account) external view returns (uint32[] memory dayList);
}
