"""The meter oracle daemon: outbox -> batches -> ``MeterData.postBatch`` (or ``postSignedBatch`` for
records that carry their meter's signature, M-7) -> confirmed, exactly once.

For each (region, day, channel) with rows not yet confirmed, :meth:`MeterOracle.flush` works on
that channel alone (import or export: one record per consumer-day and channel, each channel's records
in batches of their own, M-2, M-4):

1. **reconciles** with the chain: a ``sent`` row whose transaction is mined in a block at least
   ``confirmations`` deep (D-3) is confirmed; one mined less deep stays ``sent``; rows the chain
   already holds on their channel (found by decoding the day's batches from calldata) are confirmed
   even if the
   daemon died before recording the hash; rows whose transaction vanished (dropped, replaced, or
   taken back by a reorg) go back to ``pending``, and the nonce is read from the chain again;
2. keeps rows whose ids the day's batches already passed: batches of a day come in any order, so a
   consumer-day left out so far is posted in a later batch (M-4, M-8);
3. sends the remaining rows in batches of ``batch_size`` (default 2,000 consumer-days), sorted by id,
   recording each batch's hash *before* waiting (and each replacement's, D-2). Signed and unsigned
   records never share a batch: a run of either kind ends a batch. MeterData refuses a whole signed
   batch if one signature does not recover to its consumer's meter key for the day (M-7), so each
   signature is checked first (one ``daySigners`` read, one recovery per record); a record that
   fails goes out unsigned instead, with a rejects line (it then counts as missing in signed-data
   programs, S-10). If another transaction takes a batch's nonce, the day starts over from step 1.

Days that have not ended on-chain (M-1) wait. A network error anywhere in a pass (the node down or
restarting) restarts the pass after a backoff, for up to the client's ``retry_seconds`` (D-1): the
reconciliation makes a pass safe to repeat. One log line per batch; no key material is logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from hexbytes import HexBytes

from oracles.agents.outbox import Outbox
from oracles.chain.client import ChainClient, Pending, hex_hash
from oracles.chain.errors import TxReplaced, TxReverted
from oracles.chain.rpc import retry_network, rpc_request
from oracles.indexer.indexer import LogIndexer
from oracles.ingest.meter_files import Reject, day_field, write_rejects
from oracles.protocol.contracts import Protocol
from oracles.protocol.meter_batches import Batch, day_batches
from oracles.reference import meter_signing
from oracles.reference.meter_leaf import Channel, ConsumerDay, is_signed

log = logging.getLogger("gridbalance.meter")

MAX_BATCH = 8_192  # MeterData's limit (M-5)
MAX_CONFIRMATIONS = 256  # the upper bound of --confirmations (D-3)
BATCH_EVENT = keccak(text="MeterBatchPosted(uint16,uint32,uint16,bytes32,uint32,uint32,uint32)")


@dataclass
class FlushStats:
    batches: int = 0
    consumer_days: int = 0
    confirmed_by_reconcile: int = 0
    requeued: int = 0
    rejected: int = 0
    replaced: int = 0
    awaiting_confirmation: int = 0
    waiting_days: list[tuple[int, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Enqueued:
    """What :meth:`MeterOracle.enqueue_checked` did with the consumer-days it was given."""

    new: int  # queued for the first time
    unchanged: int  # queued before with the same data
    corrected: int  # queued before, not yet sent, replaced by the new readings
    refused: int  # already sent or on chain with other readings: a rejects line each


def same_data(a: ConsumerDay, b: ConsumerDay) -> bool:
    """The same day's data: readings and missing flag (a signature is not data, M-7)."""
    return (a.missing, a.readings, a.interval_minutes) == (
        b.missing,
        b.readings,
        b.interval_minutes,
    )


def enqueue_checked(
    outbox: Outbox, rejects_path: Path, records: list[ConsumerDay], source: str = "input"
) -> Enqueued:
    """Queue the records, comparing each consumer-day already queued with its new version
    (issue 25: a corrected re-post is reported, never silently ignored):

    * the same readings and flags again: nothing to do (``unchanged``);
    * other readings for a day still ``pending``: the queued record is replaced
      (``corrected``, with a log line), since nothing of it has been sent;
    * other readings for a day already sent or on chain: refused with a rejects line, since a
      posted record cannot be corrected (M-4) (``refused``).
    """
    queued = outbox.queued_days(records)
    fresh: list[ConsumerDay] = []
    replace: dict[tuple[int, int, Channel], dict[int, bytes]] = {}
    unchanged = 0
    rejects: list[Reject] = []
    for r in records:
        old = queued.get((r.region_id, r.day, r.channel, r.consumer_id))
        if old is None:
            fresh.append(r)
            continue
        if same_data(ConsumerDay.decode(old.record), r):
            unchanged += 1
            continue
        if old.status == "pending":
            replace.setdefault((r.region_id, r.day, r.channel), {})[r.consumer_id] = r.encode()
            continue
        rejects.append(Reject(
            source=source, line=0, field=day_field(r.consumer_id, r.day, r.channel),
            reason=f"corrected re-post of a day already posted (tx {old.tx_hash}): a posted "
            "record cannot be corrected (M-4); not posted",
        ))  # fmt: skip
    for (region, day, channel), rows in replace.items():
        outbox.replace_records(region, day, rows, channel=channel)
        log.warning("region %d day %d %s: %d queued consumer-days replaced by corrected "
                    "readings before posting", region, day, channel.name.lower(),
                    len(rows))  # fmt: skip
    return Enqueued(
        new=outbox.enqueue_days(fresh),
        unchanged=unchanged,
        corrected=sum(len(rows) for rows in replace.values()),
        refused=write_rejects(rejects_path, rejects),
    )


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
        confirmations: int = 1,
        index: LogIndexer | None = None,
    ) -> None:
        if not 1 <= batch_size <= MAX_BATCH:
            raise ValueError(f"batch size must be 1..{MAX_BATCH}")
        if not 1 <= confirmations <= MAX_CONFIRMATIONS:
            raise ValueError(f"confirmations must be 1..{MAX_CONFIRMATIONS}")
        self.p = protocol
        self.client = client
        self.outbox = outbox
        self.rejects_path = rejects_path
        self.batch_size = batch_size
        self.confirmations = confirmations
        self.index = index  # the day's batch logs come from it, not from block 0

    def enqueue(self, records: list[ConsumerDay]) -> int:
        """Queue the records; return how many consumer-days were new (see :meth:`enqueue_checked`)."""
        return self.enqueue_checked(records).new

    def enqueue_checked(self, records: list[ConsumerDay], source: str = "input") -> Enqueued:
        """Queue the records, comparing each consumer-day already queued (:func:`enqueue_checked`)."""
        return enqueue_checked(self.outbox, self.rejects_path, records, source)

    def _day_ended(self, region: int, day: int) -> bool:
        ends = self.p.regions.functions.localDayStart(region, day + 1).call()
        now = self.client.w3.eth.get_block("latest")["timestamp"]
        return bool(now >= ends)

    def reconcile(
        self, region: int, day: int, stats: FlushStats, channel: Channel = Channel.IMPORT
    ) -> int:
        """Settle the channel's ``sent`` rows against the chain; return the day's highest committed
        consumer id (of either channel: MeterData keeps one per day)."""
        w3 = self.client.w3
        sent: dict[str, list[int]] = {}
        for consumer, _, tx in self.outbox.rows(region, day, "sent", channel=channel):
            if tx:  # mark_sent always records the hash with the status
                sent.setdefault(tx, []).append(consumer)
        latest = int(w3.eth.block_number) if sent else 0
        for tx_hash, ids in sorted(sent.items()):
            ok, block, logs = False, 0, []
            mined = rpc_request(w3, "eth_getTransactionReceipt", [tx_hash]).get("result")
            if mined:
                ok, block, logs = (
                    int(mined["status"], 16) == 1,
                    int(mined["blockNumber"], 16),
                    mined["logs"],
                )
            elif known := rpc_request(w3, "eth_getTransactionByHash", [tx_hash]).get("result"):
                try:  # still in the pool: wait for it (wait raises unless it succeeded)
                    r = self.client.wait(
                        Pending("postBatch (resumed)", HexBytes(tx_hash), int(known["nonce"], 16))
                    )
                    ok, block, logs = True, r["blockNumber"], r["logs"]
                except (TxReplaced, TxReverted):
                    pass
                latest = int(w3.eth.block_number)
            if ok:
                if latest - block + 1 >= self.confirmations:
                    self.outbox.mark_confirmed(
                        region, day, ids, tx_hash, batch_index_from_logs(logs), channel=channel
                    )
                    stats.confirmed_by_reconcile += len(ids)
                continue
            # reverted, dropped, replaced, or taken back by a reorg: queue again (D-2, D-3)
            self.outbox.mark_pending(region, day, ids, channel=channel)
            self.client.resync_nonce()
            stats.requeued += len(ids)
            log.warning(
                "region %d day %d %s: %d consumer-days of tx %s are not on chain; queued again",
                region, day, channel.name.lower(), len(ids), tx_hash,
            )  # fmt: skip
        last_id = self.p.day_info(region, day).last_consumer_id
        pending = self.outbox.rows(region, day, "pending", channel=channel)
        behind = [c for c, _, _ in pending if c <= last_id]
        if behind:
            # the chain has ids past these: either they are on chain already on this channel (we
            # died before recording the hash), or they were left out so far and are posted now
            # (M-4, M-8); a batch holds one channel's records (M-2)
            on_chain: dict[int, tuple[str, int, ConsumerDay]] = {}
            for batch in self._day_batches(region, day):
                if not batch.records or batch.records[0].channel != channel:
                    continue
                for rec in batch.records:
                    on_chain[rec.consumer_id] = (batch.tx_hash, batch.index, rec)
            ours = {c: r for c, r, _ in pending}
            differ: list[Reject] = []
            for c in behind:
                if c in on_chain:
                    tx_hash, index, theirs = on_chain[c]
                    if not same_data(theirs, ConsumerDay.decode(ours[c])):
                        # e.g. a corrected file run on a fresh outbox: the chain's record stands
                        differ.append(Reject(
                            source="outbox", line=0, field=day_field(c, day, channel),
                            reason=f"the chain holds other readings of this day (tx {tx_hash}): a "
                            "posted record cannot be corrected (M-4); not posted",
                        ))  # fmt: skip
                        self.outbox.replace_records(region, day, {c: theirs.encode()},
                                                    channel=channel)  # fmt: skip
                    if self.confirmations == 1:
                        self.outbox.mark_confirmed(region, day, [c], tx_hash, index,
                                                   channel=channel)  # fmt: skip
                        stats.confirmed_by_reconcile += 1
                    else:  # confirmed by the next reconciliation once deep enough (D-3)
                        self.outbox.mark_sent(region, day, [c], tx_hash, channel=channel)
            stats.rejected += write_rejects(self.rejects_path, differ)
        return last_id

    def _day_batches(self, region: int, day: int) -> list[Batch]:
        if self.index is None:
            return day_batches(self.p.meter, region, day)
        self.index.sync()  # up to the head: the chain's day info was just read
        return day_batches(self.p.meter, region, day, logs=self.index.view.batch_logs(region, day))

    def flush(self) -> FlushStats:
        """Post every open day's pending rows (see the module notes); a network error restarts the
        pass after a backoff (D-1)."""
        stats = FlushStats()
        retry_network("meter oracle pass", lambda: self._pass(stats), self.client.retry_seconds)
        stats.awaiting_confirmation = self.outbox.counts()["sent"]
        return stats

    def _pass(self, stats: FlushStats) -> None:
        stats.waiting_days.clear()
        for region, day, channel in self.outbox.open_days():
            while True:  # a day starts over when another transaction took a batch's nonce
                try:
                    self._flush_day(region, day, channel, stats)
                    break
                except TxReplaced as exc:
                    stats.replaced += 1
                    self.client.resync_nonce()
                    log.warning("region %d day %d %s: %s; the day starts over",
                                region, day, channel.name.lower(), exc)  # fmt: skip
            if self.confirmations > 1:
                self.reconcile(region, day, stats, channel)  # confirm what is now deep enough

    def _flush_day(self, region: int, day: int, channel: Channel, stats: FlushStats) -> None:
        self.reconcile(region, day, stats, channel)
        pending = self.outbox.rows(region, day, "pending", channel=channel)
        if not pending:
            return
        if not self._day_ended(region, day):
            if (region, day) not in stats.waiting_days:
                stats.waiting_days.append((region, day))
            return
        pending = self._unsign_unverified(region, day, channel, pending, stats)
        for chunk in _batches(pending, self.batch_size):
            self._post(region, day, channel, chunk, stats)

    def _unsign_unverified(
        self,
        region: int,
        day: int,
        channel: Channel,
        pending: list[tuple[int, bytes, str | None]],
        stats: FlushStats,
    ) -> list[tuple[int, bytes, str | None]]:
        """The pending rows with every signed record whose signature does not recover to its
        consumer's meter key for the day (C-11, as MeterData checks it, M-7) turned unsigned, in the
        outbox too, each with a rejects line."""
        signed = [(c, r) for c, r, _ in pending if is_signed(r)]
        if not signed:
            return pending
        keys = self.p.consumers.functions.daySigners(day, [c for c, _ in signed]).call()
        domain = meter_signing.MeterDomain(
            chain_id=self.client.w3.eth.chain_id, meter_data=self.p.meter.address
        )
        separator = domain.separator()
        unsigned: dict[int, bytes] = {}
        rejects: list[Reject] = []
        for (cid, raw), key in zip(signed, keys, strict=True):
            record = ConsumerDay.decode(raw)
            if meter_signing.signed_by(domain, record, key, separator):
                continue
            unsigned[cid] = record.model_copy(update={"signature": None}).encode()
            why = "no meter key for the day" if int(key, 16) == 0 else f"not signed by {key}"
            rejects.append(Reject(
                source="outbox", line=0, field=day_field(cid, day, channel),
                reason=f"signature refused ({why}, M-7): posted unsigned, so it counts as missing "
                "in signed-data programs (S-10)",
            ))  # fmt: skip
        if not unsigned:
            return pending
        self.outbox.replace_records(region, day, unsigned, channel=channel)
        stats.rejected += write_rejects(self.rejects_path, rejects)
        log.warning(
            "region %d day %d: %d signatures refused; those records go out unsigned",
            region, day, len(unsigned),
        )  # fmt: skip
        return [(c, unsigned.get(c, r), t) for c, r, t in pending]

    def _post(
        self,
        region: int,
        day: int,
        channel: Channel,
        chunk: list[tuple[int, bytes, str | None]],
        stats: FlushStats,
    ) -> None:
        ids = [c for c, _, _ in chunk]
        blob = b"".join(r for _, r, _ in chunk)
        signed = is_signed(chunk[0][1])
        post = (
            self.p.meter.functions.postSignedBatch if signed else self.p.meter.functions.postBatch
        )
        fn = post(region, day, blob)
        name = channel.name.lower()
        try:
            sent = self.client.submit(fn, f"{fn.fn_name}(region {region}, day {day}, {name})")
        except TxReverted as exc:
            log.error("region %d day %d %s: batch of %d refused: %s",
                      region, day, name, len(ids), exc.reason)  # fmt: skip
            raise
        self.outbox.mark_sent(region, day, ids, hex_hash(sent.tx_hash), channel=channel)
        try:
            receipt = self.client.wait(
                sent,
                on_resend=lambda h: self.outbox.mark_sent(
                    region, day, ids, hex_hash(h), channel=channel
                ),
            )
        except TxReplaced:
            self.outbox.mark_pending(region, day, ids, channel=channel)
            raise
        tx_hash = hex_hash(sent.tx_hash)  # the version that mined (D-2)
        index = batch_index_from_logs(receipt["logs"])
        if self.confirmations == 1:
            self.outbox.mark_confirmed(region, day, ids, tx_hash, index, channel=channel)
        else:  # confirmed once deep enough (D-3)
            self.outbox.mark_sent(region, day, ids, tx_hash, channel=channel)
        stats.batches += 1
        stats.consumer_days += len(ids)
        log.info(
            "region %d day %d batch %d (%s): %d consumer-days, ids %d..%d, gas %d, tx %s",
            region, day, index, name, len(ids), ids[0], ids[-1], receipt["gasUsed"], tx_hash,
        )  # fmt: skip
