// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title Baseline
/// @notice Demand-response baselines, day-of adjustment, verified reduction and reward, in exact
/// integer arithmetic. Every division rounds down, which always lowers the baseline, the reduction
/// and the reward: rounding favours the escrow (SPECIFICATION.md §3, rules B-1..B-8).
/// `oracles/reference/baseline.py` is the Python reference and must give identical numbers.
library Baseline {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice CAISO 10-in-10: the average of the eligible days (B-2).
    uint8 internal constant METHOD_TEN_IN_TEN = 0;
    /// @notice PG&E high-5-of-10: the average of the 5 eligible days with the highest event-window use (B-3).
    uint8 internal constant METHOD_HIGH_FIVE_OF_TEN = 1;

    /// @notice Baseline days are searched at most this many days back (S-3).
    uint32 internal constant LOOKBACK_DAYS = 45;
    uint256 internal constant MIN_DAYS = 5;
    uint256 internal constant MAX_DAYS = 10;
    uint256 internal constant HIGH_DAYS = 5;
    uint256 internal constant BPS = 10_000;
    uint256 internal constant WH_PER_KWH = 1_000;
    uint256 internal constant MINUTES_PER_HOUR = 60;
    uint256 internal constant MINUTES_PER_DAY = 1_440;

    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice How to compute one baseline. Readings are per meter interval of the region (R-7): 24, 48
    /// or 96 a day for 60-, 30- or 15-minute data, interval 0 starting at local midnight.
    struct Params {
        uint8 method; // METHOD_TEN_IN_TEN or METHOD_HIGH_FIVE_OF_TEN
        uint8 intervalMinutes; // the region's meter interval: 15, 30 or 60
        uint8 startInterval; // first event interval of the local day
        uint8 endInterval; // interval after the last event interval, startInterval < endInterval <= intervals a day
        uint8 adjWindowHours; // length of the day-of adjustment window (default 3; 0 = no adjustment)
        uint8 adjGapHours; // hours between the window's end and the event start (default 1)
        uint16 adjCapBps; // |adjustment| cap, bps of the baseline (default 2_000 = ±20 %)
    }

    /// @notice The outcome for one consumer and one event.
    struct Result {
        uint256 baselineWh; // adjusted baseline over the event intervals
        uint256 actualWh; // metered use over the event intervals
        uint256 reductionWh; // max(0, baselineWh - actualWh)
        uint256 adjustmentBps; // the applied day-of ratio, 10_000 = none
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The baseline method id is not known.
    error UnknownBaselineMethod(uint8 method);
    /// @notice The event window is not whole meter intervals within one day.
    error InvalidEventWindow(uint8 startInterval, uint8 endInterval);
    /// @notice The meter interval is not 15, 30 or 60 minutes.
    error InvalidMeterIntervalLength(uint8 intervalMinutes);
    /// @notice A day's readings are not one per meter interval of the day.
    error InvalidDayLength(uint256 length, uint256 expected);
    /// @notice The adjustment cap exceeds 100 %.
    error InvalidAdjustmentCap(uint16 adjCapBps);
    /// @notice A baseline needs between 5 and 10 days.
    error InvalidBaselineDayCount(uint256 count);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Validate a parameter set (B-1).
    function validate(Params memory p) internal pure {
        if (p.method > METHOD_HIGH_FIVE_OF_TEN) revert UnknownBaselineMethod(p.method);
        uint256 perDay = intervalsPerDay(p.intervalMinutes);
        if (p.startInterval >= p.endInterval || p.endInterval > perDay) {
            revert InvalidEventWindow(p.startInterval, p.endInterval);
        }
        if (p.adjCapBps > BPS) revert InvalidAdjustmentCap(p.adjCapBps);
    }

    /// @notice Meter intervals in a day: 96, 48 or 24 for 15-, 30- or 60-minute data (B-1, R-7).
    function intervalsPerDay(uint8 intervalMinutes) internal pure returns (uint256) {
        if (intervalMinutes != 15 && intervalMinutes != 30 && intervalMinutes != 60) {
            revert InvalidMeterIntervalLength(intervalMinutes);
        }
        return MINUTES_PER_DAY / intervalMinutes;
    }

    /// @notice Compute baseline, actual use and verified reduction for one consumer-event (B-2..B-6, B-9).
    /// @param baselineDays Wh per meter interval of the baseline days, most recent first (5..10 days),
    /// one reading per interval of the day each; a day without a usable record (a gap, S-4) is all zeros.
    /// @param eventDay Wh per meter interval of the event day.
    /// @param p The program's baseline parameters and the event's window.
    /// @param gapped Some baseline day is a gap: the day-of ratio is the cap's floor (B-9).
    function compute(
        uint32[][] memory baselineDays,
        uint32[] memory eventDay,
        Params memory p,
        bool gapped
    ) internal pure returns (Result memory r) {
        validate(p);
        uint256 n = baselineDays.length;
        if (n < MIN_DAYS || n > MAX_DAYS) revert InvalidBaselineDayCount(n);
        uint256 perDay = intervalsPerDay(p.intervalMinutes);
        if (eventDay.length != perDay) revert InvalidDayLength(eventDay.length, perDay);
        for (uint256 d; d < n; ++d) {
            if (baselineDays[d].length != perDay) revert InvalidDayLength(baselineDays[d].length, perDay);
        }

        bool[] memory selected = _select(baselineDays, p);
        uint256 count = p.method == METHOD_TEN_IN_TEN ? n : HIGH_DAYS;
        // slither: the window's end is recomputed by _fromSums
        // slither-disable-next-line unused-return
        (uint256 adjStart, ) = adjustmentWindow(p);
        uint256[] memory sums = new uint256[](perDay);
        _intervalSums(baselineDays, selected, sums, adjStart, p.endInterval);
        return _fromSums(sums, count, eventDay, p, gapped);
    }

    /// @notice `compute` for CAISO 10-in-10 (B-2) from the sums, per interval, of the `n` eligible days'
    /// readings over intervals [adjustmentWindow start, endInterval) (other intervals are not read): the
    /// same result, for callers that add the days up as they read them. `p` must have passed `validate`
    /// (a batch validates once for all its consumers), `sums` and `eventDay` hold at least `endInterval`
    /// entries. `gapped` as in `compute` (B-9).
    function computeTenInTen(
        uint256[] memory sums,
        uint256 n,
        uint32[] memory eventDay,
        Params memory p,
        bool gapped
    ) internal pure returns (Result memory) {
        if (p.method != METHOD_TEN_IN_TEN) revert UnknownBaselineMethod(p.method);
        if (n < MIN_DAYS || n > MAX_DAYS) revert InvalidBaselineDayCount(n);
        return _fromSums(sums, n, eventDay, p, gapped);
    }

    /// @dev B-2..B-6 from the selected days' per-interval sums and their count. Unchecked sums: a sum is
    /// at most 10 days of uint32 Wh (< 2^36), the ratio at most 2 * BPS, 96 intervals of either: nothing
    /// near 2^256. `count` is 1..10 (checked by the callers), so no division is by zero. 10-in-10 floors
    /// each interval (B-2, B-6); high-5-of-10 floors the event window's total once (B-3, B-6), so that its
    /// result is monotone in every reading (B-9).
    function _fromSums(
        uint256[] memory sums,
        uint256 count,
        uint32[] memory eventDay,
        Params memory p,
        bool gapped
    ) private pure returns (Result memory r) {
        uint256 ratio = _adjustment(sums, count, eventDay, p, gapped);
        (uint256 baselineWh, uint256 actualWh, uint256 windowSum) = (0, 0, 0);
        bool perInterval = p.method == METHOD_TEN_IN_TEN;
        unchecked {
            for (uint256 k = p.startInterval; k < p.endInterval; ++k) {
                // slither: B-2 floors each interval's average before B-5 adjusts it, exactly as the reference
                // slither-disable-next-line divide-before-multiply
                if (perInterval) baselineWh += ((sums[k] / count) * ratio) / BPS;
                else windowSum += sums[k];
                actualWh += eventDay[k];
            }
            if (!perInterval) baselineWh = (windowSum * ratio) / (count * BPS);
        }
        r.adjustmentBps = ratio;
        r.baselineWh = baselineWh;
        r.actualWh = actualWh;
        r.reductionWh = baselineWh > actualWh ? baselineWh - actualWh : 0;
    }

    /// @dev B-4, B-5: the capped day-of adjustment ratio from the sums over the adjustment window; with a
    /// gap among the baseline days, the cap's floor (B-9).
    function _adjustment(
        uint256[] memory sums,
        uint256 count,
        uint32[] memory eventDay,
        Params memory p,
        bool gapped
    ) private pure returns (uint256) {
        (uint256 adjStart, uint256 adjEnd) = adjustmentWindow(p);
        if (gapped && adjEnd > adjStart) return BPS - p.adjCapBps;
        (uint256 adjBaseline, uint256 adjActual) = (0, 0);
        unchecked {
            for (uint256 k = adjStart; k < adjEnd; ++k) {
                adjBaseline += sums[k] / count; // B-2: floor per interval
                adjActual += eventDay[k];
            }
        }
        return adjustmentRatio(adjActual, adjBaseline, p.adjCapBps, adjEnd > adjStart);
    }

    /// @notice The day-of adjustment window [start, end) in meter intervals of the day (B-4): its hours
    /// and gap counted in the region's intervals (4 or 2 an hour for 15- or 30-minute data).
    // slither: 60 / interval is exact for the 15, 30 or 60 minutes that validate allows
    // slither-disable-next-line divide-before-multiply
    function adjustmentWindow(Params memory p) internal pure returns (uint256 start, uint256 end) {
        uint256 perHour = MINUTES_PER_HOUR / p.intervalMinutes; // validate: 15, 30 or 60
        uint256 gap = uint256(p.adjGapHours) * perHour;
        uint256 window = uint256(p.adjWindowHours) * perHour;
        end = p.startInterval > gap ? p.startInterval - gap : 0;
        start = end > window ? end - window : 0;
    }

    /// @notice The capped day-of adjustment ratio in bps (B-5).
    /// @param actualWh Event-day use in the adjustment window.
    /// @param baselineWh Unadjusted baseline over the adjustment window.
    /// @param capBps Largest allowed |ratio - 1|, in bps.
    /// @param hasWindow False when the window is empty (early events): no adjustment.
    function adjustmentRatio(
        uint256 actualWh,
        uint256 baselineWh,
        uint16 capBps,
        bool hasWindow
    ) internal pure returns (uint256) {
        if (!hasWindow || baselineWh == 0) return BPS;
        uint256 ratio = (actualWh * BPS) / baselineWh;
        uint256 lo = BPS - capBps;
        uint256 hi = BPS + capBps;
        if (ratio < lo) return lo;
        if (ratio > hi) return hi;
        return ratio;
    }

    /// @notice Reward in token units for a verified reduction (B-7).
    /// @param reductionWh Verified reduction.
    /// @param committedWh The consumer's commitment.
    /// @param rate Token units per kWh.
    /// @param minDeliveryBps Delivery below this share of the commitment earns nothing.
    /// @param bonusCapBps Over-delivery is paid up to commitment × (1 + bonusCap).
    function reward(
        uint256 reductionWh,
        uint256 committedWh,
        uint256 rate,
        uint16 minDeliveryBps,
        uint16 bonusCapBps
    ) internal pure returns (uint256) {
        if (reductionWh * BPS < committedWh * minDeliveryBps) return 0;
        return (payableWh(reductionWh, committedWh, bonusCapBps) * rate) / WH_PER_KWH;
    }

    /// @notice The most a commitment can earn: what enrollment reserves (B-8).
    function maxReward(uint256 committedWh, uint256 rate, uint16 bonusCapBps) internal pure returns (uint256) {
        return (commitmentCap(committedWh, bonusCapBps) * rate) / WH_PER_KWH;
    }

    /// @notice min(reduction, commitment × (1 + bonusCap)), the bound rounded down (B-7).
    function payableWh(uint256 reductionWh, uint256 committedWh, uint16 bonusCapBps) internal pure returns (uint256) {
        uint256 cap = commitmentCap(committedWh, bonusCapBps);
        return reductionWh < cap ? reductionWh : cap;
    }

    /// @notice The most Wh a commitment is paid for: floor(commitment × (10_000 + bonusCap) / 10_000) (B-7).
    function commitmentCap(uint256 committedWh, uint16 bonusCapBps) internal pure returns (uint256) {
        return (committedWh * (BPS + bonusCapBps)) / BPS;
    }

    /*//////////////////////////////////////////////////////////////
                                 PRIVATE
    //////////////////////////////////////////////////////////////*/

    /// @dev Which days enter the average (B-2, B-3).
    function _select(uint32[][] memory readings, Params memory p) private pure returns (bool[] memory selected) {
        uint256 n = readings.length;
        selected = new bool[](n);
        if (p.method == METHOD_TEN_IN_TEN || n == HIGH_DAYS) {
            for (uint256 d; d < n; ++d) selected[d] = true;
            return selected;
        }
        uint256[] memory windowUse = new uint256[](n);
        for (uint256 d; d < n; ++d) {
            for (uint256 k = p.startInterval; k < p.endInterval; ++k) windowUse[d] += readings[d][k];
        }
        // pick the HIGH_DAYS largest; strict `>` keeps the earlier (more recent) day on ties
        for (uint256 j; j < HIGH_DAYS; ++j) {
            uint256 best = type(uint256).max;
            for (uint256 d; d < n; ++d) {
                if (!selected[d] && (best == type(uint256).max || windowUse[d] > windowUse[best])) best = d;
            }
            selected[best] = true;
        }
    }

    /// @dev For each interval k in [first, end): `sums[k]` += the selected days' readings (B-2 divides
    /// each by the day count, rounding down). One pass over the days; at most 10 days of uint32 readings,
    /// so no sum comes near overflow. Needs first <= end <= the length of `sums` and of every day.
    function _intervalSums(
        uint32[][] memory readings,
        bool[] memory selected,
        uint256[] memory sums,
        uint256 first,
        uint256 end
    ) private pure {
        uint256 n = readings.length;
        // compute checked every day's length and validate end <= intervals a day: every index stays
        // inside its array; hot path of settlement
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let base := add(sums, 0x20)
            for {
                let d := 0
            } lt(d, n) {
                d := add(d, 1)
            } {
                if mload(add(selected, shl(5, add(d, 1)))) {
                    // a day's data starts one word (its length) after its pointer
                    let src := add(mload(add(readings, shl(5, add(d, 1)))), shl(5, add(first, 1)))
                    let limit := add(base, shl(5, end))
                    for {
                        let at := add(base, shl(5, first))
                    } lt(at, limit) {
                        at := add(at, 0x20)
                    } {
                        mstore(at, add(mload(at), mload(src))) // <= 10 x (2^32 - 1)
                        src := add(src, 0x20)
                    }
                }
            }
        }
    }
}
