"""GridStability: measurements, the system state, emergency mode and the grid terms events read
(SPECIFICATION.md §15, rules G-7..G-12), on the seed band profile of DEFAULT_REGION (60 Hz: normal
±500 mHz, alert ±1,000 mHz, voltage ±5 %/±10 %, recovery 900 s, UFLS 1,500 mHz : 10 %, 2,000 mHz : 10 %)."""

from __future__ import annotations

from typing import Any

import brownie
import pytest
from brownie import chain
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.contracts.helpers import err
from tests.contracts.suite import OTHER_REGION, REGION, GridOracle, now
from tests.contracts.suite import measurement as m

NOMINAL = 60_000
CAP_KW = 5_000_000
LOAD = 3_000_000
NORMAL, ALERT, EMERGENCY, BLACKOUT, RESTORATION = 0, 1, 2, 3, 4
MEASURED, DECLARED, COUNCIL, RECOVERED = 0, 1, 2, 3
STATE_CAP, BALANCING = 1, 2
REASON = b"\x0e" * 32
RECOVERY = 900

# a measurement of each level, by frequency (G-8): Normal, Alert, Emergency, Blackout (dead bus)
LEVEL_POINT: dict[int, dict[str, int]] = {
    NORMAL: {},
    ALERT: {"frequency": NOMINAL - 800},
    EMERGENCY: {"frequency": NOMINAL - 1_200},
    BLACKOUT: {"frequency": 0, "voltage": 0},
}


class Grid(GridOracle):
    """The region's grid oracle (six hours behind the chain, one minute a point), by level and state."""

    def level(self, level: int, gap: int = 60) -> Any:
        return self.post(LEVEL_POINT[level], gap=gap)

    def state(self) -> int:
        return int(self.stability.regionGrid(self.region)["state"])


@pytest.fixture
def stab(suite):  # type: ignore[no-untyped-def]
    return suite.stability


@pytest.fixture
def grid(stab, oracle) -> Grid:  # type: ignore[no-untyped-def]
    return Grid(stab, oracle)


@pytest.fixture
def tso(accounts, suite, verifiers):  # type: ignore[no-untyped-def]
    """An active transmission system operator of region 1 verified for the system state (G-1..G-4)."""
    a = accounts[18]
    suite.operators.applyAsOperator(
        "North TSO", 0, STATE_CAP | BALANCING, b"\x0b" * 32, [REGION], {"from": a}
    )
    for v in verifiers[:2]:
        suite.operators.approve(a, 0, {"from": v})
    return a


@pytest.fixture
def balancer(accounts, suite, verifiers):  # type: ignore[no-untyped-def]
    """An active operator of region 1 without CAP_SYSTEM_STATE."""
    a = accounts[17]
    suite.operators.applyAsOperator("Valley DSO", 1, BALANCING, b"\x0c" * 32, [REGION], {"from": a})
    for v in verifiers[:2]:
        suite.operators.approve(a, 0, {"from": v})
    return a


# ------------------------------------------------------------------ G-7 posting


def test_g7_post__grid_oracle__recorded_with_level_and_state(grid, stab):
    tx = grid.post({}, {"phase": -1_234}, {"voltage": 1_020, "reserve": 42})
    events = tx.events["Measured"]
    assert len(events) == 3
    assert [(e["level"], e["state"]) for e in events] == [(NORMAL, NORMAL)] * 3
    assert events[1]["phaseCentiDeg"] == -1_234
    latest = stab.latestMeasurement(REGION)
    assert tuple(latest) == m(grid.t, voltage=1_020, reserve=42)
    g = stab.regionGrid(REGION)
    assert g["latestTime"] == grid.t and g["referenceLoadKw"] == LOAD and g["state"] == NORMAL
    assert "SystemStateChanged" not in tx.events  # Normal to Normal is no change


def test_g7_post__not_the_grid_oracle__reverts(stab, stranger, suite):
    role = stab.GRID_ORACLE_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        stab.postMeasurements(REGION, [m(now() - 60)], {"from": stranger})
    assert stab.regionGrid(REGION)["latestTime"] == 0


@pytest.mark.parametrize("size", [0, 97])
def test_g7_post__batch_size__reverts(stab, oracle, size):
    t = now() - 7_000
    with brownie.reverts(err("InvalidMeasurementBatch", size)):
        stab.postMeasurements(REGION, [m(t + i) for i in range(size)], {"from": oracle})


def test_g7_post__96_points__accepted(stab, oracle):
    t = now() - 7_000
    tx = stab.postMeasurements(REGION, [m(t + 60 * i) for i in range(96)], {"from": oracle})
    assert len(tx.events["Measured"]) == 96


def test_g7_post__unknown_region__reverts(stab, oracle):
    with brownie.reverts(err("UnknownGridRegion", 9)):
        stab.postMeasurements(9, [m(now() - 60)], {"from": oracle})


def test_g7_post__times_must_increase_after_the_latest(grid, stab, oracle):
    grid.post({})
    latest = grid.t
    with brownie.reverts(err("MeasurementNotAfter", 0, latest, latest)):
        stab.postMeasurements(REGION, [m(latest)], {"from": oracle})
    with brownie.reverts(err("MeasurementNotAfter", 1, latest + 5, latest + 10)):
        stab.postMeasurements(REGION, [m(latest + 10), m(latest + 5)], {"from": oracle})
    assert stab.regionGrid(REGION)["latestTime"] == latest


def test_g7_post__future_or_older_than_seven_days__reverts(stab, oracle):
    t = now()
    with brownie.reverts(err("MeasurementTimeOutOfRange", 0, t + 100)):
        stab.postMeasurements(REGION, [m(t + 100)], {"from": oracle})
    old = t - 7 * 86_400 - 100
    with brownie.reverts(err("MeasurementTimeOutOfRange", 0, old)):
        stab.postMeasurements(REGION, [m(old)], {"from": oracle})


@pytest.mark.parametrize(
    "values",
    [
        {"load": 2 * CAP_KW + 1},
        {"voltage": 1_501},
        {"phase": 18_001},
        {"phase": -18_001},
        {"frequency": NOMINAL + 5_001},
        {"frequency": NOMINAL - 5_001},
        {"frequency": 0},  # a live bus (voltage 100 %) always has a frequency
        {"frequency": 0, "voltage": 100},
    ],
    ids=str,
)
def test_g7_post__value_out_of_range__reverts(stab, oracle, values):
    with brownie.reverts(err("MeasurementOutOfRange", 0)):
        stab.postMeasurements(REGION, [m(now() - 60, **values)], {"from": oracle})


@pytest.mark.parametrize(
    "values",
    [
        {"load": 2 * CAP_KW},
        {"voltage": 1_500},
        {"phase": 18_000},
        {"phase": -18_000},
        {"frequency": NOMINAL + 5_000},
        {"frequency": 0, "voltage": 99},
    ],
    ids=str,
)
def test_g7_post__range_edges__accepted(stab, oracle, values):
    t = now() - 60
    stab.postMeasurements(REGION, [m(t, **values)], {"from": oracle})
    assert tuple(stab.latestMeasurement(REGION)) == m(t, **values)


# ------------------------------------------------------------------ G-8 levels, band edges exactly


@pytest.mark.parametrize(
    ("values", "level"),
    [
        ({"frequency": NOMINAL + 500}, NORMAL),
        ({"frequency": NOMINAL - 500}, NORMAL),
        ({"frequency": NOMINAL + 501}, ALERT),
        ({"frequency": NOMINAL - 1_000}, ALERT),
        ({"frequency": NOMINAL - 1_001}, EMERGENCY),
        ({"frequency": NOMINAL + 1_501}, EMERGENCY),  # beyond the emergency band still Emergency
        ({"voltage": 950}, NORMAL),  # 500 bps
        ({"voltage": 1_050}, NORMAL),
        ({"voltage": 949}, ALERT),  # 510 bps
        ({"voltage": 900}, ALERT),
        ({"voltage": 899}, EMERGENCY),
        ({"voltage": 100}, EMERGENCY),  # low, but not a dead bus
        ({"voltage": 99}, BLACKOUT),
        ({"voltage": 0, "frequency": 0}, BLACKOUT),
    ],
    ids=str,
)
def test_g8_level__band_boundaries(grid, values, level):
    tx = grid.post(values)
    assert tx.events["Measured"]["level"] == level


def test_g8_level__load_below_half_the_reference__blackout(grid):
    grid.post({"load": 1_000_000})  # state Normal after it: the reference load
    assert grid.post({"load": 500_000}).events["Measured"]["level"] == NORMAL  # half: not below
    # the reference follows the latest Normal measurement: now 500,000
    assert grid.post({"load": 250_000}).events["Measured"]["level"] == NORMAL
    assert grid.post({"load": 124_999}).events["Measured"]["level"] == BLACKOUT


def test_g8_level__reference_load_kept_outside_normal(grid, stab):
    grid.post({"load": 1_000_000})
    grid.post({"load": 900_000, "frequency": NOMINAL - 800})  # Alert: not a reference
    assert stab.regionGrid(REGION)["referenceLoadKw"] == 1_000_000
    assert (
        grid.post({"load": 499_999, "frequency": NOMINAL - 800}).events["Measured"]["level"]
        == BLACKOUT
    )


@pytest.fixture
def reserve_region(suite, region_admin, oracle) -> Grid:  # type: ignore[no-untyped-def]
    """Region 2 on area 9: the seed bands with reserve levels 1,000 / 600 / 300 kW."""
    from tests.contracts.test_band_profiles import profile

    suite.regions.setArea(9, "Reserve test", profile(reserveAlertKw=1_000, reserveEmergencyKw=600,
                                                     reserveShedKw=300), {"from": region_admin})  # fmt: skip
    params = list(suite.regions.region(OTHER_REGION))
    params[5] = 9
    suite.regions.updateRegion(OTHER_REGION, params, {"from": region_admin})
    return Grid(suite.stability, oracle, OTHER_REGION)


@pytest.mark.parametrize(
    ("reserve", "level"),
    [(1_000, NORMAL), (999, ALERT), (600, ALERT), (599, EMERGENCY), (0, EMERGENCY)],
)
def test_g8_level__reserve_levels(reserve_region, reserve, level):
    assert reserve_region.post({"reserve": reserve}).events["Measured"]["level"] == level


def test_g8_level__reserves_not_judged_without_levels(grid):
    assert grid.post({"reserve": 0}).events["Measured"]["level"] == NORMAL


# ------------------------------------------------------------------ G-8 / G-9 shedding stages


@pytest.mark.parametrize(
    ("frequency", "stage", "share"),
    [
        (NOMINAL - 1_499, 0, 0),
        (NOMINAL - 1_500, 1, 1_000),
        (NOMINAL - 1_999, 1, 1_000),
        (NOMINAL - 2_000, 2, 2_000),
    ],
)
def test_g9_shedding_stage__exact_drops(grid, stab, frequency, stage, share):
    tx = grid.post({"frequency": frequency})
    if stage == 0:
        assert "SheddingStageReached" not in tx.events
    else:
        e = tx.events["SheddingStageReached"]
        assert (e["stage"], e["cumulativeShareBps"], e["time"]) == (stage, share, grid.t)
    assert stab.regionGrid(REGION)["stage"] == stage


def test_g9_shedding_stage__once_per_deeper_stage_reset_by_normal(grid, stab):
    assert (
        len(
            grid.post({"frequency": NOMINAL - 1_600}, {"frequency": NOMINAL - 1_700}).events[
                "SheddingStageReached"
            ]
        )
        == 1
    )
    assert "SheddingStageReached" not in grid.post({"frequency": NOMINAL - 1_500}).events
    assert grid.post({"frequency": NOMINAL - 2_100}).events["SheddingStageReached"]["stage"] == 2
    grid.post({}, gap=60)
    grid.post({}, gap=RECOVERY)  # recovered: Normal again
    assert grid.state() == NORMAL and stab.regionGrid(REGION)["stage"] == 0
    assert grid.post({"frequency": NOMINAL - 1_500}).events["SheddingStageReached"]["stage"] == 1


# ------------------------------------------------------------------ G-9 every transition


def _reach(grid: Grid, state: int, tso: Any) -> None:
    if state == ALERT:
        grid.level(ALERT)
    elif state == EMERGENCY:
        grid.level(EMERGENCY)
    elif state == BLACKOUT:
        grid.level(BLACKOUT)
    elif state == RESTORATION:
        grid.level(BLACKOUT)
        grid.level(ALERT)
    elif state == -EMERGENCY:  # a declared emergency
        grid.stability.declareEmergency(REGION, REASON, 0, {"from": tso})


# (from state, measured level) -> state after one measurement; -2 is a declared Emergency
TABLE = {
    (NORMAL, NORMAL): NORMAL, (NORMAL, ALERT): ALERT, (NORMAL, EMERGENCY): EMERGENCY, (NORMAL, BLACKOUT): BLACKOUT,
    (ALERT, NORMAL): NORMAL, (ALERT, ALERT): ALERT, (ALERT, EMERGENCY): EMERGENCY, (ALERT, BLACKOUT): BLACKOUT,
    (EMERGENCY, NORMAL): EMERGENCY, (EMERGENCY, ALERT): EMERGENCY, (EMERGENCY, EMERGENCY): EMERGENCY,
    (EMERGENCY, BLACKOUT): BLACKOUT,
    (-EMERGENCY, NORMAL): EMERGENCY, (-EMERGENCY, ALERT): EMERGENCY, (-EMERGENCY, EMERGENCY): EMERGENCY,
    (-EMERGENCY, BLACKOUT): BLACKOUT,
    (BLACKOUT, NORMAL): RESTORATION, (BLACKOUT, ALERT): RESTORATION, (BLACKOUT, EMERGENCY): RESTORATION,
    (BLACKOUT, BLACKOUT): BLACKOUT,
    (RESTORATION, NORMAL): RESTORATION, (RESTORATION, ALERT): RESTORATION, (RESTORATION, EMERGENCY): RESTORATION,
    (RESTORATION, BLACKOUT): BLACKOUT,
}  # fmt: skip


@pytest.mark.parametrize(("start", "level"), sorted(TABLE), ids=lambda v: str(v))
def test_g9_transition_table__every_cell(grid, tso, start, level):
    _reach(grid, start, tso)
    assert grid.state() == abs(start)
    tx = grid.level(level)
    want = TABLE[(start, level)]
    assert grid.state() == want
    assert tx.events["Measured"]["state"] == want
    if want != abs(start):
        e = tx.events["SystemStateChanged"]
        assert (e["from"], e["to"], e["time"], e["cause"]) == (abs(start), want, grid.t, MEASURED)
    else:
        assert "SystemStateChanged" not in tx.events


@pytest.mark.parametrize("start", [EMERGENCY, RESTORATION])
def test_g9_recovery__exactly_recovery_seconds_of_normal(grid, tso, start):
    _reach(grid, start, tso)
    grid.level(NORMAL)  # the run starts
    grid.level(NORMAL, gap=RECOVERY - 1)
    assert grid.state() == start
    tx = grid.level(NORMAL, gap=1)  # RECOVERY seconds after the run's first
    e = tx.events["SystemStateChanged"]
    assert (e["from"], e["to"], e["cause"]) == (start, NORMAL, RECOVERED)
    assert grid.state() == NORMAL


def test_g9_recovery__a_non_normal_measurement_restarts_the_run(grid, tso):
    grid.level(EMERGENCY)
    grid.level(NORMAL)
    grid.level(ALERT, gap=RECOVERY // 2)
    grid.level(NORMAL, gap=60)
    grid.level(NORMAL, gap=RECOVERY - 1)
    assert grid.state() == EMERGENCY
    grid.level(NORMAL, gap=1)
    assert grid.state() == NORMAL


def test_g9_declared_emergency__normal_for_long__stays(grid, tso):
    grid.stability.declareEmergency(REGION, REASON, 0, {"from": tso})
    grid.level(NORMAL)
    grid.level(NORMAL, gap=10 * RECOVERY)
    assert grid.state() == EMERGENCY and grid.stability.regionGrid(REGION)["declared"]


def test_g9_blackout_ends_a_declared_emergency(grid, tso):
    grid.stability.declareEmergency(REGION, REASON, 12_000, {"from": tso})
    grid.level(BLACKOUT)
    g = grid.stability.regionGrid(REGION)
    assert (g["state"], g["declared"], g["rateCapBps"]) == (BLACKOUT, False, 0)


# ------------------------------------------------------------------ G-10 declaring an emergency


def test_g10_declare__state_operator__declared(grid, stab, tso):
    grid.level(ALERT)
    tx = stab.declareEmergency(REGION, REASON, 20_000, {"from": tso})
    d = tx.events["EmergencyDeclared"]
    assert (d["regionId"], d["operator"], d["reasonHash"], d["rateCapBps"]) == (
        REGION,
        tso,
        "0x" + REASON.hex(),
        20_000,
    )
    c = tx.events["SystemStateChanged"]
    assert (c["from"], c["to"], c["cause"]) == (ALERT, EMERGENCY, DECLARED)
    g = stab.regionGrid(REGION)
    assert (g["state"], g["declared"], g["rateCapBps"], g["stateSince"]) == (
        EMERGENCY,
        True,
        20_000,
        tx.timestamp,
    )


def test_g10_declare__over_a_measured_emergency__declared_without_a_state_change(grid, stab, tso):
    grid.level(EMERGENCY)
    since = stab.regionGrid(REGION)["stateSince"]
    tx = stab.declareEmergency(REGION, REASON, 0, {"from": tso})
    assert "SystemStateChanged" not in tx.events and "EmergencyDeclared" in tx.events
    g = stab.regionGrid(REGION)
    assert g["declared"] and g["stateSince"] == since


def test_g10_declare__not_a_state_operator__reverts(stab, balancer, stranger, utility, tso):
    for who in (balancer, stranger, utility):
        with brownie.reverts(err("NotStateOperator", who, REGION)):
            stab.declareEmergency(REGION, REASON, 0, {"from": who})
    with brownie.reverts(err("NotStateOperator", tso, OTHER_REGION)):  # outside its control area
        stab.declareEmergency(OTHER_REGION, REASON, 0, {"from": tso})
    assert stab.regionGrid(REGION)["state"] == NORMAL


def test_g10_declare__suspended_operator__reverts(stab, suite, tso, verifiers):
    suite.operators.suspend(tso, b"\x01" * 32, {"from": verifiers[0]})
    with brownie.reverts(err("NotStateOperator", tso, REGION)):
        stab.declareEmergency(REGION, REASON, 0, {"from": tso})


@pytest.mark.parametrize(("reason", "cap", "error"), [
    (b"\x00" * 32, 0, err("MissingReason")),
    (REASON, 9_999, err("InvalidRateCap", 9_999)),
    (REASON, 50_001, err("InvalidRateCap", 50_001)),
])  # fmt: skip
def test_g10_declare__bad_reason_or_cap__reverts(stab, tso, reason, cap, error):
    with brownie.reverts(error):
        stab.declareEmergency(REGION, reason, cap, {"from": tso})


@pytest.mark.parametrize("cap", [10_000, 50_000])
def test_g10_declare__cap_edges__accepted(stab, tso, cap):
    stab.declareEmergency(REGION, REASON, cap, {"from": tso})
    assert stab.regionGrid(REGION)["rateCapBps"] == cap


@pytest.mark.parametrize("start", [-EMERGENCY, BLACKOUT, RESTORATION])
def test_g10_declare__from_declared_blackout_or_restoration__reverts(grid, stab, tso, start):
    _reach(grid, start, tso)
    with brownie.reverts(err("EmergencyNotDeclarable", abs(start))):
        stab.declareEmergency(REGION, REASON, 0, {"from": tso})


# ------------------------------------------------------------------ G-11 the council ends it


@pytest.mark.parametrize(
    ("latest", "after"), [(NORMAL, NORMAL), (ALERT, ALERT), (EMERGENCY, ALERT)]
)
def test_g11_exit__m_council_members__ends_declared_emergency(
    grid, stab, tso, verifiers, latest, after
):
    stab.declareEmergency(REGION, REASON, 12_000, {"from": tso})
    grid.level(latest)
    tx = stab.approveEmergencyExit(REGION, {"from": verifiers[0]})
    assert tx.events["EmergencyExitApproved"]["count"] == 1 and grid.state() == EMERGENCY
    assert stab.exitApprovals(REGION) == 1
    with brownie.reverts(err("ExitAlreadyApproved", REGION, verifiers[0])):
        stab.approveEmergencyExit(REGION, {"from": verifiers[0]})
    tx = stab.approveEmergencyExit(REGION, {"from": verifiers[1]})  # M = 2
    e = tx.events["SystemStateChanged"]
    assert (e["from"], e["to"], e["cause"], e["time"]) == (EMERGENCY, after, COUNCIL, tx.timestamp)
    g = stab.regionGrid(REGION)
    assert (g["state"], g["declared"], g["rateCapBps"], g["exitNonce"]) == (after, False, 0, 1)
    assert stab.exitApprovals(REGION) == 0


def test_g11_exit__measured_emergency__council_may_end_it(grid, stab, verifiers):
    grid.level(EMERGENCY)
    grid.level(NORMAL)
    for v in verifiers[:2]:
        stab.approveEmergencyExit(REGION, {"from": v})
    assert grid.state() == NORMAL


def test_g11_exit__not_a_council_member__reverts(grid, stab, tso, stranger, admin, utility):
    stab.declareEmergency(REGION, REASON, 0, {"from": tso})
    for who in (stranger, admin, utility, tso):
        with brownie.reverts(err("NotCouncilMember", who)):
            stab.approveEmergencyExit(REGION, {"from": who})
    assert stab.exitApprovals(REGION) == 0


@pytest.mark.parametrize("start", [NORMAL, ALERT, BLACKOUT, RESTORATION])
def test_g11_exit__not_in_emergency__reverts(grid, stab, tso, verifiers, start):
    _reach(grid, start, tso)
    with brownie.reverts(err("NotInEmergency", start)):
        stab.approveEmergencyExit(REGION, {"from": verifiers[0]})


def test_g11_exit__council_change_lapses_pending_approvals(
    grid, stab, suite, tso, verifiers, admin, accounts
):
    stab.declareEmergency(REGION, REASON, 0, {"from": tso})
    stab.approveEmergencyExit(REGION, {"from": verifiers[0]})
    suite.utilities.grantRole(
        suite.utilities.VERIFIER_ROLE(), accounts[16], {"from": admin}
    )  # new epoch
    assert stab.exitApprovals(REGION) == 0
    stab.approveEmergencyExit(REGION, {"from": verifiers[1]})
    assert grid.state() == EMERGENCY  # one approval of this epoch
    stab.approveEmergencyExit(REGION, {"from": verifiers[0]})
    assert grid.state() == NORMAL


# ------------------------------------------------------------------ G-12 what events get


def _program_rates(suite: Any) -> tuple[int, int, int]:
    p = suite.programs.program(1)
    return int(p["baseRate"]), int(p["economicBps"]), int(p["emergencyBps"])


def _event_day(suite: Any) -> int:
    return int(suite.forecasting.currentHour(REGION)) // 24 + 2


def test_g12_alert__stress_1_25_for_new_events(world, grid, utility):
    s = world.suite
    grid.t = now() - 60
    grid.level(ALERT, gap=1)
    terms = s.forecasting.eventTerms(REGION)
    assert tuple(terms) == (1, 12_500, 0)
    base, _, _ = _program_rates(s)
    tx = s.requests.createEvent(1, _event_day(s), 16, 20, 1, 0, {"from": utility})
    assert tx.events["EventCreated"]["rate"] == base * 12_500 // 10_000


def test_g12_declared_emergency__emergency_tier_only_and_capped(world, grid, tso, utility):
    s = world.suite
    s.stability.declareEmergency(REGION, REASON, 12_000, {"from": tso})
    assert tuple(s.forecasting.eventTerms(REGION)) == (2, 15_000, 12_000)
    assert s.stability.marketsPaused(REGION)
    day = _event_day(s)
    for tier in (0, 1):
        with brownie.reverts(err("EmergencyTierOnly", REGION)):
            s.requests.createEvent(1, day, 16, 20, 1, tier, {"from": utility})
    base, _, emergency = _program_rates(s)
    uncapped = base * emergency // 10_000 * 15_000 // 10_000
    tx = s.requests.createEvent(1, day, 16, 20, 1, 2, {"from": utility})
    assert (
        tx.events["EventCreated"]["rate"]
        == min(uncapped, base * 12_000 // 10_000)
        == base * 12_000 // 10_000
    )


def test_g12_measured_emergency__uncapped_and_stale_after_two_hours(world, grid, utility):
    s = world.suite
    grid.t = now() - 60
    grid.level(EMERGENCY, gap=1)
    assert tuple(s.forecasting.eventTerms(REGION)) == (2, 15_000, 0)
    base, _, emergency = _program_rates(s)
    tx = s.requests.createEvent(1, _event_day(s), 16, 20, 1, 2, {"from": utility})
    assert tx.events["EventCreated"]["rate"] == base * emergency // 10_000 * 15_000 // 10_000
    chain.sleep(2 * 3_600 + 60)
    chain.mine()
    assert tuple(s.stability.eventTerms(REGION)) == (0, 10_000, 0)  # a measured state goes stale
    assert not s.stability.marketsPaused(REGION)
    with brownie.reverts(err("EmergencyNotMeasured", REGION)):
        s.requests.createEvent(1, _event_day(s) + 1, 16, 20, 1, 2, {"from": utility})


def test_g12_declared_emergency__does_not_go_stale(world, tso):
    s = world.suite
    s.stability.declareEmergency(REGION, REASON, 0, {"from": tso})
    chain.sleep(3 * 86_400)
    chain.mine()
    assert s.stability.gridLevel(REGION) == 2 and s.forecasting.gridLevel(REGION) == 2


def test_g12_area_rate_cap_applies_to_a_measured_emergency(world, grid, region_admin, utility):
    from tests.contracts.test_band_profiles import profile

    s = world.suite
    s.regions.setArea(
        4, "GridBalance seed", profile(emergencyRateCapBps=11_000), {"from": region_admin}
    )
    grid.t = now() - 60
    grid.level(EMERGENCY, gap=1)
    assert tuple(s.stability.eventTerms(REGION)) == (2, 15_000, 11_000)
    base, _, _ = _program_rates(s)
    tx = s.requests.createEvent(1, _event_day(s), 16, 20, 1, 2, {"from": utility})
    assert tx.events["EventCreated"]["rate"] == base * 11_000 // 10_000


def test_g12_restoration_and_blackout_are_emergency_level(grid, stab, tso):
    grid.t = now() - 600
    grid.level(BLACKOUT)
    assert stab.gridLevel(REGION) == 2
    grid.level(ALERT)
    assert (
        grid.state() == RESTORATION and stab.gridLevel(REGION) == 2 and stab.marketsPaused(REGION)
    )


def test_g12_set_stability__admin_only_and_unlinked_reads_hourly_only(
    suite, admin, stranger, grid, tso
):
    fc = suite.forecasting
    role = fc.DEFAULT_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        fc.setStability(stranger, {"from": stranger})
    suite.stability.declareEmergency(REGION, REASON, 0, {"from": tso})
    assert fc.gridLevel(REGION) == 2
    tx = fc.setStability("0x" + "00" * 20, {"from": admin})
    assert tx.events["StabilitySet"]["stability"] == "0x" + "00" * 20
    assert tuple(fc.eventTerms(REGION)) == (0, 10_000, 0)


# ------------------------------------------------------------------ the chain equals the reference


def _compare(stab: Any, region: int, txs: list[Any], grid: Any, events: list[Any]) -> None:
    """The contract's record and events equal oracles/reference/grid_state.py's."""
    from oracles.protocol.bindings import RegionGrid
    from oracles.reference.grid_state import StageReached, StateChanged, record_fields

    chain = RegionGrid.model_validate(tuple(stab.regionGrid(region)))
    assert record_fields(chain) == record_fields(grid)
    changes = [
        e
        for tx in txs
        if "SystemStateChanged" in tx.events
        for e in tx.events["SystemStateChanged"]
    ]
    stages = [
        e
        for tx in txs
        if "SheddingStageReached" in tx.events
        for e in tx.events["SheddingStageReached"]
    ]
    assert [(e["from"], e["to"], e["time"], e["cause"]) for e in changes] == [
        (e.from_state, e.to_state, e.time, e.cause) for e in events if isinstance(e, StateChanged)
    ]
    assert [(e["time"], e["stage"], e["cumulativeShareBps"]) for e in stages] == [
        (e.time, e.stage, e.cumulative_share_bps) for e in events if isinstance(e, StageReached)
    ]


@pytest.mark.parametrize("seed", [0, 1])
def test_g9_frequency_incident__chain_equals_reference(stab, oracle, seed):
    """A simulated generator trip (oracles/sim/frequency_incident.py) through the contract: every
    state change, every shedding stage and the final record as the reference computes them."""
    from oracles.reference.grid_state import PRESETS, run
    from oracles.sim.frequency_incident import incident

    profile = PRESETS[4][1]
    points = incident(profile, NOMINAL, CAP_KW, now() - 3 * 3_600, seed=seed)
    txs = [stab.postMeasurements(REGION, [p.as_tuple() for p in points[i : i + 96]], {"from": oracle})
           for i in range(0, len(points), 96)]  # fmt: skip
    grid, events = run(profile, NOMINAL, points)
    assert {e.to_state for e in events if hasattr(e, "to_state")} >= {EMERGENCY, NORMAL}
    _compare(stab, REGION, txs, grid, events)


LEVEL_VALUES = [
    {}, {"frequency": NOMINAL + 501}, {"frequency": NOMINAL - 1_001}, {"frequency": NOMINAL - 1_500},
    {"frequency": NOMINAL - 2_000}, {"voltage": 949}, {"voltage": 899}, {"voltage": 50, "frequency": 0},
    {"load": 1_400_000}, {"load": 600_000},
]  # fmt: skip


@settings(max_examples=8, derandomize=True, deadline=None)
@given(steps=st.lists(st.tuples(st.sampled_from(range(len(LEVEL_VALUES))),
                                st.sampled_from([1, 60, 450, 899, 900])), min_size=1, max_size=40))  # fmt: skip
def test_g9_random_sequences__chain_equals_reference(suite, oracle, steps):
    """G-8, G-9: random measurement sequences (levels, loads, gaps around recoverySeconds) give the
    contract's record and events exactly as the reference's."""
    from oracles.reference.grid_state import PRESETS, Measurement, run

    chain.snapshot()
    try:
        t = now() - 2 * 86_400
        points = []
        for kind, gap in steps:
            t += gap
            points.append(Measurement(*m(t, **LEVEL_VALUES[kind])))
        tx = suite.stability.postMeasurements(
            REGION, [p.as_tuple() for p in points], {"from": oracle}
        )
        grid, events = run(PRESETS[4][1], NOMINAL, points)
        _compare(suite.stability, REGION, [tx], grid, events)
    finally:
        chain.revert()
