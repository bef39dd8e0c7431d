"""One whole DR cycle on the real contracts: council verifies a utility (2 of 3) -> consumers register and
are activated -> forecasts cross the threshold and trigger an event -> enrollment -> 14 days of meter
data -> settlement by a third party -> every balance equals the Python reference model's."""

from __future__ import annotations

import random

import pytest
from brownie import chain

from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from oracles.reference.meter_leaf import ConsumerDay
from tests.contracts.helpers import held_for_disputes
from tests.contracts.suite import REGION, MeterBook, day_start, now, prefs, program_tuple

# run under both build profiles by `make test` (tests/contracts/conftest.py)
pytestmark = pytest.mark.both_profiles

HOURS_16_TO_20 = sum(1 << h for h in range(12, 22))


def usage(cid: int, day: int, event_day: int, cut: float) -> tuple[int, ...]:
    rng = random.Random(cid * 100_003 + day)
    scale = 1 + cid % 3
    r = [
        scale * (400 + 600 * (17 <= h < 21) + 250 * (12 <= h < 17) + rng.randrange(0, 150))
        for h in range(24)
    ]
    if day == event_day:
        r = [int(v * cut) if 16 <= h < 20 else v for h, v in enumerate(r)]
    return tuple(r)


def test_full_cycle(suite, accounts, verifiers, consumer_accounts, oracle, keeper, stranger, admin):
    s = suite
    new_utility = accounts[17]
    # 1. utility verification: M = 2 of 3 distinct verifiers
    s.utilities.applyForVerification(
        "Sierra Electric", b"\x0c" * 32, [REGION], {"from": new_utility}
    )
    s.utilities.approve(new_utility, 0, {"from": verifiers[1]})
    assert not s.utilities.isActiveUtility(new_utility, REGION)
    s.utilities.approve(new_utility, 0, {"from": verifiers[2]})
    assert s.utilities.isActiveUtility(new_utility, REGION)

    # 2. consumers register; the utility attests KYC and meter ownership
    people = consumer_accounts[4:10]
    for i, a in enumerate(people):
        consent = 3 if i % 2 == 0 else 1  # half consent to automated enrollment
        s.consumers.register(
            i % 3,
            REGION,
            bytes([0x90 + i]) * 32,
            10_000,
            consent,
            prefs(hours=HOURS_16_TO_20),
            {"from": a},
        )
        s.consumers.activate(a, b"\x0d" * 32, b"\x0e" * 32, {"from": new_utility})
    ids = {a.address: s.consumers.consumer(a)["id"] for a in people}
    activation = s.consumers.consumer(people[0])["activationDay"]

    # 3. program with escrowed budget; auto-trigger at 80 % of capacity
    s.token.mint(new_utility, 10**9, {"from": admin})
    s.token.approve(s.escrow, 10**9, {"from": new_utility})
    pid = s.programs.createProgram(
        REGION, program_tuple(s.token), 10**9, {"from": new_utility}
    ).return_value
    s.forecasting.setAutoTrigger(pid, 4_000_000, 2, 4, {"from": new_utility})

    chain.sleep(16 * 86_400)
    chain.mine()
    hour = s.forecasting.currentHour(REGION)
    day = hour // 24 + 1
    while walk.is_weekend(day):  # a weekday event
        day += 1
    if day * 24 + 20 > hour + 48:
        chain.sleep((day * 24 - hour - 24) * 3600)
        chain.mine()
    # 4. forecasts cross the threshold 16:00-20:00: the event is created automatically
    points = [
        (day * 24 + h, 4_300_000 + 10_000 * h, 4_200_000, 4_500_000 + 10_000 * h)
        for h in range(12, 22)
    ]
    points = [
        (h, kw if 16 <= h % 24 < 20 else 3_000_000, min(lo, 2_900_000), hi)
        for h, kw, lo, hi in points
    ]
    tx = s.forecasting.postForecasts(REGION, 42, now(), points, {"from": oracle})
    event = tx.events["PeakForecast"]["eventId"]
    e = s.requests.drEvent(event)
    assert (e["day"], e["startInterval"], e["endInterval"], e["programId"]) == (day, 16, 20, pid)

    # 5. enrollment: consumers themselves, and the keeper for those who consented
    committed = {}
    for i, a in enumerate(people):
        wh = 6_000 + 1_000 * i
        if i % 2 == 0:
            tx = s.requests.enrollFor(event, a, wh, {"from": keeper})
        else:
            tx = s.requests.enroll(event, wh, {"from": a})
        committed[a.address] = wh
    print(f"\nGAS enroll: {tx.gas_used}")

    # 6. meter data for every day from activation to the event day, once each day has ended
    chain.sleep(day_start(day + 1) - now() + 60)
    chain.mine()
    cuts = [0.2, 0.5, 0.7, 1.0, 0.0, 0.9]
    book = MeterBook(s.meter, oracle)
    known = list(ids.values())
    for d in range(activation + 1, day + 1):
        recs = [
            ConsumerDay(consumer_id=c, region_id=REGION, day=d, readings=usage(c, d, day, cuts[k]))
            for k, c in enumerate(known)
        ]
        book.post(REGION, d, recs)
    assert day - activation - 1 >= 11

    # 7. the days become final FINALITY_DELAY after the event day (M-9): anyone declares it; then
    # settlement by a stranger (permissionless), checked against the reference
    chain.sleep(s.meter.FINALITY_DELAY())
    chain.mine()
    s.meter.finalize(REGION, day, {"from": stranger})
    rate = e["rate"]
    program = s.programs.program(pid)
    params = ref.BaselineParams(
        method=0,
        start_interval=16,
        end_interval=20,
        adj_window_hours=3,
        adj_gap_hours=1,
        adj_cap_bps=2_000,
    )
    expected_total = 0
    for a in people:
        cid = ids[a.address]
        cands = walk.candidate_days(day, activation, set(), {day})
        assert list(s.proofs.candidateDays(event, a)) == cands
        assert all((REGION, d) in book.batches for d in cands)  # every baseline day has data
        leaves = [book.leaf_proof(REGION, d, cid) for d in [day, *cands]]
        before = s.token.balanceOf(a)
        tx = s.proofs.settle(event, a, leaves, {"from": stranger})
        r = ref.compute(
            [list(book.record(REGION, d, cid).readings) for d in cands],
            list(book.record(REGION, day, cid).readings),
            params,
        )
        reward = ref.reward(
            r.reduction_wh,
            committed[a.address],
            rate,
            program["minDeliveryBps"],
            program["bonusCapBps"],
        )
        assert tx.events["Settled"]["reductionWh"] == r.reduction_wh
        assert s.token.balanceOf(a) - before == reward
        expected_total += reward
    print(f"GAS settle (10 baseline days): {tx.gas_used}")

    # 8. the books balance: escrow conservation and the utility's reputation. What was reserved and not
    # paid stays reserved for disputes (D-4) until the event closes after the dispute window (S-9)
    held = held_for_disputes(s.requests, event, people)
    assert s.escrow.programAccount(pid)["reserved"] == held
    chain.sleep(s.requests.closesAt(event) - now() + 1)
    assert (
        s.requests.closeEvent(event, {"from": stranger}).events["EventClosed"]["released"] == held
    )
    acct = s.escrow.programAccount(pid)
    assert acct["paid"] == expected_total and acct["reserved"] == 0
    assert (
        acct["paid"] + acct["reserved"] + acct["withdrawn"] + s.escrow.available(pid)
        == acct["deposited"]
    )
    rep = s.utilities.utility(new_utility)
    assert rep["eventsRun"] == 1
    assert rep["consumersPaid"] == sum(
        1 for a in people if s.requests.enrollment(event, a)["paid"] > 0
    )
    assert expected_total > 0
