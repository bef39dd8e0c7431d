// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IProofSettlement} from "./IProofSettlement.sol";

/// @dev D-1: a settled enrollment can be disputed this long after its settlement; the ledger keeps its
/// unpaid reservation until every such window of the event has closed (D-4, S-9).
uint256 constant DISPUTE_WINDOW_SECONDS = 7 days;

/// @title IReductionRequests
/// @notice The demand-response ledger: events of the programs (IProgramRegistry), enrollment, the
/// outcomes of proof-carrying (IProofSettlement) and optimistic settlement (SPECIFICATION.md §7,
/// rules P-3..P-5, V-1..V-5, S-1..S-9). Disputes of its outcomes live in IDisputes.
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
        RootSettled, // paid by an optimistic root (O-6)
        Withdrawn // cancelled before its enrollment gate: no event day for anyone (P-6)
    }

    /// @notice Enrollment lifecycle.
    enum EnrollmentStatus {
        None,
        Enrolled,
        Settled,
        InsufficientData // disputes of a settled enrollment live in Disputes (IDisputes)
    }

    /// @notice An event. Two slots, packed.
    struct DrEvent {
        uint32 programId; // slot 1
        uint32 day; // local day
        uint8 startInterval; // [startInterval, endInterval): meter intervals of the local day (R-7, P-3)
        uint8 endInterval;
        Tier tier;
        EventStatus status;
        uint96 rate; // base × tier × stress, token units per kWh, fixed at creation
        uint48 targetWh;
        uint16 regionId;
        uint64 committedWh; // slot 2
        uint96 reservedOutstanding; // reserved and not yet released: unsettled, or held for disputes (D-4)
        uint32 enrolled;
        uint32 settled;
        uint32 pausedAtCreation; // the escrow's pausedSeconds() when the event was created (S-1, E-8)
    }

    /// @notice One consumer's enrollment in one event. One slot.
    struct Enrollment {
        uint48 committedWh;
        uint80 reserved; // B-8 maximum reward, reserved in the escrow
        uint80 paid; // reward paid at settlement (a dispute adjustment is kept by Disputes)
        EnrollmentStatus status;
        uint32 settledAt;
    }

    /// @notice One consumer of a keeper's batch enrollment (V-6).
    struct EnrollmentRequest {
        address account;
        uint48 committedWh;
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    // an event of a program whose utility is not active: UtilityNotActive, from ProgramRegistry.checkEventAllowed (P-3)
    /// @notice Only the program's utility may do this.
    error NotProgramOwner(uint32 programId, address caller);
    /// @notice No event has this id.
    error UnknownEvent(uint256 eventId);
    /// @notice The event must start in the future and within 30 days.
    error InvalidEventStart(uint256 startsAt, uint256 nowTs);
    /// @notice The program already has an event on that local day.
    error ProgramDayTaken(uint32 programId, uint32 day);
    /// @notice The program reached its events-per-30-days cap.
    error ProgramEventCapReached(uint32 programId, uint32 day);
    /// @notice The event is not scheduled or has started (cancellation closes at the start).
    error EventNotOpen(uint256 eventId);
    /// @notice Enrollment and opt-out closed at the event's gate, `gate` (start − the program's gate lead, V-1, V-7).
    error EnrollmentClosed(uint256 eventId, uint256 gate);
    /// @notice An Emergency-tier event needs the region's measured grid status at Emergency (P-4, F-9).
    error EmergencyNotMeasured(uint16 regionId);
    /// @notice In emergency only Emergency-tier events are created (G-12).
    error EmergencyTierOnly(uint16 regionId);
    /// @notice The consumer cannot take part, for `reason`: an IConsumerRegistry.Ineligibility (V-2).
    error ConsumerNotEligible(address account, uint8 reason);
    /// @notice Commitment must be 1 .. min(capacity × event hours, targetWh × maxShareBps / 10_000) Wh.
    error InvalidCommitment(uint256 committedWh, uint256 maxWh);
    /// @notice A batch's accounts and outcomes differ in number.
    error OutcomesMismatch(uint256 accounts, uint256 outcomes);
    /// @notice A batch must hold 1..max requests.
    error InvalidBatchSize(uint256 size, uint256 max);
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
    /// @notice The event cannot be closed before `closesAt`: its settlement deadline plus the dispute
    /// window (S-9).
    error SettlementStillOpen(uint256 eventId, uint256 closesAt);
    // a record missing or extra reverts in ProofSettlement.verify (MissingLeaf, UnexpectedLeaf); a
    // record of the wrong length, consumer, region or day, or not under its batch root, in
    // MeterData.verifiedReadings (IMeterData: RecordShapeNotSettleable, InvalidRecordLength, Leaf*Mismatch,
    // NotEligibleBaselineDay, ...)

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The forecasting contract (stress multiplier source) was set.
    event ForecastingSet(address indexed forecasting);
    /// @notice An event was created (`triggered` when by auto-trigger).
    event EventCreated(
        uint256 indexed eventId,
        uint32 indexed programId,
        uint16 indexed regionId,
        uint32 day,
        uint8 startInterval,
        uint8 endInterval,
        Tier tier,
        uint96 rate,
        uint48 targetWh,
        bool triggered
    );
    /// @notice An event was cancelled; `released` went back to the program's budget.
    event EventCancelled(uint256 indexed eventId, uint256 released);
    /// @notice An event was cancelled before its gate (followed by EventCancelled): `day` is no longer an
    /// event day of the program or, unless another event counts that day, of the region (P-6).
    event EventWithdrawn(uint256 indexed eventId, uint32 indexed programId, uint32 day);
    /// @notice A consumer left an event before its gate (by a keeper: `byKeeper`); `released` went back
    /// to the program's budget and the consumer's day is free (V-7).
    event OptedOut(uint256 indexed eventId, address indexed account, uint256 released, bool byKeeper);
    /// @notice An event was closed after its deadline; `released` went back to the budget.
    event EventClosed(uint256 indexed eventId, uint256 released);
    /// @notice A dispute was opened: the enrollment's unpaid reservation `held` stays reserved for the
    /// ruling, outside the event's outstanding reservations (D-4).
    event ResidualHeld(uint256 indexed eventId, address indexed account, uint256 held);
    /// @notice An optimistic root was proposed: the event is locked (RootPending) until it is voided,
    /// expired or paid (O-3).
    event RootLocked(uint256 indexed eventId);
    /// @notice A voided or expired root handed the event back to proof-carrying settlement (O-5, O-12).
    event RootUnlocked(uint256 indexed eventId);
    /// @notice A finalized root was paid: `total` went to the settlement contract and the rest of the
    /// event's reservations back to the program's budget (O-6).
    event RootPaid(uint256 indexed eventId, uint256 total);
    /// @notice A batch enrollment left a consumer out (V-6). `reason`: 1..8 an IConsumerRegistry.Ineligibility (V-2),
    /// 9 already enrolled, 10 commitment out of range (V-1), 11 another event that day, 12 the
    /// consumer's events-per-30-days cap (V-4).
    event EnrollmentRefused(uint256 indexed eventId, address indexed account, uint8 reason);
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
    /// @notice A batch settlement left out an enrollment that is not Enrolled (S-8, S-11).
    event SettlementSkipped(uint256 indexed eventId, address indexed account, EnrollmentStatus status);
    /// @notice An enrollment was settled as "insufficient data": nothing paid, reservation released.
    event SettledInsufficientData(
        uint256 indexed eventId,
        address indexed account,
        uint256 baselineDays,
        bool eventDayMissing
    );

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Set the contract whose stress multiplier prices new events. Only DEFAULT_ADMIN_ROLE.
    function setForecasting(address forecasting) external;

    /// @notice Create an event. The program's utility, while active (P-3, P-4).
    /// @param programId The program.
    /// @param day The local day (days since 1970-01-01 in the region's standard time).
    /// @param startInterval The first meter interval of the event (the region's interval, R-7: an hour
    /// in an hourly region, 69 for 17:15 in a 15-minute region).
    /// @param endInterval The interval after the event's last one (75 for an event ending 18:45).
    /// @param targetWh The reduction sought.
    /// @param tier The event's tier (P-4).
    /// @return eventId The new event's id.
    function createEvent(
        uint32 programId,
        uint32 day,
        uint8 startInterval,
        uint8 endInterval,
        uint48 targetWh,
        Tier tier
    ) external returns (uint256 eventId);

    /// @notice Create an event from an auto-trigger. Only TRIGGER_ROLE (the forecasting contract) (F-6).
    /// The window is in whole hours (the forecast's resolution), converted to the region's intervals.
    function createTriggeredEvent(
        uint32 programId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        uint48 targetWh,
        Tier tier
    ) external returns (uint256 eventId);

    /// @notice Cancel an event before it starts; every reservation is released. The program's utility
    /// (P-5). Before the enrollment gate the event is Withdrawn instead: its day goes back to the
    /// program (and its cap), to the region and to its consumers (P-6).
    function cancelEvent(uint256 eventId) external;

    /// @notice Enroll msg.sender, committing `committedWh` (V-1..V-4).
    function enroll(uint256 eventId, uint48 committedWh) external;

    /// @notice Enroll a consumer who consented to automated enrollment. Only KEEPER_ROLE (V-5).
    function enrollFor(uint256 eventId, address account, uint48 committedWh) external;

    /// @notice Leave an event before its gate: msg.sender's reservation is released, its day freed (V-7).
    function optOut(uint256 eventId) external;

    /// @notice Take a consumer out of an event before its gate, as `optOut` (a consumer who withdrew its
    /// consent). Only KEEPER_ROLE (V-7).
    function optOutFor(uint256 eventId, address account) external;

    /// @notice Enroll many consenting consumers in one event with one escrow reservation. Only
    /// KEEPER_ROLE (V-6). Each consumer is checked as by `enrollFor`; one that fails is left out with
    /// `EnrollmentRefused(event, account, reason)` and the others go on. Reverts only for the whole
    /// call: the event not open (`EventNotOpen`), 0 or more than MAX_ENROLL_BATCH requests
    /// (`InvalidBatchSize`), or a budget that cannot cover the batch's reservations (`InsufficientBudget`).
    /// @return admitted The number of consumers enrolled.
    function enrollBatch(uint256 eventId, EnrollmentRequest[] calldata requests) external returns (uint256 admitted);

    /// @notice Record verified outcomes of one event and pay them (S-1, S-5..S-8, S-11). Only
    /// SETTLER_ROLE (the ProofSettlement contract, which computed them from the records; anyone settles
    /// through it). The event must be settleable (S-1); an enrollment that is not Enrolled is skipped
    /// with `SettlementSkipped` (S-8).
    /// @return settled The number of outcomes recorded.
    function recordOutcomes(
        uint256 eventId,
        address[] calldata accounts,
        IProofSettlement.Outcome[] calldata outcomes
    ) external returns (uint256 settled);

    /// @notice Once the settlement deadline and the dispute window after it have passed, release what
    /// the event still reserves: unsettled enrollments and the unpaid part of undisputed settled ones.
    /// Anyone (S-9).
    function closeEvent(uint256 eventId) external;

    /// @notice A dispute was opened on a settled enrollment: take its unpaid reservation
    /// (`reserved − paid`) out of the event's outstanding reservations, so that closing the event does
    /// not release it; Disputes pays the ruling from it and releases the rest (D-4). Only DISPUTES_ROLE.
    /// Emits ResidualHeld with the amount kept.
    function holdForDispute(uint256 eventId, address account) external;

    /// @notice Lock a Scheduled event none of whose enrollments is settled while a root is in its
    /// challenge window (O-3). Only OPTIMISTIC_ROLE.
    function lockForRoot(uint256 eventId) external;

    /// @notice Hand a locked event back to proof-carrying settlement: its root was voided or expired
    /// (O-5, O-12). Only OPTIMISTIC_ROLE.
    function unlockRoot(uint256 eventId) external;

    /// @notice Pay a locked event's finalized root: `total` goes from the escrow to the caller and every
    /// other reservation of the event is released (O-6). Only OPTIMISTIC_ROLE.
    /// @param total The root's total reward; the escrow refuses more than the event's reservations.
    function payRoot(uint256 eventId, uint256 total) external;

    /// @notice An event.
    function drEvent(uint256 eventId) external view returns (DrEvent memory);

    /// @notice An enrollment.
    function enrollment(uint256 eventId, address account) external view returns (Enrollment memory);

    /// @notice Number of events (ids 1..n).
    function eventCount() external view returns (uint256);

    /// @notice Whether the region has an event (of any program) on a local day that counts: not
    /// withdrawn before its gate (P-6).
    function regionHasEvent(uint16 regionId, uint32 day) external view returns (bool);

    /// @notice When enrollment and opt-out close: the event's start minus its program's gate lead (V-1, V-7).
    function enrollmentGate(uint256 eventId) external view returns (uint256);

    /// @notice The settlement deadline of an event (S-1): the start of the day after the event day plus
    /// SETTLEMENT_WINDOW, plus every second the escrow has spent paused since the event was created
    /// (E-8). While the escrow is paused the deadline moves with the clock.
    function settlementDeadline(uint256 eventId) external view returns (uint256);

    /// @notice When an event can be closed: its settlement deadline plus DISPUTE_WINDOW (S-9).
    function closesAt(uint256 eventId) external view returns (uint256);

    /// @notice The region's event-day bits of bitmap words `word` and `word + 1` (bit d & 255 of word
    /// d >> 8 is day d): the two words hold a settlement's whole lookback (S-3).
    function regionEventWords(uint16 regionId, uint256 word) external view returns (uint256, uint256);

    /// @notice Reverts with the rule's error unless the event is settleable now: scheduled, its day's
    /// data committed, the deadline not passed (S-1), and the enrollment of `account` Enrolled (S-8; not
    /// checked for the zero address: a batch checks each consumer when recording). Settlement calls it
    /// before reading any record.
    function checkSettleable(uint256 eventId, address account) external view;
}
