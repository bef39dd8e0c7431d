"""The demo's sub-hourly event: the trigger's crossing rule applied to a forecast, the window, the
target and the tier the utility passes to createEvent (oracles/sim/utility_event.py)."""

from __future__ import annotations

import pytest

from oracles.agents.grid_oracles import ForecastPoint
from oracles.protocol.enums import Tier
from oracles.sim.utility_event import crossing, event_window, plan_event

DAY = 20_808


def _points(loads: dict[int, int], day: int = DAY) -> list[ForecastPoint]:
    """Forecast points of ``day``'s 24 hours: ``loads`` by local hour, 100 kW elsewhere."""
    return [
        ForecastPoint(hour=day * 24 + h, load_kw=loads.get(h, 100), low_kw=0, high_kw=10_000)
        for h in range(24)
    ]


def test_event_window__15_minutes__17_15_to_18_45_is_intervals_69_to_75() -> None:
    w = event_window(15)
    assert (w.interval_minutes, w.start_interval, w.end_interval) == (15, 69, 75)
    assert w.label == "17:15-18:45" and w.minutes == 90 and w.hours == (17, 19)


def test_event_window__30_minutes__17_30_to_19_00() -> None:
    w = event_window(30)
    assert (w.start_interval, w.end_interval, w.label) == (35, 38, "17:30-19:00")


def test_event_window__hourly__refused() -> None:
    with pytest.raises(ValueError, match="60-minute"):
        event_window(60)


def test_crossing__first_run_of_min_hours_at_or_above_threshold() -> None:
    points = _points({10: 500, 14: 500, 15: 499, 16: 500, 17: 520, 18: 510, 19: 400})
    run = crossing(points, 500, 2)
    assert run is not None and [p.hour % 24 for p in run] == [16, 17, 18]
    # hour 10 alone and 14 (15 is just below) are runs of one: too short
    assert crossing(points, 500, 4) is None
    assert crossing(points, 521, 1) is None


def test_crossing__a_run_does_not_span_two_days() -> None:
    points = _points({22: 600, 23: 600}) + _points({0: 600, 1: 600}, DAY + 1)
    run = crossing(points, 600, 2)
    assert run is not None and [p.hour for p in run] == [DAY * 24 + 22, DAY * 24 + 23]
    assert crossing(points, 600, 3) is None


def test_crossing__hours_with_a_gap_are_two_runs() -> None:
    points = [p for p in _points({16: 700, 17: 700, 18: 700}) if p.hour % 24 != 17]
    assert crossing(points, 700, 2) is None


def test_plan_event__target_is_the_run_s_mean_excess_over_the_window_s_length() -> None:
    # run 16..20 (5 h); the trigger counts its first 4: excess 100 + 200 + 300 + 200 kW = 800 kWh,
    # 200 kW an hour on average; 1.5 h window: 300 kWh
    points = _points({16: 1_100, 17: 1_200, 18: 1_300, 19: 1_200, 20: 1_050})
    plan = plan_event(points, 1_000, event_window(15), min_hours=2, max_hours=4,
                      capacity_kw=2_000, high_load_bps=8_000)  # fmt: skip
    assert plan is not None
    assert plan.day == DAY and (plan.start_hour, plan.end_hour) == (16, 21)
    assert plan.target_wh == 300_000
    # peak 1,300 of 2,000 kW: 65 % < 80 %
    assert plan.tier == Tier.Voluntary
    assert (plan.window.start_interval, plan.window.end_interval) == (69, 75)


def test_plan_event__peak_at_the_high_load_share__economic() -> None:
    points = _points({17: 1_600, 18: 1_500})
    plan = plan_event(points, 1_000, event_window(30), min_hours=2, max_hours=4,
                      capacity_kw=2_000, high_load_bps=8_000)  # fmt: skip
    assert plan is not None and plan.tier == Tier.Economic
    assert plan.target_wh == (600 + 500) * 1_000 // 2 * 90 // 60


def test_plan_event__forecast_below_the_threshold__no_event() -> None:
    points = _points({17: 999, 18: 999})
    assert plan_event(points, 1_000, event_window(15), min_hours=2, max_hours=4,
                      capacity_kw=2_000, high_load_bps=8_000) is None  # fmt: skip
