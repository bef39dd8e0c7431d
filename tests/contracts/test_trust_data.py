"""The trust layer's meter-data attacks: f08 (the data poster chooses the baseline days), f11
(omitted records) and f03 (an honest result voided by later facts), with properties P2 (withholding
never pays) and P3 (final data) against the Python reference (SPECIFICATION.md B-9, M-4, M-8, S-3,
S-4, S-12, §12)."""

from __future__ import annotations

import random

import pytest
from brownie.test import given
from hypothesis import settings
from hypothesis import strategies as st

from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from tests.contracts.suite import REGION, program_tuple
from tests.contracts.test_settlement import Scenario, activation

COMMITTED = 1_000


def low_high(event_day: int, cut: float = 0.3):  # type: ignore[no-untyped-def]
    """Every consumer the same readings: a flat day with an evening peak, half of it on days
    divisible by 3 (the "low" days a poster would like to drop), cut on the event day."""

    def f(cid: int, day: int) -> tuple[int, ...]:
        scale = 0.5 if day % 3 == 0 else 1.0
        r = [300 + int(600 * scale) * (16 <= h < 20) for h in range(24)]
        if day == event_day:
            r = [int(x * cut) if 16 <= h < 20 else x for h, x in enumerate(r)]
        return tuple(r)

    return f


def _program(world, utility, method: int) -> int:  # type: ignore[no-untyped-def]
    if method == 0:
        return 1
    s = world.suite
    return int(
        s.programs.createProgram(
            REGION, program_tuple(s.token, method=method), 10**9, {"from": utility}
        ).return_value
    )


def _settle(sc: Scenario, who) -> dict:  # type: ignore[no-untyped-def]
    tx = sc.s.proofs.settle(sc.event, who, sc.leaves(who), {"from": who})
    if "Settled" in tx.events:
        return dict(tx.events["Settled"])
    return {"reward": 0, "baselineWh": 0, **dict(tx.events["SettledInsufficientData"])}


# ------------------------------------------------------------------ f08: the poster chooses days


def _two_consumers(world, utility, oracle, method):  # type: ignore[no-untyped-def]
    """The f08 setting: a program of `method`, consumers 1 and 2 enrolled with the same commitment,
    the event's baseline days and the low ones among them (every third day)."""
    pid = _program(world, utility, method)
    sc = Scenario(world, utility, oracle, program_id=pid)
    pair = world.consumers[0], world.consumers[1]
    for who in pair:
        sc.enroll(who, COMMITTED)
    days = walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})
    low = {d for d in days if d % 3 == 0}
    assert low, "the baseline days include low days"
    return sc, pid, pair, days, low


@pytest.mark.parametrize("method", [0, 1])
def test_attack_f08_oracle_flags_low_days_missing__reward_does_not_rise(
    world, utility, oracle, method
):  # type: ignore[no-untyped-def]
    """B-9, S-3, S-4 (P2): consumers 1 and 2 have identical readings; the meter oracle flags
    consumer 2's low baseline days missing on its records, which under the old walk pulled older
    high days in (+75 % in the audit). The baseline days stay the same 10 days (region facts), each
    flagged day is a gap counted as zero with the day-of ratio at the cap's floor: consumer 2 earns
    no more than consumer 1, and both equal the reference to the Wh.
    Mutation: restore the old walk in ProofSettlement (drop the `if eq(n, _MAX_DAYS) { break }` cap
    in `_candidates`; in `_collectBaselineDays` count only usable days, `continue` past a gap and
    stop at 10 counted) -> this test fails: the flagged low days are replaced by older high days."""
    sc, pid, (a, b), days, low = _two_consumers(world, utility, oracle, method)
    base = low_high(sc.event_day)
    sc.post(activation(world) + 1, lambda cid, d: None if cid == 2 and d in low else base(cid, d))
    assert list(sc.s.proofs.candidateDays(sc.event, b)) == days
    honest, flagged = _settle(sc, a), _settle(sc, b)
    program = sc.s.programs.program(pid).dict()
    for who, ev in ((a, honest), (b, flagged)):
        r, reward = sc.expected(who, program)
        assert ev["reward"] == reward
        if r is not None:
            assert (ev["baselineWh"], ev["adjustmentBps"]) == (r.baseline_wh, r.adjustment_bps)
    assert honest["reward"] > 0
    assert flagged["reward"] <= honest["reward"]
    assert flagged["baselineWh"] <= honest["baselineWh"]


# ------------------------------------------------------------------ P2 on the chain


@settings(max_examples=3, derandomize=True, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), method=st.sampled_from([0, 1]))
def test_p2_withholding_never_pays__chain_equals_reference(world, utility, oracle, seed, method):  # type: ignore[no-untyped-def]
    """P2, B-9: random readings (the same for all four consumers) and, for consumers 2..4, random
    subsets of their baseline days flagged missing: each settles on chain exactly as the
    reference, and none earns more than consumer 1, whose data is complete."""
    rng = random.Random(seed)
    pid = _program(world, utility, method)
    sc = Scenario(world, utility, oracle, program_id=pid)
    for who in world.consumers:
        sc.enroll(who, COMMITTED)
    days = walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})
    table = {
        d: tuple(rng.randrange(200, 1_500) for _ in range(24))
        for d in range(activation(world) + 1, sc.event_day + 1)
    }
    flagged = {cid: set(rng.sample(days, rng.randrange(0, len(days) + 1))) for cid in (2, 3, 4)}

    def readings(cid: int, d: int) -> tuple[int, ...] | None:
        return None if d in flagged.get(cid, set()) else table[d]

    sc.post(activation(world) + 1, readings)
    program = sc.s.programs.program(pid).dict()
    rewards = {}
    for cid, who in enumerate(world.consumers, start=1):
        ev = _settle(sc, who)
        r, reward = sc.expected(who, program)
        assert ev["reward"] == reward
        if r is not None:
            assert ev["baselineWh"] == r.baseline_wh
        rewards[cid] = reward
    assert all(rewards[cid] <= rewards[1] for cid in (2, 3, 4)), rewards
    assert ref.BPS  # the reference module is the judge


# ------------------------------------------------------------------ f11: omitted records


def post_days(sc: Scenario, first_day: int, readings, omit=frozenset(), final=True) -> None:  # type: ignore[no-untyped-def]
    """As Scenario.post, but the records of (consumer, day) in `omit` are left out of the batches."""
    from brownie import chain

    from oracles.reference.meter_leaf import ConsumerDay
    from tests.contracts.suite import day_start, now

    chain.sleep(max(0, day_start(sc.event_day + 1) - now() + 60))
    chain.mine()
    for d in range(first_day, sc.event_day + 1):
        recs = []
        for cid in range(1, 5):
            if (cid, d) in omit:
                continue
            r = readings(cid, d)
            if r is None:
                sc.missing.add((cid, d))
            recs.append(
                ConsumerDay(
                    consumer_id=cid, region_id=REGION, day=d, missing=r is None,
                    readings=r or (0,) * 24,
                )
            )  # fmt: skip
        sc.book.post(REGION, d, recs)
    if final:
        sc.finalize()


def test_attack_f11_omitted_records__posted_later_or_proven_absent(world, utility, oracle):  # type: ignore[no-untyped-def]
    """M-4, M-8, S-4: the oracle leaves consumer 2's event-day record and one baseline record out of
    the day's batches. The left-out records are posted later in batches of their own (any order),
    and consumer 2 settles exactly as the reference with them; consumer 3, whose baseline record is
    never posted, settles too: its absence is proven by the posted bits (a gap, B-9), and a settler
    cannot pass off a posted record as absent (MissingLeaf).
    Mutation: start MeterData._hashRecords' `last` at the day's `lastConsumerId` (the old
    cross-batch order) -> the late batch reverts ConsumerIdNotIncreasing and this test fails."""
    import brownie

    from tests.contracts.helpers import err

    sc = Scenario(world, utility, oracle)
    a, b, c = world.consumers[:3]
    for who in (a, b, c):
        sc.enroll(who, COMMITTED)
    days = walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})
    base = low_high(sc.event_day)
    omit = {(2, sc.event_day), (2, days[1]), (3, days[0])}
    post_days(sc, activation(world) + 1, base, omit, final=False)
    # consumer 2's records arrive late: each in a batch of its own, after higher ids were posted
    for d in (sc.event_day, days[1]):
        assert not sc.s.meter.recordPosted(REGION, d, 2)
        sc.book.post(
            REGION, d, [sc.book.record(REGION, d, 1).model_copy(update={"consumer_id": 2})]
        )
        assert sc.s.meter.recordPosted(REGION, d, 2)
    # a second record of a posted consumer-day is refused
    with brownie.reverts(err("RecordAlreadyPosted", REGION, days[1], 2)):
        sc.book.post(REGION, days[1], [sc.book.record(REGION, days[1], 2)])
    sc.finalize()
    program = sc.s.programs.program(1).dict()
    for who in (a, b):
        ev = _settle(sc, who)
        r, reward = sc.expected(who, program)
        assert r is not None and ev["reward"] == reward and ev["baselineWh"] == r.baseline_wh
    # consumer 3: its most recent baseline record was never posted; leaving out another posted one fails
    leaves = sc.leaves(c)
    with brownie.reverts(err("MissingLeaf", days[-1])):
        sc.s.proofs.settle(sc.event, c, leaves[:-1], {"from": c})
    ev = _settle(sc, c)
    r, reward = sc.expected(c, program)
    assert r is not None and ev["reward"] == reward and ev["baselineDays"] == len(days) - 1


def test_f11_event_day_never_posted__insufficient_data(world, utility, oracle):  # type: ignore[no-untyped-def]
    """M-8, S-6: a consumer whose event-day record was never posted settles as insufficient data
    (the absence is proven, no record to supply) instead of never settling."""
    sc = Scenario(world, utility, oracle)
    a = world.consumers[0]
    sc.enroll(a, COMMITTED)
    post_days(sc, activation(world) + 1, low_high(sc.event_day), {(1, sc.event_day)})
    required, _ = sc.required(a)
    leaves = [sc.book.leaf_proof(REGION, d, 1) for d in required]
    tx = sc.s.proofs.settle(sc.event, a, leaves, {"from": a})
    ev = tx.events["SettledInsufficientData"]
    assert ev["eventDayMissing"] is True and "Settled" not in tx.events


@pytest.mark.parametrize("method", [0, 1])
def test_attack_f08_consumer_leaves_gaps_on_low_days__reward_does_not_rise(
    world, utility, oracle, method
):  # type: ignore[no-untyped-def]
    """B-9, M-8 (P2): consumer 2 controls its data export and leaves its low baseline days out
    (no record posted at all). Those days stay baseline days, proven absent, counted as gaps: it
    earns no more than consumer 1 with the same readings and complete data.
    Mutation: as test_attack_f08_oracle_flags_low_days_missing__reward_does_not_rise."""
    sc, pid, (a, b), days, low = _two_consumers(world, utility, oracle, method)
    post_days(sc, activation(world) + 1, low_high(sc.event_day), {(2, d) for d in low})
    honest, gapped = _settle(sc, a), _settle(sc, b)
    program = sc.s.programs.program(pid).dict()
    for who, ev in ((a, honest), (b, gapped)):
        assert ev["reward"] == sc.expected(who, program)[1]
    assert honest["reward"] > 0 and gapped["reward"] <= honest["reward"]
    assert gapped["baselineDays"] == len(days) - len(low)


# ------------------------------------------------------------------ f03 / P3: final data


def test_attack_f03_late_batch_or_holiday_after_finality__refused_result_unchanged(
    world, utility, oracle, region_admin
):  # type: ignore[no-untyped-def]
    """M-9, R-5, S-12 (P3): consumer 2's record of its most recent baseline day is withheld. Once the
    days are final, the withheld record arriving late (reorged batch re-posted) is refused
    (DayFinal), as is a holiday for a past day (HolidayInPast): the result a proposal or challenge
    computes before and after is the same, and settlement equals it.
    Mutation: drop the `isFinal` check in MeterData._checkBatch -> this test fails (the late batch
    is accepted and the settlement differs from the earlier verify)."""
    import brownie

    from tests.contracts.helpers import err
    from tests.contracts.suite import local_day, now

    sc = Scenario(world, utility, oracle)
    a, b = world.consumers[:2]
    sc.enroll(a, COMMITTED)
    sc.enroll(b, COMMITTED)
    days = walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})
    post_days(sc, activation(world) + 1, low_high(sc.event_day), {(2, days[0])})
    before = sc.s.proofs.verify(sc.event, b, sc.leaves(b))
    late = sc.book.record(REGION, days[0], 1).model_copy(update={"consumer_id": 2})
    from oracles.reference import meter_leaf

    with brownie.reverts(err("DayFinal", REGION, days[0])):
        sc.s.meter.postBatch(REGION, days[0], meter_leaf.encode_batch([late]), {"from": oracle})
    today = local_day(now())
    with brownie.reverts(err("HolidayInPast", REGION, days[1], today)):
        sc.s.regions.setHoliday(REGION, days[1], True, {"from": region_admin})
    ev = _settle(sc, b)
    assert (ev["baselineWh"], ev["baselineDays"]) == (before["result"]["baselineWh"], len(days) - 1)
    assert ev["reward"] == sc.expected(b, sc.s.programs.program(1).dict())[1]


def test_p3_nothing_settles_before_the_days_are_final(world, utility, oracle, stranger):  # type: ignore[no-untyped-def]
    """M-9, S-12 (P3): before the event day is final, settle, settleBatch and candidateDays revert
    EventDayNotFinal and hasData is false; nobody can declare it final before FINALITY_DELAY has
    passed since the day ended (FinalityNotReached); afterwards anyone can, once, and no record can
    be posted for it or any earlier day (DayFinal)."""
    import brownie
    from brownie import chain

    from oracles.reference import meter_leaf
    from tests.contracts.helpers import err
    from tests.contracts.suite import day_start, now

    sc = Scenario(world, utility, oracle)
    a = world.consumers[0]
    sc.enroll(a, COMMITTED)
    post_days(sc, activation(world) + 1, low_high(sc.event_day), final=False)
    s = sc.s
    with brownie.reverts(err("EventDayNotFinal", sc.event, sc.event_day)):
        s.proofs.settle(sc.event, a, [], {"from": a})
    with brownie.reverts(err("EventDayNotFinal", sc.event, sc.event_day)):
        s.proofs.settleBatch(sc.event, [(a.address, b"", [])], [], {"from": a})
    with brownie.reverts(err("EventDayNotFinal", sc.event, sc.event_day)):
        s.proofs.candidateDays(sc.event, a)
    assert not s.meter.hasData(REGION, sc.event_day) and not s.meter.isFinal(REGION, sc.event_day)
    at = day_start(sc.event_day + 1) + s.meter.FINALITY_DELAY()
    assert s.meter.FINALITY_DELAY() == 2 * 86_400
    with brownie.reverts(err("FinalityNotReached", REGION, sc.event_day, at)):
        s.meter.finalize(REGION, sc.event_day, {"from": stranger})
    chain.sleep(at - now())
    chain.mine()
    tx = s.meter.finalize(REGION, sc.event_day, {"from": stranger})
    assert tx.events["DaysFinalized"]["throughDay"] == sc.event_day
    assert s.meter.hasData(REGION, sc.event_day) and s.meter.isFinal(REGION, sc.event_day - 30)
    with brownie.reverts(err("DayFinal", REGION, sc.event_day)):
        s.meter.finalize(REGION, sc.event_day, {"from": stranger})
    extra = sc.book.record(REGION, sc.event_day - 1, 1).model_copy(update={"consumer_id": 9})
    with brownie.reverts(err("DayFinal", REGION, sc.event_day - 1)):
        s.meter.postBatch(
            REGION, sc.event_day - 1, meter_leaf.encode_batch([extra]), {"from": oracle}
        )
    ev = _settle(sc, a)
    assert ev["reward"] == sc.expected(a, s.programs.program(1).dict())[1]
