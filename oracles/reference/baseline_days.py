"""Python reference of settlement's baseline days (SPECIFICATION.md §7, rules S-3, S-4; §3 B-9).

The baseline days of an event are chosen from region facts only (the region's holidays and event
days, and the consumer's activation day), never from what data exists: `candidate_days` lists them,
most recent first, at most 10. A day without a usable record for the consumer (none posted, flagged
missing, or in a signed-data program not signed by its meter key) is a gap: it is not replaced by
an older day; `baseline_inputs` turns it into a day of zeros and marks the set gapped, which sets the
day-of ratio to the cap's floor (B-9), exactly as `ProofSettlement` does. So no poster who withholds
or flags a record can raise a reward (P2).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple

from oracles.reference.baseline import BPS, MAX_DAYS, MIN_DAYS

__all__ = [
    "BPS",
    "LOOKBACK_DAYS",
    "MAX_DAYS",
    "MIN_DAYS",
    "BaselineInputs",
    "baseline_inputs",
    "candidate_days",
    "day_date",
    "reliability",
    "sufficient",
]

LOOKBACK_DAYS = 45


def day_date(day: int) -> date:
    """The date that names protocol day ``day`` (days since 1970-01-01 in the region's standard
    time, R-3)."""
    return date(1970, 1, 1) + timedelta(days=day)


def weekday(day: int) -> int:
    """0 = Monday .. 6 = Sunday; local day 0 (1970-01-01) was a Thursday."""
    return (day + 3) % 7


def is_weekend(day: int) -> bool:
    return weekday(day) >= 5


def candidate_days(
    event_day: int,
    activation_day: int,
    holidays: Collection[int],
    event_days: Collection[int],
) -> list[int]:
    """The event's baseline days (S-3): the 10 most recent like days after activation within the
    lookback that are not event days of the region, by region facts only."""
    weekend_like = is_weekend(event_day) or event_day in holidays
    earliest = max(event_day - LOOKBACK_DAYS, activation_day + 1)
    out: list[int] = []
    for d in range(event_day - 1, earliest - 1, -1):
        if len(out) == MAX_DAYS:
            break
        holiday = d in holidays
        like = (is_weekend(d) or holiday) if weekend_like else (not is_weekend(d) and not holiday)
        if like and d not in event_days:
            out.append(d)
    return out


HOURS = 24


class BaselineInputs(NamedTuple):
    """What settlement computes a consumer's baseline from (S-4, S-6, B-9)."""

    days: list[tuple[int, ...]]  # every baseline day's readings, a gap as zeros
    gapped: bool  # some day is a gap: the day-of ratio is the cap's floor (B-9)
    usable: int  # days with a usable record; S-6 needs MIN_DAYS


def baseline_inputs(
    candidates: Iterable[int],
    usable: Callable[[int], Sequence[int] | None],
    intervals: int = HOURS,
) -> BaselineInputs:
    """The baseline days' readings (S-4, B-9): ``usable(day)`` is the consumer's usable readings of
    the day, or None for a gap (no record, flagged missing, not signed by its key); a gap is a day
    of zeros (``intervals`` of them: 24, 48 or 96), never replaced by an older day."""
    days: list[tuple[int, ...]] = []
    gapped = False
    count = 0
    for d in candidates:
        r = usable(d)
        if r is None:
            gapped = True
            days.append((0,) * intervals)
        else:
            count += 1
            days.append(tuple(r))
    return BaselineInputs(days, gapped, count)


def sufficient(event_usable: bool, inputs: BaselineInputs) -> bool:
    """S-6: the event day's record is usable and at least MIN_DAYS baseline days are."""
    return event_usable and inputs.usable >= MIN_DAYS


RELIABILITY_WEIGHT_BPS = 2_000


def reliability(
    score: int, committed_wh: int, verified_wh: int, min_delivery_bps: int, sufficient: bool
) -> int:
    """C-10: exponential moving average (weight 20 %) of the delivery performance, in bps.

    Performance is 0 below the minimum delivery ratio, else min(verified / committed, 1); an
    "insufficient data" settlement leaves the score unchanged.
    """
    if not sufficient:
        return score
    perf = 0
    if verified_wh * BPS >= committed_wh * min_delivery_bps:
        perf = BPS if committed_wh == 0 else min(verified_wh * BPS // committed_wh, BPS)
    return (score * (BPS - RELIABILITY_WEIGHT_BPS) + perf * RELIABILITY_WEIGHT_BPS) // BPS
