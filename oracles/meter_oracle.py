"""The meter oracle daemon: outbox -> batches -> ``MeterData.postBatch`` (or ``postSignedBatch`` for
records that carry their meter's signature, M-7) -> confirmed, exactly once.

For each (region, day) with rows not yet confirmed, :meth:`MeterOracle.flush`

1. **reconciles** with the chain: ``sent`` rows whose transaction was mined are confirmed; rows the
   chain already holds (found by decoding the day's batches from calldata) are confirmed even if the
   daemon died before recording the hash; rows whose transaction vanished go back to ``pending``;
2. rejects rows that can no longer be posted because the day's id order moved past them (M-4):
   they go to the rejects file with that reason (never silently);
3. sends the remaining rows in batches of ``batch_size`` (default 2,000 consumer-days), sorted by id,
   recording each batch's hash *before* waiting, and confirms each from its receipt. Signed and
   unsigned records never share a batch: a run of either kind ends a batch.

Days that have not ended on-chain (M-1) wait. One log line per batch; no key material is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from oracles.chain import ChainClient, Pending, TxReverted, hex_hash, rpc_request
from oracles.chain_data import day_batches
from oracles.contracts import Protocol
from oracles.meter_tree import SIGNED_RECORD_BYTES, ConsumerDay
from oracles.outbox import Outbox
from oracles.sources import Reject, write_rejects

log = logging.getLogger("gridbalance.meter")

MAX_BATCH = 8_192  # MeterData's limit (M-5)
BATCH_EVENT = keccak(text="MeterBatchPosted(uint16,uint32,uint16,bytes32,uint32,uint32,uint32)")


@dataclass
class FlushStats:
    batches: int = 0
    consumer_days: int = 0
    confirmed_by_reconcile: int = 0
    requeued: int = 0
    rejected: int = 0
    waiting_days: list[tuple[int, int]] = field(default_factory=list)


def batch_index_from_logs(logs: list[dict[str, object]]) -> int:
    for entry in logs:
        topics = entry["topics"]
        assert isinstance(topics, list)
        if bytes.fromhex(str(topics[0])[2:]) == BATCH_EVENT:
            data = bytes.fromhex(str(entry["data"])[2:])
            return int(abi_decode(["uint16", "bytes32", "uint32", "uint32", "uint32"], data)[0])
    raise RuntimeError("receipt has no MeterBatchPosted log")


def _batches(
    rows: list[tuple[int, bytes, str | None]], size: int
) -> Iterator[list[tuple[int, bytes, str | None]]]:
    """Rows in id order, cut into batches of at most ``size`` whose records are all signed or all
    unsigned (a batch has one record length, M-7); each run of one kind keeps the id order (M-4)."""
    chunk: list[tuple[int, bytes, str | None]] = []
    for row in rows:
        if chunk and (len(chunk) == size or len(row[1]) != len(chunk[0][1])):
            yield chunk
            chunk = []
        chunk.append(row)
    if chunk:
        yield chunk


class MeterOracle:
    def __init__(
        self,
        protocol: Protocol,
        client: ChainClient,
        outbox: Outbox,
        *,
        rejects_path: Path,
        batch_size: int = 2_000,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch size must be 1..{MAX_BATCH}")
        self.p = protocol
        self.client = client
        self.outbox = outbox
        self.rejects_path = rejects_path
        self.batch_size = batch_size

    def enqueue(self, records: list[ConsumerDay]) -> int:
        return self.outbox.enqueue_days(records)

    def _day_ended(self, region: int, day: int) -> bool:
        ends = self.p.regions.functions.localDayStart(region, day + 1).call()
        now = self.client.w3.eth.get_block("latest")["timestamp"]
        return bool(now >= ends)

    def reconcile(self, region: int, day: int, stats: FlushStats) -> int:
        """Settle ``sent`` rows against the chain; return the day's highest committed consumer id."""
        w3 = self.client.w3
        sent: dict[str, list[int]] = {}
        for consumer, _, tx in self.outbox.rows(region, day, "sent"):
            if tx:  # mark_sent always records the hash with the status
                sent.setdefault(tx, []).append(consumer)
        for tx_hash, ids in sorted(sent.items()):
            receipt = rpc_request(w3, "eth_getTransactionReceipt", [tx_hash])
            mined = receipt.get("result")
            if mined and int(mined["status"], 16) == 1:
                self.outbox.mark_confirmed(
                    region, day, ids, tx_hash, batch_index_from_logs(mined["logs"])
                )
                stats.confirmed_by_reconcile += len(ids)
            elif mined or not rpc_request(w3, "eth_getTransactionByHash", [tx_hash]).get("result"):
                self.outbox.mark_pending(region, day, ids)
                stats.requeued += len(ids)
            else:  # still in the mempool: wait for it
                r = self.client.wait(Pending("postBatch (resumed)", HexBytes(tx_hash), -1))
                self.outbox.mark_confirmed(
                    region, day, ids, tx_hash, batch_index_from_logs(r["logs"])
                )
                stats.confirmed_by_reconcile += len(ids)
        info = self.p.meter.functions.dayInfo(region, day).call()
        last_id = int(info[1])
        behind = [c for c, _, _ in self.outbox.rows(region, day, "pending") if c <= last_id]
        if behind:
            # the chain moved past these ids: either they are on chain already (we died before
            # recording the hash), or they arrived too late for this day's id order (M-4)
            on_chain: dict[int, tuple[str, int]] = {}
            for batch in day_batches(self.p.meter, region, day):
                for rec in batch.records:
                    on_chain[rec.consumer_id] = (batch.tx_hash, batch.index)
            late: list[int] = []
            for c in behind:
                if c in on_chain:
                    tx_hash, index = on_chain[c]
                    self.outbox.mark_confirmed(region, day, [c], tx_hash, index)
                    stats.confirmed_by_reconcile += 1
                else:
                    late.append(c)
            if late:
                stats.rejected += write_rejects(
                    self.rejects_path,
                    [Reject(source="outbox", line=0, field=f"consumer {c} day {day}",
                            reason=f"late: region {region} day {day} already committed ids up to {last_id} (M-4)")
                     for c in late],
                )  # fmt: skip
                self.outbox.drop(region, day, late)
        return last_id

    def flush(self) -> FlushStats:
        stats = FlushStats()
        for region, day in self.outbox.open_days():
            self.reconcile(region, day, stats)
            pending = self.outbox.rows(region, day, "pending")
            if not pending:
                continue
            if not self._day_ended(region, day):
                stats.waiting_days.append((region, day))
                continue
            for chunk in _batches(pending, self.batch_size):
                ids = [c for c, _, _ in chunk]
                blob = b"".join(r for _, r, _ in chunk)
                signed = len(chunk[0][1]) == SIGNED_RECORD_BYTES
                post = (
                    self.p.meter.functions.postSignedBatch
                    if signed
                    else self.p.meter.functions.postBatch
                )
                fn = post(region, day, blob)
                try:
                    sent = self.client.submit(fn, f"{fn.fn_name}(region {region}, day {day})")
                except TxReverted as exc:
                    log.error(
                        "region %d day %d: batch of %d refused: %s",
                        region,
                        day,
                        len(ids),
                        exc.reason,
                    )
                    raise
                self.outbox.mark_sent(region, day, ids, hex_hash(sent.tx_hash))
                receipt = self.client.wait(sent)
                index = batch_index_from_logs(receipt["logs"])
                self.outbox.mark_confirmed(region, day, ids, hex_hash(sent.tx_hash), index)
                stats.batches += 1
                stats.consumer_days += len(ids)
                log.info(
                    "region %d day %d batch %d: %d consumer-days, ids %d..%d, gas %d, tx %s",
                    region, day, index, len(ids), ids[0], ids[-1], receipt["gasUsed"], sent.tx_hash.hex(),
                )  # fmt: skip
        return stats
