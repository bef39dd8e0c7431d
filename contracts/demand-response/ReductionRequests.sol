// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {ILoadForecasting} from "../interfaces/ILoadForecasting.sol";
import {Baseline} from "../libraries/Baseline.sol";
import {DayBitmap} from "../libraries/DayBitmap.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title ReductionRequests
/// @notice Programs, events, enrollment, settlement and disputes (SPECIFICATION.md §7).
/// Settlement recomputes every result from committed meter data: the contract chooses the baseline
/// days itself, verifies every record against its batch root, and runs the Baseline library.
contract ReductionRequests is IReductionRequests, AccessControl, ReentrancyGuard {
    using DayBitmap for mapping(uint256 => uint256);

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Keepers enroll consenting consumers.
    bytes32 public constant KEEPER_ROLE = keccak256("KEEPER_ROLE");
    /// @notice The forecasting contract creates auto-triggered events.
    bytes32 public constant TRIGGER_ROLE = keccak256("TRIGGER_ROLE");
    /// @notice Arbiters resolve disputes.
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @notice The optimistic settlement contract locks, unlocks and pays events by root (O-3, O-5, O-6).
    bytes32 public constant OPTIMISTIC_ROLE = keccak256("OPTIMISTIC_ROLE");

    /// @notice Baseline days are searched at most this many days back (S-3).
    uint32 public constant LOOKBACK_DAYS = 45;
    /// @notice Settlement is open this long after the event day ends (S-1).
    uint256 public constant SETTLEMENT_WINDOW = 14 days;
    /// @notice Disputes open this long after settlement (D-1).
    uint256 public constant DISPUTE_WINDOW = 7 days;
    /// @notice Events start at most this far ahead (P-3).
    uint256 public constant MAX_LEAD_TIME = 30 days;

    uint8 private constant _CONSENT_DATA_USE = 1;
    uint8 private constant _CONSENT_AUTO_ENROLL = 2;
    uint256 private constant _BPS = 10_000;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IRegionRegistry private immutable _regions;
    IUtilityRegistry private immutable _utilities;
    IConsumerRegistry private immutable _consumers;
    IIncentiveEscrow private immutable _escrow;
    IMeterData private immutable _meterData;

    ILoadForecasting private _forecasting;
    uint32 private _programCount;
    uint256 private _eventCount;

    mapping(uint32 programId => Program) private _programs;
    mapping(uint256 eventId => DrEvent) private _events;
    mapping(uint256 eventId => mapping(address account => Enrollment)) private _enrollments;
    // slither: written through DayBitmap.set on a storage pointer, which slither does not follow
    // slither-disable-next-line uninitialized-state
    mapping(uint32 programId => mapping(uint256 word => uint256 bits)) private _programDays;
    mapping(uint16 regionId => mapping(uint256 word => uint256 bits)) private _regionEventDays;
    // slither: written through DayBitmap.set on a storage pointer, which slither does not follow
    // slither-disable-next-line uninitialized-state
    mapping(address account => mapping(uint256 word => uint256 bits)) private _consumerDays;

    /// @dev Working state of one settlement (keeps the stack shallow).
    struct Walk {
        uint16 regionId;
        uint32 consumerId;
        uint32 eventDay;
        uint32 earliest; // first day (inclusive) the walk may reach
        bool weekendLike; // event on a weekend day or holiday
        uint256 next; // index of the next record to consume
        uint256 baseWord; // word index of `earliest`; the walk spans this word and the next
        uint256[2] holidays; // the region's holiday bits for those two words
        uint256[2] eventDays; // the region's event-day bits
        uint256[2] data; // the region's data-present bits
        bool signedData; // the program counts meter-signed records only (S-10)
        uint32 keyFromDay; // the consumer's meter keys (C-11), read when signedData
        address key;
        address previousKey;
    }

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    constructor(
        address admin,
        IRegionRegistry regions,
        IUtilityRegistry utilities,
        IConsumerRegistry consumers,
        IIncentiveEscrow escrow,
        IMeterData meterData
    ) {
        _regions = regions;
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
                                 PROGRAMS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function createProgram(
        uint16 regionId,
        ProgramParams calldata p,
        uint256 budget
    ) external nonReentrant returns (uint32 programId) {
        if (!_utilities.isActiveUtility(msg.sender, regionId)) revert UtilityNotActive(msg.sender, regionId);
        _validateProgram(p);
        programId = ++_programCount;
        _programs[programId] = Program({
            utility: msg.sender,
            regionId: regionId,
            method: p.method,
            classMask: p.classMask,
            adjWindowHours: p.adjWindowHours,
            adjGapHours: p.adjGapHours,
            adjCapBps: p.adjCapBps,
            minDeliveryBps: p.minDeliveryBps,
            bonusCapBps: p.bonusCapBps,
            token: p.token,
            baseRate: p.baseRate,
            maxEventsPer30Days: p.maxEventsPer30Days,
            economicBps: p.economicBps,
            emergencyBps: p.emergencyBps,
            signedData: p.signedData
        });
        emit ProgramCreated(programId, msg.sender, regionId, p);
        _escrow.openProgram(programId, p.token, msg.sender, budget);
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function createEvent(
        uint32 programId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        uint48 targetWh,
        Tier tier
    ) external returns (uint256) {
        if (_programs[programId].utility != msg.sender) revert NotProgramOwner(programId, msg.sender);
        return _createEvent(programId, day, startHour, endHour, targetWh, tier, false);
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
        return _createEvent(programId, day, startHour, endHour, targetWh, tier, true);
    }

    /// @inheritdoc IReductionRequests
    function cancelEvent(uint256 eventId) external {
        DrEvent storage e = _event(eventId);
        if (_programs[e.programId].utility != msg.sender) revert NotProgramOwner(e.programId, msg.sender);
        if (e.status != EventStatus.Scheduled || block.timestamp >= _startsAt(e)) revert EventNotOpen(eventId);
        _endEvent(eventId, e, EventStatus.Cancelled);
    }

    /// @inheritdoc IReductionRequests
    function closeEvent(uint256 eventId) external {
        DrEvent storage e = _event(eventId);
        if (e.status != EventStatus.Scheduled) revert EventNotSettleable(eventId, e.status);
        uint256 deadline = _deadline(e);
        if (block.timestamp <= deadline) revert SettlementStillOpen(eventId, deadline);
        _endEvent(eventId, e, EventStatus.Closed);
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

    /*//////////////////////////////////////////////////////////////
                                SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function settle(uint256 eventId, address account, LeafProof[] calldata leaves) external nonReentrant {
        DrEvent storage e = _event(eventId);
        Enrollment storage en = _enrollments[eventId][account];
        _checkSettleable(eventId, e, en, account);
        (bool eventMissing, uint32[24] memory eventDay, uint32[24][] memory dayList, uint256 n) = _gather(
            e,
            account,
            leaves
        );
        if (eventMissing || n < Baseline.MIN_DAYS) {
            _settleInsufficient(eventId, e, en, account, n, eventMissing);
            return;
        }
        // shrink a memory array's length in place
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(dayList, n) // shrink to the days found; n <= the allocated length
        }
        Baseline.Result memory r = Baseline.compute(dayList, eventDay, _baselineParams(_programs[e.programId], e));
        _settlePaid(eventId, e, en, account, r, n);
    }

    /*//////////////////////////////////////////////////////////////
                          OPTIMISTIC SETTLEMENT
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function setRootStatus(uint256 eventId, EventStatus to, uint256 total) external onlyRole(OPTIMISTIC_ROLE) {
        DrEvent storage e = _event(eventId);
        EventStatus from = e.status;
        // O-3: only an event with nothing settled is locked; O-5, O-6: a lock ends voided or paid
        bool allowed =
            to == EventStatus.RootPending
                ? from == EventStatus.Scheduled && e.settled == 0
                : from == EventStatus.RootPending && (to == EventStatus.Scheduled || to == EventStatus.RootSettled);
        if (!allowed) revert EventNotSettleable(eventId, from);
        e.status = to;
        uint256 reserved = 0;
        if (to == EventStatus.RootSettled) {
            reserved = e.reservedOutstanding;
            e.reservedOutstanding = 0;
            e.settled = e.enrolled;
        }
        emit RootStatusChanged(eventId, to, total);
        // O-6: the escrow refuses a total above the event's reservations (ExceedsReservation)
        if (to == EventStatus.RootSettled) _escrow.settle(e.programId, msg.sender, reserved, total);
    }

    /*//////////////////////////////////////////////////////////////
                                 DISPUTES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function openDispute(uint256 eventId, bytes32 reasonHash) external {
        Enrollment storage en = _enrollments[eventId][msg.sender];
        if (en.status != EnrollmentStatus.Settled && en.status != EnrollmentStatus.InsufficientData) {
            revert EnrollmentNotInStatus(eventId, msg.sender, en.status);
        }
        if (block.timestamp > uint256(en.settledAt) + DISPUTE_WINDOW) revert DisputeWindowClosed(eventId, msg.sender);
        en.status = EnrollmentStatus.Disputed;
        emit DisputeOpened(eventId, msg.sender, reasonHash);
    }

    /// @inheritdoc IReductionRequests
    function upholdDispute(uint256 eventId, address account, uint256 adjustment) external onlyRole(ARBITER_ROLE) {
        Enrollment storage en = _disputed(eventId, account);
        uint256 max = uint256(en.reserved) - en.paid;
        if (adjustment > max) revert AdjustmentTooLarge(adjustment, max);
        en.status = EnrollmentStatus.DisputeUpheld;
        en.paid += uint80(adjustment);
        emit DisputeResolved(eventId, account, true, adjustment);
        uint32 programId = _events[eventId].programId;
        _utilities.recordDisputeLost(_programs[programId].utility);
        if (adjustment != 0) _escrow.payAdjustment(programId, account, adjustment);
    }

    /// @inheritdoc IReductionRequests
    function rejectDispute(uint256 eventId, address account) external onlyRole(ARBITER_ROLE) {
        Enrollment storage en = _disputed(eventId, account);
        en.status = EnrollmentStatus.DisputeRejected;
        emit DisputeResolved(eventId, account, false, 0);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IReductionRequests
    function program(uint32 programId) external view returns (Program memory) {
        return _programs[programId];
    }

    /// @inheritdoc IReductionRequests
    function drEvent(uint256 eventId) external view returns (DrEvent memory) {
        return _events[eventId];
    }

    /// @inheritdoc IReductionRequests
    function enrollment(uint256 eventId, address account) external view returns (Enrollment memory) {
        return _enrollments[eventId][account];
    }

    /// @inheritdoc IReductionRequests
    function programCount() external view returns (uint32) {
        return _programCount;
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
    function settlementDeadline(uint256 eventId) external view returns (uint256) {
        return _deadline(_event(eventId));
    }

    /// @inheritdoc IReductionRequests
    function candidateDays(uint256 eventId, address account) external view returns (uint32[] memory dayList) {
        DrEvent storage e = _event(eventId);
        Walk memory w = _startWalk(e, account);
        dayList = new uint32[](LOOKBACK_DAYS);
        uint256 n;
        for (uint32 i = 1; i <= LOOKBACK_DAYS; ++i) {
            uint32 d = w.eventDay - i;
            if (d < w.earliest) break;
            if (_isCandidate(w, d)) {
                dayList[n] = d;
                ++n;
            }
        }
        // shrink a memory array's length in place
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(dayList, n)
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _createEvent(
        uint32 programId,
        uint32 day,
        uint8 startHour,
        uint8 endHour,
        uint48 targetWh,
        Tier tier,
        bool triggered
    ) private returns (uint256 eventId) {
        Program storage p = _programs[programId];
        if (p.utility == address(0)) revert UnknownProgram(programId);
        uint16 regionId = p.regionId;
        if (!_utilities.isActiveUtility(p.utility, regionId)) revert UtilityNotActive(p.utility, regionId);
        _checkEventTime(regionId, day, startHour, endHour);
        mapping(uint256 => uint256) storage programDays = _programDays[programId];
        if (programDays.get(day)) revert ProgramDayTaken(programId, day);
        if (programDays.count(day - 29, day) >= p.maxEventsPer30Days) revert ProgramEventCapReached(programId, day);

        eventId = ++_eventCount;
        DrEvent storage e = _events[eventId];
        e.programId = programId;
        e.day = day;
        e.startHour = startHour;
        e.endHour = endHour;
        e.tier = tier;
        e.status = EventStatus.Scheduled;
        e.rate = _eventRate(p, tier, regionId);
        e.targetWh = targetWh;
        e.regionId = regionId;
        programDays.set(day);
        _regionEventDays[regionId].set(day);
        _emitEventCreated(eventId, e, triggered);
        _utilities.recordEventRun(p.utility);
    }

    /// @dev P-5: a cancelled or closed event releases what its enrollments still reserve.
    function _endEvent(uint256 eventId, DrEvent storage e, EventStatus status) private {
        uint256 released = e.reservedOutstanding;
        e.status = status;
        e.reservedOutstanding = 0;
        if (status == EventStatus.Cancelled) emit EventCancelled(eventId, released);
        else emit EventClosed(eventId, released);
        if (released != 0) _escrow.release(e.programId, released);
    }

    /// @dev P-3: whole hours within one day, starting in the future and within 30 days.
    function _checkEventTime(uint16 regionId, uint32 day, uint8 startHour, uint8 endHour) private view {
        if (startHour >= endHour || endHour > 24) revert Baseline.InvalidEventWindow(startHour, endHour);
        int16 offset = _offset(regionId);
        uint256 startsAt = LocalTime.dayStart(offset, day) + uint256(startHour) * LocalTime.SECONDS_PER_HOUR;
        if (startsAt <= block.timestamp || startsAt > block.timestamp + MAX_LEAD_TIME) {
            revert InvalidEventStart(startsAt, block.timestamp);
        }
    }

    /// @dev P-4: rate = floor(floor(base × tier / 10_000) × stress / 10_000).
    // slither: P-4 rounds down after each factor, exactly as the spec and the Python reference
    // slither-disable-next-line divide-before-multiply
    function _eventRate(Program storage p, Tier tier, uint16 regionId) private view returns (uint96) {
        uint256 rate = (uint256(p.baseRate) * _tierBps(p, tier)) / _BPS;
        if (address(_forecasting) != address(0)) rate = (rate * _forecasting.stressMultiplierBps(regionId)) / _BPS;
        return SafeCast.toUint96(rate);
    }

    function _emitEventCreated(uint256 eventId, DrEvent storage e, bool triggered) private {
        emit EventCreated(
            eventId,
            e.programId,
            e.regionId,
            e.day,
            e.startHour,
            e.endHour,
            e.tier,
            e.rate,
            e.targetWh,
            triggered
        );
    }

    /// @dev S-1, S-2: enrolled, event not cancelled or closed, deadline not passed, event day committed.
    function _checkSettleable(uint256 eventId, DrEvent storage e, Enrollment storage en, address account) private view {
        if (en.status != EnrollmentStatus.Enrolled) revert EnrollmentNotInStatus(eventId, account, en.status);
        if (e.status != EventStatus.Scheduled) revert EventNotSettleable(eventId, e.status);
        uint256 deadline = _deadline(e);
        if (block.timestamp > deadline) revert SettlementClosed(eventId, deadline);
        if (!_meterData.hasData(e.regionId, e.day)) revert EventDataNotCommitted(eventId, e.day);
    }

    /// @dev Verify the event-day record, then walk the baseline days (S-3, S-4).
    function _gather(
        DrEvent storage e,
        address account,
        LeafProof[] calldata leaves
    ) private view returns (bool eventMissing, uint32[24] memory eventDay, uint32[24][] memory dayList, uint256 n) {
        Walk memory w = _startWalk(e, account);
        if (leaves.length == 0) revert MissingLeaf(e.day);
        (eventMissing, eventDay) = _verifyLeaf(leaves[0], w, e.day, false);
        w.next = 1;
        (dayList, n) = _collectBaselineDays(leaves, w);
    }

    /// @dev S-6: nothing paid, reservation released, recorded as insufficient data.
    function _settleInsufficient(
        uint256 eventId,
        DrEvent storage e,
        Enrollment storage en,
        address account,
        uint256 n,
        bool eventMissing
    ) private {
        Program storage p = _programs[e.programId];
        uint256 reserved = _markSettled(e, en, EnrollmentStatus.InsufficientData);
        emit SettledInsufficientData(eventId, account, n, eventMissing);
        _recordSettlement(account, p, en.committedWh, 0, 0, false);
        _escrow.release(e.programId, reserved);
    }

    /// @dev S-5, S-7, S-8: reward from the verified reduction, record, reputation, payment.
    function _settlePaid(
        uint256 eventId,
        DrEvent storage e,
        Enrollment storage en,
        address account,
        Baseline.Result memory r,
        uint256 n
    ) private {
        Program storage p = _programs[e.programId];
        uint256 committed = en.committedWh;
        uint256 reward = Baseline.reward(r.reductionWh, committed, e.rate, p.minDeliveryBps, p.bonusCapBps);
        uint256 reserved = _markSettled(e, en, EnrollmentStatus.Settled);
        en.paid = uint80(reward); // reward <= reserved (B-7 <= B-8), which fits uint80
        emit Settled(eventId, account, r.baselineWh, r.actualWh, r.reductionWh, r.adjustmentBps, reward, n);
        _recordSettlement(account, p, committed, r.reductionWh, reward, true);
        if (reward != 0) _utilities.recordConsumerPaid(p.utility);
        _escrow.settle(e.programId, account, reserved, reward);
    }

    /// @dev C-9: the consumer's track record (one call site for both outcomes keeps the code small).
    function _recordSettlement(
        address account,
        Program storage p,
        uint256 committed,
        uint256 verifiedWh,
        uint256 reward,
        bool sufficient
    ) private {
        _consumers.recordSettlement(account, p.token, committed, verifiedWh, reward, p.minDeliveryBps, sufficient);
    }

    /// @dev The bookkeeping both settlement outcomes share (S-8): the enrollment's status and time, and
    /// its reservation taken off the event's outstanding total. Returns that reservation.
    function _markSettled(
        DrEvent storage e,
        Enrollment storage en,
        EnrollmentStatus status
    ) private returns (uint256 reserved) {
        reserved = en.reserved;
        en.status = status;
        en.settledAt = uint32(block.timestamp);
        e.reservedOutstanding -= uint128(reserved);
        ++e.settled;
    }

    function _enroll(uint256 eventId, address account, uint48 committedWh, bool byKeeper) private {
        DrEvent storage e = _event(eventId);
        if (e.status != EventStatus.Scheduled || block.timestamp >= _startsAt(e)) revert EventNotOpen(eventId);
        Enrollment storage en = _enrollments[eventId][account];
        if (en.status != EnrollmentStatus.None) revert AlreadyEnrolled(eventId, account);
        Program storage p = _programs[e.programId];
        IConsumerRegistry.Consumer memory c = _consumers.consumer(account);
        _checkEligible(account, c, p, e, byKeeper);

        uint256 hours_ = e.endHour - e.startHour;
        uint256 maxWh = uint256(c.capacityW) * hours_;
        if (committedWh == 0 || committedWh > maxWh) revert InvalidCommitment(committedWh, maxWh);
        mapping(uint256 => uint256) storage taken = _consumerDays[account];
        if (taken.get(e.day)) revert ConsumerDayTaken(account, e.day);
        if (taken.count(e.day - 29, e.day) >= c.maxEventsPer30Days) revert ConsumerEventCapReached(account, e.day);

        uint256 reserve = Baseline.maxReward(committedWh, e.rate, p.bonusCapBps);
        en.committedWh = committedWh;
        en.reserved = SafeCast.toUint80(reserve);
        en.status = EnrollmentStatus.Enrolled;
        taken.set(e.day);
        e.committedWh += committedWh;
        e.reservedOutstanding += uint128(reserve);
        ++e.enrolled;
        emit Enrolled(eventId, account, committedWh, reserve, byKeeper);
        _escrow.reserve(e.programId, reserve);
    }

    function _checkEligible(
        address account,
        IConsumerRegistry.Consumer memory c,
        Program storage p,
        DrEvent storage e,
        bool byKeeper
    ) private view {
        uint8 reason = 0;
        if (c.status != IConsumerRegistry.ConsumerStatus.Active) reason = 1;
        else if (c.paused) reason = 2;
        else if (c.consent & _CONSENT_DATA_USE == 0) reason = 3;
        else if (byKeeper && c.consent & _CONSENT_AUTO_ENROLL == 0) reason = 4;
        else if (c.regionId != e.regionId) reason = 5;
        else if ((p.classMask >> uint8(c.class)) & 1 == 0) reason = 6;
        else if (e.rate < c.minRate) reason = 7;
        else if (!_hoursAvailable(c.availableHours, e.startHour, e.endHour)) reason = 8;
        if (reason != 0) revert ConsumerNotEligible(account, reason);
    }

    function _hoursAvailable(uint24 mask, uint8 startHour, uint8 endHour) private pure returns (bool) {
        uint256 need = ((uint256(1) << (endHour - startHour)) - 1) << startHour;
        return uint256(mask) & need == need;
    }

    // slither: two iterations, view calls to the protocol's own registries
    // slither-disable-next-line calls-loop
    function _startWalk(DrEvent storage e, address account) private view returns (Walk memory w) {
        IConsumerRegistry.Consumer memory c = _consumers.consumer(account);
        w.regionId = e.regionId;
        w.consumerId = c.id;
        w.eventDay = e.day;
        // days after activation only (M-6), within the lookback (S-3)
        uint32 earliest = e.day - LOOKBACK_DAYS;
        w.earliest = c.activationDay + 1 > earliest ? c.activationDay + 1 : earliest;
        w.weekendLike = LocalTime.isWeekend(e.day) || _regions.isHoliday(e.regionId, e.day);
        // the walk covers at most 45 days, so at most two bitmap words: read each once
        uint256 base = w.earliest >> 8;
        w.baseWord = base;
        for (uint256 k; k < 2; ++k) {
            w.holidays[k] = _regions.holidayWord(e.regionId, base + k);
            w.eventDays[k] = _regionEventDays[e.regionId][base + k];
            w.data[k] = _meterData.dataWord(e.regionId, base + k);
        }
        if (_programs[e.programId].signedData) {
            IConsumerRegistry.MeterKey memory key = _consumers.meterKey(account);
            (w.signedData, w.keyFromDay, w.key, w.previousKey) = (true, key.fromDay, key.key, key.previousKey);
        }
    }

    /// @dev S-3: a like day that is not an event day of the region, has committed data and (for a
    /// weekday event) is not a holiday.
    function _isCandidate(Walk memory w, uint32 d) private pure returns (bool) {
        uint256 k = (uint256(d) >> 8) - w.baseWord;
        uint256 bit = uint256(1) << (d & 0xff);
        bool holiday = w.holidays[k] & bit != 0;
        bool like = w.weekendLike ? (LocalTime.isWeekend(d) || holiday) : (!LocalTime.isWeekend(d) && !holiday);
        return like && w.eventDays[k] & bit == 0 && w.data[k] & bit != 0;
    }

    /// @dev Walk back from the event day; every candidate day's record must be supplied, in order,
    /// until 10 days with data are found or the lookback ends (S-3, S-4).
    function _collectBaselineDays(
        LeafProof[] calldata leaves,
        Walk memory w
    ) private view returns (uint32[24][] memory dayList, uint256 n) {
        dayList = new uint32[24][](Baseline.MAX_DAYS);
        for (uint32 i = 1; i <= LOOKBACK_DAYS && n < Baseline.MAX_DAYS; ++i) {
            uint32 d = w.eventDay - i;
            if (d < w.earliest) break;
            if (!_isCandidate(w, d)) continue;
            if (w.next >= leaves.length) revert MissingLeaf(d);
            (bool missing, uint32[24] memory r) = _verifyLeaf(leaves[w.next], w, d, true);
            ++w.next;
            if (!missing) {
                dayList[n] = r;
                ++n;
            }
        }
        if (w.next != leaves.length) revert UnexpectedLeaf(w.next);
    }

    /// @dev One record the walk requires: MeterData checks its header, its proof and, in a signed-data
    /// program, its meter's signature (S-2, S-3, S-10). `missing`: flagged missing or not counted.
    function _verifyLeaf(
        LeafProof calldata lp,
        Walk memory w,
        uint32 expectedDay,
        bool baselineDay
    ) private view returns (bool missing, uint32[24] memory readings) {
        IMeterData.RecordQuery memory q = IMeterData.RecordQuery({
            regionId: w.regionId,
            consumerId: w.consumerId,
            day: expectedDay,
            batchIndex: lp.batchIndex,
            baselineDay: baselineDay,
            signedOnly: w.signedData,
            signer: expectedDay < w.keyFromDay ? w.previousKey : w.key
        });
        bool counted;
        (counted, readings) = _meterData.verifiedReadings(q, lp.record, lp.proof);
        missing = !counted;
    }

    function _baselineParams(Program storage p, DrEvent storage e) private view returns (Baseline.Params memory) {
        return
            Baseline.Params({
                method: p.method,
                startHour: e.startHour,
                endHour: e.endHour,
                adjWindowHours: p.adjWindowHours,
                adjGapHours: p.adjGapHours,
                adjCapBps: p.adjCapBps
            });
    }

    function _disputed(uint256 eventId, address account) private view returns (Enrollment storage en) {
        en = _enrollments[eventId][account];
        if (en.status != EnrollmentStatus.Disputed) revert EnrollmentNotInStatus(eventId, account, en.status);
    }

    function _event(uint256 eventId) private view returns (DrEvent storage e) {
        e = _events[eventId];
        if (e.status == EventStatus.None) revert UnknownEvent(eventId);
    }

    function _startsAt(DrEvent storage e) private view returns (uint256) {
        return LocalTime.dayStart(_offset(e.regionId), e.day) + uint256(e.startHour) * LocalTime.SECONDS_PER_HOUR;
    }

    function _offset(uint16 regionId) private view returns (int16) {
        return _regions.region(regionId).utcOffsetMinutes;
    }

    function _deadline(DrEvent storage e) private view returns (uint256) {
        return LocalTime.dayStart(_offset(e.regionId), e.day + 1) + SETTLEMENT_WINDOW;
    }

    function _tierBps(Program storage p, Tier tier) private view returns (uint256) {
        if (tier == Tier.Economic) return p.economicBps;
        if (tier == Tier.Emergency) return p.emergencyBps;
        return _BPS;
    }

    function _validateProgram(ProgramParams calldata p) private view {
        if (!_escrow.isTokenAllowed(p.token)) revert IIncentiveEscrow.TokenNotAllowed(p.token);
        if (p.baseRate == 0) revert InvalidRate();
        if (p.method > Baseline.METHOD_HIGH_FIVE_OF_TEN) revert Baseline.UnknownBaselineMethod(p.method);
        if (p.adjCapBps > _BPS) revert Baseline.InvalidAdjustmentCap(p.adjCapBps);
        if (p.adjWindowHours > 12 || p.adjGapHours > 12)
            revert InvalidAdjustmentWindow(p.adjWindowHours, p.adjGapHours);
        if (p.minDeliveryBps > _BPS || p.bonusCapBps > _BPS)
            revert InvalidDeliveryParams(p.minDeliveryBps, p.bonusCapBps);
        if (p.classMask == 0 || p.classMask > 7) revert InvalidClassMask(p.classMask);
        if (p.maxEventsPer30Days == 0 || p.maxEventsPer30Days > 30) revert InvalidEventCap(p.maxEventsPer30Days);
        if (p.economicBps < _BPS || p.economicBps > p.emergencyBps || p.emergencyBps > 5 * _BPS) {
            revert InvalidTierMultipliers(p.economicBps, p.emergencyBps);
        }
    }
}
