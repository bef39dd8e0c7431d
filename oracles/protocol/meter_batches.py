"""Meter data as anyone can read it from the chain: the records of every batch, from calldata.

MeterData stores only a Merkle root per batch; the records travel in the calldata of ``postBatch``
(107-byte records) or ``postSignedBatch`` (172-byte records with the meter's signature, M-7).
:func:`day_batches` finds a (region, day)'s ``MeterBatchPosted`` logs, fetches each transaction,
decodes its ``records`` argument and checks that the rebuilt root equals the logged one. The keeper
builds its proofs from this, and the meter oracle reconciles its outbox against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3.contract import Contract

from oracles.reference import meter_leaf
from oracles.reference.meter_leaf import RECORD_BYTES, SIGNED_RECORD_BYTES, ConsumerDay

POST_BATCH_SELECTOR = keccak(text="postBatch(uint16,uint32,bytes)")[:4]
POST_SIGNED_BATCH_SELECTOR = keccak(text="postSignedBatch(uint16,uint32,bytes)")[:4]
STRIDE = {POST_BATCH_SELECTOR: RECORD_BYTES, POST_SIGNED_BATCH_SELECTOR: SIGNED_RECORD_BYTES}


class ChainDataError(RuntimeError):
    """Calldata does not match what the chain committed."""


@dataclass(frozen=True)
class Batch:
    region_id: int
    day: int
    index: int
    root: bytes
    tx_hash: str
    records: tuple[ConsumerDay, ...]
    tree: list[list[bytes]]

    def position(self, consumer_id: int) -> int | None:
        lo, hi = 0, len(self.records)
        while lo < hi:  # records are sorted by id (M-4)
            mid = (lo + hi) // 2
            if self.records[mid].consumer_id < consumer_id:
                lo = mid + 1
            else:
                hi = mid
        if lo < len(self.records) and self.records[lo].consumer_id == consumer_id:
            return lo
        return None

    def proof(self, position: int) -> list[bytes]:
        return meter_leaf.proof(self.tree, position)


def decode_records(blob: bytes, stride: int = RECORD_BYTES) -> list[ConsumerDay]:
    if len(blob) % stride:
        raise ChainDataError(f"records length {len(blob)} is not a multiple of {stride}")
    return [ConsumerDay.decode(blob[i : i + stride]) for i in range(0, len(blob), stride)]


def batch_logs(
    meter: Contract, region_id: int, day: int, from_block: int = 0
) -> list[dict[str, Any]]:
    logs = meter.events.MeterBatchPosted.get_logs(
        from_block=from_block, argument_filters={"regionId": region_id, "day": day}
    )
    return sorted(logs, key=lambda e: int(e["args"]["batchIndex"]))


def day_batches(meter: Contract, region_id: int, day: int, from_block: int = 0) -> list[Batch]:
    """Every batch of (region, day), rebuilt from the transactions' calldata and checked against the root."""
    w3 = meter.w3
    out = []
    for log in batch_logs(meter, region_id, day, from_block):
        tx = w3.eth.get_transaction(log["transactionHash"])
        data = HexBytes(tx["input"])
        stride = STRIDE.get(bytes(data[:4]))
        if stride is None or tx["to"] != meter.address:
            raise ChainDataError(
                f"batch {log['args']['batchIndex']} of region {region_id} day {day} was not posted by a "
                f"direct postBatch or postSignedBatch call (tx {log['transactionHash'].hex()}); its "
                "records cannot be read"
            )
        _, _, blob = abi_decode(["uint16", "uint32", "bytes"], data[4:])
        records = decode_records(blob, stride)
        tree = meter_leaf.levels([r.leaf() for r in records])
        root = bytes(log["args"]["root"])
        if tree[-1][0] != root:
            raise ChainDataError(
                f"calldata of batch {log['args']['batchIndex']} does not rebuild its root"
            )
        out.append(
            Batch(
                region_id,
                day,
                int(log["args"]["batchIndex"]),
                root,
                "0x" + bytes(log["transactionHash"]).hex(),
                tuple(records),
                tree,
            )
        )
    return out
