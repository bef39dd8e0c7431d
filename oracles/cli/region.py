"""`gridbalance region add|holiday|show`: the grid regions (RegionRegistry, R-1..R-7)."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from oracles.cli import argtypes
from oracles.cli.actions import CliError, Role, Session, Tx, command, group, one_event
from oracles.ops.deploy import RegionConfig

CONTRACT = "RegionRegistry"
ADMIN = Role(CONTRACT, "REGION_ADMIN_ROLE")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "region", "add a region, mark holidays, show regions")
    p = command(g, "add", "add a grid region (the region admin)", _add)
    p.add_argument("--id", type=argtypes.uint(16, 1), required=True, help="region id, 1..65535")
    p.add_argument("--name", required=True, help="the region's name (1..64 bytes)")
    p.add_argument(
        "--capacity-kw", type=argtypes.uint(32, 1), required=True, help="grid capacity, kW"
    )
    p.add_argument("--utc-offset", type=argtypes.utc_offset, required=True,
                   help="standard-time UTC offset: -08:00, +05:30 or minutes")  # fmt: skip
    p.add_argument("--interval", type=int, choices=(15, 30, 60), default=60,
                   help="meter interval in minutes, fixed once added (default: %(default)s)")  # fmt: skip
    p.add_argument("--frequency-hz", type=int, choices=(50, 60), default=60,
                   help="nominal grid frequency (default: %(default)s)")  # fmt: skip
    p = command(
        g,
        "holiday",
        "mark (or with --clear unmark) a day as a holiday (the region admin)",
        _holiday,
    )
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="region id")
    p.add_argument("--day", type=argtypes.calendar_day, required=True, help="the date, YYYY-MM-DD")
    p.add_argument("--clear", action="store_true", help="unmark the day")
    p = command(g, "show", "a region's parameters, or every region", _show, sends=False)
    p.add_argument("region", type=argtypes.uint(16, 1), nargs="?", help="region id (default: all)")


def _add(args: argparse.Namespace) -> int:
    try:
        cfg = RegionConfig(id=args.id, name=args.name, capacity_kw=args.capacity_kw,
                           utc_offset_minutes=args.utc_offset, interval_minutes=args.interval,
                           nominal_frequency_mhz=1_000 * args.frequency_hz)  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        raise CliError(f"--{str(first['loc'][0]).replace('_', '-')}: {first['msg']}") from None
    s = Session.open(args)
    fn = s.p.regions.functions.addRegion(cfg.id, cfg.name, cfg.as_tuple())

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.regions, "RegionAdded")
        return (f"Region {e['regionId']} {e['name']!r} added: {cfg.capacity_kw:,} kW, UTC"
                f"{_offset(cfg.utc_offset_minutes)}, {cfg.interval_minutes}-minute meter interval.")  # fmt: skip

    return s.run([Tx(fn, f"add region {cfg.id}", CONTRACT)], ADMIN, summary)


def _offset(minutes: int) -> str:
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def _holiday(args: argparse.Namespace) -> int:
    s = Session.open(args)
    if not s.p.regions.functions.regionExists(args.region).call():
        raise CliError(f"region {args.region} is not registered on this chain")
    fn = s.p.regions.functions.setHoliday(args.region, args.day, not args.clear)
    date = argtypes.day_text(args.day)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.regions, "HolidaySet")
        return (
            f"{date} is {'now' if e['holiday'] else 'no longer'} a holiday in region {args.region}."
        )

    return s.run([Tx(fn, f"holiday {date} in region {args.region}", CONTRACT)], ADMIN, summary)


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    ids = [args.region] if args.region is not None else region_ids(s)
    if not ids:
        s.say("no regions")
    for rid in ids:
        if not s.p.regions.functions.regionExists(rid).call():
            raise CliError(f"region {rid} is not registered on this chain")
        r = s.p.region(rid)
        today = int(s.p.regions.functions.localDay(rid, s.now()).call())
        s.say(f"region {rid} {s.p.regions.functions.regionName(rid).call()!r}: {r.capacity_kw:,} kW, "
              f"UTC{_offset(r.utc_offset_minutes)}, {r.interval_minutes}-minute interval, "
              f"{r.nominal_frequency_mhz / 1000:g} Hz; today {argtypes.day_text(today)}")  # fmt: skip
    return 0


def region_ids(s: Session) -> list[int]:
    """Every region ever added (RegionAdded logs since deployment)."""
    start = s.p.manifest.contracts[CONTRACT].block
    logs = s.p.regions.events.RegionAdded.get_logs(from_block=start)
    return sorted({int(e["args"]["regionId"]) for e in logs})
