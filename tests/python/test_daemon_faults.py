"""Issue 6 item 4: the meter oracle under faults (SPEC D-1..D-3), against real Anvil nodes.

Each test ends with the same three checks: every consumer-day is on chain exactly once, in id order
(``dayInfo`` counts the batches, so nothing was posted twice); the outbox confirms every row; and
the oracle account's nonces have no gap (its mined count grew by exactly the transactions sent,
and nothing of it waits in the pool). The kill -9 case is in ``test_meter_oracle``.
"""

from __future__ import annotations

import dataclasses
import gzip
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from oracles.agents.meter_oracle import FlushStats
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import rpc_call, set_time, start_anvil
from oracles.chain.rpc import connect
from oracles.protocol.contracts import Protocol
from tests.python.meter_chain import (
    REGION,
    Chain,
    N,
    daemon_args,
    on_chain_ids,
    oracle_for,
    outbox_counts,
    records,
)

GWEI = 10**9
# the module's tests share one deployed chain (meter_chain.chain): one pytest-xdist worker runs
# them all (`make test-python`, --dist loadgroup), rather than each worker deploying its own
pytestmark = pytest.mark.xdist_group("daemon_faults")


def _until(what: str, ready: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _nonce(c: Chain) -> int:
    return int(str(rpc_call(c.anvil.url, "eth_getTransactionCount", [c.oracle, "latest"])), 16)


def _hashes(db: Path, status: str | None = None) -> set[str]:
    """The transaction hashes the outbox records (for rows in ``status``)."""
    outbox = Outbox(db)
    try:
        rows = outbox.db.execute(
            "SELECT DISTINCT tx_hash FROM meter WHERE tx_hash IS NOT NULL AND status = coalesce(?, status)",
            (status,),
        ).fetchall()
        return {str(t) for (t,) in rows}
    finally:
        outbox.close()


def _assert_exactly_once_without_gap(
    c: Chain, db: Path, batches: int, txs: int, nonce0: int
) -> None:
    assert on_chain_ids(c) == list(range(1, N + 1))
    assert tuple(c.p.meter.functions.dayInfo(REGION, c.day).call()) == (batches, N, N)
    assert outbox_counts(db) == {"pending": 0, "sent": 0, "confirmed": N}
    assert _nonce(c) == nonce0 + txs
    pool = rpc_call(c.anvil.url, "txpool_status")
    assert pool == {"pending": "0x0", "queued": "0x0"}, pool


@contextmanager
def _flushing(c: Chain, db: Path, replace_after: float = 90.0) -> Iterator[Future[FlushStats]]:
    """Queue the fixture's N consumer-days, then flush them in one batch on a thread of its own
    (SQLite connections stay on their thread) while the test plays the chain."""

    def flush() -> FlushStats:
        oracle = oracle_for(c, db, batch_size=N)
        oracle.client.replace_after = replace_after
        return oracle.flush()

    oracle_for(c, db).enqueue(records(c.day, range(1, N + 1)))
    with ThreadPoolExecutor(max_workers=1) as pool:
        yield pool.submit(flush)


def _mine_until_done(c: Chain, future: Future[FlushStats]) -> FlushStats:
    """Automine back on, and mine whatever the daemon queued before it was."""
    rpc_call(c.anvil.url, "evm_setAutomine", [True])
    deadline = time.monotonic() + 60
    while not future.done():
        assert time.monotonic() < deadline, "the daemon did not finish"
        rpc_call(c.anvil.url, "evm_mine")
        time.sleep(0.1)
    return future.result()


def _resume_clock(url: str) -> None:
    """A node started from a saved state mines at the wall clock; the fixture's clock runs ahead
    (its day has ended, M-1). Mine one block just after the saved one, so the clock goes on from
    there."""
    latest = rpc_call(url, "eth_getBlockByNumber", ["latest", False])
    assert isinstance(latest, dict)
    set_time(url, int(latest["timestamp"], 16) + 1)


@contextmanager
def _port_held(host: str, port: int) -> Iterator[None]:
    """Keep a stopped node's port: bound but not listening, so a connection is refused exactly as
    with nothing there, and no other test's Anvil (pytest-xdist runs several) is given the port
    before the node starts on it again."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # the node's TIME_WAIT sockets
        s.bind((host, port))
        yield


@pytest.fixture
def paused(fresh: Chain) -> Iterator[Chain]:
    """The chain with automine off (a transaction waits in the pool until the test mines)."""
    rpc_call(fresh.anvil.url, "evm_setAutomine", [False])
    try:
        yield fresh
    finally:
        rpc_call(fresh.anvil.url, "evm_setAutomine", [True])


def test_node_down_30s_then_back_on_its_port__daemon_retries_and_resumes_without_gap(
    fresh: Chain, tmp_path: Path
) -> None:
    """D-1. The daemon (its own process, 2 consumer-days per batch) has batch 1 mined and batch 2
    in the pool when the node stops (SIGTERM, state saved). 30 s later the node starts again on
    the same port from its saved state, without its pool. The daemon, which kept retrying with
    backoff, sends batch 2 again with the same nonce, then batch 3, and exits 0."""
    state = tmp_path / "state.json"
    dumped = str(rpc_call(fresh.anvil.url, "anvil_dumpState"))
    state.write_bytes(gzip.decompress(bytes.fromhex(dumped[2:])))
    node_args = {
        "accounts": 4,
        "gas_limit": 30_000_000,
        "base_fee": 0,
        "extra_args": ["--state", str(state)],
    }
    node = start_anvil(**node_args)  # type: ignore[arg-type]
    _resume_clock(node.url)
    w3 = connect(node.url)
    c = dataclasses.replace(fresh, anvil=node, w3=w3, p=Protocol.connect(w3, fresh.p.manifest))
    nonce0, db = _nonce(c), tmp_path / "o.sqlite"
    rpc_call(node.url, "evm_setAutomine", [False])
    daemon = subprocess.Popen(
        daemon_args(c, tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:

        def outbox_is(counts: dict[str, int]) -> bool:
            assert daemon.poll() is None, daemon.communicate()
            return db.exists() and outbox_counts(db) == counts

        _until("batch 1 sent", lambda: outbox_is({"pending": 4, "sent": 2, "confirmed": 0}))
        rpc_call(node.url, "evm_mine")
        _until("batch 2 sent", lambda: outbox_is({"pending": 2, "sent": 2, "confirmed": 2}))
        node.stop()
        with _port_held(node.host, node.port):
            time.sleep(30)
            assert daemon.poll() is None, "the daemon gave up while the node was down"
        node_args["extra_args"].append("--no-mining")  # type: ignore[union-attr]
        with start_anvil(port=node.port, **node_args) as restarted:  # type: ignore[arg-type]
            _resume_clock(restarted.url)
            rpc_call(restarted.url, "evm_setAutomine", [True])
            out, err = daemon.communicate(timeout=180)
            assert daemon.returncode == 0, err
            assert "RPC error (ConnectionError), retry" in err  # one line per retry, backing off
            assert "dropped by the node; sent again" in err  # batch 2 was lost with the pool
            assert "posted 6 in 3 batches" in out
            c = dataclasses.replace(c, anvil=restarted)
            _assert_exactly_once_without_gap(c, db, batches=3, txs=3, nonce0=nonce0)
    finally:
        if daemon.poll() is None:
            daemon.kill()
            daemon.communicate()
        node.stop()


def test_stuck_transaction__replaced_with_higher_fees_same_nonce__mined_once(
    paused: Chain, tmp_path: Path
) -> None:
    """D-2. The batch waits in the pool past ``replace_after``: the daemon sends it again with the
    same nonce and fees +12.5 %, and records the new hash. Only the replacement mines."""
    db, nonce0 = tmp_path / "o.sqlite", _nonce(paused)
    with _flushing(paused, db, replace_after=0.5) as future:
        _until("the batch sent", lambda: len(_hashes(db, "sent")) == 1)
        (first,) = _hashes(db, "sent")
        old = paused.w3.eth.get_transaction(first)  # type: ignore[arg-type]  # (gone once replaced)
        _until("the replacement recorded", lambda: _hashes(db, "sent") not in (set(), {first}))
        (second,) = _hashes(db, "sent")
        stats = _mine_until_done(paused, future)
    assert (stats.batches, stats.replaced, stats.requeued) == (1, 0, 0)
    new = paused.w3.eth.get_transaction(second)  # type: ignore[arg-type]
    assert new["nonce"] == old["nonce"] == nonce0 and new["input"] == old["input"]
    assert new["maxFeePerGas"] >= old["maxFeePerGas"] * 1.125
    assert paused.w3.eth.get_transaction_receipt(second)["status"] == 1  # type: ignore[arg-type]
    assert rpc_call(paused.anvil.url, "eth_getTransactionReceipt", [first]) is None
    _assert_exactly_once_without_gap(paused, db, batches=1, txs=1, nonce0=nonce0)
    assert _hashes(db) == {second}


@pytest.mark.parametrize("how", ["dropped from the pool", "evicted by a base-fee spike"])
def test_transaction_the_node_forgot__sent_again_same_nonce__mined_once(
    paused: Chain, tmp_path: Path, how: str
) -> None:
    """D-2. The node forgets the batch: the daemon sends it again with the same nonce, with fees
    raised to the chain's current ones if those went up (then it is a new hash). Anvil evicts a
    transaction that cannot pay a mined block's base fee; geth would keep it, and then the
    stuck-transaction path replaces it."""
    db, nonce0 = tmp_path / "o.sqlite", _nonce(paused)
    with _flushing(paused, db) as future:
        _until("the batch sent", lambda: len(_hashes(db, "sent")) == 1)
        (first,) = _hashes(db, "sent")
        old = paused.w3.eth.get_transaction(first)  # type: ignore[arg-type]
        if how == "dropped from the pool":
            rpc_call(paused.anvil.url, "anvil_dropTransaction", [first])
        else:  # a block whose base fee the batch cannot pay: Anvil evicts it
            rpc_call(paused.anvil.url, "anvil_setNextBlockBaseFeePerGas", [hex(5 * GWEI)])
            rpc_call(paused.anvil.url, "evm_mine")
        assert rpc_call(paused.anvil.url, "eth_getTransactionByHash", [first]) is None
        stats = _mine_until_done(paused, future)
    assert stats.batches == 1
    (mined,) = _hashes(db)
    tx = paused.w3.eth.get_transaction(mined)  # type: ignore[arg-type]
    assert tx["nonce"] == nonce0
    if how == "dropped from the pool":
        assert mined == first  # the very same transaction again
    else:
        # priced again from the chain's fees (the spike decays 12.5 % a block)
        assert mined != first and tx["maxFeePerGas"] > old["maxFeePerGas"]
    _assert_exactly_once_without_gap(paused, db, batches=1, txs=1, nonce0=nonce0)


def test_transaction_replaced_by_another__rows_queued_again__posted_once_no_nonce_gap(
    paused: Chain, tmp_path: Path
) -> None:
    """D-2. Someone with the oracle's key replaces the pending batch (same nonce, higher fee, a
    0-value transfer to itself). The daemon sees the nonce taken, queues the rows again and
    posts them with the next nonce."""
    db, nonce0 = tmp_path / "o.sqlite", _nonce(paused)
    with _flushing(paused, db) as future:
        _until("the batch sent", lambda: len(_hashes(db, "sent")) == 1)
        (first,) = _hashes(db, "sent")
        cancel = rpc_call(paused.anvil.url, "eth_sendTransaction", [{
            "from": paused.oracle, "to": paused.oracle, "value": "0x0", "nonce": hex(nonce0),
            "maxFeePerGas": hex(10 * GWEI), "maxPriorityFeePerGas": hex(5 * GWEI),
        }])  # fmt: skip
        rpc_call(paused.anvil.url, "evm_mine")
        assert paused.w3.eth.get_transaction_receipt(cancel)["status"] == 1  # type: ignore[arg-type]
        stats = _mine_until_done(paused, future)
    assert (stats.replaced, stats.batches) == (1, 1)
    assert rpc_call(paused.anvil.url, "eth_getTransactionReceipt", [first]) is None
    (mined,) = _hashes(db)
    assert paused.w3.eth.get_transaction(mined)["nonce"] == nonce0 + 1  # type: ignore[arg-type]
    _assert_exactly_once_without_gap(paused, db, batches=1, txs=2, nonce0=nonce0)


def test_reorg__batches_count_after_n_confirmations__reorged_ones_sent_again(
    fresh: Chain, tmp_path: Path
) -> None:
    """D-3, with 3 confirmations. Three batches mine in three blocks: only the first is 3 deep, so
    only its rows count. A 2-block reorg (``anvil_reorg``) takes the other two away; the next pass
    finds their transactions gone, queues the rows again, resyncs the nonce and posts them again.
    They count once 2 more blocks are on top."""
    db = tmp_path / "o.sqlite"
    oracle = oracle_for(fresh, db, batch_size=2)
    oracle.confirmations = 3
    oracle.enqueue(records(fresh.day, range(1, N + 1)))
    nonce0 = _nonce(fresh)
    first = oracle.flush()
    assert (first.batches, first.awaiting_confirmation) == (3, 4)
    assert outbox_counts(db) == {"pending": 0, "sent": 4, "confirmed": 2}

    rpc_call(fresh.anvil.url, "anvil_reorg", [2, []])
    assert on_chain_ids(fresh) == [1, 2]
    assert _nonce(fresh) == nonce0 + 1  # the reorg took two of the oracle's transactions back

    again = oracle.flush()
    assert (again.requeued, again.batches, again.awaiting_confirmation) == (4, 2, 4)
    assert outbox_counts(db) == {"pending": 0, "sent": 4, "confirmed": 2}
    for _ in range(2):
        rpc_call(fresh.anvil.url, "evm_mine")
    last = oracle.flush()
    assert (last.batches, last.confirmed_by_reconcile, last.awaiting_confirmation) == (0, 4, 0)
    _assert_exactly_once_without_gap(fresh, db, batches=3, txs=3, nonce0=nonce0)
    assert all(rpc_call(fresh.anvil.url, "eth_getTransactionReceipt", [t]) for t in _hashes(db))


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--confirmations", "0", "--confirmations must be 1..256, not 0"),
        ("--batch-size", "9000", "--batch-size must be 1..8192, not 9000"),
    ],
)
def test_cli_oracle_meter__out_of_range_option__one_line_before_anything_is_read(
    fresh: Chain,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    flag: str,
    value: str,
    message: str,
) -> None:
    from oracles.cli.main import main

    args = [*daemon_args(fresh, tmp_path)[1:], flag, value]
    assert main(args) == 1
    err = capsys.readouterr().err.strip()
    assert err == f"gridbalance: error: {message}"
    assert not (tmp_path / "o.sqlite").exists() and not (tmp_path / "rejects.jsonl").exists()
