"""A durable queue (SQLite in WAL mode) of work the daemons have not yet seen confirmed on-chain.

* Meter data is keyed by (region, day, consumer): one row per consumer-day, ``pending`` until a
  batch carrying it is sent (``sent`` with the transaction hash), then ``confirmed`` with the batch
  index. Enqueuing the same consumer-day again is a no-op, so nothing is sent twice.
* Weather, forecasts and actuals are keyed by (kind, region, hour) (forecasts also by issue time).

Every state change commits before the daemon moves on, so a daemon killed at any point restarts
from the database; :mod:`oracles.agents.meter_oracle` then reconciles ``sent`` rows against the chain.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from oracles.reference.meter_leaf import ConsumerDay

SCHEMA = """
CREATE TABLE IF NOT EXISTS meter (
    region   INTEGER NOT NULL,
    day      INTEGER NOT NULL,
    consumer INTEGER NOT NULL,
    record   BLOB    NOT NULL,
    status   TEXT    NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'confirmed')),
    tx_hash  TEXT,
    batch    INTEGER,
    PRIMARY KEY (region, day, consumer)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS meter_status ON meter (status, region, day);
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
"""


class Outbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)

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
        """Add consumer-days; ones already queued (in any state) are left alone. Returns how many were new."""
        rows = [(r.region_id, r.day, r.consumer_id, r.encode()) for r in records]
        with self.transaction() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO meter (region, day, consumer, record) VALUES (?, ?, ?, ?)",
                rows,
            )
            return db.total_changes - before

    def open_days(self) -> list[tuple[int, int]]:
        """(region, day) pairs with rows not yet confirmed, oldest first."""
        cur = self.db.execute(
            "SELECT DISTINCT region, day FROM meter WHERE status != 'confirmed' ORDER BY day, region"
        )
        return [(int(a), int(b)) for a, b in cur.fetchall()]

    def rows(self, region: int, day: int, status: str) -> list[tuple[int, bytes, str | None]]:
        cur = self.db.execute(
            "SELECT consumer, record, tx_hash FROM meter WHERE region=? AND day=? AND status=? ORDER BY consumer",
            (region, day, status),
        )
        return [(int(c), bytes(r), t) for c, r, t in cur.fetchall()]

    def mark_sent(self, region: int, day: int, consumers: list[int], tx_hash: str) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET status='sent', tx_hash=? WHERE region=? AND day=? AND consumer=?",
                [(tx_hash, region, day, c) for c in consumers],
            )

    def mark_confirmed(
        self, region: int, day: int, consumers: Iterable[int], tx_hash: str, batch: int
    ) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET status='confirmed', tx_hash=?, batch=? WHERE region=? AND day=? AND consumer=?",
                [(tx_hash, batch, region, day, c) for c in consumers],
            )

    def mark_pending(self, region: int, day: int, consumers: Iterable[int]) -> None:
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET status='pending', tx_hash=NULL WHERE region=? AND day=? AND consumer=?",
                [(region, day, c) for c in consumers],
            )

    def replace_records(self, region: int, day: int, records: dict[int, bytes]) -> None:
        """Replace pending rows' records (consumer id -> encoded record), e.g. a signed record whose
        signature the chain would refuse, by its unsigned form."""
        with self.transaction() as db:
            db.executemany(
                "UPDATE meter SET record=? WHERE region=? AND day=? AND consumer=? AND status='pending'",
                [(r, region, day, c) for c, r in records.items()],
            )

    def drop(self, region: int, day: int, consumers: Iterable[int]) -> None:
        """Remove rows that can never be posted (they were written to the rejects file first)."""
        with self.transaction() as db:
            db.executemany(
                "DELETE FROM meter WHERE region=? AND day=? AND consumer=?",
                [(region, day, c) for c in consumers],
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
