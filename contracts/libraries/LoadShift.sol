// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Baseline} from "./Baseline.sol";

/// @title LoadShift
/// @notice The load-shifting settlement formula (SPECIFICATION.md §7, rules L-2..L-5): the reduction in
/// the event window and the rebound in the window beside it, each against the consumer's own 10-in-10
/// baseline without day-of adjustment, settle together; the shifted energy, min(reduction, rebound), is
/// paid only when the two are equal within the program's energy-neutrality tolerance. Exact integer
/// arithmetic, every division rounding down. `oracles/reference/load_shift.py` is the Python reference
/// and must give identical numbers.
library LoadShift {
    /// @notice A load-shifting event's rebound window in meter intervals of the event day,
    /// [reboundStart, reboundEnd) (L-2), and the program's tolerance (L-4).
    struct Terms {
        uint8 reboundStart;
        uint8 reboundEnd;
        uint16 neutralityBps;
    }

    /// @notice One consumer's load shift (L-3, L-4).
    struct Result {
        uint256 reductionWh; // max(event-window baseline - actual, 0)
        uint256 reboundBaselineWh; // the baseline over the rebound window
        uint256 reboundActualWh; // metered use over the rebound window
        uint256 reboundWh; // max(rebound actual - rebound baseline, 0)
        uint256 shiftedWh; // min(reduction, rebound) when neutral, else 0: the energy paid for (L-5)
        bool neutral; // reduction > 0 and |reduction - rebound| x 10_000 <= neutralityBps x reduction
    }

    /// @notice The rebound window (L-2): `shiftHours` hours of the region's intervals ending at the event's
    /// start (`before`) or starting at its end, cut at the local day's edges (a record is one local day):
    /// empty for an event at midnight whose window would lie in another day.
    /// @param intervalMinutes The region's meter interval: 15, 30 or 60 (else InvalidMeterIntervalLength).
    function reboundWindow(
        uint8 intervalMinutes,
        uint8 startInterval,
        uint8 endInterval,
        uint8 shiftHours,
        bool before
    ) internal pure returns (uint8 reboundStart, uint8 reboundEnd) {
        uint256 perDay = Baseline.intervalsPerDay(intervalMinutes);
        uint256 length = (uint256(shiftHours) * Baseline.MINUTES_PER_HOUR) / intervalMinutes;
        if (before) {
            reboundEnd = startInterval;
            reboundStart = startInterval > length ? uint8(startInterval - length) : 0;
        } else {
            reboundStart = endInterval;
            // at most perDay (96), inside uint8
            reboundEnd = uint8(endInterval + length < perDay ? endInterval + length : perDay);
        }
    }

    /// @notice L-3..L-5 from the per-interval sums of the `n` baseline days (all usable: a load shift with a
    /// gap is insufficient data, L-3) over the event and rebound windows. `p` must have passed
    /// `Baseline.validate` and have no day-of adjustment (L-1), `sums` and `eventDay` hold one entry per
    /// interval of the day. Returns the event window's baseline, actual and ratio (10_000) as
    /// `Baseline.computeTenInTen` gives them, with `reductionWh` replaced by the shifted energy, and the
    /// load shift itself.
    function fromSums(
        uint256[] memory sums,
        uint256 n,
        uint32[] memory eventDay,
        Baseline.Params memory p,
        Terms memory t
    ) internal pure returns (Baseline.Result memory base, Result memory s) {
        base = Baseline.computeTenInTen(sums, n, eventDay, p, false);
        s.reductionWh = base.reductionWh;
        (uint256 baselineWh, uint256 actualWh) = (0, 0);
        // unchecked: at most 96 intervals of a sum of 10 uint32 days over n >= 5 (< 2^36 each)
        unchecked {
            for (uint256 k = t.reboundStart; k < t.reboundEnd; ++k) {
                baselineWh += sums[k] / n; // floor per interval, as B-2
                actualWh += eventDay[k];
            }
        }
        s.reboundBaselineWh = baselineWh;
        s.reboundActualWh = actualWh;
        s.reboundWh = actualWh > baselineWh ? actualWh - baselineWh : 0;
        s.neutral = isNeutral(s.reductionWh, s.reboundWh, t.neutralityBps);
        if (s.neutral) s.shiftedWh = s.reductionWh < s.reboundWh ? s.reductionWh : s.reboundWh;
        base.reductionWh = s.shiftedWh;
    }

    /// @notice L-3..L-5 from the baseline days' readings (5..10 days, one reading per interval each):
    /// sums them per interval, then `fromSums`. Validates `p` (B-1).
    function compute(
        uint32[][] memory baselineDays,
        uint32[] memory eventDay,
        Baseline.Params memory p,
        Terms memory t
    ) internal pure returns (Baseline.Result memory, Result memory) {
        Baseline.validate(p);
        uint256 perDay = Baseline.intervalsPerDay(p.intervalMinutes);
        uint256 n = baselineDays.length;
        if (eventDay.length != perDay) revert Baseline.InvalidDayLength(eventDay.length, perDay);
        uint256[] memory sums = new uint256[](perDay);
        for (uint256 d; d < n; ++d) {
            uint32[] memory day = baselineDays[d];
            if (day.length != perDay) revert Baseline.InvalidDayLength(day.length, perDay);
            // unchecked: 10 days of uint32 readings per interval stay below 2^36
            unchecked {
                for (uint256 k; k < perDay; ++k) sums[k] += day[k];
            }
        }
        return fromSums(sums, n, eventDay, p, t);
    }

    /// @notice Energy neutrality (L-4): a reduction, and a rebound within `neutralityBps` of it,
    /// |reduction - rebound| x 10_000 <= neutralityBps x reduction (exact: no division).
    function isNeutral(uint256 reductionWh, uint256 reboundWh, uint16 neutralityBps) internal pure returns (bool) {
        if (reductionWh == 0) return false;
        uint256 diff = reductionWh > reboundWh ? reductionWh - reboundWh : reboundWh - reductionWh;
        return diff * Baseline.BPS <= uint256(neutralityBps) * reductionWh;
    }
}
