"""Trust layer, events and enrollment (issue 22): attested capacity and bounded reservations (P5,
attack f06), per-program triggers and withdrawn events (P6, f07), emergencies from the measured grid
status (P6, f12), the enrollment gate and opt-out (P7). SPECIFICATION.md C-12, P-2, P-3, P-4, P-6,
V-1, V-4, V-7, F-6, F-9 and §12's threat table."""

from __future__ import annotations

from typing import Any

import brownie
import pytest
from brownie import chain

from oracles.reference import baseline as ref
from tests.contracts.helpers import DEFAULT_REGION, err
from tests.contracts.suite import (
    REGION,
    day_start,
    local_day,
    next_weekday,
    now,
    prefs,
    program_tuple,
)

VOLUNTARY, ECONOMIC, EMERGENCY = 0, 1, 2
SCHEDULED, CANCELLED, WITHDRAWN = 1, 2, 6
CAP_KW = DEFAULT_REGION["capacityKw"]
NOMINAL = DEFAULT_REGION["nominalFrequencyMHz"]
HOUR = 3_600


def declare_emergency(suite: Any, oracle: Any) -> None:
    """The grid oracle measures the last hour at 96 % of capacity: load Critical, F-9 Emergency."""
    h = suite.forecasting.currentHour(REGION)
    suite.forecasting.postActuals(
        REGION, [(h - 1, CAP_KW * 96 // 100, NOMINAL, 1_000)], {"from": oracle}
    )
    assert suite.forecasting.gridLevel(REGION) == EMERGENCY


def forecast(hour: int, kw: int) -> tuple[int, int, int, int]:
    return (hour, kw, kw - 50_000, kw + 50_000)


@pytest.fixture
def rr(world):  # type: ignore[no-untyped-def]
    return world.suite.requests


@pytest.fixture
def event_day() -> int:
    return next_weekday(local_day(now()), at_least=2)


@pytest.fixture
def event(rr, utility, event_day):  # type: ignore[no-untyped-def]
    return rr.createEvent(
        1, event_day, 16, 20, 2_000_000, VOLUNTARY, {"from": utility}
    ).return_value


@pytest.fixture
def rival(world, admin, verifiers, consumer_accounts):  # type: ignore[no-untyped-def]
    """A second utility verified for the same region, with its own funded program (id 2)."""
    s, r = world.suite, consumer_accounts[8]
    s.utilities.applyForVerification("Rival Power", b"\x02" * 32, [REGION], {"from": r})
    for v in verifiers[:2]:
        s.utilities.approve(r, 0, {"from": v})
    s.token.mint(r, 10**12, {"from": admin})
    s.token.approve(s.escrow, 2**255, {"from": r})
    s.programs.createProgram(REGION, program_tuple(s.token), 10**9, {"from": r})
    return r


def _program(world, utility, **overrides: int) -> int:  # type: ignore[no-untyped-def]
    s = world.suite
    return int(
        s.programs.createProgram(
            REGION, program_tuple(s.token, **overrides), 10**9, {"from": utility}
        ).return_value
    )


# ------------------------------------------------------------------ P5, attack f06


def test_attack_f06_self_declared_capacity__refused_and_share_bounded(
    rr, world, utility, event_day
):
    """C-12, V-1 (attack f06): a consumer raised its declared capacity and reserved 999,999,500 of a
    1,000,000,000 budget, locking everyone else out. Its own update can no longer raise capacity, and
    even an attested 100 MW commits at most the program's share of the event's target."""
    s, (small, _, big, _) = world.suite, world.consumers
    with brownie.reverts(err("CapacityNotAttested", 100_000_000, 500_000)):
        s.consumers.updateProfile(100_000_000, 3, prefs(), {"from": big})
    # a capacity an attester vouches for: still bounded by the share (25 % of a 100 kWh target)
    s.consumers.attestCapacity(big, 100_000_000, {"from": utility})
    pid = _program(world, utility, maxShareBps=2_500)
    eid = rr.createEvent(pid, event_day, 16, 20, 100_000, VOLUNTARY, {"from": utility}).return_value
    with brownie.reverts(err("InvalidCommitment", 400_000_000, 25_000)):
        rr.enroll(eid, 400_000_000, {"from": big})
    rr.enroll(eid, 25_000, {"from": big})
    reserved = rr.enrollment(eid, big)["reserved"]
    assert reserved == ref.max_reward(25_000, rr.drEvent(eid)["rate"], 2_000)
    assert s.escrow.available(pid) == 10**9 - reserved > 0
    rr.enroll(eid, 10_000, {"from": small})  # nobody is locked out
    assert rr.drEvent(eid)["enrolled"] == 2


def test_p5_bounded_reservations__share_of_the_target(rr, world, utility, keeper, event_day):
    """P5, V-1: one consumer commits at most floor(targetWh x maxShareBps / 10,000) Wh (so reserves at
    most B-8 of it), whatever its attested capacity; in a batch the excess is refusal 10."""
    c = world.consumers
    pid = _program(world, utility, maxShareBps=1_000)
    eid = rr.createEvent(pid, event_day, 16, 20, 123_456, VOLUNTARY, {"from": utility}).return_value
    share = 123_456 * 1_000 // 10_000
    with brownie.reverts(err("InvalidCommitment", share + 1, share)):
        rr.enroll(eid, share + 1, {"from": c[2]})
    tx = rr.enrollBatch(eid, [(c[1], share + 1), (c[2], share)], {"from": keeper})
    assert [(e["account"], e["reason"]) for e in tx.events["EnrollmentRefused"]] == [(c[1], 10)]
    rate = rr.drEvent(eid)["rate"]
    assert tx.events["Enrolled"]["reserved"] == ref.max_reward(share, rate, 2_000)
    # below the share, capacity x hours still bounds the commitment (500 kW x 4 h)
    pid2 = _program(world, utility)
    eid2 = rr.createEvent(pid2, event_day, 16, 20, 10**9, VOLUNTARY, {"from": utility}).return_value
    with brownie.reverts(err("InvalidCommitment", 2_000_001, 2_000_000)):
        rr.enroll(eid2, 2_000_001, {"from": c[2]})


def test_attest_capacity__attester__sets_it(world, utility, admin, accounts):
    """C-12: an active utility of the region or a KYC attester sets the capacity, up or down."""
    s, who = world.suite, world.consumers[0]
    tx = s.consumers.attestCapacity(who, 7_000, {"from": utility})
    assert s.consumers.consumer(who)["capacityW"] == 7_000
    ev = tx.events["CapacityAttested"]
    assert (ev["account"], ev["capacityW"], ev["attester"]) == (who, 7_000, utility)
    kyc = accounts[18]
    s.consumers.grantRole(s.consumers.KYC_ATTESTER_ROLE(), kyc, {"from": admin})
    s.consumers.attestCapacity(who, 3_000, {"from": kyc})
    assert s.consumers.consumer(who)["capacityW"] == 3_000
    # the consumer lowers it itself, and cannot raise it back
    s.consumers.updateProfile(2_000, 3, prefs(), {"from": who})
    with brownie.reverts(err("CapacityNotAttested", 2_001, 2_000)):
        s.consumers.updateProfile(2_001, 3, prefs(), {"from": who})


def test_attest_capacity__stranger_or_bad_input__reverts(world, stranger, utility, rival):
    """C-12: nobody else attests (a utility of another region included); 1 W .. 100 MW; a consumer
    registered or active."""
    s, who = world.suite, world.consumers[0]
    with brownie.reverts(err("NotAuthorizedAttester", stranger, REGION)):
        s.consumers.attestCapacity(who, 7_000, {"from": stranger})
    with brownie.reverts(err("NotAuthorizedAttester", who, REGION)):
        s.consumers.attestCapacity(who, 7_000, {"from": who})
    for bad in (0, 100_000_001):
        with brownie.reverts(err("InvalidCapacity", bad)):
            s.consumers.attestCapacity(who, bad, {"from": utility})
    with brownie.reverts(err("ConsumerNotInStatus", stranger, 2, 0)):
        s.consumers.attestCapacity(stranger, 7_000, {"from": utility})


def test_program__gate_lead_and_share__validated(world, utility):
    """P-2: adjWindow + gap <= gateLeadHours <= 72; 1 <= maxShareBps <= 10,000."""
    s = world.suite
    for over, error in (
        ({"gateLeadHours": 3}, err("InvalidGateLead", 3, 4)),
        ({"gateLeadHours": 73}, err("InvalidGateLead", 73, 4)),
        ({"gateLeadHours": 8, "adjWindowHours": 6, "adjGapHours": 3}, err("InvalidGateLead", 8, 9)),
        ({"maxShareBps": 0}, err("InvalidMaxShare", 0)),
        ({"maxShareBps": 10_001}, err("InvalidMaxShare", 10_001)),
    ):
        with brownie.reverts(error):
            s.programs.createProgram(REGION, program_tuple(s.token, **over), 0, {"from": utility})
    pid = _program(world, utility, gateLeadHours=4, maxShareBps=1)
    p = s.programs.program(pid)
    assert (p["gateLeadHours"], p["maxShareBps"]) == (4, 1)
    assert s.programs.program(1)["gateLeadHours"] == 12  # the builder's default


# ------------------------------------------------------------------ P6, attack f07 (hijack)


def test_attack_f07_trigger_hijack__rival_cannot_touch_the_programs_trigger(
    world, oracle, utility, rival
):
    """F-6 (attack f07): the auto-trigger was one per region, so a rival utility of the region
    overwrote it. Triggers now belong to programs: the rival links its own beside it, cannot set or
    clear the utility's, and a forecast fires both, one event each."""
    fc, rr = world.suite.forecasting, world.suite.requests
    fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    with brownie.reverts(err("NotTriggerOwner", rival)):
        fc.setAutoTrigger(1, 1, 1, 1, {"from": rival})
    with brownie.reverts(err("NotTriggerOwner", rival)):
        fc.clearAutoTrigger(1, {"from": rival})
    fc.setAutoTrigger(2, 4_500_000, 1, 2, {"from": rival})
    t = fc.autoTrigger(1)
    assert (t["programId"], t["thresholdKw"], t["minHours"], t["maxHours"]) == (1, 4_000_000, 2, 4)
    assert [int(x) for x in fc.regionTriggers(REGION)] == [1, 2]
    day = fc.currentHour(REGION) // 24 + 1
    loads = [4_100_000, 4_600_000, 4_800_000]  # 15:00..17:00
    tx = fc.postForecasts(
        REGION,
        7,
        now(),
        [forecast(day * 24 + 15 + i, kw) for i, kw in enumerate(loads)],
        {"from": oracle},
    )
    created = {
        e["programId"]: (e["startInterval"], e["endInterval"]) for e in tx.events["EventCreated"]
    }
    assert created == {1: (15, 18), 2: (16, 18)}
    assert rr.eventCount() == 2


def test_set_auto_trigger__one_per_utility_and_bounded_per_region(
    world, utility, admin, verifiers, accounts
):
    """F-6: a utility links one program per region (a rival cannot fill the region with its
    programs), and a region links at most MAX_TRIGGERS_PER_REGION; clearing frees a place."""
    s = world.suite
    fc = s.forecasting
    fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    second = _program(world, utility)
    with brownie.reverts(err("TriggerAlreadyLinked", utility, 1)):
        fc.setAutoTrigger(second, 4_000_000, 2, 4, {"from": utility})
    others = [accounts.add() for _ in range(fc.MAX_TRIGGERS_PER_REGION())]
    for i, u in enumerate(others):
        admin.transfer(u, 10**18)
        s.utilities.applyForVerification(f"Utility {i}", b"\x03" * 32, [REGION], {"from": u})
        for v in verifiers[:2]:
            s.utilities.approve(u, 0, {"from": v})
        pid = s.programs.createProgram(REGION, program_tuple(s.token), 0, {"from": u}).return_value
        if i < len(others) - 1:
            fc.setAutoTrigger(pid, 4_000_000, 2, 4, {"from": u})
        else:
            with brownie.reverts(err("TooManyTriggers", REGION)):
                fc.setAutoTrigger(pid, 4_000_000, 2, 4, {"from": u})
    # the admin clears a trigger (an idle one, say); its place goes to the waiting utility
    fc.clearAutoTrigger(1, {"from": admin})
    assert 1 not in [int(x) for x in fc.regionTriggers(REGION)]
    fc.setAutoTrigger(pid, 4_000_000, 2, 4, {"from": others[-1]})
    assert int(fc.regionTriggers(REGION)[-1]) == pid and len(fc.regionTriggers(REGION)) == 8
    with brownie.reverts(err("InvalidAutoTrigger")):
        fc.clearAutoTrigger(1, {"from": admin})


# ------------------------------------------------------------------ P6, attack f07 (poisoned days)


def test_attack_f07_poisoned_day__withdrawn_event_frees_every_day(
    rr, world, utility, keeper, rival, event_day
):
    """P-6, V-4 (attack f07): creating and cancelling an event made its day an event day for the whole
    region (excluded from every baseline, blocked for triggers, still taken for its consumers).
    Cancelled before its gate, the event is Withdrawn: the region's day (S-3's event-day words), the
    program's day and the consumers' days are all free again."""
    c, bit = world.consumers, 1 << (event_day % 256)
    poison = rr.createEvent(
        2, event_day, 16, 20, 2_000_000, VOLUNTARY, {"from": rival}
    ).return_value
    rr.enrollBatch(poison, [(c[0], 1_000), (c[1], 1_000)], {"from": keeper})
    assert rr.regionEventWords(REGION, event_day // 256)[0] & bit
    tx = rr.cancelEvent(poison, {"from": rival})
    assert rr.drEvent(poison)["status"] == WITHDRAWN
    w = tx.events["EventWithdrawn"]
    assert (w["eventId"], w["programId"], w["day"]) == (poison, 2, event_day)
    assert tx.events["EventCancelled"]["released"] > 0
    assert not rr.regionHasEvent(REGION, event_day)
    assert rr.regionEventWords(REGION, event_day // 256)[0] & bit == 0
    # the consumers' day is free: the honest utility's event that day enrolls them
    honest = rr.createEvent(
        1, event_day, 16, 20, 2_000_000, VOLUNTARY, {"from": utility}
    ).return_value
    tx = rr.enrollBatch(honest, [(c[0], 1_000), (c[1], 1_000)], {"from": keeper})
    assert tx.return_value == 2 and "EnrollmentRefused" not in tx.events
    # and the rival's program may use the day again
    rr.createEvent(2, event_day, 10, 12, 1, VOLUNTARY, {"from": rival})


def test_p6_withdrawal__region_day_kept_while_another_event_counts(
    rr, world, utility, rival, keeper, event_day
):
    """P-6: the region's event day goes only with the last event that counts that day; an event
    cancelled after its gate still counts (P-5), and so do its consumers' days."""
    c = world.consumers
    a = rr.createEvent(1, event_day, 16, 20, 2_000_000, VOLUNTARY, {"from": utility}).return_value
    b = rr.createEvent(2, event_day, 10, 12, 2_000_000, VOLUNTARY, {"from": rival}).return_value
    rr.enrollFor(b, c[0], 1_000, {"from": keeper})
    rr.cancelEvent(b, {"from": rival})
    assert rr.regionHasEvent(REGION, event_day)  # event a still counts
    # a is now the region-day's only event that counts: c[0]'s day from b is free for it (V-4)
    rr.enrollFor(a, c[0], 1_000, {"from": keeper})
    rr.enrollFor(a, c[1], 1_000, {"from": keeper})
    chain.sleep(rr.enrollmentGate(a) - now())
    tx = rr.cancelEvent(a, {"from": utility})
    assert rr.drEvent(a)["status"] == CANCELLED and "EventWithdrawn" not in tx.events
    assert rr.regionHasEvent(REGION, event_day)
    with brownie.reverts(err("ProgramDayTaken", 1, event_day)):
        rr.createEvent(1, event_day, 21, 22, 1, VOLUNTARY, {"from": utility})


def test_p6_withdrawal__gives_the_cap_days_back(rr, world, utility, event_day):
    """P-6, P-3, V-4: a withdrawn event leaves no trace in the program's or its consumers' 30-day caps."""
    s, alice = world.suite, world.consumers[0]
    pid = _program(world, utility, maxEventsPer30Days=1)
    s.consumers.updateProfile(5_000, 3, prefs(max_events=1), {"from": alice})
    first = rr.createEvent(
        pid, event_day, 16, 20, 100_000, VOLUNTARY, {"from": utility}
    ).return_value
    rr.enroll(first, 1_000, {"from": alice})
    later = next_weekday(event_day + 1)
    with brownie.reverts(err("ProgramEventCapReached", pid, later)):
        rr.createEvent(pid, later, 16, 20, 100_000, VOLUNTARY, {"from": utility})
    rr.cancelEvent(first, {"from": utility})
    second = rr.createEvent(pid, later, 16, 20, 100_000, VOLUNTARY, {"from": utility}).return_value
    rr.enroll(second, 1_000, {"from": alice})  # its cap of 1 is not used up by the withdrawn day
    assert rr.enrollment(second, alice)["status"] == 1


def test_cancel_event__stranger__reverts_before_and_after_the_gate(rr, stranger, rival, event):
    """P-5, P-6: only the program's utility cancels or withdraws (a rival utility of the region too)."""
    for who in (stranger, rival):
        with brownie.reverts(err("NotProgramOwner", 1, who)):
            rr.cancelEvent(event, {"from": who})
    chain.sleep(rr.enrollmentGate(event) - now())
    with brownie.reverts(err("NotProgramOwner", 1, stranger)):
        rr.cancelEvent(event, {"from": stranger})


def test_withdrawn_event__no_enrollment_no_settlement(rr, world, utility, event):
    """P-6: a withdrawn event takes no enrollment, opt-out or settlement."""
    rr.enroll(event, 1_000, {"from": world.consumers[0]})
    rr.cancelEvent(event, {"from": utility})
    with brownie.reverts(err("EventNotOpen", event)):
        rr.enroll(event, 1_000, {"from": world.consumers[1]})
    with brownie.reverts(err("EventNotOpen", event)):
        rr.optOut(event, {"from": world.consumers[0]})
    with brownie.reverts(err("EventNotSettleable", event, WITHDRAWN)):
        rr.checkSettleable(event, world.consumers[0])


# ------------------------------------------------------------------ P6, attack f12


def test_attack_f12_emergency_from_one_oracle__refused(rr, world, utility, oracle, event_day):
    """P-4, F-6, F-9 (attack f12): the forecast oracle alone created Emergency-tier events (2x the
    rate), and cancelling them kept the program's event cap. An Emergency now needs the measured grid
    status: the trigger makes the same forecast Economic, a created Emergency reverts, and a
    withdrawn event gives its cap day back (test_p6_withdrawal__gives_the_cap_days_back)."""
    s = world.suite
    fc = s.forecasting
    fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    day = fc.currentHour(REGION) // 24 + 1
    points = [forecast(day * 24 + 15 + i, 4_800_000) for i in range(3)]  # 96 % of capacity
    tx = fc.postForecasts(REGION, 7, now(), points, {"from": oracle})
    assert tx.events["EventCreated"]["tier"] == ECONOMIC
    with brownie.reverts(err("EmergencyNotMeasured", REGION)):
        rr.createEvent(1, event_day, 16, 20, 1, EMERGENCY, {"from": utility})


def test_p6_emergency_with_measured_grid_status(rr, world, utility, oracle, event_day):
    """F-9: with the grid oracle's measured Critical load, the same forecast is an Emergency, and the
    utility may create one; the status lapses GRID_STATUS_MAX_AGE_HOURS after its hour."""
    s = world.suite
    fc = s.forecasting
    fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    declare_emergency(s, oracle)
    day = fc.currentHour(REGION) // 24 + 1
    points = [forecast(day * 24 + 15 + i, 4_800_000) for i in range(3)]
    tx = fc.postForecasts(REGION, 7, now(), points, {"from": oracle})
    assert tx.events["EventCreated"]["tier"] == EMERGENCY
    rr.createEvent(1, event_day, 16, 20, 1, EMERGENCY, {"from": utility})
    assert fc.GRID_STATUS_MAX_AGE_HOURS() == 2
    chain.sleep(3 * HOUR)
    chain.mine()
    assert fc.gridLevel(REGION) == 0
    with brownie.reverts(err("EmergencyNotMeasured", REGION)):
        rr.createEvent(1, event_day + 1, 16, 20, 1, EMERGENCY, {"from": utility})


def test_grid_level__bands(world, oracle):
    """F-9: Alert for High load or Alert stability, Emergency for Critical load or Emergency
    stability, Normal with no measurement."""
    fc = world.suite.forecasting
    assert fc.gridLevel(REGION) == 0
    h = fc.currentHour(REGION)
    fc.postActuals(REGION, [(h - 2, CAP_KW * 85 // 100, NOMINAL, 1_000)], {"from": oracle})
    assert fc.gridLevel(REGION) == 1  # load High
    fc.postActuals(REGION, [(h - 1, CAP_KW // 2, NOMINAL + 1_200, 1_000)], {"from": oracle})
    assert fc.gridLevel(REGION) == 2  # frequency 2.4x its tolerance off: stability Emergency
    chain.sleep(3 * HOUR)
    chain.mine()
    assert fc.gridLevel(REGION) == 0  # stale


# ------------------------------------------------------------------ P7: gate and opt-out


def test_p7_enrollment_gate__closes_gate_lead_before_the_start(rr, world, utility, event_day):
    """P7, V-1, P-3: enrollment closes at start - gateLeadHours; an event must be created before its
    gate (nobody could enroll otherwise)."""
    alice = world.consumers[0]
    pid = _program(world, utility, gateLeadHours=6)
    eid = rr.createEvent(pid, event_day, 16, 20, 100_000, VOLUNTARY, {"from": utility}).return_value
    gate = day_start(event_day) + 16 * HOUR - 6 * HOUR
    assert rr.enrollmentGate(eid) == gate
    chain.sleep(gate - now() - 60)
    rr.enroll(eid, 1_000, {"from": alice})
    chain.sleep(60)
    with brownie.reverts(err("EnrollmentClosed", eid, gate)):
        rr.enroll(eid, 1_000, {"from": world.consumers[1]})
    with brownie.reverts(err("EnrollmentClosed", eid, gate)):
        rr.optOut(eid, {"from": alice})
    # program 1's gate is 12 hours: an event starting in about 3 hours cannot be created
    soon = now() + 2 * HOUR
    day = local_day(soon)
    hour = (soon - day_start(day)) // HOUR + 1
    if hour == 24:
        day, hour = day + 1, 0
    with brownie.reverts(revert_pattern=rf"InvalidEventStart: {day_start(day) + hour * HOUR}, \d+"):
        rr.createEvent(1, day, hour, hour + 1, 1, VOLUNTARY, {"from": utility})


def test_p7_opt_out__releases_the_reservation_and_the_day(rr, world, utility, event, event_day):
    """P7, V-7: a consumer opts out before the gate: its reservation goes back to the budget, the
    event's totals drop, its day is free (another event that day enrolls it) and it may enroll again."""
    s, alice = world.suite, world.consumers[0]
    rr.enroll(event, 10_000, {"from": alice})
    reserved = rr.enrollment(event, alice)["reserved"]
    held = s.escrow.programAccount(1)["reserved"]
    tx = rr.optOut(event, {"from": alice})
    ev = tx.events["OptedOut"]
    assert (ev["eventId"], ev["account"], ev["released"], ev["byKeeper"]) == (
        event,
        alice,
        reserved,
        False,
    )
    assert tx.events["Released"]["amount"] == reserved
    assert s.escrow.programAccount(1)["reserved"] == held - reserved
    e = rr.drEvent(event)
    assert (e["enrolled"], e["committedWh"], e["reservedOutstanding"]) == (0, 0, 0)
    assert rr.enrollment(event, alice)["status"] == 0
    pid = _program(world, utility)
    other = rr.createEvent(
        pid, event_day, 10, 12, 100_000, VOLUNTARY, {"from": utility}
    ).return_value
    rr.enroll(other, 1_000, {"from": alice})
    rr.optOut(other, {"from": alice})
    rr.enroll(event, 2_000, {"from": alice})
    assert rr.enrollment(event, alice)["committedWh"] == 2_000


def test_opt_out_for__keeper__takes_a_consumer_out(rr, world, keeper, event):
    """V-7: the keeper opts out a consumer it enrolled (one that withdrew its consent)."""
    who = world.consumers[1]
    rr.enrollFor(event, who, 30_000, {"from": keeper})
    tx = rr.optOutFor(event, who, {"from": keeper})
    assert tx.events["OptedOut"]["byKeeper"] is True and tx.events["OptedOut"]["account"] == who
    assert rr.enrollment(event, who)["status"] == 0


def test_opt_out_for__stranger__reverts(rr, world, keeper, stranger, event):
    who = world.consumers[1]
    rr.enrollFor(event, who, 30_000, {"from": keeper})
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, rr.KEEPER_ROLE())):
        rr.optOutFor(event, who, {"from": stranger})
    with brownie.reverts(err("AccessControlUnauthorizedAccount", who, rr.KEEPER_ROLE())):
        rr.optOutFor(event, who, {"from": who})


def test_opt_out__not_enrolled_or_unknown__reverts(rr, world, stranger, event):
    """V-7: only an Enrolled enrollment of a known event opts out (a stranger cannot release another's)."""
    with brownie.reverts(err("EnrollmentNotInStatus", event, stranger, 0)):
        rr.optOut(event, {"from": stranger})
    with brownie.reverts(err("UnknownEvent", 999)):
        rr.optOut(999, {"from": stranger})
