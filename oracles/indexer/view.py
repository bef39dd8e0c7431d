"""What the daemons ask the index: a day's meter batches, the activated consumers, an event's
enrollments, the events still open for the keeper. Every answer is a query on the store; none
reads the chain."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hexbytes import HexBytes

from oracles.indexer.store import Row, Store
from oracles.indexer.watched import SETTLED


@dataclass(frozen=True)
class CreatedEvent:
    """An event as ``EventCreated`` logged it (its terms never change)."""

    event_id: int
    region_id: int
    day: int
    start_interval: int  # in the region's meter intervals (P-3, R-7)


class IndexView:
    def __init__(self, store: Store) -> None:
        self.store = store

    def batch_logs(self, region: int, day: int) -> list[dict[str, Any]]:
        """The (region, day)'s ``MeterBatchPosted`` logs by batch index, shaped as web3 returns
        logs (``args``, ``transactionHash``, ``logIndex``, ``blockNumber``), for
        :func:`oracles.protocol.meter_batches.day_batches`."""
        rows = self.store.rows("name='MeterBatchPosted' AND region=? AND day=?", (region, day))
        out = [_as_log(r) for r in rows]
        return sorted(out, key=lambda e: int(e["args"]["batchIndex"]))

    def counts(self) -> dict[str, int]:
        """Logs in the index by event name (every watched name, 0 when none)."""
        from oracles.indexer.watched import WATCHED

        found = dict(
            self.store.db.execute("SELECT name, COUNT(*) FROM logs GROUP BY name").fetchall()
        )
        return {w.name: int(found.get(w.name, 0)) for w in WATCHED}

    def activated_accounts(self) -> list[str]:
        return [str(r.args["account"]) for r in self.store.rows("name='ConsumerActivated'", ())]

    def enrollments(self, event_id: int) -> list[tuple[str, bool]]:
        """(account, by keeper) of every ``Enrolled`` log of the event, in chain order."""
        rows = self.store.rows("name='Enrolled' AND event_id=?", (event_id,))
        return [(str(r.args["account"]), bool(r.args["byKeeper"])) for r in rows]

    def settled_accounts(self, event_id: int) -> set[str]:
        marks = ",".join("?" * len(SETTLED))
        rows = self.store.rows(f"name IN ({marks}) AND event_id=?", (*SETTLED, event_id))
        return {str(r.args["account"]) for r in rows}

    def event_logs(self, event_id: int) -> list[Row]:
        """Every indexed log of the event (requests, optimistic settlement, disputes), in chain order."""
        return self.store.rows("event_id=?", (event_id,))

    def region_added(self, region: int) -> Row | None:
        """The region's ``RegionAdded`` log (its name and first parameters; the interval is fixed
        there, R-7), None when not indexed."""
        rows = self.store.rows("name='RegionAdded' AND region=?", (region,))
        return rows[0] if rows else None

    def time_zone(self, region: int) -> str:
        """The region's IANA time zone as last set (``TimeZoneSet``, R-8), "" if never."""
        rows = self.store.rows("name='TimeZoneSet' AND region=?", (region,))
        return str(rows[-1].args["timeZone"]) if rows else ""

    def finalized_through(self, region: int) -> int | None:
        """The last day of the region made final (M-9), None if none."""
        rows = self.store.rows("name='DaysFinalized' AND region=?", (region,))
        return max((int(r.args["throughDay"]) for r in rows), default=None)

    def open_events(self) -> list[tuple[CreatedEvent, bool]]:
        """Every open event (:mod:`oracles.indexer.lifecycle`: no terminal log, and not every live
        enrollment settled), with whether it has a live enrollment not yet settled. The index keeps
        the open set as it goes: this reads the events in flight, not the history."""
        out: list[tuple[CreatedEvent, bool]] = []
        for event_id in self.store.open_event_ids():
            [created] = self.store.rows("name='EventCreated' AND event_id=?", (event_id,))
            a = created.args
            event = CreatedEvent(
                event_id, int(a["regionId"]), int(a["day"]), int(a["startInterval"])
            )
            out.append((event, self.store.event_state(event_id).unsettled))
        return out


def _as_log(r: Row) -> dict[str, Any]:
    args = dict(r.args)
    if isinstance(args.get("root"), str):
        args["root"] = bytes(HexBytes(args["root"]))
    return {
        "args": args,
        "transactionHash": HexBytes(r.tx_hash),
        "logIndex": r.log_index,
        "blockNumber": r.block,
    }
