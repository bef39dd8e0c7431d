"""BalancingActions: operators' actions through their lifecycle, DR activations, load-shed reports
and automated responses (SPECIFICATION.md §15, rules G-13..G-16)."""

from __future__ import annotations

from typing import Any

import brownie
import pytest
from brownie import chain

from oracles.protocol.enums import ProgramType
from tests.contracts.helpers import err
from tests.contracts.suite import OTHER_REGION, REGION, GridOracle, now, program_tuple

GEN, RESERVE, DR, SHED = 0, 1, 2, 3
NONE, PROPOSED, INSTRUCTED, COMPLETED, FAILED = 0, 1, 2, 3, 4
STATE, BALANCING, LOAD_SHED, AUTOMATION = 1, 2, 4, 8
F_BELOW, F_ABOVE, V_BELOW, V_ABOVE, LOAD_ABOVE, RESERVE_BELOW, FORECAST_ABOVE = range(7)
REASON = b"\x0f" * 32
REPORT = b"\x1e" * 32
HOUR = 3_600
OFFSET_SECONDS = -480 * 60  # DEFAULT_REGION is UTC-8


def _operator(suite: Any, verifiers: Any, account: Any, caps: int, name: str) -> Any:
    suite.operators.applyAsOperator(name, 0, caps, b"\x0b" * 32, [REGION], {"from": account})
    for v in verifiers[:2]:
        suite.operators.approve(account, 0, {"from": v})
    return account


@pytest.fixture
def bal(suite):  # type: ignore[no-untyped-def]
    return suite.balancing


@pytest.fixture
def er(world, utility) -> int:  # type: ignore[no-untyped-def]
    """An emergency-response program of region 1 (P-7): the only type DR activations link."""
    s = world.suite
    params = program_tuple(s.token, programType=int(ProgramType.EmergencyResponse))
    return int(s.programs.createProgram(REGION, params, 10**9, {"from": utility}).return_value)


@pytest.fixture
def tso(accounts, suite, verifiers):  # type: ignore[no-untyped-def]
    """An operator of region 1 with every capability."""
    return _operator(
        suite, verifiers, accounts[18], STATE | BALANCING | LOAD_SHED | AUTOMATION, "North TSO"
    )


@pytest.fixture
def shedder(accounts, suite, verifiers):  # type: ignore[no-untyped-def]
    """An operator of region 1 that may shed load and nothing else."""
    return _operator(suite, verifiers, accounts[17], LOAD_SHED, "Valley DSO")


def request(kind: int = RESERVE, **kw: int) -> tuple[int, ...]:
    """An ActionRequest: a reserve activation of 1,000 kW over the next hour by default."""
    t = now()
    q = {"regionId": REGION, "kind": kind, "targetKw": 1_000, "priority": 1, "windowStart": t + 60,
         "windowEnd": t + 60 + HOUR, "programId": 0, "stage": 0, "shareBps": 0, **kw}  # fmt: skip
    return tuple(q.values())


def shed(**kw: int) -> tuple[int, ...]:
    return request(SHED, **{"stage": 1, "shareBps": 1_000, **kw})


def config(**kw: int) -> tuple[int, ...]:
    """A ResponseConfig: a reserve activation when the frequency is at or below 59.0 Hz."""
    c = {"regionId": REGION, "metric": F_BELOW, "threshold": 59_000, "kind": RESERVE, "targetKw": 2_000,
         "priority": 2, "windowSeconds": 600, "durationSeconds": 900, "programId": 0, "shareBps": 0, **kw}  # fmt: skip
    return tuple(c.values())


def propose(bal: Any, who: Any, q: tuple[int, ...]) -> int:
    return int(bal.proposeAction(q, {"from": who}).return_value)


def dr_window(hours_ahead: int, hours: int) -> tuple[int, int]:
    """A window of `hours` whole local hours of one local day, starting at least `hours_ahead` hours
    from now (the next day's 01:00 if the day would end first)."""
    local = (now() + OFFSET_SECONDS) // HOUR * HOUR + hours_ahead * HOUR
    if local % 86_400 + hours * HOUR > 86_400:
        local = (local // 86_400 + 1) * 86_400 + HOUR
    return local - OFFSET_SECONDS, local - OFFSET_SECONDS + hours * HOUR


def local_hour_start(hours_ahead: int) -> int:
    """The UTC time of a whole local hour `hours_ahead` hours from now (region 1's clock)."""
    local = now() + OFFSET_SECONDS
    return (local // HOUR + hours_ahead) * HOUR - OFFSET_SECONDS


# ------------------------------------------------------------------ G-13 proposing


def test_g13_propose__balancing_operator__recorded_and_event(bal, tso):
    q = request(GEN, targetKw=-5_000, priority=7)
    tx = bal.proposeAction(q, {"from": tso})
    e = tx.events["ActionProposed"]
    assert (e["actionId"], e["regionId"], e["operator"], e["kind"], e["targetKw"], e["priority"]) == (
        1, REGION, tso, GEN, -5_000, 7)  # fmt: skip
    assert (e["windowStart"], e["windowEnd"]) == (q[4], q[5])
    a = bal.action(1)
    assert (a["operator"], a["status"], a["kind"], a["targetKw"], a["sequence"]) == (
        tso,
        PROPOSED,
        GEN,
        -5_000,
        0,
    )
    assert bal.actionCount() == 1


def test_g13_propose__not_a_capable_operator__reverts(
    bal, tso, shedder, stranger, utility, suite, verifiers
):
    for who in (stranger, utility, shedder):  # a shedder may not adjust generation
        with brownie.reverts(err("NotCapableOperator", who, REGION, BALANCING)):
            bal.proposeAction(request(), {"from": who})
    with brownie.reverts(err("NotCapableOperator", tso, OTHER_REGION, BALANCING)):
        bal.proposeAction(request(regionId=OTHER_REGION), {"from": tso})
    with brownie.reverts(err("NotCapableOperator", stranger, REGION, LOAD_SHED)):
        bal.proposeAction(shed(), {"from": stranger})
    assert propose(bal, shedder, shed()) == 1  # its own capability
    assert bal.actionCount() == 1


def test_g13_propose__invalid_fields__named(bal, tso):
    t = now()
    cases = [
        (2, request(targetKw=0)),
        (2, request(targetKw=-1)),  # only a generation adjustment lowers
        (3, request(priority=0)),
        (4, request(windowStart=t - 7 * 86_400 - 60, windowEnd=t)),
        (4, request(windowStart=t + 30 * 86_400 + 60, windowEnd=t + 30 * 86_400 + 120)),
        (5, request(windowStart=t + 60, windowEnd=t + 60)),
        (5, request(windowStart=t + 60, windowEnd=t + 60 + 86_401)),
        (6, request(programId=1)),  # only a DR activation names a program
        (6, request(DR, programId=1)),  # not linked
        (7, request(stage=1)),
        (7, shed(stage=9)),
        (8, shed(shareBps=0)),
        (8, shed(shareBps=10_001)),
        (8, request(shareBps=5)),
    ]
    for field, q in cases:
        with brownie.reverts(err("InvalidActionRequest", field)):
            bal.proposeAction(q, {"from": tso})
    assert bal.actionCount() == 0


def test_g13_propose__window_edges__accepted(bal, tso):
    t = now() + 5  # the next block's time is later than the latest
    propose(bal, tso, request(windowStart=t - 7 * 86_400 + 30, windowEnd=t - 7 * 86_400 + 60))
    propose(bal, tso, request(windowStart=t, windowEnd=t + 86_400))
    propose(bal, tso, shed(stage=8, shareBps=10_000))
    propose(bal, tso, shed(stage=0, shareBps=1))  # a manual shed
    assert bal.actionCount() == 4


# ------------------------------------------------------------------ G-13 the lifecycle


def test_g13_lifecycle__instructed_in_order_completed(bal, tso):
    first, second = propose(bal, tso, request(priority=2)), propose(bal, tso, request(priority=1))
    tx = bal.instructAction(second, {"from": tso})
    e = tx.events["ActionInstructed"]
    assert (e["actionId"], e["regionId"], e["sequence"], e["eventId"]) == (second, REGION, 1, 0)
    tx = bal.instructAction(first, {"from": tso})
    assert tx.events["ActionInstructed"]["sequence"] == 2
    a = bal.action(first)
    assert (a["status"], a["sequence"], a["instructedAt"]) == (INSTRUCTED, 2, tx.timestamp)
    with brownie.reverts(err("WindowNotStarted", first, a["windowStart"])):
        bal.completeAction(first, 900, {"from": tso})
    chain.sleep(120)
    tx = bal.completeAction(first, 900, {"from": tso})
    assert (
        tx.events["ActionCompleted"]["deliveredKw"] == 900
        and tx.events["ActionCompleted"]["reportDue"] == 0
    )
    a = bal.action(first)
    assert (a["status"], a["deliveredKw"], a["endedAt"], a["reportDue"]) == (
        COMPLETED,
        900,
        tx.timestamp,
        0,
    )


def test_g13_lifecycle__failed_from_proposed_or_instructed(bal, tso):
    a, b = propose(bal, tso, request()), propose(bal, tso, request())
    bal.instructAction(b, {"from": tso})
    for action_id in (a, b):
        tx = bal.failAction(action_id, REASON, {"from": tso})
        assert tx.events["ActionFailed"]["reasonHash"] == "0x" + REASON.hex()
        assert bal.action(action_id)["status"] == FAILED
    with brownie.reverts(err("ActionNotInStatus", a, FAILED)):
        bal.failAction(a, REASON, {"from": tso})
    with brownie.reverts(err("ActionNotInStatus", a, FAILED)):
        bal.instructAction(a, {"from": tso})


def test_g13_lifecycle__wrong_status__reverts(bal, tso):
    a = propose(bal, tso, request(windowStart=now() - 60, windowEnd=now() + HOUR))
    with brownie.reverts(err("ActionNotInStatus", a, PROPOSED)):
        bal.completeAction(a, 1, {"from": tso})
    bal.instructAction(a, {"from": tso})
    with brownie.reverts(err("ActionNotInStatus", a, INSTRUCTED)):
        bal.instructAction(a, {"from": tso})
    bal.completeAction(a, 1, {"from": tso})
    with brownie.reverts(err("ActionNotInStatus", a, COMPLETED)):
        bal.failAction(a, REASON, {"from": tso})


def test_g13_lifecycle__only_the_actions_operator(bal, tso, shedder, stranger):
    a = propose(bal, tso, shed())
    for who in (shedder, stranger):
        with brownie.reverts(err("NotActionOperator", a, who)):
            bal.instructAction(a, {"from": who})
        with brownie.reverts(err("NotActionOperator", a, who)):
            bal.failAction(a, REASON, {"from": who})
        with brownie.reverts(err("NotActionOperator", a, who)):
            bal.completeAction(a, 1, {"from": who})
        with brownie.reverts(err("NotActionOperator", a, who)):
            bal.submitShedReport(a, REPORT, {"from": who})
    with brownie.reverts(err("UnknownAction", 9)):
        bal.action(9)
    with brownie.reverts(err("UnknownAction", 9)):
        bal.instructAction(9, {"from": tso})


def test_g13_suspended_operator__cannot_instruct_but_still_reports(bal, suite, tso, verifiers):
    a = propose(bal, tso, shed(windowStart=now() - 60, windowEnd=now() + HOUR))
    b = propose(bal, tso, request())
    bal.instructAction(a, {"from": tso})
    suite.operators.suspend(tso, b"\x01" * 32, {"from": verifiers[0]})
    with brownie.reverts(err("NotCapableOperator", tso, REGION, BALANCING)):
        bal.instructAction(b, {"from": tso})
    bal.completeAction(a, 500, {"from": tso})  # what it did stays on record, and owes its report
    bal.submitShedReport(a, REPORT, {"from": tso})
    bal.failAction(b, REASON, {"from": tso})


# ------------------------------------------------------------------ G-14 DR activation


def test_g14_link_program__its_utility_only(world, bal, utility, stranger, tso, er):
    with brownie.reverts(err("NotProgramUtility", er, stranger)):
        bal.setProgramLinked(er, True, {"from": stranger})
    with brownie.reverts(err("NotProgramUtility", er, tso)):
        bal.setProgramLinked(er, True, {"from": tso})
    tx = bal.setProgramLinked(er, True, {"from": utility})
    assert tx.events["ProgramLinked"]["linked"] and bal.programLinked(er)
    bal.setProgramLinked(er, False, {"from": utility})
    assert not bal.programLinked(er)


def test_p7_link_program__emergency_response_only(world, bal, utility):
    """P-7, G-14: a peak-shaving (or load-shifting) program takes no DR activation's event; unlinking
    it is always allowed."""
    with brownie.reverts(err("NotEmergencyResponseProgram", 1)):
        bal.setProgramLinked(1, True, {"from": utility})
    bal.setProgramLinked(1, False, {"from": utility})
    assert not bal.programLinked(1)


def test_g14_dr_activation__emergency_tier_event_on_the_linked_program(
    world, bal, utility, tso, er
):
    s = world.suite
    bal.setProgramLinked(er, True, {"from": utility})
    start, end = dr_window(14, 2)  # after the program's 12-hour gate lead
    a = propose(
        bal, tso, request(DR, programId=er, targetKw=2_500, windowStart=start, windowEnd=end)
    )
    with brownie.reverts(err("EmergencyNotMeasured", REGION)):  # no emergency: no emergency event
        bal.instructAction(a, {"from": tso})
    s.stability.declareEmergency(REGION, REASON, 0, {"from": tso})
    tx = bal.instructAction(a, {"from": tso})
    event_id = tx.events["ActionInstructed"]["eventId"]
    assert event_id > 0 and bal.action(a)["eventId"] == event_id
    created = tx.events["EventCreated"]
    e = s.requests.drEvent(event_id)
    local = start + OFFSET_SECONDS
    assert (created["programId"], e["day"], e["tier"]) == (er, local // 86_400, 2)
    assert (e["startInterval"], e["endInterval"]) == (
        (local % 86_400) // HOUR,
        (local % 86_400) // HOUR + 2,
    )
    assert e["targetWh"] == 2_500 * 1_000 * 2


def test_g14_dr_activation__window_in_whole_local_hours_of_one_day(world, bal, utility, tso, er):
    bal.setProgramLinked(er, True, {"from": utility})
    start = local_hour_start(6)
    with brownie.reverts(err("InvalidActionRequest", 5)):
        bal.proposeAction(
            request(DR, programId=er, windowStart=start + 60, windowEnd=start + HOUR), {"from": tso}
        )
    midnight = (
        start + (24 - ((start + OFFSET_SECONDS) % 86_400) // HOUR) * HOUR
    )  # the next local midnight
    with brownie.reverts(err("InvalidActionRequest", 5)):
        bal.proposeAction(
            request(DR, programId=er, windowStart=midnight - HOUR, windowEnd=midnight + HOUR),
            {"from": tso},
        )
    propose(bal, tso, request(DR, programId=er, windowStart=midnight - HOUR, windowEnd=midnight))


# ------------------------------------------------------------------ G-15 the shed report


def test_g15_shed__report_due_in_30_days__overdue_visible_then_late(bal, tso):
    a = propose(bal, tso, shed(windowStart=now() - 60, windowEnd=now() + HOUR))
    with brownie.reverts(err("ReportNotOwed", a)):  # not yet completed
        bal.submitShedReport(a, REPORT, {"from": tso})
    bal.instructAction(a, {"from": tso})
    tx = bal.completeAction(a, 800, {"from": tso})
    due = tx.timestamp + 30 * 86_400
    assert tx.events["ActionCompleted"]["reportDue"] == due == bal.action(a)["reportDue"]
    assert not bal.isReportOverdue(a)
    chain.sleep(30 * 86_400 + 10)
    chain.mine()
    assert bal.isReportOverdue(a)
    with brownie.reverts(err("MissingReport")):
        bal.submitShedReport(a, b"\x00" * 32, {"from": tso})
    tx = bal.submitShedReport(a, REPORT, {"from": tso})
    assert tx.events["ShedReportSubmitted"]["late"] is True
    assert not bal.isReportOverdue(a) and bal.action(a)["reportHash"] == "0x" + REPORT.hex()
    with brownie.reverts(err("ReportNotOwed", a)):
        bal.submitShedReport(a, REPORT, {"from": tso})


def test_g15_shed__report_in_time__not_late(bal, tso):
    a = propose(bal, tso, shed(windowStart=now() - 60, windowEnd=now() + HOUR))
    bal.instructAction(a, {"from": tso})
    bal.completeAction(a, 800, {"from": tso})
    chain.sleep(30 * 86_400 - 100)
    assert (
        bal.submitShedReport(a, REPORT, {"from": tso}).events["ShedReportSubmitted"]["late"]
        is False
    )


def test_g15_report__only_for_a_load_shed(bal, tso):
    a = propose(bal, tso, request(windowStart=now() - 60, windowEnd=now() + HOUR))
    bal.instructAction(a, {"from": tso})
    bal.completeAction(a, 1, {"from": tso})
    with brownie.reverts(err("ReportNotOwed", a)):
        bal.submitShedReport(a, REPORT, {"from": tso})
    assert not bal.isReportOverdue(a)


# ------------------------------------------------------------------ G-16 automated responses


@pytest.fixture
def grid(suite, oracle) -> GridOracle:  # type: ignore[no-untyped-def]
    """Region 1's grid oracle, three hours behind the chain, reporting 100 MW of reserve."""
    return GridOracle(suite.stability, oracle, behind=3 * HOUR, reserve=100_000)


def test_g16_configure__automation_operator__active_and_listed(bal, tso):
    tx = bal.configureAutomatedResponse(config(), {"from": tso})
    assert tx.events["ResponseConfigured"]["responseId"] == 1
    r = bal.response(1)
    assert (r["operator"], r["active"], r["lastFired"], r["fired"]) == (tso, True, 0, 0)
    assert tuple(r["config"]) == config() and list(bal.regionResponses(REGION)) == [1]


def test_g16_configure__needs_automation_and_the_actions_capability(bal, tso, shedder, stranger):
    for who in (stranger, shedder):  # the shedder lacks CAP_AUTOMATION
        with brownie.reverts(err("NotCapableOperator", who, REGION, AUTOMATION | BALANCING)):
            bal.configureAutomatedResponse(config(), {"from": who})
    with brownie.reverts(err("NotCapableOperator", shedder, REGION, AUTOMATION | LOAD_SHED)):
        bal.configureAutomatedResponse(config(kind=SHED, shareBps=500), {"from": shedder})


def test_g16_configure__invalid_fields__named(world, bal, tso, utility, er):
    bal.setProgramLinked(er, True, {"from": utility})
    cases = [
        (2, config(threshold=0)), (4, config(targetKw=0)), (4, config(targetKw=-5)), (5, config(priority=0)),
        (6, config(windowSeconds=59)), (6, config(windowSeconds=86_401)), (7, config(durationSeconds=59)),
        (7, config(durationSeconds=86_401)), (7, config(kind=DR, programId=er, durationSeconds=1_800)),
        (8, config(kind=DR, programId=1, durationSeconds=HOUR)), (8, config(programId=1)), (9, config(kind=SHED, shareBps=0)),
        (9, config(shareBps=1)),
    ]  # fmt: skip
    for field, c in cases:
        with brownie.reverts(err("InvalidResponseConfig", field)):
            bal.configureAutomatedResponse(c, {"from": tso})
    bal.configureAutomatedResponse(
        config(kind=DR, programId=er, durationSeconds=HOUR), {"from": tso}
    )


def test_g16_configure__at_most_eight_per_region(bal, tso):
    for _ in range(8):
        bal.configureAutomatedResponse(config(), {"from": tso})
    with brownie.reverts(err("TooManyResponses", REGION)):
        bal.configureAutomatedResponse(config(), {"from": tso})
    bal.disableAutomatedResponse(3, {"from": tso})
    bal.configureAutomatedResponse(config(), {"from": tso})
    assert sorted(int(i) for i in bal.regionResponses(REGION)) == [1, 2, 4, 5, 6, 7, 8, 9]


def test_g16_disable__its_operator_only(bal, tso, stranger, grid):
    bal.configureAutomatedResponse(config(), {"from": tso})
    with brownie.reverts(err("NotResponseOperator", 1, stranger)):
        bal.disableAutomatedResponse(1, {"from": stranger})
    assert "ResponseDisabled" in bal.disableAutomatedResponse(1, {"from": tso}).events
    with brownie.reverts(err("NotResponseOperator", 1, tso)):
        bal.disableAutomatedResponse(1, {"from": tso})
    assert list(bal.regionResponses(REGION)) == []
    assert "ResponseFired" not in grid.post({"frequency": 58_900}).events


def test_g16_fires_once_per_window_with_the_measurement_that_fired_it(bal, tso, grid):
    bal.configureAutomatedResponse(config(), {"from": tso})
    tx = grid.post({}, {"frequency": 59_001}, {"frequency": 59_000}, {"frequency": 58_700})
    fired = tx.events["ResponseFired"]
    assert len(fired) == 1  # 59.0 Hz fires; 58.7 Hz a minute later is inside the window
    first = grid.t - 60
    assert (fired[0]["responseId"], fired[0]["actionId"], fired[0]["measurementTime"], fired[0]["value"]) == (
        1, 1, first, 59_000)  # fmt: skip
    a = bal.action(1)
    assert (a["status"], a["kind"], a["targetKw"], a["priority"], a["responseId"], a["sequence"]) == (
        INSTRUCTED, RESERVE, 2_000, 2, 1, 1)  # fmt: skip
    assert (a["windowStart"], a["windowEnd"], a["operator"]) == (first, first + 900, tso)
    # the window ends 600 s after the firing measurement: 539 s later is still inside, 600 s fires
    assert "ResponseFired" not in grid.post({"frequency": 58_000}, gap=479).events
    tx = grid.post({"frequency": 58_000}, gap=61)
    assert tx.events["ResponseFired"]["measurementTime"] == first + 600
    r = bal.response(1)
    assert (r["lastFired"], r["fired"]) == (first + 600, 2)


@pytest.mark.parametrize(
    ("metric", "threshold", "point", "value"),
    [
        (F_ABOVE, 60_300, {"frequency": 60_300}, 60_300),
        (V_BELOW, 920, {"voltage": 920}, 920),
        (V_ABOVE, 1_080, {"voltage": 1_080}, 1_080),
        (LOAD_ABOVE, 9_000, {"load": 4_500_000}, 9_000),  # 90 % of 5,000,000 kW
        (RESERVE_BELOW, 50_000, {"reserve": 50_000}, 50_000),
    ],
)
def test_g16_each_metric__fires_at_its_threshold(bal, tso, grid, metric, threshold, point, value):
    bal.configureAutomatedResponse(config(metric=metric, threshold=threshold), {"from": tso})
    below = {
        k: (v - 1 if metric in (F_ABOVE, V_ABOVE, LOAD_ABOVE) else v + 1) for k, v in point.items()
    }
    if metric == LOAD_ABOVE:
        below = {"load": 4_499_999}
    assert "ResponseFired" not in grid.post(below).events
    assert grid.post(point).events["ResponseFired"]["value"] == value


def test_g16_forecast_above__the_next_hours_forecast(suite, bal, tso, grid, oracle):
    bal.configureAutomatedResponse(
        config(metric=FORECAST_ABOVE, threshold=4_000_000), {"from": tso}
    )
    h = int(suite.forecasting.currentHour(REGION))
    assert "ResponseFired" not in grid.post({}, {}).events  # no forecast: 0
    suite.forecasting.postForecasts(
        REGION, 7, now(), [(h + 1, 4_200_000, 4_000_000, 4_400_000)], {"from": oracle}
    )
    tx = grid.post({}, {})
    assert len(tx.events["ResponseFired"]) == 1 and tx.events["ResponseFired"]["value"] == 4_200_000


@pytest.mark.parametrize("late", [0, 3_000])  # posted at once, or 50 minutes after the measurement
def test_g16_dr_response__fails_outside_an_emergency_then_fires_in_one(
    world, bal, tso, utility, grid, late, er
):
    s = world.suite
    bal.setProgramLinked(er, True, {"from": utility})
    dr = config(kind=DR, programId=er, targetKw=1_000, durationSeconds=2 * HOUR, threshold=59_400)
    bal.configureAutomatedResponse(dr, {"from": tso})
    grid.t = now() - 600 - late
    tx = grid.post({"frequency": 59_300})  # Alert only
    assert "ResponseFired" not in tx.events and "ResponseFailed" in tx.events
    assert bal.response(1)["lastFired"] == 0 and bal.actionCount() == 0  # nothing half-made
    tx = grid.post({"frequency": 58_900})  # Emergency
    fired = tx.events["ResponseFired"]
    a = bal.action(fired["actionId"])
    e = s.requests.drEvent(a["eventId"])
    assert e["tier"] == 2 and a["status"] == INSTRUCTED
    gate = s.programs.program(1)["gateLeadHours"]
    local = tx.timestamp + OFFSET_SECONDS  # from the posting, not the (earlier) measurement
    assert a["windowStart"] == (local // HOUR + gate + 1) * HOUR - OFFSET_SECONDS


def test_g16_suspended_operator__its_responses_fail(bal, suite, tso, verifiers, grid):
    bal.configureAutomatedResponse(config(), {"from": tso})
    suite.operators.suspend(tso, b"\x01" * 32, {"from": verifiers[0]})
    tx = grid.post({"frequency": 58_900})
    assert "ResponseFired" not in tx.events and "ResponseFailed" in tx.events


def test_g16_evaluate_and_fire__only_grid_stability_and_itself(bal, stranger, tso):
    with brownie.reverts(err("NotGridStability", stranger)):
        bal.evaluate(REGION, [], {"from": stranger})
    with brownie.reverts(err("NotSelf", tso)):
        bal.fireResponse(tso, request(), 1, {"from": tso})


def test_g16_a_responder_that_reverts__measurements_kept(suite, admin, grid, stranger):
    stab = suite.stability
    role = stab.DEFAULT_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        stab.setResponder(stranger, {"from": stranger})
    stab.setResponder(suite.token, {"from": admin})  # no evaluate(): every call reverts
    tx = grid.post({"frequency": 58_900})
    assert "ResponsesFailed" in tx.events and stab.regionGrid(REGION)["latestTime"] == grid.t
    assert (
        stab.setResponder(suite.balancing, {"from": admin}).events["ResponderSet"]["responder"]
        == suite.balancing
    )
