// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IProofSettlement} from "../interfaces/IProofSettlement.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {Baseline} from "../libraries/Baseline.sol";
import {LoadShift} from "../libraries/LoadShift.sol";
import {LocalTime} from "../libraries/LocalTime.sol";
import {MeterLeaf} from "../libraries/MeterLeaf.sol";
import {MeterMultiproof} from "../libraries/MeterMultiproof.sol";

/// @title ProofSettlement
/// @notice Proof-carrying settlement (SPECIFICATION.md §7, S-1..S-10): the baseline-day walk, the
/// record checks and the baseline math. It keeps no state: the ledger (ReductionRequests) hands it the
/// event's context, takes back the verified outcome through `recordOutcome` (SETTLER_ROLE) and stays
/// the only writer of enrollments and payments. `verify` runs the same code without writing.
contract ProofSettlement is IProofSettlement, ReentrancyGuard {
    /// @notice Baseline days are searched at most this many days back (S-3).
    uint32 public constant LOOKBACK_DAYS = Baseline.LOOKBACK_DAYS;
    /// @notice Most consumers per settleBatch call (S-11).
    uint256 public constant MAX_SETTLE_BATCH = 250;
    uint256 private constant _POSITION_MASK = 0xffffffff;
    uint256 private constant _GROUP_SHIFT = 32;
    uint256 private constant _GROUP_MASK = 0xffff;
    uint256 private constant _BAD_REF = 1; // `_hashRecords` statuses
    uint256 private constant _FULL_GROUP = 2;
    uint256 private constant _SIGNED_SHIFT = 48; // a reference's bit 48: a 175-byte signed record
    uint256 private constant _MAX_DAYS = 10; // Baseline.MAX_DAYS, a literal for assembly
    uint256 private constant _SIGNATURE_BYTES = 65; // MeterLeaf.SIGNATURE_BYTES, a literal for assembly

    IReductionRequests private immutable _requests;
    IProgramRegistry private immutable _programs;
    IRegionRegistry private immutable _regions;
    IConsumerRegistry private immutable _consumers;
    IMeterData private immutable _meterData;

    /// @dev Working state of one walk (keeps the stack shallow).
    struct Walk {
        // `next`, `offset` and `recordBytes` stay the first three words: `_nextRecord` reads them in assembly
        uint256 next; // index of the next record to consume
        uint256 offset; // batch settlement: byte offset of that record in ConsumerRecords.records
        uint256 recordBytes; // an unsigned record of the region's interval: 14 + 4 per interval (M-2)
        uint8 intervalMinutes; // the region's meter interval (R-7)
        uint256 intervals; // meter intervals a day: 24, 48 or 96
        uint16 regionId;
        uint32 consumerId;
        uint32 eventDay;
        uint32 earliest; // first day (inclusive) the walk may reach
        bool weekendLike; // event on a weekend day or holiday
        uint256 headerPrefix; // batch settlement: a record's first 13 bytes with day 0 (shape, consumer id, region)
        uint256 firstInterval; // batch settlement: the intervals Baseline.compute reads, [first, end)
        uint256 endInterval;
        uint256 baseWord; // word index of eventDay - LOOKBACK_DAYS; the walk spans this word and the next
        uint256[2] holidays; // the region's holiday bits for those two words
        uint256[2] eventDays; // the region's event-day bits
        uint32[] queryDays; // the baseline days, then the event day: the days whose posted bits are read
        uint256 posted; // the consumer: bit i set iff its record of queryDays[i] was posted (M-8)
        uint256 postedWord; // consumer id / 256 of the posted-bit words held in `postedWords` (+1; 0: none)
        uint256[] postedWords; // MeterData's posted bits of queryDays for that word, allocated per event
        uint32[] candidates; // the event's baseline days (at most 10), most recent first (S-3)
        bool gapped; // the consumer: some baseline day has no usable record (S-4, B-9)
        uint256 usable; // the consumer: baseline days with a usable record (S-6 needs 5)
        uint32[][] dayBuffer; // batch settlement: baseline days' readings, reused by each consumer
        uint32[] eventBuffer; // batch settlement: the event day's readings, reused by each consumer
        bool summed; // batch settlement of a 10-in-10 program: baseline days are summed as they are read
        uint256[] lanes; // ... into these packed per-interval sums (MeterLeaf.addToLanes), zero between consumers
        uint256[] sumBuffer; // the consumer's per-interval sums, unpacked from the lanes
        bool signedData; // the program counts meter-signed records only (S-10)
        bool net; // the program settles on max(import - export, 0): each day needs both records (N-1, N-2)
        LoadShift.Result shift; // the consumer's load shift, in a load-shifting program (L-3..L-5)
    }

    /// @dev A batch settlement's records by group (S-11): per group, the positions and leaf hashes of its
    /// records in the call, and how many are filled in. `_hashRecords` reads the three words in assembly.
    struct Groups {
        uint256[][] positions;
        bytes32[][] leaves;
        uint256[] filled;
    }

    /// @param requests_ The ledger (events, enrollments); it grants this contract SETTLER_ROLE.
    /// @param programs The program registry (baseline method and parameters, signed data).
    /// @param regions The region registry (holidays, S-3).
    /// @param consumers The consumer registry (consumer id, activation day, meter keys).
    /// @param meterData The meter data commitments (data-present days, record proofs).
    constructor(
        IReductionRequests requests_,
        IProgramRegistry programs,
        IRegionRegistry regions,
        IConsumerRegistry consumers,
        IMeterData meterData
    ) {
        _requests = requests_;
        _programs = programs;
        _regions = regions;
        _consumers = consumers;
        _meterData = meterData;
    }

    /// @inheritdoc IProofSettlement
    function settle(uint256 eventId, address account, LeafProof[] calldata leaves) external nonReentrant {
        Outcome[] memory outcomes = new Outcome[](1);
        Context memory c = _settleableContext(eventId, account);
        LoadShift.Result memory shift;
        (outcomes[0], shift) = _verify(c, account, leaves);
        if (c.loadShift && outcomes[0].sufficient) _logShift(eventId, account, shift);
        address[] memory accounts = new address[](1);
        accounts[0] = account;
        // slither: the ledger records exactly one outcome; the count it returns adds nothing here
        // slither-disable-next-line unused-return
        _requests.recordOutcomes(eventId, accounts, outcomes);
    }

    /// @inheritdoc IProofSettlement
    function settleBatch(
        uint256 eventId,
        ConsumerRecords[] calldata consumers,
        BatchGroup[] calldata groups
    ) external nonReentrant returns (uint256) {
        uint256 n = consumers.length;
        if (n == 0 || n > MAX_SETTLE_BATCH) revert InvalidSettleBatchSize(n, MAX_SETTLE_BATCH);
        Context memory c = _settleableContext(eventId, address(0));
        if (c.net) revert NetProgramNotBatchable(eventId);
        Baseline.validate(c.params); // once for the batch: computeTenInTen relies on it (B-1)
        Walk memory w = _eventWalk(c);
        _proveGroups(c.regionId, w.recordBytes, consumers, groups);
        // Baseline.compute reads the adjustment window and the event intervals only (B-2..B-5)
        // slither: the window's end is at most the event's start; the event intervals end the range
        // slither-disable-next-line unused-return
        (w.firstInterval, ) = Baseline.adjustmentWindow(c.params);
        w.endInterval = c.params.endInterval;
        if (c.loadShift) {
            // the rebound window is read too (L-2): it lies before the window's start or after the event
            if (c.shift.reboundStart < w.firstInterval) w.firstInterval = c.shift.reboundStart;
            if (c.shift.reboundEnd > w.endInterval) w.endInterval = c.shift.reboundEnd;
        }
        _allocateBuffers(w, c.params.method == Baseline.METHOD_TEN_IN_TEN);
        address[] memory accounts = new address[](n);
        Outcome[] memory outcomes = new Outcome[](n); // n outcomes allocated here, filled below
        for (uint256 i = 0; i < n; ++i) {
            ConsumerRecords calldata cr = consumers[i];
            address account = cr.account;
            accounts[i] = account;
            uint256 freeMemory = _freeMemory();
            _forConsumer(w, c.signedData, account);
            _batchOutcome(c, w, cr.records, cr.refs, outcomes[i]);
            if (c.loadShift && outcomes[i].sufficient) _logShift(eventId, account, w.shift);
            // one consumer's working memory (readings, baseline days) is dead once its outcome is
            // copied: reuse it for the next, so memory (and its quadratic cost) does not grow with n
            _setFreeMemory(freeMemory);
        }
        return _requests.recordOutcomes(eventId, accounts, outcomes);
    }

    /// @inheritdoc IProofSettlement
    function verify(
        uint256 eventId,
        address account,
        LeafProof[] calldata leaves
    ) external view returns (Outcome memory o) {
        (o, ) = _verify(_context(_knownEvent(eventId)), account, leaves);
    }

    /// @inheritdoc IProofSettlement
    function candidateDays(uint256 eventId, address account) external view returns (uint32[] memory dayList) {
        IReductionRequests.DrEvent memory e = _knownEvent(eventId);
        _requireFinal(eventId, e);
        Walk memory w = _startWalk(_context(e), account);
        dayList = w.candidates;
        uint256 n = 0;
        while (n < dayList.length && dayList[n] >= w.earliest) ++n;
        // shrink a memory array's length in place
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(dayList, n)
        }
    }

    /// @inheritdoc IProofSettlement
    function requests() external view returns (address) {
        return address(_requests);
    }

    /// @dev The shared buffers of a batch settlement, sized to the region's intervals a day: the day
    /// buffer and the event buffer, and for a 10-in-10 program the lanes and the sums (S-11).
    function _allocateBuffers(Walk memory w, bool summed) private pure {
        uint256 intervals = w.intervals;
        w.dayBuffer = new uint32[][](Baseline.MAX_DAYS);
        for (uint256 d; d < Baseline.MAX_DAYS; ++d) w.dayBuffer[d] = new uint32[](intervals);
        w.eventBuffer = new uint32[](intervals);
        w.summed = summed;
        if (summed) {
            w.lanes = new uint256[](intervals >> 2);
            w.sumBuffer = new uint256[](intervals);
        }
    }

    /// @dev The context of an event the ledger finds settleable (for `account`, unless zero).
    function _settleableContext(uint256 eventId, address account) private view returns (Context memory) {
        IReductionRequests.DrEvent memory e = _requests.drEvent(eventId);
        if (e.status != IReductionRequests.EventStatus.None) _requireFinal(eventId, e);
        _requests.checkSettleable(eventId, account);
        return _context(e);
    }

    /// @dev The event day's meter data is final (M-9, S-12): so are its baseline days, which are earlier.
    function _requireFinal(uint256 eventId, IReductionRequests.DrEvent memory e) private view {
        if (!_meterData.isFinal(e.regionId, e.day)) revert EventDayNotFinal(eventId, e.day);
    }

    /// @dev The event, or UnknownEvent (IReductionRequests).
    function _knownEvent(uint256 eventId) private view returns (IReductionRequests.DrEvent memory e) {
        e = _requests.drEvent(eventId);
        if (e.status == IReductionRequests.EventStatus.None) revert IReductionRequests.UnknownEvent(eventId);
    }

    /// @dev What settlement needs of an event and its program: region, day, signed data, the baseline
    /// parameters and the region's event days over the lookback (S-3).
    function _context(IReductionRequests.DrEvent memory e) private view returns (Context memory c) {
        IProgramRegistry.Program memory p = _programs.program(e.programId);
        c.regionId = e.regionId;
        c.day = e.day;
        c.signedData = p.signedData;
        c.net = p.basis == IProgramRegistry.Basis.Net;
        c.params = Baseline.Params({
            method: p.method,
            intervalMinutes: _regions.meterInterval(e.regionId),
            startInterval: e.startInterval,
            endInterval: e.endInterval,
            adjWindowHours: p.adjWindowHours,
            adjGapHours: p.adjGapHours,
            adjCapBps: p.adjCapBps
        });
        (c.eventDays[0], c.eventDays[1]) = _requests.regionEventWords(e.regionId, (e.day - LOOKBACK_DAYS) >> 8);
        IProgramRegistry.ProgramKind memory kind = _programs.programKind(e.programId);
        if (kind.programType == IProgramRegistry.ProgramType.LoadShifting) {
            c.loadShift = true;
            (c.shift.reboundStart, c.shift.reboundEnd) = LoadShift.reboundWindow(
                c.params.intervalMinutes,
                e.startInterval,
                e.endInterval,
                kind.shiftHours,
                kind.shiftBefore
            );
            c.shift.neutralityBps = kind.neutralityBps;
        }
    }

    /// @dev L-5: the load shift measured for one consumer, logged as its outcome goes to the ledger.
    function _logShift(uint256 eventId, address account, LoadShift.Result memory s) private {
        emit LoadShiftMeasured(
            eventId,
            account,
            s.reductionWh,
            s.reboundBaselineWh,
            s.reboundActualWh,
            s.reboundWh,
            s.shiftedWh,
            s.neutral
        );
    }

    /// @dev The event-day record, then the baseline-day walk, then the baseline (S-2..S-6, S-10).
    function _verify(
        Context memory c,
        address account,
        LeafProof[] calldata leaves
    ) private view returns (Outcome memory, LoadShift.Result memory) {
        Walk memory w = _startWalk(c, account);
        bool eventMissing = true; // no event-day record posted: insufficient data (S-6)
        // slither: an empty array, read only when the event-day record was posted and verified
        // slither-disable-next-line uninitialized-local
        uint32[] memory eventDay;
        if (_eventPosted(w)) (eventMissing, eventDay) = _verifyDay(leaves, w, c.day, false);
        (uint32[][] memory dayList, uint256 n) = _collectBaselineDays(leaves, w);
        return (_outcome(c, eventMissing, eventDay, dayList, n, w), w.shift);
    }

    /// @dev S-5, S-6: the baseline result from the baseline days (gaps as zeros, B-9), or insufficient data.
    function _outcome(
        Context memory c,
        bool eventMissing,
        uint32[] memory eventDay,
        uint32[][] memory dayList,
        uint256 n,
        Walk memory w
    ) private pure returns (Outcome memory o) {
        o.eventDayMissing = eventMissing;
        o.baselineDays = w.usable;
        if (_insufficient(c, eventMissing, w)) return o;
        // shrink a memory array's length in place
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(dayList, n) // shrink to the days found; n <= the allocated length
        }
        o.sufficient = true;
        if (c.loadShift) (o.result, w.shift) = LoadShift.compute(dayList, eventDay, c.params, c.shift);
        else o.result = Baseline.compute(dayList, eventDay, c.params, w.gapped);
    }

    /// @dev S-6: no usable event-day record or fewer than 5 usable baseline days; L-3: a load shift with a
    /// gap among its baseline days (a gap lowers the rebound window's baseline, which would raise the rebound).
    function _insufficient(Context memory c, bool eventMissing, Walk memory w) private pure returns (bool) {
        return eventMissing || w.usable < Baseline.MIN_DAYS || (c.loadShift && w.gapped);
    }

    function _startWalk(Context memory c, address account) private view returns (Walk memory w) {
        w = _eventWalk(c);
        _forConsumer(w, c.signedData, account);
    }

    /// @dev What the walk reads once per event: the like-day rule and the region's bitmaps (S-3).
    // slither: two iterations, view calls to the protocol's own registries
    // slither-disable-next-line calls-loop
    function _eventWalk(Context memory c) private view returns (Walk memory w) {
        w.regionId = c.regionId;
        w.eventDay = c.day;
        w.net = c.net;
        w.intervalMinutes = c.params.intervalMinutes;
        w.intervals = Baseline.intervalsPerDay(c.params.intervalMinutes);
        w.recordBytes = MeterLeaf.HEADER_BYTES + (w.intervals << 2);
        w.weekendLike = LocalTime.isWeekend(c.day) || _regions.isHoliday(c.regionId, c.day);
        // the lookback covers 45 days, so at most two bitmap words: read each once
        uint256 base = (c.day - LOOKBACK_DAYS) >> 8;
        w.baseWord = base;
        w.eventDays = c.eventDays;
        for (uint256 k; k < 2; ++k) {
            w.holidays[k] = _regions.holidayWord(c.regionId, base + k);
        }
        w.candidates = _candidates(w);
        uint256 n = w.candidates.length;
        w.queryDays = new uint32[](n + 1);
        for (uint256 i; i < n; ++i) w.queryDays[i] = w.candidates[i];
        w.queryDays[n] = c.day;
        w.postedWords = new uint256[](n + 1); // before any consumer's memory: batch consumers reuse it
    }

    /// @dev The consumer's part of the walk: its id, first day (M-6, S-3) and posted bits (M-8).
    // slither: at most MAX_SETTLE_BATCH iterations of view calls to the protocol's own ConsumerRegistry
    // slither-disable-next-line calls-loop
    function _forConsumer(Walk memory w, bool signedData, address account) private view {
        (uint32 id, uint32 activationDay) = _consumers.activation(account);
        w.consumerId = id;
        uint32 lookbackStart = w.eventDay - LOOKBACK_DAYS;
        w.earliest = activationDay + 1 > lookbackStart ? activationDay + 1 : lookbackStart;
        w.next = 0;
        w.offset = 0;
        w.gapped = false;
        w.usable = 0;
        uint256 shape = MeterLeaf.importShape(w.intervalMinutes);
        w.headerPrefix = (((((shape << 32) | id) << 16) | w.regionId) << 32);
        // absence is provable (M-8): a day whose bit is 0 takes no record, one whose bit is 1 needs it
        w.posted = _postedBits(w, id);
        // a net program's day has data when both its records were posted (N-2); batch consumers are import only
        if (w.net) w.posted &= _bits(_meterData.postedWords(w.regionId, w.queryDays, id >> 8, 1), id);
        w.signedData = signedData;
    }

    /// @dev The consumer's posted bits of the query days (M-8); MeterData is asked once per 256 ids (a
    /// batch's consumers come in ascending ids and share the words).
    // slither: at most one view call per 256 consumer ids, to the protocol's own MeterData
    // slither-disable-next-line calls-loop
    function _postedBits(Walk memory w, uint32 id) private view returns (uint256 bits) {
        uint256 word = id >> 8;
        uint256[] memory words = w.postedWords;
        uint256 n = words.length;
        if (w.postedWord != word + 1) {
            uint256[] memory fetched = _meterData.postedWords(w.regionId, w.queryDays, word, 0);
            for (uint256 i; i < n; ++i) words[i] = fetched[i];
            w.postedWord = word + 1;
        }
        bits = _bits(words, id);
    }

    /// @dev Bit i set iff bit `id % 256` of `words[i]` is.
    function _bits(uint256[] memory words, uint32 id) private pure returns (uint256 bits) {
        uint256 bit = id & 0xff;
        for (uint256 i; i < words.length; ++i) bits |= ((words[i] >> bit) & 1) << i;
    }

    /// @dev S-3: the event's baseline days, most recent first: the first 10 like days of the lookback
    /// that are not event days of the region and (for a weekday event) are not holidays. Region facts
    /// only: whether a day has data never moves the walk (B-9, P2).
    function _candidates(Walk memory w) private pure returns (uint32[] memory list) {
        list = new uint32[](LOOKBACK_DAYS);
        uint256 base = w.baseWord;
        // per bitmap word: the days excluded whatever the weekday (event days)
        uint256 out0 = w.eventDays[0];
        uint256 out1 = w.eventDays[1];
        (uint256 hol0, uint256 hol1) = (w.holidays[0], w.holidays[1]);
        bool weekendLike = w.weekendLike;
        uint256 last = w.eventDay - 1;
        uint256 before = last - LOOKBACK_DAYS; // the day before the lookback
        // 45 days, each a few bit tests: kept tight because every settlement walks them
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let n := 0
            for {
                let d := last
            } gt(d, before) {
                d := sub(d, 1)
            } {
                let second := iszero(eq(shr(8, d), base)) // the lookback spans words base and base + 1
                // slither: shl(shift, value): the day's bit, 1 shifted left by d mod 256
                // slither-disable-next-line incorrect-shift
                let bit := shl(and(d, 0xff), 1)
                if iszero(and(xor(out0, mul(second, xor(out0, out1))), bit)) {
                    let holiday := iszero(iszero(and(xor(hol0, mul(second, xor(hol0, hol1))), bit)))
                    let weekend := iszero(lt(mod(add(d, 3), 7), 5)) // LocalTime.isWeekend
                    let like := or(weekend, holiday)
                    if iszero(weekendLike) {
                        like := iszero(like)
                    }
                    if like {
                        n := add(n, 1)
                        mstore(add(list, shl(5, n)), d)
                        if eq(n, _MAX_DAYS) {
                            break
                        }
                    }
                }
            }
            mstore(list, n) // shrink to the days found
        }
    }

    /// @dev The baseline days from the event day back (S-3, S-4): each day's record must be supplied,
    /// in order, if the day has data; a day without a usable record stays a gap of zeros (B-9).
    function _collectBaselineDays(
        LeafProof[] calldata leaves,
        Walk memory w
    ) private view returns (uint32[][] memory dayList, uint256 n) {
        dayList = new uint32[][](Baseline.MAX_DAYS);
        uint32[] memory candidates = w.candidates;
        for (uint256 i = 0; i < candidates.length; ++i) {
            uint32 d = candidates[i];
            if (d < w.earliest) break;
            ++n;
            if (!_hasRecord(w, i)) {
                w.gapped = true;
                dayList[n - 1] = new uint32[](w.intervals); // a gap: zeros (B-9)
                continue;
            }
            (bool missing, uint32[] memory r) = _verifyDay(leaves, w, d, true);
            if (missing) {
                w.gapped = true;
                dayList[n - 1] = new uint32[](w.intervals);
            } else {
                dayList[n - 1] = r;
                ++w.usable;
            }
        }
        if (w.next != leaves.length) revert UnexpectedLeaf(w.next);
    }

    /// @dev Whether the settler must supply the consumer's record of baseline day `candidates[i]` (S-4):
    /// it was posted (M-8).
    function _hasRecord(Walk memory w, uint256 i) private pure returns (bool) {
        return (w.posted >> i) & 1 == 1;
    }

    /// @dev Whether the consumer's event-day record was posted (M-8): the last of the query days.
    function _eventPosted(Walk memory w) private pure returns (bool) {
        return (w.posted >> w.candidates.length) & 1 == 1;
    }

    /// @dev The records of one day the walk requires, from `leaves[w.next]` on: its import record, and in
    /// a net program its export record, each verified; a net reading is max(import - export, 0) per
    /// interval (N-1). `missing`: a record is flagged missing or not counted (S-6, B-9).
    function _verifyDay(
        LeafProof[] calldata leaves,
        Walk memory w,
        uint32 day,
        bool baselineDay
    ) private view returns (bool missing, uint32[] memory readings) {
        (missing, readings) = _verifyLeaf(_leaf(leaves, w, day), w, day, baselineDay, MeterLeaf.CHANNEL_IMPORT);
        if (!w.net) return (missing, readings);
        (bool exportMissing, uint32[] memory exported) = _verifyLeaf(
            _leaf(leaves, w, day),
            w,
            day,
            baselineDay,
            MeterLeaf.CHANNEL_EXPORT
        );
        if (missing || exportMissing) return (true, readings);
        // unchecked: each subtraction is guarded by its comparison
        unchecked {
            for (uint256 k; k < readings.length; ++k) {
                readings[k] = readings[k] > exported[k] ? readings[k] - exported[k] : 0;
            }
        }
    }

    /// @dev The walk's next leaf, or MissingLeaf(day) if the settler supplied no more.
    function _leaf(LeafProof[] calldata leaves, Walk memory w, uint32 day) private pure returns (LeafProof calldata) {
        uint256 j = w.next;
        if (j >= leaves.length) revert MissingLeaf(day);
        w.next = j + 1;
        return leaves[j];
    }

    /// @dev One record the walk requires: MeterData checks its shape (the region's interval and
    /// `channel`), header, proof and, in a signed-data program, that it is a signed record (S-2, S-3,
    /// S-10). `missing`: flagged missing or not counted.
    function _verifyLeaf(
        LeafProof calldata lp,
        Walk memory w,
        uint32 expectedDay,
        bool baselineDay,
        uint8 channel
    ) private view returns (bool missing, uint32[] memory readings) {
        IMeterData.RecordQuery memory q = IMeterData.RecordQuery({
            regionId: w.regionId,
            intervalMinutes: w.intervalMinutes,
            channel: channel,
            consumerId: w.consumerId,
            day: expectedDay,
            batchIndex: lp.batchIndex,
            baselineDay: baselineDay,
            signedOnly: w.signedData
        });
        bool counted;
        (counted, readings) = _meterData.verifiedReadings(q, lp.record, lp.proof);
        missing = !counted;
    }

    /*//////////////////////////////////////////////////////////////
                            BATCH SETTLEMENT (S-11)
    //////////////////////////////////////////////////////////////*/

    /// @dev Every record of the call under its group's batch root: the leaves of each group, in
    /// position order, proved by the group's multiproof. Each group declares how many records of the
    /// call it holds, so its arrays are sized before the records are hashed, in one pass.
    // slither: one view call per group to the protocol's own MeterData; the groups are bounded by calldata
    // slither-disable-next-line calls-loop
    function _proveGroups(
        uint16 regionId,
        uint256 recordBytes,
        ConsumerRecords[] calldata consumers,
        BatchGroup[] calldata groups
    ) private view {
        uint256 g = groups.length;
        Groups memory arrays = Groups(new uint256[][](g), new bytes32[][](g), new uint256[](g));
        for (uint256 k = 0; k < g; ++k) {
            uint256 count = groups[k].count;
            arrays.positions[k] = new uint256[](count);
            arrays.leaves[k] = new bytes32[](count);
        }
        {
            (uint256 status, uint256 i, uint256 j) = _hashConsumers(recordBytes, consumers, arrays);
            if (status == _FULL_GROUP) _revertCount(groups[(consumers[i].refs[j] >> _GROUP_SHIFT) & _GROUP_MASK]);
            if (status != 0) revert InvalidRecordRef(i, j);
        }
        for (uint256 k = 0; k < g; ++k) {
            BatchGroup calldata b = groups[k];
            if (arrays.filled[k] != b.count) _revertCount(b);
            bytes32 root = _meterData.batchRoot(regionId, b.day, b.batchIndex);
            if (
                root == bytes32(0) ||
                !MeterMultiproof.verify(b.proof, root, b.width, arrays.positions[k], arrays.leaves[k])
            ) {
                revert InvalidMultiproof(b.day, b.batchIndex);
            }
        }
    }

    /// @dev `_hashRecords` for every consumer of the call, in order, up to the first that fails: its
    /// status, index and record reference (status 0: all fit).
    function _hashConsumers(
        uint256 recordBytes,
        ConsumerRecords[] calldata consumers,
        Groups memory groups
    ) private pure returns (uint256 status, uint256 i, uint256 j) {
        for (; i < consumers.length; ++i) {
            ConsumerRecords calldata cr = consumers[i];
            (status, j) = _hashRecords(cr.records, cr.refs, recordBytes, groups);
            if (status != 0) return (status, i, j);
        }
    }

    function _revertCount(BatchGroup calldata b) private pure {
        revert GroupCountMismatch(b.day, b.batchIndex, b.count);
    }

    /// @dev Each record of one consumer, in turn (`recordBytes` long, or 65 more if its reference says
    /// signed): its position and leaf hash appended to its group's arrays (`filled` counts per group).
    /// Status 0 when every record fits; _BAD_REF with j when
    /// reference j names no group or record j overruns the bytes (j = refs.length: bytes are left
    /// over); _FULL_GROUP with j when record j's group already holds the records it declared.
    function _hashRecords(
        bytes calldata records,
        uint256[] calldata refs,
        uint256 recordBytes,
        Groups memory groups
    ) private pure returns (uint256 status, uint256 j) {
        // calldata walk, leaf hashing past the free memory pointer: hot path (S-11)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let offset := 0
            for {} lt(j, refs.length) {
                j := add(j, 1)
            } {
                let ref := calldataload(add(refs.offset, shl(5, j)))
                let stride := recordBytes
                if and(shr(_SIGNED_SHIFT, ref), 1) {
                    stride := add(recordBytes, _SIGNATURE_BYTES)
                }
                let k := and(shr(_GROUP_SHIFT, ref), _GROUP_MASK) // the group
                let filled := mload(add(groups, 0x40))
                if or(iszero(lt(k, mload(filled))), gt(add(offset, stride), records.length)) {
                    status := _BAD_REF
                    break
                }
                k := shl(5, k)
                let at := mload(add(add(filled, 0x20), k))
                let groupPositions := mload(add(add(mload(groups), 0x20), k))
                if iszero(lt(at, mload(groupPositions))) {
                    status := _FULL_GROUP
                    break
                }
                mstore(add(add(filled, 0x20), k), add(at, 1))
                at := add(shl(5, at), 0x20)
                mstore(add(groupPositions, at), and(ref, _POSITION_MASK))
                calldatacopy(mload(0x40), add(records.offset, offset), stride) // scratch past the free pointer
                mstore(add(mload(add(add(mload(add(groups, 0x20)), 0x20), k)), at), keccak256(mload(0x40), stride))
                offset := add(offset, stride)
            }
            if and(iszero(status), iszero(eq(offset, records.length))) {
                status := _BAD_REF
            }
        }
    }

    /// @dev One consumer of a batch: the same walk and checks as `settle`, on records already proved.
    /// The readings land in the call's shared buffers: Baseline.compute reads only the intervals that
    /// `_batchRecord` writes, and only of the days it wrote for this consumer.
    function _batchOutcome(
        Context memory c,
        Walk memory w,
        bytes calldata records,
        uint256[] calldata refs,
        Outcome memory o
    ) private view {
        bool eventMissing = true; // no event-day record posted: insufficient data (S-6)
        if (_eventPosted(w)) {
            if (refs.length == 0) revert MissingLeaf(c.day);
            eventMissing = !_batchRecord(_nextRecord(records, refs, w), w, c.day, false, w.eventBuffer);
        }
        uint256 n = _batchBaselineDays(records, refs, w);
        if (w.next != refs.length) revert UnexpectedLeaf(w.next);
        if (!w.summed) _copyOutcome(_outcome(c, eventMissing, w.eventBuffer, w.dayBuffer, n, w), o);
        else _summedOutcome(c, eventMissing, w, n, o);
    }

    /// @dev S-5, S-6 for a 10-in-10 batch consumer: the baseline from the summed days, or insufficient
    /// data, written into `o` (allocated before the consumer's working memory, which is released).
    function _summedOutcome(
        Context memory c,
        bool eventMissing,
        Walk memory w,
        uint256 n,
        Outcome memory o
    ) private pure {
        o.eventDayMissing = eventMissing;
        o.baselineDays = w.usable;
        MeterLeaf.unpackLanes(w.lanes, w.sumBuffer); // and zeroes the lanes for the next consumer
        if (_insufficient(c, eventMissing, w)) return;
        o.sufficient = true;
        if (c.loadShift) {
            Baseline.Result memory r;
            (r, w.shift) = LoadShift.fromSums(w.sumBuffer, n, w.eventBuffer, c.params, c.shift);
            _copyResult(r, o.result);
        } else {
            _copyResult(Baseline.computeTenInTen(w.sumBuffer, n, w.eventBuffer, c.params, w.gapped), o.result);
        }
    }

    /// @dev The baseline-day walk of a batch consumer (S-3, S-4): the records of its baseline days, in
    /// order. A 10-in-10 program adds them to the shared lanes (zero: the previous
    /// consumer's `_summedOutcome` unpacked and cleared them; a gap adds nothing);
    /// another writes their readings to the shared day buffer, restored to its full length (the
    /// previous consumer's `_outcome` shrank it; a gap's hours are zeroed). Returns the number of days.
    function _batchBaselineDays(
        bytes calldata records,
        uint256[] calldata refs,
        Walk memory w
    ) private view returns (uint256 n) {
        uint32[][] memory dayList = _withLength(w.dayBuffer, Baseline.MAX_DAYS);
        uint32[] memory candidates = w.candidates;
        (uint256 count, uint32 earliest) = (candidates.length, w.earliest);
        // unchecked: i < count <= MAX_DAYS and n <= i, each incremented once per pass
        unchecked {
            for (uint256 i = 0; i < count; ++i) {
                uint32 d = candidates[i];
                if (d < earliest) break;
                ++n;
                bool counted = false;
                if (_hasRecord(w, i)) {
                    if (w.next >= refs.length) revert MissingLeaf(d);
                    bytes calldata record = _nextRecord(records, refs, w);
                    counted = _counted(record, w, d, true);
                    if (counted) {
                        ++w.usable;
                        if (w.summed) MeterLeaf.addToLanes(record, w.lanes);
                        else MeterLeaf.readIntervals(record, dayList[n - 1], w.firstInterval, w.endInterval);
                    }
                }
                if (!counted) {
                    w.gapped = true;
                    if (!w.summed) _zeroIntervals(dayList[n - 1], w.firstInterval, w.endInterval);
                }
            }
        }
    }

    /// @dev The walk's next record of a batch consumer (the caller checked there is one); its bytes
    /// were checked against the references by `_proveGroups`, so the slice is in bounds.
    function _nextRecord(
        bytes calldata records,
        uint256[] calldata refs,
        Walk memory w
    ) private pure returns (bytes calldata record) {
        // a cursor step per record, hot path (S-11): w.next, w.offset and w.recordBytes are Walk's first
        // three words
        // slither: a calldata slice is two words, its offset and its length, each written once
        // slither-disable-start write-after-write
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let j := mload(w)
            let offset := mload(add(w, 0x20))
            let stride := mload(add(w, 0x40))
            if and(shr(_SIGNED_SHIFT, calldataload(add(refs.offset, shl(5, j)))), 1) {
                stride := add(stride, _SIGNATURE_BYTES)
            }
            mstore(w, add(j, 1))
            mstore(add(w, 0x20), add(offset, stride))
            record.offset := add(records.offset, offset)
            record.length := stride
        }
        // slither-disable-end write-after-write
    }

    /// @dev A record of a batch consumer: its header is the consumer's, the region's and the expected
    /// day's (S-2, S-3), and in a signed-data program it is a meter-signed record (S-10). Whether it
    /// counts; if so its readings of the intervals the baseline reads are written into `readings`. Its
    /// proof was checked by `_proveGroups`.
    function _batchRecord(
        bytes calldata record,
        Walk memory w,
        uint32 expectedDay,
        bool baselineDay,
        uint32[] memory readings
    ) private pure returns (bool counted) {
        counted = _counted(record, w, expectedDay, baselineDay);
        if (counted) MeterLeaf.readIntervals(record, readings, w.firstInterval, w.endInterval);
    }

    /// @dev S-2, S-3, S-10 for one record of a batch consumer; whether it counts.
    function _counted(
        bytes calldata record,
        Walk memory w,
        uint32 expectedDay,
        bool baselineDay
    ) private pure returns (bool) {
        uint256 head;
        // the record's first 14 bytes: shape, consumer id, region id, day, flags (MeterLeaf)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            head := shr(144, calldataload(record.offset))
        }
        if (head >> 8 != w.headerPrefix | expectedDay) _revertHeader(record, w, expectedDay, baselineDay);
        if (head & MeterLeaf.FLAG_MISSING != 0) return false;
        // a signed record's signature was checked against the day's meter key when it was posted (M-7)
        return !w.signedData || record.length == w.recordBytes + MeterLeaf.SIGNATURE_BYTES;
    }

    /// @dev The header check of `_counted` failed: revert with the error of the field that differs.
    function _revertHeader(bytes calldata record, Walk memory w, uint32 expectedDay, bool baselineDay) private pure {
        // slither: the flags are not part of the check
        // slither-disable-next-line unused-return
        (uint24 shape, uint32 id, uint16 regionId, uint32 day, ) = MeterLeaf.header(record, 0);
        if (shape != MeterLeaf.importShape(w.intervalMinutes)) {
            revert IMeterData.RecordShapeNotSettleable(uint8(shape >> 16), uint8(shape >> 8), uint8(shape));
        }
        if (id != w.consumerId) revert IMeterData.LeafConsumerMismatch(w.consumerId, id);
        if (regionId != w.regionId) revert IMeterData.LeafRegionMismatch(w.regionId, regionId);
        if (baselineDay) revert IMeterData.NotEligibleBaselineDay(expectedDay, day);
        revert IMeterData.LeafDayMismatch(expectedDay, day);
    }

    function _copyOutcome(Outcome memory from, Outcome memory to) private pure {
        to.sufficient = from.sufficient;
        to.eventDayMissing = from.eventDayMissing;
        to.baselineDays = from.baselineDays;
        _copyResult(from.result, to.result);
    }

    /// @dev `from`'s fields into `to` (allocated with its outcome, before the consumer's work).
    function _copyResult(Baseline.Result memory from, Baseline.Result memory to) private pure {
        to.baselineWh = from.baselineWh;
        to.actualWh = from.actualWh;
        to.reductionWh = from.reductionWh;
        to.adjustmentBps = from.adjustmentBps;
    }

    /// @dev Intervals [first, end) of a shared day buffer set to zero: a gap (B-9).
    function _zeroIntervals(uint32[] memory r, uint256 first, uint256 end) private pure {
        for (uint256 k = first; k < end; ++k) r[k] = 0;
    }

    /// @dev `buffer`, its length set back to `length` (at most what it was allocated with).
    function _withLength(uint32[][] memory buffer, uint256 length) private pure returns (uint32[][] memory) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(buffer, length)
        }
        return buffer;
    }

    function _freeMemory() private pure returns (uint256 ptr) {
        // the free memory pointer, to release a batch consumer's working memory afterwards
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ptr := mload(0x40)
        }
    }

    function _setFreeMemory(uint256 ptr) private pure {
        // release everything allocated since `ptr` was read (nothing of it is used afterwards)
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x40, ptr)
        }
    }
}
