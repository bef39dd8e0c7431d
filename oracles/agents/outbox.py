"""A durable queue (SQLite in WAL mode) of work the daemons have not yet seen confirmed on-chain.

* Meter data is keyed by (region, day, consumer, channel): one row per consumer-day and channel
  (import, export: M-4 allows one record of each), ``pending`` until a batch carrying it is sent
  (``sent`` with the transaction hash), then ``confirmed`` with the batch index. Enqueuing the same
  consumer-day and channel again is a no-op, so nothing is sent twice; the meter oracle compares a
  re-enqueued day with the queued row first (:meth:`Outbox.queued_days`) and reports a correction.
* Weather, forecasts and actuals are keyed by (kind, region, hour) (forecasts also by issue time).
* Grid measurements (GridStability, G-7) are keyed by (region, time): their own table, as a
  measurement's key is a second, not an hour; ``pending`` until posted or found on chain.

Every state change commits before the daemon moves on, so a daemon killed at any point restarts
from the database; :mod:`oracles.agents.meter_oracle` then reconciles ``sent`` rows against the chain.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import NamedTuple

from oracles.reference.meter_leaf import Channel, ConsumerDay

log = logging.getLogger("gridbalance.outbox")

METER_TABLE = """
CREATE TABLE IF NOT EXISTS {name} (
    region   INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    consumer INTEGER NOT NULL,
    channel  INTEGER NOT NULL DEFAULT 0,
    record   BLOB    NOT NULL,
    status   TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'confirmed')),
    tx_hash  TEXT,
    batch    INTEGER,
    PRIMARY KEY (region, day, consumer, channel)
) WITHOUT ROWID;
"""
SCHEMA = (
    METER_TABLE.format(name="meter")
    + """
CREATE INDEX IF NOT EXISTS meter_status ON meter (status, region, day, channel);
CREATE TABLE IF NOT EXISTS series (
    kind     TEXT    NOT NULL CHECK (kind IN ('weather', 'forecast', 'actual')),
    region   INTEGER NOT NULL,
    hour     INTEGER NOT NULL,
    issued   INTEGER NOT NULL DEFAULT 0,
    payload  TEXT    NOT NULL,
    status   TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'confirmed')),
    tx_hash  TEXT,
    PRIMARY KEY (kind, region, hour, issued)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS measurement (
    region   INTEGER NOT NULL,
    time     INTEGER NOT NULL,
    payload  TEXT    NOT NULL,
    status   TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'confirmed')),
    tx_hash  TEXT,
    PRIMARY KEY (region, time)
) WITHOUT ROWID;
"""
)


class QueuedDay(NamedTuple):
    """A consumer-day row of the outbox: its record, its state and the batch transaction."""

    record: bytes
    status: str
    tx_hash: str | None


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self._migrate_meter_channel()
        self.db.executescript(SCHEMA)

    def _migrate_meter_channel(self) -> None:
        """An outbox written before the channels came keys meter rows by (region, day, consumer):
        rebuild its table keyed by channel too, in one transaction, keeping every row and its
        status (each row's channel is its record's header byte 2, M-2: import for all of them)."""
        cols = [str(r[1]) for r in self.db.execute("PRAGMA table_info(meter)").fetchall()]
        if not cols or "channel" in cols:
            return
        with self.transaction() as db:
            db.execute("DROP TABLE IF EXISTS meter_v2")
            db.execute(METER_TABLE.format(name="meter_v2"))
            db.execute(
                "INSERT INTO meter_v2 (region, day, consumer, channel, record, status, tx_hash, batch) "
                "SELECT region, day, consumer, "
                "CASE hex(substr(record, 3, 1)) WHEN '01' THEN 1 ELSE 0 END, "
                "record, status, tx_hash, batch FROM meter"
            )
            moved = db.execute("SELECT COUNT(*) FROM meter_v2").fetchone()[0]
            db.execute("DROP TABLE meter")  # its index goes with it
            db.execute("ALTER TABLE meter_v2 RENAME TO meter")
        log.warning("%s: meter outbox keyed by channel now (%d rows kept)", self.path, moved)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ meter data

    def enqueue_days(self, records: Iterable[ConsumerDay]) -> int:
        """Add consumer-days (each on its record's channel); ones already queued (in any state) are
        left alone. Returns how many were new."""
        rows = [(r.region_id, r.day, r.consumer_id, int(r.channel), r.encode()) for r in records]
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO meter (region, day, consumer, channel, record) "
                "VALUES (?, ?, ?, ?, ?)",
                rows,
            )
            return db.total_changes - before

    def queued_days(
        self, records: Iterable[ConsumerDay]
    ) -> dict[tuple[int, int, Channel, int], QueuedDay]:
        """The rows already queued under these records' keys (region, day, channel, consumer), in
        any state: one query per (region, day, channel) the records touch."""
        wanted: dict[tuple[int, int, Channel], set[int]] = {}
        for r in records:
            wanted.setdefault((r.region_id, r.day, r.channel), set()).add(r.consumer_id)
        found: dict[tuple[int, int, Channel, int], QueuedDay] = {}
        for (region, day, channel), ids in wanted.items():
            cur = self.db.execute(
                "SELECT consumer, record, status, tx_hash FROM meter "
                "WHERE region=? AND day=? AND channel=?",
                (region, day, int(channel)),
            )
            for consumer, record, status, tx_hash in cur.fetchall():
                if int(consumer) in ids:
                    found[(region, day, channel, int(consumer))] = QueuedDay(
                        bytes(record), str(status), tx_hash
                    )
        return found

    def open_days(self) -> list[tuple[int, int, Channel]]:
        """(region, day, channel) with rows not yet confirmed, oldest day first, import first."""
        cur = self.db.execute(
            "SELECT DISTINCT region, day, channel FROM meter WHERE status != 'confirmed' "
            "ORDER BY day, region, channel"
        )
        return [(int(a), int(b), Channel(int(c))) for a, b, c in cur.fetchall()]

    def rows(
        self, region: int, day: int, status: str, *, channel: Channel
    ) -> list[tuple[int, bytes, str | None]]:
        """(consumer, record, tx hash) of the (region, day, channel)'s rows in ``status``, by id."""
        cur = self.db.execute(
            "SELECT consumer, record, tx_hash FROM meter WHERE region=? AND day=? AND channel=? "
            "AND status=? ORDER BY consumer",
            (region, day, int(channel), status),
        )
        return [(int(c), bytes(r), t) for c, r, t in cur.fetchall()]

    def mark_sent(
        self, region: int, day: int, consumers: list[int], tx_hash: str, *, channel: Channel
    ) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET status='sent', tx_hash=? "
                "WHERE region=? AND day=? AND channel=? AND consumer=?",
                [(tx_hash, region, day, int(channel), c) for c in consumers],
            )

    def mark_confirmed(
        self,
        region: int,
        day: int,
        consumers: Iterable[int],
        tx_hash: str,
        batch: int,
        *,
        channel: Channel,
    ) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET status='confirmed', tx_hash=?, batch=? "
                "WHERE region=? AND day=? AND channel=? AND consumer=?",
                [(tx_hash, batch, region, day, int(channel), c) for c in consumers],
            )

    def mark_pending(
        self, region: int, day: int, consumers: Iterable[int], *, channel: Channel
    ) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET status='pending', tx_hash=NULL "
                "WHERE region=? AND day=? AND channel=? AND consumer=?",
                [(region, day, int(channel), c) for c in consumers],
            )

    def replace_records(
        self, region: int, day: int, records: dict[int, bytes], *, channel: Channel
    ) -> None:
        """Replace pending rows' records (consumer id -> encoded record), e.g. a signed record whose
        signature the chain would refuse, by its unsigned form."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET record=? WHERE region=? AND day=? AND channel=? AND consumer=? "
                "AND status='pending'",
                [(r, region, day, int(channel), c) for c, r in records.items()],
            )

    def drop(self, region: int, day: int, consumers: Iterable[int], *, channel: Channel) -> None:
        """Remove rows that can never be posted (they were written to the rejects file first)."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM meter WHERE region=? AND day=? AND channel=? AND consumer=?",
                [(region, day, int(channel), c) for c in consumers],
            )

    def counts(self) -> dict[str, int]:
        cur = self.db.execute("SELECT status, COUNT(*) FROM meter GROUP BY status")
        out = {"pending": 0, "sent": 0, "confirmed": 0}
        out.update({str(s): int(n) for s, n in cur.fetchall()})
        return out

    # ------------------------------------------------------------------ weather, forecasts, actuals

    def enqueue_series(self, kind: str, region: int, items: Iterable[tuple[int, int, str]]) -> int:
        """items: (hour, issued, payload JSON)."""
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO series (kind, region, hour, issued, payload) VALUES (?, ?, ?, ?, ?)",
                [(kind, region, h, i, p) for h, i, p in items],
            )
            return db.total_changes - before

    def pending_series(self, kind: str, region: int) -> list[tuple[int, int, str]]:
        cur = self.db.execute(
            "SELECT hour, issued, payload FROM series WHERE kind=? AND region=? AND status!='confirmed' "
            "ORDER BY issued, hour",
            (kind, region),
        )
        return [(int(h), int(i), str(p)) for h, i, p in cur.fetchall()]

    def confirm_series(
        self, kind: str, region: int, keys: Iterable[tuple[int, int]], tx_hash: str
    ) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE series SET status='confirmed', tx_hash=? WHERE kind=? AND region=? AND hour=? AND issued=?",
                [(tx_hash, kind, region, h, i) for h, i in keys],
            )

    def last_series_hour(self, kind: str, region: int) -> int | None:
        """The latest hour of ``kind`` confirmed for the region (a watching forecaster's checkpoint)."""
        row = self.db.execute(
            "SELECT MAX(hour) FROM series WHERE kind=? AND region=? AND status='confirmed'",
            (kind, region),
        ).fetchone()
        return None if row[0] is None else int(row[0])

    def series_counts(self, kind: str, region: int) -> dict[str, int]:
        cur = self.db.execute(
            "SELECT status, COUNT(*) FROM series WHERE kind=? AND region=? GROUP BY status",
            (kind, region),
        )
        out = {"pending": 0, "sent": 0, "confirmed": 0}
        out.update({str(s): int(n) for s, n in cur.fetchall()})
        return out

    def drop_series(self, kind: str, region: int, keys: Iterable[tuple[int, int]]) -> None:
        """Remove rows (hour, issued) never posted: a forecast is made again, not re-sent."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM series WHERE kind=? AND region=? AND hour=? AND issued=? AND status!='confirmed'",
                [(kind, region, h, i) for h, i in keys],
            )

    # ------------------------------------------------------------------ grid measurements

    def enqueue_measurements(self, region: int, items: Iterable[tuple[int, str]]) -> int:
        """items: (time, payload JSON); a time queued already (in any state) is left alone.
        Returns how many were new."""
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO measurement (region, time, payload) VALUES (?, ?, ?)",
                [(region, t, p) for t, p in items],
            )
            return db.total_changes - before

    def pending_measurements(self, region: int) -> list[tuple[int, str]]:
        """(time, payload) of the region's measurements not yet confirmed, in time order."""
        cur = self.db.execute(
            "SELECT time, payload FROM measurement WHERE region=? AND status='pending' ORDER BY time",
            (region,),
        )
        return [(int(t), str(p)) for t, p in cur.fetchall()]

    def confirm_measurements(self, region: int, times: Iterable[int], tx_hash: str) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE measurement SET status='confirmed', tx_hash=? WHERE region=? AND time=?",
                [(tx_hash, region, t) for t in times],
            )

    def requeue_measurements_after(self, region: int, latest: int) -> int:
        """Confirmed measurements after the chain's latest time (a reorg took their batch back)
        become pending again; how many."""
        with self.transaction() as db:
            before = db.total_changes
            db.execute(
                "UPDATE measurement SET status='pending', tx_hash=NULL "
                "WHERE region=? AND status='confirmed' AND time>?",
                (region, latest),
            )
            return db.total_changes - before

    def drop_measurements(self, region: int, times: Iterable[int]) -> None:
        """Remove pending measurements the contract can never take (more than 7 days old)."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM measurement WHERE region=? AND time=? AND status='pending'",
                [(region, t) for t in times],
            )

    def measurement_counts(self, region: int) -> dict[str, int]:
        cur = self.db.execute(
            "SELECT status, COUNT(*) FROM measurement WHERE region=? GROUP BY status", (region,)
        )
        out = {"pending": 0, "confirmed": 0}
        out.update({str(s): int(n) for s, n in cur.fetchall()})
        return out
