"""The gateway's own records (SQLite, a work file beside its log index: ``--vens``, default
``gridbalance-gateway-vens.sqlite``): the OpenADR VENs and resources clients created, tying each VEN
to a registered consumer and each resource to that consumer's meter; the reports accepted; and every
interval reading the reports gave, so that a consumer-day reported in several reports is rebuilt
whole before it is queued again.

Nothing here is on chain: the meter data goes to the meter oracle's outbox
(:mod:`oracles.gateway.reports`), whose rows say where each consumer-day is. Not thread-safe: the
gateway uses it from its one worker thread.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SCHEMA = """
CREATE TABLE IF NOT EXISTS ven (
    n          INTEGER PRIMARY KEY AUTOINCREMENT,
    ven_name   TEXT    NOT NULL UNIQUE,
    client_id  TEXT    NOT NULL,
    consumer   TEXT    NOT NULL,      -- the consumer's address, checksummed
    region     INTEGER NOT NULL,      -- the consumer's region and class (its targets)
    class      TEXT    NOT NULL,
    attributes TEXT    NOT NULL,      -- JSON list of valuesMap
    created    TEXT    NOT NULL,
    modified   TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS resource (
    n              INTEGER PRIMARY KEY AUTOINCREMENT,
    ven            INTEGER NOT NULL REFERENCES ven (n) ON DELETE CASCADE,
    resource_name  TEXT    NOT NULL,
    meter_id       TEXT    NOT NULL UNIQUE,
    consumer_id    INTEGER NOT NULL,
    region         INTEGER NOT NULL,
    activation_day INTEGER NOT NULL,
    attributes     TEXT    NOT NULL,
    created        TEXT    NOT NULL,
    modified       TEXT    NOT NULL,
    UNIQUE (ven, resource_name)
);
CREATE TABLE IF NOT EXISTS report (
    n           INTEGER PRIMARY KEY AUTOINCREMENT,
    client_id   TEXT    NOT NULL,
    program_id  TEXT    NOT NULL,
    event_id    TEXT    NOT NULL,
    client_name TEXT    NOT NULL,
    body        TEXT    NOT NULL,     -- the accepted report as served (without chainStatus)
    created     TEXT    NOT NULL
);
CREATE TABLE IF NOT EXISTS report_day (
    report        INTEGER NOT NULL REFERENCES report (n),
    resource_name TEXT    NOT NULL,
    consumer_id   INTEGER NOT NULL,
    region        INTEGER NOT NULL,
    day           INTEGER NOT NULL,
    channel       INTEGER NOT NULL,
    PRIMARY KEY (report, consumer_id, region, day, channel)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS reading (
    consumer_id INTEGER NOT NULL,
    region      INTEGER NOT NULL,
    channel     INTEGER NOT NULL,
    day         INTEGER NOT NULL,
    start       INTEGER NOT NULL,     -- Unix seconds
    seconds     INTEGER NOT NULL,
    wh          INTEGER NOT NULL,
    meter_id    TEXT    NOT NULL,
    report      INTEGER NOT NULL,     -- the latest report that gave it
    PRIMARY KEY (consumer_id, region, channel, start)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS reading_day ON reading (consumer_id, region, channel, day);
"""


@dataclass(frozen=True)
class VenRow:
    n: int
    ven_name: str
    client_id: str
    consumer: str
    region: int
    consumer_class: str
    attributes: list[dict[str, Any]]
    created: str
    modified: str

    @property
    def id(self) -> str:
        return f"ven-{self.n}"


@dataclass(frozen=True)
class ResourceRow:
    n: int
    ven: int
    resource_name: str
    meter_id: str
    consumer_id: int
    region: int
    activation_day: int
    attributes: list[dict[str, Any]]
    created: str
    modified: str

    @property
    def id(self) -> str:
        return f"resource-{self.n}"

    @property
    def ven_id(self) -> str:
        return f"ven-{self.ven}"


@dataclass(frozen=True)
class ReportRow:
    n: int
    client_id: str
    program_id: str
    event_id: str
    client_name: str
    body: dict[str, Any]
    created: str

    @property
    def id(self) -> str:
        return f"report-{self.n}"


@dataclass(frozen=True)
class DayKey:
    """A consumer-day of a report."""

    resource_name: str
    consumer_id: int
    region: int
    day: int
    channel: int


@dataclass(frozen=True)
class Reading:
    start: int
    seconds: int
    wh: int
    meter_id: str


def number(text: str, kind: str) -> int | None:
    """The row number of an id ``<kind>-<n>``, None for any other text."""
    head, _, tail = text.partition("-")
    if head != kind or not tail.isdigit() or len(tail) > 18:
        return None
    return int(tail)


class Registry:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA foreign_keys=ON")
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

    # ------------------------------------------------------------------ VENs

    def vens(self) -> list[VenRow]:
        cur = self.db.execute("SELECT * FROM ven ORDER BY n")
        return [_ven(r) for r in cur.fetchall()]

    def ven(self, n: int) -> VenRow | None:
        row = self.db.execute("SELECT * FROM ven WHERE n=?", (n,)).fetchone()
        return None if row is None else _ven(row)

    def ven_named(self, name: str) -> VenRow | None:
        row = self.db.execute("SELECT * FROM ven WHERE ven_name=?", (name,)).fetchone()
        return None if row is None else _ven(row)

    def vens_of(self, client_id: str) -> list[VenRow]:
        cur = self.db.execute("SELECT * FROM ven WHERE client_id=? ORDER BY n", (client_id,))
        return [_ven(r) for r in cur.fetchall()]

    def add_ven(
        self,
        db: sqlite3.Connection,
        name: str,
        client_id: str,
        consumer: tuple[str, int, str],
        attributes: list[dict[str, Any]],
        now: str,
    ) -> int:
        """``consumer``: its address, region and class."""
        cur = db.execute(
            "INSERT INTO ven (ven_name, client_id, consumer, region, class, attributes, created, "
            "modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (name, client_id, *consumer, json.dumps(attributes), now, now),
        )
        return int(cur.lastrowid or 0)

    def update_ven(
        self, n: int, consumer: tuple[str, int, str], attributes: list[dict[str, Any]], now: str
    ) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE ven SET consumer=?, region=?, class=?, attributes=?, modified=? WHERE n=?",
                (*consumer, json.dumps(attributes), now, n),
            )

    def delete_ven(self, n: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM resource WHERE ven=?", (n,))
            db.execute("DELETE FROM ven WHERE n=?", (n,))

    # ------------------------------------------------------------------ resources

    def resources(self, ven: int | None = None) -> list[ResourceRow]:
        if ven is None:
            cur = self.db.execute("SELECT * FROM resource ORDER BY n")
        else:
            cur = self.db.execute("SELECT * FROM resource WHERE ven=? ORDER BY n", (ven,))
        return [_resource(r) for r in cur.fetchall()]

    def resource(self, n: int) -> ResourceRow | None:
        row = self.db.execute("SELECT * FROM resource WHERE n=?", (n,)).fetchone()
        return None if row is None else _resource(row)

    def resource_of_meter(self, meter_id: str) -> ResourceRow | None:
        row = self.db.execute("SELECT * FROM resource WHERE meter_id=?", (meter_id,)).fetchone()
        return None if row is None else _resource(row)

    def resources_named(self, name: str) -> list[ResourceRow]:
        cur = self.db.execute("SELECT * FROM resource WHERE resource_name=? ORDER BY n", (name,))
        return [_resource(r) for r in cur.fetchall()]

    def add_resource(
        self, db: sqlite3.Connection, ven: int, r: ResourceRow, now: str
    ) -> int:  # fmt: skip
        cur = db.execute(
            "INSERT INTO resource (ven, resource_name, meter_id, consumer_id, region, "
            "activation_day, attributes, created, modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (ven, r.resource_name, r.meter_id, r.consumer_id, r.region, r.activation_day,
             json.dumps(r.attributes), now, now),
        )  # fmt: skip
        return int(cur.lastrowid or 0)

    def update_resource(self, r: ResourceRow, now: str) -> None:
        with self.transaction() as db:
            db.execute(
                "UPDATE resource SET resource_name=?, meter_id=?, consumer_id=?, region=?, "
                "activation_day=?, attributes=?, modified=? WHERE n=?",
                (r.resource_name, r.meter_id, r.consumer_id, r.region, r.activation_day,
                 json.dumps(r.attributes), now, r.n),
            )  # fmt: skip

    def delete_resource(self, n: int) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM resource WHERE n=?", (n,))

    # ------------------------------------------------------------------ reports and readings

    def readings(self, consumer_id: int, region: int, channel: int, day: int) -> list[Reading]:
        cur = self.db.execute(
            "SELECT start, seconds, wh, meter_id FROM reading "
            "WHERE consumer_id=? AND region=? AND channel=? AND day=? ORDER BY start",
            (consumer_id, region, channel, day),
        )
        return [Reading(int(a), int(b), int(c), str(d)) for a, b, c, d in cur.fetchall()]

    def minutes(self, consumer_id: int, region: int, channel: int, day: int) -> int:
        row = self.db.execute(
            "SELECT COALESCE(SUM(seconds), 0) FROM reading "
            "WHERE consumer_id=? AND region=? AND channel=? AND day=?",
            (consumer_id, region, channel, day),
        ).fetchone()
        return int(row[0]) // 60

    def add_report(
        self,
        client_id: str,
        body: dict[str, Any],
        days: Iterable[DayKey],
        readings: Iterable[tuple[DayKey, Reading]],
        now: str,
    ) -> int:
        """Store an accepted report (``body`` without its id, which is the row's), the consumer-days
        it touched and its readings (a reading of an interval reported before replaces it)."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO report (client_id, program_id, event_id, client_name, body, created) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (client_id, body["programID"], body["eventID"], body["clientName"],
                 json.dumps(body), now),
            )  # fmt: skip
            n = int(cur.lastrowid or 0)
            db.executemany(
                "INSERT OR IGNORE INTO report_day VALUES (?, ?, ?, ?, ?, ?)",
                [(n, k.resource_name, k.consumer_id, k.region, k.day, k.channel) for k in days],
            )
            db.executemany(
                "INSERT OR REPLACE INTO reading VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(k.consumer_id, k.region, k.channel, k.day, r.start, r.seconds, r.wh,
                  r.meter_id, n) for k, r in readings],
            )  # fmt: skip
            return n

    def reports(self, client_id: str | None = None) -> list[ReportRow]:
        if client_id is None:
            cur = self.db.execute("SELECT * FROM report ORDER BY n")
        else:
            cur = self.db.execute("SELECT * FROM report WHERE client_id=? ORDER BY n", (client_id,))
        return [_report(r) for r in cur.fetchall()]

    def report(self, n: int) -> ReportRow | None:
        row = self.db.execute("SELECT * FROM report WHERE n=?", (n,)).fetchone()
        return None if row is None else _report(row)

    def report_days(self, n: int) -> list[DayKey]:
        cur = self.db.execute(
            "SELECT resource_name, consumer_id, region, day, channel FROM report_day "
            "WHERE report=? ORDER BY resource_name, day, channel",
            (n,),
        )
        return [DayKey(str(a), int(b), int(c), int(d), int(e)) for a, b, c, d, e in cur.fetchall()]


def _ven(r: tuple[Any, ...]) -> VenRow:
    n, name, client, consumer, region, kind, attributes, created, modified = r
    return VenRow(int(n), str(name), str(client), str(consumer), int(region), str(kind),
                  json.loads(attributes), str(created), str(modified))  # fmt: skip


def _resource(r: tuple[Any, ...]) -> ResourceRow:
    n, ven, name, meter, cid, region, first, attributes, created, modified = r
    return ResourceRow(int(n), int(ven), str(name), str(meter), int(cid), int(region), int(first),
                       json.loads(attributes), str(created), str(modified))  # fmt: skip


def _report(r: tuple[Any, ...]) -> ReportRow:
    n, client, program, event, name, body, created = r
    return ReportRow(int(n), str(client), str(program), str(event), str(name), json.loads(body),
                     str(created))  # fmt: skip
