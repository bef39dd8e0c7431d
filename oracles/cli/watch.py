"""``--watch``: the daemons as long-lived processes (one pass, a poll interval, again).

Each shares the log index (``--index``, :mod:`oracles.indexer`) for what it reads from logs, keeps
its checkpoint in the index and the outbox (both SQLite, committed as they go: a daemon killed at
any moment resumes where they say), logs one structured line per batch and per pass, and serves its
metrics (``--metrics-port``). SIGTERM or SIGINT ends it after the pass under way, exit 0.
"""

from __future__ import annotations

import argparse
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from oracles.agents.grid_oracles import ActualPoint, Forecaster, GridOracle, WeatherPoint
from oracles.agents.keeper import Keeper
from oracles.agents.meter_oracle import MeterOracle
from oracles.agents.outbox import Outbox
from oracles.chain.client import ChainClient
from oracles.chain.rpc import latest_timestamp
from oracles.daemon.loop import Stop, watch
from oracles.daemon.metrics import Metrics
from oracles.indexer.indexer import LogIndexer
from oracles.indexer.view import CreatedEvent
from oracles.protocol.bindings import HourRecord
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import EventStatus, HourFlag

log = logging.getLogger("gridbalance.daemon")

# reads one meter file into the outbox: (readings, consumer-days taken, new consumer-days, rejects)
Ingest = Callable[[Path], tuple[int, int, int, int]]


@dataclass
class Daemon:
    """What every watching daemon has: the index, its metrics, the stop flag."""

    p: Protocol
    client: ChainClient
    index: LogIndexer
    metrics: Metrics
    stop: Stop = field(default_factory=Stop)

    def sync_index(self) -> None:
        """Bring the index to the head; after a reorg the nonce is read from the chain again (the
        reorg may have taken this daemon's transactions back)."""
        if self.index.sync().reorg:
            self.client.resync_nonce()

    def publish_index(self) -> None:
        view = self.index.view
        self.metrics.index(self.index.last_block(), self.index.reorgs, view.counts())

    def run(self, step: Callable[[], None], poll_seconds: float, port: int | None) -> int:
        self.stop.install()
        if port is not None:
            self.metrics.serve(port)
        log.info("watching every %.1fs%s", poll_seconds,
                 "" if port is None else f"; metrics on :{port}/metrics")  # fmt: skip

        def one() -> None:
            step()
            self.metrics.passed()

        def failed(_: BaseException) -> None:
            self.metrics.rpc_error()
            self.client.resync_nonce()  # another transaction may have taken a nonce (D-2)

        watch(one, poll_seconds, self.stop, on_error=failed)
        self.index.close()
        return 0


def open_index(p: Protocol, args: argparse.Namespace) -> LogIndexer:
    return LogIndexer(p, args.index, reorg_depth=args.reorg_depth, max_range=args.max_block_range)


# ------------------------------------------------------------------ keeper


def keeper_watch(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    index = open_index(p, args)
    daemon = Daemon(p, client, index, Metrics("keeper"))
    keeper = Keeper(p, client, index=index)
    offsets: dict[int, tuple[int, int]] = {}  # region -> (UTC offset, meter interval)

    def step() -> None:
        daemon.sync_index()
        enrolled, settled = keeper_pass(p, keeper, index, offsets, daemon.stop)
        daemon.metrics.enrolled(enrolled)
        daemon.metrics.settled(settled)
        daemon.sync_index()
        daemon.publish_index()
        log.info("keeper pass: enrolled %d, settled %d, indexed to block %d", enrolled, settled,
                 index.last_block(), extra={"fields": {"enrolled": enrolled, "settled": settled,
                 "last_block": index.last_block(), "reorgs": index.reorgs}})  # fmt: skip

    return daemon.run(step, args.poll_seconds, args.metrics_port)


def keeper_pass(
    p: Protocol,
    keeper: Keeper,
    index: LogIndexer,
    offsets: dict[int, tuple[int, int]],
    stop: Stop | None = None,
) -> tuple[int, int]:
    """One watching keeper pass over the index's open events (the index synced by the caller):
    enroll in those not started, settle those started with live enrollments not yet settled.
    Returns (consumers enrolled, enrollments settled). Its work follows the events in flight, not
    the chain's history (``keeper_pass_seconds_at_*_events`` in benchmarks/run.py)."""
    keeper.forget_batches()  # a day's batches are read again each pass (a reorg may change them)
    now = latest_timestamp(keeper.client.w3)
    enrolled = settled = 0
    for created, unsettled in index.view.open_events():
        if stop is not None and stop.requested:
            break
        if created.region_id not in offsets:
            region = p.region(created.region_id)
            offsets[created.region_id] = (region.utc_offset_minutes, region.interval_minutes)
        if now < event_start(created, *offsets[created.region_id]):
            enrolled += len(keeper.enroll(created.event_id).enrolled)
        elif unsettled and _settleable(p, keeper, created):
            result = keeper.settle(created.event_id)
            settled += len(result.outcomes)
            if result.mismatches:
                log.error("event %d: %d mismatches with the reference", created.event_id,
                          result.mismatches)  # fmt: skip
    return enrolled, settled


def event_start(created: CreatedEvent, utc_offset_minutes: int, interval_minutes: int) -> int:
    """The event's first second (LocalTime.dayStart plus its start interval, P-3)."""
    start = 60 * interval_minutes * created.start_interval
    return created.day * 86_400 - utc_offset_minutes * 60 + start


def _settleable(p: Protocol, keeper: Keeper, created: CreatedEvent) -> bool:
    """Proof settlement can run: the event is Scheduled, its day final (made so if it can be, M-9)
    and holds data."""
    if p.dr_event(created.event_id).status != EventStatus.Scheduled:
        return False
    return keeper.finalize_day(created.event_id) and bool(
        p.meter.functions.hasData(created.region_id, created.day).call()
    )


# ------------------------------------------------------------------ meter oracle


@dataclass
class Inbox:
    """The meter files of ``--csv``: one file, or every ``*.csv`` of a folder; a file is read again
    when its size or modification time changes (enqueuing is idempotent, so re-reading is safe)."""

    path: Path
    seen: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def changed(self) -> list[Path]:
        files = sorted(self.path.glob("*.csv")) if self.path.is_dir() else [self.path]
        out = []
        for f in files:
            st = f.stat()
            if self.seen.get(f) != (st.st_mtime_ns, st.st_size):
                self.seen[f] = (st.st_mtime_ns, st.st_size)
                out.append(f)
        return out


def meter_watch(
    p: Protocol, client: ChainClient, args: argparse.Namespace, oracle: MeterOracle,
    ingest: Ingest,
) -> int:  # fmt: skip
    """``ingest(path) -> (readings, consumer-days, new, rejects)`` reads one file into the outbox."""
    index = oracle.index
    assert index is not None
    daemon = Daemon(p, client, index, Metrics("meter"))
    inbox = Inbox(args.csv)

    def step() -> None:
        readings = new = 0
        for path in inbox.changed():
            n, _, queued, rejected = ingest(path)
            readings += n
            new += queued
            daemon.metrics.rejects(rejected)
        daemon.metrics.readings(readings)
        stats = oracle.flush()
        daemon.metrics.batches(stats.batches)
        daemon.metrics.rejects(stats.rejected)
        counts = oracle.outbox.counts()
        daemon.metrics.outbox(counts["pending"] + counts["sent"], counts["confirmed"])
        daemon.sync_index()
        daemon.publish_index()
        log.info("meter pass: %d readings, %d new consumer-days, posted %d in %d batches",
                 readings, new, stats.consumer_days, stats.batches,
                 extra={"fields": {"readings": readings, "new": new, "batches": stats.batches,
                        "consumer_days": stats.consumer_days, "pending": counts["pending"],
                        "sent": counts["sent"], "confirmed": counts["confirmed"],
                        "last_block": index.last_block()}})  # fmt: skip

    return daemon.run(step, args.poll_seconds, args.metrics_port)


# ------------------------------------------------------------------ weather and load oracles

# reads one weather or load CSV (a one-line ValueError for a bad row)
ReadPoints = Callable[[Path], Sequence[WeatherPoint | ActualPoint]]


def grid_watch(p: Protocol, client: ChainClient, args: argparse.Namespace, read: ReadPoints) -> int:
    """``oracle weather|load --watch``: each pass queues the points of every new or changed CSV of
    ``--csv`` (a file or a folder), then posts the queued hours the contract takes now (F-1, F-3):
    weather up to 48 h ahead, an actual once its hour has ended; later hours wait in the outbox,
    hours over 168 h old are dropped and counted as rejects. A pass killed after sending finds its
    points on chain and confirms them without sending again."""
    kind = "weather" if args.kind == "weather" else "actual"
    index = open_index(p, args)
    daemon = Daemon(p, client, index, Metrics(args.kind))
    outbox = Outbox(args.outbox)
    oracle = GridOracle(p, client, outbox)
    inbox = Inbox(args.csv)

    def step() -> None:
        daemon.sync_index()
        read_now = queued = 0
        for path in inbox.changed():
            try:
                points = read(path)
            except ValueError as exc:  # a bad row: the file waits until it changes
                log.error("%s", exc, extra={"fields": {"file": str(path)}})
                daemon.metrics.rejects(1)
                continue
            read_now += len(points)
            queued += outbox.enqueue_series(
                kind, args.region, [(x.hour, 0, json.dumps(x.as_tuple())) for x in points]
            )
        daemon.metrics.readings(read_now)
        stats = oracle.post_ready(kind, args.region)
        daemon.metrics.batches(stats.batches)
        daemon.metrics.rejects(stats.stale)
        rows = outbox.series_counts(kind, args.region)
        daemon.metrics.outbox(rows["pending"] + rows["sent"], rows["confirmed"])
        daemon.publish_index()
        log.info("%s pass: %d points read, %d new, posted %d in %d batches, %d wait", args.kind,
                 read_now, queued, stats.posted, stats.batches, stats.waiting,
                 extra={"fields": {"points": read_now, "new": queued, "posted": stats.posted,
                        "batches": stats.batches, "reconciled": stats.reconciled,
                        "stale": stats.stale, "waiting": stats.waiting,
                        "pending": rows["pending"], "confirmed": rows["confirmed"],
                        "now_hour": stats.now_hour, "last_block": index.last_block()}})  # fmt: skip

    return daemon.run(step, args.poll_seconds, args.metrics_port)


# ------------------------------------------------------------------ forecaster


def forecast_watch(p: Protocol, client: ChainClient, args: argparse.Namespace) -> int:
    """Each pass forecasts the hours ahead not yet forecast whose weather is posted (F-2)."""
    index = open_index(p, args)
    daemon = Daemon(p, client, index, Metrics("forecast"))
    outbox = Outbox(args.outbox)
    forecaster = Forecaster(p, client, outbox)

    def reconcile() -> None:
        """Rows a killed pass queued but did not record: confirmed if the chain has a forecast of
        that load for the hour, else dropped (the hour is forecast again, with a new issue time)."""
        pending = outbox.pending_series("forecast", args.region)
        if not pending:
            return
        records = HourRecord.many(client.call_many(p.forecasting, "hourRecord",
                                                   [(args.region, h) for h, _, _ in pending]))  # fmt: skip
        posted: list[tuple[int, int]] = []
        lost: list[tuple[int, int]] = []
        for (hour, issued, payload), rec in zip(pending, records, strict=True):
            on_chain = rec.flags & HourFlag.Forecast and rec.forecast_kw == json.loads(payload)[1]
            (posted if on_chain else lost).append((hour, issued))
        outbox.confirm_series("forecast", args.region, posted, "reconciled")
        outbox.drop_series("forecast", args.region, lost)

    def step() -> None:
        daemon.sync_index()
        reconcile()
        now_hour = int(p.forecasting.functions.currentHour(args.region).call())
        last = outbox.last_series_hour("forecast", args.region)
        hours = list(range(max(now_hour + 1, (last or 0) + 1), now_hour + 1 + args.hours))
        records = HourRecord.many(client.call_many(p.forecasting, "hourRecord",
                                                   [(args.region, h) for h in hours]))  # fmt: skip
        ready = []
        for h, rec in zip(hours, records, strict=True):
            if not rec.flags & HourFlag.Weather:
                break  # forecasts need their hour's weather: the rest waits for it
            ready.append(h)
        if ready:
            try:
                points = forecaster.forecast(args.region, ready)
            except ValueError as exc:  # too little posted history to fit the model yet
                log.warning("forecast waits: %s", exc)
                ready = []
            else:
                forecaster.post(args.region, points)
                daemon.metrics.batches()
        rows = outbox.series_counts("forecast", args.region)
        daemon.metrics.outbox(rows["pending"], rows["confirmed"])
        daemon.publish_index()
        log.info("forecast pass: %d hours posted from hour %s", len(ready), ready[0] if ready else "-",
                 extra={"fields": {"hours": len(ready), "first_hour": ready[0] if ready else None,
                        "now_hour": now_hour}})  # fmt: skip

    return daemon.run(step, args.poll_seconds, args.metrics_port)
