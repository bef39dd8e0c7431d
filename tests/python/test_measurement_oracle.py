"""``gridbalance oracle measurements`` (issue 26 item 7) on a real Anvil: the grid oracle's
measurement file posted to GridStability (G-7) through the outbox, in time order, 96 a batch,
after the region's latest on chain; a second pass sends nothing, appended rows are posted by the
next one, a restart with a fresh outbox finds the chain's measurements and sends none of them
again, a batch a reorg took back is posted again; bad input is one line; the watch loop runs its
passes and stops."""

from __future__ import annotations

import json
import logging
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from web3 import Web3

from oracles.agents.measurement_oracle import MeasurementOracle
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import Anvil, dev_key, rpc_call, set_time, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.cli import daemons
from oracles.cli.main import build_parser, main
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.bindings import Measurement, RegionGrid
from oracles.protocol.contracts import Protocol

pytestmark = pytest.mark.xdist_group("measurement_chain")

REGION = 1
GRIDBALANCE = str(Path(sys.executable).parent / "gridbalance")
HEADER = "time,load_kw,reserve_kw,frequency_mhz,voltage_permille,phase_centideg\n"


@dataclass
class Grid:
    anvil: Anvil
    w3: Web3
    p: Protocol
    manifest: Path
    snapshot: str

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def block(self) -> int:
        return int(self.w3.eth.block_number)

    def latest(self) -> int:
        grid = RegionGrid.model_validate(self.p.stability.functions.regionGrid(REGION).call())
        return grid.latest_time

    def latest_measurement(self) -> Measurement:
        return Measurement.model_validate(
            self.p.stability.functions.latestMeasurement(REGION).call()
        )


@pytest.fixture(scope="module")
def grid_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grid]:
    with start_anvil(accounts=3, gas_limit=30_000_000, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        admin, oracle, _ = w3.eth.accounts
        cfg = DeployConfig(
            regions=[RegionConfig(id=REGION, name="Test", capacity_kw=10_000, utc_offset_minutes=0)],
            verifiers=[admin], threshold=1, grid_oracles=[oracle],
        )  # fmt: skip
        folder = tmp_path_factory.mktemp("measurements")
        manifest = deploy_protocol(
            ChainClient(w3, NodeSigner(admin)), cfg, folder / "deployment.json"
        )
        p = Protocol.connect(w3, manifest)
        saved = folder / "manifest.json"
        manifest.save(saved)
        # a day on, so the file's minutes (all within the last hours) are after the deployment
        set_time(anvil.url, int(w3.eth.get_block("latest")["timestamp"]) + 86_400)
        yield Grid(anvil, w3, p, saved, str(rpc_call(anvil.url, "evm_snapshot")))


@pytest.fixture
def grid(grid_chain: Grid) -> Iterator[Grid]:
    yield grid_chain
    rpc_call(grid_chain.anvil.url, "evm_revert", [grid_chain.snapshot])
    grid_chain.snapshot = str(rpc_call(grid_chain.anvil.url, "evm_snapshot"))


def row(t: int, i: int = 0) -> str:
    """One measurement near nominal (the values vary, so a mix-up would show)."""
    iso = datetime.fromtimestamp(t, tz=UTC).isoformat()
    return f"{iso},{4_000 + i % 100},{500 + i % 7},{60_000 + i % 40},{1_000 - i % 20},{-120 + i % 50}\n"


def minutes(start: int, n: int) -> list[int]:
    return [start + 60 * i for i in range(n)]


def write(path: Path, times: list[int], *, append: bool = False) -> Path:
    with path.open("a" if append else "w") as f:
        if not append:
            f.write(HEADER)
        f.writelines(row(t, t // 60) for t in times)
    return path


def argv(g: Grid, csv: Path, outbox: Path, account: str = "1") -> list[str]:
    return ["oracle", "measurements", "--rpc", g.anvil.url, "--manifest", str(g.manifest),
            "--account", account, "--region", str(REGION), "--csv", str(csv),
            "--outbox", str(outbox)]  # fmt: skip


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and err.startswith("gridbalance: error:")


def test_pass__posts_the_file_in_batches__second_pass_sends_nothing__appended_rows_next(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times = minutes(grid.now() - 60 * 200, 150)  # 96 + 54
    csv = write(tmp_path / "m.csv", times)
    outbox = tmp_path / "o.sqlite"
    assert main(argv(grid, csv, outbox)) == 0
    out = capsys.readouterr().out
    assert "150 measurements read (150 new); posted 150 for region 1 in 2 transactions" in out
    assert grid.latest() == times[-1]
    m = grid.latest_measurement()
    i = times[-1] // 60
    assert (m.load_kw, m.reserve_kw, m.frequency_mhz, m.voltage_permille, m.phase_centideg) == (
        4_000 + i % 100, 500 + i % 7, 60_000 + i % 40, 1_000 - i % 20, -120 + i % 50)  # fmt: skip
    block = grid.block()
    assert main(argv(grid, csv, outbox)) == 0  # the same file again: nothing sent
    out = capsys.readouterr().out
    assert "150 measurements read (0 new); posted 0 for region 1 in 0 transactions" in out
    assert grid.block() == block
    more = minutes(times[-1] + 60, 3)
    write(csv, more, append=True)  # the operator appends three rows
    assert main(argv(grid, csv, outbox)) == 0
    out = capsys.readouterr().out
    assert "153 measurements read (3 new); posted 3 for region 1 in 1 transaction;" in out
    assert grid.latest() == more[-1] and grid.block() == block + 1
    assert Outbox(outbox).measurement_counts(REGION) == {"pending": 0, "confirmed": 153}


def test_restart_with_a_fresh_outbox__marks_the_chains_posted__sends_only_the_new(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    times = minutes(grid.now() - 60 * 100, 50)
    csv = write(tmp_path / "m.csv", times)
    assert main(argv(grid, csv, tmp_path / "first.sqlite")) == 0
    block = grid.block()
    capsys.readouterr()
    assert main(argv(grid, csv, tmp_path / "fresh.sqlite")) == 0  # the outbox was lost
    out = capsys.readouterr().out
    assert "posted 0 for region 1 in 0 transactions; 50 at or before the chain's latest" in out
    assert grid.block() == block  # nothing re-sent
    write(csv, minutes(times[-1] + 60, 2), append=True)
    assert main(argv(grid, csv, tmp_path / "fresh2.sqlite")) == 0
    out = capsys.readouterr().out
    assert "posted 2 for region 1 in 1 transaction; 50 at or before" in out
    assert grid.block() == block + 1 and grid.latest() == times[-1] + 120
    assert Outbox(tmp_path / "fresh2.sqlite").measurement_counts(REGION)["confirmed"] == 52


def test_pass_killed_after_sending__then_a_reorg__reconciled_then_posted_again(
    grid: Grid, tmp_path: Path
) -> None:
    """A batch sent by a pass that died before recording it is found on chain (not re-sent); a
    batch a reorg took back is queued and posted again."""
    times = minutes(grid.now() - 60 * 30, 10)
    client = ChainClient(grid.w3, NodeSigner(grid.w3.eth.accounts[1]))
    outbox = Outbox(tmp_path / "o.sqlite")
    oracle = MeasurementOracle(grid.p, client, outbox, REGION)
    points = daemons.read_measurements(write(tmp_path / "m.csv", times))
    oracle.enqueue(points)
    fn = grid.p.stability.functions.postMeasurements(
        REGION, [[m.time, m.load_kw, m.reserve_kw, m.frequency_mhz, m.voltage_permille,
                  m.phase_centideg] for m in points[:6]])  # fmt: skip
    before = str(rpc_call(grid.anvil.url, "evm_snapshot"))
    client.transact(fn, "sent by the killed pass")
    stats = oracle.post_ready()
    assert (stats.reconciled, stats.posted, stats.batches, stats.waiting) == (6, 4, 1, 0)
    assert grid.latest() == times[-1]
    rpc_call(grid.anvil.url, "evm_revert", [before])  # a reorg takes both batches back
    client.resync_nonce()
    assert grid.latest() == 0
    stats = oracle.post_ready()
    assert (stats.requeued, stats.posted, stats.batches) == (10, 10, 1)
    assert grid.latest() == times[-1]


def test_pass__too_old_dropped__ahead_of_the_clock_waits(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = grid.now()
    old = [now - 8 * 86_400]
    good = minutes(now - 600, 3)
    ahead = [now + 3_600]
    stale = write(tmp_path / "stale.csv", old)  # a file of old rows only: exit 2
    assert main(argv(grid, stale, tmp_path / "stale.sqlite")) == 2
    err = capsys.readouterr().err
    assert one_line(err) and "every measurement is more than 7 days old" in err
    csv = write(tmp_path / "m.csv", [*old, *good, *ahead])
    outbox = tmp_path / "o.sqlite"
    assert main(argv(grid, csv, outbox)) == 0
    out = capsys.readouterr().out
    assert "posted 3 for region 1 in 1 transaction" in out
    assert "1 more than 7 days old dropped, 1 ahead of the chain's clock" in out
    set_time(grid.anvil.url, now + 7_200)
    assert main(argv(grid, csv, outbox)) == 0
    assert "posted 1 for region 1" in capsys.readouterr().out
    assert grid.latest() == ahead[0]


def test_bad_input__one_line_each__nothing_posted(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad-input table: a row that does not parse, a row the contract would refuse (G-7 ranges),
    rows out of order, a missing column, a missing file, an unknown region, a sender that is no
    grid oracle: each one line naming the file and line (or what is wrong), exit 1, nothing sent."""
    now = grid.now()
    good = row(now - 300)
    t = datetime.fromtimestamp(now - 200, tz=UTC).isoformat()
    cases = {
        "parse": (f"{HEADER}{good}{t},4000,x,60000,1000,0\n", "bad.csv:3: reserve_kw: "),
        "voltage": (
            f"{HEADER}{good}{t},4000,500,60000,1600,0\n",
            "bad.csv:3: voltage_permille: 1600 is above 1500",
        ),
        "frequency": (
            f"{HEADER}{good}{t},4000,500,70000,1000,0\n",
            "bad.csv:3: frequency_mhz: 70000 is more than 5000",
        ),
        "load": (
            f"{HEADER}{t},20001,500,60000,1000,0\n",
            "bad.csv:2: load_kw: 20001 is above twice",
        ),
        "phase": (
            f"{HEADER}{t},4000,500,60000,1000,18001\n",
            "bad.csv:2: phase_centideg: 18001 is outside",
        ),
        "order": (HEADER + row(now - 200) + good, "bad.csv:3: time: not after the row before"),
        "column": ("time,load_kw\n", "bad.csv:1: missing column(s) reserve_kw"),
        "encoding": (HEADER + good + "caf\udce9\n", "bad.csv:3: not UTF-8 text"),
    }
    block = grid.block()
    for name, (text, expected) in cases.items():
        bad = tmp_path / "bad.csv"
        bad.write_bytes(text.encode("utf-8", "surrogateescape"))
        assert main(argv(grid, bad, tmp_path / f"{name}.sqlite")) == 1, name
        err = capsys.readouterr().err
        assert one_line(err) and expected in err, (name, err)
    csv = write(tmp_path / "m.csv", [now - 300])
    assert main(argv(grid, tmp_path / "none.csv", tmp_path / "o.sqlite")) == 1
    assert capsys.readouterr().err == f"gridbalance: error: {tmp_path / 'none.csv'}: no such file\n"
    for region in ("9", "0", "70000", "-1"):
        args = argv(grid, csv, tmp_path / "o.sqlite")
        args[args.index("--region") + 1] = region
        assert main(args) == 1
        err = capsys.readouterr().err
        assert one_line(err) and f"region {region} is not registered on this chain" in err, err
    assert main(argv(grid, csv, tmp_path / "o.sqlite", account="2")) == 1
    err = capsys.readouterr().err
    stranger = grid.w3.eth.accounts[2]
    assert one_line(err) and f"{stranger} is not a grid oracle of GridStability" in err
    assert (
        "GridStability.GRID_ORACLE_ROLE, held by" in err and "pass --account or --keystore" in err
    )
    assert grid.block() == block and grid.latest() == 0
    assert not (tmp_path / "o.sqlite").exists()  # refused before anything was queued


def test_watch__two_passes__the_appended_rows_posted__then_stops(
    grid: Grid, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The watch loop (Daemon.run over oracles.daemon.loop.watch) with a step that appends rows
    after the first pass and asks the loop to stop after the second: both passes post, one log
    line per batch and per pass, no key in them."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    first = minutes(grid.now() - 60 * 120, 100)
    csv = write(inbox / "a.csv", first)
    (inbox / "notes.txt").write_text("not a measurement file\n")  # only *.csv files are read
    args = build_parser().parse_args([
        *argv(grid, inbox, tmp_path / "o.sqlite"), "--watch", "--poll-seconds", "0.01",
        "--index", str(tmp_path / "index.sqlite")])  # fmt: skip
    client = ChainClient(grid.w3, NodeSigner(grid.w3.eth.accounts[1]))
    daemon, step = daemons.measurement_daemon(grid.p, client, args)
    passes: list[int] = []
    more = minutes(first[-1] + 60, 5)

    def two_passes() -> None:
        step()
        passes.append(grid.latest())
        if len(passes) == 1:
            write(csv, more, append=True)
        else:
            daemon.stop.event.set()

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        with caplog.at_level(logging.INFO):
            assert daemon.run(two_passes, 0.01, None) == 0
    finally:  # Daemon.run installed its SIGTERM/SIGINT handlers in the test process
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
    assert passes == [first[-1], more[-1]]
    lines = [r.getMessage() for r in caplog.records]
    pass_lines = [x for x in lines if x.startswith("measurements pass")]
    assert pass_lines == [
        "measurements pass: 100 read, 100 new, posted 100 in 2 batches, 0 already on chain, 0 wait",
        "measurements pass: 105 read, 5 new, posted 5 in 1 batches, 0 already on chain, 0 wait",
    ]
    assert len([x for x in lines if " measurements, times " in x]) == 3  # one per batch
    assert any("stopping on request after 2 passes" in x for x in lines)
    assert dev_key(1).hex() not in "\n".join(lines)


def test_watch_daemon__appended_rows_posted__bad_rows_one_log_line__stops_on_sigterm(
    grid: Grid, tmp_path: Path
) -> None:
    """``--watch`` as the operator runs it: the appended rows reach the chain on a later pass; a
    row appended half-written is one error line and the file is read again once it is whole; every
    log line is JSON, none holds a key; SIGTERM ends the daemon with exit 0."""
    first = minutes(grid.now() - 60 * 60, 20)
    csv = write(tmp_path / "m.csv", first)
    log = tmp_path / "daemon.log"
    args = [GRIDBALANCE, *argv(grid, csv, tmp_path / "o.sqlite"), "--watch", "--poll-seconds",
            "0.2", "--log-format", "json", "--index", str(tmp_path / "index.sqlite")]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stderr=out, stdout=subprocess.DEVNULL)
    try:
        wait_for("the file on chain", lambda: grid.latest() == first[-1], proc)
        with csv.open("a") as f:
            f.write(row(first[-1] + 60)[:12])  # half a row: the file is refused for now
        wait_for("the bad row logged", lambda: "m.csv:22" in log.read_text(), proc)
        text = csv.read_text()
        csv.write_text(text[: text.rindex("\n") + 1])
        write(csv, minutes(first[-1] + 60, 2), append=True)
        wait_for("the appended rows on chain", lambda: grid.latest() == first[-1] + 120, proc)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = [json.loads(x) for x in log.read_text().splitlines()]
    errors = [r for r in lines if r["level"] == "error"]
    assert len(errors) >= 1 and all("m.csv:22: " in str(r["msg"]) for r in errors)
    passes = [r for r in lines if str(r["msg"]).startswith("measurements pass")]
    assert sum(int(str(r["posted"])) for r in passes) == 22
    assert any("stopping on SIGTERM" in str(r["msg"]) for r in lines)
    assert dev_key(1).hex() not in log.read_text()


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"the daemon exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within 60 s")
        time.sleep(0.1)
