"""The TOWT forecaster against the naive same-hour-last-week benchmark, on simulated held-out days."""

from __future__ import annotations

import pytest

from oracles.forecasting.models import TowtModel, mape_percent, naive_last_week
from oracles.sim.simulator import SimConfig, Simulator

FIRST, EVENT = 20_779, 20_794


@pytest.mark.parametrize(("seed", "consumers"), [(3, 150), (7, 150), (11, 150), (7, 10_000)])
def test_towt_beats_naive_on_held_out_days(seed: int, consumers: int) -> None:
    sim = Simulator(SimConfig(consumers=consumers, seed=seed, first_day=FIRST, event_day=EVENT))
    actual: dict[int, float] = {}
    temp: dict[int, float] = {}
    for d in range(FIRST, EVENT):
        kw = sim.region_load_kw(sim.loads_wh(d))
        w = sim.weather(d)
        for h in range(24):
            actual[d * 24 + h] = float(kw[h])
            temp[d * 24 + h] = float(w.temperature_c[h])
    towt: list[float | None] = []
    truth: list[float] = []
    hours: list[int] = []
    for d in range(FIRST + 7, EVENT):  # each day forecast from the days before it only
        past = [h for h in actual if h < d * 24]
        model = TowtModel.fit(past, [temp[h] for h in past], [actual[h] for h in past])
        day_hours = list(range(d * 24, d * 24 + 24))
        towt += [p for p, _, _ in model.predict(day_hours, [temp[h] for h in day_hours])]
        truth += [actual[h] for h in day_hours]
        hours += day_hours
    m_towt = mape_percent(towt, truth)
    m_naive = mape_percent(naive_last_week(actual, hours), truth)
    assert m_towt is not None and m_naive is not None
    assert m_towt < m_naive, (m_towt, m_naive)


def test_band_contains_point_and_is_non_negative() -> None:
    hours = list(range(0, 24 * 7))
    model = TowtModel.fit(
        hours, [20.0 + (h % 24) / 4 for h in hours], [100.0 + (h % 24) for h in hours]
    )
    for point, low, high in model.predict(hours[:24], [25.0] * 24):
        assert 0 <= low <= point <= high


def test_fit_needs_two_days() -> None:
    with pytest.raises(ValueError, match="at least 48 hours"):
        TowtModel.fit([1, 2], [1.0, 2.0], [1.0, 2.0])
