"""The indexer's SQLite database: the decoded logs, the last block indexed, and the hashes of the
last blocks (to recognise a reorg).

One row per log, keyed by (block, log index), with the arguments the daemons look logs up by
(event id, region, day, account) in their own columns and every argument as JSON. A reorg undoes
rows by block number: ``DELETE ... WHERE block > ancestor``.

The database names the deployment it indexes (chain id and addresses) and the logs it keeps
(:data:`oracles.indexer.watched.WATCHED`). A database of another deployment is refused; one of this
deployment made when fewer logs were kept (an earlier version) is emptied and read again from the
deployment's block on its next pass, once, so that it holds every kept log of the whole history.
A reader (``read_only``, e.g. ``gridbalance report`` beside a running keeper) opens a database a
daemon holds without locking or changing it.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import sqlite3
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oracles.indexer.lifecycle import EventState, event_state

log = logging.getLogger("gridbalance.indexer")

SCHEMA = """
CREATE TABLE IF NOT EXISTS logs (
    block     INTEGER NOT NULL,
    log_index INTEGER NOT NULL,
    tx_hash   TEXT    NOT NULL,
    name      TEXT    NOT NULL,
    event_id  INTEGER,
    region    INTEGER,
    day       INTEGER,
    account   TEXT,
    args      TEXT    NOT NULL,
    PRIMARY KEY (block, log_index)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS logs_event ON logs (event_id, name);
CREATE INDEX IF NOT EXISTS logs_day ON logs (name, region, day);
CREATE INDEX IF NOT EXISTS logs_name ON logs (name, block);
CREATE TABLE IF NOT EXISTS open_events (event_id INTEGER PRIMARY KEY);
CREATE TABLE IF NOT EXISTS blocks (number INTEGER PRIMARY KEY, hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class Row:
    """One decoded log as stored."""

    block: int
    log_index: int
    tx_hash: str
    name: str
    args: dict[str, Any]

    def key(self, column: str) -> Any:
        return self.args.get(_ARG_OF[column])


_ARG_OF = {"event_id": "eventId", "region": "regionId", "day": "day", "account": "account"}


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, Mapping):  # a struct argument decodes to web3's AttributeDict
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class Store:
    def __init__(
        self,
        path: Path,
        chain_id: int,
        contracts: str,
        watched: str | None = None,
        *,
        read_only: bool = False,
    ) -> None:
        """``contracts`` names the deployment (its addresses, comma-separated): a database made for
        another chain or deployment is refused rather than mixed with this one. ``watched`` names
        the logs kept (None: not checked); see the module notes for a database that kept fewer."""
        self.path = path
        self._lock = -1
        if read_only:
            self._open_read_only(path)
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(path)
            try:
                self.db = sqlite3.connect(path, isolation_level=None, timeout=30)
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=NORMAL")
                self.db.executescript(SCHEMA)
            except sqlite3.Error as exc:
                os.close(self._lock)
                raise IndexerError(f"{path}: cannot be used as the log index ({exc})") from exc
        identity = f"{chain_id}:{contracts}"
        found = self.meta("identity")
        if found is None and read_only:
            self.close()
            raise IndexerError(f"{path}: an empty log index; a daemon pass fills it")
        if found is None:
            self.set_meta("identity", identity)
            if watched is not None:
                self.set_meta("watched", watched)
        elif found != identity and not _kept_fewer(found, identity):
            self.close()
            raise IndexerError(f"{path} indexes another chain or deployment; use another --index")
        elif watched is not None and (found != identity or self.meta("watched") != watched):
            if read_only:
                self.close()
                raise IndexerError(f"{path} was made by an earlier version and is rebuilt by the "
                                   "next daemon pass; run that first")  # fmt: skip
            self._rebuild(identity, watched)

    def _open_read_only(self, path: Path) -> None:
        if not path.exists():
            raise IndexerError(f"{path}: no log index here")
        try:
            self.db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None,
                                      timeout=30)  # fmt: skip
            self.db.execute("SELECT 1 FROM meta LIMIT 1").fetchall()
        except sqlite3.Error as exc:
            raise IndexerError(f"{path}: cannot be used as the log index ({exc})") from exc

    def _rebuild(self, identity: str, watched: str) -> None:
        """Empty a database that kept fewer logs than this version keeps: the next pass reads the
        whole history again from the deployment's block (the reorg count is kept)."""
        with self.transaction() as db:
            removed = db.execute("DELETE FROM logs").rowcount
            db.execute("DELETE FROM open_events")
            db.execute("DELETE FROM blocks")
            db.execute("DELETE FROM meta WHERE key='last_block'")
            self.set_meta("identity", identity, db)
            self.set_meta("watched", watched, db)
        log.warning("%s: made when fewer logs were kept; emptied (%d logs) and read again from the "
                    "deployment's block", self.path, removed)  # fmt: skip

    def close(self) -> None:
        self.db.close()
        if self._lock >= 0:
            os.close(self._lock)  # releases the lock
            self._lock = -1

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ------------------------------------------------------------------ checkpoint

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str, db: sqlite3.Connection | None = None) -> None:
        (db or self.db).execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value=excluded.value",
            (key, value),
        )

    def last_block(self) -> int | None:
        """The last block indexed, None before the first run."""
        value = self.meta("last_block")
        return None if value is None else int(value)

    def counter(self, key: str) -> int:
        return int(self.meta(key) or 0)

    def block_hashes(self) -> list[tuple[int, str]]:
        """The stored recent block hashes, newest first."""
        cur = self.db.execute("SELECT number, hash FROM blocks ORDER BY number DESC")
        return [(int(n), str(h)) for n, h in cur.fetchall()]

    def append(
        self, rows: Iterable[Row], last_block: int, hashes: list[tuple[int, str]], keep_from: int
    ) -> None:
        """Store ``rows`` and the checkpoint ``last_block`` in one transaction; keep the hashes of
        blocks from ``keep_from`` on."""
        with self.transaction() as db:
            db.executemany(
                "INSERT OR REPLACE INTO logs (block, log_index, tx_hash, name, event_id, region, day, "
                "account, args) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (r.block, r.log_index, r.tx_hash, r.name, r.key("event_id"), r.key("region"),
                     r.key("day"), r.key("account"), json.dumps(_jsonable(r.args)))
                    for r in rows
                ],
            )  # fmt: skip
            self._refresh_events(
                db, {r.key("event_id") for r in rows if r.key("event_id") is not None}
            )
            db.executemany("INSERT OR REPLACE INTO blocks (number, hash) VALUES (?, ?)", hashes)
            db.execute("DELETE FROM blocks WHERE number < ?", (keep_from,))
            self.set_meta("last_block", str(last_block), db)

    def undo_after(self, ancestor: int) -> int:
        """A reorg took back every block after ``ancestor``: remove their rows and hashes, count
        the reorg, and move the checkpoint back. Returns the number of rows removed."""
        with self.transaction() as db:
            cur = db.execute(
                "SELECT DISTINCT event_id FROM logs WHERE block > ? AND event_id IS NOT NULL",
                (ancestor,),
            )
            touched = {int(e) for (e,) in cur.fetchall()}
            removed = db.execute("DELETE FROM logs WHERE block > ?", (ancestor,)).rowcount
            self._refresh_events(db, touched)
            db.execute("DELETE FROM blocks WHERE number > ?", (ancestor,))
            self.set_meta("last_block", str(ancestor), db)
            self.set_meta("reorgs", str(self.counter("reorgs") + 1), db)
        return int(removed)

    def _refresh_events(self, db: sqlite3.Connection, event_ids: Iterable[Any]) -> None:
        """Recompute whether each of ``event_ids`` is open (:mod:`oracles.indexer.lifecycle`)."""
        for event_id in event_ids:
            if self.event_state(int(event_id), db).open:
                db.execute(
                    "INSERT OR IGNORE INTO open_events (event_id) VALUES (?)", (int(event_id),)
                )
            else:
                db.execute("DELETE FROM open_events WHERE event_id=?", (int(event_id),))

    def event_state(self, event_id: int, db: sqlite3.Connection | None = None) -> EventState:
        cur = (db or self.db).execute(
            "SELECT name, account FROM logs WHERE event_id=? ORDER BY block, log_index", (event_id,)
        )
        return event_state((str(n), None if a is None else str(a)) for n, a in cur.fetchall())

    def open_event_ids(self) -> list[int]:
        cur = self.db.execute("SELECT event_id FROM open_events ORDER BY event_id")
        return [int(e) for (e,) in cur.fetchall()]

    # ------------------------------------------------------------------ reads

    def rows(self, where: str, params: tuple[Any, ...]) -> list[Row]:
        cur = self.db.execute(
            f"SELECT block, log_index, tx_hash, name, args FROM logs WHERE {where} "
            "ORDER BY block, log_index",
            params,
        )
        return [Row(int(b), int(i), str(t), str(n), json.loads(a)) for b, i, t, n, a in cur]

    def count(self, name: str) -> int:
        row = self.db.execute("SELECT COUNT(*) FROM logs WHERE name=?", (name,)).fetchone()
        return int(row[0])


def _lock(path: Path) -> int:
    """One index file, one daemon: an exclusive ``flock`` on the database file for the store's
    life (the kernel drops it when the process dies, even by SIGKILL). Two daemons on one file would
    each move the one checkpoint (one of them backwards) and count each reorg twice; each daemon
    keeps its own index file instead (README "Running the daemons")."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise IndexInUse(
            f"{path} is in use by another daemon; give each daemon its own --index"
        ) from None
    return fd


def _kept_fewer(found: str | None, identity: str) -> bool:
    """Whether a stored identity is this deployment's, from a version that read the logs of fewer
    of its contracts (same chain id, every address it read still read)."""
    if found is None:
        return False
    chain, _, contracts = found.partition(":")
    new_chain, _, new_contracts = identity.partition(":")
    return chain == new_chain and set(contracts.split(",")) <= set(new_contracts.split(","))


class IndexerError(RuntimeError):
    """The index cannot be used (another chain's database, a reorg deeper than its depth)."""


class IndexInUse(IndexerError):
    """Another daemon holds the index file."""
