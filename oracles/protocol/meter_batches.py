"""Meter data as anyone can read it from the chain: the records of every batch, from calldata.

MeterData stores only a Merkle root per batch; the records travel in the calldata of ``postBatch``
(records of the region's interval: 110, 206 or 398 bytes, M-2) or ``postSignedBatch`` (the same with
the meter's 65-byte signature, M-7); a batch's record length follows from its first record's interval.
:func:`day_batches` finds a (region, day)'s ``MeterBatchPosted`` logs, fetches each transaction,
decodes its ``records`` argument and checks that the rebuilt root equals the logged one. Anyone may
post signed records, also through a contract (a smart wallet, an ERC-4337 bundle, a multicall): the
records are then in an inner call, which is read from the transaction's call trace
(``debug_traceTransaction`` with geth's ``callTracer``, served by Anvil, geth, reth and tracing RPC
providers). The keeper builds its proofs from this, and the meter oracle reconciles its outbox
against it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract

from oracles.chain.logs import ranged_logs
from oracles.reference import meter_leaf
from oracles.reference.meter_leaf import INTERVALS, RECORD_BYTES, SIGNATURE_BYTES, ConsumerDay

POST_BATCH_SELECTOR = keccak(text="postBatch(uint16,uint32,bytes)")[:4]
POST_SIGNED_BATCH_SELECTOR = keccak(text="postSignedBatch(uint16,uint32,bytes)")[:4]
# the signature bytes after each record of a batch posted through each function (M-7)
SIGNATURE_OF = {POST_BATCH_SELECTOR: 0, POST_SIGNED_BATCH_SELECTOR: SIGNATURE_BYTES}
BATCH_POSTED_TOPIC = keccak(
    text="MeterBatchPosted(uint16,uint32,uint16,bytes32,uint32,uint32,uint32)"
)


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


def stride_of(blob: bytes, signature_bytes: int) -> int:
    """A batch's record length: its first record's interval's (one shape per batch, M-2)."""
    if len(blob) < 3 or blob[1] not in INTERVALS:
        raise ChainDataError("a batch's first record names no known interval")
    return meter_leaf.record_bytes(blob[1]) + signature_bytes


def decode_records(blob: bytes, stride: int = RECORD_BYTES) -> list[ConsumerDay]:
    if len(blob) % stride:
        raise ChainDataError(f"records length {len(blob)} is not a multiple of {stride}")
    return [ConsumerDay.decode(blob[i : i + stride]) for i in range(0, len(blob), stride)]


def batch_logs(
    meter: Contract, region_id: int, day: int, from_block: int = 0
) -> list[dict[str, Any]]:
    logs = ranged_logs(
        meter.events.MeterBatchPosted,
        from_block=from_block,
        argument_filters={"regionId": region_id, "day": day},
    )
    return sorted(logs, key=lambda e: int(e["args"]["batchIndex"]))


def day_batches(
    meter: Contract,
    region_id: int,
    day: int,
    from_block: int = 0,
    logs: list[dict[str, Any]] | None = None,
) -> list[Batch]:
    """Every batch of (region, day), rebuilt from the transactions' calldata and checked against the
    root. ``logs``: the day's ``MeterBatchPosted`` logs when the caller has them (from the log
    indexer, :mod:`oracles.indexer`); else they are read from ``from_block`` on."""
    out = []
    for log in batch_logs(meter, region_id, day, from_block) if logs is None else logs:
        data = posting_input(meter, log)
        _, _, blob = abi_decode(["uint16", "uint32", "bytes"], data[4:])
        stride = stride_of(blob, SIGNATURE_OF[data[:4]])
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


def posting_input(meter: Contract, log: Any) -> bytes:
    """The input (selector and arguments) of the posting call that emitted ``log``: the transaction's
    own input for a direct call, else the matching inner call of its call trace (the k-th successful
    posting call to MeterData is the one that emitted the transaction's k-th MeterBatchPosted)."""
    w3 = meter.w3
    tx_hash = HexBytes(log["transactionHash"])
    tx = w3.eth.get_transaction(tx_hash)
    data = bytes(HexBytes(tx["input"]))
    if tx["to"] == meter.address and data[:4] in SIGNATURE_OF:
        return data
    receipt = w3.eth.get_transaction_receipt(tx_hash)
    emitted = [
        int(x["logIndex"])
        for x in receipt["logs"]
        if x["address"] == meter.address and bytes(x["topics"][0]) == BATCH_POSTED_TOPIC
    ]
    calls = _posting_calls(w3, tx_hash, meter.address)
    where = f"tx 0x{bytes(tx_hash).hex()}"
    if len(calls) != len(emitted):
        raise ChainDataError(
            f"{where}: {len(emitted)} batches logged but {len(calls)} posting calls in its trace"
        )
    return calls[emitted.index(int(log["logIndex"]))]


def _posting_calls(w3: Web3, tx_hash: HexBytes, meter: str) -> list[bytes]:
    """The inputs of the transaction's successful postBatch/postSignedBatch calls to ``meter``, in
    execution order, from its call trace (a call under a reverted frame emitted nothing)."""
    reply = w3.provider.make_request(
        "debug_traceTransaction",  # type: ignore[arg-type]
        ["0x" + bytes(tx_hash).hex(), {"tracer": "callTracer"}],
    )
    if "error" in reply or "result" not in reply:
        raise ChainDataError(
            f"tx 0x{bytes(tx_hash).hex()} posted meter data through a contract, and the node does not serve "
            f"its call trace (debug_traceTransaction, callTracer): {reply.get('error')}"
        )
    found: list[bytes] = []
    pending = [reply["result"]]
    while pending:  # depth first, in call order
        frame = pending.pop()
        if frame.get("error"):
            continue
        data = bytes(HexBytes(frame.get("input", "0x")))
        to = frame.get("to")
        is_call = (
            frame.get("type") == "CALL"
        )  # a DELEGATECALL runs the code elsewhere, logs nothing here
        if is_call and to and Web3.to_checksum_address(to) == meter and data[:4] in SIGNATURE_OF:
            found.append(data)
        pending.extend(reversed(frame.get("calls", [])))
    return found
