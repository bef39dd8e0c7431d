"""The log indexer: one pass brings the store up to the chain's head, reorg-safe.

A pass

1. checks the stored hash of the last block indexed against the chain; if it differs, a reorg took
   blocks back: it walks down the stored hashes (the last ``reorg_depth`` blocks) to the newest
   block the chain still has, removes every row of the blocks after it, and continues from there
   (a reorg deeper than ``reorg_depth`` is an error: the index must be rebuilt);
2. reads the logs of the protocol's contracts from the block after the checkpoint to the head, in
   bounded ranges (:mod:`oracles.indexer.ranges`), each range stored with its checkpoint in one
   SQLite transaction, so a daemon killed at any point resumes where the database says.

The first run starts at the deployment's block (the manifest's ``block``), never again at 0.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from web3 import Web3

from oracles.chain.logs import decode_raw, event_topic
from oracles.chain.rpc import block_header
from oracles.indexer.ranges import RangeReader
from oracles.indexer.store import IndexerError, Row, Store
from oracles.indexer.view import IndexView
from oracles.indexer.watched import WATCHED, addresses, kept
from oracles.protocol.contracts import Protocol

log = logging.getLogger("gridbalance.indexer")

DEFAULT_REORG_DEPTH = 12
DEFAULT_MAX_RANGE = 2_000


@dataclass
class SyncStats:
    first: int
    last: int
    logs: int = 0
    reorg_undone: int = 0  # rows removed because a reorg took their blocks back
    reorg: bool = False


class LogIndexer:
    def __init__(
        self,
        protocol: Protocol,
        path: Path,
        *,
        reorg_depth: int = DEFAULT_REORG_DEPTH,
        max_range: int = DEFAULT_MAX_RANGE,
    ) -> None:
        if not 1 <= reorg_depth <= 10_000:
            raise ValueError(f"reorg depth must be 1..10000, not {reorg_depth}")
        if max_range < 1:
            raise ValueError(f"the maximum block range must be at least 1, not {max_range}")
        self.p = protocol
        self.w3: Web3 = protocol.w3
        self.reorg_depth = reorg_depth
        watched = addresses(protocol)
        self.store = Store(path, int(self.w3.eth.chain_id), ",".join(watched), kept())
        self.reader = RangeReader(self.w3, watched, max_span=max_range)
        self.view = IndexView(self.store)
        self._decoders: dict[tuple[str, bytes], tuple[Any, str]] = {}
        for w in WATCHED:
            contract = getattr(protocol, w.contract)
            self._decoders[(str(contract.address), event_topic(contract, w.name))] = (
                contract,
                w.name,
            )

    def close(self) -> None:
        self.store.close()

    @property
    def reorgs(self) -> int:
        return self.store.counter("reorgs")

    def last_block(self) -> int:
        """The last block indexed (the block before the deployment before the first pass)."""
        last = self.store.last_block()
        return _deployed_at(self.p) - 1 if last is None else last

    def sync(self) -> SyncStats:
        """One pass (see the module notes)."""
        stats = SyncStats(first=self.last_block() + 1, last=self.last_block())
        undone = self._undo_reorg()
        if undone is not None:
            stats.reorg, stats.reorg_undone = True, undone
            stats.first = self.last_block() + 1
        head = int(self.w3.eth.block_number)
        start = self.last_block() + 1
        if start > head:
            stats.last = self.last_block()
            return stats
        for first, last, raw in self.reader.logs(start, head):
            rows = [self._row(x) for x in raw if self._decoder(x) is not None]
            keep_from = max(0, last - self.reorg_depth + 1)
            hashes = self._hashes(max(first, keep_from), last)
            if not _consistent(raw, dict(hashes)):
                log.warning("blocks %d..%d changed while read (a reorg); read again next pass",
                            first, last)  # fmt: skip
                break
            self.store.append(rows, last, hashes, keep_from)
            stats.logs += len(rows)
            stats.last = last
        return stats

    def _decoder(self, raw: dict[str, Any]) -> tuple[Any, str] | None:
        key = (Web3.to_checksum_address(raw["address"]), bytes(HexBytes(raw["topics"][0])))
        return self._decoders.get(key)

    def _row(self, raw: dict[str, Any]) -> Row:
        found = self._decoder(raw)
        assert found is not None
        contract, name = found
        return Row(
            block=int(raw["blockNumber"], 16),
            log_index=int(raw["logIndex"], 16),
            tx_hash=str(raw["transactionHash"]),
            name=name,
            args=decode_raw(contract, name, raw),
        )

    def _hashes(self, first: int, last: int) -> list[tuple[int, str]]:
        return [(n, self._hash(n) or "") for n in range(first, last + 1)]

    def _hash(self, number: int) -> str | None:
        """The block's hash, None when the chain is shorter (after a reorg)."""
        header = block_header(self.w3, number)
        return None if header is None else header[1].lower()

    def _undo_reorg(self) -> int | None:
        """Step 1 of a pass: the rows removed, or None when the chain still has the checkpoint."""
        stored = self.store.block_hashes()
        if not stored:
            return None
        newest, newest_hash = stored[0]
        if self._hash(newest) == newest_hash:
            return None
        for number, known in stored[1:]:
            if self._hash(number) == known:
                removed = self.store.undo_after(number)
                log.warning("reorg: blocks after %d were replaced; %d indexed logs undone",
                            number, removed)  # fmt: skip
                return removed
        raise IndexerError(
            f"reorg deeper than the index's depth ({self.reorg_depth} blocks, from block {newest}): "
            f"delete {self.store.path} to rebuild it"
        )


def _deployed_at(p: Protocol) -> int:
    """The first block that can hold the protocol's logs: its earliest contract's deployment."""
    blocks = [c.block for c in p.manifest.contracts.values() if c.block > 0]
    return min(blocks, default=0)


def _consistent(raw: list[dict[str, Any]], hashes: dict[int, str]) -> bool:
    """Whether each log's block hash is the hash the chain now gives its block (when known)."""
    for x in raw:
        known = hashes.get(int(x["blockNumber"], 16))
        if known is not None and known.lower() != str(x["blockHash"]).lower():
            return False
    return True
