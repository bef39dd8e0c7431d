"""`gridbalance report --event N` (issue 24 item 1: the index serves the report) against a real
Anvil world: the demo's whole cycle (deploy, 14 days of history, a forecast-triggered event, keeper
enrollment, settlement) on a chain the test owns, then disputes on top. Every figure of the report
comes from the index; the test checks each against the chain's own state and the demo's outcomes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.chain.anvil import rpc_call, set_automine, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.cli.main import main
from oracles.cli.tokens import Token
from oracles.indexer.event_report import EventReport, event_report
from oracles.indexer.indexer import LogIndexer
from oracles.protocol.bindings import Enrollment
from oracles.protocol.contracts import Protocol
from oracles.protocol.manifest import Manifest
from oracles.sim import demo
from oracles.sim.context import PIPELINE, REGION_NAME, TIME_ZONE, DemoConfig

# one demo world per settlement mode, module-scoped: one pytest-xdist worker runs the module
pytestmark = pytest.mark.xdist_group("event_report")

ARBITER = 9  # the demo's arbiter account


@dataclass
class World:
    url: str
    w3: Web3
    p: Protocol
    manifest: Path
    report: dict[str, Any]  # the demo's own report of the run
    event_id: int
    accounts: list[str]  # every account enrolled in the event


def _world(tmp: Path, settlement: str) -> Iterator[World]:
    with start_anvil(accounts=10, gas_limit=PIPELINE * 2**24, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        cfg = DemoConfig(consumers=40, seed=11, out_dir=tmp, progress=False,
                         settlement=settlement)  # fmt: skip  # the demo test's size (~25 s)
        report = demo._cycle(cfg, w3, anvil.url, tmp, io.StringIO())
        set_automine(anvil.url, True)
        manifest = tmp / "deployment.json"
        p = Protocol.connect(w3, Manifest.load(manifest))
        event_id = int(report["event"]["id"])
        enrolled = p.requests.events.Enrolled.get_logs(
            from_block=0, argument_filters={"eventId": event_id}
        )
        accounts = sorted({str(x["args"]["account"]) for x in enrolled})
        yield World(anvil.url, w3, p, manifest, report, event_id, accounts)


@pytest.fixture(scope="module")
def proof_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(tmp_path_factory.mktemp("proof"), "proof")


@pytest.fixture(scope="module")
def optimistic_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from _world(tmp_path_factory.mktemp("optimistic"), "optimistic")


def _args(w: World, index: Path, *more: str) -> list[str]:
    return ["report", "--event", str(w.event_id), "--rpc", w.url, "--manifest", str(w.manifest),
            "--index", str(index), *more]  # fmt: skip


def _json_report(w: World, index: Path, capsys: pytest.CaptureFixture[str]) -> EventReport:
    assert main(_args(w, index, "--json")) == 0
    return EventReport.model_validate_json(capsys.readouterr().out)


def _enrollments(w: World) -> list[Enrollment]:
    return [
        Enrollment.model_validate(w.p.requests.functions.enrollment(w.event_id, a).call())
        for a in w.accounts
    ]


def _demo_reduction_wh(w: World) -> int:
    """The demo's verified reduction (the keeper's reference outcomes), kWh to 3 decimals = Wh."""
    return round(sum(row["verified_kwh"] for row in w.report["by_class"].values()) * 1_000)


def test_report__proof_settled_event__every_figure_agrees_with_the_chain(
    proof_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = proof_world
    r = _json_report(w, tmp_path / "index.sqlite", capsys)
    event = w.p.dr_event(w.event_id)
    ev = w.report["event"]
    assert (r.event_id, r.program_id, r.region_id, r.day) == (
        w.event_id, event.program_id, event.region_id, event.day,
    )  # fmt: skip
    assert r.region_name == REGION_NAME and r.triggered and r.status == "settled"
    assert (r.window.label, r.window.interval_minutes) == (ev["window"], ev["interval_minutes"])
    assert (r.window.start_interval, r.window.end_interval) == (
        event.start_interval, event.end_interval,
    )  # fmt: skip
    assert r.window.starts_at is not None and r.window.starts_at.endswith("-08:00")
    # the demo region's zone, from its indexed TimeZoneSet; the local window names the date
    assert r.window.time_zone == TIME_ZONE and r.window.local == w.report["event"]["local_window"]
    assert r.window.local is not None and r.window.local.startswith(r.date)
    assert (r.tier, r.rate, r.target_wh) == (event.tier.name.lower(), event.rate, event.target_wh)
    assert r.enrollments.enrolled == event.enrolled == len(w.accounts) > 0
    assert r.enrollments.committed_wh == event.committed_wh
    assert r.enrollments.by_keeper == w.report["enrollment"]["by_keeper"]
    s = r.settlement
    assert s.settled + s.insufficient_data == event.settled == event.enrolled and s.unsettled == 0
    assert s.reduction_wh == _demo_reduction_wh(w) > 0
    paid = sum(e.paid for e in _enrollments(w))
    assert s.rewards == paid > 0 and r.rewards_paid == paid
    assert r.optimistic is None
    assert r.disputes.opened == 0
    assert r.indexed_through == w.w3.eth.block_number


def test_report__text__names_the_figures(
    proof_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    index = tmp_path / "index.sqlite"
    r = _json_report(proof_world, index, capsys)
    assert main(_args(proof_world, index)) == 0
    text = capsys.readouterr().out
    assert text.startswith(
        f"event {r.event_id}: program {r.program_id}, region 1 ({REGION_NAME}), settled\n"
    )
    assert f"window     {r.window.local} (60-minute intervals" in text
    assert f"{r.window.start_interval}..{r.window.end_interval} of {r.date})" in text
    assert f"enrolled   {r.enrollments.enrolled} ({r.enrollments.by_keeper} by the keeper)" in text
    assert f"reduction {r.settlement.reduction_wh:,} Wh" in text
    # amounts in the program's token as the other commands print them (JSON: base units)
    token = Token.at(proof_world.w3, proof_world.p.program(r.program_id).token)
    assert f"paid       {token.text(r.rewards_paid)} (rewards, claims and adjustments)" in text
    assert f"rewards {token.text(r.settlement.rewards)}" in text and token.symbol == "mUSD"
    assert f"indexed to block {r.indexed_through}; every figure from indexed logs" in text


def test_report__disputes_after_settlement__the_next_report_catches_up_the_index(
    proof_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """D-1..D-3: two consumers dispute; the report run after each step syncs the index first and
    shows them pending, then one upheld with its adjustment (paid, so counted in the total) and one
    rejected."""
    w = proof_world
    index = tmp_path / "index.sqlite"
    before = _json_report(w, index, capsys)
    rpc_call(w.url, "anvil_autoImpersonateAccount", [True])
    first, second = w.accounts[:2]
    for account in (first, second):
        ChainClient(w.w3, NodeSigner(account)).transact(
            w.p.disputes.functions.openDispute(w.event_id, keccak(text=f"evidence {account}")),
            "openDispute",
        )
    opened = _json_report(w, index, capsys)
    assert (opened.disputes.opened, opened.disputes.pending) == (2, 2)
    assert opened.indexed_through == w.w3.eth.block_number > before.indexed_through
    arbiter = ChainClient(w.w3, NodeSigner(w.w3.eth.accounts[ARBITER]))
    e = Enrollment.model_validate(w.p.requests.functions.enrollment(w.event_id, first).call())
    adjustment = max(1, (e.reserved - e.paid) // 2)
    arbiter.transact(
        w.p.disputes.functions.upholdDispute(w.event_id, first, adjustment), "upholdDispute"
    )
    arbiter.transact(w.p.disputes.functions.rejectDispute(w.event_id, second), "rejectDispute")
    ruled = _json_report(w, index, capsys)
    assert ruled.disputes.model_dump() == {
        "opened": 2, "upheld": 1, "rejected": 1, "pending": 0, "adjustments": adjustment,
    }  # fmt: skip
    assert ruled.rewards_paid == before.rewards_paid + adjustment
    assert ruled.settlement == before.settlement  # a ruling changes no settled result


def test_report__index_held_by_a_running_daemon__read_as_it_is(
    proof_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = proof_world
    index = tmp_path / "index.sqlite"
    holder = LogIndexer(w.p, index)  # what a keeper --watch on this file holds
    try:
        holder.sync()
        expected = event_report(holder.view, w.event_id, holder.last_block())
        assert main(_args(w, index, "--json")) == 0
        got = EventReport.model_validate_json(capsys.readouterr().out)
        assert got == expected
        assert main(_args(w, index)) == 0
        assert f"indexed to block {holder.last_block()} by the daemon holding it" in (
            capsys.readouterr().out
        )
    finally:
        holder.close()


def test_report__an_index_from_before_the_report__read_again_once(
    proof_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index file that kept fewer logs (no disputes, regions or claims: an earlier version) is
    emptied and read again from the deployment's block, so the report sees the whole history."""
    w = proof_world
    index = tmp_path / "index.sqlite"
    fresh = _json_report(w, tmp_path / "fresh.sqlite", capsys)
    ix = LogIndexer(w.p, index)
    ix.sync()
    old = [a for a in ix.store.meta("identity").split(":")[1].split(",")  # type: ignore[union-attr]
           if a not in (w.p.disputes.address, w.p.regions.address)]  # fmt: skip
    ix.store.set_meta("identity", f"{w.w3.eth.chain_id}:{','.join(old)}")
    ix.store.db.execute("DELETE FROM meta WHERE key='watched'")
    ix.store.db.execute(
        "DELETE FROM logs WHERE name IN ('RegionAdded', 'DisputeOpened', 'DisputeResolved')"
    )
    ix.close()
    again = _json_report(w, index, capsys)
    assert again.model_dump(exclude={"indexed_through"}) == fresh.model_dump(
        exclude={"indexed_through"}
    )
    assert again.region_name == REGION_NAME


def test_report__optimistic_settlement__root_and_claims_from_the_index(
    optimistic_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """O-3..O-8: one root of every result, finalized and paid out in batches: the report shows the
    root's entries and total, what the claims paid, and no proof-carrying results."""
    w = optimistic_world
    r = _json_report(w, tmp_path / "index.sqlite", capsys)
    event = w.p.dr_event(w.event_id)
    assert r.status == "root paid" and r.enrollments.enrolled == event.enrolled > 0
    assert r.settlement.settled == r.settlement.insufficient_data == 0
    o = r.optimistic
    assert o is not None and (o.proposals, o.voided, o.expired, o.finalized) == (1, 0, 0, True)
    assert o.entries == event.enrolled
    root = json.loads((w.manifest.parent / "root.json").read_text())
    total = sum(int(x["reward"]) for x in root["entries"])
    assert o.total == o.paid_to_settlement == total > 0
    paid = sum(int(x["reward"]) for x in root["entries"] if int(x["reward"]) > 0)
    assert o.claimed == r.rewards_paid == paid
    balances = sum(w.p.token.functions.balanceOf(a).call() for a in w.accounts)  # type: ignore[union-attr]
    assert balances == paid


def test_report__errors__one_line(
    proof_world: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    w = proof_world
    args = _args(w, tmp_path / "index.sqlite")
    args[args.index("--event") + 1] = "999"
    assert main(args) == 1
    err = capsys.readouterr().err
    assert (
        err.startswith("gridbalance: error: event 999 is not in the index ")
        and err.count("\n") == 1
    )
    assert main(["report"]) == 1
    assert "give a demo run folder, or --event N" in capsys.readouterr().err
    assert main(["report", str(tmp_path / "nothing")]) == 1
    assert "no report here" in capsys.readouterr().err
