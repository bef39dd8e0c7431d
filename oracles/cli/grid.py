"""`gridbalance grid status|post|declare|approve-exit`: a region's measured system state, the grid
oracle's measurements, and emergency mode (GridStability, SPEC G-5..G-12)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from oracles.cli import argtypes
from oracles.cli.actions import CliError, Own, Role, Session, Tx, command, events, group, one_event
from oracles.cli.utility import when
from oracles.ingest.measurement_files import MeasurementFileError, read_measurements
from oracles.protocol.bindings import BandProfile, Measurement, RegionGrid
from oracles.protocol.enums import SystemState

CONTRACT = "GridStability"
ORACLE = Role(CONTRACT, "GRID_ORACLE_ROLE")
COUNCIL = Role("UtilityRegistry", "VERIFIER_ROLE")  # the one council (G-11)
BATCH = 96  # GridStability.MAX_BATCH


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "grid", "grid stability: status, post measurements, declare and end emergencies")
    p = command(g, "status", "a region's band profile, system state and latest measurement", _status,
                sends=False)  # fmt: skip
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="the region id")
    p = command(g, "post", "post a measurement CSV (the grid oracle)", _post)
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="the region id")
    p.add_argument("--file", type=Path, required=True,
                   help="time,load_kw,reserve_kw,frequency_mhz,voltage_permille,phase_centideg")  # fmt: skip
    p = command(g, "declare", "declare an emergency (an operator with the system-state capability)",
                _declare)  # fmt: skip
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="the region id")
    p.add_argument("--reason", type=argtypes.hash32, required=True,
                   help="the published reason's hash, or its text (hashed)")  # fmt: skip
    p.add_argument("--rate-cap-bps", type=argtypes.uint(16), default=0,
                   help="cap on new events' rates, bps of a program's base rate: 0 (the area's) or "
                        "10000..50000 (default: 0)")  # fmt: skip
    p = command(g, "approve-exit", "approve ending a region's emergency (the council; M needed)",
                _approve_exit)  # fmt: skip
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="the region id")


def _region(s: Session, region: int) -> None:
    if not s.p.regions.functions.regionExists(region).call():
        raise CliError(f"region {region} does not exist")


def _grid(s: Session, region: int) -> RegionGrid:
    return RegionGrid.model_validate(s.p.stability.functions.regionGrid(region).call())


def _threshold(s: Session) -> int:
    return int(s.p.utilities.functions.threshold().call())


def _status(args: argparse.Namespace) -> int:
    s = Session.open(args)
    _region(s, args.region)
    fns = s.p.stability.functions
    params = s.p.region(args.region)
    area = s.p.regions.functions.areaName(params.area_id).call()
    bp = BandProfile.model_validate(s.p.regions.functions.bandProfile(args.region).call())
    g = _grid(s, args.region)
    nominal = params.nominal_frequency_mhz
    s.say(f"region {args.region}: area {params.area_id} {area!r}, {nominal / 1000:g} Hz")
    s.say(f"  bands         normal ±{bp.normal_mhz} mHz, alert ±{bp.alert_mhz} mHz, emergency "
          f"±{bp.emergency_mhz} mHz; voltage ±{bp.voltage_normal_bps / 100:g} / "
          f"±{bp.voltage_alert_bps / 100:g} %; recovery {bp.recovery_seconds} s")  # fmt: skip
    stages = [
        f"{d} mHz: {sh / 100:g} %"
        for d, sh in zip(bp.stage_mhz, bp.stage_share_bps, strict=True)
        if d
    ]
    s.say(f"  UFLS stages   {', '.join(stages) or 'none'}")
    declared = ", declared" if g.declared else ""
    cap = f", rate cap {g.rate_cap_bps} bps" if g.rate_cap_bps else ""
    s.say(f"  state         {g.state.name}{declared}{cap} since {when(g.state_since)}; "
          f"level {fns.gridLevel(args.region).call()} for events, markets "
          f"{'paused' if fns.marketsPaused(args.region).call() else 'open'}")  # fmt: skip
    if g.latest_time:
        m = Measurement.model_validate(fns.latestMeasurement(args.region).call())
        s.say(f"  latest        {when(m.time)}: {m.frequency_mhz / 1000:.3f} Hz, voltage "
              f"{m.voltage_permille / 10:g} %, phase {m.phase_centideg / 100:g}°, load {m.load_kw:,} kW, "
              f"reserves {m.reserve_kw:,} kW ({g.latest_level.name})")  # fmt: skip
    else:
        s.say("  latest        no measurement yet (`gridbalance grid post`)")
    s.say(f"  stage         {g.stage} since the last Normal state")
    if g.state == SystemState.Emergency:
        s.say(f"  exit          {fns.exitApprovals(args.region).call()} of {_threshold(s)} council "
              "approvals (`gridbalance grid approve-exit`)")  # fmt: skip
    return 0


def _post(args: argparse.Namespace) -> int:
    s = Session.open(args)
    _region(s, args.region)
    try:
        points = [Measurement.model_validate(m.model_dump()) for m in read_measurements(args.file)]
    except MeasurementFileError as exc:
        raise CliError(str(exc)) from None
    latest = _grid(s, args.region).latest_time
    fresh = [m for m in points if m.time > latest]
    if not fresh:
        raise CliError(f"{args.file}: every measurement is at or before the region's latest "
                       f"({when(latest)}); nothing to post")  # fmt: skip
    fns = s.p.stability.functions
    txs = [Tx(fns.postMeasurements(args.region, [m.abi() for m in fresh[i : i + BATCH]]),
              f"post measurements {i + 1}..{min(i + BATCH, len(fresh))}", CONTRACT)
           for i in range(0, len(fresh), BATCH)]  # fmt: skip

    def summary(receipts: list[dict[str, Any]]) -> str:
        changes = events(receipts, s.p.stability, "SystemStateChanged")
        g = _grid(s, args.region)
        skipped = len(points) - len(fresh)
        text = (f"Posted {len(fresh)} measurements for region {args.region} in {len(txs)} "
                f"transaction{'s' * (len(txs) != 1)}"
                f"{f' ({skipped} at or before the latest on chain skipped)' if skipped else ''}; "
                f"state {g.state.name}.")  # fmt: skip
        for e in changes:
            text += (f"\n  {when(e['time'])}: {SystemState(e['from']).name} -> "
                     f"{SystemState(e['to']).name}")  # fmt: skip
        for e in events(receipts, s.p.stability, "SheddingStageReached"):
            text += (f"\n  {when(e['time'])}: shedding stage {e['stage']} reached "
                     f"({e['cumulativeShareBps'] / 100:g} % of load)")  # fmt: skip
        return text

    return s.run(txs, ORACLE, summary)


def _declare(args: argparse.Namespace) -> int:
    s = Session.open(args)
    _region(s, args.region)
    fn = s.p.stability.functions.declareEmergency(args.region, args.reason, args.rate_cap_bps)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.stability, "EmergencyDeclared")
        cap = (
            f", new events' rates capped at {e['rateCapBps']} bps of base"
            if e["rateCapBps"]
            else ""
        )
        return (f"Operator {s.label(e['operator'])} declared an emergency in region {args.region}{cap}: "
                "only Emergency-tier events are created until the council ends it "
                "(`gridbalance grid approve-exit`).")  # fmt: skip

    tx = Tx(fn, f"declare an emergency in region {args.region}", CONTRACT)
    return s.run([tx], Own("an operator with the system-state capability"), summary)


def _approve_exit(args: argparse.Namespace) -> int:
    s = Session.open(args)
    _region(s, args.region)
    fn = s.p.stability.functions.approveEmergencyExit(args.region)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.stability, "EmergencyExitApproved")
        text = (f"Council member {s.label(e['member'])} approved ending region {args.region}'s "
                f"emergency ({e['count']} of {_threshold(s)} approvals).")  # fmt: skip
        ended = events(receipts, s.p.stability, "SystemStateChanged")
        if ended:
            text += f" The emergency ended: the state is {SystemState(ended[-1]['to']).name}."
        return text

    def approved(member: str) -> bool:
        return bool(s.p.stability.functions.exitApproved(args.region, member).call())

    tx = Tx(fn, f"approve ending region {args.region}'s emergency", CONTRACT)
    return s.run([tx], Role(COUNCIL.contract, COUNCIL.role, skip=approved), summary)
