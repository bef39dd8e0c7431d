"""Settlement: contract-chosen baseline days, proofs, exact results against the Python reference,
insufficient data and disputes (SPECIFICATION.md §7, rules S-1..S-9, D-1..D-3)."""

from __future__ import annotations

import random
from collections.abc import Callable, Collection

import brownie
import pytest
from brownie import chain
from eth_utils.crypto import keccak

from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from oracles.reference.meter_leaf import ConsumerDay
from oracles.reference.meter_multiproof import settle_batch_args
from tests.contracts.helpers import err, held_for_disputes
from tests.contracts.suite import (
    OTHER_REGION,
    REGION,
    MeterBook,
    day_start,
    local_day,
    next_weekday,
    next_weekend_day,
    now,
    program_tuple,
)

VOLUNTARY = 0
SETTLED, INSUFFICIENT = 2, 3
DISPUTE_OPEN, DISPUTE_UPHELD, DISPUTE_REJECTED = 1, 2, 3
Readings = Callable[[int, int], "tuple[int, ...] | None"]


def shape(cid: int, day: int, seed: int = 0) -> tuple[int, ...]:
    """A plausible consumer-day: evening peak, scaled by consumer, with deterministic noise."""
    rng = random.Random(hash((cid, day, seed)) & 0xFFFFFFFF)
    scale = (1, 8, 60, 1)[cid - 1]
    base = [300 + 500 * (16 <= h < 21) + 200 * (12 <= h < 16) for h in range(24)]
    return tuple(scale * (b + rng.randrange(0, 200)) for b in base)


class Scenario:
    """One event of `program_id` on `event_day`, enrolled consumers, and every day's meter data posted."""

    def __init__(
        self, world, utility, oracle, program_id: int = 1, event_day: int | None = None
    ) -> None:
        self.w, self.s, self.rr = world, world.suite, world.suite.requests
        self.utility, self.program_id = utility, program_id
        today = local_day(now())
        self.event_day = event_day if event_day is not None else next_weekday(today, at_least=2)
        # a 2 MWh target: the largest commitment below (400 kWh) is within the program's share (V-1)
        self.event = self.rr.createEvent(
            program_id, self.event_day, 16, 20, 2_000_000, VOLUNTARY, {"from": utility}
        ).return_value
        self.book = MeterBook(self.s.meter, oracle)
        self.committed: dict[str, int] = {}
        self.missing: set[tuple[int, int]] = set()

    def enroll(self, who, wh: int) -> None:
        self.rr.enroll(self.event, wh, {"from": who})
        self.committed[who.address] = wh

    def reducing(self, cut: dict[int, float]) -> Readings:
        """Readings where consumer `cid` uses `cut[cid]` of its usual load 16:00-20:00 on the event day."""

        def f(cid: int, day: int) -> tuple[int, ...]:
            r = list(shape(cid, day))
            if cid in cut and day == self.event_day:
                for h in range(16, 20):
                    r[h] = int(r[h] * cut[cid])
            return tuple(r)

        return f

    def post(
        self, first_day: int, readings: Readings, skip: Collection[int] = (), final: bool = True
    ) -> None:
        """Once the event day has ended, post every day from `first_day` on, except `skip` (no data);
        then (`final`) make the days final (M-9)."""
        chain.sleep(max(0, day_start(self.event_day + 1) - now() + 60))
        chain.mine()
        for d in range(first_day, self.event_day + 1):
            if d in skip:
                continue
            recs = []
            for cid in range(1, 5):
                r = readings(cid, d)
                if r is None:
                    self.missing.add((cid, d))
                recs.append(
                    ConsumerDay(
                        consumer_id=cid,
                        region_id=REGION,
                        day=d,
                        missing=r is None,
                        readings=r or (0,) * 24,
                    )
                )
            self.book.post(REGION, d, recs)
        if final:
            self.finalize()

    def finalize(self) -> None:
        """M-9: once the event day ended FINALITY_DELAY ago, anyone makes the region's days up to it final."""
        delay = self.s.meter.FINALITY_DELAY()
        chain.sleep(max(0, day_start(self.event_day + 1) + delay - now() + 1))
        chain.mine()
        self.s.meter.finalize(REGION, self.event_day, {"from": self.utility})

    def required(self, who) -> tuple[list[int], list[int]]:
        """(the baseline days whose record the settler supplies: those posted, the baseline days) (S-3,
        S-4, M-8)."""
        cid = self.s.consumers.consumer(who)["id"]
        cands = list(self.s.proofs.candidateDays(self.event, who))
        return [d for d in cands if self.book.posted(REGION, d, cid)], cands

    def usable(self, cid: int) -> Callable[[int], tuple[int, ...] | None]:
        """A baseline day's readings, or None for a gap (no data, flagged missing) (S-4, B-9)."""

        def f(d: int) -> tuple[int, ...] | None:
            if not self.book.posted(REGION, d, cid) or (cid, d) in self.missing:
                return None
            return self.book.record(REGION, d, cid).readings

        return f

    def leaves(self, who) -> list[tuple[int, bytes, list[bytes]]]:
        cid = self.s.consumers.consumer(who)["id"]
        req, _ = self.required(who)
        return [self.book.leaf_proof(REGION, d, cid) for d in [self.event_day, *req]]

    def batch_args(self, whos) -> tuple[list, list]:
        """settleBatch's arguments for `whos` (S-11): ascending consumer ids, walk-order records."""
        ids = {who.address: self.s.consumers.consumer(who)["id"] for who in whos}
        located = []
        for who in sorted(whos, key=lambda w: ids[w.address]):
            req, _ = self.required(who)
            days = [self.event_day, *req]
            located.append(
                (who.address, [self.book.locate(REGION, d, ids[who.address]) for d in days])
            )
        return settle_batch_args(located)

    def expected(self, who, program: dict) -> tuple[ref.BaselineResult | None, int]:
        cid = self.s.consumers.consumer(who)["id"]
        _, cands = self.required(who)
        ev = self.book.record(REGION, self.event_day, cid)
        inputs = walk.baseline_inputs(cands, self.usable(cid))
        if not walk.sufficient(not ev.missing, inputs):
            return None, 0
        p = ref.BaselineParams(
            method=program["method"],
            start_interval=16,
            end_interval=20,
            adj_window_hours=program["adjWindowHours"],
            adj_gap_hours=program["adjGapHours"],
            adj_cap_bps=program["adjCapBps"],
        )
        r = ref.compute(inputs.days, list(ev.readings), p, inputs.gapped)
        rate = self.rr.drEvent(self.event)["rate"]
        reward = ref.reward(
            r.reduction_wh,
            self.committed[who.address],
            rate,
            program["minDeliveryBps"],
            program["bonusCapBps"],
        )
        return r, reward


def assert_result(ev, r: ref.BaselineResult) -> None:  # type: ignore[no-untyped-def]
    """A Settled event's baseline, actual use, reduction and adjustment equal the reference's (B-2..B-6)."""
    assert (
        ev["baselineWh"],
        ev["actualWh"],
        ev["reductionWh"],
        ev["adjustmentBps"],
    ) == r.as_tuple()


def activation(world) -> int:
    return world.suite.consumers.consumer(world.consumers[0])["activationDay"]


@pytest.fixture
def scenario(world, utility, oracle):
    sc = Scenario(world, utility, oracle)
    return sc


@pytest.mark.both_profiles
@pytest.mark.parametrize("method", [0, 1])
def test_settle_matches_reference_exactly(world, utility, oracle, method):
    """S-3..S-8: every enrolled consumer's baseline, reduction and payment equal the reference, to the Wh."""
    s = world.suite
    pid = 1
    if method == 1:
        pid = s.programs.createProgram(
            REGION, program_tuple(s.token, method=1), 10**9, {"from": utility}
        ).return_value
    sc = Scenario(world, utility, oracle, program_id=pid)
    a, b, c = world.consumers[:3]
    sc.enroll(a, 4_000)
    sc.enroll(b, 20_000)
    sc.enroll(c, 400_000)
    sc.post(activation(world) + 1, sc.reducing({1: 0.3, 2: 0.8, 3: 1.0}))
    program = s.programs.program(pid).dict()
    paid_before = s.utilities.utility(utility)["consumersPaid"]
    for who in (a, b, c):
        before = s.token.balanceOf(who)
        tx = s.proofs.settle(sc.event, who, sc.leaves(who), {"from": world.consumers[3]})
        r, reward = sc.expected(who, program)
        ev = tx.events["Settled"]
        assert_result(ev, r)
        assert ev["reward"] == reward
        assert s.token.balanceOf(who) - before == reward
        assert s.requests.enrollment(sc.event, who)["status"] == SETTLED
    # consumer 1 cut 70 %: paid; consumer 3 did nothing: below the minimum delivery ratio, unpaid
    assert s.requests.enrollment(sc.event, a)["paid"] > 0
    assert s.requests.enrollment(sc.event, c)["paid"] == 0
    assert s.utilities.utility(utility)["consumersPaid"] > paid_before
    # D-4: what was reserved and not paid stays reserved for a dispute until the event closes
    held = held_for_disputes(s.requests, sc.event, (a, b, c))
    assert held > 0
    assert s.escrow.programAccount(pid)["reserved"] == held
    assert s.requests.drEvent(sc.event)["reservedOutstanding"] == held
    rec = s.consumers.trackRecord(a)
    assert rec["eventsSettled"] == 1 and rec["eventsDelivered"] == 1


def test_candidate_days_skip_holidays_event_days__gaps_stay(world, utility, oracle, region_admin):
    """S-3, S-4, B-9: like days only; holidays and the region's event days are skipped; a day without
    committed data and a missing-flagged record stay baseline days as gaps (no record required for
    the first, the flagged record required but not used). On-chain list equals the reference."""
    s = world.suite
    today = local_day(now())
    earlier = next_weekday(today, at_least=1)
    s.requests.createEvent(1, earlier, 10, 12, 1, VOLUNTARY, {"from": utility})
    # the event 8 weekdays ahead, so that its baseline days include days from today on (R-5: a
    # holiday is set for today or later only)
    sc = Scenario(world, utility, oracle, event_day=next_weekday(earlier + 10, at_least=2))
    a = world.consumers[0]
    sc.enroll(a, 4_000)
    events = {earlier, sc.event_day}
    holiday = walk.candidate_days(sc.event_day, activation(world), set(), events)[2]
    assert holiday >= today
    s.regions.setHoliday(REGION, holiday, True, {"from": region_admin})
    gap, flagged = walk.candidate_days(sc.event_day, activation(world), {holiday}, events)[:2]
    base = sc.reducing(
        {1: 0.5}
    )  # no data at all for the region on `gap`; consumer 1 flagged on `flagged`

    def readings(cid: int, day: int) -> tuple[int, ...] | None:
        return None if (cid, day) == (1, flagged) else base(cid, day)

    sc.post(activation(world) + 1, readings, skip={gap})
    onchain = list(s.proofs.candidateDays(sc.event, a))
    expected = walk.candidate_days(
        sc.event_day, activation(world), {holiday}, {earlier, sc.event_day}
    )
    assert onchain == expected and len(onchain) == walk.MAX_DAYS
    assert (
        holiday not in onchain and earlier not in onchain and gap in onchain and flagged in onchain
    )
    tx = s.proofs.settle(sc.event, a, sc.leaves(a), {"from": a})
    r, reward = sc.expected(a, s.programs.program(1).dict())
    required, _ = sc.required(a)
    assert gap not in required and flagged in required
    assert tx.events["Settled"]["baselineDays"] == walk.MAX_DAYS - 2
    assert tx.events["Settled"]["adjustmentBps"] == ref.BPS - 2_000  # gapped: the cap's floor
    assert (
        tx.events["Settled"]["reductionWh"] == r.reduction_wh
        and tx.events["Settled"]["reward"] == reward
    )


def test_weekend_event_uses_weekend_days_and_holidays(world, utility, oracle, region_admin):
    """S-3: a weekend event's like days are weekend days and holidays."""
    s = world.suite
    day = next_weekend_day(local_day(now()) + 9)
    sc = Scenario(world, utility, oracle, event_day=day)
    holiday = next_weekday(local_day(now()))  # today or later, inside the event's lookback
    s.regions.setHoliday(REGION, holiday, True, {"from": region_admin})
    sc.enroll(world.consumers[0], 4_000)
    sc.post(activation(world) + 1, sc.reducing({1: 0.5}))
    onchain = list(s.proofs.candidateDays(sc.event, world.consumers[0]))
    assert holiday in onchain
    assert all(walk.is_weekend(d) or d == holiday for d in onchain)


def test_lookback_is_45_days(world, utility, oracle):
    """S-3: nothing older than 45 days before the event is ever required."""
    chain.sleep(40 * 86_400)
    chain.mine()
    s = world.suite
    sc = Scenario(world, utility, oracle)
    sc.post(activation(world) + 1, sc.reducing({}))
    onchain = list(s.proofs.candidateDays(sc.event, world.consumers[0]))
    assert min(onchain) >= sc.event_day - 45
    assert onchain == walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})


def test_insufficient_data_is_recorded_not_a_silent_zero(world, utility, oracle, scenario):
    """S-6: fewer than 5 usable baseline days: status InsufficientData, reservation released, nothing paid."""
    s = world.suite
    a = world.consumers[0]
    scenario.enroll(a, 4_000)
    reserved = s.requests.enrollment(scenario.event, a)["reserved"]
    base = scenario.reducing({1: 0.5})
    scenario.post(
        activation(world) + 1,
        lambda cid, d: None if cid == 1 and d != scenario.event_day else base(cid, d),
    )
    before = s.escrow.programAccount(1)["reserved"]
    tx = s.proofs.settle(scenario.event, a, scenario.leaves(a), {"from": a})
    ev = tx.events["SettledInsufficientData"]
    assert (ev["baselineDays"], ev["eventDayMissing"]) == (0, False)
    assert s.requests.enrollment(scenario.event, a)["status"] == INSUFFICIENT
    # D-4: the whole reservation stays for a dispute until the event closes
    assert reserved > 0
    assert s.escrow.programAccount(1)["reserved"] == before
    assert s.consumers.trackRecord(a)["eventsInsufficient"] == 1
    assert "Settled" not in tx.events


@pytest.fixture
def ready(world, scenario):
    """Consumer 1 enrolled and all data posted; consumer 2 enrolled too."""
    scenario.enroll(world.consumers[0], 4_000)
    scenario.enroll(world.consumers[1], 20_000)
    scenario.post(activation(world) + 1, scenario.reducing({1: 0.5, 2: 0.5}))
    return scenario


def test_settle__wrong_proof__reverts(world, ready):
    a = world.consumers[0]
    leaves = ready.leaves(a)
    batch, record, proof = leaves[0]
    leaves[0] = (batch, record, [b"\x00" * 32, *proof[1:]])
    with brownie.reverts(err("InvalidMeterProof", ready.event_day, 0)):
        world.suite.proofs.settle(ready.event, a, leaves, {"from": a})
    tampered = bytearray(record)
    tampered[11 + 4 * 17] ^= 0xFF  # change one hourly reading
    leaves[0] = (batch, bytes(tampered), proof)
    with brownie.reverts(err("InvalidMeterProof", ready.event_day, 0)):
        world.suite.proofs.settle(ready.event, a, leaves, {"from": a})


def test_attack_meter_leaf_replayed_from_another_day__reverts(world, ready):
    a = world.consumers[0]
    leaves = ready.leaves(a)
    leaves[0] = ready.book.leaf_proof(REGION, ready.event_day - 1, 1)
    with brownie.reverts(err("LeafDayMismatch", ready.event_day, ready.event_day - 1)):
        world.suite.proofs.settle(ready.event, a, leaves, {"from": a})


def test_attack_meter_leaf_replayed_from_another_region__reverts(world, ready):
    a = world.consumers[0]
    rec = ConsumerDay(
        consumer_id=1, region_id=OTHER_REGION, day=ready.event_day, readings=(1,) * 24
    )
    ready.book.post(OTHER_REGION, ready.event_day, [rec])
    leaves = ready.leaves(a)
    leaves[0] = ready.book.leaf_proof(OTHER_REGION, ready.event_day, 1)
    with brownie.reverts(err("LeafRegionMismatch", REGION, OTHER_REGION)):
        world.suite.proofs.settle(ready.event, a, leaves, {"from": a})


def test_attack_meter_leaf_of_another_consumer__reverts(world, ready):
    a = world.consumers[0]
    leaves = ready.leaves(a)
    leaves[0] = ready.book.leaf_proof(REGION, ready.event_day, 2)
    with brownie.reverts(err("LeafConsumerMismatch", 1, 2)):
        world.suite.proofs.settle(ready.event, a, leaves, {"from": a})


def test_attack_meter_leaf_from_another_deployment__reverts(world, ready, admin, oracle, MeterData):
    """M-3, S-3: a leaf proves only against this deployment's roots. The same consumer-day posted
    with other readings to another MeterData (as on another chain, or a test deployment) has a
    valid proof there, and `InvalidMeterProof` here."""
    s, a = world.suite, world.consumers[0]
    other = MeterData.deploy(admin, s.regions, s.consumers, {"from": admin})
    other.grantRole(other.METER_ORACLE_ROLE(), oracle, {"from": admin})
    book = MeterBook(other, oracle)
    forged = ready.book.record(REGION, ready.event_day, 1).model_copy(
        update={"readings": (1,) * 24}
    )
    book.post(REGION, ready.event_day, [forged])
    leaf = keccak(forged.encode())
    assert other.batchRoot(REGION, ready.event_day, 0) == "0x" + leaf.hex()  # a one-leaf tree
    leaves = ready.leaves(a)
    leaves[0] = book.leaf_proof(REGION, ready.event_day, 1)
    with brownie.reverts(err("InvalidMeterProof", ready.event_day, 0)):
        s.proofs.settle(ready.event, a, leaves, {"from": a})
    s.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})  # its own leaves still settle


def test_attack_meter_leaves_replayed_for_another_event__reverts(world, utility, oracle):
    """V-4, S-3: the leaves that settled one event do not settle another. An event the same day
    cannot take the consumer (one event per consumer per local day), and an event on another day
    requires its own day's record (`LeafDayMismatch`); its own leaves then settle it exactly."""
    s, a = world.suite, world.consumers[0]
    first = Scenario(world, utility, oracle)
    second = Scenario(world, utility, oracle, event_day=next_weekday(first.event_day + 1))
    second.book = first.book
    first.enroll(a, 4_000)
    second.enroll(a, 4_000)
    pid = s.programs.createProgram(
        REGION, program_tuple(s.token), 10**9, {"from": utility}
    ).return_value
    same_day = s.requests.createEvent(
        pid, first.event_day, 16, 20, 50_000, VOLUNTARY, {"from": utility}
    ).return_value
    with brownie.reverts(err("ConsumerDayTaken", a, first.event_day)):
        s.requests.enroll(same_day, 4_000, {"from": a})
    deep, shallow = first.reducing({1: 0.2}), second.reducing({1: 0.9})
    second.post(
        activation(world) + 1,
        lambda cid, d: deep(cid, d) if d == first.event_day else shallow(cid, d),
    )
    replayed = first.leaves(a)
    s.proofs.settle(first.event, a, replayed, {"from": a})
    with brownie.reverts(err("LeafDayMismatch", second.event_day, first.event_day)):
        s.proofs.settle(second.event, a, replayed, {"from": a})
    tx = s.proofs.settle(second.event, a, second.leaves(a), {"from": a})
    r, reward = second.expected(a, s.programs.program(1).dict())
    assert r is not None
    assert (tx.events["Settled"]["reductionWh"], tx.events["Settled"]["reward"]) == (
        r.reduction_wh,
        reward,
    )


def test_attack_cherry_picked_baseline_day__reverts(world, ready):
    """S-3: the caller cannot skip a required day to pick a more favourable one."""
    a = world.consumers[0]
    req, _ = ready.required(a)
    leaves = ready.leaves(a)
    cherry = [leaves[0], *leaves[2:], ready.book.leaf_proof(REGION, req[-1] - 7, 1)]
    with brownie.reverts(err("NotEligibleBaselineDay", req[0], req[1])):
        world.suite.proofs.settle(ready.event, a, cherry, {"from": a})


def test_settle__missing_or_extra_leaf__reverts(world, ready):
    a = world.consumers[0]
    req, _ = ready.required(a)
    leaves = ready.leaves(a)
    with brownie.reverts(err("MissingLeaf", req[-1])):
        world.suite.proofs.settle(ready.event, a, leaves[:-1], {"from": a})
    with brownie.reverts(err("UnexpectedLeaf", len(leaves))):
        world.suite.proofs.settle(ready.event, a, [*leaves, leaves[-1]], {"from": a})
    with brownie.reverts(err("MissingLeaf", ready.event_day)):
        world.suite.proofs.settle(ready.event, a, [], {"from": a})


def test_attack_double_settlement__reverts(world, ready):
    """S-8: each (event, consumer) settles once."""
    a = world.consumers[0]
    rr = world.suite.requests
    rr.checkSettleable(ready.event, a)  # the ledger's check before any record is read: passes
    world.suite.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})
    with brownie.reverts(err("EnrollmentNotInStatus", ready.event, a, SETTLED)):
        world.suite.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})
    with brownie.reverts(err("EnrollmentNotInStatus", ready.event, a, SETTLED)):
        rr.checkSettleable(ready.event, a)
    rr.checkSettleable(ready.event, "0x" + "00" * 20)  # the zero address: the event's checks only


def test_settle__not_enrolled__reverts(world, ready):
    c = world.consumers[2]
    with brownie.reverts(err("EnrollmentNotInStatus", ready.event, c, 0)):
        world.suite.proofs.settle(ready.event, c, [], {"from": c})


def test_settle__before_data_or_after_deadline__reverts(world, scenario):
    """S-1: open once the event day's data is committed, until the deadline."""
    a = world.consumers[0]
    scenario.enroll(a, 4_000)
    chain.sleep(day_start(scenario.event_day + 1) - now() + 60)
    with brownie.reverts(err("EventDayNotFinal", scenario.event, scenario.event_day)):
        world.suite.proofs.settle(scenario.event, a, [], {"from": a})
    scenario.post(activation(world) + 1, scenario.reducing({1: 0.5}))
    deadline = world.suite.requests.settlementDeadline(scenario.event)
    chain.sleep(deadline - now() + 1)
    with brownie.reverts(err("SettlementClosed", scenario.event, deadline)):
        world.suite.proofs.settle(scenario.event, a, scenario.leaves(a), {"from": a})


def test_attack_settle_while_paused__reverts(world, ready, admin):
    """E-8: a paused escrow stops payments; settlement waits."""
    a = world.consumers[0]
    world.suite.escrow.pause({"from": admin})
    with brownie.reverts(err("EnforcedPause")):
        world.suite.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})


def test_dispute_upheld(world, ready, arbiter, utility):
    """D-1, D-2: the consumer disputes within 7 days; the arbiter pays a bounded adjustment; the utility loses."""
    s, a = world.suite, world.consumers[0]
    s.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})
    en = s.requests.enrollment(ready.event, a)
    tx = s.disputes.openDispute(ready.event, b"\x0a" * 32, {"from": a})
    assert tx.events["DisputeOpened"]["reasonHash"] == "0x" + "0a" * 32
    room = en["reserved"] - en["paid"]
    with brownie.reverts(err("AdjustmentTooLarge", room + 1, room)):
        s.disputes.upholdDispute(ready.event, a, room + 1, {"from": arbiter})
    before = s.token.balanceOf(a)
    tx = s.disputes.upholdDispute(ready.event, a, room, {"from": arbiter})
    assert tx.events["DisputeResolved"]["upheld"] is True
    assert s.token.balanceOf(a) - before == room
    assert tuple(s.disputes.dispute(ready.event, a)) == (DISPUTE_UPHELD, room)
    assert s.requests.enrollment(ready.event, a)["status"] == SETTLED  # the ledger's outcome stands
    assert s.utilities.utility(utility)["disputesLost"] == 1


def test_dispute_rejected_and_unauthorized(world, ready, arbiter, stranger):
    """D-1, D-3: arbiters only; one dispute per enrollment; closed after 7 days."""
    s, a, b = world.suite, world.consumers[0], world.consumers[1]
    s.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})
    s.proofs.settle(ready.event, b, ready.leaves(b), {"from": b})
    with brownie.reverts(err("EnrollmentNotInStatus", ready.event, stranger, 0)):
        s.disputes.openDispute(ready.event, b"\x00" * 32, {"from": stranger})
    s.disputes.openDispute(ready.event, b"\x00" * 32, {"from": a})
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, s.disputes.ARBITER_ROLE())
    ):
        s.disputes.rejectDispute(ready.event, a, {"from": stranger})
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, s.disputes.ARBITER_ROLE())
    ):
        s.disputes.upholdDispute(ready.event, a, 0, {"from": stranger})
    tx = s.disputes.rejectDispute(ready.event, a, {"from": arbiter})
    assert tx.events["DisputeResolved"]["upheld"] is False
    assert tuple(s.disputes.dispute(ready.event, a)) == (DISPUTE_REJECTED, 0)
    with brownie.reverts(err("DisputeNotInStatus", ready.event, a, DISPUTE_REJECTED)):
        s.disputes.openDispute(ready.event, b"\x00" * 32, {"from": a})
    for resolve in (s.disputes.rejectDispute, s.disputes.upholdDispute):
        args = (ready.event, b) if resolve == s.disputes.rejectDispute else (ready.event, b, 0)
        with brownie.reverts(err("DisputeNotInStatus", ready.event, b, 0)):  # b opened none
            resolve(*args, {"from": arbiter})
    chain.sleep(7 * 86_400 + 60)
    with brownie.reverts(err("DisputeWindowClosed", ready.event, b)):
        s.disputes.openDispute(ready.event, b"\x00" * 32, {"from": b})


# ------------------------------------------------------------------ batch settlement (S-11)


@pytest.mark.both_profiles
@pytest.mark.parametrize("method", [0, 1], ids=["10-in-10", "high-5-of-10"])
def test_settle_batch__every_outcome_equals_the_reference(world, utility, oracle, method):
    """S-11: one settleBatch records, for each consumer, exactly what settle would: baseline, actual,
    reduction, adjustment and reward equal the reference to the Wh; tokens, statuses and the event's
    reservations follow; consumers whose records share a batch share one multiproof. Both methods:
    10-in-10 sums the days as it reads them (B-2), high-5-of-10 keeps each day to choose from (B-3)."""
    s = world.suite
    program_id = 1
    if method:
        program_id = s.programs.createProgram(
            REGION, program_tuple(s.token, method=method), 10**9, {"from": utility}
        ).return_value
    sc = Scenario(world, utility, oracle, program_id=program_id)
    a, b, c = world.consumers[:3]
    sc.enroll(a, 4_000)
    sc.enroll(b, 20_000)
    sc.enroll(c, 400_000)
    sc.post(activation(world) + 1, sc.reducing({1: 0.3, 2: 0.8, 3: 1.0}))
    program = s.programs.program(program_id).dict()
    assert program["method"] == method
    consumers, groups = sc.batch_args([c, a, b])
    assert len(groups) == 1 + len(sc.required(a)[0])  # one group per day, shared by all three
    before = {w.address: s.token.balanceOf(w) for w in (a, b, c)}
    tx = s.proofs.settleBatch(sc.event, consumers, groups, {"from": world.consumers[3]})
    assert tx.return_value == 3
    settled = {e["account"]: e for e in tx.events["Settled"]}
    for who in (a, b, c):
        r, reward = sc.expected(who, program)
        ev = settled[who.address]
        assert_result(ev, r)
        assert ev["reward"] == reward
        assert s.token.balanceOf(who) - before[who.address] == reward
        en = s.requests.enrollment(sc.event, who)
        assert (en["status"], en["paid"]) == (SETTLED, reward)
    e = s.requests.drEvent(sc.event)
    held = held_for_disputes(s.requests, sc.event, (a, b, c))
    assert (e["settled"], e["reservedOutstanding"]) == (3, held)  # D-4: the unpaid part is held


def test_settle_batch__insufficient_data_and_a_settled_consumer(world, ready):
    """S-6, S-8, S-11: a consumer already settled is skipped with SettlementSkipped, the others are
    settled; an event-day record flagged missing settles as insufficient data, as in settle."""
    s, (a, b) = world.suite, world.consumers[:2]
    s.proofs.settle(ready.event, a, ready.leaves(a), {"from": a})
    consumers, groups = ready.batch_args([a, b])
    tx = s.proofs.settleBatch(ready.event, consumers, groups, {"from": b})
    assert tx.return_value == 1
    assert (
        tx.events["SettlementSkipped"]["account"],
        tx.events["SettlementSkipped"]["status"],
    ) == (a, SETTLED)
    assert [e["account"] for e in tx.events["Settled"]] == [b]


def test_settle_batch__insufficient_data_recorded(world, scenario):
    """S-6 in a batch: an event-day record flagged missing is insufficient data, nothing paid."""
    s, (a, b) = world.suite, world.consumers[:2]
    scenario.enroll(a, 4_000)
    scenario.enroll(b, 20_000)
    day = scenario.event_day
    scenario.post(
        activation(world) + 1, lambda cid, d: None if (cid, d) == (1, day) else shape(cid, d)
    )
    consumers, groups = scenario.batch_args([a, b])
    tx = s.proofs.settleBatch(scenario.event, consumers, groups, {"from": b})
    assert tx.events["SettledInsufficientData"]["account"] == a
    assert tx.events["SettledInsufficientData"]["eventDayMissing"] is True
    assert s.requests.enrollment(scenario.event, a)["status"] == INSUFFICIENT
    assert s.requests.enrollment(scenario.event, b)["status"] == SETTLED


@pytest.mark.both_profiles
def test_attack_settle_batch__tampered_records_or_proofs__revert(world, ready):
    """S-2, S-11: a changed reading, a changed proof hash, a record of another consumer, a reference
    to no group, a group's count that differs from its references, extra bytes or a skipped day: the
    whole call reverts with the rule's error."""
    s, (a, b) = world.suite, world.consumers[:2]
    consumers, groups = ready.batch_args([a, b])
    day0, idx0, width, count, proof = groups[0]

    def call(cs, gs):
        return s.proofs.settleBatch(ready.event, cs, gs, {"from": b})

    account, records, refs = consumers[0]
    tampered = bytearray(records)
    tampered[11 + 4 * 17] ^= 0xFF  # one hourly reading of the event-day record
    with brownie.reverts(err("InvalidMultiproof", day0, idx0)):
        call([(account, bytes(tampered), refs), consumers[1]], groups)
    if proof:
        bad = [(day0, idx0, width, count, [b"\x00" * 32, *proof[1:]]), *groups[1:]]
        with brownie.reverts(err("InvalidMultiproof", day0, idx0)):
            call(consumers, bad)
    # consumer 2's records presented as consumer 1's: each proves, the header does not match
    (only_b,), b_groups = ready.batch_args([b])
    with brownie.reverts(err("LeafConsumerMismatch", 1, 2)):
        call([(account, only_b[1], only_b[2])], b_groups)
    with brownie.reverts(err("InvalidRecordRef", 0, 0)):
        call([(account, records, [refs[0] | (len(groups) << 32), *refs[1:]]), consumers[1]], groups)
    with brownie.reverts(err("InvalidRecordRef", 0, len(refs))):
        call([(account, records + b"\x00", refs), consumers[1]], groups)
    # a group that declares one record fewer (the last one overflows it) or one more (left unfilled)
    for declared in (count - 1, count + 1):
        with brownie.reverts(err("GroupCountMismatch", day0, idx0, declared)):
            call(consumers, [(day0, idx0, width, declared, proof), *groups[1:]])
    # a proved record the walk does not ask for (a weekend day, for a weekday event)
    weekend = next(d for d in range(activation(world) + 1, ready.event_day) if walk.is_weekend(d))
    req, _ = ready.required(a)
    days = [ready.event_day, *req, weekend]
    extra = settle_batch_args([(a.address, [ready.book.locate(REGION, d, 1) for d in days])])
    with brownie.reverts(err("UnexpectedLeaf", len(days) - 1)):
        call(*extra)
    # the event-day record where the walk expects its first baseline day, and the other way round
    swapped = [req[0], ready.event_day, *req[1:]]
    out_of_order = settle_batch_args(
        [(a.address, [ready.book.locate(REGION, d, 1) for d in swapped])]
    )
    with brownie.reverts(err("LeafDayMismatch", ready.event_day, req[0])):
        call(*out_of_order)
    late = [ready.event_day, req[1], req[0], *req[2:]]
    out_of_order = settle_batch_args([(a.address, [ready.book.locate(REGION, d, 1) for d in late])])
    with brownie.reverts(err("NotEligibleBaselineDay", req[0], req[1])):
        call(*out_of_order)
    with brownie.reverts(err("InvalidSettleBatchSize", 0, s.proofs.MAX_SETTLE_BATCH())):
        call([], groups)


def test_settle_batch__event_not_settleable__reverts(world, scenario):
    """S-1 for a batch: no event-day data yet, or past the deadline: the event's error, before any record."""
    s, a = world.suite, world.consumers[0]
    scenario.enroll(a, 4_000)
    chain.sleep(day_start(scenario.event_day + 1) - now() + 60)
    chain.mine()
    with brownie.reverts(err("EventDayNotFinal", scenario.event, scenario.event_day)):
        s.proofs.settleBatch(scenario.event, [(a.address, b"", [])], [], {"from": a})
    scenario.post(activation(world) + 1, scenario.reducing({1: 0.5}))
    consumers, groups = scenario.batch_args([a])
    deadline = s.requests.settlementDeadline(scenario.event)
    chain.sleep(deadline - now() + 1)
    chain.mine()
    with brownie.reverts(err("SettlementClosed", scenario.event, deadline)):
        s.proofs.settleBatch(scenario.event, consumers, groups, {"from": a})
