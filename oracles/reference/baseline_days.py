"""Python reference of settlement's baseline-day walk (SPECIFICATION.md §7, rules S-3, S-4).

Given what is public on-chain (the region's holidays, event days and days with committed data, and
the consumer's activation day), `candidate_days` lists the days whose records settlement requires,
most recent first. `baseline_days` then drops the days whose record is flagged missing and stops at
10 days with data, exactly as `ProofSettlement._collectBaselineDays` does.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

from oracles.reference.baseline import BPS, MAX_DAYS, MIN_DAYS

__all__ = [
    "BPS",
    "LOOKBACK_DAYS",
    "MAX_DAYS",
    "MIN_DAYS",
    "baseline_days",
    "candidate_days",
    "reliability",
]

LOOKBACK_DAYS = 45


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
    data_days: Collection[int],
) -> list[int]:
    """Like days after activation within the lookback, minus event days and days without data (S-3)."""
    weekend_like = is_weekend(event_day) or event_day in holidays
    earliest = max(event_day - LOOKBACK_DAYS, activation_day + 1)
    out = []
    for d in range(event_day - 1, earliest - 1, -1):
        holiday = d in holidays
        like = (is_weekend(d) or holiday) if weekend_like else (not is_weekend(d) and not holiday)
        if like and d not in event_days and d in data_days:
            out.append(d)
    return out


def baseline_days(
    candidates: Iterable[int], is_missing: Callable[[int], bool]
) -> tuple[list[int], list[int]]:
    """(records required, days used): walk the candidates until 10 days with data are found (S-4)."""
    required: list[int] = []
    used: list[int] = []
    for d in candidates:
        if len(used) == MAX_DAYS:
            break
        required.append(d)
        if not is_missing(d):
            used.append(d)
    return required, used


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
