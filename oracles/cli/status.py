"""`gridbalance status`: the chain, the deployment's contracts, the regions, the open events and
the outbox's pending work, in one screen."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path

from web3 import Web3

from oracles.cli import workfiles
from oracles.cli.actions import Session, command
from oracles.cli.event import when_text
from oracles.cli.region import region_ids
from oracles.protocol.enums import EventStatus

OPEN = (EventStatus.Scheduled, EventStatus.RootPending)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command(
        sub,
        "status",
        "chain, contracts, regions, open events, pending outbox",
        _status,
        sends=False,
    )
    p.add_argument("--outbox", type=Path, default=None,
                   help=f"the oracles' outbox ({workfiles.WHERE % workfiles.OUTBOX})")  # fmt: skip


def _status(args: argparse.Namespace) -> int:
    s = Session.open(args)
    workfiles.fill(args, s.local)
    w3, p = s.w3, s.p
    block = w3.eth.get_block("latest")
    when = datetime.fromtimestamp(int(block["timestamp"]), tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    s.say(f"chain {w3.eth.chain_id} ({w3.client_version}): block {block['number']} at {when}"
          f"{', development chain' if s.dev else ''}")  # fmt: skip
    s.say(f"contracts ({p.manifest.profile} build, admin {s.label(p.manifest.admin or '?')}):")
    for name, c in p.by_name.items():
        code = "code" if w3.eth.get_code(Web3.to_checksum_address(c.address)) else "NO CODE"
        s.say(f"  {name:<22} {c.address} {code}")
    if p.token is not None:
        s.say(f"  {'token':<22} {p.token.address}")
    ids = region_ids(s)
    s.say(f"regions: {len(ids)}")
    clocks = {rid: p.region_clock(rid) for rid in ids}
    for rid in ids:
        r, clock = p.region(rid), clocks[rid]
        today = int(p.regions.functions.localDay(rid, int(block["timestamp"])).call())
        s.say(f"  {rid} {p.regions.functions.regionName(rid).call()!r}: {r.interval_minutes}-minute "
              f"interval, {clock.zone_label}, today {clock.day_text(today)}, now "
              f"{clock.timestamp_text(int(block['timestamp']))}")  # fmt: skip
    count = int(p.requests.functions.eventCount().call())
    open_events = [(i, e) for i in range(1, count + 1) if (e := p.dr_event(i)).status in OPEN]
    s.say(f"events: {count}, open {len(open_events)}")
    for i, e in open_events:
        clock = clocks.get(e.region_id) or p.region_clock(e.region_id)
        s.say(f"  event {i}: program {e.program_id}, region {e.region_id}, {when_text(clock, e)}, "
              f"{e.status.name}, {e.enrolled} enrolled, {e.settled} settled")  # fmt: skip
    if args.outbox.exists():
        from oracles.agents.outbox import Outbox

        outbox = Outbox(args.outbox)
        try:
            counts = outbox.counts()
        finally:
            outbox.close()
        s.say(f"outbox {args.outbox}: meter consumer-days {counts['pending']} pending, "
              f"{counts['sent']} sent, {counts['confirmed']} confirmed")  # fmt: skip
    else:
        s.say(f"outbox {args.outbox}: none")
    return 0
