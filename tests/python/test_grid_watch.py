"""``oracle weather --watch`` and ``oracle load --watch`` on a real Anvil: each posts the CSVs of its
inbox as the contract takes them (weather up to 48 h ahead, an actual once its hour has ended, F-1
and F-3), keeps later hours waiting, drops hours too old, serves metrics that agree with the chain,
logs JSON lines and ends on SIGTERM with exit 0; a pass killed after sending confirms what the chain
already holds instead of sending it again."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
from web3 import Web3

from oracles.agents.grid_oracles import ActualPoint, GridOracle
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import Anvil, dev_key, free_port, rpc_call, set_time, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.cli.main import main
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.bindings import HourRecord
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import HourFlag
from tests.python.soak import scrape
from tests.python.test_watch import wait_for

pytestmark = pytest.mark.xdist_group("grid_chain")

REGION, OFFSET = 1, -480
GRIDBALANCE = str(Path(sys.executable).parent / "gridbalance")


@dataclass
class Grid:
    anvil: Anvil
    w3: Web3
    p: Protocol
    manifest: Path
    snapshot: str

    def now_hour(self) -> int:
        return int(self.p.forecasting.functions.currentHour(REGION).call())

    def record(self, hour: int) -> HourRecord:
        return HourRecord.model_validate(
            self.p.forecasting.functions.hourRecord(REGION, hour).call()
        )


@pytest.fixture(scope="module")
def grid_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Grid]:
    with start_anvil(accounts=3, gas_limit=30_000_000, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        admin, oracle, _ = w3.eth.accounts
        cfg = DeployConfig(
            regions=[RegionConfig(id=REGION, name="Test", capacity_kw=10_000, utc_offset_minutes=OFFSET)],
            verifiers=[admin], threshold=1, weather_oracles=[oracle], grid_oracles=[oracle],
        )  # fmt: skip
        folder = tmp_path_factory.mktemp("grid")
        manifest = deploy_protocol(
            ChainClient(w3, NodeSigner(admin)), cfg, folder / "deployment.json"
        )
        p = Protocol.connect(w3, manifest)
        saved = folder / "manifest.json"
        manifest.save(saved)
        # ten minutes into an hour, so that no test crosses an hour boundary by accident
        now = int(w3.eth.get_block("latest")["timestamp"])
        set_time(anvil.url, (now // 3600 + 1) * 3600 + 600)
        yield Grid(anvil, w3, p, saved, str(rpc_call(anvil.url, "evm_snapshot")))


@pytest.fixture
def grid(grid_chain: Grid) -> Iterator[Grid]:
    yield grid_chain
    rpc_call(grid_chain.anvil.url, "evm_revert", [grid_chain.snapshot])
    grid_chain.snapshot = str(rpc_call(grid_chain.anvil.url, "evm_snapshot"))


def hour_start(hour: int) -> str:
    """The ISO start of local hour index ``hour`` of the region."""
    return datetime.fromtimestamp(hour * 3600 - 60 * OFFSET, tz=UTC).isoformat()


def weather_csv(path: Path, hours: list[int]) -> Path:
    rows = ["hour_start,temperature_c,humidity_pct,irradiance_wm2"]
    rows += [f"{hour_start(h)},{(h % 50) / 2 - 5},{h % 90},{h % 1000}" for h in hours]
    path.write_text("\n".join(rows) + "\n")
    return path


def load_csv(path: Path, hours: list[int]) -> Path:
    rows = ["hour_start,load_kw,frequency_mhz,voltage_permille"]
    rows += [
        f"{hour_start(h)},{4_000 + h % 1000},{60_000 + h % 40},{1_000 - h % 30}" for h in hours
    ]
    path.write_text("\n".join(rows) + "\n")
    return path


def command(g: Grid, tmp_path: Path, kind: str, csv: Path) -> list[str]:
    return [GRIDBALANCE, "oracle", kind, "--rpc", g.anvil.url, "--manifest", str(g.manifest),
            "--account", "1", "--region", str(REGION), "--csv", str(csv),
            "--outbox", str(tmp_path / f"{kind}.sqlite")]  # fmt: skip


def run_watch(
    g: Grid, tmp_path: Path, kind: str, inbox: Path
) -> tuple[subprocess.Popen[bytes], int, Path]:
    port = free_port()
    log = tmp_path / f"{kind}.log"
    args = [*command(g, tmp_path, kind, inbox), "--watch", "--poll-seconds", "0.2",
            "--log-format", "json", "--metrics-port", str(port),
            "--index", str(tmp_path / f"{kind}-index.sqlite")]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(args, stderr=out, stdout=subprocess.DEVNULL)
    return proc, port, log


def metrics(port: int) -> dict[str, float]:
    """The daemon's metrics, none while its endpoint does not answer yet."""
    try:
        return scrape(port)
    except OSError:
        return {}


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 0


def records(lines: str) -> list[dict[str, object]]:
    return [json.loads(x) for x in lines.splitlines()]  # every line is one JSON object


def test_weather_watch__posts_up_to_48h_ahead__waits_for_later__drops_stale(
    grid: Grid, tmp_path: Path
) -> None:
    now = grid.now_hour()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    soon = list(range(now - 2, now + 50))  # the last is beyond the 48 h horizon (F-1)
    weather_csv(inbox / "a.csv", [now - 200, *soon])  # one hour more than 168 h old
    proc, port, log = run_watch(grid, tmp_path, "weather", inbox)
    try:
        m: dict[str, float] = {}

        def posted() -> bool:
            m.update(metrics(port))
            return m.get('gridbalance_outbox_confirmed{daemon="weather"}') == len(soon) - 1

        wait_for("the postable weather on chain", posted, proc)
        assert m['gridbalance_outbox_pending{daemon="weather"}'] == 1
        assert m['gridbalance_readings_total{daemon="weather"}'] == len(soon) + 1
        assert m['gridbalance_rejects_total{daemon="weather"}'] == 1  # the stale hour
        assert m['gridbalance_batches_posted_total{daemon="weather"}'] == 1
        for h in (now - 2, now, now + 48):
            rec = grid.record(h)
            assert rec.flags & HourFlag.Weather
            assert (rec.temperature_deci_c, rec.humidity_permille, rec.irradiance_wm2) == (
                round(((h % 50) / 2 - 5) * 10), (h % 90) * 10, h % 1000)  # fmt: skip
        assert not grid.record(now + 49).flags & HourFlag.Weather
        assert not grid.record(now - 200).flags & HourFlag.Weather
        # two hours later the waiting hours are within reach; a new file joins them
        set_time(grid.anvil.url, int(grid.w3.eth.get_block("latest")["timestamp"]) + 2 * 3600)
        weather_csv(inbox / "b.csv", [now + 50])

        def all_posted() -> bool:
            m.update(metrics(port))
            return m.get('gridbalance_outbox_confirmed{daemon="weather"}') == len(soon) + 1

        wait_for("the waiting weather on chain", all_posted, proc)
        assert m['gridbalance_outbox_pending{daemon="weather"}'] == 0
        assert all(grid.record(h).flags & HourFlag.Weather for h in (now + 49, now + 50))
        stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = records(log.read_text())
    passes = [r for r in lines if str(r["msg"]).startswith("weather pass")]
    assert sum(int(str(r["posted"])) for r in passes) == len(soon) + 1
    assert sum(int(str(r["stale"])) for r in passes) == 1
    assert any("stopping on SIGTERM" in str(r["msg"]) for r in lines)
    assert dev_key(1).hex() not in log.read_text()


def test_load_watch__posts_ended_hours__a_bad_file_is_one_line__stops_on_sigterm(
    grid: Grid, tmp_path: Path
) -> None:
    now = grid.now_hour()
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    ended = list(range(now - 3, now))
    load_csv(inbox / "a.csv", [*ended, now, now + 1])  # the current and next hours have not ended
    (inbox / "bad.csv").write_text(
        "hour_start,load_kw,frequency_mhz,voltage_permille\nyesterday,1,2,3\n"
    )
    proc, port, log = run_watch(grid, tmp_path, "load", inbox)
    try:
        m: dict[str, float] = {}

        def posted() -> bool:
            m.update(metrics(port))
            return m.get('gridbalance_outbox_confirmed{daemon="load"}') == len(ended)

        wait_for("the ended hours on chain", posted, proc)
        assert m['gridbalance_outbox_pending{daemon="load"}'] == 2
        assert m['gridbalance_rejects_total{daemon="load"}'] == 1  # the bad file
        for h in ended:
            assert grid.record(h).flags & HourFlag.Actual
            assert grid.record(h).actual_kw == 4_000 + h % 1000
        assert not grid.record(now).flags & HourFlag.Actual
        set_time(grid.anvil.url, int(grid.w3.eth.get_block("latest")["timestamp"]) + 2 * 3600)

        def all_posted() -> bool:
            m.update(metrics(port))
            return m.get('gridbalance_outbox_confirmed{daemon="load"}') == len(ended) + 2

        wait_for("the hours once ended", all_posted, proc)
        assert grid.record(now + 1).actual_kw == 4_000 + (now + 1) % 1000
        assert m.get('gridbalance_rpc_errors_total{daemon="load"}', 0) == 0
        stop(proc)
    finally:
        if proc.poll() is None:
            proc.kill()
    lines = records(log.read_text())
    errors = [r for r in lines if r["level"] == "error"]
    assert len(errors) == 1 and "bad.csv:2" in str(errors[0]["msg"])
    assert not [r for r in lines if "pass failed" in str(r["msg"])]  # nothing refused (F-3)
    assert any("stopping on SIGTERM" in str(r["msg"]) for r in lines)


def test_load_pass_killed_after_sending__reconciled__not_sent_again(
    grid: Grid, tmp_path: Path
) -> None:
    """A pass that sent its actuals and died before recording them: the next pass finds them on
    chain and confirms them (F-3 would refuse them again with DuplicateActual)."""
    now = grid.now_hour()
    points = [ActualPoint(hour=h, load_kw=5_000, frequency_mhz=60_000, voltage_permille=1_000)
              for h in range(now - 4, now)]  # fmt: skip
    client = ChainClient(grid.w3, NodeSigner(grid.w3.eth.accounts[1]))
    outbox = Outbox(tmp_path / "o.sqlite")
    outbox.enqueue_series("actual", REGION, [(x.hour, 0, json.dumps(x.as_tuple())) for x in points])
    client.transact(
        grid.p.forecasting.functions.postActuals(REGION, [x.as_tuple() for x in points[:3]]), "sent"
    )
    stats = GridOracle(grid.p, client, outbox).post_ready("actual", REGION)
    assert (stats.reconciled, stats.posted, stats.batches, stats.waiting) == (3, 1, 1, 0)
    assert outbox.series_counts("actual", REGION)["confirmed"] == 4
    assert all(grid.record(x.hour).flags & HourFlag.Actual for x in points)


@pytest.mark.parametrize("kind", ["weather", "load"])
def test_grid_one_pass__bad_row__one_line_error(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    csv = tmp_path / "bad.csv"
    header = ("hour_start,temperature_c,humidity_pct,irradiance_wm2" if kind == "weather"
              else "hour_start,load_kw,frequency_mhz,voltage_permille")  # fmt: skip
    csv.write_text(f"{header}\n{hour_start(grid.now_hour() - 1)},1,2,x\n")
    assert main(command(grid, tmp_path, kind, csv)[1:]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.csv:2" in err


def test_load_one_pass__posts_the_file(grid: Grid, tmp_path: Path) -> None:
    now = grid.now_hour()
    csv = load_csv(tmp_path / "load.csv", [now - 2, now - 1])
    assert main(command(grid, tmp_path, "load", csv)[1:]) == 0
    assert [grid.record(h).actual_kw for h in (now - 2, now - 1)] == [
        4_000 + (now - 2) % 1000, 4_000 + (now - 1) % 1000]  # fmt: skip


def test_load_one_pass__stale_and_unended_hours__dropped_or_kept_the_rest_posted(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad-input table, a one-shot load file with hours older than 168 h (F-3) and an hour not yet
    ended: the old hours are dropped and counted, the unended one stays queued, the rest are posted
    (the whole batch used to revert PastHour); a file of old hours only exits 2 in one line."""
    now = grid.now_hour()
    old, good = [now - 200, now - 169], [now - 2, now - 1]
    csv = load_csv(tmp_path / "load.csv", [*old, *good, now])
    assert main(command(grid, tmp_path, "load", csv)[1:]) == 0
    out = capsys.readouterr().out
    assert "posted 2 load hours" in out and "2 older than 168 h dropped, 1 not yet postable" in out
    assert all(grid.record(h).flags & HourFlag.Actual for h in good)
    assert not any(grid.record(h).flags & HourFlag.Actual for h in [*old, now])
    counts = Outbox(tmp_path / "load.sqlite").series_counts("actual", REGION)
    assert counts["pending"] == 1 and counts["confirmed"] == 2
    stale = load_csv(tmp_path / "stale.csv", old)
    argv = command(grid, tmp_path, "load", stale)[1:]
    argv[argv.index("--outbox") + 1] = str(tmp_path / "stale.sqlite")
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "every hour is older than the 168 h" in err


def test_forecast_one_pass__no_history__one_line_saying_what_to_post(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad-input table, a forecast on a chain without history (issue 25: it used to fail with the
    model's 'need at least 48 hours'): one line naming what is missing and the commands to post it."""
    argv = ["oracle", "forecast", "--rpc", grid.anvil.url, "--manifest", str(grid.manifest),
            "--account", "1", "--region", str(REGION), "--hours", "2",
            "--outbox", str(tmp_path / "f.sqlite")]  # fmt: skip
    assert main(argv) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("gridbalance: error: region 1 has 0 hours")
    assert (
        "a forecast needs 48: post them first (gridbalance oracle weather, gridbalance oracle load)"
        in err
    )


@pytest.mark.parametrize("kind", ["load", "meter"])
def test_one_pass__missing_file__one_line_naming_it(
    grid: Grid, tmp_path: Path, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    """Bad-input table, a file that is not there: one line naming it in plain words (it used to
    print the OS's '[Errno 2] No such file or directory: ...')."""
    missing = tmp_path / "missing.csv"
    assert main(command(grid, tmp_path, kind, missing)[1:]) == 1
    assert capsys.readouterr().err == f"gridbalance: error: {missing}: no such file\n"
