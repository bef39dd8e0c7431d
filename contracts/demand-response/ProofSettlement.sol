// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IProofSettlement} from "../interfaces/IProofSettlement.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {Baseline} from "../libraries/Baseline.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title ProofSettlement
/// @notice Proof-carrying settlement (SPECIFICATION.md §7, S-1..S-10): the baseline-day walk, the
/// record checks and the baseline math. It keeps no state: the ledger (ReductionRequests) hands it the
/// event's context, takes back the verified outcome through `recordOutcome` (SETTLER_ROLE) and stays
/// the only writer of enrollments and payments. `verify` runs the same code without writing.
contract ProofSettlement is IProofSettlement, ReentrancyGuard {
    /// @notice Baseline days are searched at most this many days back (S-3).
    uint32 public constant LOOKBACK_DAYS = Baseline.LOOKBACK_DAYS;

    IReductionRequests private immutable _requests;
    IRegionRegistry private immutable _regions;
    IConsumerRegistry private immutable _consumers;
    IMeterData private immutable _meterData;

    /// @dev Working state of one walk (keeps the stack shallow).
    struct Walk {
        uint16 regionId;
        uint32 consumerId;
        uint32 eventDay;
        uint32 earliest; // first day (inclusive) the walk may reach
        bool weekendLike; // event on a weekend day or holiday
        uint256 next; // index of the next record to consume
        uint256 baseWord; // word index of eventDay - LOOKBACK_DAYS; the walk spans this word and the next
        uint256[2] holidays; // the region's holiday bits for those two words
        uint256[2] eventDays; // the region's event-day bits
        uint256[2] data; // the region's data-present bits
        bool signedData; // the program counts meter-signed records only (S-10)
        uint32 keyFromDay; // the consumer's meter keys (C-11), read when signedData
        address key;
        address previousKey;
    }

    /// @param requests_ The ledger (programs, events, enrollments); it grants this contract SETTLER_ROLE.
    /// @param regions The region registry (holidays, S-3).
    /// @param consumers The consumer registry (consumer id, activation day, meter keys).
    /// @param meterData The meter data commitments (data-present days, record proofs).
    constructor(
        IReductionRequests requests_,
        IRegionRegistry regions,
        IConsumerRegistry consumers,
        IMeterData meterData
    ) {
        _requests = requests_;
        _regions = regions;
        _consumers = consumers;
        _meterData = meterData;
    }

    /// @inheritdoc IProofSettlement
    function settle(uint256 eventId, address account, LeafProof[] calldata leaves) external nonReentrant {
        Outcome memory o = _verify(_requests.settleableContext(eventId, account), account, leaves);
        _requests.recordOutcome(eventId, account, o);
    }

    /// @inheritdoc IProofSettlement
    function verify(
        uint256 eventId,
        address account,
        LeafProof[] calldata leaves
    ) external view returns (Outcome memory) {
        return _verify(_requests.settlementContext(eventId), account, leaves);
    }

    /// @inheritdoc IProofSettlement
    function candidateDays(uint256 eventId, address account) external view returns (uint32[] memory dayList) {
        Walk memory w = _startWalk(_requests.settlementContext(eventId), account);
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

    /// @inheritdoc IProofSettlement
    function requests() external view returns (address) {
        return address(_requests);
    }

    /// @dev The event-day record, then the baseline-day walk, then the baseline (S-2..S-6, S-10).
    function _verify(
        Context memory c,
        address account,
        LeafProof[] calldata leaves
    ) private view returns (Outcome memory o) {
        Walk memory w = _startWalk(c, account);
        if (leaves.length == 0) revert MissingLeaf(c.day);
        (bool eventMissing, uint32[24] memory eventDay) = _verifyLeaf(leaves[0], w, c.day, false);
        w.next = 1;
        (uint32[24][] memory dayList, uint256 n) = _collectBaselineDays(leaves, w);
        o.eventDayMissing = eventMissing;
        o.baselineDays = n;
        if (eventMissing || n < Baseline.MIN_DAYS) return o;
        // shrink a memory array's length in place
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(dayList, n) // shrink to the days found; n <= the allocated length
        }
        o.sufficient = true;
        o.result = Baseline.compute(dayList, eventDay, c.params);
    }

    // slither: two iterations, view calls to the protocol's own registries
    // slither-disable-next-line calls-loop
    function _startWalk(Context memory c, address account) private view returns (Walk memory w) {
        IConsumerRegistry.Consumer memory cons = _consumers.consumer(account);
        w.regionId = c.regionId;
        w.consumerId = cons.id;
        w.eventDay = c.day;
        // days after activation only (M-6), within the lookback (S-3)
        uint32 lookbackStart = c.day - LOOKBACK_DAYS;
        w.earliest = cons.activationDay + 1 > lookbackStart ? cons.activationDay + 1 : lookbackStart;
        w.weekendLike = LocalTime.isWeekend(c.day) || _regions.isHoliday(c.regionId, c.day);
        // the lookback covers 45 days, so at most two bitmap words: read each once
        uint256 base = lookbackStart >> 8;
        w.baseWord = base;
        w.eventDays = c.eventDays;
        for (uint256 k; k < 2; ++k) {
            w.holidays[k] = _regions.holidayWord(c.regionId, base + k);
            w.data[k] = _meterData.dataWord(c.regionId, base + k);
        }
        if (c.signedData) {
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
}
