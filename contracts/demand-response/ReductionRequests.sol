// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReductionRequests, DISPUTE_WINDOW_SECONDS} from "../interfaces/IReductionRequests.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {ILoadForecasting} from "../interfaces/ILoadForecasting.sol";
import {IGridStatus} from "../interfaces/IGridStatus.sol";
import {IProofSettlement} from "../interfaces/IProofSettlement.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {Baseline} from "../libraries/Baseline.sol";
import {DayBitmap} from "../libraries/DayBitmap.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title ReductionRequests
/// @notice The demand-response ledger: events, enrollments and settlement outcomes
/// (SPECIFICATION.md §7). It is the only writer of their state. Settlement recomputes every result
/// from committed meter data through the view-only ProofSettlement, which chooses the baseline days
/// itself, verifies every record against its batch root and runs the Baseline library; the ledger
/// pays what the verifier returns.
contract ReductionRequests is IReductionRequests, AccessControl {
    using DayBitmap for mapping(uint256 => uint256);

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Keepers enroll consenting consumers.
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    /// @notice The forecasting contract creates auto-triggered events.
    bytes32 public constant TRIGGER_ROLE = keccak256("TRIGGER_ROLE");
    /// @notice The proof-carrying settlement contract records verified outcomes (S-5..S-8).
    bytes32 public constant SETTLER_ROLE = keccak256("SETTLER_ROLE");
    /// @notice The optimistic settlement contract locks, unlocks and pays events by root (O-3, O-5, O-6).
    bytes32 public constant OPTIMISTIC_ROLE = keccak256("OPTIMISTIC_ROLE");
    /// @notice The Disputes contract holds a disputed enrollment's unpaid reservation for its ruling (D-4).
    bytes32 public constant DISPUTES_ROLE = keccak256("DISPUTES_ROLE");

    /// @notice Settlement is open this long after the event day ends, plus the time paused (S-1).
    uint256 public constant SETTLEMENT_WINDOW = 14 days;
    /// @notice A settlement can be disputed this long (D-1); an event closes that long after its deadline (S-9).
    uint256 public constant DISPUTE_WINDOW = DISPUTE_WINDOW_SECONDS;
    /// @notice Events start at most this far ahead (P-3).
    uint256 public constant MAX_LEAD_TIME = 30 days;

    /// @notice Most requests per enrollBatch call (V-6); 400 first enrollments fit a 16.7M-gas transaction.
    uint256 public constant MAX_ENROLL_BATCH = 400;

    uint256 private constant _BPS = 10_000;
    // EnrollmentRefused codes (V-6): 1..8 are IConsumerRegistry.Ineligibility's values (V-2), then V-1 and V-4
    uint8 private constant _REFUSED_HOURS = uint8(IConsumerRegistry.Ineligibility.HoursNotAvailable);
    uint8 private constant _REFUSED_ALREADY_ENROLLED = 9;
    uint8 private constant _REFUSED_COMMITMENT = 10;
    uint8 private constant _REFUSED_DAY_TAKEN = 11;
    uint8 private constant _REFUSED_EVENT_CAP = 12;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IRegionRegistry private immutable _regions;
    IProgramRegistry private immutable _programs;
    IUtilityRegistry private immutable _utilities;
    IConsumerRegistry private immutable _consumers;
    IIncentiveEscrow private immutable _escrow;
    IMeterData private immutable _meterData;

    ILoadForecasting private _forecasting;
    uint256 private _eventCount;

    mapping(uint256 eventId => DrEvent) private _events;
    mapping(uint256 eventId => mapping(address account => Enrollment)) private _enrollments;
    // slither: written through DayBitmap.set on a storage pointer, which slither does not follow
    // slither-disable-next-line uninitialized-state
    mapping(uint32 programId => mapping(uint256 word => uint256 bits)) private _programDays;
    // bit set while the region-day has an event that counts (not withdrawn before its gate, P-6)
    mapping(uint16 regionId => mapping(uint256 word => uint256 bits)) private _regionEventDays;
    // the region-day's events that count, 16 days per word in 16-bit lanes (lane d & 15 of word d >> 4)
    mapping(uint16 regionId => mapping(uint256 word => uint256 lanes)) private _regionEventCounts;
    // slither: written through DayBitmap.set on a storage pointer, which slither does not follow
    // slither-disable-next-line uninitialized-state
    mapping(address account => mapping(uint256 word => uint256 bits)) private _consumerDays;

    /// @dev What every admission to one event reads, loaded once per call (V-1..V-4, V-6).
    struct Admission {
        uint256 eventId;
        uint32 programId;
        uint32 day;
        uint96 rate;
        uint16 bonusCapBps;
        uint256 minutes_; // the event window's length in minutes
        uint256 maxShareWh; // V-1: the program's share of the event's target
        uint256 regionDays; // V-4: the region's event days around the event day (DayBitmap.around)
        IConsumerRegistry.EventTerms terms;
    }

    /// @dev What one recordOutcomes call pays and reports, gathered per consumer and sent once (S-11).
    struct Payout {
        IProgramRegistry.Program program;
        IConsumerRegistry.SettlementReport[] reports; // one per settled enrollment
        address[] payees; // the consumers with a reward
        uint256[] rewards;
        uint256 settled;
        uint256 paid; // payees filled
        uint256 reserved; // the settled enrollments' rewards, together: what leaves the reservation now (D-4)
    }

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(
        address admin,
        IRegionRegistry regions,
        IProgramRegistry programs,
        IUtilityRegistry utilities,
        IConsumerRegistry consumers,
        IIncentiveEscrow escrow,
        IMeterData meterData
    ) {
        _regions = regions;
        _programs = programs;
        _utilities = utilities;
        _consumers = consumers;
        _escrow = escrow;
        _meterData = meterData;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IReductionRequests
    function setForecasting(address forecasting) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _forecasting = ILoadForecasting(forecasting);
        emit ForecastingSet(forecasting);
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function createEvent(
        uint32 programId,
        uint32 day,
        uint8 startInterval,
        uint8 endInterval,
        uint48 targetWh,
        Tier tier
    ) external returns (uint256) {
        IProgramRegistry.Program memory p = _program(programId);
        _requireOwner(programId, p.utility);
        return _createEvent(programId, p, day, startInterval, endInterval, targetWh, tier, false);
    }

    /// @inheritdoc IReductionRequests
    function createTriggeredEvent(
        uint32 programId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        uint48 targetWh,
        Tier tier
    ) external onlyRole(TRIGGER_ROLE) returns (uint256) {
        IProgramRegistry.Program memory p = _program(programId);
        // hours to the region's intervals: at most 24 x 4 = 96, inside uint8
        uint8 perHour = uint8(LocalTime.MINUTES_PER_HOUR / _regions.meterInterval(p.regionId));
        return _createEvent(programId, p, day, startHour * perHour, endHour * perHour, targetWh, tier, true);
    }

    /// @inheritdoc IReductionRequests
    function cancelEvent(uint256 eventId) external {
        DrEvent storage e = _event(eventId);
        IProgramRegistry.Program memory p = _program(e.programId);
        _requireOwner(e.programId, p.utility);
        _requireOpen(eventId, e);
        // P-6: before the gate (the notice time) the event is withdrawn: its days go back to everyone
        bool early = block.timestamp < _gate(e, p.gateLeadHours);
        if (early) _withdrawDays(eventId, e);
        _endEvent(eventId, e, early ? EventStatus.Withdrawn : EventStatus.Cancelled);
    }

    /// @inheritdoc IReductionRequests
    function closeEvent(uint256 eventId) external {
        DrEvent storage e = _event(eventId);
        _requireStatus(eventId, e, EventStatus.Scheduled);
        uint256 closes = _closesAt(e);
        if (block.timestamp <= closes) revert SettlementStillOpen(eventId, closes);
        _endEvent(eventId, e, EventStatus.Closed);
    }

    /// @inheritdoc IReductionRequests
    function holdForDispute(uint256 eventId, address account) external onlyRole(DISPUTES_ROLE) {
        DrEvent storage e = _event(eventId);
        Enrollment storage en = _enrollments[eventId][account];
        uint256 held = uint256(en.reserved) - en.paid; // paid <= reserved (B-7 <= B-8)
        // Disputes opens one dispute per settled enrollment within its window, before the event can close,
        // so `held` is still part of the event's outstanding reservations
        e.reservedOutstanding -= uint96(held);
        emit ResidualHeld(eventId, account, held);
    }

    /*//////////////////////////////////////////////////////////////
                                ENROLLMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function enroll(uint256 eventId, uint48 committedWh) external {
        _enroll(eventId, msg.sender, committedWh, false);
    }

    /// @inheritdoc IReductionRequests
    function enrollFor(uint256 eventId, address account, uint48 committedWh) external onlyRole(KEEPER_ROLE) {
        _enroll(eventId, account, committedWh, true);
    }

    /// @inheritdoc IReductionRequests
    function optOut(uint256 eventId) external {
        _optOut(eventId, msg.sender, false);
    }

    /// @inheritdoc IReductionRequests
    function optOutFor(uint256 eventId, address account) external onlyRole(KEEPER_ROLE) {
        _optOut(eventId, account, true);
    }

    /// @inheritdoc IReductionRequests
    function enrollBatch(
        uint256 eventId,
        EnrollmentRequest[] calldata requests
    ) external onlyRole(KEEPER_ROLE) returns (uint256 admitted) {
        uint256 n = requests.length;
        if (n == 0 || n > MAX_ENROLL_BATCH) revert InvalidBatchSize(n, MAX_ENROLL_BATCH);
        (DrEvent storage e, Admission memory a) = _admission(eventId, true);
        uint256 committed = 0;
        uint256 reserved = 0;
        for (uint256 i = 0; i < n; ++i) {
            EnrollmentRequest calldata r = requests[i];
            (uint8 refusal, uint256 value) = _admit(a, r.account, r.committedWh);
            if (refusal != 0) {
                emit EnrollmentRefused(eventId, r.account, refusal);
                continue;
            }
            committed += r.committedWh;
            reserved += value;
            ++admitted;
        }
        if (admitted == 0) return 0;
        // n <= MAX_ENROLL_BATCH commitments of 48 bits and reservations of 80 bits fit their fields
        e.committedWh += uint64(committed);
        e.reservedOutstanding += SafeCast.toUint96(reserved);
        e.enrolled += uint32(admitted);
        _escrow.reserve(a.programId, reserved); // V-3: one reservation for the batch, or none
    }

    /*//////////////////////////////////////////////////////////////
                                SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function recordOutcomes(
        uint256 eventId,
        address[] calldata accounts,
        IProofSettlement.Outcome[] calldata outcomes
    ) external onlyRole(SETTLER_ROLE) returns (uint256 settled) {
        // no reentrancy lock: only ProofSettlement holds SETTLER_ROLE and it holds one; every enrollment
        // and event write happens before the registries and the escrow are called (S-11)
        uint256 n = accounts.length;
        if (n != outcomes.length) revert OutcomesMismatch(n, outcomes.length);
        DrEvent storage e = _event(eventId);
        _checkEventSettleable(eventId, e);
        // slither: zero-filled memory, its arrays allocated just below
        // slither-disable-next-line uninitialized-local
        Payout memory pay;
        pay.program = _program(e.programId);
        pay.reports = new IConsumerRegistry.SettlementReport[](n);
        pay.payees = new address[](n);
        pay.rewards = new uint256[](n);
        for (uint256 i = 0; i < n; ++i) {
            address account = accounts[i];
            Enrollment storage en = _enrollments[eventId][account];
            if (en.status != EnrollmentStatus.Enrolled) {
                emit SettlementSkipped(eventId, account, en.status); // S-8: settled once
                continue;
            }
            _record(eventId, e, en, account, outcomes[i], pay);
        }
        settled = pay.settled;
        if (settled != 0) _pay(e.programId, pay);
    }

    /*//////////////////////////////////////////////////////////////
                          OPTIMISTIC SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function lockForRoot(uint256 eventId) external onlyRole(OPTIMISTIC_ROLE) {
        DrEvent storage e = _event(eventId);
        // O-3: only a Scheduled event with nothing settled is locked (a settled one matches no status)
        _requireStatus(eventId, e, e.settled == 0 ? EventStatus.Scheduled : EventStatus.None);
        e.status = EventStatus.RootPending;
        emit RootLocked(eventId);
    }

    /// @inheritdoc IReductionRequests
    function unlockRoot(uint256 eventId) external onlyRole(OPTIMISTIC_ROLE) {
        DrEvent storage e = _rootPending(eventId);
        e.status = EventStatus.Scheduled; // O-5, O-12: back to proof-carrying settlement
        emit RootUnlocked(eventId);
    }

    /// @inheritdoc IReductionRequests
    function payRoot(uint256 eventId, uint256 total) external onlyRole(OPTIMISTIC_ROLE) {
        DrEvent storage e = _rootPending(eventId);
        uint256 reserved = e.reservedOutstanding;
        e.status = EventStatus.RootSettled;
        e.reservedOutstanding = 0;
        e.settled = e.enrolled;
        emit RootPaid(eventId, total);
        // O-6: the escrow refuses a total above the event's reservations (ExceedsReservation)
        _escrow.settle(e.programId, msg.sender, reserved, total);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function drEvent(uint256 eventId) external view returns (DrEvent memory) {
        return _events[eventId];
    }

    /// @inheritdoc IReductionRequests
    function enrollment(uint256 eventId, address account) external view returns (Enrollment memory) {
        return _enrollments[eventId][account];
    }

    /// @inheritdoc IReductionRequests
    function eventCount() external view returns (uint256) {
        return _eventCount;
    }

    /// @inheritdoc IReductionRequests
    function regionHasEvent(uint16 regionId, uint32 day) external view returns (bool) {
        return _regionEventDays[regionId].get(day);
    }

    /// @inheritdoc IReductionRequests
    function enrollmentGate(uint256 eventId) external view returns (uint256) {
        DrEvent storage e = _event(eventId);
        return _gate(e, _program(e.programId).gateLeadHours);
    }

    /// @inheritdoc IReductionRequests
    function settlementDeadline(uint256 eventId) external view returns (uint256) {
        return _deadline(_event(eventId));
    }

    /// @inheritdoc IReductionRequests
    function closesAt(uint256 eventId) external view returns (uint256) {
        return _closesAt(_event(eventId));
    }

    /// @inheritdoc IReductionRequests
    function regionEventWords(uint16 regionId, uint256 word) external view returns (uint256, uint256) {
        mapping(uint256 => uint256) storage bits = _regionEventDays[regionId];
        return (bits[word], bits[word + 1]);
    }

    /// @inheritdoc IReductionRequests
    function checkSettleable(uint256 eventId, address account) external view {
        DrEvent storage e = _event(eventId);
        if (account != address(0)) {
            EnrollmentStatus status = _enrollments[eventId][account].status;
            if (status != EnrollmentStatus.Enrolled) revert EnrollmentNotInStatus(eventId, account, status);
        }
        _checkEventSettleable(eventId, e);
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _createEvent(
        uint32 programId,
        IProgramRegistry.Program memory p,
        uint32 day,
        uint8 startInterval,
        uint8 endInterval,
        uint48 targetWh,
        Tier tier,
        bool triggered
    ) private returns (uint256 eventId) {
        uint16 regionId = p.regionId;
        // P-3: the program's utility is active in the region; P-7: the program's type allows this path
        _programs.checkEventAllowed(programId, triggered, uint8(tier));
        _checkEventTime(regionId, day, startInterval, endInterval, p.gateLeadHours);
        mapping(uint256 => uint256) storage programDays = _programDays[programId];
        if (programDays.get(day)) revert ProgramDayTaken(programId, day);
        if (programDays.rollingCapReached(day, p.maxEventsPer30Days)) revert ProgramEventCapReached(programId, day);

        eventId = ++_eventCount;
        DrEvent storage e = _events[eventId];
        e.programId = programId;
        e.day = day;
        e.startInterval = startInterval;
        e.endInterval = endInterval;
        e.tier = tier;
        e.status = EventStatus.Scheduled;
        e.rate = _eventRate(p, tier, regionId);
        e.targetWh = targetWh;
        e.regionId = regionId;
        uint256 paused = _escrow.pausedSeconds();
        if (paused != 0) e.pausedAtCreation = SafeCast.toUint32(paused); // E-8; slot 2 stays untouched otherwise
        programDays.set(day);
        _regionEventDays[regionId].set(day);
        _countRegionEvent(regionId, day, true);
        _emitEventCreated(eventId, e, triggered);
        _utilities.recordEventRun(p.utility);
    }

    /// @dev P-5: a cancelled or closed event releases what its enrollments still reserve.
    function _endEvent(uint256 eventId, DrEvent storage e, EventStatus status) private {
        uint256 released = e.reservedOutstanding;
        e.status = status;
        e.reservedOutstanding = 0;
        if (status == EventStatus.Closed) emit EventClosed(eventId, released);
        else emit EventCancelled(eventId, released); // Cancelled or Withdrawn (P-5, P-6)
        if (released != 0) _escrow.release(e.programId, released);
    }

    /// @dev P-3: whole meter intervals of the region within one day (S-13), its enrollment gate in the
    /// future, starting within 30 days.
    function _checkEventTime(
        uint16 regionId,
        uint32 day,
        uint8 startInterval,
        uint8 endInterval,
        uint8 lead
    ) private view {
        uint256 interval = _regions.meterInterval(regionId);
        if (startInterval >= endInterval || endInterval > LocalTime.MINUTES_PER_DAY / interval) {
            revert Baseline.InvalidEventWindow(startInterval, endInterval);
        }
        uint256 startsAt = _startOf(regionId, day, startInterval, interval);
        uint256 gateLead = uint256(lead) * LocalTime.SECONDS_PER_HOUR;
        if (startsAt <= block.timestamp + gateLead || startsAt > block.timestamp + MAX_LEAD_TIME) {
            revert InvalidEventStart(startsAt, block.timestamp);
        }
    }

    /// @dev The region-day's count of events that count (P-6), up or down; returns the new count.
    function _countRegionEvent(uint16 regionId, uint32 day, bool up) private returns (uint256 count) {
        mapping(uint256 => uint256) storage counts = _regionEventCounts[regionId];
        uint256 shift = (uint256(day) & 15) * 16;
        uint256 word = counts[day >> 4];
        count = (word >> shift) & 0xffff;
        // 65,535 events of one region-day: the next one reverts here rather than corrupt the next lane
        count = up ? count + 1 : count - 1;
        if (count > 0xffff) revert SafeCast.SafeCastOverflowedUintDowncast(16, count);
        counts[day >> 4] = (word & ~(uint256(0xffff) << shift)) | (count << shift);
    }

    /// @dev P-6: an event withdrawn before its gate gives its program's day (and cap) back and, if no
    /// other event of the region counts that day, the region's event day; its consumers' days are freed
    /// lazily (V-4: a consumer's day counts only while its region's day does).
    function _withdrawDays(uint256 eventId, DrEvent storage e) private {
        (uint32 programId, uint32 day, uint16 regionId) = (e.programId, e.day, e.regionId);
        _programDays[programId].unset(day);
        if (_countRegionEvent(regionId, day, false) == 0) _regionEventDays[regionId].unset(day);
        emit EventWithdrawn(eventId, programId, day);
    }

    /// @dev P-4, G-12: an Emergency tier needs the measured level at Emergency (not a forecast alone), any
    /// other tier needs it not to be; rate = floor(floor(base × tier / 10_000) × stress / 10_000), at most
    /// floor(base × cap / 10_000) under a cap.
    // slither: P-4 rounds down after each factor, exactly as the spec and the Python reference
    // slither-disable-next-line divide-before-multiply
    function _eventRate(IProgramRegistry.Program memory p, Tier tier, uint16 regionId) private view returns (uint96) {
        (IGridStatus.GridLevel level, uint256 stress, uint256 cap) = (IGridStatus.GridLevel.Normal, _BPS, 0);
        if (address(_forecasting) != address(0)) (level, stress, cap) = _forecasting.eventTerms(regionId);
        bool emergency = level == IGridStatus.GridLevel.Emergency;
        if (tier == Tier.Emergency && !emergency) revert EmergencyNotMeasured(regionId);
        if (tier != Tier.Emergency && emergency) revert EmergencyTierOnly(regionId);
        uint256 rate = (((uint256(p.baseRate) * _tierBps(p, tier)) / _BPS) * stress) / _BPS;
        uint256 capped = (uint256(p.baseRate) * cap) / _BPS;
        if (cap != 0 && rate > capped) rate = capped;
        return SafeCast.toUint96(rate);
    }

    function _emitEventCreated(uint256 eventId, DrEvent storage e, bool triggered) private {
        emit EventCreated(
            eventId,
            e.programId,
            e.regionId,
            e.day,
            e.startInterval,
            e.endInterval,
            e.tier,
            e.rate,
            e.targetWh,
            triggered
        );
    }

    /// @dev S-1, S-2: enrolled, event not cancelled or closed, deadline not passed, event day committed.
    function _checkEventSettleable(uint256 eventId, DrEvent storage e) private view {
        _requireStatus(eventId, e, EventStatus.Scheduled);
        uint256 deadline = _deadline(e);
        if (block.timestamp > deadline) revert SettlementClosed(eventId, deadline);
        if (!_meterData.hasData(e.regionId, e.day)) revert EventDataNotCommitted(eventId, e.day);
    }

    /// @dev S-5..S-8: one verified outcome, paid (reward from the verified reduction) or insufficient
    /// data (nothing paid, reservation released); the track record (C-9), reputation and payment are
    /// gathered in `pay`.
    function _record(
        uint256 eventId,
        DrEvent storage e,
        Enrollment storage en,
        address account,
        IProofSettlement.Outcome calldata o,
        Payout memory pay
    ) private {
        IProgramRegistry.Program memory p = pay.program;
        uint256 committed = en.committedWh;
        uint256 verified = 0;
        uint256 reward = 0;
        bool sufficient = o.sufficient;
        _markSettled(e, en, sufficient ? EnrollmentStatus.Settled : EnrollmentStatus.InsufficientData);
        if (sufficient) {
            Baseline.Result calldata r = o.result;
            verified = r.reductionWh;
            reward = Baseline.reward(verified, committed, e.rate, p.minDeliveryBps, p.bonusCapBps);
            en.paid = uint80(reward); // reward <= reserved (B-7 <= B-8), which fits uint80
            // D-4: only the reward leaves the reservation; `reserved - paid` stays for a dispute until closing
            e.reservedOutstanding -= uint96(reward);
            pay.reserved += reward;
            emit Settled(eventId, account, r.baselineWh, r.actualWh, verified, r.adjustmentBps, reward, o.baselineDays);
        } else {
            emit SettledInsufficientData(eventId, account, o.baselineDays, o.eventDayMissing);
        }
        pay.reports[pay.settled] = IConsumerRegistry.SettlementReport({
            account: account,
            committedWh: committed,
            verifiedWh: verified,
            reward: reward,
            sufficientData: sufficient
        });
        ++pay.settled;
        if (reward != 0) {
            pay.payees[pay.paid] = account;
            pay.rewards[pay.paid] = reward;
            ++pay.paid;
        }
    }

    /// @dev S-7: the gathered track records, reputation and payments, one call each.
    function _pay(uint32 programId, Payout memory pay) private {
        (IConsumerRegistry.SettlementReport[] memory reports, address[] memory payees, uint256[] memory rewards) = (
            pay.reports,
            pay.payees,
            pay.rewards
        );
        (uint256 settled, uint256 paid) = (pay.settled, pay.paid);
        // shrink the arrays to what was filled (each was allocated for every account of the call)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(reports, settled)
            mstore(payees, paid)
            mstore(rewards, paid)
        }
        IProgramRegistry.Program memory p = pay.program;
        _consumers.recordSettlements(p.token, p.minDeliveryBps, reports);
        if (paid != 0) _utilities.recordConsumersPaid(p.utility, paid);
        _escrow.settleBatch(programId, pay.reserved, payees, rewards);
    }

    /// @dev The bookkeeping both settlement outcomes share (S-8): the enrollment's status and time. The
    /// reservation stays outstanding (D-4); a reward takes its part off in `_record`.
    function _markSettled(DrEvent storage e, Enrollment storage en, EnrollmentStatus status) private {
        en.status = status;
        en.settledAt = uint32(block.timestamp);
        ++e.settled;
    }

    function _enroll(uint256 eventId, address account, uint48 committedWh, bool byKeeper) private {
        (DrEvent storage e, Admission memory a) = _admission(eventId, byKeeper);
        (uint8 refusal, uint256 value) = _admit(a, account, committedWh);
        if (refusal != 0) _revertRefusal(a, account, committedWh, refusal, value);
        e.committedWh += committedWh;
        e.reservedOutstanding += SafeCast.toUint96(value);
        ++e.enrolled;
        _escrow.reserve(a.programId, value);
    }

    /// @dev V-1: the event is open and before its gate; what every admission to it reads, loaded once.
    function _admission(uint256 eventId, bool byKeeper) private view returns (DrEvent storage e, Admission memory a) {
        e = _event(eventId);
        a.programId = e.programId;
        IProgramRegistry.Program memory p = _program(a.programId);
        _requireBeforeGate(eventId, e, p.gateLeadHours);
        a.eventId = eventId;
        a.day = e.day;
        a.rate = e.rate;
        uint256 interval = _regions.meterInterval(e.regionId);
        a.minutes_ = uint256(e.endInterval - e.startInterval) * interval;
        a.bonusCapBps = p.bonusCapBps;
        a.maxShareWh = (uint256(e.targetWh) * p.maxShareBps) / _BPS;
        a.regionDays = _regionEventDays[e.regionId].around(a.day);
        a.terms = IConsumerRegistry.EventTerms({
            regionId: e.regionId,
            classMask: p.classMask,
            rate: a.rate,
            // the hours the window touches: [floor(start), ceil(end)) in hours (V-2)
            startHour: uint8((e.startInterval * interval) / LocalTime.MINUTES_PER_HOUR),
            endHour: uint8((e.endInterval * interval + LocalTime.MINUTES_PER_HOUR - 1) / LocalTime.MINUTES_PER_HOUR),
            byKeeper: byKeeper
        });
    }

    /// @dev V-1..V-4 for one consumer; on success writes its enrollment and day and emits Enrolled,
    /// leaving the event's totals and the escrow to the caller. Returns the refusal (0 = admitted,
    /// else an EnrollmentRefused code) and the reservation (admitted), the eligibility reason (1..8)
    /// or the maximum commitment (_REFUSED_COMMITMENT).
    // slither: at most MAX_ENROLL_BATCH iterations of a view call to the protocol's own ConsumerRegistry
    // slither-disable-next-line calls-loop
    function _admit(
        Admission memory a,
        address account,
        uint48 committedWh
    ) private returns (uint8 refusal, uint256 value) {
        Enrollment storage en = _enrollments[a.eventId][account];
        if (en.status != EnrollmentStatus.None) return (_REFUSED_ALREADY_ENROLLED, 0);
        IConsumerRegistry.Eligibility memory c = _consumers.eligibility(account, a.terms);
        if (c.reason != 0) return (c.reason, c.reason); // an IConsumerRegistry.Ineligibility
        uint256 maxWh = (uint256(c.capacityW) * a.minutes_) / LocalTime.MINUTES_PER_HOUR; // V-3, rounded down
        if (maxWh > a.maxShareWh) maxWh = a.maxShareWh; // P5: at most the program's share of the target
        if (committedWh == 0 || committedWh > maxWh) return (_REFUSED_COMMITMENT, maxWh);
        mapping(uint256 => uint256) storage taken = _consumerDays[account];
        // V-4, P-6: a consumer's day counts only while its region's day does (a withdrawn event's days
        // are free again); the event day itself is taken unless this event is the only one left that day
        uint256 days_ = taken.around(a.day);
        if ((days_ >> (DayBitmap.WINDOW_DAYS - 1)) & 1 == 1 && _regionEventsOn(a.terms.regionId, a.day) != 1) {
            return (_REFUSED_DAY_TAKEN, 0);
        }
        if (DayBitmap.capReached(days_ & a.regionDays, c.maxEventsPer30Days)) return (_REFUSED_EVENT_CAP, 0);

        value = Baseline.maxReward(committedWh, a.rate, a.bonusCapBps);
        en.committedWh = committedWh;
        en.reserved = SafeCast.toUint80(value);
        en.status = EnrollmentStatus.Enrolled;
        taken.set(a.day);
        emit Enrolled(a.eventId, account, committedWh, value, a.terms.byKeeper);
    }

    /// @dev The single-consumer paths revert with the rule's own error.
    function _revertRefusal(
        Admission memory a,
        address account,
        uint48 committedWh,
        uint8 refusal,
        uint256 value
    ) private pure {
        if (refusal <= _REFUSED_HOURS) revert ConsumerNotEligible(account, refusal);
        if (refusal == _REFUSED_ALREADY_ENROLLED) revert AlreadyEnrolled(a.eventId, account);
        if (refusal == _REFUSED_COMMITMENT) revert InvalidCommitment(committedWh, value);
        if (refusal == _REFUSED_DAY_TAKEN) revert ConsumerDayTaken(account, a.day);
        revert ConsumerEventCapReached(account, a.day);
    }

    function _rootPending(uint256 eventId) private view returns (DrEvent storage e) {
        e = _event(eventId);
        _requireStatus(eventId, e, EventStatus.RootPending);
    }

    function _requireStatus(uint256 eventId, DrEvent storage e, EventStatus status) private view {
        if (e.status != status) revert EventNotSettleable(eventId, e.status);
    }

    /// @dev V-1, P-5: scheduled and not started.
    function _requireOpen(uint256 eventId, DrEvent storage e) private view {
        if (e.status != EventStatus.Scheduled || block.timestamp >= _startsAt(e)) revert EventNotOpen(eventId);
    }

    /// @dev V-1, V-7: scheduled and before the enrollment gate.
    function _requireBeforeGate(uint256 eventId, DrEvent storage e, uint8 lead) private view {
        if (e.status != EventStatus.Scheduled) revert EventNotOpen(eventId);
        uint256 gate = _gate(e, lead);
        if (block.timestamp >= gate) revert EnrollmentClosed(eventId, gate);
    }

    /// @dev V-7: the consumer leaves a scheduled event before its gate; its reservation is released.
    function _optOut(uint256 eventId, address account, bool byKeeper) private {
        DrEvent storage e = _event(eventId);
        _requireBeforeGate(eventId, e, _program(e.programId).gateLeadHours);
        Enrollment storage en = _enrollments[eventId][account];
        if (en.status != EnrollmentStatus.Enrolled) revert EnrollmentNotInStatus(eventId, account, en.status);
        uint256 released = en.reserved;
        e.committedWh -= en.committedWh;
        e.reservedOutstanding -= uint96(released);
        --e.enrolled;
        delete _enrollments[eventId][account];
        _consumerDays[account].unset(e.day);
        emit OptedOut(eventId, account, released, byKeeper);
        if (released != 0) _escrow.release(e.programId, released);
    }

    function _regionEventsOn(uint16 regionId, uint32 day) private view returns (uint256) {
        return (_regionEventCounts[regionId][day >> 4] >> ((uint256(day) & 15) * 16)) & 0xffff;
    }

    /// @dev V-1: enrollment closes `lead` hours before the start.
    function _gate(DrEvent storage e, uint8 lead) private view returns (uint256) {
        return _startsAt(e) - uint256(lead) * LocalTime.SECONDS_PER_HOUR;
    }

    function _requireOwner(uint32 programId, address utility) private view {
        if (utility != msg.sender) revert NotProgramOwner(programId, msg.sender);
    }

    function _event(uint256 eventId) private view returns (DrEvent storage e) {
        e = _events[eventId];
        if (e.status == EventStatus.None) revert UnknownEvent(eventId);
    }

    function _startsAt(DrEvent storage e) private view returns (uint256) {
        return _startOf(e.regionId, e.day, e.startInterval, _regions.meterInterval(e.regionId));
    }

    /// @dev P-3: the first second of interval `startInterval` (of `interval` minutes) of the local day.
    function _startOf(
        uint16 regionId,
        uint32 day,
        uint8 startInterval,
        uint256 interval
    ) private view returns (uint256) {
        return _regions.localDayStart(regionId, day) + uint256(startInterval) * interval * LocalTime.SECONDS_PER_MINUTE;
    }

    /// @dev S-1, E-8: the window counts only time the escrow was not paused since the event's creation.
    function _deadline(DrEvent storage e) private view returns (uint256) {
        uint256 paused = _escrow.pausedSeconds() - e.pausedAtCreation;
        return _regions.localDayStart(e.regionId, e.day + 1) + SETTLEMENT_WINDOW + paused;
    }

    /// @dev D-4, S-9: the event closes once every dispute window of its settlements has closed.
    function _closesAt(DrEvent storage e) private view returns (uint256) {
        return _deadline(e) + DISPUTE_WINDOW;
    }

    function _program(uint32 programId) private view returns (IProgramRegistry.Program memory) {
        return _programs.program(programId);
    }

    function _tierBps(IProgramRegistry.Program memory p, Tier tier) private pure returns (uint256) {
        if (tier == Tier.Economic) return p.economicBps;
        if (tier == Tier.Emergency) return p.emergencyBps;
        return _BPS;
    }
}
