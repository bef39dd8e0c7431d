"""`gridbalance report`: a demo run's report (``report <run folder>``), or an event's record from
the shared log index (``report --event N``, :mod:`oracles.indexer.event_report`).

``--event`` first brings the index up to the chain's head, as the keeper does each pass (bounded
ranges, reorg check); when a running daemon holds the index file, the report reads it as that
daemon keeps it, without syncing, and says which block it is indexed to.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

from oracles.cli.workfiles import INDEX
from oracles.indexer.event_report import EventReport, event_report
from oracles.indexer.indexer import DEFAULT_MAX_RANGE, DEFAULT_REORG_DEPTH, LogIndexer
from oracles.indexer.store import IndexInUse, Store
from oracles.indexer.view import IndexView
from oracles.indexer.watched import addresses, kept
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.contracts import Protocol

DEFAULT_INDEX = Path(INDEX)


class ReportError(ValueError):
    """The report cannot be made (one-line message)."""


def _whole(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} must be {low}..{high}")
        return value

    return parse


def add_report_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    report = sub.add_parser(
        "report",
        help="print a demo run's report, or an event's record from the log index",
        description="With a run folder: print that demo run's report.json. With --event N: bring the "
        "shared log index up to the chain's head (as the keeper does) and print the event's record "
        "from its indexed logs only: window, region, enrollments, settled count, total reduction Wh, "
        "rewards paid, optimistic root, disputes.",
    )
    report.add_argument("run", type=Path, nargs="?", default=None,
                        help="the demo run folder (reports/<run>) or its report.json")  # fmt: skip
    report.add_argument("--event", type=_whole(1, 2**64 - 1), default=None,
                        help="the event id: its record from the log index (needs the chain)")  # fmt: skip
    report.add_argument("--json", action="store_true", help="with --event: the record as JSON")
    where = report.add_mutually_exclusive_group()
    where.add_argument(
        "--rpc", help="JSON-RPC URL of the chain (default: the running `gridbalance localnet`)"
    )
    where.add_argument("--network", help="a Brownie network id (its host from ~/.brownie)")
    report.add_argument("--manifest", type=Path, default=None,
                        help="deployment manifest (default: deployments/<chainId>.json; the localnet's own)")  # fmt: skip
    report.add_argument("--index", type=Path, default=None,
                        help="the shared log index (SQLite), the keeper's --index (default: "
                        f"{DEFAULT_INDEX} in the working directory; on the running localnet, in its folder)")  # fmt: skip
    report.add_argument("--reorg-depth", type=_whole(1, 10_000), default=DEFAULT_REORG_DEPTH,
                        help="blocks the index re-checks for a reorg (default: %(default)s)")  # fmt: skip
    report.add_argument("--max-block-range", type=_whole(1, 1_000_000), default=DEFAULT_MAX_RANGE,
                        help="widest eth_getLogs block range asked (default: %(default)s)")  # fmt: skip
    report.add_argument("--build-dir", type=Path, default=DEFAULT_BUILD_DIR, help=argparse.SUPPRESS)


def run_report(args: argparse.Namespace, out: TextIO | None = None) -> int:
    out = out or sys.stdout
    if (args.run is None) == (args.event is None):
        raise ReportError(
            "give a demo run folder, or --event N for an event's record from the index"
        )
    if args.run is not None:
        path = args.run / "report.json" if args.run.is_dir() else args.run
        if not path.exists():
            raise ReportError(f"{path}: no report here")
        from oracles.sim.report import print_report

        print_report(json.loads(path.read_text()), out)
        return 0
    from oracles.cli.main import connect_protocol
    from oracles.cli.tokens import Token

    p = connect_protocol(args)
    report, note = indexed_report(p, args)
    if report is None:
        raise ReportError(
            f"event {args.event} is not in the index {args.index} ({note}): no EventCreated log"
        )
    if args.json:  # amounts stay in the token's base units
        out.write(report.model_dump_json(indent=2) + "\n")
    else:  # amounts in the program's token, as the other commands print them
        print_event_report(
            report, out, note, Token.at(p.w3, p.program(report.program_id).token).text
        )
    return 0


def indexed_report(p: Protocol, args: argparse.Namespace) -> tuple[EventReport | None, str]:
    """The event's report from the index, synced to the head first unless a daemon holds it; and
    a note saying how far it is indexed."""
    try:
        index = LogIndexer(p, args.index, reorg_depth=args.reorg_depth,
                           max_range=args.max_block_range)  # fmt: skip
    except IndexInUse:  # the daemon holding it keeps it synced: read it as it is
        store = Store(args.index, int(p.w3.eth.chain_id), ",".join(addresses(p)), kept(),
                      read_only=True)  # fmt: skip
        try:
            last = store.last_block() or 0
            note = f"indexed to block {last} by the daemon holding it"
            return event_report(IndexView(store), args.event, last), note
        finally:
            store.close()
    try:
        index.sync()
        last = index.last_block()
        return event_report(index.view, args.event, last), f"indexed to block {last}"
    finally:
        index.close()


def base_units(units: int) -> str:
    return f"{units:,} (token base units)"


def print_event_report(
    r: EventReport, out: TextIO, note: str, money: Callable[[int], str] = base_units
) -> None:
    """The report as text; ``money`` writes an amount (the CLI: in the program's token)."""
    w = r.window
    region = f"region {r.region_id}" + (f" ({r.region_name})" if r.region_name else "")
    when = (
        f"{w.local or f'{r.date} {w.label}'} ({w.interval_minutes}-minute intervals "
        f"{w.start_interval}..{w.end_interval} of {r.date})"
        if w.label
        else f"{r.date}, intervals {w.start_interval}..{w.end_interval}"
    )
    e, s, d = r.enrollments, r.settlement, r.disputes
    lines = [
        f"event {r.event_id}: program {r.program_id}, {region}, {r.status}",
        f"  window     {when}" + (f", {w.starts_at} to {w.ends_at}" if w.starts_at else ""),
        f"  terms      {r.tier}, rate {money(r.rate)} per kWh, target {r.target_wh:,} Wh"
        + (", triggered by the forecast" if r.triggered else ""),
        f"  enrolled   {e.enrolled} ({e.by_keeper} by the keeper), {e.opted_out} opted out, "
        f"committed {e.committed_wh:,} Wh",
        f"  settled    {s.settled} paid, {s.insufficient_data} insufficient data, "
        f"{s.unsettled} not yet; reduction {s.reduction_wh:,} Wh "
        f"(baseline {s.baseline_wh:,} Wh, actual {s.actual_wh:,} Wh), rewards {money(s.rewards)}",
    ]
    if r.optimistic is not None:
        o = r.optimistic
        lines.append(
            f"  root       {o.proposals} proposed ({o.voided} voided, {o.expired} expired), "
            f"{o.entries} entries totalling {money(o.total)}, "
            f"{'finalized' if o.finalized else 'not finalized'}, {money(o.paid_to_settlement)} paid in; "
            f"{o.claimed_entries} entries claimed, {money(o.claimed)} paid"
        )
    lines += [
        f"  disputes   {d.opened} opened: {d.upheld} upheld, {d.rejected} rejected, "
        f"{d.pending} pending; adjustments {money(d.adjustments)}",
        f"  paid       {money(r.rewards_paid)} (rewards, claims and adjustments)",
        f"  ({note}; every figure from indexed logs)",
    ]
    out.write("\n".join(lines) + "\n")
