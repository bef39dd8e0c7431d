"""The simulator on 15- and 30-minute meter data (R-7): the hourly profile split into intervals."""

from __future__ import annotations

import numpy as np
import pytest

from oracles.sim.simulator import Behavior, SimConfig, Simulator

FIRST, EVENT = 20_779, 20_794


def _sim(interval: int, consumers: int = 60, seed: int = 7) -> Simulator:
    return Simulator(
        SimConfig(
            consumers=consumers,
            seed=seed,
            first_day=FIRST,
            event_day=EVENT,
            interval_minutes=interval,  # type: ignore[arg-type]
        )
    )


@pytest.mark.parametrize(("interval", "readings"), [(15, 96), (30, 48), (60, 24)])
def test_loads_wh__one_reading_per_interval_of_the_day(interval: int, readings: int) -> None:
    wh = _sim(interval).loads_wh(FIRST + 3)
    assert wh.shape == (60, readings)
    assert (wh > 0).all()


@pytest.mark.parametrize("interval", [15, 30])
def test_loads_wh__each_hour_of_intervals_holds_the_hourly_simulation_s_energy(
    interval: int,
) -> None:
    """Without an event, an hour's intervals sum to the hourly simulation's Wh of that hour, up to
    the rounding of each interval (at most 0.5 Wh each)."""
    per = 60 // interval
    for day in (FIRST, FIRST + 5, EVENT):
        hourly = _sim(60).loads_wh(day)
        split = _sim(interval).loads_wh(day).reshape(60, 24, per).sum(axis=2)
        assert np.abs(split - hourly).max() <= (per + 1) / 2
        # and the region's hourly load from the meters is the same kW (within the kW's rounding)
        sub = _sim(interval).region_load_kw(_sim(interval).loads_wh(day))
        assert np.abs(np.array(sub) - np.array(_sim(60).region_load_kw(hourly))).max() <= 1


def test_loads_wh__intervals_vary_inside_an_hour_and_follow_the_ramp() -> None:
    """The split is not flat: readings differ inside an hour, and across the evening ramp (15:00 to
    17:00, residential load rising) the last quarter of an hour is above the first on average."""
    wh = _sim(15, consumers=200).loads_wh(FIRST + 2).reshape(200, 24, 4)
    assert (wh.max(axis=2) != wh.min(axis=2)).mean() > 0.9
    ramp = wh[:, 15:17, :]
    assert ramp[:, :, 3].sum() > ramp[:, :, 0].sum()


def test_loads_wh__sixty_minute_data_is_not_split() -> None:
    sim = _sim(60)
    kw = np.arange(48, dtype=np.float64).reshape(2, 24)
    assert sim.split_hours(FIRST, kw) is kw


def test_loads_wh__event_changes_only_the_window_s_intervals_and_a_gamer_s_adjustment_window() -> (
    None
):
    """17:15-18:45 on 15-minute data (intervals 69..75): a full responder's readings drop inside the
    window only; a gamer's rise in the three hours ending an hour before the start (13:15-16:15,
    intervals 53..65) and drop inside the window."""
    sim = _sim(15, consumers=200)
    full = next(c.index for c in sim.consumers if c.behavior == Behavior.FULL)
    gamer = next(c.index for c in sim.consumers if c.behavior == Behavior.GAMER)
    plain = sim.loads_wh(EVENT)
    hit = sim.loads_wh(EVENT, event=(69, 75), commitments={full: 1_500, gamer: 1_500})
    window = np.zeros(96, dtype=bool)
    window[69:75] = True
    adj = np.zeros(96, dtype=bool)
    adj[53:65] = True
    assert (hit[full][window] < plain[full][window]).all()
    assert (hit[full][~window] == plain[full][~window]).all()
    # 1,500 Wh over 1.5 h: 1 kW, 110 % of it from each interval (250 Wh at 15 minutes), floored at 10 %
    cut = plain[full][window] - hit[full][window]
    assert (np.abs(cut - np.minimum(275, plain[full][window] * 0.9)) <= 1).all()
    assert (hit[gamer][adj] > plain[gamer][adj]).all()
    assert (hit[gamer][window] < plain[gamer][window]).all()
    assert (hit[gamer][~(window | adj)] == plain[gamer][~(window | adj)]).all()
    others = [i for i in range(200) if i not in (full, gamer)]
    assert (hit[others] == plain[others]).all()


@pytest.mark.parametrize("interval", [15, 30, 60])
def test_records__carry_the_interval_and_flag_missing_days(interval: int) -> None:
    sim = Simulator(
        SimConfig(
            consumers=300,
            seed=7,
            first_day=FIRST,
            event_day=EVENT,
            interval_minutes=interval,  # type: ignore[arg-type]
            missing_rate=0.05,
        )
    )
    wh = sim.loads_wh(FIRST + 1)
    records = sim.records(FIRST + 1, 1, list(range(1, 301)), wh)
    missing = sim.missing(FIRST + 1)
    assert missing.any()
    for i, rec in enumerate(records):
        assert rec.interval_minutes == interval
        assert len(rec.readings) == 24 * 60 // interval
        assert rec.missing == bool(missing[i])
        if not rec.missing:
            assert rec.readings == tuple(int(x) for x in wh[i])


def test_records__readings_of_another_interval__refused() -> None:
    sim = _sim(15)
    with pytest.raises(ValueError, match="not 15-minute data"):
        sim.records(FIRST, 1, list(range(1, 61)), _sim(60).loads_wh(FIRST))
