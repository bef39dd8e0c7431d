"""`gridbalance demo --scenario frequency-incident` end to end: the report's numbers are checked
against what the chain holds (read by the run's ``on_chain`` hook before its Anvil stops) and against
the reference (``grid_state.run`` of the simulator's points, recomputed here)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from eth_utils.crypto import keccak

from oracles.protocol.bindings import Action, BandProfile, RegionGrid, Response
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import ActionKind, ActionStatus, StateCause, SystemState
from oracles.reference import grid_state as ref
from oracles.sim.frequency_incident import simulate
from oracles.sim.incident_context import (
    AREA_ID,
    CAPACITY_KW,
    INCIDENT_START,
    NOMINAL_MHZ,
    REGION_ID,
    IncidentConfig,
)
from oracles.sim.incident_demo import run_incident_demo

ROOT = Path(__file__).resolve().parents[2]
SEED = 11
# one scenario run (`incident`, a few seconds) that most tests read: one xdist worker runs them all
pytestmark = pytest.mark.xdist_group("incident_demo")


@dataclass
class Chain:
    """What the chain held when the run ended."""

    profile: BandProfile
    grid: RegionGrid
    changes: list[tuple[int, int, int, int]]
    stages: list[tuple[int, int, int]]
    fired: list[dict[str, Any]]
    actions: dict[int, Action]
    overdue: dict[int, bool]
    response: Response
    batch_gas: list[int]  # gasUsed of each postMeasurements transaction, in order
    gas_of: dict[str, int] = field(default_factory=dict)  # the load shed's steps

    @classmethod
    def read(cls, p: Protocol) -> Chain:
        s, b, w3 = p.stability, p.balancing, p.w3

        def gas(tx_hash: Any) -> int:
            return int(w3.eth.get_transaction_receipt(tx_hash)["gasUsed"])

        measured = s.events.Measured.get_logs(from_block=0)
        batches = list(dict.fromkeys(e.transactionHash for e in measured))
        count = int(b.functions.actionCount().call())
        steps = {"proposeAction": "ActionProposed", "instructAction": "ActionInstructed",
                 "completeAction": "ActionCompleted", "submitShedReport": "ShedReportSubmitted"}  # fmt: skip
        shed = [
            i
            for i in range(1, count + 1)
            if Action.model_validate(b.functions.action(i).call()).kind == ActionKind.LoadShed
        ]
        gas_of = {
            step: gas(
                next(
                    e.transactionHash
                    for e in getattr(b.events, event).get_logs(from_block=0)
                    if e.args["actionId"] == shed[0]
                )
            )
            for step, event in steps.items()
        }
        return cls(
            profile=BandProfile.model_validate(p.regions.functions.bandProfile(REGION_ID).call()),
            grid=RegionGrid.model_validate(s.functions.regionGrid(REGION_ID).call()),
            changes=[
                (e.args["from"], e.args["to"], e.args["time"], e.args["cause"])
                for e in s.events.SystemStateChanged.get_logs(from_block=0)
            ],
            stages=[
                (e.args["time"], e.args["stage"], e.args["cumulativeShareBps"])
                for e in s.events.SheddingStageReached.get_logs(from_block=0)
            ],
            fired=[dict(e.args) for e in b.events.ResponseFired.get_logs(from_block=0)],
            actions={
                i: Action.model_validate(b.functions.action(i).call()) for i in range(1, count + 1)
            },
            overdue={i: bool(b.functions.isReportOverdue(i).call()) for i in range(1, count + 1)},
            response=Response.model_validate(b.functions.response(1).call()),
            batch_gas=[gas(h) for h in batches],
            gas_of=gas_of,
        )


@dataclass
class IncidentRun:
    report: dict[str, Any]
    text: str
    out_dir: Path
    chain: Chain


@pytest.fixture(scope="module")
def incident(tmp_path_factory: pytest.TempPathFactory) -> IncidentRun:
    out_dir = tmp_path_factory.mktemp("incident")
    out = io.StringIO()
    seen: list[Chain] = []
    report = run_incident_demo(
        IncidentConfig(seed=SEED, out_dir=out_dir, progress=False),
        out,
        on_chain=lambda p: seen.append(Chain.read(p)),
    )
    return IncidentRun(report, out.getvalue(), out_dir, seen[0])


@pytest.fixture(scope="module")
def reference() -> tuple[list[ref.Measurement], ref.RegionGrid, list[ref.Event]]:
    """The simulator's points in the preset area and the reference's account of them."""
    profile = ref.PRESETS[AREA_ID][1]
    points, _ = simulate(profile, NOMINAL_MHZ, CAPACITY_KW, INCIDENT_START, SEED)
    final, events = ref.run(profile, NOMINAL_MHZ, points)
    return points, final, events


def test_incident_demo__every_check_against_the_contracts_passes(incident: IncidentRun) -> None:
    assert incident.report["checks"] == {
        "states_match_reference": True,
        "stages_match_reference": True,
        "final_record_matches_reference": True,
        "one_shedding_stage": True,
        "response_fired_once_and_instructed": True,
        "ends_normal_by_recovery": True,
        "load_shed_completed_with_report": True,
        "report_not_overdue": True,
    }
    assert "Checks against the contracts: all passed" in incident.text
    assert "Stopped Anvil" in incident.text
    # one log line per batch of 15 (121 points: 8 full quarter hours and the last point)
    assert [line.split(":")[0].split(" ")[1] for line in incident.text.splitlines()
            if line.startswith("batch ")] == [f"{k}/9" for k in range(1, 10)]  # fmt: skip


def test_incident_demo__the_chain_judged_the_points_as_the_reference_does(
    incident: IncidentRun, reference: tuple[list[ref.Measurement], ref.RegionGrid, list[ref.Event]]
) -> None:
    points, final, events = reference
    chain, report = incident.chain, incident.report
    # the region's area on chain is the preset the reference holds
    assert tuple(chain.profile.abi()) == tuple(
        list(v) if isinstance(v, tuple) else v for v in ref.PRESETS[AREA_ID][1].as_tuple()
    )
    assert [(p["time"], p["frequency_mhz"]) for p in report["trace"]] == [
        (m.time, m.frequency_mhz) for m in points
    ]
    changes = [
        (int(e.from_state), int(e.to_state), e.time, int(e.cause))
        for e in events
        if isinstance(e, ref.StateChanged)
    ]
    assert chain.changes == changes
    assert [(r["from"], r["to"], r["time"], r["cause"]) for r in report["states"]] == [
        (SystemState(a).name, SystemState(b).name, t, StateCause(c).name) for a, b, t, c in changes
    ]
    assert (
        chain.changes[-1][1] == SystemState.Normal and chain.changes[-1][3] == StateCause.Recovered
    )
    assert chain.grid.state.name == final.state.name == "Normal"
    assert (chain.grid.latest_time, chain.grid.normal_since, chain.grid.reference_load_kw) == (
        final.latest_time,
        final.normal_since,
        final.reference_load_kw,
    )
    assert report["final_record"] == report["reference"]["final_record"]
    assert report["final_record"]["latest_time"] == points[-1].time


def test_incident_demo__one_stage_one_response_and_the_reported_load_shed(
    incident: IncidentRun, reference: tuple[list[ref.Measurement], ref.RegionGrid, list[ref.Event]]
) -> None:
    points, _, events = reference
    chain, report = incident.chain, incident.report
    stages = [
        (e.time, e.stage, e.cumulative_share_bps) for e in events if isinstance(e, ref.StageReached)
    ]
    assert chain.stages == stages and len(stages) == 1 and stages[0][1] == 1
    assert [
        (s["time"], s["stage"], s["cumulative_share_bps"]) for s in report["shedding"]
    ] == stages
    # the response fired on the first point at or below the alert edge, once (the next is in its window)
    threshold = NOMINAL_MHZ - ref.PRESETS[AREA_ID][1].alert_mhz
    first_low = next(m for m in points if m.frequency_mhz <= threshold)
    assert [(f["measurementTime"], f["value"]) for f in chain.fired] == [
        (first_low.time, first_low.frequency_mhz)
    ]
    assert chain.response.fired == report["response"]["fired"] == 1
    fired_action = chain.actions[chain.fired[0]["actionId"]]
    assert fired_action.kind == ActionKind.ReserveActivation
    assert fired_action.status == ActionStatus.Instructed and fired_action.response_id == 1
    # the load shed: the stage's share, completed with what the simulator shed, its report's hash
    shed_id, shed = next((i, a) for i, a in chain.actions.items() if a.kind == ActionKind.LoadShed)
    at, stage, share = stages[0]
    assert (shed.stage, shed.share_bps, shed.window_start) == (stage, share, at)
    assert shed.status == ActionStatus.Completed
    assert shed.delivered_kw == report["incident"]["shed_kw"]
    published = (incident.out_dir / "load_shed_report.json").read_bytes()
    assert shed.report_hash == keccak(published)
    assert json.loads(published)["stage"] == shed.stage
    assert chain.overdue[shed_id] is False
    rows = {a["id"]: a for a in report["actions"]}
    assert rows[shed_id]["report_hash"] == "0x" + shed.report_hash.hex()
    assert {i: (r["kind"], r["status"]) for i, r in rows.items()} == {
        i: (a.kind.name, a.status.name) for i, a in chain.actions.items()
    }


def test_incident_demo__gas_figures_are_the_chains_receipts(incident: IncidentRun) -> None:
    chain, gas = incident.chain, incident.report["gas"]
    assert [b["gas"] for b in incident.report["batches"]] == chain.batch_gas
    assert gas["by_kind"]["measurements"] == sum(chain.batch_gas)
    assert gas["txs_by_kind"]["measurements"] == len(chain.batch_gas) == 9
    firing = [b for b in incident.report["batches"] if b["responses_fired"]]
    assert len(firing) == 1 and gas["batch_response_fired"] == firing[0]["gas"]
    assert gas["first_batch"] == chain.batch_gas[0]
    assert gas["batch"] in chain.batch_gas[1:]
    assert gas["load_shed"] == chain.gas_of
    assert gas["by_kind"]["load shed"] == sum(chain.gas_of.values())
    assert "the batch that fired a response" in incident.text


def test_incident_demo__writes_its_report_and_chart(incident: IncidentRun) -> None:
    saved = json.loads((incident.out_dir / "incident_report.json").read_text())
    assert saved["checks"] == incident.report["checks"]
    assert saved["incident"] == incident.report["incident"]
    assert (incident.out_dir / "incident_chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_demo_incident__runs_and_exits_0(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli.main", "demo", "--scenario", "frequency-incident",
         "--out", str(tmp_path), "--no-progress"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "Checks against the contracts: all passed" in proc.stdout
    assert json.loads((tmp_path / "incident_report.json").read_text())["scenario"] == (
        "frequency-incident"
    )
    assert (tmp_path / "incident_chart.png").exists()


def test_cli_demo_incident__a_failed_check__named_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A reference that disagrees with the chain (here: it misses the last point) fails the check
    it breaks, which the report names, and the command exits 2."""
    from oracles.cli.main import main
    from oracles.sim import incident_report

    full_run = ref.run
    monkeypatch.setattr(
        incident_report.ref, "run", lambda p, nominal, points: full_run(p, nominal, points[:-1])
    )
    code = main(
        ["demo", "--scenario", "frequency-incident", "--out", str(tmp_path), "--no-progress"]
    )
    assert code == 2
    report = json.loads((tmp_path / "incident_report.json").read_text())
    assert [k for k, ok in report["checks"].items() if not ok] == ["final_record_matches_reference"]
    assert "Checks against the contracts: FAILED: final_record_matches_reference" in (
        capsys.readouterr().out
    )


@pytest.mark.parametrize(
    "option", [["--settlement", "batch"], ["--consumers", "40"], ["--interval", "15"],
               ["--history-days", "10"]],
)  # fmt: skip
def test_cli_demo_incident__a_dr_cycle_option__one_line_error(option: list[str]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "oracles.cli.main", "demo", "--scenario", "frequency-incident", *option],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 1
    assert proc.stderr == (
        f"gridbalance: error: {option[0]}: applies to --scenario dr-cycle only, not frequency-incident\n"
    )
    assert proc.stdout == ""  # refused before any chain was started
