"""What the gateway knows of the chain: the protocol's programs, events and regions as the shared
log index holds them (:mod:`oracles.indexer`), brought up to the chain's head before a read at most
every ``sync_seconds``. No object costs a chain call of its own: a program is its
``ProgramCreated`` log (a program is written once, P-1), an event its ``EventCreated`` log (its
terms never change, P-3) and the logs that ended it, a region its ``RegionAdded`` and last
``TimeZoneSet`` logs. The chain is asked only for what no log carries, once each and cached: the
timestamps of the blocks that hold those logs (one batched request for every new block) and each
payment token's symbol and decimals.

When another daemon holds the index file (a keeper with ``--index`` on the same file), the view
reads it as that daemon keeps it, without syncing.

Not thread-safe: the gateway calls it from one worker thread (:mod:`oracles.gateway.app`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from web3 import Web3

from oracles.chain.rpc import block_header
from oracles.indexer.indexer import DEFAULT_MAX_RANGE, DEFAULT_REORG_DEPTH, LogIndexer
from oracles.indexer.store import IndexInUse, Row, Store
from oracles.indexer.watched import addresses, kept
from oracles.protocol.bindings import ProgramParams, RegionParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import Tier

log = logging.getLogger("gridbalance.gateway")

# the logs after which an event no longer is one: a VTN deletes a cancelled event (P-6: a withdrawn
# event is cancelled too, EventWithdrawn then EventCancelled)
CANCELLED = "EventCancelled"

_ERC20 = [
    {"name": "symbol", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "string"}]},
    {"name": "decimals", "type": "function", "stateMutability": "view", "inputs": [],
     "outputs": [{"name": "", "type": "uint8"}]},
]  # fmt: skip


@dataclass(frozen=True)
class Region:
    region_id: int
    name: str
    params: RegionParams
    time_zone: str  # the IANA name last set, "" if none


@dataclass(frozen=True)
class Token:
    address: str
    symbol: str  # "" when the token has no symbol()
    decimals: int


@dataclass(frozen=True)
class ProgramRecord:
    """A program as its ``ProgramCreated`` log records it."""

    program_id: int
    utility: str
    region_id: int
    params: ProgramParams
    created_at: datetime  # the block time of the log


@dataclass(frozen=True)
class EventRecord:
    """An event as its ``EventCreated`` log records it."""

    event_id: int
    program_id: int
    region_id: int
    day: int
    start_interval: int
    end_interval: int
    tier: Tier
    rate: int  # token base units per kWh (base x tier x stress, fixed at creation)
    target_wh: int
    triggered: bool
    created_at: datetime


@dataclass(frozen=True)
class Snapshot:
    """Everything the gateway serves, as indexed through ``last_block``."""

    last_block: int
    programs: dict[int, ProgramRecord]
    events: dict[int, EventRecord]  # live events: created and not cancelled
    cancelled: dict[int, int]  # event id -> the block of its EventCancelled
    regions: dict[int, Region]
    tokens: dict[str, Token]


class ChainView:
    def __init__(
        self,
        protocol: Protocol,
        index: Path,
        *,
        sync_seconds: float = 2.0,
        reorg_depth: int = DEFAULT_REORG_DEPTH,
        max_range: int = DEFAULT_MAX_RANGE,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.p = protocol
        self.w3: Web3 = protocol.w3
        self.chain_id = int(self.w3.eth.chain_id)
        self._sync_seconds = sync_seconds
        self._clock = clock
        self._synced_at: float | None = None
        self._indexer: LogIndexer | None = None
        try:
            self._indexer = LogIndexer(protocol, index, reorg_depth=reorg_depth,
                                       max_range=max_range)  # fmt: skip
            self.store = self._indexer.store
        except IndexInUse:  # the daemon holding it keeps it synced
            log.info("%s is held by a daemon: reading it as it keeps it", index)
            self.store = Store(index, self.chain_id, ",".join(addresses(protocol)), kept(),
                               read_only=True)  # fmt: skip
        self._block_times: dict[int, int] = {}
        self._tokens: dict[str, Token] = {}
        self._snapshot: Snapshot | None = None
        self._key: tuple[int, str] = (-1, "")

    @property
    def programs_address(self) -> str:
        return str(self.p.programs.address)

    @property
    def events_address(self) -> str:
        return str(self.p.requests.address)

    def close(self) -> None:
        if self._indexer is not None:
            self._indexer.close()
        else:
            self.store.close()

    def snapshot(self) -> Snapshot:
        """The programs, events and regions as indexed now (synced first when due); rebuilt only
        when the index moved."""
        self._sync_if_due()
        last = self.store.last_block() or 0
        # the newest indexed block's hash too: a reorg can replace a block at the same height
        hashes = self.store.block_hashes()
        key = (last, hashes[0][1] if hashes else "")
        if self._snapshot is None or self._key != key:
            self._snapshot, self._key = self._build(last), key
        return self._snapshot

    # ------------------------------------------------------------------ internals

    def _sync_if_due(self) -> None:
        if self._indexer is None:
            return
        now = self._clock()
        if self._synced_at is not None and now - self._synced_at < self._sync_seconds:
            return
        stats = self._indexer.sync()
        self._synced_at = now
        if stats.reorg:  # a block taken back may come again with another time
            self._block_times.clear()
        if stats.logs or stats.reorg:
            log.info("index: blocks %d..%d, %d logs%s", stats.first, stats.last, stats.logs,
                     ", after a reorg" if stats.reorg else "")  # fmt: skip

    def _build(self, last: int) -> Snapshot:
        created = self.store.rows("name='ProgramCreated'", ())
        events = self.store.rows("name='EventCreated'", ())
        cancelled = {
            int(r.args["eventId"]): r.block for r in self.store.rows(f"name='{CANCELLED}'", ())
        }
        self._fetch_block_times({r.block for r in created} | {r.block for r in events})
        programs = {p.program_id: p for p in (self._program(r) for r in created)}
        live = {
            e.event_id: e for e in (self._event(r) for r in events) if e.event_id not in cancelled
        }
        regions = self._regions()
        tokens = {p.params.token: self._token(p.params.token) for p in programs.values()}
        return Snapshot(last, programs, live, cancelled, regions, tokens)

    def _program(self, r: Row) -> ProgramRecord:
        a = r.args
        return ProgramRecord(
            program_id=int(a["programId"]),
            utility=Web3.to_checksum_address(a["utility"]),
            region_id=int(a["regionId"]),
            params=ProgramParams.model_validate(a["params"]),
            created_at=self._time(r.block),
        )

    def _event(self, r: Row) -> EventRecord:
        a = r.args
        return EventRecord(
            event_id=int(a["eventId"]),
            program_id=int(a["programId"]),
            region_id=int(a["regionId"]),
            day=int(a["day"]),
            start_interval=int(a["startInterval"]),
            end_interval=int(a["endInterval"]),
            tier=Tier(int(a["tier"])),
            rate=int(a["rate"]),
            target_wh=int(a["targetWh"]),
            triggered=bool(a["triggered"]),
            created_at=self._time(r.block),
        )

    def _regions(self) -> dict[int, Region]:
        zones: dict[int, str] = {}
        for r in self.store.rows("name='TimeZoneSet'", ()):  # in chain order: the last one wins
            zones[int(r.args["regionId"])] = str(r.args["timeZone"])
        out: dict[int, Region] = {}
        for r in self.store.rows("name='RegionAdded'", ()):
            rid = int(r.args["regionId"])
            params = RegionParams.model_validate(r.args["params"])
            out[rid] = Region(rid, str(r.args["name"]), params, zones.get(rid, ""))
        return out

    def _time(self, block: int) -> datetime:
        return datetime.fromtimestamp(self._block_times[block], tz=UTC)

    def _fetch_block_times(self, blocks: set[int]) -> None:
        """The timestamps of blocks not yet known: one batched JSON-RPC request for all of them."""
        missing = sorted(blocks - self._block_times.keys())
        if not missing:
            return
        try:
            replies: list[Any] = list(self.w3.provider.make_batch_request(  # type: ignore[attr-defined]
                [("eth_getBlockByNumber", [hex(n), False]) for n in missing]
            ))  # fmt: skip
            for n, reply in zip(missing, replies, strict=True):
                self._block_times[n] = int(reply["result"]["timestamp"], 16)
        except Exception as exc:  # a node without batch requests: one request per block
            log.debug("batch request refused (%s): reading blocks one by one", exc)
            for n in missing:
                header = block_header(self.w3, n)
                if header is not None:
                    self._block_times[n] = header[2]

    def _token(self, address: str) -> Token:
        found = self._tokens.get(address)
        if found is None:
            c = self.w3.eth.contract(address=Web3.to_checksum_address(address), abi=_ERC20)
            try:
                symbol = str(c.functions.symbol().call())
            except Exception:  # symbol() is optional in ERC-20: no currency then
                symbol = ""
            found = Token(address, symbol, int(c.functions.decimals().call()))
            self._tokens[address] = found
        return found
