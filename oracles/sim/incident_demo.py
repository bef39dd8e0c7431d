"""`gridbalance demo --scenario frequency-incident`: a generator trip replayed on a local Anvil.

1. Start Anvil at the local network's genesis (as the DR demo does, so a seed always gives the same
   chain); deploy the protocol with one region in the ERCOT-like area (preset 3, 60 Hz) and the
   demo's grid oracle as GridStability's ``GRID_ORACLE_ROLE`` holder.
2. A transmission system operator applies with every capability (G-1) and two of the three council
   members verify it (G-3); it configures an automated response (G-16): a reserve activation when the
   frequency is at or below the alert band's edge, at most once in 10 minutes.
3. The incident (``oracles/sim/frequency_incident.py``): two hours at one-minute resolution, a trip
   of 8 % of the generation at minute 20 whose nadir reaches exactly the first UFLS stage, then
   recovery. The chain clock is moved past its end and the grid oracle posts it in batches of 15
   (one quarter hour each, as its daemon would), one log line per batch.
4. When the chain logs ``SheddingStageReached`` the operator records the load shed it carried out:
   a LoadShed action with that stage and its share, instructed, completed, and the hash of its
   report (``load_shed_report.json``, keccak of its bytes) submitted (G-13, G-15).
5. Everything is read back from the chain's logs and views and checked against the pure reference
   (``oracles.reference.grid_state.run`` of the same points): ``incident_report.json``,
   ``incident_chart.png`` and a short text report (``oracles/sim/incident_report.py``).

Why the ERCOT-like area: it is the one preset that judges reserves (EEA1-3 levels), so the trip
moves the state through the reserve rule as well as the frequency bands; its region's capacity
(85 GW, the size of ERCOT's peak) keeps the simulated reserve (6 % of capacity) above the alert level
before the trip, and the load (60 % of capacity) far inside G-7's ``2 x capacity``.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from eth_utils.crypto import keccak
from tqdm import tqdm
from web3 import Web3

from oracles.chain.anvil import PROJECT_ROOT, set_time, start_anvil
from oracles.chain.client import ChainClient, GasLedger
from oracles.chain.logs import decode_events
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol, load_suite
from oracles.ops.localnet import GENESIS_TIMESTAMP
from oracles.protocol.bindings import ActionRequest, BandProfile, RegionGrid, ResponseConfig
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import ActionKind, OperatorKind, ResponseMetric, UtilityAction
from oracles.protocol.errors import ErrorDecoder
from oracles.reference import grid_state as ref
from oracles.sim.context import DemoError
from oracles.sim.frequency_incident import RECONNECT, simulate
from oracles.sim.incident_chart import draw_incident_chart
from oracles.sim.incident_context import (
    ALL_CAPABILITIES,
    AREA_ID,
    BATCH,
    CAPACITY_KW,
    INCIDENT_START,
    NOMINAL_MHZ,
    POSTED_AFTER_END,
    REGION_ID,
    REGION_NAME,
    RESPONSE_DURATION_SECONDS,
    RESPONSE_TARGET_KW,
    RESPONSE_WINDOW_SECONDS,
    ROLES,
    TIME_ZONE,
    UTC_OFFSET_MINUTES,
    IncidentConfig,
    IncidentRun,
    OnChain,
    Played,
)
from oracles.sim.incident_report import build_incident_report, print_incident_report

log = logging.getLogger("gridbalance.demo.incident")


def run_incident_demo(
    cfg: IncidentConfig | None = None,
    out: TextIO | None = None,
    on_chain: OnChain | None = None,
) -> dict[str, Any]:
    """Run the scenario on a fresh Anvil; return the report (also ``<out>/incident_report.json``).
    ``out`` is the text's stream (the current ``sys.stdout`` by default); ``on_chain(protocol)`` is
    called after the report is built, before Anvil stops (tests read the chain there)."""
    cfg = cfg or IncidentConfig()
    out = out or sys.stdout
    load_suite(with_test_tokens=False, build_dir=cfg.build_dir)  # fail before starting a chain
    started = time.monotonic()
    run_name = datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + "-incident"
    out_dir = cfg.out_dir or PROJECT_ROOT / "reports" / run_name
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in ("deployment.json", "load_shed_report.json", "incident_report.json"):
        (out_dir / stale).unlink(missing_ok=True)  # always a fresh chain and a fresh run's files
    with start_anvil(
        accounts=len(ROLES), base_fee=0, extra_args=["--timestamp", str(GENESIS_TIMESTAMP)]
    ) as chain:
        print(
            f"Started Anvil (pid {chain.pid}) at {chain.url}, chain id {chain.chain_id}", file=out
        )
        w3 = connect(chain.url)
        try:
            run = _deploy(cfg, w3, chain.url, out_dir, out)
            played = _play(run, out)
            report = build_incident_report(run, played)
            draw_incident_chart(report, out_dir / "incident_chart.png")
            if on_chain is not None:
                on_chain(run.p)
        finally:
            print(f"Stopped Anvil (pid {chain.pid}).", file=out)
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    (out_dir / "incident_report.json").write_text(json.dumps(report, indent=2) + "\n")
    print_incident_report(report, out)
    print(
        f"Wall time {report['wall_seconds']} s. Report: {out_dir / 'incident_report.json'}, "
        f"chart: {out_dir / 'incident_chart.png'}",
        file=out,
    )
    return report


# ------------------------------------------------------------------ stages


def _deploy(cfg: IncidentConfig, w3: Web3, url: str, out_dir: Path, out: TextIO) -> IncidentRun:
    accounts = list(w3.eth.accounts)
    ledger, decoder = GasLedger(), ErrorDecoder(cfg.build_dir)
    clients = {
        r: ChainClient(w3, NodeSigner(accounts[i]), decoder=decoder, ledger=ledger)
        for r, i in ROLES.items()
    }

    def a(role: str) -> str:
        return str(accounts[ROLES[role]])

    region = RegionConfig(
        id=REGION_ID, name=REGION_NAME, capacity_kw=CAPACITY_KW, nominal_frequency_mhz=NOMINAL_MHZ,
        utc_offset_minutes=UTC_OFFSET_MINUTES, area_id=AREA_ID, time_zone=TIME_ZONE,
    )  # fmt: skip
    config = DeployConfig(
        regions=[region], verifiers=[a("verifier1"), a("verifier2"), a("verifier3")], threshold=2,
        grid_oracles=[a("grid_oracle")], pausers=[a("admin")],
    )  # fmt: skip
    with ledger.staged("deploy"):
        manifest = deploy_protocol(
            clients["admin"], config, out_dir / "deployment.json", cfg.build_dir
        )
    p = Protocol.connect(w3, manifest, cfg.build_dir)
    area = str(p.regions.functions.areaName(AREA_ID).call())
    print(
        f"Deployed {len(manifest.contracts)} contracts; region {REGION_ID} {REGION_NAME!r} in area "
        f"{AREA_ID} ({area}), {CAPACITY_KW / 1_000:,.0f} MW; manifest {out_dir / 'deployment.json'}",
        file=out,
    )
    return IncidentRun(cfg, w3, url, p, ledger, clients, out_dir)


def _profile(run: IncidentRun) -> ref.BandProfile:
    """The region's band profile as the chain holds it, as the reference's type."""
    chain = BandProfile.model_validate(run.p.regions.functions.bandProfile(REGION_ID).call())
    values: list[Any] = [tuple(v) if isinstance(v, list) else v for v in chain.abi()]
    return ref.BandProfile(*values)


def _verify_operator(run: IncidentRun, out: TextIO) -> None:
    ops = run.p.operators.functions
    operator = run.clients["operator"].address
    run.send("operator", ops.applyAsOperator(
        "Lone Star TSO", int(OperatorKind.TransmissionSystemOperator), ALL_CAPABILITIES,
        keccak(text="grid code designation LS-TSO-1"), [REGION_ID],
    ), "operator", "applyAsOperator")  # fmt: skip
    for v in ("verifier1", "verifier2"):
        run.send(v, ops.approve(operator, int(UtilityAction.Verify)), "operator", f"approve by {v}")
    if not ops.isActiveOperator(operator, REGION_ID, ALL_CAPABILITIES).call():
        raise DemoError("the transmission system operator is not active after 2 approvals")
    print(
        f"Transmission system operator {operator} verified by 2 of 3 council members, with every "
        "capability (system state, balancing, load shed, automation)",
        file=out,
    )


def _configure_response(run: IncidentRun, profile: ref.BandProfile, out: TextIO) -> int:
    threshold = NOMINAL_MHZ - profile.alert_mhz  # the alert band's lower edge
    config = ResponseConfig(
        region_id=REGION_ID, metric=ResponseMetric.FrequencyBelow, threshold=threshold,
        kind=ActionKind.ReserveActivation, target_kw=RESPONSE_TARGET_KW, priority=1,
        window_seconds=RESPONSE_WINDOW_SECONDS, duration_seconds=RESPONSE_DURATION_SECONDS,
    )  # fmt: skip
    receipt = run.send(
        "operator",
        run.p.balancing.functions.configureAutomatedResponse(config.abi()),
        "response",
        "configureAutomatedResponse",
    )
    response_id = int(
        decode_events(run.p.balancing, "ResponseConfigured", receipt["logs"])[0]["responseId"]
    )
    print(
        f"Automated response {response_id}: activate {RESPONSE_TARGET_KW / 1_000:,.0f} MW of reserves "
        f"for {RESPONSE_DURATION_SECONDS // 60} min when the frequency is at or below "
        f"{threshold / 1_000:.3f} Hz, at most once in {RESPONSE_WINDOW_SECONDS // 60} min",
        file=out,
    )
    return response_id


def _play(run: IncidentRun, out: TextIO) -> Played:
    """The operator and its response, then the incident posted batch by batch; the load shed
    recorded as soon as the chain logs the stage it reached."""
    _verify_operator(run, out)
    profile = _profile(run)
    response_id = _configure_response(run, profile, out)
    points, summary = simulate(profile, NOMINAL_MHZ, CAPACITY_KW, INCIDENT_START, run.cfg.seed)
    played = Played(profile, points, summary, response_id)
    print(
        f"Incident (seed {run.cfg.seed}): {len(points)} one-minute points "
        f"{run.local(points[0].time)} to {run.local(points[-1].time)}; a trip of "
        f"{summary.trip_kw / 1_000:,.0f} MW at {run.local(summary.trip_time)}",
        file=out,
    )
    set_time(run.url, points[-1].time + POSTED_AFTER_END)  # the two hours are in the past
    stability, balancing = run.p.stability, run.p.balancing
    batches = [points[i : i + BATCH] for i in range(0, len(points), BATCH)]
    bar = tqdm(total=len(batches), desc=f"{'measurement batches':<28}", disable=not run.cfg.progress,
               leave=True, file=sys.stderr, bar_format="{l_bar}{bar:30}{r_bar}")  # fmt: skip
    for k, batch in enumerate(batches, start=1):
        fn = stability.functions.postMeasurements(REGION_ID, [m.as_tuple() for m in batch])
        receipt = run.send("grid_oracle", fn, "measurements", f"postMeasurements batch {k}")
        logs = receipt["logs"]
        changes = decode_events(stability, "SystemStateChanged", logs)
        stages = decode_events(stability, "SheddingStageReached", logs)
        fired = decode_events(balancing, "ResponseFired", logs)
        failed = decode_events(balancing, "ResponseFailed", logs)
        failed += decode_events(stability, "ResponsesFailed", logs)
        if failed:
            reason = run.clients["grid_oracle"].decoder.decode(failed[0]["reason"])
            raise DemoError(f"batch {k}: the automated response failed: {reason}")
        grid = RegionGrid.model_validate(stability.functions.regionGrid(REGION_ID).call())
        state = ref.SystemState(int(grid.state))
        low = min(m.frequency_mhz for m in batch)
        notes = [
            f"{ref.SystemState(c['from']).name}->{ref.SystemState(c['to']).name}" for c in changes
        ]
        notes += [f"UFLS stage {s['stage']} ({s['cumulativeShareBps'] / 100:g} %)" for s in stages]
        notes += [f"response {f['responseId']} fired action {f['actionId']}" for f in fired]
        line = (
            f"batch {k}/{len(batches)} {run.local(batch[0].time)[11:16]}-{run.local(batch[-1].time)[11:]}: "
            f"{len(batch)} point{'s' if len(batch) > 1 else ''}, lowest {low / 1_000:.3f} Hz, state {state.name}, "
            f"{receipt['gasUsed']:,} gas" + (f"; {', '.join(notes)}" if notes else "")
        )
        log.info(line)
        print(line, file=out)
        played.batches.append({
            "batch": k, "first_time": batch[0].time, "last_time": batch[-1].time, "points": len(batch),
            "gas": int(receipt["gasUsed"]), "state_after": state.name, "lowest_frequency_mhz": low,
            "state_changes": len(changes), "stages": [int(s["stage"]) for s in stages],
            "responses_fired": [int(f["responseId"]) for f in fired],
        })  # fmt: skip
        for s in stages:
            _record_load_shed(
                run, played, int(s["time"]), int(s["stage"]), int(s["cumulativeShareBps"]), out
            )
        bar.update(1)
    bar.close()
    return played


def _record_load_shed(
    run: IncidentRun, played: Played, at: int, stage: int, share_bps: int, out: TextIO
) -> None:
    """G-13, G-15: the load shed the operator's relays carried out at ``stage``, from the stage's
    time until the shed load was reconnected, recorded and reported."""
    fns = run.p.balancing.functions
    shed_kw = played.summary.shed_kw
    until = played.points[0].time + 60 * RECONNECT[1]
    request = ActionRequest(
        region_id=REGION_ID, kind=ActionKind.LoadShed, target_kw=shed_kw, priority=1,
        window_start=at, window_end=until, stage=stage, share_bps=share_bps,
    )  # fmt: skip
    receipt = run.send("operator", fns.proposeAction(request.abi()), "load shed", "proposeAction")
    action_id = int(
        decode_events(run.p.balancing, "ActionProposed", receipt["logs"])[0]["actionId"]
    )
    run.send("operator", fns.instructAction(action_id), "load shed", "instructAction")
    run.send("operator", fns.completeAction(action_id, shed_kw), "load shed", "completeAction")
    report = {
        "action": action_id, "region": REGION_ID, "cause": "under-frequency load shedding",
        "stage": stage, "share_bps": share_bps, "shed_kw": shed_kw,
        "from": run.local(at), "reconnected_by": run.local(until),
        "nadir_frequency_mhz": played.summary.nadir_frequency_mhz,
    }  # fmt: skip
    data = (json.dumps(report, sort_keys=True) + "\n").encode()
    (run.out_dir / "load_shed_report.json").write_bytes(data)
    run.send(
        "operator", fns.submitShedReport(action_id, keccak(data)), "load shed", "submitShedReport"
    )
    played.shed_action_id, played.shed_report = action_id, data
    print(
        f"Operator recorded load shed action {action_id}: UFLS stage {stage}, "
        f"{share_bps / 100:g} % of load ({shed_kw / 1_000:,.0f} MW) from {run.local(at)[11:]} to "
        f"{run.local(until)[11:]}, instructed, completed, report 0x{keccak(data).hex()[:16]}... submitted",
        file=out,
    )
