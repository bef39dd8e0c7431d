"""ShedCompensation: a load shed's compensation pool, the consumers' proved claims and the
operator's remainder (SPECIFICATION.md §15, rule G-17), on the real protocol: a load-shed operator
verified by the council, its action proposed, instructed and completed through BalancingActions,
meter records posted through MeterBook, the day made final (M-9), amounts compared with the Python
reference (oracles/reference/shed_compensation.py) exactly.

Region 1 (UTC-8, hourly records); the shed runs 17:00-19:00 local on day ``D`` (yesterday when the
module starts), so hour 16 is the load before it."""

from __future__ import annotations

from typing import Any

import brownie
import pytest
from brownie import chain
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference import shed_compensation as ref
from oracles.reference.meter_leaf import ConsumerDay
from tests.contracts.helpers import err
from tests.contracts.suite import REGION, MeterBook, day_start, local_day, now, prefs

H = 3_600
GEN, RESERVE, DR, SHED = 0, 1, 2, 3
BALANCING, LOAD_SHED = 2, 4
RATE = 500_000  # token units (6 decimals) per kWh: 0.50 per kWh
CLAIM_PERIOD = 60 * 86_400
BIG = 10**15

# the readings of the four consumers of `world` on day D (hour -> Wh; every other hour 1,000 Wh)
SHED_DAY = {
    1: {16: 1_200, 17: 0, 18: 60},  # shed: 18:00 reads exactly 5 % of 1,200
    2: {16: 9_000, 17: 450, 18: 7},  # shed: 17:00 exactly 5 %
    3: {16: 60_000, 17: 3_001, 18: 0},  # not shed: 17:00 one Wh above 5 % of 60,000
    4: None,  # flagged missing by the oracle
}


def readings_of(hours: dict[int, int]) -> list[int]:
    r = [1_000] * 24
    for h, v in hours.items():
        r[h] = v
    return r


def operator(suite: Any, verifiers: Any, account: Any, caps: int, name: str) -> Any:
    """An active operator of region 1 with `caps`, approved by two council members (G-1..G-4)."""
    suite.operators.applyAsOperator(name, 1, caps, b"\x0d" * 32, [REGION], {"from": account})
    for v in verifiers[:2]:
        suite.operators.approve(account, 0, {"from": v})
    return account


class Shed:
    """Load sheds of one operator on day D, their meter data and their pool."""

    def __init__(self, world: Any, shedder: Any, oracle: Any, admin: Any) -> None:
        self.w, self.s, self.op, self.admin = world, world.suite, shedder, admin
        self.c, self.bal = self.s.compensation, self.s.balancing
        self.day = local_day(now()) - 1
        self.book = MeterBook(self.s.meter, oracle)
        self.s.token.mint(shedder, BIG, {"from": admin})
        self.s.token.approve(self.c, 2**255, {"from": shedder})
        self.action = self.completed(17 * H, 19 * H)

    def window(self, a: int, b: int, day: int | None = None) -> tuple[int, int]:
        """UTC seconds of local seconds `a` and `b` after midnight of `day` (default D)."""
        start = day_start(self.day if day is None else day)
        return start + a, start + b

    def propose(self, a: int, b: int, kind: int = SHED, who: Any = None) -> int:
        ws, we = self.window(a, b)
        stage, share = (1, 1_000) if kind == SHED else (0, 0)
        q = (REGION, kind, 1_000, 1, ws, we, 0, stage, share)
        return int(self.bal.proposeAction(q, {"from": who or self.op}).return_value)

    def completed(self, a: int, b: int, kind: int = SHED, who: Any = None) -> int:
        """An action proposed, instructed and completed through BalancingActions (G-13)."""
        who = who or self.op
        action = self.propose(a, b, kind, who)
        self.bal.instructAction(action, {"from": who})
        self.bal.completeAction(action, 900, {"from": who})
        return action

    def post(self, days: dict[int, dict[int, int] | None] | None = None, day: int | None = None,
             full: dict[int, list[int] | None] | None = None) -> None:  # fmt: skip
        """Post the day's import records of consumers 1..4 (None: flagged missing)."""
        day = self.day if day is None else day
        if full is None:
            spec = SHED_DAY if days is None else days
            full = {cid: None if h is None else readings_of(h) for cid, h in spec.items()}
        recs = [
            ConsumerDay(
                consumer_id=cid,
                region_id=REGION,
                day=day,
                missing=r is None,
                readings=tuple(r) if r is not None else (),
            )
            for cid, r in full.items()
        ]
        self.book.post(REGION, day, recs)

    def finalize(self, day: int | None = None) -> None:
        """M-9: anyone makes the region's days final once FINALITY_DELAY has passed."""
        day = self.day if day is None else day
        delay = self.s.meter.FINALITY_DELAY()
        chain.sleep(max(0, day_start(day + 1) + delay - now() + 1))
        chain.mine()
        self.s.meter.finalize(REGION, day, {"from": self.admin})

    def fund(self, amount: int, rate: int = RATE, action: int | None = None, token: Any = None,
             who: Any = None) -> Any:  # fmt: skip
        token = token or self.s.token
        return self.c.fund(action or self.action, token, amount, rate, {"from": who or self.op})

    def cid(self, who: Any) -> int:
        return int(self.s.consumers.consumer(who)["id"])

    def claim(self, who: Any, action: int | None = None, day: int | None = None,
              cid: int | None = None) -> Any:  # fmt: skip
        day = self.day if day is None else day
        batch, record, proof = self.book.leaf_proof(REGION, day, cid or self.cid(who))
        return self.c.claim(action or self.action, batch, record, proof, {"from": who})

    def expected(self, cid: int, rate: int = RATE) -> ref.Compensation:
        return ref.compensation(self.book.record(REGION, self.day, cid).readings, 17, 19, rate)


@pytest.fixture(scope="module")
def shedder(accounts, suite, verifiers):  # type: ignore[no-untyped-def]
    """An active distribution operator of region 1 that may shed load and adjust (CAP_LOAD_SHED,
    CAP_BALANCING)."""
    return operator(suite, verifiers, accounts[17], LOAD_SHED | BALANCING, "Valley DSO")


@pytest.fixture(scope="module")
def rival(accounts, suite, verifiers):  # type: ignore[no-untyped-def]
    """Another active load-shed operator of the same region."""
    return operator(suite, verifiers, accounts[18], LOAD_SHED, "Hill DSO")


@pytest.fixture(scope="module")
def newcomer(world, consumer_accounts):  # type: ignore[no-untyped-def]
    """A consumer of region 1 registered but never activated (C-2)."""
    a = consumer_accounts[6]
    world.suite.consumers.register(0, REGION, b"\x66" * 32, 5_000, 3, prefs(), {"from": a})
    return a


@pytest.fixture(scope="module")
def shed(world, shedder, oracle, admin) -> Shed:  # type: ignore[no-untyped-def]
    """`world` with a completed load shed (17:00-19:00 local of day D), no pool, no meter data; the
    clock is past D's finality delay, so `finalize` needs no wait."""
    s = Shed(world, shedder, oracle, admin)
    chain.sleep(max(0, day_start(s.day + 1) + s.s.meter.FINALITY_DELAY() - now() + 1))
    chain.mine()
    return s


@pytest.fixture(autouse=True)
def _fresh_book(shed) -> None:  # type: ignore[no-untyped-def]
    """The chain reverts after every test; the records the book remembers must go with it."""
    shed.book.batches.clear()


@pytest.fixture
def ready(shed) -> Shed:  # type: ignore[no-untyped-def]
    """The shed with its pool funded (1,000 tokens) and D's records posted and final."""
    shed.fund(10**9)
    shed.post()
    shed.finalize()
    return shed


# ------------------------------------------------------------------ G-17 funding


def test_g17_fund__the_actions_operator__pool_terms_window_and_event(shed, shedder):
    """G-17: the first fund fixes token, rate and the window in intervals (17..19 of D)."""
    s = shed
    before = s.s.token.balanceOf(shedder)
    tx = s.fund(10**9)
    p = s.c.pool(s.action)
    a = s.bal.action(s.action)
    assert tuple(p) == (s.s.token.address, RATE, 10**9, 0, 0, s.day, 17, 19, 60, REGION,
                        a["endedAt"] + CLAIM_PERIOD, False)  # fmt: skip
    assert s.c.available(s.action) == 10**9 and s.s.token.balanceOf(s.c) == 10**9
    assert s.s.token.balanceOf(shedder) == before - 10**9
    assert tx.events["CompensationFunded"] == {"actionId": s.action, "token": s.s.token.address,
        "rateWeiPerKwh": RATE, "received": 10**9, "deposited": 10**9}  # fmt: skip
    assert tuple(s.c.shedWindow(s.action)) == (s.day, 17, 19)


def test_g17_fund__top_up_same_terms__added(shed):
    shed.fund(10**9)
    tx = shed.fund(5)
    assert shed.c.pool(shed.action)["deposited"] == 10**9 + 5
    assert tx.events["CompensationFunded"]["deposited"] == 10**9 + 5


def test_g17_fund__not_the_actions_operator__reverts(shed, rival, stranger, utility):
    """G-17: only the action's operator, not another load-shed operator of the region."""
    for who in (rival, stranger, utility):
        with brownie.reverts(err("NotShedOperator", shed.action, who)):
            shed.fund(10**9, who=who)
    assert shed.c.pool(shed.action)["token"] == "0x" + "00" * 20


def test_g17_fund__unknown_action__reverts(shed):
    with brownie.reverts(err("UnknownAction", 99)):
        shed.fund(1, action=99)


def test_g17_fund__not_a_completed_load_shed__reverts(shed):
    """G-17: a proposed or instructed shed and a completed reserve activation have no pool."""
    proposed = shed.propose(17 * H, 19 * H)
    instructed = shed.propose(17 * H, 19 * H)
    shed.bal.instructAction(instructed, {"from": shed.op})
    failed = shed.propose(17 * H, 19 * H)
    shed.bal.failAction(failed, b"\x01" * 32, {"from": shed.op})
    reserve = shed.completed(17 * H, 19 * H, kind=RESERVE)
    for action in (proposed, instructed, failed, reserve):
        with brownie.reverts(err("NotCompletedLoadShed", action)):
            shed.fund(1, action=action)


def test_g17_fund__bad_terms__reverts(shed, admin, MockStablecoin):
    other = MockStablecoin.deploy({"from": admin})
    with brownie.reverts(err("TokenNotAllowed", other)):
        shed.fund(1, token=other)
    with brownie.reverts(err("InvalidRate")):
        shed.fund(1, rate=0)
    with brownie.reverts(err("ZeroAmount")):
        shed.fund(0)
    shed.fund(1)
    with brownie.reverts(err("PoolTermsMismatch", shed.s.token, RATE)):
        shed.fund(1, rate=RATE + 1)
    shed.s.escrow.setTokenAllowed(other, True, {"from": admin})
    with brownie.reverts(err("PoolTermsMismatch", shed.s.token, RATE)):
        shed.fund(1, token=other)
    shed.s.escrow.setTokenAllowed(shed.s.token, False, {"from": admin})
    with brownie.reverts(err("TokenNotAllowed", shed.s.token)):
        shed.fund(1)  # a top-up too: the escrow's allowlist is read on every fund


@pytest.mark.parametrize(
    ("a", "b", "error"),
    [
        (23 * H, 24 * H + 1, "WindowCrossesDays"),  # ends one second into D + 1
        (17 * H + 60, 18 * H + 3_540, "NoWholeInterval"),  # 17:01-18:59 holds no whole hour
        (0, 2 * H, "NoIntervalBeforeShed"),  # starts at midnight: no hour before it
    ],
)
def test_g17_fund__window_refused__reverts(shed, a, b, error):
    """G-17: the window lies within one local day, holds a whole interval and follows one; the
    reference refuses the same windows."""
    action = shed.completed(a, b)
    args = (action, *shed.window(a, b)) if error == "WindowCrossesDays" else (action,)
    with brownie.reverts(err(error, *args)):
        shed.fund(1, action=action)
    with brownie.reverts(err(error, *args)):
        shed.c.shedWindow(action)
    with pytest.raises(getattr(ref, error)):
        ref.shed_window(-480, 60, *shed.window(a, b))


def test_g17_fund__window_inside_intervals__whole_hours_only(shed):
    """G-17: 16:30-19:10 pays hours 17 and 18 (ceil, floor), the same as the reference."""
    action = shed.completed(16 * H + 1_800, 19 * H + 600)
    shed.fund(1, action=action)
    p = shed.c.pool(action)
    assert (p["startInterval"], p["endInterval"]) == (17, 19)
    window = shed.window(16 * H + 1_800, 19 * H + 600)
    assert ref.shed_window(-480, 60, *window) == (shed.day, 17, 19)


def test_g17_fund__after_the_claim_period__reverts(shed):
    shed.fund(1)
    closes = shed.c.pool(shed.action)["claimsClose"]
    chain.sleep(closes - now() + 1)
    chain.mine()
    with brownie.reverts(err("ClaimPeriodOver", shed.action, closes)):
        shed.fund(1)


def test_g17_fund__fee_on_transfer_token__credits_what_arrived(shed, admin, FeeOnTransferToken):
    fot = FeeOnTransferToken.deploy({"from": admin})
    shed.s.escrow.setTokenAllowed(fot, True, {"from": admin})
    fot.mint(shed.op, 10**6, {"from": admin})
    fot.approve(shed.c, 2**255, {"from": shed.op})
    tx = shed.fund(10**6, token=fot)
    arrived = fot.balanceOf(shed.c)
    assert arrived < 10**6
    assert shed.c.pool(shed.action)["deposited"] == arrived
    assert tx.events["CompensationFunded"]["received"] == arrived


# ------------------------------------------------------------------ G-17 claims


def test_g17_claim__shed_consumers__paid_the_reference_amount(ready):
    """G-17: consumers 1 and 2 are paid exactly the reference's amount; consumer 3 (one Wh above
    5 %) is not shed, consumer 4's record is flagged missing."""
    s, token = ready, ready.s.token
    paid = 0
    for who in s.w.consumers[:2]:
        cid = s.cid(who)
        exp = s.expected(cid)
        assert exp.shed and exp.amount > 0
        before = token.balanceOf(who)
        tx = s.claim(who)
        assert tx.return_value == exp.amount
        assert token.balanceOf(who) == before + exp.amount
        assert tx.events["CompensationClaimed"] == {"actionId": s.action, "account": who,
            "consumerId": cid, "wh": exp.wh, "amount": exp.amount}  # fmt: skip
        c = s.c.claimed(s.action, who)
        assert (c["amount"], c["wh"], c["claimedAt"]) == (exp.amount, exp.wh, tx.timestamp)
        paid += exp.amount
    # 1: (1,200 - 0) + (1,200 - 60) = 2,340 Wh; 2: 8,550 + 8,993 = 17,543 Wh at 0.5 per kWh
    assert paid == (2_340 + 17_543) * RATE // 1_000
    assert s.c.pool(s.action)["paid"] == paid and s.c.available(s.action) == 10**9 - paid
    three = s.w.consumers[2]
    assert not s.expected(3).shed
    with brownie.reverts(err("NotShed", 3, 60_000, 17, 3_001, 3_000)):
        s.claim(three)
    with brownie.reverts(err("RecordNotCounted", 4, s.day)):
        s.claim(s.w.consumers[3])
    assert s.c.claimed(s.action, three)["claimedAt"] == 0


def test_g17_claim__once_per_action_and_consumer(ready):
    a = ready.w.consumers[0]
    ready.claim(a)
    with brownie.reverts(err("AlreadyClaimed", ready.action, 1)):
        ready.claim(a)


def test_g17_claim__not_the_shed_consumer__reverts(ready, stranger, newcomer, shedder):
    """G-17: the caller claims for itself: a stranger, a registered consumer not yet active and the
    operator get NotActiveConsumer; another consumer cannot use consumer 1's record."""
    for who in (stranger, newcomer, shedder):
        with brownie.reverts(err("NotActiveConsumer", who, REGION)):
            ready.claim(who, cid=1)
    with brownie.reverts(err("LeafConsumerMismatch", 2, 1)):
        ready.claim(ready.w.consumers[1], cid=1)
    assert ready.c.pool(ready.action)["paid"] == 0


def test_g17_claim__deregistered_consumer__reverts(ready):
    a = ready.w.consumers[0]
    ready.s.consumers.deregister({"from": a})
    with brownie.reverts(err("NotActiveConsumer", a, REGION)):
        ready.claim(a, cid=1)


def test_g17_claim__before_the_day_is_final__reverts(shed):
    shed.fund(10**9)
    shed.post()
    with brownie.reverts(err("DayNotFinal", REGION, shed.day)):
        shed.claim(shed.w.consumers[0])
    shed.finalize()
    assert shed.claim(shed.w.consumers[0]).return_value == shed.expected(1).amount


def test_g17_claim__no_pool__reverts(shed):
    shed.post()
    shed.finalize()
    with brownie.reverts(err("PoolNotFunded", shed.action)):
        shed.claim(shed.w.consumers[0])


def test_g17_claim__tampered_record_or_proof__reverts(ready):
    a = ready.w.consumers[0]
    batch, record, proof = ready.book.leaf_proof(REGION, ready.day, 1)
    forged = bytearray(record)
    forged[-1] ^= 1  # the last reading, one Wh different
    with brownie.reverts(err("InvalidMeterProof", ready.day, batch)):
        ready.c.claim(ready.action, batch, bytes(forged), proof, {"from": a})
    with brownie.reverts(err("InvalidMeterProof", ready.day, batch + 5)):
        ready.c.claim(ready.action, batch + 5, record, proof, {"from": a})


def test_g17_claim__no_load_before_the_shed__not_shed(shed):
    shed.fund(10**9)
    shed.post({1: {16: 0, 17: 0, 18: 0}})
    shed.finalize()
    with brownie.reverts(err("NotShed", 1, 0, 16, 0, 0)):
        shed.claim(shed.w.consumers[0])


def test_g17_claim__underfunded_then_topped_up__paid(shed):
    """G-17: a pool short of the amount refuses the claim whole, nothing is lost; after a top-up the
    same claim is paid."""
    need = (2_340 * RATE) // 1_000
    shed.fund(need - 1)
    shed.post()
    shed.finalize()
    a = shed.w.consumers[0]
    with brownie.reverts(err("CompensationUnderfunded", need, need - 1)):
        shed.claim(a)
    assert shed.c.claimed(shed.action, a)["claimedAt"] == 0
    shed.fund(1)
    assert shed.claim(a).return_value == need
    assert shed.c.available(shed.action) == 0


def test_g17_claim__after_the_claim_period__reverts(ready):
    closes = ready.c.pool(ready.action)["claimsClose"]
    chain.sleep(closes - now() - 30)
    chain.mine()
    ready.claim(ready.w.consumers[0])  # still in the period
    chain.sleep(closes - now() + 1)
    chain.mine()
    with brownie.reverts(err("ClaimPeriodOver", ready.action, closes)):
        ready.claim(ready.w.consumers[1])


def test_g17_claim__reentrant_token__reentry_refused(shed, admin, ReentrantToken):
    """G-17.8: a token that calls back into the contract while it pays out gets nothing: the
    reentrant claim fails on the guard, the outer claim pays once."""
    from eth_utils.crypto import keccak

    token = ReentrantToken.deploy({"from": admin})
    shed.s.escrow.setTokenAllowed(token, True, {"from": admin})
    token.mint(shed.op, 10**9, {"from": admin})
    token.approve(shed.c, 2**255, {"from": shed.op})
    shed.fund(10**9, token=token)
    shed.post()
    shed.finalize()
    batch, record, proof = shed.book.leaf_proof(REGION, shed.day, 2)
    payload = shed.c.claim.encode_input(shed.action, batch, record, proof)
    token.arm(shed.c, shed.c, payload, {"from": admin})
    a = shed.w.consumers[0]
    paid = shed.claim(a).return_value
    assert token.attacked() and not token.reentrySucceeded()
    assert bytes(token.reentryRevertData()) == keccak(b"ReentrancyGuardReentrantCall()")[:4]
    assert token.balanceOf(a) == paid and shed.c.pool(shed.action)["paid"] == paid


# ------------------------------------------------------------------ G-17 remainder


def test_g17_withdraw__after_the_claim_period__once_by_the_operator(
    ready, shedder, stranger, rival
):
    s, token = ready, ready.s.token
    paid = s.claim(s.w.consumers[0]).return_value
    closes = s.c.pool(s.action)["claimsClose"]
    with brownie.reverts(err("ClaimPeriodNotOver", s.action, closes)):
        s.c.withdrawRemainder(s.action, shedder, {"from": shedder})
    chain.sleep(closes - now() + 1)
    chain.mine()
    for who in (stranger, rival, s.w.consumers[0]):
        with brownie.reverts(err("NotShedOperator", s.action, who)):
            s.c.withdrawRemainder(s.action, who, {"from": who})
    with brownie.reverts(err("InvalidRecipient")):
        s.c.withdrawRemainder(s.action, "0x" + "00" * 20, {"from": shedder})
    before = token.balanceOf(stranger)
    tx = s.c.withdrawRemainder(s.action, stranger, {"from": shedder})
    assert tx.return_value == 10**9 - paid and token.balanceOf(stranger) == before + 10**9 - paid
    assert tx.events["RemainderWithdrawn"] == {"actionId": s.action, "to": stranger,
                                               "amount": 10**9 - paid}  # fmt: skip
    p = s.c.pool(s.action)
    assert (p["withdrawn"], p["closed"]) == (10**9 - paid, True) and s.c.available(s.action) == 0
    assert p["deposited"] == p["paid"] + p["withdrawn"]
    with brownie.reverts(err("PoolClosed", s.action)):
        s.c.withdrawRemainder(s.action, shedder, {"from": shedder})


def test_g17_withdraw__no_pool_or_no_action__reverts(shed):
    with brownie.reverts(err("PoolNotFunded", shed.action)):
        shed.c.withdrawRemainder(shed.action, shed.op, {"from": shed.op})
    with brownie.reverts(err("UnknownAction", 99)):
        shed.c.withdrawRemainder(99, shed.op, {"from": shed.op})


# ------------------------------------------------------------------ gas


def test_g17_gas__fund_and_claim(shed):
    """The cost of a first fund (a new pool, three slots) and of a claim (a proved 110-byte hourly
    record of a two-hour shed, one token transfer)."""
    fund = shed.fund(10**9)
    top_up = shed.fund(10**9)
    shed.post()
    shed.finalize()
    claim = shed.claim(shed.w.consumers[0])
    print(f"\nG-17 gas: fund {fund.gas_used}, top-up {top_up.gas_used}, claim {claim.gas_used}")
    # measured: fund 168,375, top-up 84,820, claim 130,226 (cancun build)
    assert fund.gas_used < 175_000 and top_up.gas_used < 90_000 and claim.gas_used < 140_000


# ------------------------------------------------------------------ G-17 many cases


@st.composite
def windows(draw: st.DrawFn) -> tuple[int, int]:
    """Local seconds (a, b) after D's midnight: mostly whole hours shifted into their intervals,
    some raw (crossing midnight, in D - 1, at midnight, shorter than an hour)."""
    if draw(st.integers(0, 3)) == 0:
        a = draw(st.integers(-2 * H, 23 * H))
        return a, a + draw(st.integers(1, 86_400))
    s = draw(st.integers(1, 23))
    e = draw(st.integers(s + 1, 24))
    early = draw(st.sampled_from([0, 1, H - 1, 1_800]))
    late = draw(st.sampled_from([0, 1, H - 1, 1_800])) if e < 24 else 0
    return s * H - early, e * H + late


@st.composite
def consumer_days(draw: st.DrawFn) -> tuple[list[int], int, list[int]]:
    """Any day's readings, the load before the shed, the shed intervals' readings as shares (per
    10,000) of the 5 % limit, and a nudge of -2..+2 Wh."""
    readings = draw(st.lists(st.integers(0, 50_000), min_size=24, max_size=24))
    pre = draw(st.integers(1, 40_000))
    shares = draw(st.lists(st.integers(0, 10_000), min_size=24, max_size=24))
    return readings, pre, [*shares, draw(st.integers(-2, 2))]


@settings(max_examples=8, derandomize=True, deadline=None)
@given(
    window=windows(),
    days=st.lists(consumer_days(), min_size=3, max_size=3),
    rate=st.integers(1, 10**9),
)
def test_g17_random_windows_and_readings__chain_equals_reference(shed, window, days, rate):
    """G-17: random windows (on and off interval edges, crossing days, at midnight) and readings
    around the 5 % limit: the contract refuses the windows the reference refuses and pays each
    consumer exactly the reference's amount, or refuses it NotShed when the reference does."""
    chain.snapshot()
    shed.book.batches.clear()
    try:
        a, b = window
        action = shed.completed(a, b)
        ws, we = shed.window(a, b)
        try:
            day, start, end = ref.shed_window(-480, 60, ws, we)
        except ref.ShedWindowError as e:
            name = type(e).__name__
            args = (action, ws, we) if name == "WindowCrossesDays" else (action,)
            with brownie.reverts(err(name, *args)):
                shed.fund(1, rate, action=action)
            return
        assert tuple(shed.c.shedWindow(action)) == (day, start, end)
        full: dict[int, list[int] | None] = {}
        pre: dict[int, int] = {}
        for k, (r, p, shares) in enumerate(days):
            r = list(r)
            r[start - 1] = pre[k + 1] = p
            limit = ref.shed_limit(p)
            for i in range(start, end):
                r[i] = limit * shares[i] // 10_000
            # consumer 1: the last shed interval nudged around its share; 2: exactly at the limit;
            # 3: just above it (so every valid example pays and refuses)
            nudge = (shares[-1], 0, 1 + abs(shares[-1]))[k]
            r[end - 1] = max(0, (r[end - 1] if k == 0 else limit) + nudge)
            full[k + 1] = r
        expected = {cid: ref.compensation(r or [], start, end, rate) for cid, r in full.items()}
        shed.fund(sum(e.amount for e in expected.values()) + 1, rate, action=action)
        shed.post(day=day, full=full)
        shed.finalize(day)
        for cid in (1, 2, 3):
            who, e = shed.w.consumers[cid - 1], expected[cid]
            if e.shed:
                assert shed.claim(who, action, day).return_value == e.amount
                continue
            r, p = full[cid] or [], pre[cid]
            limit = ref.shed_limit(p)
            over = [i for i in range(start, end) if r[i] > limit]
            args = (cid, p, over[0], r[over[0]], limit) if p else (cid, 0, start - 1, 0, 0)
            with brownie.reverts(err("NotShed", *args)):
                shed.claim(who, action, day)
        assert shed.c.available(action) == 1
    finally:
        chain.revert()
