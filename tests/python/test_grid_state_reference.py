"""The grid stability reference (oracles/reference/grid_state.py) on exact boundaries and many
sequences (SPECIFICATION.md §15, G-5..G-12).

GridStability's and RegionRegistry's contract tests compare with this reference; these tests pin the
reference itself: every band edge, every cell of G-9's table, the recovery timing and the choices
the module docstring lists."""

from __future__ import annotations

from dataclasses import replace
from itertools import pairwise
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from oracles.protocol import enums
from oracles.reference.grid_state import (
    PRESETS,
    BandProfile,
    Cause,
    Event,
    GridLevel,
    Level,
    Measurement,
    ProfileField,
    RegionGrid,
    StabilityStatus,
    StageReached,
    StateChanged,
    SystemState,
    capped_rate,
    council_exit,
    cumulative_share_bps,
    declare,
    event_terms,
    first_invalid_field,
    grid_level,
    in_range,
    measured_level,
    run,
    shed_stage,
    stability_status,
    state_level,
    step,
    tier_error,
    validate,
)

CE = PRESETS[1][1]
GB = PRESETS[2][1]
ERCOT = PRESETS[3][1]
SEED = PRESETS[4][1]
NOMINAL = 50_000
T0 = 1_800_000_000
S = SystemState


def point(
    time: int = T0,
    drop: int = 0,
    voltage: int = 1_000,
    load: int = 1_000,
    reserve: int = 0,
    nominal: int = NOMINAL,
) -> Measurement:
    """A measurement ``drop`` mHz below nominal (f = 0 below 100 ‰, as G-7 asks)."""
    frequency = 0 if voltage < 100 else nominal - drop
    return Measurement(time, load, reserve, frequency, voltage, 0)


# G-5: band profiles ------------------------------------------------------------------------------


def test_g5_profile_field_numbering() -> None:
    """The index InvalidBandProfile(uint8 field) carries: the struct's field order."""
    assert [f.name for f in ProfileField] == [
        "nominalFrequencyMHz",
        "deadbandMHz",
        "normalMHz",
        "alertMHz",
        "emergencyMHz",
        "reserveFullMHz",
        "voltageNormalBps",
        "voltageAlertBps",
        "voltageEmergencyBps",
        "reserveAlertKw",
        "reserveEmergencyKw",
        "reserveShedKw",
        "recoverySeconds",
        "emergencyRateCapBps",
        "stageMHz",
        "stageShareBps",
    ]
    assert [int(f) for f in ProfileField] == list(range(16))


def test_g5_presets_are_valid_and_match_the_table() -> None:
    assert [name for name, _ in PRESETS.values()] == [
        "Continental Europe",
        "Great Britain",
        "ERCOT-like",
        "GridBalance seed",
    ]
    for _, profile in PRESETS.values():
        assert validate(profile) is None
        assert profile.recovery_seconds == 900 and profile.emergency_rate_cap_bps == 0
        assert (profile.voltage_normal_bps, profile.voltage_alert_bps) == (500, 1_000)
        assert profile.voltage_emergency_bps == 1_500
    assert CE.stage_mhz == (1_000, 1_200, 1_400, 1_600, 1_800, 2_000, 0, 0)
    assert cumulative_share_bps(CE, 6) == 4_500
    assert (GB.normal_mhz, GB.alert_mhz, GB.emergency_mhz, GB.stage_mhz[0]) == (
        200,
        500,
        1_200,
        1_200,
    )
    assert cumulative_share_bps(GB, 8) == 5_250
    assert (ERCOT.nominal_frequency_mhz, ERCOT.stage_mhz[:4]) == (60_000, (700, 1_100, 1_500, 0))
    assert (ERCOT.reserve_alert_kw, ERCOT.reserve_emergency_kw, ERCOT.reserve_shed_kw) == (
        2_300_000,
        1_750_000,
        1_430_000,
    )
    assert (SEED.nominal_frequency_mhz, SEED.normal_mhz, SEED.alert_mhz, SEED.emergency_mhz) == (
        0,
        500,
        1_000,
        1_500,
    )
    assert [p.stages for _, p in PRESETS.values()] == [6, 8, 3, 2]


def _stages(*pairs: tuple[int, int]) -> dict[str, tuple[int, ...]]:
    padded = list(pairs) + [(0, 0)] * (8 - len(pairs))
    return {
        "stage_mhz": tuple(d for d, _ in padded),
        "stage_share_bps": tuple(s for _, s in padded),
    }


F = ProfileField
INVALID = [
    ({"nominal_frequency_mhz": 49_999}, F.nominalFrequencyMHz),
    ({"nominal_frequency_mhz": 1}, F.nominalFrequencyMHz),
    ({"deadband_mhz": 200}, F.normalMHz),  # deadband == normal
    ({"alert_mhz": 200}, F.alertMHz),  # alert == normal
    ({"emergency_mhz": 800}, F.emergencyMHz),  # emergency == alert
    ({"emergency_mhz": 5_001}, F.emergencyMHz),
    ({"reserve_full_mhz": 20}, F.reserveFullMHz),  # == deadband
    ({"reserve_full_mhz": 5_001}, F.reserveFullMHz),
    ({"voltage_normal_bps": 0}, F.voltageNormalBps),
    ({"voltage_alert_bps": 500}, F.voltageAlertBps),
    ({"voltage_emergency_bps": 1_000}, F.voltageEmergencyBps),
    ({"voltage_emergency_bps": 5_001}, F.voltageEmergencyBps),
    ({"reserve_alert_kw": 1, "reserve_emergency_kw": 2}, F.reserveEmergencyKw),
    (
        {"reserve_alert_kw": 3, "reserve_emergency_kw": 2, "reserve_shed_kw": 3},
        F.reserveShedKw,
    ),
    ({"reserve_shed_kw": 1}, F.reserveShedKw),  # 0 >= 1 fails
    ({"recovery_seconds": 59}, F.recoverySeconds),
    ({"recovery_seconds": 86_401}, F.recoverySeconds),
    ({"emergency_rate_cap_bps": 1}, F.emergencyRateCapBps),
    ({"emergency_rate_cap_bps": 9_999}, F.emergencyRateCapBps),
    ({"emergency_rate_cap_bps": 50_001}, F.emergencyRateCapBps),
    (_stages((200, 100)), F.stageMHz),  # not beyond normalMHz
    (_stages((1_000, 100), (1_000, 100)), F.stageMHz),  # drops not strictly increasing
    (_stages((1_000, 100), (900, 100)), F.stageMHz),
    (_stages((1_000, 100), (0, 0), (1_200, 100)), F.stageMHz),  # a used stage after an unused one
    (_stages((1_000, 0)), F.stageShareBps),  # a used stage sheds nothing
    (_stages((1_000, 100), (0, 100)), F.stageShareBps),  # an unused stage with a share
    (_stages((1_000, 5_000), (1_200, 5_001)), F.stageShareBps),  # Σ 10,001
    # the first failing field in ProfileField order is named
    ({"normal_mhz": 20, "recovery_seconds": 0}, F.normalMHz),
    ({"recovery_seconds": 0, **_stages((100, 0))}, F.recoverySeconds),
    (_stages((1_000, 0), (900, 100)), F.stageShareBps),  # stage by stage, drop before share
]


@pytest.mark.parametrize("changes, field", INVALID)
def test_g5_each_invalid_field_is_named(changes: dict[str, object], field: ProfileField) -> None:
    profile = replace(CE, **changes)  # type: ignore[arg-type]
    assert first_invalid_field(profile) == field
    assert validate(profile) == field.name


VALID_EDGES = [
    {"emergency_mhz": 5_000},
    {"reserve_full_mhz": 5_000},
    {"reserve_full_mhz": 21},
    {"deadband_mhz": 0},
    {"voltage_normal_bps": 1},
    {"voltage_emergency_bps": 5_000},
    {"reserve_alert_kw": 3, "reserve_emergency_kw": 2, "reserve_shed_kw": 1},
    {"reserve_alert_kw": 2, "reserve_emergency_kw": 2, "reserve_shed_kw": 2},
    {"reserve_alert_kw": 5},
    {"recovery_seconds": 60},
    {"recovery_seconds": 86_400},
    {"emergency_rate_cap_bps": 10_000},
    {"emergency_rate_cap_bps": 50_000},
    _stages(),  # no stage at all
    _stages((201, 1)),  # just beyond normalMHz
    _stages((1_000, 5_000), (1_200, 5_000)),  # Σ exactly 10,000
    _stages(*((201 + k, 1) for k in range(8))),
    _stages((9_000, 1)),  # a drop beyond 5 Hz is not bounded (never reached)
]


@pytest.mark.parametrize("changes", VALID_EDGES)
def test_g5_edges_are_valid(changes: dict[str, object]) -> None:
    assert validate(replace(CE, **changes)) is None  # type: ignore[arg-type]


def _valid_by_the_text(p: BandProfile) -> bool:
    """G-5's validity sentence, written out independently of first_invalid_field."""
    used = [(d, s) for d, s in zip(p.stage_mhz, p.stage_share_bps, strict=True) if d != 0]
    drops = [d for d, _ in used]
    return (
        p.nominal_frequency_mhz in (0, 50_000, 60_000)
        and p.deadband_mhz < p.normal_mhz < p.alert_mhz < p.emergency_mhz <= 5_000
        and p.deadband_mhz < p.reserve_full_mhz <= 5_000
        and 0 < p.voltage_normal_bps < p.voltage_alert_bps < p.voltage_emergency_bps <= 5_000
        and p.reserve_alert_kw >= p.reserve_emergency_kw >= p.reserve_shed_kw
        and 60 <= p.recovery_seconds <= 86_400
        and (p.emergency_rate_cap_bps == 0 or 10_000 <= p.emergency_rate_cap_bps <= 50_000)
        and p.stage_mhz[len(used) :] == (0,) * (8 - len(used))  # unused ones only after
        and p.stage_share_bps[len(used) :] == (0,) * (8 - len(used))
        and all(d > p.normal_mhz for d in drops)
        and all(a < b for a, b in pairwise(drops))
        and all(s > 0 for _, s in used)
        and sum(s for _, s in used) <= 10_000
    )


_EDGES = {  # per field, values on both sides of its bounds (the others held at a preset's)
    "nominal_frequency_mhz": [0, 1, 50_000, 60_000],
    "deadband_mhz": [0, 199, 200],
    "normal_mhz": [20, 21, 799, 800],
    "alert_mhz": [200, 201, 999, 1_000],
    "emergency_mhz": [800, 801, 5_000, 5_001],
    "reserve_full_mhz": [20, 21, 5_000, 5_001],
    "voltage_normal_bps": [0, 1, 999, 1_000],
    "voltage_alert_bps": [500, 501, 1_499, 1_500],
    "voltage_emergency_bps": [1_000, 1_001, 5_000, 5_001],
    "reserve_alert_kw": [0, 1, 2],
    "reserve_emergency_kw": [0, 1, 2],
    "reserve_shed_kw": [0, 1, 2],
    "recovery_seconds": [59, 60, 86_400, 86_401],
    "emergency_rate_cap_bps": [0, 1, 9_999, 10_000, 50_000, 50_001],
}
_mutation = st.sampled_from(sorted(_EDGES)).flatmap(
    lambda name: st.tuples(st.just(name), st.sampled_from(_EDGES[name]))
)
_stage = st.tuples(
    st.sampled_from([0, 200, 201, 1_000, 1_200, 1_400]), st.sampled_from([0, 1, 750, 5_000])
)


@settings(max_examples=500, derandomize=True)
@given(
    preset=st.sampled_from(sorted(PRESETS)),
    mutations=st.lists(_mutation, max_size=3),
    stages=st.one_of(st.none(), st.lists(_stage, max_size=8)),
)
def test_g5_property__valid_exactly_when_the_text_says(
    preset: int, mutations: list[tuple[str, int]], stages: list[tuple[int, int]] | None
) -> None:
    """G-5: ``validate`` accepts exactly the profiles the specification's sentence accepts, and
    names the first field, in ProfileField order, whose own part of the sentence fails."""
    changes: dict[str, object] = dict(mutations)
    if stages is not None:
        changes.update(_stages(*stages))
    p = replace(PRESETS[preset][1], **changes)  # type: ignore[arg-type]
    field = first_invalid_field(p)
    assert (field is None) == _valid_by_the_text(p)
    rules = {  # each field's own part of the sentence, the later field of a chain named
        F.nominalFrequencyMHz: p.nominal_frequency_mhz in (0, 50_000, 60_000),
        F.normalMHz: p.deadband_mhz < p.normal_mhz,
        F.alertMHz: p.normal_mhz < p.alert_mhz,
        F.emergencyMHz: p.alert_mhz < p.emergency_mhz <= 5_000,
        F.reserveFullMHz: p.deadband_mhz < p.reserve_full_mhz <= 5_000,
        F.voltageNormalBps: p.voltage_normal_bps > 0,
        F.voltageAlertBps: p.voltage_normal_bps < p.voltage_alert_bps,
        F.voltageEmergencyBps: p.voltage_alert_bps < p.voltage_emergency_bps <= 5_000,
        F.reserveEmergencyKw: p.reserve_alert_kw >= p.reserve_emergency_kw,
        F.reserveShedKw: p.reserve_emergency_kw >= p.reserve_shed_kw,
        F.recoverySeconds: 60 <= p.recovery_seconds <= 86_400,
        F.emergencyRateCapBps: p.emergency_rate_cap_bps in (0, *range(10_000, 50_001)),
    }
    broken = [f for f, ok in rules.items() if not ok]
    if broken:
        assert field == broken[0]
    else:
        assert field in (None, F.stageMHz, F.stageShareBps)


def test_g5_structure_is_checked_at_construction() -> None:
    with pytest.raises(ValueError, match="exactly 8"):
        replace(CE, stage_mhz=(1_000,))
    with pytest.raises(ValueError, match="deadband_mhz is unsigned"):
        replace(CE, deadband_mhz=-1)
    with pytest.raises(ValueError, match="stage_share_bps is unsigned"):
        replace(CE, stage_share_bps=(750, -1, 0, 0, 0, 0, 0, 0))
    assert len(CE.as_tuple()) == 16


# G-6: stability bands ----------------------------------------------------------------------------

Stab = StabilityStatus


@pytest.mark.parametrize(
    "d, status",
    [
        (0, Stab.Normal),
        (200, Stab.Normal),
        (201, Stab.Alert),
        (800, Stab.Alert),
        (801, Stab.Emergency),
        (1_000, Stab.Emergency),
        (1_001, Stab.Critical),
        (5_000, Stab.Critical),
    ],
)
def test_g6_frequency_band_edges(d: int, status: StabilityStatus) -> None:
    """d = |f - nominal|, both sides of nominal (CE: 200/800/1,000 mHz)."""
    assert stability_status(CE, NOMINAL, NOMINAL - d, 1_000) == status
    assert stability_status(CE, NOMINAL, NOMINAL + d, 1_000) == status


@pytest.mark.parametrize(
    "delta, status",
    [
        (50, Stab.Normal),  # 500 bps
        (51, Stab.Alert),
        (100, Stab.Alert),
        (101, Stab.Emergency),
        (150, Stab.Emergency),
        (151, Stab.Critical),
    ],
)
def test_g6_voltage_band_edges(delta: int, status: StabilityStatus) -> None:
    """d = |V - 1,000| · 10 bps against 500/1,000/1,500."""
    assert stability_status(CE, NOMINAL, NOMINAL, 1_000 - delta) == status
    assert stability_status(CE, NOMINAL, NOMINAL, 1_000 + delta) == status


def test_g6_the_worse_of_frequency_and_voltage() -> None:
    assert stability_status(CE, NOMINAL, NOMINAL - 300, 1_120) == Stab.Emergency
    assert stability_status(CE, NOMINAL, NOMINAL - 900, 1_060) == Stab.Emergency
    assert stability_status(CE, NOMINAL, NOMINAL + 1_001, 1_000) == Stab.Critical
    assert stability_status(SEED, 60_000, 60_500, 1_050) == Stab.Normal


# G-8: a measurement's level and stage -------------------------------------------------------------


@pytest.mark.parametrize(
    "drop, level",
    [(200, Level.Normal), (201, Level.Alert), (801, Level.Emergency), (1_001, Level.Emergency)],
)
def test_g8_frequency_level_critical_counts_emergency(drop: int, level: Level) -> None:
    assert measured_level(CE, NOMINAL, point(drop=drop), 0) == level
    assert measured_level(CE, NOMINAL, point(drop=-drop), 0) == level


def test_g8_voltage_levels_and_blackout_below_100_permille() -> None:
    assert measured_level(CE, NOMINAL, point(voltage=849), 0) == Level.Emergency
    assert measured_level(CE, NOMINAL, point(voltage=100), 0) == Level.Emergency
    assert measured_level(CE, NOMINAL, point(voltage=99), 0) == Level.Blackout
    assert measured_level(CE, NOMINAL, point(voltage=0), 0) == Level.Blackout


@pytest.mark.parametrize(
    "reference, load, level",
    [
        (1_000, 500, Level.Normal),
        (1_000, 499, Level.Blackout),
        (1_001, 500, Level.Blackout),  # 2 · 500 < 1,001: exact half, no floor
        (1_001, 501, Level.Normal),
        (1, 0, Level.Blackout),
        (0, 0, Level.Normal),  # no reference: no load rule
    ],
)
def test_g8_blackout_below_half_the_reference_load(reference: int, load: int, level: Level) -> None:
    assert measured_level(CE, NOMINAL, point(load=load), reference) == level


@pytest.mark.parametrize(
    "reserve, level",
    [
        (2_300_000, Level.Normal),
        (2_299_999, Level.Alert),
        (1_750_000, Level.Alert),
        (1_749_999, Level.Emergency),
        (1_430_000, Level.Emergency),
        (1_429_999, Level.Emergency),
        (0, Level.Emergency),
    ],
)
def test_g8_reserve_levels(reserve: int, level: Level) -> None:
    m = point(reserve=reserve, nominal=60_000)
    assert measured_level(ERCOT, 60_000, m, 0) == level


def test_g8_reserves_not_judged_when_all_zero_and_shed_alone() -> None:
    assert measured_level(CE, NOMINAL, point(reserve=0), 0) == Level.Normal
    shed_only = replace(CE, reserve_alert_kw=100, reserve_emergency_kw=100, reserve_shed_kw=100)
    assert measured_level(shed_only, NOMINAL, point(reserve=99), 0) == Level.Emergency
    assert measured_level(shed_only, NOMINAL, point(reserve=100), 0) == Level.Normal


def test_g8_worst_of_frequency_voltage_and_reserves() -> None:
    m = point(
        drop=150, voltage=960, reserve=2_000_000, nominal=60_000
    )  # Alert (frequency, reserve)
    assert measured_level(ERCOT, 60_000, m, 0) == Level.Alert
    m = point(drop=0, voltage=1_000, reserve=1_000_000, nominal=60_000)
    assert measured_level(ERCOT, 60_000, m, 0) == Level.Emergency


@pytest.mark.parametrize(
    "drop, stage",
    [
        (999, 0),
        (1_000, 1),
        (1_199, 1),
        (1_200, 2),
        (1_999, 5),
        (2_000, 6),
        (5_000, 6),
        (-2_000, 0),  # above nominal
    ],
)
def test_g8_stage_counts_the_drops_reached(drop: int, stage: int) -> None:
    assert shed_stage(CE, NOMINAL, point(drop=drop)) == stage


def test_g8_stage_needs_a_frequency_and_skips_unused_stages() -> None:
    assert shed_stage(CE, NOMINAL, point(voltage=50)) == 0  # f = 0: de-energized, no stage
    assert shed_stage(ERCOT, 60_000, point(drop=4_000, nominal=60_000)) == 3
    assert shed_stage(SEED, 60_000, point(drop=1_500, nominal=60_000)) == 1
    no_stages = replace(CE, **_stages())  # type: ignore[arg-type]
    assert shed_stage(no_stages, NOMINAL, point(drop=3_000)) == 0


def test_g7_value_ranges() -> None:
    assert in_range(NOMINAL, 1_000, point(load=2_000, drop=5_000))
    assert not in_range(NOMINAL, 1_000, point(load=2_001))
    assert not in_range(NOMINAL, 1_000, point(drop=5_001))
    assert in_range(NOMINAL, 1_000, point(voltage=99))  # f = 0 below 100 ‰
    assert not in_range(NOMINAL, 1_000, Measurement(T0, 1, 0, 0, 100, 0))
    assert not in_range(NOMINAL, 1_000, point(voltage=1_501))
    assert not in_range(NOMINAL, 1_000, Measurement(T0, 1, 0, NOMINAL, 1_000, 18_001))
    assert in_range(NOMINAL, 1_000, Measurement(T0, 1, 0, NOMINAL, 1_000, -18_000))


# G-9: the system state table ----------------------------------------------------------------------

LEVEL_POINT = {
    Level.Normal: point(),
    Level.Alert: point(drop=300),
    Level.Emergency: point(drop=900),
    Level.Blackout: point(voltage=50),
}
# (state, declared, level) -> next state; "after recoverySeconds" cells are tested below
TABLE = [
    (S.Normal, False, [S.Normal, S.Alert, S.Emergency, S.Blackout]),
    (S.Alert, False, [S.Normal, S.Alert, S.Emergency, S.Blackout]),
    (S.Emergency, False, [S.Emergency, S.Emergency, S.Emergency, S.Blackout]),
    (S.Emergency, True, [S.Emergency, S.Emergency, S.Emergency, S.Blackout]),
    (S.Blackout, False, [S.Restoration, S.Restoration, S.Restoration, S.Blackout]),
    (S.Restoration, False, [S.Restoration, S.Restoration, S.Restoration, S.Blackout]),
]
CELLS = [
    (state, declared, level, row[int(level)]) for state, declared, row in TABLE for level in Level
]


@pytest.mark.parametrize("state, declared, level, expected", CELLS)
def test_g9_table_cell(state: S, declared: bool, level: Level, expected: S) -> None:
    """Every cell, the Normal column of a measured Emergency and a Restoration without a run of
    Normal measurements behind it (not yet recovered)."""
    grid = RegionGrid(state=state, declared=declared, latest_time=T0 - 60)
    m = replace(LEVEL_POINT[level], time=T0)
    new, events = step(CE, NOMINAL, grid, m)
    assert new.state == expected and new.latest_level == level
    assert new.declared == (declared and expected == S.Emergency)
    if expected == state:
        assert [e for e in events if isinstance(e, StateChanged)] == []
    else:
        assert events[0] == StateChanged(state, expected, T0, Cause.Measured)


@pytest.mark.parametrize("state", [S.Emergency, S.Restoration])
def test_g9_recovered_cells(state: S) -> None:
    """A measured Emergency and a Restoration go Normal once the run of Normal measurements this
    one ends started recoverySeconds or more before it: cause Recovered."""
    grid = RegionGrid(state=state, latest_time=T0 - 60, normal_since=T0 - 900)
    new, events = step(CE, NOMINAL, grid, point(time=T0))
    assert new.state == S.Normal
    assert events == [StateChanged(state, S.Normal, T0, Cause.Recovered)]
    short = replace(grid, normal_since=T0 - 899)
    assert step(CE, NOMINAL, short, point(time=T0))[0].state == state


def test_g9_declared_emergency_never_recovers_on_measurements() -> None:
    grid = RegionGrid(state=S.Emergency, declared=True, rate_cap_bps=20_000, latest_time=T0 - 60)
    grid = replace(grid, normal_since=T0 - 86_400)
    new, events = step(CE, NOMINAL, grid, point(time=T0))
    assert (new.state, new.declared, new.rate_cap_bps, events) == (S.Emergency, True, 20_000, [])


def _normal_run(start: S, gaps: list[int]) -> list[S]:
    """The states after a first Emergency/Blackout point at T0 and Normal points ``gaps`` seconds
    after it."""
    first = point(drop=900) if start == S.Emergency else point(voltage=50)
    grid, _ = step(CE, NOMINAL, RegionGrid(), replace(first, time=T0))
    states = []
    for gap in gaps:
        grid, _ = step(CE, NOMINAL, grid, point(time=T0 + gap))
        states.append(grid.state)
    return states


def test_g9_recovery_at_recovery_seconds_minus_one_and_exactly() -> None:
    """Normal points from T0+1: T0+1+899 is still Emergency, T0+1+900 is Normal."""
    assert _normal_run(S.Emergency, [1, 300, 900]) == [S.Emergency] * 3
    assert _normal_run(S.Emergency, [1, 900]) == [S.Emergency] * 2
    assert _normal_run(S.Emergency, [1, 901]) == [S.Emergency, S.Normal]
    assert _normal_run(S.Blackout, [1, 900, 901]) == [S.Restoration, S.Restoration, S.Normal]


def test_g9_run_restarts_after_any_non_normal_measurement() -> None:
    grid, _ = run(CE, NOMINAL, [point(time=T0, drop=900)])
    points = [
        point(time=T0 + 60),
        point(time=T0 + 600, drop=201),  # Alert breaks the run
        point(time=T0 + 960),  # 900 s after T0+60: the run starts again here
        point(time=T0 + 1_859),
        point(time=T0 + 1_860),
    ]
    states = []
    for m in points:
        grid, events = step(CE, NOMINAL, grid, m)
        states.append(grid.state)
    assert states == [S.Emergency] * 4 + [S.Normal]
    assert grid.normal_since == T0 + 960
    assert events == [StateChanged(S.Emergency, S.Normal, T0 + 1_860, Cause.Recovered)]


def test_g9_alert_returns_to_normal_at_once() -> None:
    grid, events = run(CE, NOMINAL, [point(T0, drop=300), point(T0 + 1)])
    assert grid.state == S.Normal
    assert events == [
        StateChanged(S.Normal, S.Alert, T0, Cause.Measured),
        StateChanged(S.Alert, S.Normal, T0 + 1, Cause.Measured),
    ]


def test_g8_g9_blackout_by_load_below_half_the_normal_reference() -> None:
    """The reference is the load of the latest point after which the state is Normal; an Alert
    point's load does not count."""
    grid, _ = run(CE, NOMINAL, [point(T0, load=1_000), point(T0 + 60, drop=300, load=4_000)])
    assert (grid.state, grid.reference_load_kw) == (S.Alert, 1_000)
    new, events = step(CE, NOMINAL, grid, point(T0 + 120, load=499))
    assert new.state == S.Blackout and new.latest_level == Level.Blackout
    assert events == [StateChanged(S.Alert, S.Blackout, T0 + 120, Cause.Measured)]
    assert step(CE, NOMINAL, grid, point(T0 + 120, load=500))[0].state == S.Normal
    # back from the blackout: a Normal point in Restoration does not move the reference...
    grid, _ = run(CE, NOMINAL, [point(T0 + 180, load=2_000), point(T0 + 240, load=900)], new)
    assert (grid.state, grid.reference_load_kw) == (S.Restoration, 1_000)
    # ...the one that recovers does
    grid, _ = step(CE, NOMINAL, grid, point(T0 + 1_080, load=700))
    assert (grid.state, grid.reference_load_kw) == (S.Normal, 700)


def test_g8_g9_blackout_by_voltage_from_every_state() -> None:
    for state, declared, _ in TABLE:
        grid = RegionGrid(state=state, declared=declared, rate_cap_bps=10_000 * declared)
        new, _ = step(CE, NOMINAL, grid, point(T0, voltage=99))
        assert (new.state, new.declared, new.rate_cap_bps) == (S.Blackout, False, 0)


def test_g9_stage_reached_only_when_deeper_since_the_last_normal() -> None:
    points = [
        point(T0),
        point(T0 + 60, drop=1_000),  # stage 1
        point(T0 + 120, drop=1_100),  # stage 1 again: nothing
        point(T0 + 180, drop=1_400),  # stage 3 (2 skipped)
        point(T0 + 240, drop=1_200),
        point(T0 + 300),
        point(T0 + 1_200),  # recovered: deepest reset
        point(T0 + 1_260, drop=1_000),  # stage 1 once more
    ]
    grid, events = run(CE, NOMINAL, points)
    stages = [e for e in events if isinstance(e, StageReached)]
    assert stages == [
        StageReached(T0 + 60, 1, 750),
        StageReached(T0 + 180, 3, 2_250),
        StageReached(T0 + 1_260, 1, 750),
    ]
    assert grid.stage == 1
    # a state change comes before the stage it reached
    assert events[:2] == [
        StateChanged(S.Normal, S.Emergency, T0 + 60, Cause.Measured),
        StageReached(T0 + 60, 1, 750),
    ]


def test_g7_times_strictly_after_the_latest() -> None:
    grid, _ = step(CE, NOMINAL, RegionGrid(), point(T0))
    with pytest.raises(ValueError, match="not after the latest"):
        step(CE, NOMINAL, grid, point(T0))


# G-10, G-11: declaring and ending an emergency -------------------------------------------------


@pytest.mark.parametrize("state", [S.Normal, S.Alert])
def test_g10_declare_from_normal_or_alert(state: S) -> None:
    result = declare(RegionGrid(state=state), 25_000, T0)
    assert result == (
        RegionGrid(state=S.Emergency, declared=True, rate_cap_bps=25_000),
        [StateChanged(state, S.Emergency, T0, Cause.Declared)],
    )


def test_g10_declare_a_measured_emergency_changes_no_state() -> None:
    grid = RegionGrid(state=S.Emergency)
    assert declare(grid, 0, T0) == (replace(grid, declared=True), [])


@pytest.mark.parametrize("cap", [0, 10_000, 50_000])
def test_g10_valid_caps(cap: int) -> None:
    assert not isinstance(declare(RegionGrid(), cap, T0), str)


@pytest.mark.parametrize("cap", [1, 9_999, 50_001])
def test_g10_invalid_cap__checked_before_the_state(cap: int) -> None:
    assert declare(RegionGrid(), cap, T0) == "InvalidRateCap"
    assert declare(RegionGrid(state=S.Blackout), cap, T0) == "InvalidRateCap"


@pytest.mark.parametrize(
    "grid",
    [
        RegionGrid(state=S.Emergency, declared=True),
        RegionGrid(state=S.Blackout),
        RegionGrid(state=S.Restoration),
    ],
)
def test_g10_not_declarable(grid: RegionGrid) -> None:
    assert declare(grid, 0, T0) == "EmergencyNotDeclarable"


@pytest.mark.parametrize(
    "latest, to", [(Level.Normal, S.Normal), (Level.Alert, S.Alert), (Level.Emergency, S.Alert)]
)
@pytest.mark.parametrize("declared", [True, False])
def test_g11_council_exit(latest: Level, to: S, declared: bool) -> None:
    grid = RegionGrid(
        state=S.Emergency,
        declared=declared,
        rate_cap_bps=20_000 * declared,
        latest_level=latest,
        stage=2,
        exit_nonce=4,
    )
    result = council_exit(grid, T0)
    assert not isinstance(result, str)
    new, events = result
    assert (new.state, new.declared, new.rate_cap_bps, new.exit_nonce) == (to, False, 0, 5)
    assert new.stage == (0 if to == S.Normal else 2)
    assert events == [StateChanged(S.Emergency, to, T0, Cause.Council)]


@pytest.mark.parametrize("state", [S.Normal, S.Alert, S.Blackout, S.Restoration])
def test_g11_not_in_emergency(state: S) -> None:
    assert council_exit(RegionGrid(state=state), T0) == "NotInEmergency"


def test_g10_g11_declared_emergency_through_blackout_recovers_by_itself() -> None:
    declared = declare(RegionGrid(), 30_000, T0)
    assert not isinstance(declared, str)
    grid, _ = declared
    points = [point(T0 + 60, voltage=50), point(T0 + 120), point(T0 + 1_020)]
    grid, events = run(CE, NOMINAL, points, grid)
    assert (grid.state, grid.declared) == (S.Normal, False)
    assert [(e.from_state, e.to_state, e.cause) for e in events if isinstance(e, StateChanged)] == [
        (S.Emergency, S.Blackout, Cause.Measured),
        (S.Blackout, S.Restoration, Cause.Measured),
        (S.Restoration, S.Normal, Cause.Recovered),
    ]


# G-12: what events read ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "state, level",
    [
        (S.Normal, GridLevel.Normal),
        (S.Alert, GridLevel.Alert),
        (S.Emergency, GridLevel.Emergency),
        (S.Blackout, GridLevel.Emergency),
        (S.Restoration, GridLevel.Emergency),
    ],
)
def test_g12_level_of_each_state_and_two_hour_staleness(state: S, level: GridLevel) -> None:
    grid = RegionGrid(state=state, latest_time=T0)
    assert state_level(grid, T0 + 7_200) == level
    assert state_level(grid, T0 + 7_201) == GridLevel.Normal
    declared = replace(grid, state=S.Emergency, declared=True)
    assert state_level(declared, T0 + 30 * 86_400) == GridLevel.Emergency


def test_g12_worse_of_state_and_hourly() -> None:
    grid = RegionGrid(state=S.Alert, latest_time=T0)
    assert grid_level(grid, T0, GridLevel.Emergency) == GridLevel.Emergency
    assert grid_level(grid, T0, GridLevel.Normal) == GridLevel.Alert
    assert grid_level(grid, T0 + 7_201, GridLevel.Alert) == GridLevel.Alert


def test_g12_stress_rate_cap_and_markets() -> None:
    capped = replace(CE, emergency_rate_cap_bps=15_000)
    alert = RegionGrid(state=S.Alert, latest_time=T0)
    measured = RegionGrid(state=S.Emergency, latest_time=T0)
    declared = replace(measured, declared=True, rate_cap_bps=12_000)
    declared_no_cap = replace(measured, declared=True)
    terms = event_terms(capped, RegionGrid(), T0)
    assert (terms.level, terms.stress_bps, terms.rate_cap_bps, terms.markets_paused) == (
        GridLevel.Normal,
        10_000,
        0,
        False,
    )
    assert event_terms(capped, RegionGrid(), T0, hourly_stress_level=1).stress_bps == 12_500
    assert event_terms(capped, alert, T0) == event_terms(capped, alert, T0, hourly_stress_level=1)
    assert event_terms(capped, alert, T0).stress_bps == 12_500
    assert event_terms(capped, alert, T0).rate_cap_bps == 0
    terms = event_terms(capped, measured, T0)
    assert (terms.level, terms.stress_bps, terms.rate_cap_bps, terms.markets_paused) == (
        GridLevel.Emergency,
        15_000,
        15_000,
        True,
    )
    assert event_terms(capped, declared, T0).rate_cap_bps == 12_000
    assert event_terms(capped, declared_no_cap, T0).rate_cap_bps == 15_000
    assert event_terms(CE, declared_no_cap, T0).rate_cap_bps == 0
    assert event_terms(capped, measured, T0 + 7_201).rate_cap_bps == 0  # stale: Normal
    assert event_terms(capped, RegionGrid(), T0, GridLevel.Emergency).rate_cap_bps == 15_000


@pytest.mark.parametrize(
    "base, tier, stress, cap, rate",
    [
        (1_000, 15_000, 12_500, 0, 1_875),
        (1_000, 15_000, 12_500, 15_000, 1_500),
        (1_000, 15_000, 12_500, 20_000, 1_875),
        (333, 15_001, 12_500, 0, 623),  # floor(floor(499.53) · 1.25): one floor would give 624
        (333, 10_000, 15_000, 10_001, 333),  # min(499, floor(333.0333))
    ],
)
def test_p4_g12_capped_rate(base: int, tier: int, stress: int, cap: int, rate: int) -> None:
    assert capped_rate(base, tier, stress, cap) == rate


# Invariants over many sequences (G-8..G-11) -------------------------------------------------------

_gap = st.integers(1, 1_200)  # seconds after the previous point
_load = st.one_of(st.integers(1_000, 3_000), st.integers(0, 999))  # rarely below half a reference
_measure = st.tuples(
    _gap,
    st.sampled_from([0, 20, 200, 201, 800, 801, 1_000, 1_200, 1_400, 2_500, -300, -1_001]),
    st.sampled_from([1_000, 950, 949, 899, 99, 0]),
    _load,
    st.sampled_from([0, 1_429_999, 1_749_999, 2_299_999, 2_300_000]),
)
_normal = st.tuples(  # Normal in every preset (unless the load rule), so runs of them recover
    _gap, st.sampled_from([0, 20, -100, 100]), st.just(1_000), _load, st.just(2_300_000)
)
_action = st.one_of(
    st.tuples(st.just("m"), _measure),
    st.tuples(st.just("m"), _normal),
    st.tuples(st.just("m"), _normal),
    st.tuples(st.just("declare"), st.sampled_from([0, 10_000, 20_000, 5])),
    st.just(("exit", None)),
)


@settings(
    max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    preset=st.sampled_from(sorted(PRESETS)),
    recovery=st.sampled_from([60, 600, 900, 3_600]),
    actions=st.lists(_action, min_size=1, max_size=60),
)
def test_g8_g11_invariants_over_sequences(
    preset: int, recovery: int, actions: list[tuple[str, object]]
) -> None:
    """Whatever the sequence of measurements, declarations and council exits:

    * step is deterministic; the record after a measurement carries its time and level;
    * a declared Emergency leaves on a measurement only to Blackout; ``declared`` implies
      Emergency and a cap implies ``declared``;
    * Normal after a measurement only if its level is Normal, and from a measured Emergency or a
      Restoration only once a run of Normal points of recoverySeconds lies behind it (computed here
      independently); Blackout exactly when the level is Blackout; Restoration only from Blackout;
    * every SystemStateChanged starts from the state before it; stages reached rise strictly
      between Normal states; the reference load is the last Normal-state point's load; the exit
      nonce counts council exits."""
    profile = replace(PRESETS[preset][1], recovery_seconds=recovery)
    nominal = profile.nominal_frequency_mhz or NOMINAL
    grid = RegionGrid()
    time = T0
    run_start = 0  # first time of the current run of Normal points (0: none)
    reference = 0
    exits = 0
    stages_since_normal: list[int] = []
    events: list[Event]
    for kind, arg in actions:
        before = grid
        if kind == "m":
            gap, drop, voltage, load, reserve = cast(tuple[int, int, int, int, int], arg)
            time += gap
            m = point(time, drop, voltage, load, reserve, nominal)
            grid, events = step(profile, nominal, before, m)
            assert step(profile, nominal, before, m) == (grid, events)
            level = measured_level(profile, nominal, m, reference)
            assert (grid.latest_time, grid.latest_level) == (time, level)
            run_start = (run_start or time) if level == Level.Normal else 0
            assert grid.normal_since == run_start
            if before.declared:
                assert grid.state in (S.Emergency, S.Blackout)
            assert (grid.state == S.Blackout) == (level == Level.Blackout)
            if grid.state == S.Restoration:
                assert before.state in (S.Blackout, S.Restoration)
            if grid.state == S.Normal:
                assert level == Level.Normal
                if before.state in (S.Emergency, S.Restoration):
                    assert time - run_start >= recovery and not before.declared
                reference = load
            elif before.state in (S.Normal, S.Alert) and level != Level.Blackout:
                assert int(grid.state) == int(level)
            assert grid.reference_load_kw == reference
        elif kind == "declare":
            declared = declare(before, cast(int, arg), time)
            if isinstance(declared, str):
                continue
            grid, changes = declared
            events = list(changes)
            assert grid.state == S.Emergency and grid.declared
        else:
            exited = council_exit(before, time)
            if isinstance(exited, str):
                assert before.state != S.Emergency
                continue
            grid, changes = exited
            events = list(changes)
            exits += 1
            assert grid.state == (S.Normal if before.latest_level == Level.Normal else S.Alert)
        state = before.state
        for e in events:
            if isinstance(e, StateChanged):
                assert e.from_state == state and e.to_state != state
                state = e.to_state
            else:
                assert not stages_since_normal or e.stage > stages_since_normal[-1]
                assert e.cumulative_share_bps == cumulative_share_bps(profile, e.stage)
                stages_since_normal.append(e.stage)
        assert state == grid.state
        if grid.state == S.Normal:
            stages_since_normal = []
            assert grid.stage == 0
        assert not grid.declared or grid.state == S.Emergency
        assert grid.rate_cap_bps == 0 or grid.declared
        assert grid.exit_nonce == exits


def test_enums_mirror_the_protocol_ones() -> None:
    """The reference's own copies of ILoadForecasting.StabilityStatus and IGridStatus.GridLevel."""
    for mine, theirs in ((StabilityStatus, enums.StabilityStatus), (GridLevel, enums.GridLevel)):
        assert [(m.name, int(m)) for m in mine] == [(t.name, int(t)) for t in theirs]


@pytest.mark.parametrize(
    "level, emergency_tier, error",
    [
        (GridLevel.Emergency, True, None),
        (GridLevel.Alert, True, "EmergencyNotMeasured"),
        (GridLevel.Normal, True, "EmergencyNotMeasured"),
        (GridLevel.Emergency, False, "EmergencyTierOnly"),
        (GridLevel.Alert, False, None),
        (GridLevel.Normal, False, None),
    ],
)
def test_p4_g12_tier_needs_its_level(
    level: GridLevel, emergency_tier: bool, error: str | None
) -> None:
    assert tier_error(level, emergency_tier) == error
