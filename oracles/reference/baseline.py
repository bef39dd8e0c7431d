"""Python reference of contracts/libraries/Baseline.sol (SPECIFICATION.md §3, rules B-1..B-8).

Exact integer arithmetic with the contract's rounding (every division rounds down). The keeper and
the tests compare on-chain results with these functions; they must be equal to the Wh.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

MIN_DAYS = 5
MAX_DAYS = 10
HIGH_DAYS = 5
BPS = 10_000
WH_PER_KWH = 1_000
HOURS = 24
MINUTES_PER_HOUR = 60
MINUTES_PER_DAY = 1_440
INTERVALS = (15, 30, 60)  # the meter interval lengths a region may use

DayReadings = Sequence[int]  # Wh per meter interval of one consumer-day (24, 48 or 96 values)


class Method(IntEnum):
    TEN_IN_TEN = 0  # CAISO 10-in-10 (B-2)
    HIGH_FIVE_OF_TEN = 1  # PG&E high-5-of-10 (B-3)


def intervals_per_day(interval_minutes: int) -> int:
    """96, 48 or 24 meter intervals a day for 15-, 30- or 60-minute data (B-1, R-7)."""
    if interval_minutes not in INTERVALS:
        raise ValueError(f"a meter interval is 15, 30 or 60 minutes, got {interval_minutes}")
    return MINUTES_PER_DAY // interval_minutes


def net_readings(imports: Sequence[int], exports: Sequence[int]) -> tuple[int, ...]:
    """N-1: a net program's reading of each interval, max(import - export, 0) Wh: an export beyond
    the interval's import is worth nothing, so exporting more is never paid as a reduction."""
    if len(imports) != len(exports):
        raise ValueError(
            f"import and export days differ in length: {len(imports)} != {len(exports)}"
        )
    return tuple(max(i - e, 0) for i, e in zip(imports, exports, strict=True))


class BaselineParams(BaseModel):
    """The program's baseline parameters and the event's window (B-1): the contract's `Baseline.Params`.

    The window ``[start_interval, end_interval)`` counts meter intervals of the local day at the
    region's ``interval_minutes`` (in an hourly region, hours; 17:15-18:45 on 15-minute data is
    69..75); the day-of adjustment window's length and gap stay in hours (B-4)."""

    model_config = ConfigDict(frozen=True)

    method: Method = Method.TEN_IN_TEN
    interval_minutes: int = 60
    start_interval: int = Field(ge=0, le=95)
    end_interval: int = Field(ge=1, le=96)
    adj_window_hours: int = Field(default=3, ge=0, le=255)
    adj_gap_hours: int = Field(default=1, ge=0, le=255)
    adj_cap_bps: int = Field(default=2_000, ge=0, le=BPS)

    @model_validator(mode="after")
    def _window(self) -> BaselineParams:
        per_day = intervals_per_day(self.interval_minutes)
        if self.start_interval >= self.end_interval:
            raise ValueError(f"event window {self.start_interval}..{self.end_interval} is empty")
        if self.end_interval > per_day:
            raise ValueError(
                f"event window ends at interval {self.end_interval}, after the day's {per_day}"
            )
        return self

    @property
    def per_day(self) -> int:
        """Meter intervals a day (24, 48 or 96)."""
        return intervals_per_day(self.interval_minutes)

    @property
    def per_hour(self) -> int:
        """Meter intervals an hour (1, 2 or 4)."""
        return MINUTES_PER_HOUR // self.interval_minutes

    def as_tuple(self) -> tuple[int, int, int, int, int, int, int]:
        """The ABI tuple of `Baseline.Params`."""
        return (
            int(self.method),
            self.interval_minutes,
            self.start_interval,
            self.end_interval,
            self.adj_window_hours,
            self.adj_gap_hours,
            self.adj_cap_bps,
        )


class BaselineResult(BaseModel):
    """The contract's `Baseline.Result`."""

    model_config = ConfigDict(frozen=True)

    baseline_wh: int
    actual_wh: int
    reduction_wh: int
    adjustment_bps: int

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.baseline_wh, self.actual_wh, self.reduction_wh, self.adjustment_bps)


def select_days(days: Sequence[DayReadings], p: BaselineParams) -> list[int]:
    """Indices of the days that enter the average (B-2, B-3); `days` are most recent first."""
    if p.method == Method.TEN_IN_TEN or len(days) == HIGH_DAYS:
        return list(range(len(days)))
    use = [sum(day[p.start_interval : p.end_interval]) for day in days]
    # the HIGH_DAYS largest event-window uses; on a tie the more recent (lower index) day wins
    ranked = sorted(range(len(days)), key=lambda d: (-use[d], d))
    return sorted(ranked[:HIGH_DAYS])


def interval_baseline(days: Sequence[DayReadings], selected: Sequence[int], k: int) -> int:
    """floor(sum of the selected days' use in interval `k` / number of selected days) (B-2)."""
    return sum(days[d][k] for d in selected) // len(selected)


def adjustment_window(p: BaselineParams) -> tuple[int, int]:
    """[start, end) of the day-of adjustment window in meter intervals, clipped at interval 0 (B-4):
    its length and gap in hours, 4 or 2 intervals each on 15- or 30-minute data."""
    end = max(p.start_interval - p.adj_gap_hours * p.per_hour, 0)
    start = max(end - p.adj_window_hours * p.per_hour, 0)
    return start, end


def adjustment_ratio(actual_wh: int, baseline_wh: int, cap_bps: int, has_window: bool) -> int:
    """floor(actual * 10_000 / baseline), clamped to 10_000 ± cap; 10_000 without data (B-5)."""
    if not has_window or baseline_wh == 0:
        return BPS
    ratio = actual_wh * BPS // baseline_wh
    return min(max(ratio, BPS - cap_bps), BPS + cap_bps)


def compute(
    baseline_days: Sequence[DayReadings],
    event_day: DayReadings,
    p: BaselineParams,
    gapped: bool = False,
) -> BaselineResult:
    """Baseline, actual use and verified reduction of one consumer for one event (B-2..B-6, B-9).

    ``baseline_days`` are the event's baseline days (S-3), most recent first; a day without a usable
    record (a gap, S-4) is all zeros and ``gapped`` is then true: the day-of ratio is the cap's floor
    (B-9), the worst case over every value the day could have had."""
    if not MIN_DAYS <= len(baseline_days) <= MAX_DAYS:
        raise ValueError(f"a baseline needs {MIN_DAYS}..{MAX_DAYS} days, got {len(baseline_days)}")
    if len(event_day) != p.per_day or any(len(d) != p.per_day for d in baseline_days):
        raise ValueError(f"every day needs {p.per_day} readings of {p.interval_minutes} minutes")
    selected = select_days(baseline_days, p)
    adj_start, adj_end = adjustment_window(p)
    adj_baseline = sum(
        interval_baseline(baseline_days, selected, k) for k in range(adj_start, adj_end)
    )
    adj_actual = sum(event_day[adj_start:adj_end])
    has_window = adj_end > adj_start
    if gapped and has_window:
        ratio = BPS - p.adj_cap_bps
    else:
        ratio = adjustment_ratio(adj_actual, adj_baseline, p.adj_cap_bps, has_window)
    window = range(p.start_interval, p.end_interval)
    if p.method == Method.TEN_IN_TEN:  # B-2, B-6: each interval's average floored, then adjusted
        baseline = sum(interval_baseline(baseline_days, selected, k) * ratio // BPS for k in window)
    else:  # B-3, B-6: the window's total over the 5 days, adjusted and floored once (B-9)
        total = sum(baseline_days[d][k] for d in selected for k in window)
        baseline = total * ratio // (len(selected) * BPS)
    actual = sum(event_day[p.start_interval : p.end_interval])
    return BaselineResult(
        baseline_wh=baseline,
        actual_wh=actual,
        reduction_wh=max(baseline - actual, 0),
        adjustment_bps=ratio,
    )


def payable_wh(reduction_wh: int, committed_wh: int, bonus_cap_bps: int) -> int:
    """min(reduction, commitment cap) (B-7)."""
    return min(reduction_wh, commitment_cap(committed_wh, bonus_cap_bps))


def commitment_cap(committed_wh: int, bonus_cap_bps: int) -> int:
    """The most Wh a commitment is paid for: floor(commitment * (10_000 + bonusCap) / 10_000) (B-7)."""
    return committed_wh * (BPS + bonus_cap_bps) // BPS


def reward(
    reduction_wh: int, committed_wh: int, rate: int, min_delivery_bps: int, bonus_cap_bps: int
) -> int:
    """Token units earned (B-7): nothing below the minimum delivery ratio, else floor(payable * rate / 1000)."""
    if reduction_wh * BPS < committed_wh * min_delivery_bps:
        return 0
    return payable_wh(reduction_wh, committed_wh, bonus_cap_bps) * rate // WH_PER_KWH


def max_reward(committed_wh: int, rate: int, bonus_cap_bps: int) -> int:
    """The reservation made at enrollment: the most the commitment can earn (B-8)."""
    return commitment_cap(committed_wh, bonus_cap_bps) * rate // WH_PER_KWH
