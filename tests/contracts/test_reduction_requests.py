"""ReductionRequests: events, enrollment, cancellation and closing
(SPECIFICATION.md §7, rules P-3..P-5, V-1..V-5, S-9)."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain

from oracles.reference import baseline as ref
from tests.contracts.helpers import err
from tests.contracts.suite import (
    DEFAULT_PROGRAM,
    REGION,
    day_start,
    local_day,
    next_weekday,
    now,
    prefs,
    program_tuple,
)

VOLUNTARY, ECONOMIC, EMERGENCY = 0, 1, 2
ENROLLED = 1


@pytest.fixture
def rr(world):
    return world.suite.requests


@pytest.fixture
def event_day():
    return next_weekday(local_day(now()), at_least=2)


@pytest.fixture
def event(rr, utility, event_day):
    # a target of 2 MWh: the largest commitment below (500 kW x 4 h) is within the program's share (V-1)
    return rr.createEvent(
        1, event_day, 16, 20, 2_000_000, VOLUNTARY, {"from": utility}
    ).return_value


# ------------------------------------------------------------------ events


@pytest.mark.parametrize(
    "tier,mult", [(VOLUNTARY, 10_000), (ECONOMIC, 15_000), (EMERGENCY, 20_000)]
)
def test_create_event(rr, world, utility, oracle, event_day, tier, mult):
    """P-3, P-4: rate = base * tier (stress 1.0 with no grid data; an Emergency needs the measured
    grid status, F-9, whose stress is then 1.5); the utility's eventsRun grows."""
    if tier == EMERGENCY:
        from tests.contracts.test_trust_events import declare_emergency

        declare_emergency(world.suite, oracle)
        mult = mult * 15_000 // 10_000
    tx = rr.createEvent(1, event_day, 16, 20, 100_000, tier, {"from": utility})
    ev = tx.events["EventCreated"]
    assert ev["rate"] == DEFAULT_PROGRAM["baseRate"] * mult // 10_000
    assert (ev["day"], ev["startInterval"], ev["endInterval"], ev["triggered"]) == (
        event_day,
        16,
        20,
        False,
    )
    e = rr.drEvent(tx.return_value)
    assert (e["programId"], e["status"], e["regionId"], e["targetWh"]) == (1, 1, REGION, 100_000)
    assert rr.regionHasEvent(REGION, event_day)
    # S-3: the same day as a bit of the region's event-day words (this word and the next)
    bit = 1 << (event_day % 256)
    assert rr.regionEventWords(REGION, event_day // 256)[0] & bit
    assert rr.regionEventWords(REGION, event_day // 256 - 1)[1] & bit
    assert world.suite.utilities.utility(utility)["eventsRun"] == 1


def test_create_event__stranger__reverts(rr, stranger, event_day):
    with brownie.reverts(err("NotProgramOwner", 1, stranger)):
        rr.createEvent(1, event_day, 16, 20, 1, VOLUNTARY, {"from": stranger})


def test_create_triggered_event__stranger__reverts(rr, stranger, event_day):
    """F-6: only TRIGGER_ROLE (the forecasting contract) creates triggered events."""
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, rr.TRIGGER_ROLE())):
        rr.createTriggeredEvent(1, event_day, 16, 20, 1, VOLUNTARY, {"from": stranger})


def test_create_event__bad_time__reverts(rr, utility, event_day):
    """P-3: whole hours in one day, starting in the future and within 30 days."""
    with brownie.reverts(err("InvalidEventWindow", 20, 16)):
        rr.createEvent(1, event_day, 20, 16, 1, VOLUNTARY, {"from": utility})
    with brownie.reverts(err("InvalidEventWindow", 20, 25)):
        rr.createEvent(1, event_day, 20, 25, 1, VOLUNTARY, {"from": utility})
    past = local_day(now()) - 1
    with brownie.reverts(revert_pattern=rf"InvalidEventStart: {day_start(past) + 16 * 3600}, \d+"):
        rr.createEvent(1, past, 16, 20, 1, VOLUNTARY, {"from": utility})
    far = event_day + 40
    with brownie.reverts(revert_pattern=rf"InvalidEventStart: {day_start(far) + 16 * 3600}, \d+"):
        rr.createEvent(1, far, 16, 20, 1, VOLUNTARY, {"from": utility})


def test_create_event__same_day_and_cap__reverts(rr, world, utility, event_day):
    """P-3: one event per program per local day; at most maxEventsPer30Days in the 30 days ending at it."""
    rr.createEvent(1, event_day, 16, 20, 1, VOLUNTARY, {"from": utility})
    with brownie.reverts(err("ProgramDayTaken", 1, event_day)):
        rr.createEvent(1, event_day, 10, 12, 1, VOLUNTARY, {"from": utility})
    pid = world.suite.programs.createProgram(
        REGION, program_tuple(world.suite.token, maxEventsPer30Days=1), 0, {"from": utility}
    ).return_value
    rr.createEvent(pid, event_day, 16, 20, 1, VOLUNTARY, {"from": utility})
    with brownie.reverts(err("ProgramEventCapReached", pid, event_day + 1)):
        rr.createEvent(pid, event_day + 1, 16, 20, 1, VOLUNTARY, {"from": utility})


def test_attack_suspended_utility_creates_event__reverts(rr, world, utility, verifiers, event_day):
    """U-7: a suspended utility cannot run events."""
    world.suite.utilities.suspend(utility, b"\x00" * 32, {"from": verifiers[0]})
    with brownie.reverts(err("UtilityNotActive", utility, REGION)):
        rr.createEvent(1, event_day, 16, 20, 1, VOLUNTARY, {"from": utility})


def test_attack_expired_utility_creates_event_or_program__reverts(rr, world, utility):
    """U-4: once its verification expires, a utility runs nothing in its region until renewed."""
    u = world.suite.utilities
    chain.sleep(u.validityPeriod() + 1)
    chain.mine()
    day = next_weekday(local_day(now()), at_least=2)
    with brownie.reverts(err("UtilityNotActive", utility, REGION)):
        rr.createEvent(1, day, 16, 20, 1, VOLUNTARY, {"from": utility})
    with brownie.reverts(err("UtilityNotActive", utility, REGION)):
        world.suite.programs.createProgram(
            REGION, program_tuple(world.suite.token), 0, {"from": utility}
        )


# ------------------------------------------------------------------ enrollment


def test_enroll_reserves_max_reward(rr, world, event):
    """V-1, V-3: enrollment reserves the B-8 maximum reward in the escrow."""
    alice = world.consumers[0]
    rate = rr.drEvent(event)["rate"]
    before = world.suite.escrow.programAccount(1)["reserved"]
    tx = rr.enroll(event, 12_000, {"from": alice})
    expected = ref.max_reward(12_000, rate, DEFAULT_PROGRAM["bonusCapBps"])
    ev = tx.events["Enrolled"]
    assert (ev["committedWh"], ev["reserved"], ev["byKeeper"]) == (12_000, expected, False)
    en = rr.enrollment(event, alice)
    assert (en["committedWh"], en["reserved"], en["status"]) == (12_000, expected, ENROLLED)
    assert world.suite.escrow.programAccount(1)["reserved"] == before + expected
    e = rr.drEvent(event)
    assert (e["committedWh"], e["reservedOutstanding"], e["enrolled"]) == (12_000, expected, 1)


def test_enroll__commitment_out_of_range__reverts(rr, world, event):
    """V-1: 1 <= commitment <= capacity * hours (5 kW * 4 h = 20,000 Wh)."""
    alice = world.consumers[0]
    with brownie.reverts(err("InvalidCommitment", 20_001, 20_000)):
        rr.enroll(event, 20_001, {"from": alice})
    with brownie.reverts(err("InvalidCommitment", 0, 20_000)):
        rr.enroll(event, 0, {"from": alice})


def test_enroll__twice_and_same_day__reverts(rr, world, utility, event, event_day):
    """V-4: once per event, and one event per consumer per local day."""
    alice = world.consumers[0]
    rr.enroll(event, 1_000, {"from": alice})
    with brownie.reverts(err("AlreadyEnrolled", event, alice)):
        rr.enroll(event, 1_000, {"from": alice})
    pid = world.suite.programs.createProgram(
        REGION, program_tuple(world.suite.token), 10**6, {"from": utility}
    ).return_value
    other = rr.createEvent(
        pid, event_day, 10, 12, 100_000, VOLUNTARY, {"from": utility}
    ).return_value
    with brownie.reverts(err("ConsumerDayTaken", alice, event_day)):
        rr.enroll(other, 1_000, {"from": alice})


def test_enroll__consumer_event_cap__reverts(rr, world, utility, event, event_day):
    """V-4: at most maxEventsPer30Days event days in the 30 days ending at the event."""
    alice = world.consumers[0]
    world.suite.consumers.updateProfile(5_000, 3, prefs(max_events=1), {"from": alice})
    rr.enroll(event, 1_000, {"from": alice})
    second = rr.createEvent(
        1, event_day + 1, 16, 20, 100_000, VOLUNTARY, {"from": utility}
    ).return_value
    with brownie.reverts(err("ConsumerEventCapReached", alice, event_day + 1)):
        rr.enroll(second, 1_000, {"from": alice})


@pytest.mark.parametrize(
    "setup,reason",
    [
        ("stranger", 1),
        ("paused", 2),
        ("no_consent", 3),
        ("class", 6),
        ("min_rate", 7),
        ("hours", 8),
    ],
)
def test_enroll__not_eligible__reverts(rr, world, utility, stranger, event_day, setup, reason):
    """V-2: each eligibility failure names its reason."""
    s = world.suite
    who = world.consumers[2]  # industrial 500 kW
    pid = 1
    if setup == "stranger":
        who = stranger
    elif setup == "paused":
        s.consumers.setPaused(True, {"from": who})
    elif setup == "no_consent":
        s.consumers.updateProfile(500_000, 0, prefs(), {"from": who})
    elif setup == "class":
        pid = world.suite.programs.createProgram(
            REGION, program_tuple(s.token, classMask=1), 10**6, {"from": utility}
        ).return_value
    elif setup == "min_rate":
        s.consumers.updateProfile(500_000, 3, prefs(min_rate=500_001), {"from": who})
    elif setup == "hours":
        s.consumers.updateProfile(
            500_000, 3, prefs(hours=(1 << 16) | (1 << 17) | (1 << 18)), {"from": who}
        )
    eid = rr.createEvent(pid, event_day, 16, 20, 1, VOLUNTARY, {"from": utility}).return_value
    with brownie.reverts(err("ConsumerNotEligible", who, reason)):
        rr.enroll(eid, 1_000, {"from": who})


def test_enroll__over_budget__reverts(rr, world, utility, event_day):
    """V-3: when the budget cannot cover the reservation, enrollment reverts (no pro-rata later)."""
    s = world.suite
    pid = world.suite.programs.createProgram(
        REGION, program_tuple(s.token), 1_000, {"from": utility}
    ).return_value
    eid = rr.createEvent(pid, event_day, 16, 20, 100_000, VOLUNTARY, {"from": utility}).return_value
    need = ref.max_reward(10_000, rr.drEvent(eid)["rate"], 2_000)
    with brownie.reverts(err("InsufficientBudget", pid, need, 1_000)):
        rr.enroll(eid, 10_000, {"from": world.consumers[2]})


def test_attack_enroll_after_start_or_while_paused__reverts(rr, world, admin, event, event_day):
    """V-1, E-8: enrollment closes at the gate (12 hours before the start by default); a paused
    escrow stops enrollment."""
    s = world.suite
    s.escrow.pause({"from": admin})
    with brownie.reverts(err("EnforcedPause")):
        rr.enroll(event, 1_000, {"from": world.consumers[0]})
    s.escrow.unpause({"from": admin})
    gate = day_start(event_day) + 16 * 3600 - 12 * 3600
    assert rr.enrollmentGate(event) == gate
    chain.sleep(gate - now())
    with brownie.reverts(err("EnrollmentClosed", event, gate)):
        rr.enroll(event, 1_000, {"from": world.consumers[0]})


def test_enroll_for__keeper_with_consent(rr, world, keeper, stranger, event):
    """V-5: a keeper enrolls consumers who consented to automated enrollment, nobody else does."""
    tx = rr.enrollFor(event, world.consumers[1], 30_000, {"from": keeper})
    assert tx.events["Enrolled"]["byKeeper"] is True
    with brownie.reverts(err("ConsumerNotEligible", world.consumers[3], 4)):
        rr.enrollFor(event, world.consumers[3], 1_000, {"from": keeper})
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, rr.KEEPER_ROLE())):
        rr.enrollFor(event, world.consumers[1], 1_000, {"from": stranger})


def test_enroll_batch__admits_the_eligible_and_reports_each_refusal(
    rr, world, keeper, stranger, event
):
    """V-6: one call enrolls every eligible consumer with one escrow reservation; each refusal is an
    EnrollmentRefused with its code (V-1, V-2, V-4), and the rest of the batch goes on."""
    s, c = world.suite, world.consumers
    rate = rr.drEvent(event)["rate"]
    pid = rr.drEvent(event)["programId"]
    held = s.escrow.programAccount(pid)["reserved"]
    requests = [
        (c[0], 2_000),  # admitted
        (c[1], 30_000),  # admitted
        (c[0], 1_000),  # 9: already enrolled (by this batch)
        (stranger, 1_000),  # 1: not an active consumer
        (c[3], 1_000),  # 4: no automated-enrollment consent
        (c[2], 0),  # 10: commitment out of range
        (c[2], 500_000 * 4 + 1),  # 10: above capacity x hours
        (c[2], 400_000),  # admitted
    ]
    tx = rr.enrollBatch(event, requests, {"from": keeper})
    assert tx.return_value == 3
    enrolled = [
        (e["account"], e["committedWh"], e["reserved"], e["byKeeper"])
        for e in tx.events["Enrolled"]
    ]
    want = [
        (a, wh, ref.max_reward(wh, rate, 2_000), True)
        for a, wh in (requests[0], requests[1], requests[7])
    ]
    assert enrolled == want
    refused = [(e["account"], e["reason"]) for e in tx.events["EnrollmentRefused"]]
    assert refused == [(c[0], 9), (stranger, 1), (c[3], 4), (c[2], 10), (c[2], 10)]
    ev = rr.drEvent(event)
    total = sum(r for (_, _, r, _) in want)
    assert (ev["enrolled"], ev["committedWh"], ev["reservedOutstanding"]) == (3, 432_000, total)
    assert len(tx.events["Reserved"]) == 1 and tx.events["Reserved"]["amount"] == total
    assert s.escrow.programAccount(pid)["reserved"] == held + total
    for a, wh, r, _ in want:
        assert tuple(rr.enrollment(event, a))[:3] == (wh, r, 0)


def test_enroll_batch__same_state_as_one_by_one(rr, world, keeper, utility, event, event_day):
    """V-6: a batch leaves exactly the enrollments, totals and reservation that enrollFor calls would."""
    c, escrow = world.consumers, world.suite.escrow
    later = next_weekday(event_day + 1)
    other = rr.createEvent(1, later, 16, 20, 100_000, VOLUNTARY, {"from": utility}).return_value
    commitments = [(c[0], 3_000), (c[1], 7_000), (c[2], 90_000)]
    held = escrow.programAccount(1)["reserved"]
    rr.enrollBatch(event, commitments, {"from": keeper})
    by_batch = escrow.programAccount(1)["reserved"] - held
    for a, wh in commitments:
        rr.enrollFor(other, a, wh, {"from": keeper})
    one_by_one = escrow.programAccount(1)["reserved"] - held - by_batch
    assert by_batch == one_by_one > 0
    fields = ("committedWh", "reservedOutstanding", "enrolled", "settled", "status")
    assert [rr.drEvent(event)[f] for f in fields] == [rr.drEvent(other)[f] for f in fields]
    for a, _ in commitments:
        assert tuple(rr.enrollment(event, a)) == tuple(rr.enrollment(other, a))
    # the batch took each consumer's day as enrollFor does (V-4)
    tx = rr.enrollBatch(event, [(c[0], 1_000)], {"from": keeper})
    assert tx.return_value == 0 and tx.events["EnrollmentRefused"]["reason"] == 9


def test_enroll_batch__day_taken_and_cap_refused(rr, world, keeper, utility, event, event_day):
    """V-4 in a batch: another event of the consumer on that day (11); the 30-day cap (12)."""
    c, s = world.consumers, world.suite
    pid = s.programs.createProgram(
        REGION, program_tuple(s.token), 10**9, {"from": utility}
    ).return_value
    same_day = rr.createEvent(
        pid, event_day, 10, 12, 100_000, VOLUNTARY, {"from": utility}
    ).return_value
    rr.enrollFor(event, c[0], 1_000, {"from": keeper})
    s.consumers.updateProfile(5_000, 3, prefs(max_events=1), {"from": c[1]})
    rr.enrollFor(event, c[1], 1_000, {"from": keeper})
    later = rr.createEvent(
        pid, next_weekday(event_day + 1), 10, 12, 100_000, VOLUNTARY, {"from": utility}
    )
    tx = rr.enrollBatch(same_day, [(c[0], 1_000), (c[2], 1_000)], {"from": keeper})
    assert [(e["account"], e["reason"]) for e in tx.events["EnrollmentRefused"]] == [(c[0], 11)]
    tx = rr.enrollBatch(later.return_value, [(c[1], 1_000)], {"from": keeper})
    assert [(e["account"], e["reason"]) for e in tx.events["EnrollmentRefused"]] == [(c[1], 12)]
    assert tx.return_value == 0 and "Reserved" not in tx.events


def test_enroll_batch__whole_call_refusals(rr, world, keeper, stranger, utility, event, event_day):
    """V-6: only KEEPER_ROLE; 1..MAX_ENROLL_BATCH requests; the event open; the whole batch reverts
    when the budget cannot cover it (V-3)."""
    c, s = world.consumers, world.suite
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, rr.KEEPER_ROLE())):
        rr.enrollBatch(event, [(c[0], 1_000)], {"from": stranger})
    cap = rr.MAX_ENROLL_BATCH()
    with brownie.reverts(err("InvalidBatchSize", 0, cap)):
        rr.enrollBatch(event, [], {"from": keeper})
    with brownie.reverts(err("InvalidBatchSize", cap + 1, cap)):
        rr.enrollBatch(event, [(c[0], 1_000)] * (cap + 1), {"from": keeper})
    with brownie.reverts(err("UnknownEvent", 999)):
        rr.enrollBatch(999, [(c[0], 1_000)], {"from": keeper})
    pid = s.programs.createProgram(
        REGION, program_tuple(s.token), 1_000, {"from": utility}
    ).return_value
    poor = rr.createEvent(
        pid, next_weekday(event_day + 1), 16, 20, 100_000, VOLUNTARY, {"from": utility}
    )
    eid = poor.return_value
    rate = rr.drEvent(eid)["rate"]
    need = ref.max_reward(2_000, rate, 2_000) + ref.max_reward(3_000, rate, 2_000)
    with brownie.reverts(err("InsufficientBudget", pid, need, 1_000)):
        rr.enrollBatch(eid, [(c[0], 2_000), (c[1], 3_000)], {"from": keeper})
    assert rr.enrollment(eid, c[0])["status"] == 0 and rr.drEvent(eid)["enrolled"] == 0
    chain.sleep(rr.enrollmentGate(event) - now() + 1)
    chain.mine()
    with brownie.reverts(err("EnrollmentClosed", event, rr.enrollmentGate(event))):
        rr.enrollBatch(event, [(c[0], 1_000)], {"from": keeper})


@pytest.mark.parametrize("first", ["consumer", "keeper"])
def test_attack_enrollment_front_run__one_enrollment_one_reservation(
    rr, world, keeper, event, first
):
    """V-2, V-5: the consumer's own `enroll` and the keeper's `enrollFor` race for one event, either
    front-running the other. The second reverts AlreadyEnrolled, the first commitment stands and
    the escrow holds exactly one reservation (nothing reserved twice, nothing leaked)."""
    who, escrow = world.consumers[1], world.suite.escrow
    before = escrow.programAccount(1)["reserved"]

    def own():  # type: ignore[no-untyped-def]
        return rr.enroll(event, 5_000, {"from": who})

    def auto():  # type: ignore[no-untyped-def]
        return rr.enrollFor(event, who, 30_000, {"from": keeper})

    win, lose, wh = (own, auto, 5_000) if first == "consumer" else (auto, own, 30_000)
    reserved = win().events["Enrolled"]["reserved"]
    with brownie.reverts(err("AlreadyEnrolled", event, who)):
        lose()
    en = rr.enrollment(event, who)
    assert (en["committedWh"], en["reserved"]) == (wh, reserved)
    assert escrow.programAccount(1)["reserved"] == before + reserved
    e = rr.drEvent(event)
    assert (e["enrolled"], e["reservedOutstanding"], e["committedWh"]) == (1, reserved, wh)


# ------------------------------------------------------------------ cancel and close


def test_cancel_event_releases_every_reservation(rr, world, utility, event):
    """P-5: cancelling before the start (after the gate: P-6 covers before) releases all reservations
    in one step."""
    s = world.suite
    rr.enroll(event, 10_000, {"from": world.consumers[0]})
    rr.enroll(event, 100_000, {"from": world.consumers[1]})
    outstanding = rr.drEvent(event)["reservedOutstanding"]
    assert outstanding > 0
    chain.sleep(rr.enrollmentGate(event) - now())
    tx = rr.cancelEvent(event, {"from": utility})
    assert tx.events["EventCancelled"]["released"] == outstanding
    assert s.escrow.programAccount(1)["reserved"] == 0
    assert rr.drEvent(event)["status"] == 2
    with brownie.reverts(err("EventNotOpen", event)):
        rr.enroll(event, 1_000, {"from": world.consumers[2]})


def test_cancel_event__stranger_or_started__reverts(rr, utility, stranger, event, event_day):
    with brownie.reverts(err("NotProgramOwner", 1, stranger)):
        rr.cancelEvent(event, {"from": stranger})
    chain.sleep(day_start(event_day) + 16 * 3600 - now())
    with brownie.reverts(err("EventNotOpen", event)):
        rr.cancelEvent(event, {"from": utility})


def test_close_event_after_deadline(rr, world, stranger, event):
    """S-9: once the deadline and the dispute window after it have passed, anyone closes the event and
    unsettled reservations return to the budget."""
    rr.enroll(event, 10_000, {"from": world.consumers[0]})
    deadline = rr.settlementDeadline(event)
    closes = rr.closesAt(event)
    assert closes == deadline + rr.DISPUTE_WINDOW() == deadline + 7 * 86_400
    chain.sleep(deadline - now() + 1)
    chain.mine()
    with brownie.reverts(err("SettlementStillOpen", event, closes)):
        rr.closeEvent(event, {"from": stranger})
    chain.sleep(closes - now() + 1)
    tx = rr.closeEvent(event, {"from": stranger})
    assert tx.events["EventClosed"]["released"] > 0
    assert world.suite.escrow.programAccount(1)["reserved"] == 0
    with brownie.reverts(err("EventNotSettleable", event, 3)):
        rr.closeEvent(event, {"from": stranger})


def test_unknown_event__reverts(rr, stranger):
    with brownie.reverts(err("UnknownEvent", 99)):
        rr.closeEvent(99, {"from": stranger})


def test_set_forecasting__admin_and_stranger(rr, admin, stranger):
    """P-4: only the admin links the contract whose stress multiplier prices events; zero unlinks it."""
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, rr.DEFAULT_ADMIN_ROLE())
    ):
        rr.setForecasting(stranger, {"from": stranger})
    tx = rr.setForecasting("0x" + "00" * 20, {"from": admin})
    assert tx.events["ForecastingSet"]["forecasting"] == "0x" + "00" * 20
