"""The generator-trip simulator (oracles/sim/frequency_incident.py) run through the grid state
reference (SPECIFICATION.md G-7..G-9): each preset's incident goes Normal -> Alert/Emergency -> ...
-> Normal and reaches exactly its first UFLS stage."""

from __future__ import annotations

from dataclasses import replace
from itertools import groupby

import pytest

from oracles.reference.grid_state import (
    PRESETS,
    BandProfile,
    Cause,
    Level,
    StageReached,
    StateChanged,
    SystemState,
    in_range,
    measured_level,
    run,
)
from oracles.sim.frequency_incident import (
    MINUTES,
    incident,
    incident_summary,
    simulate,
)

START = 1_800_000_000
CAPACITY_KW = {1: 1_000_000, 2: 1_000_000, 3: 80_000_000, 4: 1_000_000}
S = SystemState


def _case(preset: int) -> tuple[BandProfile, int, int]:
    profile = PRESETS[preset][1]
    return profile, profile.nominal_frequency_mhz or 50_000, CAPACITY_KW[preset]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_g7_trace_is_postable(preset: int) -> None:
    """One point a minute over two hours, every value within G-7's ranges."""
    profile, nominal, capacity = _case(preset)
    points = incident(profile, nominal, capacity, START)
    assert [m.time for m in points] == [START + 60 * k for k in range(MINUTES + 1)]
    assert all(in_range(nominal, capacity, m) for m in points)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_g9_incident_goes_through_emergency_back_to_normal(preset: int) -> None:
    profile, nominal, capacity = _case(preset)
    points, summary = simulate(profile, nominal, capacity, START)
    grid, events = run(profile, nominal, points)
    path = [
        s
        for s, _ in groupby(
            [S.Normal] + [e.to_state for e in events if isinstance(e, StateChanged)]
        )
    ]
    assert path[0] == S.Normal and path[1] in (S.Alert, S.Emergency)
    assert S.Emergency in path and S.Blackout not in path
    assert path[-1] == S.Normal and grid.state == S.Normal
    changes = [e for e in events if isinstance(e, StateChanged)]
    assert changes[0].time == summary.trip_time
    last = changes[-1]
    assert (last.from_state, last.to_state, last.cause) == (S.Emergency, S.Normal, Cause.Recovered)
    # the Normal run that recovers starts at the frequency's recovery or later
    assert last.time - summary.recovery_time >= profile.recovery_seconds
    assert last.time <= START + 60 * MINUTES - 15 * 60  # Normal well before the end


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_g8_g9_exactly_the_first_stage(preset: int) -> None:
    profile, nominal, capacity = _case(preset)
    points, summary = simulate(profile, nominal, capacity, START)
    _, events = run(profile, nominal, points)
    stages = [e for e in events if isinstance(e, StageReached)]
    assert stages == [StageReached(summary.nadir_time, 1, profile.stage_share_bps[0])]
    drop = nominal - summary.nadir_frequency_mhz
    assert drop >= profile.stage_mhz[0]
    assert profile.stages == 1 or drop < profile.stage_mhz[1]
    assert summary.stage == 1


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_incident_shape(preset: int) -> None:
    """Deadband noise before the trip; a fall past the normal and alert bands; FCR in use; the
    stage's share shed at the nadir; back in the normal band within 15 minutes, and staying."""
    profile, nominal, capacity = _case(preset)
    points, summary = simulate(profile, nominal, capacity, START)
    trip = (summary.trip_time - START) // 60
    nadir = (summary.nadir_time - START) // 60
    assert (trip, nadir) == (20, 21)
    before, fall, low = points[trip - 1], points[trip], points[nadir]
    assert all(abs(m.frequency_mhz - nominal) < profile.deadband_mhz for m in points[:trip])
    assert nominal - fall.frequency_mhz > profile.normal_mhz
    assert nominal - low.frequency_mhz > profile.alert_mhz
    assert low.reserve_kw < before.reserve_kw and fall.reserve_kw < before.reserve_kw
    share = profile.stage_share_bps[0] / 10_000
    assert low.load_kw == pytest.approx(fall.load_kw * (1 - share), rel=0.01)
    assert summary.shed_kw == pytest.approx(fall.load_kw * share, rel=0.01)
    assert summary.trip_kw > summary.shed_kw
    assert 0 < summary.recovery_time - summary.trip_time <= 15 * 60
    after = [m for m in points if m.time >= summary.recovery_time]
    assert all(abs(m.frequency_mhz - nominal) <= profile.normal_mhz for m in after)
    assert all(measured_level(profile, nominal, m, 0) == Level.Normal for m in points[-30:])
    # the angle swings with the import and comes back; the voltage sags at the trip
    assert before.phase_centideg - low.phase_centideg > 1_000
    assert abs(points[-1].phase_centideg - points[0].phase_centideg) < 200
    assert low.voltage_permille < before.voltage_permille
    assert points[-1].load_kw == pytest.approx(points[0].load_kw, rel=0.03)  # load reconnected


@pytest.mark.parametrize("preset", sorted(PRESETS))
@pytest.mark.parametrize("seed", range(1, 9))
def test_g9_every_seed_one_stage_and_back_to_normal(preset: int, seed: int) -> None:
    profile, nominal, capacity = _case(preset)
    grid, events = run(profile, nominal, incident(profile, nominal, capacity, START, seed))
    assert [e.stage for e in events if isinstance(e, StageReached)] == [1]
    assert grid.state == S.Normal and grid.latest_level == Level.Normal


def test_deterministic_for_a_seed() -> None:
    profile, nominal, capacity = _case(1)
    assert incident(profile, nominal, capacity, START, 3) == incident(
        profile, nominal, capacity, START, 3
    )
    assert incident(profile, nominal, capacity, START, 3) != incident(
        profile, nominal, capacity, START, 4
    )
    shifted = incident(profile, nominal, capacity, START + 86_400, 3)
    assert [replace(m, time=m.time - 86_400) for m in shifted] == incident(
        profile, nominal, capacity, START, 3
    )
    assert (
        incident_summary(profile, nominal, capacity, START, 3)
        == simulate(profile, nominal, capacity, START, 3)[1]
    )


def test_seed_profile_at_60_hz() -> None:
    """The seed profile fixes no nominal: its incident at 60 Hz reaches its first stage too."""
    profile = PRESETS[4][1]
    grid, events = run(profile, 60_000, incident(profile, 60_000, 1_000_000, START))
    assert [e.stage for e in events if isinstance(e, StageReached)] == [1]
    assert grid.state == S.Normal


def test_refuses_what_it_cannot_simulate() -> None:
    ce = PRESETS[1][1]
    no_stage = replace(ce, stage_mhz=(0,) * 8, stage_share_bps=(0,) * 8)
    with pytest.raises(ValueError, match="no UFLS stage"):
        incident(no_stage, 50_000, 1_000, START)
    with pytest.raises(ValueError, match="does not fit"):
        incident(PRESETS[3][1], 50_000, 1_000, START)
    with pytest.raises(ValueError, match="does not fit"):
        incident(ce, 55_000, 1_000, START)
    with pytest.raises(ValueError, match="capacity"):
        incident(ce, 50_000, 0, START)
