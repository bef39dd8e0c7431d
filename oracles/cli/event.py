"""`gridbalance event create|cancel|show|list`: a program's demand-response events (ReductionRequests,
P-3..P-6). An event's day and its --start/--end are the region's standard time (R-6; with --local,
the clock of its time zone, daylight saving time included, R-8); the region's meter interval (R-7)
decides where a window may start and end. Shown in the region's time zone (docs/time-zones.md)."""

from __future__ import annotations

import argparse
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from oracles.cli import argtypes, tokens
from oracles.cli.actions import Account, CliError, Session, Tx, command, group, one_event
from oracles.cli.program import program_of
from oracles.protocol.bindings import DrEvent
from oracles.protocol.enums import Tier
from oracles.protocol.event_window import EventWindow
from oracles.protocol.region_time import RegionClock

CONTRACT = "ReductionRequests"


def clock(text: str) -> str:
    """A clock time HH:MM, checked as such (its interval boundary is checked against the region)."""
    argtypes.clock(text)
    return text


def kwh(text: str) -> int:
    """An energy in kWh (``12.5``) as whole Wh, more than 0 and at most a uint48."""
    try:
        value = Decimal(text.replace("_", "")) * 1000
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an energy in kWh (e.g. 12.5)") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise argparse.ArgumentTypeError(f"{text} kWh is not a whole number of Wh")
    if not 0 < value < 2**48:
        raise argparse.ArgumentTypeError(f"{text} kWh is out of range (1 Wh .. {2**48 - 1:,} Wh)")
    return int(value)


def kwh_text(wh: int) -> str:
    """Wh as ``12.5 kWh``."""
    shown = f"{Decimal(wh).scaleb(-3):,f}"
    return (shown.rstrip("0").rstrip(".") if "." in shown else shown) + " kWh"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "event", "create or cancel a program's events, show and list them")
    p = command(g, "create", "create an event of a program (its utility)", _create,
                description="Create an event of a program on a day of its region, from --start to "
                "--end in the region's standard time (the protocol's clock, R-6), or with --local in "
                "the clock of its time zone (daylight saving time included, R-8); both on the "
                "region's meter interval (15, 30 or 60 minutes). The program's utility sends it. "
                "See docs/time-zones.md.")  # fmt: skip
    p.add_argument("--program", type=argtypes.uint(32, 1), required=True, help="program id")
    p.add_argument("--day", type=argtypes.calendar_day, required=True,
                   help="the event's day, YYYY-MM-DD (standard time; with --local, the zone's date)")  # fmt: skip
    p.add_argument(
        "--start",
        type=clock,
        required=True,
        help="start time, HH:MM (standard time unless --local)",
    )
    p.add_argument(
        "--end",
        type=clock,
        required=True,
        help="end time, HH:MM (24:00 allowed; standard time unless --local)",
    )
    p.add_argument("--local", action="store_true",
                   help="--day, --start and --end are the clock of the region's time zone (daylight "
                   "saving time included, e.g. 17:00 PDT = 16:00 standard) rather than its standard "
                   "time (R-8)")  # fmt: skip
    p.add_argument("--target-kwh", type=kwh, required=True, help="the reduction sought, kWh")
    p.add_argument("--tier", choices=[t.name.lower() for t in Tier], default="voluntary",
                   help="voluntary, economic or emergency (the rate's multiplier; emergency needs the "
                   "region's measured grid status at emergency) (default: %(default)s)")  # fmt: skip
    p = command(g, "cancel", "cancel an event before it starts (its program's utility)", _cancel)
    p.add_argument("event", type=argtypes.uint(256, 1), help="event id")
    p = command(g, "show", "an event's window, rate, enrollments, gate and deadlines", _show,
                sends=False)  # fmt: skip
    p.add_argument("event", type=argtypes.uint(256, 1), help="event id")
    p = command(g, "list", "every event, one line each", _list, sends=False)
    p.add_argument("--program", type=argtypes.uint(32, 1), default=None, help="only this program")
    p.add_argument("--region", type=argtypes.uint(16, 1), default=None, help="only this region")


def event_of(s: Session, event_id: int) -> DrEvent:
    count = int(s.p.requests.functions.eventCount().call())
    if not 1 <= event_id <= count:
        raise CliError(f"event {event_id} does not exist ({count} events on this chain)")
    return s.p.dr_event(event_id)


def window_of(s: Session, e: DrEvent) -> EventWindow:
    return EventWindow.of_event(e, s.p.meter_interval(e.region_id))


def local_time(s: Session, region: int, ts: int) -> str:
    """A timestamp as the region's local date and clock time with the zone's abbreviation
    (``2026-06-15 17:00 PDT``; without a zone, ``2026-06-15 16:00 UTC-08:00``)."""
    return s.p.region_clock(region).timestamp_text(ts)


def when_text(clock: RegionClock, e: DrEvent) -> str:
    """An event's day and window in the region's local time: ``2026-06-15 17:00-19:00 PDT
    (16:00-18:00 standard)``."""
    return clock.window_text(e.day, e.start_interval, e.end_interval)


def _create(args: argparse.Namespace) -> int:
    s = Session.open(args)
    prog = program_of(s, args.program)
    interval = s.p.meter_interval(prog.region_id)
    clock = s.p.region_clock(prog.region_id)
    day = args.day
    try:
        if args.local:
            day, first, last = _local_window(clock, args)
            window = EventWindow(interval_minutes=interval, start_interval=first, end_interval=last)
        else:
            window = EventWindow.from_clock(args.start, args.end, interval)
    except ValidationError:
        raise CliError(
            f"--start {args.start} --end {args.end}: the end must be after the start"
        ) from None
    except ValueError as exc:
        raise CliError(f"{exc}") from None
    tier = Tier[args.tier.capitalize()]
    fn = s.p.requests.functions.createEvent(args.program, day, window.start_interval,
                                            window.end_interval, args.target_kwh, int(tier))  # fmt: skip
    date = argtypes.day_text(day)
    when = clock.window_text(day, window.start_interval, window.end_interval)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.requests, "EventCreated")
        token = tokens.Token.at(s.w3, prog.token)
        gate = int(s.p.requests.functions.enrollmentGate(e["eventId"]).call())
        return (f"Event {e['eventId']} created: program {args.program}, region {e['regionId']}, "
                f"{when}, {tier.name}, {token.text(e['rate'])} per kWh, target "
                f"{kwh_text(e['targetWh'])}; enrollment closes {local_time(s, prog.region_id, gate)}.")  # fmt: skip

    tx = Tx(fn, f"create an event of program {args.program} on {date} {window.label}", CONTRACT)
    return s.run([tx], Account(prog.utility, "the program's utility"), summary)


def _local_window(clock: RegionClock, args: argparse.Namespace) -> tuple[int, int, int]:
    """The protocol day and intervals of --day --start --end read in the region's time zone."""
    if clock.zone is None:
        raise CliError("--local: the region has no time zone (`gridbalance region time-zone`); "
                       "give --start/--end in its standard time without --local")  # fmt: skip
    return clock.window_from_wall_clock(
        argtypes.EPOCH + timedelta(days=args.day),
        argtypes.clock(args.start),
        argtypes.clock(args.end),
    )


def _cancel(args: argparse.Namespace) -> int:
    s = Session.open(args)
    e = event_of(s, args.event)
    prog = s.p.program(e.program_id)
    fn = s.p.requests.functions.cancelEvent(args.event)

    def summary(receipts: list[dict[str, Any]]) -> str:
        c = one_event(receipts, s.p.requests, "EventCancelled")
        token = tokens.Token.at(s.w3, prog.token)
        withdrawn = s.p.dr_event(args.event).status.name == "Withdrawn"
        how = ("withdrawn before its enrollment gate: its day is no event day for anyone"
               if withdrawn else "cancelled")  # fmt: skip
        return f"Event {args.event} {how}; {token.text(c['released'])} went back to program {e.program_id}'s budget."

    tx = Tx(fn, f"cancel event {args.event}", CONTRACT)
    return s.run([tx], Account(prog.utility, "the program's utility"), summary)


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    e = event_of(s, args.event)
    fns = s.p.requests.functions
    prog = s.p.program(e.program_id)
    token = tokens.Token.at(s.w3, prog.token)
    region = e.region_id
    clock = s.p.region_clock(region)
    s.say(f"event {args.event}: program {e.program_id}, region {region}, {when_text(clock, e)}, "
          f"{e.tier.name}, {e.status.name}")  # fmt: skip
    s.say(f"  rate         {token.text(e.rate)} per kWh")
    s.say(f"  target       {kwh_text(e.target_wh)}, committed {kwh_text(e.committed_wh)}")
    s.say(f"  enrollments  {e.enrolled} enrolled, {e.settled} settled; "
          f"{token.text(e.reserved_outstanding)} reserved")  # fmt: skip
    s.say(
        f"  gate         enrollment closes {local_time(s, region, int(fns.enrollmentGate(args.event).call()))}"
    )
    s.say(f"  deadline     settlement until {local_time(s, region, int(fns.settlementDeadline(args.event).call()))}, "
          f"closable from {local_time(s, region, int(fns.closesAt(args.event).call()))}")  # fmt: skip
    return 0


def _list(args: argparse.Namespace) -> int:
    s = Session.open(args)
    count = int(s.p.requests.functions.eventCount().call())
    shown = 0
    clocks: dict[int, RegionClock] = {}
    for i in range(1, count + 1):
        e = s.p.dr_event(i)
        if args.program not in (None, e.program_id) or args.region not in (None, e.region_id):
            continue
        shown += 1
        if e.region_id not in clocks:
            clocks[e.region_id] = s.p.region_clock(e.region_id)
        s.say(f"event {i}: program {e.program_id}, region {e.region_id}, "
              f"{when_text(clocks[e.region_id], e)}, {e.tier.name}, {e.status.name}, "
              f"{e.enrolled} enrolled, {e.settled} settled")  # fmt: skip
    if not shown:
        s.say("no events" if not count else f"no events of the {count} match")
    return 0
