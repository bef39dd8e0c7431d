"""The frequency incident's report: what the chain recorded, read back from its logs and views, the
reference's account of the same points, the checks between them, and the printed summary."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from enum import Enum
from statistics import median
from typing import Any, TextIO

from eth_utils.crypto import keccak

from oracles.protocol.bindings import Action, RegionGrid, Response
from oracles.protocol.enums import ActionKind, ActionStatus, StateCause, SystemState
from oracles.reference import grid_state as ref
from oracles.sim.incident_context import (
    AREA_ID,
    BATCH,
    NOMINAL_MHZ,
    REGION_ID,
    REGION_NAME,
    IncidentRun,
    Played,
)


def _state_rows(
    run: IncidentRun, changes: Sequence[tuple[int, int, int, int]]
) -> list[dict[str, Any]]:
    return [
        {"from": SystemState(a).name, "to": SystemState(b).name, "time": t, "local": run.local(t),
         "cause": StateCause(c).name}
        for a, b, t, c in changes
    ]  # fmt: skip


def _record(grid: RegionGrid | ref.RegionGrid) -> dict[str, Any]:
    """The fields of a region's record that the reference keeps too (``stateSince`` is the chain's),
    from the chain's binding or from the reference (the same names), states and levels by name."""
    return {
        name: value.name if isinstance(value, Enum) else value
        for name, value in ref.record_fields(grid).items()
    }


def _action_row(run: IncidentRun, action_id: int, a: Action) -> dict[str, Any]:
    return {
        "id": action_id,
        "kind": a.kind.name,
        "status": a.status.name,
        "target_kw": a.target_kw,
        "priority": a.priority,
        "window_start": a.window_start,
        "window_end": a.window_end,
        "window_local": run.clock.span_text(
            datetime.fromtimestamp(a.window_start, tz=UTC),
            datetime.fromtimestamp(a.window_end, tz=UTC),
            standard=False,
        ),
        "stage": a.stage,
        "share_bps": a.share_bps,
        "delivered_kw": a.delivered_kw,
        "response_id": a.response_id,
        "sequence": a.sequence,
        "report_due": a.report_due,
        "report_hash": "0x" + a.report_hash.hex(),
        "report_overdue": bool(run.p.balancing.functions.isReportOverdue(action_id).call()),
    }


def build_incident_report(run: IncidentRun, played: Played) -> dict[str, Any]:
    """Read the chain back (logs from block 0, the region's record, every action, the response) and
    compare it with ``grid_state.run`` of the posted points."""
    stability, balancing = run.p.stability, run.p.balancing
    changes = [
        (int(e.args["from"]), int(e.args["to"]), int(e.args["time"]), int(e.args["cause"]))
        for e in stability.events.SystemStateChanged.get_logs(from_block=0)
    ]
    stages = [
        (int(e.args["time"]), int(e.args["stage"]), int(e.args["cumulativeShareBps"]))
        for e in stability.events.SheddingStageReached.get_logs(from_block=0)
    ]
    fired: list[dict[str, Any]] = [
        {"response_id": int(e.args["responseId"]), "action_id": int(e.args["actionId"]),
         "measurement_time": int(e.args["measurementTime"]), "value": int(e.args["value"]),
         "local": run.local(int(e.args["measurementTime"]))}
        for e in balancing.events.ResponseFired.get_logs(from_block=0)
    ]  # fmt: skip
    count = int(balancing.functions.actionCount().call())
    actions = {
        i: Action.model_validate(balancing.functions.action(i).call()) for i in range(1, count + 1)
    }
    response = Response.model_validate(balancing.functions.response(played.response_id).call())
    grid = RegionGrid.model_validate(stability.functions.regionGrid(REGION_ID).call())

    final, events = ref.run(played.profile, NOMINAL_MHZ, played.points)
    ref_changes = [
        (int(e.from_state), int(e.to_state), e.time, int(e.cause))
        for e in events
        if isinstance(e, ref.StateChanged)
    ]
    ref_stages = [
        (e.time, e.stage, e.cumulative_share_bps) for e in events if isinstance(e, ref.StageReached)
    ]
    shed = actions.get(played.shed_action_id or 0)
    fired_actions = [actions.get(f["action_id"]) for f in fired]
    checks = {
        "states_match_reference": changes == ref_changes,
        "stages_match_reference": stages == ref_stages,
        "final_record_matches_reference": _record(grid) == _record(final),
        "one_shedding_stage": [s[1] for s in stages] == [1],
        "response_fired_once_and_instructed": (
            len(fired) == 1
            and response.fired == 1
            and fired[0]["response_id"] == played.response_id
            and all(a is not None and a.status == ActionStatus.Instructed for a in fired_actions)
        ),
        "ends_normal_by_recovery": (
            grid.state == SystemState.Normal
            and bool(changes)
            and changes[-1][1] == SystemState.Normal
            and changes[-1][3] == StateCause.Recovered
        ),
        "load_shed_completed_with_report": (
            shed is not None
            and shed.kind == ActionKind.LoadShed
            and shed.status == ActionStatus.Completed
            and bool(stages)
            and (shed.stage, shed.share_bps) == stages[0][1:]
            and shed.report_hash == keccak(played.shed_report)
        ),
        "report_not_overdue": played.shed_action_id is not None
        and not bool(balancing.functions.isReportOverdue(played.shed_action_id).call()),
    }
    s, p = played.summary, played.profile
    region = run.p.region(REGION_ID)
    by_what = {t.what: t.gas for t in run.txs}
    firing = [b for b in played.batches if b["responses_fired"]]
    quiet = [  # full batches after the first that changed nothing: the steady cost of posting
        b
        for b in played.batches[1:]
        if b["points"] == BATCH and not (b["state_changes"] or b["stages"] or b["responses_fired"])
    ]
    return {
        "scenario": "frequency-incident",
        "seed": run.cfg.seed,
        "region": {
            "id": REGION_ID,
            "name": REGION_NAME,
            "area_id": AREA_ID,
            "area": str(run.p.regions.functions.areaName(AREA_ID).call()),
            "capacity_kw": region.capacity_kw,
            "nominal_frequency_mhz": region.nominal_frequency_mhz,
            "time_zone": run.clock.zone_label,
        },
        "profile": {
            "normal_mhz": p.normal_mhz,
            "alert_mhz": p.alert_mhz,
            "emergency_mhz": p.emergency_mhz,
            "reserve_alert_kw": p.reserve_alert_kw,
            "reserve_emergency_kw": p.reserve_emergency_kw,
            "reserve_shed_kw": p.reserve_shed_kw,
            "recovery_seconds": p.recovery_seconds,
            "stages": [[d, sh] for d, sh in zip(p.stage_mhz, p.stage_share_bps, strict=True) if d],
        },
        "incident": {
            "points": len(played.points),
            "first_time": played.points[0].time,
            "last_time": played.points[-1].time,
            "trip_time": s.trip_time,
            "trip_local": run.local(s.trip_time),
            "trip_kw": s.trip_kw,
            "nadir_time": s.nadir_time,
            "nadir_local": run.local(s.nadir_time),
            "nadir_frequency_mhz": s.nadir_frequency_mhz,
            "stage": s.stage,
            "shed_kw": s.shed_kw,
            "recovery_time": s.recovery_time,
            "recovery_local": run.local(s.recovery_time),
        },
        "trace": [
            {
                "time": m.time,
                "frequency_mhz": m.frequency_mhz,
                "load_kw": m.load_kw,
                "reserve_kw": m.reserve_kw,
            }
            for m in played.points
        ],
        "batches": played.batches,
        "states": _state_rows(run, changes),
        "shedding": [
            {"time": t, "local": run.local(t), "stage": st, "cumulative_share_bps": sh}
            for t, st, sh in stages
        ],
        "responses_fired": fired,
        "response": {
            "id": played.response_id,
            "fired": response.fired,
            "last_fired": response.last_fired,
            "threshold_mhz": response.config.threshold,
            "window_seconds": response.config.window_seconds,
        },
        "actions": [_action_row(run, i, a) for i, a in actions.items()],
        "final_record": _record(grid),
        "reference": {
            "states": _state_rows(run, ref_changes),
            "final_record": _record(final),
        },
        "gas": {
            "by_kind": dict(run.ledger.by_stage),
            "txs_by_kind": dict(run.ledger.txs_by_stage),
            # the first batch also writes the region's record for the first time (cold storage)
            "first_batch": played.batches[0]["gas"],
            "batch": int(median(b["gas"] for b in quiet)) if quiet else None,
            "batch_response_fired": firing[0]["gas"] if firing else None,
            "load_shed": {
                step: by_what.get(step)
                for step in (
                    "proposeAction",
                    "instructAction",
                    "completeAction",
                    "submitShedReport",
                )
            },
        },
        "checks": checks,
    }


def _gas(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def print_incident_report(r: dict[str, Any], out: TextIO) -> None:
    """The short text report the scenario prints."""
    i, g = r["incident"], r["gas"]
    print(f"\nFrequency incident in {r['region']['name']} (area {r['region']['area_id']}, "
          f"{r['region']['area']}, {r['region']['capacity_kw'] / 1_000:,.0f} MW)", file=out)  # fmt: skip
    print(
        f"  trip      {i['trip_local']}: {i['trip_kw'] / 1_000:,.0f} MW of generation lost",
        file=out,
    )
    print(f"  nadir     {i['nadir_local']}: {i['nadir_frequency_mhz'] / 1_000:.3f} Hz", file=out)
    for s in r["shedding"]:
        print(f"  UFLS      {s['local']}: stage {s['stage']}, {s['cumulative_share_bps'] / 100:g} % "
              f"of load ({i['shed_kw'] / 1_000:,.0f} MW)", file=out)  # fmt: skip
    print("\n  system state (SystemStateChanged)", file=out)
    for row in r["states"]:
        print(f"  {row['local']}  {row['from']:>11} -> {row['to']:<11} ({row['cause']})", file=out)
    print("\n  actions", file=out)
    for a in r["actions"]:
        by = f"response {a['response_id']}" if a["response_id"] else "the operator"
        extra = (
            f", stage {a['stage']}, {a['share_bps'] / 100:g} %" if a["kind"] == "LoadShed" else ""
        )
        report = (
            ""
            if a["kind"] != "LoadShed"
            else (
                f", report {a['report_hash'][:18]}..."
                + (" (overdue)" if a["report_overdue"] else "")
            )
        )
        print(f"  {a['id']}. {a['kind']} {a['target_kw'] / 1_000:,.0f} MW{extra}, {a['window_local']}, "
              f"by {by}: {a['status']}{report}", file=out)  # fmt: skip
    shed = g["load_shed"]
    lifecycle = sum(shed.values()) if all(shed.values()) else None
    steps = ", ".join(f"{k.removesuffix('Action').removeprefix('submitShed').lower()} {_gas(v)}"
                      for k, v in shed.items())  # fmt: skip
    print("\n  gas", file=out)
    print(f"  a batch of 15 measurements      {_gas(g['batch']):>12} (median of the quiet ones; "
          f"the first, which creates the region's record, {_gas(g['first_batch'])})", file=out)  # fmt: skip
    print(f"  the batch that fired a response {_gas(g['batch_response_fired']):>12}", file=out)
    print(f"  load shed lifecycle             {_gas(lifecycle):>12} ({steps})", file=out)
    for kind, gas in g["by_kind"].items():
        print(f"  {kind:<14} {gas:>14,} gas in {g['txs_by_kind'][kind]:>3} txs", file=out)
    bad = [k for k, ok in r["checks"].items() if not ok]
    print(
        f"\nChecks against the contracts: {'all passed' if not bad else 'FAILED: ' + ', '.join(bad)}",
        file=out,
    )
