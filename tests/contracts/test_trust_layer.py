"""The trust-layer issue's attacks (test_attack_fNN_*), each refused or paying nothing, and its
properties. One module per issue so the threat table (SPECIFICATION.md §12) can cite each test."""

from __future__ import annotations

import brownie
import pytest

from oracles.reference import meter_signing as signing
from tests.contracts.helpers import err
from tests.contracts.suite import REGION, local_day, now

# test fixtures the signed-data scenarios share (pytest finds them through these names)
from tests.contracts.test_signed_meter_data import (
    assert_settled_as,
    expected_signed,
    key_of,
    run,
    signed_leaves,
    signer_relay,
)


@pytest.fixture
def rival(accounts, verifiers, world):  # type: ignore[no-untyped-def]
    """A second utility verified for the same region (M-of-N, U-1): an attester there too."""
    who = accounts[17]
    world.suite.utilities.applyForVerification("Rival Power", b"\x0d" * 32, [REGION], {"from": who})
    for v in verifiers[:2]:
        world.suite.utilities.approve(who, 0, {"from": v})
    assert world.suite.utilities.isActiveUtility(who, REGION)
    return who


# ------------------------------------------------------------------ f02: past-dated meter key


def test_attack_f02_past_dated_meter_key__refused_and_reward_kept(
    keyed, utility, oracle, signed_program, rival
):  # type: ignore[no-untyped-def]
    """C-11: after the consumer's signed event day is posted, a rival attester of the region sets a
    new meter key from a day in the past to make that day stop counting: refused
    (MeterKeyPastDated), and the consumer settles for the reference's honest reward.
    Mutation: drop the `fromDay < today` check in ConsumerRegistry.setMeterKey -> this test fails
    (the key is accepted and the event day becomes insufficient data)."""
    world = keyed
    sc, a = run(world, utility, oracle, signed_program, signer_relay(world))
    today = local_day(now())
    assert sc.event_day < today  # the event day is in the past, its record posted and signed
    thief_key = signing.address_of(key_of(77))
    for attester in (rival, utility):
        with brownie.reverts(err("MeterKeyPastDated", sc.event_day, today)):
            world.suite.consumers.setMeterKey(a, thief_key, sc.event_day, {"from": attester})
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    n, r, reward = expected_signed(sc, a, world)
    assert r is not None and reward > 0
    assert_settled_as(tx.events["Settled"], r, reward, n)


def test_attack_f02_two_quick_rotations__refused_until_old_days_are_closed(keyed, utility, rival):  # type: ignore[no-untyped-def]
    """C-11: two rotations in a row would forget the key that signed the days before the first one,
    voiding every older signed day a pending settlement may read: the second is refused until
    METER_KEY_RETENTION_DAYS after the current key's first day, then accepted.
    Mutation: drop the MeterKeyRotationTooSoon check -> the second rotation succeeds at once."""
    s, a = keyed.suite, keyed.consumers[0]
    original = s.consumers.meterKey(a)["key"]
    today = local_day(now())
    s.consumers.setMeterKey(a, signing.address_of(key_of(50)), today, {"from": utility})
    assert tuple(s.consumers.meterKey(a)) == (signing.address_of(key_of(50)), today, original)
    retention = s.consumers.METER_KEY_RETENTION_DAYS()
    with brownie.reverts(err("MeterKeyRotationTooSoon", a, today + retention)):
        s.consumers.setMeterKey(a, signing.address_of(key_of(51)), today + 1, {"from": rival})
    brownie.chain.sleep(retention * 86_400)
    brownie.chain.mine()
    later = local_day(now())
    assert later >= today + retention
    s.consumers.setMeterKey(a, signing.address_of(key_of(51)), later, {"from": utility})
    assert s.consumers.meterKey(a)["previousKey"] == signing.address_of(key_of(50))


def test_meter_key_retention_covers_every_open_settlement(suite):  # type: ignore[no-untyped-def]
    """C-11: the retention is at least the lookback plus every window during which a settlement, a
    challenge or a dispute may still read a baseline day."""
    day = 86_400
    needed = (
        suite.proofs.LOOKBACK_DAYS()
        + suite.requests.SETTLEMENT_WINDOW() // day
        + suite.optimistic.MAX_CHALLENGE_WINDOW() // day
        + suite.disputes.DISPUTE_WINDOW() // day
    )
    assert suite.consumers.METER_KEY_RETENTION_DAYS() >= needed + 1


# ------------------------------------------------------------------ f10: meter squatting


def test_attack_f10_meter_squatting__claim_reserves_nothing_and_is_cleared(
    suite, utility, consumer_accounts, stranger
):  # type: ignore[no-untyped-def]
    """C-2: a squatter registers the victim's meter id hash first (it is an unsalted hash of a public
    id). The claim reserves nothing: the victim registers the same meter, the utility activates the
    victim after checking ownership, and the squatter can never be activated with that meter; the
    squatter's stale registration is cleared by the attester.
    Mutation: restore the meter check in register (`_meterOwners[meterIdHash] != address(0)`) and
    the binding there -> the victim's registration reverts MeterAlreadyRegistered."""
    from tests.contracts.suite import prefs

    reg = suite.consumers
    meter = b"\x7e" * 32
    squatter, victim = consumer_accounts[6], consumer_accounts[7]
    reg.register(0, REGION, meter, 5_000, 3, prefs(), {"from": squatter})
    reg.register(0, REGION, meter, 5_000, 3, prefs(), {"from": victim})
    reg.activate(victim, b"\x01" * 32, b"\x02" * 32, {"from": utility})
    assert reg.meterOwner(meter) == victim
    with brownie.reverts(err("MeterAlreadyRegistered", "0x" + meter.hex())):
        reg.activate(squatter, b"\x01" * 32, b"\x02" * 32, {"from": utility})
    with brownie.reverts(err("NotAuthorizedAttester", stranger, REGION)):
        reg.clearRegistration(squatter, {"from": stranger})
    reg.clearRegistration(squatter, {"from": utility})
    assert reg.consumer(squatter)["status"] == 0


# ------------------------------------------------------------------ f09: 30-day caps in reverse order


def test_attack_f09_program_cap__events_in_reverse_date_order__refused(world, utility):  # type: ignore[no-untyped-def]
    """P-3: a program with a cap of one event per 30 days creates a later event first, then an
    earlier one 7 days before it: the window that holds both would have two, so it is refused.
    Mutation: check only the 30 days ending at the new day (the old `count(day - 29, day)`) -> the
    earlier event is created (5 events with a cap of 1 in the audit)."""
    from tests.contracts.suite import next_weekday, program_tuple

    rr = world.suite.requests
    pid = world.suite.programs.createProgram(
        REGION, program_tuple(world.suite.token, maxEventsPer30Days=1), 0, {"from": utility}
    ).return_value
    early = next_weekday(local_day(now()), at_least=2)
    late = early + 7
    rr.createEvent(pid, late, 16, 20, 1, 0, {"from": utility})
    with brownie.reverts(err("ProgramEventCapReached", pid, early)):
        rr.createEvent(pid, early, 16, 20, 1, 0, {"from": utility})


def test_attack_f09_consumer_cap__enrolls_in_reverse_date_order__refused(world, utility):  # type: ignore[no-untyped-def]
    """V-4: a consumer with a cap of one event per 30 days enrolls in a later event first, then an
    earlier one: refused (ConsumerEventCapReached), and in a batch left out with refusal 12.
    Mutation: as for the program cap -> the second enrollment succeeds."""
    from tests.contracts.suite import next_weekday, prefs

    rr, alice = world.suite.requests, world.consumers[0]
    world.suite.consumers.updateProfile(5_000, 3, prefs(max_events=1), {"from": alice})
    early = next_weekday(local_day(now()), at_least=2)
    late = early + 7
    later_event = rr.createEvent(1, late, 16, 20, 100_000, 0, {"from": utility}).return_value
    earlier_event = rr.createEvent(1, early, 16, 20, 100_000, 0, {"from": utility}).return_value
    rr.enroll(later_event, 1_000, {"from": alice})
    with brownie.reverts(err("ConsumerEventCapReached", alice, early)):
        rr.enroll(earlier_event, 1_000, {"from": alice})


# ------------------------------------------------------------------ f04, f05: pauses and disputes (P4)


@pytest.fixture
def settled_world(world, utility, oracle):  # type: ignore[no-untyped-def]
    """Consumers 1 and 2 enrolled in one event, every day's data posted (test_settlement's Scenario)."""
    from tests.contracts.test_settlement import Scenario, activation

    sc = Scenario(world, utility, oracle)
    sc.enroll(world.consumers[0], 4_000)
    sc.enroll(world.consumers[1], 20_000)
    sc.post(activation(world) + 1, sc.reducing({1: 0.3, 2: 0.5}))
    return sc


def test_attack_f04_pause_over_the_deadline__settlement_extended_nothing_forfeited(
    world, settled_world, admin, stranger
):  # type: ignore[no-untyped-def]
    """S-1, S-9, E-8 (P4): the escrow is paused before the settlement deadline and unpaused after it.
    While paused, settlement is blocked and the event cannot be closed; afterwards the deadline has moved
    by exactly the paused time, the consumer settles for the reference's reward, and closing waits for
    the moved deadline plus the dispute window.
    Mutation: drop `+ paused` from ReductionRequests._deadline -> settle reverts SettlementClosed and
    closeEvent releases the reward to the utility (this test fails)."""
    sc, s, a = settled_world, world.suite, world.consumers[0]
    deadline = s.requests.settlementDeadline(sc.event)
    brownie.chain.sleep(deadline - now() - 3_600)  # an hour before the deadline
    s.escrow.pause({"from": admin})
    paused_at = brownie.chain[-1].timestamp
    brownie.chain.sleep(2 * 86_400)  # two days: the deadline would have passed
    brownie.chain.mine()
    assert now() > deadline
    with brownie.reverts(err("EnforcedPause")):
        s.proofs.settle(sc.event, a, sc.leaves(a), {"from": a})
    # while paused the close time moves with the clock, so the transaction's block sees it a second on
    with pytest.raises(brownie.exceptions.VirtualMachineError) as refused:
        s.requests.closeEvent(sc.event, {"from": stranger})
    assert refused.value.revert_msg.startswith(f"SettlementStillOpen: {sc.event}, ")
    assert int(refused.value.revert_msg.split(", ")[1]) > deadline + s.requests.DISPUTE_WINDOW()
    s.escrow.unpause({"from": admin})
    paused = brownie.chain[-1].timestamp - paused_at
    assert s.requests.settlementDeadline(sc.event) == deadline + paused
    before = s.token.balanceOf(a)
    tx = s.proofs.settle(sc.event, a, sc.leaves(a), {"from": a})
    _, reward = sc.expected(a, s.programs.program(1).dict())
    assert reward > 0 and tx.events["Settled"]["reward"] == reward
    assert s.token.balanceOf(a) - before == reward
    closes = s.requests.closesAt(sc.event)
    assert closes == deadline + paused + s.requests.DISPUTE_WINDOW()
    with brownie.reverts(err("SettlementStillOpen", sc.event, closes)):
        s.requests.closeEvent(sc.event, {"from": stranger})


def test_pause_clock__a_pause_after_the_deadline_reopens_nothing(world, settled_world, admin):  # type: ignore[no-untyped-def]
    """S-1, E-8 (P4): the deadline moves with the clock only while paused, so a pause that begins after
    the deadline leaves settlement closed (the time past the deadline never shrinks)."""
    sc, s, a = settled_world, world.suite, world.consumers[0]
    deadline = s.requests.settlementDeadline(sc.event)
    brownie.chain.sleep(deadline - now() + 600)
    s.escrow.pause({"from": admin})
    brownie.chain.sleep(3_600)
    s.escrow.unpause({"from": admin})
    moved = s.requests.settlementDeadline(sc.event)
    assert moved > deadline and now() > moved
    with brownie.reverts(err("SettlementClosed", sc.event, moved)):
        s.proofs.settle(sc.event, a, sc.leaves(a), {"from": a})


def test_attack_f05_budget_withdrawn_before_the_ruling__adjustment_still_paid(
    world, settled_world, utility, arbiter
):  # type: ignore[no-untyped-def]
    """D-2, D-4 (P4): the consumer disputes its settlement; the utility withdraws every unreserved
    token of the program before the arbiter rules; the upheld adjustment of the full bound
    (`reserved - paid`) is still paid, from the reservation the ledger kept.
    Mutation: release `reserved - paid` at settlement again (ReductionRequests._record: take
    `en.reserved`, not the reward, off the event and the escrow) -> the withdrawal takes it and the
    ruling reverts ExceedsReservation (this test fails)."""
    sc, s, a = settled_world, world.suite, world.consumers[0]
    for who in world.consumers[:2]:  # every enrollment settled: no other reservation to lean on
        s.proofs.settle(sc.event, who, sc.leaves(who), {"from": who})
    en = s.requests.enrollment(sc.event, a)
    bound = en["reserved"] - en["paid"]
    assert bound > 0
    tx = s.disputes.openDispute(sc.event, b"\x0f" * 32, {"from": a})
    assert tx.events["ResidualHeld"]["held"] == bound
    free = s.escrow.available(1)
    s.escrow.withdrawUnreserved(1, free, utility, {"from": utility})
    assert s.escrow.available(1) == 0
    before = s.token.balanceOf(a)
    s.disputes.upholdDispute(sc.event, a, bound, {"from": arbiter})
    assert s.token.balanceOf(a) - before == bound
    b = s.requests.enrollment(sc.event, world.consumers[1])
    assert (
        s.escrow.programAccount(1)["reserved"] == b["reserved"] - b["paid"]
    )  # only b's, untouched


def test_p4_unpaid_reservations_held_until_the_dispute_windows_close(
    world, settled_world, arbiter, stranger
):  # type: ignore[no-untyped-def]
    """D-4, S-9 (P4): after settlement each enrollment's `reserved - paid` stays reserved; closing the
    event (after the deadline and the dispute window) releases the undisputed ones but not one still in
    dispute, whose ruling releases it (rejected) — the program's reservations end at zero."""
    sc, s = settled_world, world.suite
    a, b = world.consumers[0], world.consumers[1]
    for who in (a, b):
        s.proofs.settle(sc.event, who, sc.leaves(who), {"from": who})
    held = {w: s.requests.enrollment(sc.event, w) for w in (a, b)}
    held = {w: en["reserved"] - en["paid"] for w, en in held.items()}
    assert s.escrow.programAccount(1)["reserved"] == held[a] + held[b]
    assert s.requests.drEvent(sc.event)["reservedOutstanding"] == held[a] + held[b]
    s.disputes.openDispute(sc.event, b"\x01" * 32, {"from": b})
    assert s.requests.drEvent(sc.event)["reservedOutstanding"] == held[a]
    closes = s.requests.closesAt(sc.event)
    brownie.chain.sleep(closes - now() + 1)
    tx = s.requests.closeEvent(sc.event, {"from": stranger})
    assert tx.events["EventClosed"]["released"] == held[a]
    assert s.escrow.programAccount(1)["reserved"] == held[b]  # still there for the ruling
    s.disputes.rejectDispute(sc.event, b, {"from": arbiter})
    assert s.escrow.programAccount(1)["reserved"] == 0


def test_hold_for_dispute__only_the_disputes_contract(world, settled_world, stranger):  # type: ignore[no-untyped-def]
    """D-4: only DISPUTES_ROLE (the Disputes contract) holds a residual; the authorized path is
    Disputes.openDispute above."""
    s = world.suite
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, s.requests.DISPUTES_ROLE())
    ):
        s.requests.holdForDispute(settled_world.event, world.consumers[0], {"from": stranger})


def test_attack_f04_pause_over_a_challenge_window__window_extended_wrong_root_caught(
    world, utility, oracle, keeper, stranger, admin
):  # type: ignore[no-untyped-def]
    """O-4, E-8 (P4): a wrong root is posted and the escrow is paused for longer than the challenge
    window, which blocks the judge (it settles through the escrow). After the pause the window has
    moved by the paused time: finalize is refused, the challenge is judged and voids the root.
    Mutation: make OptimisticSettlement._ends return `r.challengeEnds` -> the proposer finalizes the
    wrong root right after the pause and the challenge reverts ChallengeWindowClosed."""
    from tests.contracts.suite import CHALLENGE_WINDOW
    from tests.contracts.test_optimistic import Optimistic

    opt = Optimistic(world, utility, oracle)
    _honest, tree, paid = opt.propose_inflated(keeper)
    ends = opt.os.rootRecord(opt.event)["challengeEnds"]
    world.suite.escrow.pause({"from": admin})
    paused_at = brownie.chain[-1].timestamp
    brownie.chain.sleep(CHALLENGE_WINDOW + 600)
    world.suite.escrow.unpause({"from": admin})
    paused = brownie.chain[-1].timestamp - paused_at
    assert now() > ends  # the window as posted is over
    with brownie.reverts(err("ChallengeWindowOpen", opt.event, ends + paused)):
        opt.os.finalize(opt.event, {"from": keeper})
    tx = opt.challenge(tree, paid, stranger)
    assert tx.events["RootVoided"]["challenger"] == stranger
