"""`gridbalance region add|time-zone|holiday|show`: the grid regions (RegionRegistry, R-1..R-8).

A region's days are in its standard time (the fixed UTC offset, R-6); its IANA time zone (R-8) is how
its dates and clock times are shown (docs/time-zones.md)."""

from __future__ import annotations

import argparse
from typing import Any

from pydantic import ValidationError

from oracles.chain.logs import ranged_logs
from oracles.cli import argtypes
from oracles.cli.actions import CliError, Role, Session, Tx, command, group, one_event
from oracles.ops.deploy import RegionConfig
from oracles.protocol.region_time import RegionClock, TimeZoneError, offset_text

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
    p.add_argument("--time-zone", default="", metavar="ZONE",
                   help="IANA time zone for display and files, e.g. America/Los_Angeles; its standard "
                   "time must be --utc-offset (default: none, the fixed offset shows)")  # fmt: skip
    p.add_argument("--interval", type=int, choices=(15, 30, 60), default=60,
                   help="meter interval in minutes, fixed once added (default: %(default)s)")  # fmt: skip
    p.add_argument("--frequency-hz", type=int, choices=(50, 60), default=60,
                   help="nominal grid frequency (default: %(default)s)")  # fmt: skip
    p = command(g, "time-zone", "set or change a region's IANA time zone (the region admin)",
                _time_zone, description="Set or change the IANA time zone in which a region's dates "
                "and clock times are shown (R-8). The region's days stay in its standard time: the "
                "zone's standard offset must be the region's, and no day moves.")  # fmt: skip
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="region id")
    p.add_argument("--zone", required=True, help="IANA time zone, e.g. America/Los_Angeles")
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
                           nominal_frequency_mhz=1_000 * args.frequency_hz,
                           time_zone=args.time_zone)  # fmt: skip
    except ValidationError as exc:
        first = exc.errors()[0]
        where = f"--{str(first['loc'][0]).replace('_', '-')}: " if first["loc"] else "--time-zone: "
        raise CliError(f"{where}{first['msg'].removeprefix('Value error, ')}") from None
    s = Session.open(args)
    txs = [Tx(s.p.regions.functions.addRegion(cfg.id, cfg.name, cfg.as_tuple()),
              f"add region {cfg.id}", CONTRACT)]  # fmt: skip
    if cfg.time_zone:
        txs.append(Tx(s.p.regions.functions.setTimeZone(cfg.id, cfg.time_zone),
                      f"set region {cfg.id}'s time zone {cfg.time_zone}", CONTRACT, after=True))  # fmt: skip

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts[:1], s.p.regions, "RegionAdded")
        zone = f", shown in {cfg.time_zone}" if cfg.time_zone else ""
        return (f"Region {e['regionId']} {e['name']!r} added: {cfg.capacity_kw:,} kW, days in "
                f"{offset_text(cfg.utc_offset_minutes)} standard time{zone}, "
                f"{cfg.interval_minutes}-minute meter interval.")  # fmt: skip

    return s.run(txs, ADMIN, summary)


def _time_zone(args: argparse.Namespace) -> int:
    s = Session.open(args)
    if not s.p.regions.functions.regionExists(args.region).call():
        raise CliError(f"region {args.region} is not registered on this chain")
    r = s.p.region(args.region)
    try:
        RegionClock.of(r.utc_offset_minutes, args.zone, r.interval_minutes)
    except TimeZoneError as exc:
        raise CliError(f"--zone: {exc}") from None
    before = str(s.p.regions.functions.timeZone(args.region).call()) or "none"
    fn = s.p.regions.functions.setTimeZone(args.region, args.zone)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.regions, "TimeZoneSet")
        return (f"Region {args.region}'s time zone is now {e['timeZone']} (was {before}); its days "
                f"stay in {offset_text(r.utc_offset_minutes)} standard time.")  # fmt: skip

    return s.run(
        [Tx(fn, f"time zone {args.zone} for region {args.region}", CONTRACT)], ADMIN, summary
    )


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
        clock = s.p.region_clock(rid)
        today = int(s.p.regions.functions.localDay(rid, s.now()).call())
        s.say(f"region {rid} {s.p.regions.functions.regionName(rid).call()!r}: {r.capacity_kw:,} kW, "
              f"{r.interval_minutes}-minute interval, {r.nominal_frequency_mhz / 1000:g} Hz")  # fmt: skip
        s.say(f"  time zone    {zone_line(s, rid)}")
        s.say(f"  days         {offset_text(r.utc_offset_minutes)} standard time all year (R-6)")
        s.say(f"  today        {clock.day_text(today)}, now {clock.timestamp_text(s.now())}")
    return 0


def zone_line(s: Session, rid: int) -> str:
    """The region's zone as set on chain, and why it is not used if it cannot be."""
    zone = str(s.p.regions.functions.timeZone(rid).call())
    if not zone:
        return "none set (`gridbalance region time-zone`); times show the fixed offset"
    if s.p.region_clock(rid).zone is None:
        return f"{zone} (not used: unknown here or not the region's standard offset)"
    return zone


def region_ids(s: Session) -> list[int]:
    """Every region ever added (RegionAdded logs since deployment)."""
    start = s.p.manifest.contracts[CONTRACT].block
    logs = ranged_logs(s.p.regions.events.RegionAdded, from_block=start)
    return sorted({int(e["args"]["regionId"]) for e in logs})
