"""``--watch``: the meter oracle as a long-lived process on a real Anvil: it posts what appears in
its inbox, serves metrics that agree with the chain, logs JSON lines, and ends on SIGTERM with exit
0 after the pass under way."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from oracles.chain.anvil import dev_key, free_port
from oracles.cli.main import main
from tests.python.meter_chain import (
    Chain,
    N,
    daemon_args,
    day_csv,
    on_chain_ids,
    oracle_meter_args,
    outbox_counts,
)
from tests.python.soak import scrape

pytestmark = pytest.mark.xdist_group("meter_chain")


def wait_for(what: str, check: Callable[[], bool], proc: subprocess.Popen[bytes]) -> None:
    """Poll ``check`` until true; fail if the daemon exits first (or after 60 s: something hangs)."""
    deadline = time.monotonic() + 60
    while not check():
        if proc.poll() is not None:
            raise AssertionError(f"the daemon exited ({proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise AssertionError(f"no {what} within 60 s")
        time.sleep(0.2)


def test_meter_watch__posts_the_inbox__serves_metrics__stops_on_sigterm(
    fresh: Chain, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    args = daemon_args(fresh, tmp_path)  # --csv is replaced by the inbox folder below
    csv_at = args.index("--csv")
    args[csv_at + 1] = str(inbox)
    port = free_port()
    args += ["--watch", "--poll-seconds", "0.2", "--log-format", "json", "--metrics-port", str(port),
             "--index", str(tmp_path / "index.sqlite")]  # fmt: skip
    log = (tmp_path / "daemon.log").open("wb")
    proc = subprocess.Popen(args, stderr=log, stdout=subprocess.DEVNULL)
    try:
        half = N // 2
        day_csv(fresh, inbox / "a.csv", {f"m{i}": 100 * i for i in range(half)})
        wait_for(
            "the first file posted",
            lambda: outbox_counts(tmp_path / "o.sqlite")["confirmed"] == half,
            proc,
        )
        day_csv(fresh, inbox / "b.csv", {f"m{i}": 100 * i for i in range(half, N)})
        wait_for(
            "the second file posted",
            lambda: outbox_counts(tmp_path / "o.sqlite")["confirmed"] == N,
            proc,
        )

        def indexed() -> bool:
            m = scrape(port)
            return (
                m.get('gridbalance_last_block_indexed{daemon="meter"}') == fresh.w3.eth.block_number
            )

        wait_for("the index at the head", indexed, proc)
        metrics = scrape(port)
        batches = len(fresh.p.meter.events.MeterBatchPosted.get_logs(from_block=0))
        assert sorted(on_chain_ids(fresh)) == list(range(1, N + 1))
        assert metrics['gridbalance_outbox_confirmed{daemon="meter"}'] == N
        assert metrics['gridbalance_outbox_pending{daemon="meter"}'] == 0
        assert metrics['gridbalance_batches_posted_total{daemon="meter"}'] == batches
        assert (
            metrics['gridbalance_indexed_logs{daemon="meter",event="MeterBatchPosted"}'] == batches
        )
        assert metrics['gridbalance_readings_total{daemon="meter"}'] == 24 * N
        assert metrics['gridbalance_reorgs_seen{daemon="meter"}'] == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        log.close()
    lines = (tmp_path / "daemon.log").read_text().splitlines()
    records = [json.loads(x) for x in lines]  # every line is one JSON object
    passes = [r for r in records if r["msg"].startswith("meter pass")]
    assert passes and passes[-1]["confirmed"] == N
    assert sum(r["batches"] for r in passes) == batches
    assert any("stopping on SIGTERM" in r["msg"] for r in records)
    # no key material: the account's private key (Anvil's dev key 2) appears nowhere
    text = (tmp_path / "daemon.log").read_text()
    assert dev_key(2).hex() not in text and dev_key(2).hex()[:16] not in text


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--watch", "--green-button", "x.xml"], "--watch reads --csv"),
        (["--metrics-port", "70000"], None),
        (["--reorg-depth", "0"], None),
    ],
)
def test_watch__bad_arguments__one_line_errors(
    fresh: Chain,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str | None,
) -> None:
    csv = day_csv(fresh, tmp_path / "day.csv", {"m0": 100})
    args = oracle_meter_args(fresh, tmp_path, csv)
    if "--green-button" in extra:
        at = args.index("--csv")
        del args[at : at + 2]
    if message is None:
        with pytest.raises(SystemExit) as exc:
            main([*args, *extra])
        assert exc.value.code == 2
        assert "must be" in capsys.readouterr().err
    else:
        assert main([*args, *extra]) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and message in err
