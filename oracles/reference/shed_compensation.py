"""Python reference of a load shed's compensation (SPECIFICATION.md §15, rule G-17).

`ShedCompensation` pays a consumer whom a completed load shed cut off for the energy it did not
get. The shed's window ``[window_start, window_end)`` (UTC seconds) counts in the *whole* meter
intervals of one local day that it covers (`shed_window`); the interval just before the first is
the consumer's load before the shed. A consumer was shed if that load was positive and every
reading of the shed's intervals is at most ``floor(pre · SHED_RESIDUAL_BPS / 10_000)``; it is then
owed ``Σ (pre - r_i)`` Wh at the pool's rate, rounded down to a token unit (`compensation`). Both
functions do exactly what the contract does, integer for integer.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

__all__ = [
    "BPS",
    "CLAIM_PERIOD",
    "SHED_RESIDUAL_BPS",
    "WH_PER_KWH",
    "Compensation",
    "NoIntervalBeforeShed",
    "NoWholeInterval",
    "ShedWindow",
    "ShedWindowError",
    "WindowCrossesDays",
    "compensation",
    "shed_limit",
    "shed_window",
]

SECONDS_PER_DAY = 86_400
BPS = 10_000
SHED_RESIDUAL_BPS = 500  # a shed interval draws at most 5 % of the interval before the shed
WH_PER_KWH = 1_000
CLAIM_PERIOD = 60 * SECONDS_PER_DAY  # claims close this long after the action's completion
INTERVALS = (15, 30, 60)


class ShedWindowError(ValueError):
    """A shed's window that the contract refuses to fund (G-17)."""


class WindowCrossesDays(ShedWindowError):
    """The window does not lie within one local day of its region."""


class NoWholeInterval(ShedWindowError):
    """The window holds no whole meter interval."""


class NoIntervalBeforeShed(ShedWindowError):
    """The window's first whole interval is the day's first: no interval measures the load before it."""


class ShedWindow(NamedTuple):
    """A shed's window in meter intervals: interval indices ``[start, end)`` of local ``day``."""

    day: int
    start: int
    end: int


class Compensation(NamedTuple):
    """What one consumer-day is owed: ``shed`` false means NotShed (``wh`` and ``amount`` 0)."""

    shed: bool
    wh: int
    amount: int


def shed_window(
    utc_offset_minutes: int, interval_minutes: int, window_start: int, window_end: int
) -> ShedWindow:
    """The whole meter intervals of the local day inside ``[window_start, window_end)``:
    ``start = ceil(local start / interval)``, ``end = floor(local end / interval)``, in seconds since
    the day's local midnight (local = UTC + 60 · offset, R-3).

    Raises WindowCrossesDays, NoWholeInterval or NoIntervalBeforeShed (in that order), as the
    contract's ``fund`` does.
    """
    if interval_minutes not in INTERVALS:
        raise ValueError(f"meter interval must be 15, 30 or 60 minutes, not {interval_minutes}")
    if window_end <= window_start:
        raise ValueError(f"window end {window_end} is not after its start {window_start}")
    local_start = window_start + 60 * utc_offset_minutes
    local_end = window_end + 60 * utc_offset_minutes
    if local_start < 0:
        raise ValueError(f"window start {window_start} is before the local epoch")
    day = local_start // SECONDS_PER_DAY
    if (local_end - 1) // SECONDS_PER_DAY != day:
        raise WindowCrossesDays(
            f"the window [{window_start}, {window_end}) crosses local midnight "
            f"(offset {utc_offset_minutes} min): it must lie within local day {day}"
        )
    interval = 60 * interval_minutes
    midnight = day * SECONDS_PER_DAY
    start = -(-(local_start - midnight) // interval)  # ceil
    end = (local_end - midnight) // interval
    if end <= start:
        raise NoWholeInterval(
            f"the window [{window_start}, {window_end}) holds no whole {interval_minutes}-minute "
            f"interval of local day {day}"
        )
    if start == 0:
        raise NoIntervalBeforeShed(
            f"the window [{window_start}, {window_end}) starts with local day {day}'s first "
            "interval: no interval before it measures the load that was shed"
        )
    return ShedWindow(day, start, end)


def shed_limit(pre_wh: int) -> int:
    """The most a shed interval may read: ``floor(pre · SHED_RESIDUAL_BPS / 10_000)``."""
    return pre_wh * SHED_RESIDUAL_BPS // BPS


def compensation(
    readings: Sequence[int], start: int, end: int, rate_wei_per_kwh: int
) -> Compensation:
    """A consumer-day's compensation for the shed intervals ``[start, end)`` of its ``readings`` (Wh per
    interval): with ``pre = readings[start - 1]``, shed iff ``pre > 0`` and every ``r_i <=
    shed_limit(pre)``; then ``wh = Σ (pre - r_i)`` and ``amount = floor(wh · rate / 1_000)``."""
    if not 1 <= start < end <= len(readings):
        raise ValueError(f"intervals [{start}, {end}) are not a shed window of {len(readings)}")
    if rate_wei_per_kwh < 0:
        raise ValueError(f"rate must not be negative: {rate_wei_per_kwh}")
    pre = readings[start - 1]
    limit = shed_limit(pre)
    shed = pre > 0 and all(readings[i] <= limit for i in range(start, end))
    if not shed:
        return Compensation(False, 0, 0)
    wh = sum(pre - readings[i] for i in range(start, end))
    return Compensation(True, wh, wh * rate_wei_per_kwh // WH_PER_KWH)
