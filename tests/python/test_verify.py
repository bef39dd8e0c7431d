"""`gridbalance verify` in-process against one deployed world (tests/python/cli_world.py):

* event 1 of program 1 (hourly region 1, import basis), 2027-03-24 17:00-19:00: consumer A with
  event-day data (a full reduction) but no record on 2027-03-16 (a gap), consumer B without an
  event-day record; the region's walk skips a holiday and another event's day;
* event 2 of program 2 (15-minute region 2, net basis, signed data), 17:15-18:45 the same day:
  consumer C (account 9) with meter-signed import and export records every day but one unsigned
  import record (a gap, S-10), whose reduction exceeds its commitment's cap.

The recomputation is compared with the keeper's reference (``Keeper.plan``), with what proof-carrying
settlement records and pays, and with optimistic roots: an honest one (MATCH) and one whose entry
overpays A, left unchallenged, finalized and paid (MISMATCH, exit 3). Reverted after each test.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from oracles.agents.keeper import Keeper, Planned
from oracles.indexer.verification import ChainRecord, Payment, Recomputed, compare
from oracles.protocol.bindings import ProgramParams
from oracles.protocol.enums import Basis, EventStatus
from oracles.reference import baseline as ref
from oracles.reference import meter_signing
from oracles.reference.meter_leaf import Channel, ConsumerDay, encode_batch
from oracles.reference.meter_signing import MeterDomain
from tests.python.cli_world import (
    ADMIN,
    EVENT_DAY,
    KEEPER,
    ORACLE,
    OUTSIDER,
    QUARTER,
    REGION,
    START,
    UNIT,
    UTILITY,
    A,
    B,
    World,
    build_world,
    create_event,
    day_number,
    enrolled_event,
    final_ts,
    local_ts,
    one_line,
    reading,
    run,
)

pytestmark = pytest.mark.xdist_group("verify")

HOLIDAY, OTHER_EVENT_DAY = date(2027, 3, 17), date(2027, 3, 18)
GAP_DAY = date(2027, 3, 16)  # A's record of this day is never posted
C = 9  # the 15-minute region's consumer (node account 9, consumer id 3)
C_METER_KEY = meter_signing.meter_key(11, 3)
QUARTER_WINDOW = (69, 75)  # 17:15-18:45 in 15-minute intervals
EXPORT_HOURS = range(
    40, 60
)  # 10:00-15:00: a little export (solar) each day, inside the adjustment window


def quarter_day(d: int, channel: Channel, event_day: bool) -> ConsumerDay:
    """C's day: 400 Wh imported each quarter hour, nothing in the event window of the event day;
    50 Wh exported each quarter hour 10:00-15:00, and 300 Wh at 17:30 of the event day (an export
    beyond the interval's import is worth nothing, N-1)."""
    if channel == Channel.IMPORT:
        lo, hi = QUARTER_WINDOW
        readings = tuple(0 if event_day and lo <= k < hi else 400 for k in range(96))
    else:
        readings = tuple(
            300 if event_day and k == 70 else 50 if k in EXPORT_HOURS else 0 for k in range(96)
        )
    return ConsumerDay(interval_minutes=15, channel=channel, consumer_id=3, region_id=QUARTER,
                       day=d, readings=readings)  # fmt: skip


def add_net_quarter_event(w: World) -> int:
    """Program 2 (net basis) in the 15-minute region, consumer C active there, event 2 on the
    event day 17:15-18:45 with C committing 1 kWh."""
    p, u = w.p, w.client(UTILITY)
    assert p.token is not None
    w.client(C).transact(p.consumers.functions.register(
        0, QUARTER, keccak(text="meter-C"), 5_000, 3, (0, 10, 2**24 - 1)), "register C")  # fmt: skip
    w.client(ADMIN).transact(
        p.consumers.functions.activate(w.accounts[C], b"\x01" * 32, b"\x02" * 32), "activate C"
    )
    key = meter_signing.address_of(C_METER_KEY)
    w.client(ADMIN).transact(p.consumers.functions.setMeterKey(w.accounts[C], key, 0), "meter key")
    budget = 1_000 * UNIT
    u.transact(p.token.functions.approve(p.escrow.address, budget), "approve")
    params = ProgramParams(token=p.token.address, base_rate=UNIT // 2, basis=Basis.Net,
                           signed_data=True)  # fmt: skip
    u.transact(p.programs.functions.createProgram(QUARTER, params.abi(), budget), "net program")
    lo, hi = QUARTER_WINDOW
    u.transact(
        p.requests.functions.createEvent(2, day_number(EVENT_DAY), lo, hi, 10_000, 0), "event 2"
    )
    w.client(C).transact(p.requests.functions.enroll(2, 1_000), "enroll C")
    return 2


def region_facts(w: World) -> None:
    """Region 1's walk has something to skip: a holiday on Wednesday 2027-03-17 and another event
    of program 1 on Thursday 2027-03-18 (event 3, nobody enrolled)."""
    w.client(ADMIN).transact(
        w.p.regions.functions.setHoliday(REGION, day_number(HOLIDAY), True), "holiday"
    )
    create_event(w, OTHER_EVENT_DAY)


def post_region_history(w: World) -> None:
    """Region 1's meter data from START+1 to the event day: A each day but GAP_DAY (its record is
    not posted: a gap, B-9), B each day but the event day; then the clock just after the event
    day (as cli_world.post_history)."""
    w.warp(local_ts(EVENT_DAY + timedelta(days=1), 0, 10))
    oracle = w.client(ORACLE)
    d = START + timedelta(days=1)
    while d <= EVENT_DAY:
        n, event_day = day_number(d), d == EVENT_DAY
        days = []
        if d != GAP_DAY:
            days.append(ConsumerDay(consumer_id=1, region_id=REGION, day=n,
                                    readings=tuple(reading(d, h, event_day) for h in range(24))))  # fmt: skip
        if not event_day:
            days.append(ConsumerDay(consumer_id=2, region_id=REGION, day=n, readings=(1_000,) * 24))
        oracle.transact(w.p.meter.functions.postBatch(REGION, n, encode_batch(days)), f"day {d}")
        d += timedelta(days=1)


def post_quarter_history(w: World) -> None:
    """C's records, signed by its meter (anyone relays them, M-7), but GAP_DAY's import record,
    which the oracle posts unsigned: in a signed-data program it counts as missing (S-10)."""
    oracle, meter = w.client(ORACLE), w.p.meter.functions
    domain = MeterDomain(chain_id=w.w3.eth.chain_id, meter_data=w.p.meter.address)
    d = START + timedelta(days=1)
    while d <= EVENT_DAY:
        n = day_number(d)
        for channel in (Channel.IMPORT, Channel.EXPORT):
            rec = quarter_day(n, channel, d == EVENT_DAY)
            if d == GAP_DAY and channel == Channel.IMPORT:
                oracle.transact(meter.postBatch(QUARTER, n, encode_batch([rec])), f"{d} unsigned")
            else:
                signed = meter_signing.sign_day(domain, C_METER_KEY, rec)
                oracle.transact(meter.postSignedBatch(QUARTER, n, encode_batch([signed])), f"{d}")
        d += timedelta(days=1)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for w in build_world(tmp_path_factory.mktemp("world")):
        enrolled_event(w)
        add_net_quarter_event(w)
        region_facts(w)
        post_region_history(w)
        post_quarter_history(w)
        w.take_snapshot()
        yield w


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def verify(
    w: World, capsys: pytest.CaptureFixture[str], who: int, event: int = 1
) -> tuple[int, dict[str, Any], str]:
    """``gridbalance verify`` as JSON and as text: its exit code, the JSON and the text."""
    argv = w.args("verify", "--event", str(event), "--consumer", w.accounts[who])
    code, out, err = run(capsys, [*argv, "--json"])
    assert err == ""
    text_code, text, _ = run(capsys, argv)
    assert text_code == code
    return code, json.loads(out), text


def settled(w: World, capsys: pytest.CaptureFixture[str], event: int = 1, batch: int = 0) -> None:
    code, out, _ = run(capsys, w.args("settle", "--event", str(event), "--batch", str(batch)))
    assert code == 0 and "every result matches the reference" in out


def planned(w: World, event: int = 1) -> dict[str, Planned]:
    """The keeper's reference for every live enrollment of the event (it makes the day final)."""
    plan, mismatches = Keeper(w.p, w.client(KEEPER)).plan(event)
    assert mismatches == 0
    return {x.account: x for x in plan}


def figures(v: dict[str, Any]) -> tuple[int, int, int, int]:
    s = v["recomputed"]["steps"]
    return s["baseline_wh"], s["actual_wh"], s["reduction_wh"], s["adjustment"]["ratio_bps"]


def test_verify__before_settlement__the_keepers_figures_not_settled_yet(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    reference = planned(w)[w.accounts[A]]
    assert reference.result is not None and reference.reward > 0
    code, v, text = verify(w, capsys, A)
    assert code == 0 and v["verdict"] == "NOT SETTLED"
    assert figures(v) == reference.result.as_tuple()
    assert v["recomputed"]["reward"] == reference.reward
    assert "not settled on chain yet" in text and text.rstrip().endswith("must record")
    chosen = [d["day"] for d in v["walk"] if d["chosen"]]
    assert chosen == v["chain"]["candidate_days"]  # the contract's own walk, the day being final
    assert len(chosen) == 10 and chosen[-1] == day_number(date(2027, 3, 8))
    # the walk names every day it skipped, and the chosen day without a record is a gap (B-9)
    skipped = {d["date"]: d["reason"] for d in v["walk"] if not d["chosen"]}
    assert skipped == {"2027-03-21": "weekend", "2027-03-20": "weekend",
                       "2027-03-18": "event day of the region", "2027-03-17": "holiday",
                       "2027-03-14": "weekend", "2027-03-13": "weekend"}  # fmt: skip
    gaps = {d["date"]: d["gap"] for d in v["walk"] if d["chosen"] and not d["usable"]}
    assert gaps == {GAP_DAY.isoformat(): "no import record posted"}
    r = v["recomputed"]
    assert r["gapped"] is True and r["baseline_days"] == 9
    assert r["steps"]["adjustment"]["why"] == "gap: cap floor (B-9)"
    assert r["steps"]["adjustment"]["ratio_bps"] == 10_000 - w.p.program(1).adj_cap_bps
    assert "2027-03-21 Sun  skipped  weekend" in text and "2027-03-17 Wed  skipped  holiday" in text
    assert "2027-03-16 Tue  chosen   GAP (no import record posted)" in text
    assert "17:00-18:00" in text and "18:00-19:00" in text


def test_verify__day_not_final__says_records_may_still_come(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, v, text = verify(w, capsys, A)
    assert code == 0 and v["verdict"] == "NOT SETTLED" and v["chain"]["candidate_days"] is None
    assert "the event day's meter data is not final: records may still be posted" in text
    assert v["recomputed"]["sufficient"] is True  # what is posted already settles


@pytest.mark.parametrize("batch", [0, 10], ids=["settle", "settleBatch"])
def test_verify__settled__match_with_the_settled_log_and_the_escrow_payment(
    w: World, capsys: pytest.CaptureFixture[str], batch: int
) -> None:
    w.warp(final_ts())
    reference = planned(w)[w.accounts[A]]
    settled(w, capsys, batch=batch)
    code, v, text = verify(w, capsys, A)
    assert code == 0 and v["verdict"] == "MATCH" and v["differences"] == []
    assert reference.result is not None
    chain = v["chain"]
    assert chain["path"] == "proof" and chain["sufficient"] is True
    assert (chain["baseline_wh"], chain["actual_wh"], chain["reduction_wh"],
            chain["adjustment_bps"]) == reference.result.as_tuple() == figures(v)  # fmt: skip
    assert chain["reward"] == chain["enrollment_paid"] == reference.reward
    assert [(x["amount"], x["pushed"]) for x in chain["payments"]] == [(reference.reward, True)]
    assert chain["baseline_days"] == v["recomputed"]["baseline_days"] == 9
    assert "MATCH: every figure the chain recorded and paid equals the recomputation" in text
    assert f"token transfer in tx {chain['tx_hash']}" in text


def test_verify__insufficient_data__match(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    w.warp(final_ts())
    settled(w, capsys)
    code, v, text = verify(w, capsys, B)
    assert code == 0 and v["verdict"] == "MATCH"
    r, chain = v["recomputed"], v["chain"]
    assert r["sufficient"] is False and r["steps"] is None and r["reward"] == 0
    assert chain["sufficient"] is False and chain["event_day_missing"] is True
    assert chain["enrollment_paid"] == 0 and chain["payments"] == []
    assert "NO USABLE RECORD (no import record posted)" in text


def test_verify__signed_net_program_on_15_minute_data__match_capped_at_the_commitment(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    reference = planned(w, 2)[w.accounts[C]]
    assert reference.result is not None
    settled(w, capsys, 2)
    code, v, text = verify(w, capsys, C, event=2)
    assert code == 0 and v["verdict"] == "MATCH"
    assert v["event"]["interval_minutes"] == 15 and v["event"]["basis"] == "Net"
    assert v["event"]["window"] == "17:15-18:45"
    assert figures(v) == reference.result.as_tuple()
    steps = v["recomputed"]["steps"]
    assert [x["interval"] for x in steps["intervals"]] == list(range(*QUARTER_WINDOW))
    # the export of 300 Wh at 17:30 is worth nothing: the event day's net use there is 0, not -300
    assert all(x["actual_wh"] == 0 for x in steps["intervals"])
    reward = steps["reward"]
    assert reward["payable_wh"] == reward["cap_wh"] < reward["reduction_wh"]  # B-7's cap applies
    e, prog = w.p.dr_event(2), w.p.program(2)
    assert (
        v["chain"]["reward"]
        == reference.reward
        == ref.reward(
            steps["reduction_wh"], 1_000, e.rate, prog.min_delivery_bps, prog.bonus_cap_bps
        )
    )
    assert steps["adjustment"]["start_interval"] == 53 and steps["adjustment"]["end_interval"] == 65
    assert "17:15-17:30" in text and "export batch" in text
    # S-10: the unsigned import record of GAP_DAY does not count: a gap, the ratio at the floor
    assert v["event"]["signed_data"] is True
    gaps = {d["date"]: d["gap"] for d in v["walk"] if d["chosen"] and not d["usable"]}
    assert gaps == {
        GAP_DAY.isoformat(): "import record not signed by the consumer's meter key (S-10)"
    }
    assert v["recomputed"]["baseline_days"] == v["chain"]["baseline_days"] == 9
    assert [x["baseline_wh"] for x in steps["intervals"]] == [9 * 400 // 10] * 6
    assert steps["adjustment"]["ratio_bps"] == 10_000 - prog.adj_cap_bps


def propose_and_pay(w: World, plan: list[Planned]) -> None:
    """A root of ``plan`` proposed by the keeper (given the role and tokens for its bond), left
    unchallenged, finalized after its window and paid."""
    p = w.p
    assert p.token is not None
    role = p.optimistic.functions.PROPOSER_ROLE().call()
    w.client(ADMIN).transact(p.optimistic.functions.grantRole(role, w.accounts[KEEPER]), "grant")
    w.client(ADMIN).transact(p.token.functions.mint(w.accounts[KEEPER], 100 * UNIT), "mint")
    keeper = Keeper(p, w.client(KEEPER))
    tree = keeper.propose_root(1, planned=plan)
    w.warp(int(p.root_record(1).challenge_ends) + 60)
    keeper.finalize_root(1)
    keeper.pay_root(tree)
    assert p.dr_event(1).status == EventStatus.RootSettled


def test_verify__optimistic_root__match_with_its_entry_and_payment(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    plan = planned(w)
    propose_and_pay(w, list(plan.values()))
    code, v, text = verify(w, capsys, A)
    assert code == 0 and v["verdict"] == "MATCH"
    chain = v["chain"]
    assert chain["path"] == "optimistic" and chain["claimed"] is True
    assert chain["root"] == "0x" + bytes(w.p.root_record(1).root).hex()
    assert (
        chain["reward"] == plan[w.accounts[A]].reward == sum(x["amount"] for x in chain["payments"])
    )
    assert "rebuilt from the postEntries calldata" in text


def test_verify__optimistic_root_that_overpaid__mismatch_exit_3(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """A wrong root nobody challenged is paid: the chain paid A more than the rules give."""
    w.warp(final_ts())
    plan = planned(w)
    honest = plan[w.accounts[A]]
    plan[w.accounts[A]] = replace(honest, reward=honest.reward + 1)
    propose_and_pay(w, list(plan.values()))
    code, v, text = verify(w, capsys, A)
    assert code == 3 and v["verdict"] == "MISMATCH"
    assert {(d["figure"], d["recomputed"], d["chain"]) for d in v["differences"]} == {
        ("reward", honest.reward, honest.reward + 1),
        ("payment", honest.reward, honest.reward + 1),
    }
    assert (
        text.rstrip()
        .splitlines()[-1]
        .startswith(f"MISMATCH: reward recomputed {honest.reward:,}, chain {honest.reward + 1:,}")
    )
    code, v, _ = verify(w, capsys, B)  # B's entry was honest
    assert code == 0 and v["verdict"] == "MATCH"


def test_compare__each_altered_chain_figure__named() -> None:
    steps_json = {
        "method": "10-in-10", "selected": [0, 1, 2, 3, 4], "intervals": [],
        "adjustment": {"start_interval": 13, "end_interval": 16, "baseline_wh": 3_000,
                       "actual_wh": 3_000, "raw_bps": 10_000, "cap_bps": 2_000,
                       "ratio_bps": 10_000, "why": "ratio"},
        "baseline_wh": 2_000, "actual_wh": 0, "reduction_wh": 2_000,
        "reward": {"reduction_wh": 2_000, "committed_wh": 2_000, "min_delivery_bps": 5_000,
                   "delivered": True, "bonus_cap_bps": 2_000, "cap_wh": 2_400,
                   "payable_wh": 2_000, "rate": 500_000, "reward": 1_000_000},
    }  # fmt: skip
    r = Recomputed.model_validate({
        "sufficient": True, "why_insufficient": None, "event_day_usable": True, "baseline_days": 5,
        "gapped": False, "steps": steps_json, "reward": 1_000_000, "verified_wh": 2_000,
        "committed_wh": 2_000,
    })  # fmt: skip
    good = ChainRecord(path="proof", status="settled", sufficient=True, baseline_wh=2_000,
                       actual_wh=0, reduction_wh=2_000, adjustment_bps=10_000, reward=1_000_000,
                       baseline_days=5, enrollment_paid=1_000_000,
                       payments=[Payment(amount=1_000_000, pushed=True, tx_hash="0x01")])  # fmt: skip
    assert compare(r, good) == []
    for field, figure in [("baseline_wh", "baseline Wh"), ("actual_wh", "actual Wh"),
                          ("reduction_wh", "reduction Wh"), ("adjustment_bps", "day-of adjustment bps"),
                          ("reward", "reward"), ("baseline_days", "baseline days with data"),
                          ("enrollment_paid", "enrollment paid")]:  # fmt: skip
        bad = good.model_copy(update={field: getattr(good, field) + 1})
        assert [d.figure for d in compare(r, bad)] == [figure]
    owed = [Payment(amount=999_999, pushed=False, tx_hash="0x01")]
    assert [d.figure for d in compare(r, good.model_copy(update={"payments": owed}))] == [
        "escrow payment"
    ]
    unpaid = compare(r, good.model_copy(update={"sufficient": False}))
    assert unpaid[0].figure == "outcome"
    assert (unpaid[0].recomputed, unpaid[0].chain) == (
        "paid (sufficient data)",
        "insufficient data",
    )
    entry = ChainRecord(path="optimistic", status="root entry 0", sufficient=True, reduction_wh=2_000,
                        reward=1_000_000, committed_wh=2_000, entry_index=0)  # fmt: skip
    assert compare(r, entry) == []
    assert [d.figure for d in compare(r, entry.model_copy(update={"committed_wh": 1_999}))] == [
        "committed Wh"
    ]
    absent = ChainRecord(path="optimistic", status="the root has no entry for this account")
    assert [(d.figure, d.chain) for d in compare(r, absent)] == [("root entry", "none")]
    unsettled = ChainRecord(path="none", status="not settled on chain yet")
    assert compare(r, unsettled) == []


def test_verify__bad_inputs__one_line(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, w.args("verify", "--event", "9", "--consumer", w.accounts[A]))
    assert code == 1 and one_line(err) and "event 9 does not exist (3 events on this chain)" in err
    code, _, err = run(capsys, w.args("verify", "--event", "1", "--consumer", w.accounts[OUTSIDER]))
    assert code == 1 and one_line(err) and "is not enrolled in event 1" in err
    later = create_event(w, EVENT_DAY + timedelta(days=6))  # a Tuesday, within 30 days
    w.client(A).transact(w.p.requests.functions.enroll(later, 1_000), "enroll A later")
    code, _, err = run(capsys, w.args("verify", "--event", str(later), "--consumer", w.accounts[A]))
    assert code == 1 and one_line(err)
    assert f"event {later} has not ended: it ends 2027-03-30 at 19:00 local time" in err
    assert local_ts(EVENT_DAY + timedelta(days=6), 19) > w.now()
    w.client(UTILITY).transact(
        w.p.requests.functions.cancelEvent(later), "cancel"
    )  # before its gate
    code, _, err = run(capsys, w.args("verify", "--event", str(later), "--consumer", w.accounts[A]))
    assert (
        code == 1 and one_line(err) and f"event {later} was withdrawn: nothing was settled" in err
    )


@pytest.mark.parametrize(
    "argv, message",
    [
        (["verify", "--consumer", "0x" + "11" * 20], "--event"),
        (["verify", "--event", "1"], "--consumer"),
        (["verify", "--event", "1", "--consumer", "0x12"], "not an address"),
        (["verify", "--event", "0", "--consumer", "0x" + "11" * 20], "out of range"),
    ],
)
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err


DOC = Path(__file__).resolve().parents[2] / "docs" / "verify.md"
HASHES = re.compile(r"0x[0-9a-f]{64}|0x[0-9a-f]{10}\.\.\.")


def check_doc_sample(name: str, out: str) -> None:
    """docs/verify.md's sample ``name`` is ``out`` (transaction hashes aside: they follow the
    wall clock); GRIDBALANCE_WRITE_DOCS=1 rewrites it."""
    mark = f"<!-- sample: {name} (tests/python/test_verify.py) -->\n```text\n"
    head, rest = DOC.read_text().split(mark)
    sample, tail = rest.split("```\n", 1)
    if os.environ.get("GRIDBALANCE_WRITE_DOCS") == "1":
        DOC.write_text(head + mark + out + "```\n" + tail)
        sample = out
    assert HASHES.sub("0x...", sample) == HASHES.sub("0x...", out)


def test_docs_samples__are_fresh_runs(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    w.warp(final_ts())
    settled(w, capsys)
    code, out, _ = run(capsys, w.args("verify", "--event", "1", "--consumer", w.accounts[A]))
    assert code == 0
    check_doc_sample("settled", out)
    w.revert()
    w.warp(final_ts())
    plan = planned(w)
    honest = plan[w.accounts[A]]
    plan[w.accounts[A]] = replace(honest, reward=honest.reward + 1)
    propose_and_pay(w, list(plan.values()))
    code, out, _ = run(capsys, w.args("verify", "--event", "1", "--consumer", w.accounts[A]))
    assert code == 3
    check_doc_sample("overpaid root", out[out.index("9. On chain") :])
