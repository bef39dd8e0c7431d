"""The shared log indexer against a real Anvil: it stores what the chain logged, resumes from its
checkpoint (never again from block 0), halves a block range the node refuses, undoes what a reorg
took back, and serves the meter oracle's reconciliation."""

from __future__ import annotations

from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from web3 import HTTPProvider, Web3
from web3.types import RPCEndpoint, RPCResponse

from oracles.chain.anvil import rpc_call
from oracles.indexer.indexer import LogIndexer
from oracles.indexer.ranges import RangeRefused
from oracles.indexer.store import IndexerError
from oracles.protocol.contracts import Protocol
from oracles.protocol.meter_batches import day_batches
from tests.python.meter_chain import REGION, Chain, oracle_for, outbox_counts, records

pytestmark = pytest.mark.xdist_group("meter_chain")


class Recording(HTTPProvider):
    """A node that refuses ``eth_getLogs`` over more than ``limit`` blocks (as hosted RPCs do) and
    records the (from, to) of every ``eth_getLogs`` it is asked."""

    def __init__(self, url: str, limit: int | None = None) -> None:
        super().__init__(url)
        self.limit = limit
        self.asked: list[tuple[int, int]] = []

    def make_request(self, method: RPCEndpoint, params: Any) -> RPCResponse:
        if method == "eth_getLogs":
            span = (int(params[0]["fromBlock"], 16), int(params[0]["toBlock"], 16))
            self.asked.append(span)
            if self.limit is not None and span[1] - span[0] + 1 > self.limit:
                return {"jsonrpc": "2.0", "id": 1,
                        "error": {"code": -32602, "message": f"block range over {self.limit}"}}  # fmt: skip
        return super().make_request(method, params)


def protocol_via(c: Chain, provider: Recording) -> Protocol:
    return Protocol.connect(Web3(provider), c.p.manifest)


def indexed_batches(ix: LogIndexer, day: int) -> list[tuple[int, str]]:
    return [(int(e["args"]["batchIndex"]), "0x" + bytes(e["transactionHash"]).hex())
            for e in ix.view.batch_logs(REGION, day)]  # fmt: skip


def chain_batches(c: Chain) -> list[tuple[int, str]]:
    return [(b.index, b.tx_hash) for b in day_batches(c.p.meter, REGION, c.day)]


def post(c: Chain, tmp_path: Path, ids: range, name: str = "o.sqlite") -> None:
    oracle = oracle_for(c, tmp_path / name, batch_size=2)
    oracle.enqueue(records(c.day, ids))
    oracle.flush()


def test_sync__stores_logs_and_resumes_from_its_checkpoint(fresh: Chain, tmp_path: Path) -> None:
    provider = Recording(fresh.anvil.url)
    ix = LogIndexer(protocol_via(fresh, provider), tmp_path / "index.sqlite")
    first = ix.sync()
    deployed = min(x.block for x in fresh.p.manifest.contracts.values())
    assert first.first == deployed  # the first run starts at the deployment, not at block 0
    assert first.last == fresh.w3.eth.block_number
    assert ix.view.activated_accounts() == [
        e["args"]["account"]
        for e in fresh.p.consumers.events.ConsumerActivated.get_logs(from_block=0)
    ]
    post(fresh, tmp_path, range(1, 6))
    provider.asked.clear()
    second = ix.sync()
    assert second.first == first.last + 1
    assert min(a for a, _ in provider.asked) == first.last + 1
    assert indexed_batches(ix, fresh.day) == chain_batches(fresh)
    assert len(indexed_batches(ix, fresh.day)) == 3  # 5 consumer-days, 2 a batch
    ix.close()
    # a new process opens the same database: it continues after the checkpoint
    again = LogIndexer(protocol_via(fresh, provider), tmp_path / "index.sqlite")
    provider.asked.clear()
    third = again.sync()
    assert third.first == second.last + 1 and third.logs == 0
    assert all(a > first.last for a, _ in provider.asked)
    assert indexed_batches(again, fresh.day) == chain_batches(fresh)


def test_sync__halves_a_range_the_node_refuses(fresh: Chain, tmp_path: Path) -> None:
    post(fresh, tmp_path, range(1, 7))
    provider = Recording(fresh.anvil.url, limit=4)
    ix = LogIndexer(protocol_via(fresh, provider), tmp_path / "index.sqlite", max_range=64)
    stats = ix.sync()
    assert stats.last == fresh.w3.eth.block_number
    assert ix.reader.refusals >= 1
    served = [(a, b) for a, b in provider.asked if b - a + 1 <= 4]
    covered = sorted(served)
    assert covered[0][0] == stats.first and covered[-1][1] == stats.last
    assert all(x[1] + 1 == y[0] for x, y in pairwise(covered))
    assert indexed_batches(ix, fresh.day) == chain_batches(fresh)


def test_sync__a_node_that_refuses_one_block__is_an_error(fresh: Chain, tmp_path: Path) -> None:
    provider = Recording(fresh.anvil.url, limit=0)
    ix = LogIndexer(protocol_via(fresh, provider), tmp_path / "index.sqlite")
    with pytest.raises(RangeRefused, match="refused block"):
        ix.sync()


def test_sync__undoes_what_a_reorg_took_back(fresh: Chain, tmp_path: Path) -> None:
    ix = LogIndexer(fresh.p, tmp_path / "index.sqlite", reorg_depth=8)
    post(fresh, tmp_path, range(1, 3), "a.sqlite")  # one batch
    ix.sync()
    before = fresh.w3.eth.block_number
    post(fresh, tmp_path, range(3, 7), "b.sqlite")  # two more batches, in the next blocks
    ix.sync()
    assert len(indexed_batches(ix, fresh.day)) == 3
    taken = fresh.w3.eth.block_number - before
    rpc_call(fresh.anvil.url, "anvil_reorg", [taken, []])  # the two batches' blocks replaced
    stats = ix.sync()
    assert stats.reorg and stats.reorg_undone == 2
    assert ix.reorgs == 1
    assert indexed_batches(ix, fresh.day) == chain_batches(fresh)
    assert len(chain_batches(fresh)) == 1
    # the next pass sees no reorg and nothing new
    assert not ix.sync().reorg and ix.reorgs == 1


def test_sync__a_reorg_deeper_than_the_depth__is_an_error(fresh: Chain, tmp_path: Path) -> None:
    ix = LogIndexer(fresh.p, tmp_path / "index.sqlite", reorg_depth=2)
    post(fresh, tmp_path, range(1, 7))
    ix.sync()
    rpc_call(fresh.anvil.url, "anvil_reorg", [3, []])
    with pytest.raises(IndexerError, match="deeper than the index's depth"):
        ix.sync()


def test_index__for_another_deployment__is_refused(fresh: Chain, tmp_path: Path) -> None:
    LogIndexer(fresh.p, tmp_path / "index.sqlite").close()
    from oracles.indexer.store import Store

    with pytest.raises(IndexerError, match="another chain"):
        Store(tmp_path / "index.sqlite", 999, "0xabc")


def test_meter_oracle__reconciles_from_the_index(fresh: Chain, tmp_path: Path) -> None:
    """A daemon that died after its batches mined but before it recorded them: the index, not a
    read from block 0, shows the chain has them."""
    post(fresh, tmp_path, range(1, 5), "first.sqlite")
    provider = Recording(fresh.anvil.url)
    p = protocol_via(fresh, provider)
    ix = LogIndexer(p, tmp_path / "index.sqlite")
    ix.sync()
    oracle = oracle_for(fresh, tmp_path / "second.sqlite", batch_size=2)
    oracle.index = ix
    oracle.enqueue(records(fresh.day, range(1, 7)))  # 1..4 already on chain
    provider.asked.clear()
    stats = oracle.flush()
    assert stats.confirmed_by_reconcile == 4 and stats.consumer_days == 2
    assert outbox_counts(tmp_path / "second.sqlite")["confirmed"] == 6
    assert sorted(
        r.consumer_id for b in day_batches(fresh.p.meter, REGION, fresh.day) for r in b.records
    ) == list(range(1, 7))
    assert all(a > 0 for a, _ in provider.asked)


def test_index__a_path_that_is_no_database__is_a_one_line_error(
    fresh: Chain, tmp_path: Path
) -> None:
    bad = tmp_path / "not.sqlite"
    bad.write_text("not a database")
    with pytest.raises(IndexerError, match="cannot be used as the log index"):
        LogIndexer(fresh.p, bad)


def test_one_index_file_one_daemon__a_second_is_refused__own_files_agree(
    fresh: Chain, tmp_path: Path
) -> None:
    """The rule (README "Running the daemons"): each daemon keeps its own index file. A second
    indexer on a file in use is refused with one line; once the first closes (or its process dies)
    the file opens again; two daemons with their own files index the same chain alike."""
    shared = tmp_path / "index.sqlite"
    first = LogIndexer(fresh.p, shared)
    with pytest.raises(IndexerError, match="in use by another daemon; give each daemon its own"):
        LogIndexer(fresh.p, shared)
    post(fresh, tmp_path, range(1, 4))
    mine = LogIndexer(fresh.p, tmp_path / "keeper-index.sqlite")
    first.sync()
    mine.sync()
    assert first.last_block() == mine.last_block() == fresh.w3.eth.block_number
    assert first.view.counts() == mine.view.counts()
    assert (
        indexed_batches(first, fresh.day)
        == indexed_batches(mine, fresh.day)
        == chain_batches(fresh)
    )
    first.close()
    again = LogIndexer(fresh.p, shared)  # free once its daemon closed it
    assert again.last_block() == mine.last_block()
    again.close()
    mine.close()


def test_cli__index_in_use__one_line_error(
    fresh: Chain, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from oracles.cli.main import main

    manifest = tmp_path / "manifest.json"
    fresh.p.manifest.save(manifest)
    held = LogIndexer(fresh.p, tmp_path / "index.sqlite")  # a running daemon's index
    try:
        code = main(["keeper", "--rpc", fresh.anvil.url, "--manifest", str(manifest),
                     "--account", "0", "--index", str(tmp_path / "index.sqlite")])  # fmt: skip
    finally:
        held.close()
    assert code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "in use by another daemon" in err
