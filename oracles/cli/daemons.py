"""The `gridbalance oracle ...` and `gridbalance keeper` commands: one pass of each daemon, or with
``--watch`` a long-lived loop of passes (:mod:`oracles.cli.watch`)."""

from __future__ import annotations

import argparse
import csv
import logging
import sys
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from eth_utils.crypto import keccak
from pydantic import ValidationError

from oracles.agents.grid_oracles import (
    HISTORY_HOURS,
    ActualPoint,
    Forecaster,
    GridOracle,
    WeatherPoint,
)
from oracles.agents.keeper import Keeper
from oracles.agents.measurement_oracle import (
    MeasurementOracle,
    MeasurementPass,
    is_grid_oracle,
    range_problem,
)
from oracles.agents.meter_oracle import MAX_BATCH, MAX_CONFIRMATIONS, MeterOracle
from oracles.agents.outbox import Outbox
from oracles.chain.client import ChainClient
from oracles.cli import watch
from oracles.daemon.metrics import Metrics
from oracles.indexer.indexer import LogIndexer
from oracles.ingest.measurement_files import MeasuredPoint, read_measurements
from oracles.ingest.meter_files import (
    Reject,
    assemble_days,
    read_csv,
    read_green_button,
    write_rejects,
)
from oracles.ops.roles import RoleBook
from oracles.protocol.bindings import RegionParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import EventStatus

log = logging.getLogger("gridbalance.daemon")

# most records per batch by the region's interval. Unsigned, 1,000 records cost 9.3 M gas at
# 15 minutes and 5.0 M at 30 (snapshot); a signature adds about 3,600 per record (estimated from the
# hourly figures), so 1,000 and 1,500 signed records stay near 13 M, under the 16.7 M cap (M-5)
MAX_BATCH_OF_INTERVAL = {15: 1_000, 30: 1_500, 60: MAX_BATCH}


class CommandError(ValueError):
    """A daemon command cannot proceed (one-line message)."""


def run(args: argparse.Namespace, protocol: Protocol, client: ChainClient) -> int:
    if getattr(args, "watch", False):
        return _watch(args, protocol, client)
    if args.command == "keeper":
        return keeper_pass(protocol, client, args.event, _index(protocol, args))
    if args.kind == "meter":
        return meter_pass(protocol, client, args)
    if args.kind in ("weather", "load"):
        return grid_pass(protocol, client, args)
    if args.kind == "measurements":
        return measurement_pass(protocol, client, args)
    return forecast_pass(protocol, client, args)


def _index(p: Protocol, args: argparse.Namespace) -> LogIndexer | None:
    """The shared log index of ``--index``, synced; None without it (one-shot passes then read
    the logs they need from the chain)."""
    if args.index is None:
        return None
    index = watch.open_index(p, args)
    index.sync()
    return index


def _watch(args: argparse.Namespace, p: Protocol, client: ChainClient) -> int:
    if args.command == "keeper":
        if args.event is not None:
            raise CommandError("--event is for one pass; --watch handles every event")
        return watch.keeper_watch(p, client, args)
    if args.kind == "meter":
        if args.csv is None:
            raise CommandError("--watch reads --csv (a file or a folder of *.csv files)")
        oracle, ingest = _meter_oracle(p, client, args)
        return watch.meter_watch(p, client, args, oracle, ingest)
    if args.kind == "forecast":
        _region(p, args.region)
        _check_hours(args.hours)
        return watch.forecast_watch(p, client, args)
    if args.kind == "measurements":
        return measurement_watch(p, client, args)
    region = _region(p, args.region)
    return watch.grid_watch(
        p, client, args, lambda path: read_points(args.kind, path, region.utc_offset_minutes)
    )


def _region(p: Protocol, region_id: int) -> RegionParams:
    """The region's parameters; a region the chain does not know is a one-line error, before any
    file is read or anything is queued."""
    if not 0 < region_id < 2**16:  # a uint16: beyond it the call would not even encode
        raise CommandError(f"region {region_id} is not registered on this chain (ids are 1..65535)")
    if not p.regions.functions.regionExists(region_id).call():
        raise CommandError(f"region {region_id} is not registered on this chain")
    return p.region(region_id)


def meter_pass(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    """One pass of the meter oracle over one file. The rejects file starts afresh, so it holds this
    run's rejects only; they are summed up by reason. Exit 2 when every row was rejected, or more
    than ``--max-rejects``."""
    if args.max_rejects is not None and args.max_rejects < 0:
        raise CommandError(f"--max-rejects must be 0 or more, not {args.max_rejects}")
    oracle, ingest = _meter_oracle(p, client, args)
    source = args.csv if args.csv is not None else args.green_button
    args.rejects.unlink(missing_ok=True)  # this run's rejects only
    n_readings, n_days, queued, written = ingest(source)
    stats = oracle.flush()
    rejected = written + stats.rejected
    print(f"{n_readings} readings -> {n_days} consumer-days ({queued} new); posted {stats.consumer_days} in "
          f"{stats.batches} batches; {rejected} rejects in {args.rejects}; "
          f"{len(stats.waiting_days)} days wait for their end; "
          f"{stats.awaiting_confirmation} consumer-days await {args.confirmations} confirmations")  # fmt: skip
    for (field, reason), count in reject_reasons(args.rejects).most_common():
        print(f"  {count} rejected: {field}: {reason}")
    too_many = (  # by default: nothing of the file was taken (every row or day rejected)
        rejected > args.max_rejects if args.max_rejects is not None else n_days == 0 < rejected
    )
    if too_many:
        limit = (
            f"more than --max-rejects {args.max_rejects}"
            if args.max_rejects is not None
            else "every row"
        )
        print(f"gridbalance: error: {source}: {limit} rejected ({rejected}); see {args.rejects}",
              file=sys.stderr)  # fmt: skip
        return 2
    return 0


def reject_reasons(path: Path) -> Counter[tuple[str, str]]:
    """How many rejects of the file (JSON lines of :class:`Reject`) each (field, reason) has."""
    if not path.exists():
        return Counter()
    rejects = [Reject.model_validate_json(line) for line in path.read_text().splitlines() if line]
    return Counter((r.field, r.reason) for r in rejects)


def _meter_oracle(
    p: Protocol, client: ChainClient, args: argparse.Namespace
) -> tuple[MeterOracle, watch.Ingest]:
    """The meter oracle of the arguments, and what reads one input file into its outbox:
    ``ingest(path) -> (readings, consumer-days taken, new consumer-days, rejects written)``: a
    consumer-day is taken when it is queued, already queued with the same data, or a correction of
    a queued day not yet sent; a day before the consumer's activation, or a corrected re-post of a
    day already posted, is a reject."""
    region = _region(p, args.region)
    for name, value, top in (
        ("batch-size", args.batch_size, MAX_BATCH),
        ("confirmations", args.confirmations, MAX_CONFIRMATIONS),
    ):
        if not 1 <= value <= top:
            raise CommandError(f"--{name} must be 1..{top}, not {value}")
    index = _index(p, args) if not args.watch else watch.open_index(p, args)
    # a batch of sub-hourly records stays under the per-transaction gas cap, signed too (M-5)
    batch_size = min(args.batch_size, MAX_BATCH_OF_INTERVAL[region.interval_minutes])
    oracle = MeterOracle(p, client, Outbox(args.outbox), rejects_path=args.rejects,
                         batch_size=batch_size, confirmations=args.confirmations,
                         index=index)  # fmt: skip
    ids: dict[str, int | None] = {}
    activated: dict[int, int] = {}  # consumer id -> its local activation day

    def resolve(meter_id: str) -> int | None:
        """The meter's consumer id, or None when no active consumer of this region owns it."""
        if meter_id not in ids:
            account = p.consumers.functions.meterOwner(keccak(text=meter_id)).call()
            ids[meter_id] = None
            if int(account, 16):
                consumer = p.consumer(account)
                if consumer.region_id == args.region and consumer.id:
                    ids[meter_id] = consumer.id
                    activated[consumer.id] = consumer.activation_day
        return ids[meter_id]

    def ingest(path: Path) -> tuple[int, int, int, int]:
        if args.csv is not None:
            readings, rejects = read_csv(path)
        else:
            readings, rejects = read_green_button(path, args.meter_id)
        now = int(client.w3.eth.get_block("latest")["timestamp"])
        days, more = assemble_days(readings, region_id=args.region, utc_offset_minutes=region.utc_offset_minutes,
                                   resolve=resolve, source=str(path), now_ts=now,
                                   interval_minutes=region.interval_minutes,
                                   first_day=lambda cid: activated.get(cid, 0))  # fmt: skip
        written = write_rejects(args.rejects, [*rejects, *more])
        done = oracle.enqueue_checked(days, str(path))
        if done.corrected:
            print(f"{path}: {done.corrected} queued consumer-days replaced by corrected readings "
                  "(not posted yet)")  # fmt: skip
        accepted = done.new + done.unchanged + done.corrected
        return len(readings), accepted, done.new, written + done.refused

    return oracle, ingest


GRID_COLUMNS = {
    "weather": ("hour_start", "temperature_c", "humidity_pct", "irradiance_wm2"),
    "load": ("hour_start", "load_kw", "frequency_mhz", "voltage_permille"),
}


def read_points(kind: str, path: Path, utc_offset_minutes: int) -> list[WeatherPoint | ActualPoint]:
    """The points of a weather CSV (``hour_start,temperature_c,humidity_pct,irradiance_wm2``) or
    of a load CSV (``hour_start,load_kw,frequency_mhz,voltage_permille``); ``hour_start`` is an
    ISO time with its offset, on an hour boundary, turned into the region's local hour index. A byte-
    order mark is accepted; an empty file, a missing column or a bad row is a one-line
    ``CommandError`` naming the file and (the file's real) line."""
    offset = utc_offset_minutes * 60
    points: list[WeatherPoint | ActualPoint] = []
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None:
            raise CommandError(f"{path}: empty file (expected {','.join(GRID_COLUMNS[kind])})")
        missing = [c for c in GRID_COLUMNS[kind] if c not in reader.fieldnames]
        if missing:
            raise CommandError(
                f"{path}:1: missing column {', '.join(missing)} "
                f"(expected {','.join(GRID_COLUMNS[kind])}, got {','.join(reader.fieldnames)})"
            )
        for row in reader:
            try:
                points.append(_point(kind, row, offset))
            except (TypeError, ValueError) as exc:
                detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
                if isinstance(exc, ValidationError):
                    first = exc.errors()[0]
                    detail = f"{first['loc'][0] if first['loc'] else 'row'}: {first['msg']}"
                raise CommandError(f"{path}:{reader.line_num}: {detail}") from exc
    return points


def _point(kind: str, row: dict[str, str], offset: int) -> WeatherPoint | ActualPoint:
    """One row's point; ValueError (naming the field) for a time without an offset or off the hour."""
    if any(v is None for v in row.values()) or None in row:
        raise ValueError("wrong number of columns")
    start = datetime.fromisoformat(row["hour_start"])
    if start.utcoffset() is None:
        raise ValueError(f"hour_start: {row['hour_start']} has no UTC offset (write e.g. +00:00)")
    local = int(start.timestamp()) + offset  # seconds of the region's standard time
    if local % 3600:
        raise ValueError(f"hour_start: {row['hour_start']} is not on an hour of the region")
    hour = local // 3600
    if kind == "weather":
        return WeatherPoint(hour=hour, temperature_c=float(row["temperature_c"]),
                            humidity_pct=float(row["humidity_pct"]),
                            irradiance_wm2=float(row["irradiance_wm2"]))  # fmt: skip
    return ActualPoint(hour=hour, load_kw=int(row["load_kw"]),
                       frequency_mhz=int(row["frequency_mhz"]),
                       voltage_permille=int(row["voltage_permille"]))  # fmt: skip


def grid_pass(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    """``oracle weather`` and ``oracle load``: post one CSV's points as a watching pass does (F-1,
    F-3): hours the chain holds already are confirmed without sending, hours more than 168 h old
    are dropped and counted, hours not yet postable (weather beyond 48 h ahead, a load hour not yet
    ended) stay queued for a later run, the rest are posted. Exit 2 when every hour was too old."""
    points = read_points(args.kind, args.csv, _region(p, args.region).utc_offset_minutes)
    oracle = GridOracle(p, client, Outbox(args.outbox))
    kind = "weather" if args.kind == "weather" else "actual"
    oracle.enqueue(kind, args.region, points)
    stats = oracle.post_ready(kind, args.region)
    hours = sorted(x.hour for x in points)
    clock = p.region_clock(args.region)
    span = f": {clock.hours_text(hours[0], hours[-1] - hours[0] + 1)}" if hours else ""
    print(f"posted {stats.posted} {args.kind} hours for region {args.region}{span}; "
          f"{stats.reconciled} already on chain, {stats.stale} older than {HISTORY_HOURS} h dropped, "
          f"{stats.waiting} not yet postable (kept queued in {args.outbox})")  # fmt: skip
    if points and stats.stale == len(points):
        print(f"gridbalance: error: {args.csv}: every hour is older than the {HISTORY_HOURS} h the "
              "contract takes (F-1, F-3); nothing posted", file=sys.stderr)  # fmt: skip
        return 2
    return 0


def _check_hours(hours: int) -> None:
    if not 1 <= hours <= 47:
        raise CommandError("--hours must be 1..47 (forecasts reach at most 48 h ahead, F-2)")


def forecast_pass(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    _check_hours(args.hours)
    now_hour = int(p.forecasting.functions.currentHour(args.region).call())
    hours = list(range(now_hour + 1, now_hour + 1 + args.hours))
    forecaster = Forecaster(p, client, Outbox(args.outbox))
    points = forecaster.forecast(args.region, hours)
    forecaster.post(args.region, points)
    clock = p.region_clock(args.region)
    region = p.region(args.region)
    peak = max(points, key=lambda x: x.load_kw)
    print(f"posted {len(points)} forecast hours, {clock.hours_text(hours[0], len(hours))}; peak "
          f"{peak.load_kw:,} kW at {clock.instant_text(clock.hour_start(peak.hour))}, "
          f"{peak.load_kw * 100 // region.capacity_kw} % of the region's {region.capacity_kw:,} kW")  # fmt: skip
    return 0


def keeper_pass(
    p: Protocol, client: ChainClient, only: int | None, index: LogIndexer | None = None
) -> int:
    keeper = Keeper(p, client, index=index)
    now = int(client.w3.eth.get_block("latest")["timestamp"])
    count = int(p.requests.functions.eventCount().call())
    if only is not None and not 1 <= only <= count:
        raise CommandError(f"--event {only}: there are {count} events")
    for event_id in [only] if only is not None else range(1, count + 1):
        event = p.dr_event(event_id)
        if event.status != EventStatus.Scheduled:
            continue
        day_start = p.regions.functions.localDayStart(event.region_id, event.day).call()
        start = int(day_start) + 60 * p.meter_interval(event.region_id) * event.start_interval
        if now < start:
            stats = keeper.enroll(event_id)
            print(f"event {event_id}: enrolled {len(stats.enrolled)}, skipped {stats.skipped}")
        elif (
            keeper.finalize_day(event_id)
            and p.meter.functions.hasData(event.region_id, event.day).call()
        ):
            settled = keeper.settle(event_id)
            print(
                f"event {event_id}: settled {len(settled.outcomes)}, mismatches {settled.mismatches}"
            )
            if settled.mismatches:
                return 2
    return 0


# ------------------------------------------------------------------ grid measurements (G-7)

ReadMeasurements = Callable[[Path], list[MeasuredPoint]]


def _measurement_oracle(
    p: Protocol, client: ChainClient, args: argparse.Namespace
) -> tuple[MeasurementOracle, ReadMeasurements]:
    """``oracle measurements``: the oracle, and what reads one measurement file (rows the contract
    would refuse are ``file:line`` errors too). Refused in one line, before any file is read or
    queued: a region the chain does not know, a sender that is no grid oracle, no ``--csv``."""
    region = _region(p, args.region)
    if not is_grid_oracle(p, client.address):
        book = RoleBook(p)
        held = book.holder_text(book.holders("GridStability", "GRID_ORACLE_ROLE"))
        raise CommandError(
            f"{client.address} is not a grid oracle of GridStability: posting measurements needs "
            f"GridStability.GRID_ORACLE_ROLE, held by {held}; pass --account or --keystore of one"
        )
    if not args.csv.exists():
        raise CommandError(f"{args.csv}: no such file")

    def read(path: Path) -> list[MeasuredPoint]:
        return read_measurements(
            path, lambda m: range_problem(m, region.capacity_kw, region.nominal_frequency_mhz)
        )

    return MeasurementOracle(p, client, Outbox(args.outbox), args.region), read


def _measurement_files(path: Path) -> list[Path]:
    return sorted(path.glob("*.csv")) if path.is_dir() else [path]


def _utc(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def measurement_pass(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    """``oracle measurements`` without ``--watch``: queue the file's (or folder's) measurements and
    post them as a watching pass does (G-7): those at or before the region's latest on chain are
    marked posted without sending, those over 7 days old dropped, those ahead of the chain's clock
    kept queued; the rest go in batches of 96. A bad row is ``file:line: field: message``, exit 1,
    nothing queued; exit 2 when every measurement was too old."""
    oracle, read = _measurement_oracle(p, client, args)
    points = [m for path in _measurement_files(args.csv) for m in read(path)]
    new = oracle.enqueue(points)
    stats = oracle.post_ready()
    print(measurement_summary(args, len(points), new, stats))
    if points and stats.stale == len(points):
        print(f"gridbalance: error: {args.csv}: every measurement is more than 7 days old (G-7); "
              "nothing posted", file=sys.stderr)  # fmt: skip
        return 2
    return 0


def measurement_summary(args: argparse.Namespace, read: int, new: int, s: MeasurementPass) -> str:
    latest = _utc(s.latest) if s.latest else "none"
    return (f"{read} measurements read ({new} new); posted {s.posted} for region {args.region} in "
            f"{s.batches} transaction{'s' * (s.batches != 1)}; {s.reconciled} at or before the "
            f"chain's latest ({latest}) marked posted, {s.stale} more than 7 days old dropped, "
            f"{s.waiting} ahead of the chain's clock (kept queued in {args.outbox})")  # fmt: skip


def measurement_daemon(
    p: Protocol, client: ChainClient, args: argparse.Namespace
) -> tuple[watch.Daemon, Callable[[], None]]:
    """The watching measurement oracle and its pass: each pass reads every new or changed file of
    ``--csv`` (a file, or a folder of ``*.csv``; an operator appending rows changes it), queues
    the measurements not queued yet and posts what the chain takes (:meth:`MeasurementOracle.
    post_ready`). A file with a bad row is logged in one line and waits until it changes."""
    oracle, read = _measurement_oracle(p, client, args)
    index = watch.open_index(p, args)
    daemon = watch.Daemon(p, client, index, Metrics("measurements"))
    inbox = watch.Inbox(args.csv)

    def step() -> None:
        daemon.sync_index()
        read_now = queued = 0
        for path in inbox.changed():
            try:
                points = read(path)
            except ValueError as exc:  # MeasurementFileError: the file waits until it changes
                log.error("%s", exc, extra={"fields": {"file": str(path)}})
                daemon.metrics.rejects(1)
                continue
            read_now += len(points)
            queued += oracle.enqueue(points)
        daemon.metrics.readings(read_now)
        stats = oracle.post_ready()
        daemon.metrics.batches(stats.batches)
        daemon.metrics.rejects(stats.stale)
        rows = oracle.outbox.measurement_counts(args.region)
        daemon.metrics.outbox(rows["pending"], rows["confirmed"])
        daemon.publish_index()
        log.info("measurements pass: %d read, %d new, posted %d in %d batches, %d already on "
                 "chain, %d wait", read_now, queued, stats.posted, stats.batches, stats.reconciled,
                 stats.waiting,
                 extra={"fields": {"points": read_now, "new": queued, "posted": stats.posted,
                        "batches": stats.batches, "reconciled": stats.reconciled,
                        "requeued": stats.requeued, "stale": stats.stale,
                        "waiting": stats.waiting, "pending": rows["pending"],
                        "confirmed": rows["confirmed"], "chain_latest": stats.latest,
                        "last_block": index.last_block()}})  # fmt: skip

    return daemon, step


def measurement_watch(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    daemon, step = measurement_daemon(p, client, args)
    return daemon.run(step, args.poll_seconds, args.metrics_port)
