"""Python reference of contracts/libraries/LoadShift.sol (SPECIFICATION.md §7, rules L-1..L-5).

A load-shifting program pays for energy moved, not shed: the reduction in the event window and the
rebound in the window beside it (before the event for pre-cooling or pre-charging, after it for a
deferred load) are measured against the consumer's own 10-in-10 baseline without day-of adjustment and
settle together. The shifted energy, min(reduction, rebound), is paid only when the two are equal
within the program's energy-neutrality tolerance. Exact integer arithmetic with the contract's
rounding (every division rounds down); the tests compare the chain with these functions to the Wh.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel, ConfigDict, Field

from oracles.reference.baseline import (
    BPS,
    MAX_DAYS,
    MIN_DAYS,
    MINUTES_PER_HOUR,
    BaselineParams,
    BaselineResult,
    DayReadings,
    Method,
    compute,
    intervals_per_day,
)

MAX_SHIFT_HOURS = 12  # ProgramRegistry.MAX_SHIFT_HOURS (L-1)

__all__ = [
    "MAX_SHIFT_HOURS",
    "LoadShiftResult",
    "ShiftTerms",
    "compute_shift",
    "invalid_load_shift",
    "is_neutral",
    "rebound_window",
    "settlement_result",
    "shift_terms",
]


class ShiftTerms(BaseModel):
    """An event's rebound window ``[rebound_start, rebound_end)`` in meter intervals of the event day
    (L-2) and its program's tolerance (L-4): the contract's `LoadShift.Terms`."""

    model_config = ConfigDict(frozen=True)

    rebound_start: int = Field(ge=0, le=96)
    rebound_end: int = Field(ge=0, le=96)
    neutrality_bps: int = Field(ge=0, le=BPS)


class LoadShiftResult(BaseModel):
    """One consumer's load shift (L-3, L-4): the contract's `LoadShift.Result`, field for field."""

    model_config = ConfigDict(frozen=True)

    reduction_wh: int
    rebound_baseline_wh: int
    rebound_actual_wh: int
    rebound_wh: int
    shifted_wh: int
    neutral: bool

    def as_tuple(self) -> tuple[int, int, int, int, int, bool]:
        return (self.reduction_wh, self.rebound_baseline_wh, self.rebound_actual_wh,
                self.rebound_wh, self.shifted_wh, self.neutral)  # fmt: skip


def invalid_load_shift(
    method: int, adj_window_hours: int, shift_hours: int, neutrality_bps: int
) -> bool:
    """L-1: a load-shifting program's terms ProgramRegistry refuses (`InvalidLoadShift`)."""
    return (
        method != Method.TEN_IN_TEN
        or adj_window_hours != 0
        or not 1 <= shift_hours <= MAX_SHIFT_HOURS
        or neutrality_bps > BPS
    )


def rebound_window(
    interval_minutes: int, start_interval: int, end_interval: int, shift_hours: int, before: bool
) -> tuple[int, int]:
    """L-2: ``shift_hours`` hours of meter intervals ending at the event's start (``before``) or
    starting at its end, cut at the local day's edges (a record holds one local day)."""
    per_day = intervals_per_day(interval_minutes)
    length = shift_hours * MINUTES_PER_HOUR // interval_minutes
    if before:
        return max(start_interval - length, 0), start_interval
    return end_interval, min(end_interval + length, per_day)


def is_neutral(reduction_wh: int, rebound_wh: int, neutrality_bps: int) -> bool:
    """L-4: a reduction, and a rebound within the tolerance of it:
    ``|reduction - rebound| * 10_000 <= neutrality_bps * reduction``."""
    return (
        reduction_wh > 0 and abs(reduction_wh - rebound_wh) * BPS <= neutrality_bps * reduction_wh
    )


def compute_shift(
    baseline_days: Sequence[DayReadings],
    event_day: DayReadings,
    p: BaselineParams,
    t: ShiftTerms,
) -> tuple[BaselineResult, LoadShiftResult]:
    """L-3..L-5 for one consumer and one event.

    ``baseline_days`` are the event's baseline days (S-3), most recent first, every one usable (a load
    shift with a gap is insufficient data, L-3); ``p`` has no day-of adjustment (L-1). Returns the event
    window's baseline, actual use and ratio (10,000) with ``reduction_wh`` replaced by the shifted energy
    (what B-7 pays), and the load shift."""
    if p.method != Method.TEN_IN_TEN or p.adj_window_hours != 0:
        raise ValueError("a load shift uses the 10-in-10 baseline without day-of adjustment (L-1)")
    if not MIN_DAYS <= len(baseline_days) <= MAX_DAYS:
        raise ValueError(f"a baseline needs {MIN_DAYS}..{MAX_DAYS} days, got {len(baseline_days)}")
    base = compute(baseline_days, event_day, p, gapped=False)
    n = len(baseline_days)
    window = range(t.rebound_start, t.rebound_end)
    rebound_baseline = sum(sum(day[k] for day in baseline_days) // n for k in window)
    rebound_actual = sum(event_day[k] for k in window)
    rebound = max(rebound_actual - rebound_baseline, 0)
    neutral = is_neutral(base.reduction_wh, rebound, t.neutrality_bps)
    shifted = min(base.reduction_wh, rebound) if neutral else 0
    shift = LoadShiftResult(
        reduction_wh=base.reduction_wh,
        rebound_baseline_wh=rebound_baseline,
        rebound_actual_wh=rebound_actual,
        rebound_wh=rebound,
        shifted_wh=shifted,
        neutral=neutral,
    )
    return base.model_copy(update={"reduction_wh": shifted}), shift


def shift_terms(
    interval_minutes: int,
    start_interval: int,
    end_interval: int,
    shift_hours: int,
    before: bool,
    neutrality_bps: int,
) -> ShiftTerms:
    """A load-shifting event's terms: its rebound window (L-2) and its program's tolerance."""
    start, end = rebound_window(interval_minutes, start_interval, end_interval, shift_hours, before)
    return ShiftTerms(rebound_start=start, rebound_end=end, neutrality_bps=neutrality_bps)


def settlement_result(
    baseline_days: Sequence[DayReadings],
    event_day: DayReadings,
    p: BaselineParams,
    gapped: bool,
    shift: ShiftTerms | None,
) -> tuple[BaselineResult | None, LoadShiftResult | None]:
    """What settlement records once S-6 holds: for a peak-shaving or emergency-response program the
    baseline result (B-2..B-6, B-9); for a load-shifting one (``shift`` given) the shifted result and
    the load shift (L-3..L-5), or ``(None, None)`` when a baseline day is a gap (L-3: insufficient)."""
    if shift is None:
        return compute(baseline_days, event_day, p, gapped), None
    if gapped:
        return None, None
    return compute_shift(baseline_days, event_day, p, shift)
