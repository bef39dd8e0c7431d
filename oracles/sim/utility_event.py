"""The demo's event on sub-hourly data (``gridbalance demo --interval 15`` or ``30``).

LoadForecasting's auto-trigger (F-6) creates events of whole hours only (``createTriggeredEvent``
takes hours). On 15- or 30-minute data the forecast still decides the day, by the trigger's own rule
(:func:`crossing`: a run of at least ``min_hours`` consecutive forecast hours of one day at or above
the utility's threshold), and the utility then calls ``createEvent`` with an interval window (P-3):
17:15-18:45 on 15-minute data (intervals 69..75), 17:30-19:00 on 30-minute data (35..38).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from oracles.agents.grid_oracles import ForecastPoint
from oracles.protocol.enums import Tier
from oracles.protocol.event_window import EventWindow
from oracles.reference.baseline import BPS

# the utility's evening-peak window, per meter interval (on the interval's boundaries)
EVENT_CLOCK: dict[int, tuple[str, str]] = {15: ("17:15", "18:45"), 30: ("17:30", "19:00")}


def event_window(interval_minutes: int) -> EventWindow:
    """The window the demo's utility asks for on ``interval_minutes`` data."""
    if interval_minutes not in EVENT_CLOCK:
        raise ValueError(f"no utility event window for {interval_minutes}-minute data")
    start, end = EVENT_CLOCK[interval_minutes]
    return EventWindow.from_clock(start, end, interval_minutes)


@dataclass(frozen=True)
class EventPlan:
    """What the utility passes to ``createEvent``, and the forecast run that decided it."""

    day: int
    window: EventWindow
    target_wh: int
    tier: Tier
    run: tuple[ForecastPoint, ...]  # the forecast hours at or above the threshold

    @property
    def start_hour(self) -> int:
        return self.run[0].hour % 24

    @property
    def end_hour(self) -> int:
        return self.run[-1].hour % 24 + 1


def crossing(
    points: Sequence[ForecastPoint], threshold_kw: int, min_hours: int
) -> tuple[ForecastPoint, ...] | None:
    """The first run of at least ``min_hours`` consecutive hours of one day whose forecast load is at
    or above ``threshold_kw`` (LoadForecasting's auto-trigger rule, F-6), or None."""
    i, n = 0, len(points)
    while i < n:
        j = i + 1
        if points[i].load_kw >= threshold_kw:
            while (
                j < n
                and points[j].load_kw >= threshold_kw
                and points[j].hour == points[j - 1].hour + 1
                and points[j].hour // 24 == points[i].hour // 24
            ):
                j += 1
            if j - i >= min_hours:
                return tuple(points[i:j])
        i = j
    return None


def plan_event(
    points: Sequence[ForecastPoint],
    threshold_kw: int,
    window: EventWindow,
    *,
    min_hours: int,
    max_hours: int,
    capacity_kw: int,
    high_load_bps: int,
) -> EventPlan | None:
    """The utility's event if the forecast crosses its threshold, else None.

    Target: the run's mean excess over the threshold (its first ``max_hours`` hours, as the trigger
    counts them) for the window's length, in Wh. Tier as the trigger sets it (F-6, F-9): Economic when
    the run's peak reaches ``high_load_bps`` of the region's capacity, else Voluntary; a forecast
    alone never makes an Emergency."""
    run = crossing(points, threshold_kw, min_hours)
    if run is None:
        return None
    counted = run[:max_hours]
    excess_wh = sum((p.load_kw - threshold_kw) * 1_000 for p in counted)
    target_wh = excess_wh * window.minutes // (60 * len(counted))
    peak = max(p.load_kw for p in counted)
    tier = Tier.Economic if peak * BPS // capacity_kw >= high_load_bps else Tier.Voluntary
    return EventPlan(run[0].hour // 24, window, max(target_wh, 1), tier, run)
