"""`gridbalance demo` end to end at a small size: its report's totals are checked against the contracts."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from oracles.agents.keeper import PublishedRoot
from oracles.agents.outbox import Outbox
from oracles.reference.meter_leaf import Channel, ConsumerDay
from oracles.sim.context import REGION_ID, DemoConfig
from oracles.sim.demo import run_demo

ROOT = Path(__file__).resolve().parents[2]
# most tests compare against one demo run (`small_run`, about 25 s): under pytest-xdist
# (`make test-python`, --dist loadgroup) one worker runs them all, so the run is made once
pytestmark = pytest.mark.xdist_group("demo")


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, object], str, Path]:
    out_dir = tmp_path_factory.mktemp("demo")
    out = io.StringIO()
    report = run_demo(DemoConfig(consumers=40, seed=11, out_dir=out_dir, progress=False), out)
    return report, out.getvalue(), out_dir


def test_demo__runs_the_cycle_and_every_check_against_the_contracts_passes(small_run) -> None:  # type: ignore[no-untyped-def]
    report, text, out_dir = small_run
    assert report["checks"] == {
        "paid_equals_consumer_balances": True,
        "committed_equals_event_total": True,
        "settled_equals_event_count": True,
        "results_match_reference": True,
    }
    assert report["reference_mismatches"] == 0
    event = report["event"]
    assert event["triggered_by_forecast"] and event["settled"] == event["enrolled"] > 0
    by_class = report["by_class"]
    assert sum(row["enrolled"] for row in by_class.values()) == event["enrolled"]
    assert (
        abs(sum(row["committed_kwh"] for row in by_class.values()) - event["committed_kwh"]) < 0.01
    )
    assert sum(row["paid_musd"] for row in by_class.values()) > 0
    # at 40 consumers the load is noise-dominated; TOWT vs naive is asserted in test_forecasting
    f = report["forecast"]
    assert f["mape_percent"] > 0 and f["naive_same_hour_last_week_mape_percent"] > 0
    assert f["beats_naive"] == (f["mape_percent"] < f["naive_same_hour_last_week_mape_percent"])
    assert f["on_chain_mape_samples"] > 0
    assert set(report["gas_by_stage"]) >= {
        "deploy",
        "register",
        "meter data",
        "forecast",
        "enroll",
        "settle",
    }
    assert json.loads((out_dir / "report.json").read_text())["checks"] == report["checks"]
    assert (out_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "Checks against the contracts: all passed" in text
    assert "Stopped Anvil" in text


def test_demo__optimistic_settlement_pays_exactly_what_proof_settlement_pays(
    small_run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """O-2..O-8, O-11 end to end: the same simulation settled through one bonded root (proposed, finalized
    after the challenge window, paid in batches) pays every class exactly what proof-carrying
    settlement paid, the root is paid out in full, and the published entries hash to the root."""
    proof_report, _, _ = small_run
    out = io.StringIO()
    report = run_demo(
        DemoConfig(
            consumers=40, seed=11, out_dir=tmp_path, progress=False, settlement="optimistic"
        ),
        out,
    )
    assert report["checks"] == {
        "paid_equals_consumer_balances": True,
        "committed_equals_event_total": True,
        "root_paid_out": True,
        "results_match_reference": True,
    }
    assert report["by_class"] == proof_report["by_class"]
    assert report["gamers"] == proof_report["gamers"]
    assert "settle" not in report["gas_by_stage"]
    # approve the token bond, propose, post the entries (one chunk), finalize (O-3, O-6)
    assert report["txs_by_stage"]["root"] == 4
    published = PublishedRoot.model_validate_json((tmp_path / "root.json").read_text())
    tree = published.tree()  # raises unless the entries hash to the published root
    assert tree.count == report["event"]["enrolled"]
    # by_class rounds each class's mUSD to 3 decimals (1,000 token units): at most 500 units each
    paid = sum(r["paid_musd"] for r in report["by_class"].values()) * 10**6
    assert abs(tree.total - paid) <= 500 * len(report["by_class"])


def test_demo__batch_settlement_pays_exactly_what_proof_settlement_pays(
    small_run, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    """S-11 end to end: the same simulation settled by settleBatch (each meter batch's records
    proved by one multiproof) records and pays every consumer exactly what settle did, in one
    transaction per 100 consumers, and every result equals the reference."""
    proof_report, _, _ = small_run
    report = run_demo(
        DemoConfig(consumers=40, seed=11, out_dir=tmp_path, progress=False, settlement="batch"),
        io.StringIO(),
    )
    assert all(report["checks"].values()), report["checks"]
    assert report["checks"]["results_match_reference"] is True
    assert report["by_class"] == proof_report["by_class"]
    assert report["gamers"] == proof_report["gamers"]
    # M-9: one finalize of the event day, in its own stage, before either path settles
    assert report["txs_by_stage"]["finality"] == proof_report["txs_by_stage"]["finality"] == 1
    assert report["txs_by_stage"]["settle"] == 1
    assert proof_report["txs_by_stage"]["settle"] == proof_report["event"]["enrolled"]


def test_demo__gamers_never_gain_more_than_the_cap_allows(small_run) -> None:  # type: ignore[no-untyped-def]
    report, _, _ = small_run
    g = report["gamers"]
    assert g["reward_musd"] <= g["reward_without_cap_musd"]


def test_cli_demo__missing_artifacts__one_line_error(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli.main", "demo", "--build-dir", str(tmp_path)],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr == (
        f"gridbalance: error: {tmp_path}/RegionRegistry.json: not found "
        "(run 'make compile' / 'brownie compile')\n"
    )
    assert proc.stdout == ""  # checked before any chain was started


def test_cli_demo__bad_consumer_count__one_line_error() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli.main", "demo", "--consumers", "3"],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr.startswith("gridbalance: error: --consumers: ")
    assert proc.stderr.count("\n") == 1


# ---------------------------------------------------------------- 15-minute data (issue 23 item 5)


@pytest.fixture(scope="module")
def quarter_hour_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[dict[str, Any], str, Path]:
    out_dir = tmp_path_factory.mktemp("demo15")
    out = io.StringIO()
    cfg = DemoConfig(consumers=40, seed=11, out_dir=out_dir, progress=False, interval_minutes=15)
    return run_demo(cfg, out), out.getvalue(), out_dir


def test_demo_interval_15__utility_event_17_15_to_18_45_settles_and_every_check_passes(
    quarter_hour_run: tuple[dict[str, Any], str, Path],
) -> None:
    """A region of 15-minute data (R-7): every record on chain holds 96 readings, the forecast decides
    the day and the utility creates the event on intervals 69..75 (P-3), which the keeper enrolls
    and settles, every result equal to the reference."""
    report, text, out_dir = quarter_hour_run
    assert report["checks"] == {
        "paid_equals_consumer_balances": True,
        "committed_equals_event_total": True,
        "settled_equals_event_count": True,
        "results_match_reference": True,
    }
    event = report["event"]
    assert (event["interval_minutes"], event["start_interval"], event["end_interval"]) == (
        15,
        69,
        75,
    )
    assert event["window"] == "17:15-18:45"
    assert event["created_by"] == "utility"
    assert event["settled"] == event["enrolled"] > 0
    assert sum(row["paid_musd"] for row in report["by_class"].values()) > 0
    # no auto-trigger was linked: the program stage is mint, approve and createProgram only
    assert report["txs_by_stage"]["program"] == 3 and report["txs_by_stage"]["event"] == 1
    assert "the utility creates the event 17:15-18:45 (intervals 69..75)" in text
    assert "Checks against the contracts: all passed" in text
    # what the meter oracle got mined: 96-reading import records of the region's days
    outbox = Outbox(out_dir / "outbox.sqlite")
    assert outbox.counts()["pending"] == outbox.counts()["sent"] == 0
    rows = outbox.rows(REGION_ID, event["day"], "confirmed", channel=Channel.IMPORT)
    assert len(rows) == 40
    days = [ConsumerDay.decode(r) for _, r, _ in rows]
    assert {(d.interval_minutes, len(d.readings)) for d in days} == {(15, 96)}
    assert (out_dir / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("settlement", ["batch", "optimistic"])
def test_demo_interval_15__batch_and_optimistic_settlement_pay_what_proofs_pay(
    quarter_hour_run: tuple[dict[str, Any], str, Path], tmp_path: Path, settlement: str
) -> None:
    proof_report, _, _ = quarter_hour_run
    cfg = DemoConfig(consumers=40, seed=11, out_dir=tmp_path, progress=False, interval_minutes=15,
                     settlement=settlement)  # type: ignore[arg-type]  # fmt: skip
    report = run_demo(cfg, io.StringIO())
    assert all(report["checks"].values()), report["checks"]
    assert report["checks"]["results_match_reference"] is True
    assert (report["event"]["start_interval"], report["event"]["end_interval"]) == (69, 75)
    assert report["by_class"] == proof_report["by_class"]
    assert report["gamers"] == proof_report["gamers"]
