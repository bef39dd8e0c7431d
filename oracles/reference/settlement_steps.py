"""One settlement's arithmetic shown step by step (SPECIFICATION.md §3, B-2..B-9): the figures
:func:`oracles.reference.baseline.compute` and :func:`~oracles.reference.baseline.reward` return,
with every intermediate value a reader needs to redo them by hand.

:func:`steps` takes the same inputs as ``compute`` (the baseline days' readings, most recent first,
a gap as zeros; the event day's readings) and the enrollment's and program's reward terms, and
returns :class:`Steps`: the days that enter the average, the baseline, adjusted baseline and actual
use of each interval of the window, the day-of adjustment with its cap, the reduction and the
reward. Its totals are checked against ``compute``/``reward`` on every call, so the shown steps and
the settled figures cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict

from oracles.reference import baseline as ref
from oracles.reference import load_shift
from oracles.reference.baseline import BPS, WH_PER_KWH, BaselineParams, DayReadings, Method


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class IntervalStep(_Model):
    """One meter interval of the event window."""

    interval: int  # index in the local day at the region's interval
    baseline_wh: int  # floor(sum of the selected days' readings / days) (B-2)
    adjusted_wh: int | None  # 10-in-10: floor(baseline * ratio / 10,000) (B-6); None for high-5
    actual_wh: int  # the event day's reading


class AdjustmentStep(_Model):
    """The day-of adjustment (B-4, B-5, B-9)."""

    start_interval: int  # [start, end) of the adjustment window, in meter intervals
    end_interval: int
    baseline_wh: int  # the selected days' average over the adjustment window
    actual_wh: int  # the event day's use over it
    raw_bps: int | None  # floor(actual * 10,000 / baseline) before the cap; None when not computed
    cap_bps: int  # the program's cap: the ratio stays within 10,000 +- cap
    ratio_bps: int  # what settlement applies
    why: str  # "ratio", "capped", "no adjustment window", "zero baseline", "gap: cap floor (B-9)"


class RewardStep(_Model):
    """The reward (B-7): nothing below the minimum delivery, else the payable Wh at the rate."""

    reduction_wh: int
    committed_wh: int
    min_delivery_bps: int
    delivered: bool  # reduction >= commitment * min delivery
    bonus_cap_bps: int
    cap_wh: int  # floor(commitment * (10,000 + bonus cap) / 10,000)
    payable_wh: int  # min(reduction, cap)
    rate: int  # token units per kWh
    reward: int  # floor(payable * rate / 1,000), or 0 below the minimum delivery


class ShiftStep(_Model):
    """A load shift (L-2..L-4): the rebound window, its baseline and use, and neutrality."""

    rebound_start: int  # [start, end) of the rebound window, in meter intervals (L-2)
    rebound_end: int
    neutrality_bps: int  # the program's tolerance
    result: load_shift.LoadShiftResult


class Steps(_Model):
    method: str  # "10-in-10" or "high-5-of-10"
    selected: list[int]  # indices (0 = most recent) of the baseline days in the average (B-2, B-3)
    intervals: list[IntervalStep]
    adjustment: AdjustmentStep
    baseline_wh: int  # the adjusted baseline over the window (B-6)
    actual_wh: int
    # what settlement records as the reduction: max(baseline - actual, 0), or for a load shift the
    # shifted energy (L-5; the event window's reduction is then shift.result.reduction_wh)
    reduction_wh: int
    reward: RewardStep
    shift: ShiftStep | None = None  # a load-shifting program's rebound and neutrality (L-2..L-4)

    def result(self) -> ref.BaselineResult:
        return ref.BaselineResult(baseline_wh=self.baseline_wh, actual_wh=self.actual_wh,
                                  reduction_wh=self.reduction_wh,
                                  adjustment_bps=self.adjustment.ratio_bps)  # fmt: skip


METHOD_NAMES = {Method.TEN_IN_TEN: "10-in-10", Method.HIGH_FIVE_OF_TEN: "high-5-of-10"}


def steps(
    baseline_days: Sequence[DayReadings],
    event_day: DayReadings,
    p: BaselineParams,
    *,
    gapped: bool,
    committed_wh: int,
    rate: int,
    min_delivery_bps: int,
    bonus_cap_bps: int,
    shift: load_shift.ShiftTerms | None = None,
) -> Steps:
    """Every step of one settlement; its figures equal ``compute`` and ``reward`` exactly (for a
    load-shifting program, ``shift`` given and no gap: ``load_shift.compute_shift``)."""
    result = ref.compute(baseline_days, event_day, p, gapped)  # validates the inputs first
    shift_step: ShiftStep | None = None
    if shift is not None:
        result, measured = load_shift.compute_shift(baseline_days, event_day, p, shift)
        shift_step = ShiftStep(rebound_start=shift.rebound_start, rebound_end=shift.rebound_end,
                               neutrality_bps=shift.neutrality_bps, result=measured)  # fmt: skip
    selected = ref.select_days(baseline_days, p)
    adjustment = _adjustment(baseline_days, event_day, p, selected, gapped)
    ratio = adjustment.ratio_bps
    ten = p.method == Method.TEN_IN_TEN
    rows = []
    for k in range(p.start_interval, p.end_interval):
        avg = ref.interval_baseline(baseline_days, selected, k)
        rows.append(IntervalStep(interval=k, baseline_wh=avg, actual_wh=event_day[k],
                                 adjusted_wh=avg * ratio // BPS if ten else None))  # fmt: skip
    if ten:
        baseline = sum(r.adjusted_wh or 0 for r in rows)
    else:  # B-3, B-6: the 5 days' window total, adjusted and floored once
        total = sum(
            baseline_days[d][k] for d in selected for k in range(p.start_interval, p.end_interval)
        )
        baseline = total * ratio // (len(selected) * BPS)
    actual = sum(r.actual_wh for r in rows)
    reduction = max(baseline - actual, 0)
    if shift_step is not None:  # L-5: the shifted energy is what B-7 pays
        reduction = shift_step.result.shifted_wh
    cap = ref.commitment_cap(committed_wh, bonus_cap_bps)
    delivered = reduction * BPS >= committed_wh * min_delivery_bps
    payable = min(reduction, cap)
    reward = payable * rate // WH_PER_KWH if delivered else 0
    out = Steps(
        method=METHOD_NAMES[p.method], selected=selected, intervals=rows, adjustment=adjustment,
        baseline_wh=baseline, actual_wh=actual, reduction_wh=reduction,
        reward=RewardStep(reduction_wh=reduction, committed_wh=committed_wh,
                          min_delivery_bps=min_delivery_bps, delivered=delivered,
                          bonus_cap_bps=bonus_cap_bps, cap_wh=cap, payable_wh=payable, rate=rate,
                          reward=reward),
        shift=shift_step,
    )  # fmt: skip
    expected = ref.reward(result.reduction_wh, committed_wh, rate, min_delivery_bps, bonus_cap_bps)
    if out.result() != result or reward != expected:  # the steps must be the reference's own
        raise AssertionError(f"steps {out.result()} reward {reward} differ from the reference "
                             f"{result} reward {expected}")  # fmt: skip
    return out


def _adjustment(
    days: Sequence[DayReadings],
    event_day: DayReadings,
    p: BaselineParams,
    selected: Sequence[int],
    gapped: bool,
) -> AdjustmentStep:
    start, end = ref.adjustment_window(p)
    base = sum(ref.interval_baseline(days, selected, k) for k in range(start, end))
    actual = sum(event_day[start:end])
    has_window = end > start
    raw: int | None = None
    if not has_window:
        ratio, why = BPS, "no adjustment window"
    elif gapped:
        ratio, why = BPS - p.adj_cap_bps, "gap: cap floor (B-9)"
    elif base == 0:
        ratio, why = BPS, "zero baseline"
    else:
        raw = actual * BPS // base
        ratio = ref.adjustment_ratio(actual, base, p.adj_cap_bps, True)
        why = "ratio" if ratio == raw else "capped"
    return AdjustmentStep(start_interval=start, end_interval=end, baseline_wh=base,
                          actual_wh=actual, raw_bps=raw, cap_bps=p.adj_cap_bps, ratio_bps=ratio,
                          why=why)  # fmt: skip
