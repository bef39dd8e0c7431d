"""Sending transactions the way a daemon must: explicit nonces, retries, gas margins, checked receipts.

* **Accounts** are :mod:`oracles.chain.signers` (an unlocked node account on development chains
  only, or an encrypted keystore); network retries are :mod:`oracles.chain.rpc`'s.
* **Nonces** are counted locally from the chain's pending count, so transactions can be pipelined
  (:meth:`ChainClient.submit` many, then :meth:`ChainClient.wait`).
* **Retries** with exponential backoff (capped at 8 s) on network errors only (connection refused
  or reset, timeouts), for up to ``retry_seconds`` (default 120 s): a node restarted within that
  time costs nothing. A revert is never retried: it raises :class:`TxReverted` with the decoded
  custom error.
* **Gas** is estimated and sent with a margin (default +25 %); receipts are checked. Fees are read
  from the chain again once they are ``FEE_TTL`` seconds old.
* **Transactions that do not mine** (:meth:`ChainClient.wait`, D-2): one the node forgot (dropped
  from its pool, or lost with a restart) is sent again with the same nonce; one still waiting after
  ``replace_after`` seconds is replaced, same nonce, fees raised by at least 12.5 %; one whose nonce
  another transaction took raises :class:`TxReplaced`, so the caller queues its work again. The
  nonce is never skipped, so nothing waits behind a gap.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from oracles.chain.errors import ChainError, TxReplaced, TxReverted
from oracles.chain.reads import AbiFunction, call_many, reply_error, web3_batch
from oracles.chain.revert import RevertDecoder, StandardReverts
from oracles.chain.rpc import AlreadySent, retry_network, rpc_request
from oracles.chain.signers import Signer

log = logging.getLogger("gridbalance.chain")
T = TypeVar("T")

PIPELINE_DEPTH = 256
FEE_TTL = 30.0  # seconds a fee reading is reused
FEE_BUMP = 1.125  # a replacement's fees: at least this times the replaced one's (geth needs +10 %)
CHECK_AFTER = 1.0  # seconds without a receipt before wait() asks whether the transaction is stuck


def calldata(fn: ContractFunction) -> str:
    """``fn``'s call data, ABI-encoded by eth_abi directly (web3's encoder is ~10x slower on long
    arrays). Keyword arguments take web3's path."""
    if fn.kwargs:
        return str(fn._encode_transaction_data())
    return AbiFunction.of(dict(fn.abi)).calldata(fn.args)


@dataclass
class GasLedger:
    """Gas used, tallied per stage (shared by every client of a run)."""

    stage: str = "other"
    by_stage: Counter[str] = field(default_factory=Counter)
    txs_by_stage: Counter[str] = field(default_factory=Counter)

    @contextmanager
    def staged(self, stage: str) -> Iterator[None]:
        previous, self.stage = self.stage, stage
        try:
            yield
        finally:
            self.stage = previous

    def add(self, gas: int) -> None:
        self.by_stage[self.stage] += gas
        self.txs_by_stage[self.stage] += 1


@dataclass
class Pending:
    """A sent transaction. ``tx`` (the fields it was sent with) lets :meth:`ChainClient.wait` send it
    again or replace it; ``earlier`` holds the hashes of versions it replaced, any of which may mine.
    ``nonce`` is -1 when unknown (then it is never re-sent)."""

    what: str
    tx_hash: HexBytes
    nonce: int
    tx: dict[str, Any] | None = None
    earlier: list[HexBytes] = field(default_factory=list)
    sent_at: float = field(default_factory=time.monotonic)


class ChainClient:
    """One sender's transactions, with explicit nonces, retries and checked receipts."""

    def __init__(
        self,
        w3: Web3,
        signer: Signer,
        *,
        decoder: RevertDecoder | None = None,
        ledger: GasLedger | None = None,
        gas_margin: float = 1.25,
        retry_seconds: float = 120.0,
        backoff: float = 0.25,
        receipt_timeout: float = 600.0,
        replace_after: float = 90.0,
        nonce: int | None = None,
        mine_on_wait: bool = False,
        fees: dict[str, int] | None = None,
    ) -> None:
        self.w3 = w3
        self.mine_on_wait = mine_on_wait  # a dev chain with automine off: wait mines the blocks
        self.signer = signer
        self.decoder: RevertDecoder = decoder or StandardReverts()
        self.ledger = ledger or GasLedger()
        self.gas_margin = gas_margin
        self.retry_seconds = retry_seconds
        self.backoff = backoff
        self.receipt_timeout = receipt_timeout
        self.replace_after = replace_after
        self._nonce = nonce
        self._fees = fees  # EIP-1559 fee fields; None: read from the chain on the first send
        self._fixed_fees = fees is not None
        self._fees_read = time.monotonic()
        self._chain_id: int | None = None
        self.batch = web3_batch(w3)

    @property
    def chain_id(self) -> int:
        if self._chain_id is None:
            self._chain_id = int(self.retrying("chain id", lambda: self.w3.eth.chain_id))
        return self._chain_id

    @property
    def address(self) -> str:
        return self.signer.address

    # ------------------------------------------------------------------ network retries

    def retrying(self, what: str, call: Callable[[], T]) -> T:
        """Run ``call``, retrying network errors with exponential backoff (capped at 8 s) for up to
        ``retry_seconds``; never other errors."""
        return retry_network(what, call, self.retry_seconds, self.backoff)

    # ------------------------------------------------------------------ building

    def _next_nonce(self) -> int:
        if self._nonce is None:
            self._nonce = self.retrying(
                "nonce",
                lambda: self.w3.eth.get_transaction_count(self.address, "pending"),  # type: ignore[arg-type]
            )
        return self._nonce

    def resync_nonce(self) -> None:
        """Forget the local nonce: the next send reads it from the chain (after a transaction was
        replaced by another, or a reorg took mined ones back)."""
        self._nonce = None

    def fee_fields(self, fresh: bool = False) -> dict[str, int]:
        """maxFeePerGas = 2 x the latest base fee + the node's suggested tip, re-read once
        ``FEE_TTL`` seconds old or when ``fresh`` is asked (unless fixed at construction)."""
        stale = fresh or time.monotonic() - self._fees_read > FEE_TTL
        if self._fees is None or (stale and not self._fixed_fees):
            block = self.retrying("fees", lambda: self.w3.eth.get_block("latest"))
            base = int(block.get("baseFeePerGas", 0))
            tip = self.retrying("fees", lambda: int(self.w3.eth.max_priority_fee))
            self._fees = {"maxFeePerGas": 2 * base + tip, "maxPriorityFeePerGas": tip}
            self._fees_read = time.monotonic()
        return self._fees

    def estimate(self, to: str | None, data: str, what: str, value: int = 0) -> int:
        tx: dict[str, Any] = {"from": self.address, "data": data, "value": value}
        if to is not None:
            tx["to"] = to
        try:
            gas = self.retrying(what, lambda: self.w3.eth.estimate_gas(tx))  # type: ignore[arg-type]
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise TxReverted(what, self._reason(exc)) from exc
        return int(gas)

    def _reason(self, exc: Exception) -> str:
        data = getattr(exc, "data", None)
        if isinstance(data, str) and data.startswith("0x"):
            return self.decoder.decode(data)
        return str(exc.args[0] if exc.args else exc)

    # ------------------------------------------------------------------ sending

    def submit(
        self, fn: ContractFunction, what: str, gas: int | None = None, value: int = 0
    ) -> Pending:
        """Estimate (unless ``gas`` is given), then send ``fn`` (with ``value`` wei) with the next nonce."""
        return self.submit_data(fn.address, calldata(fn), what, gas, value)

    def submit_data(
        self, to: str | None, data: str, what: str, gas: int | None = None, value: int = 0
    ) -> Pending:
        """Send ``data`` to ``to`` (``None``: a contract creation) with the next nonce."""
        limit = (
            gas if gas is not None else int(self.estimate(to, data, what, value) * self.gas_margin)
        )
        nonce = self._next_nonce()
        tx: dict[str, Any] = {
            "from": self.address,
            "data": data,
            "gas": limit,
            "nonce": nonce,
            "chainId": self.chain_id,
            "value": value,
            **self.fee_fields(),
        }
        if to is not None:
            tx["to"] = to
        known = self.signer.tx_hash(tx)
        tx_hash = self._send_once(tx, what, known)
        self._nonce = nonce + 1
        return Pending(what, tx_hash, nonce, tx)

    def _send_once(self, tx: dict[str, Any], what: str, known: HexBytes | None) -> HexBytes:
        """Send, retrying network errors; a retry that finds the first attempt landed uses it."""

        def attempt() -> HexBytes:
            try:
                return self.signer.send(self.w3, tx)
            except AlreadySent:
                found = known or self._find_by_nonce(tx)
                if found is None:
                    raise TxReplaced(what, int(tx["nonce"])) from None
                return found

        return self.retrying(what, attempt)

    def _find_by_nonce(self, sent: dict[str, Any], lookback: int = 64) -> HexBytes | None:
        """A mined transaction of ours with ``sent``'s nonce, target and data (a version of it sent
        before), or None (another transaction took the nonce)."""
        latest = self.w3.eth.block_number
        for number in range(latest, max(latest - lookback, -1), -1):
            block = self.w3.eth.get_block(number, full_transactions=True)
            for tx in block["transactions"]:
                if (
                    isinstance(tx, dict)
                    and tx["from"] == self.address
                    and tx["nonce"] == sent["nonce"]
                    and HexBytes(tx["input"]) == HexBytes(sent["data"])
                    and (tx.get("to") or None) == (sent.get("to") or None)
                ):
                    return HexBytes(tx["hash"])
        return None

    def _receipt(self, pending: Pending) -> dict[str, Any] | None:
        """The receipt of whichever version of ``pending`` mined, if one did."""
        for tx_hash in [pending.tx_hash, *reversed(pending.earlier)]:
            reply = self.retrying(
                pending.what,
                lambda h=tx_hash: rpc_request(self.w3, "eth_getTransactionReceipt", [hex_hash(h)]),  # type: ignore[misc]
            )
            if reply.get("result"):
                return dict(reply["result"])
        return None

    def _unstick(self, pending: Pending, on_resend: Callable[[HexBytes], None] | None) -> None:
        """D-2: raise :class:`TxReplaced` if another transaction took the nonce; send ``pending``
        again if the node forgot it; replace it with higher fees once it waited ``replace_after``."""
        taken = self.retrying(
            "nonce",
            lambda: self.w3.eth.get_transaction_count(self.address, "latest"),  # type: ignore[arg-type]
        )
        if taken > pending.nonce:
            if self._receipt(pending) is None:  # mined in the meantime after all?
                raise TxReplaced(pending.what, pending.nonce)
            return
        assert pending.tx is not None
        known = self.retrying(
            pending.what,
            lambda: rpc_request(
                self.w3, "eth_getTransactionByHash", [hex_hash(pending.tx_hash)]
            ).get("result"),
        )
        waited = time.monotonic() - pending.sent_at
        if known and waited < self.replace_after:
            return
        fees = self.fee_fields(fresh=True)
        old = pending.tx
        tx = dict(old)
        for name in ("maxFeePerGas", "maxPriorityFeePerGas"):
            floor = int(old[name] * FEE_BUMP) + 1 if known else int(old[name])
            tx[name] = max(floor, fees[name])
        if tx != old:
            tx["maxFeePerGas"] = max(tx["maxFeePerGas"], tx["maxPriorityFeePerGas"])
        why = f"stuck {waited:.0f}s" if known else "dropped by the node"
        tx_hash = self._send_once(tx, pending.what, self.signer.tx_hash(tx))
        if tx_hash != pending.tx_hash:
            pending.earlier.append(pending.tx_hash)
        pending.tx, pending.tx_hash, pending.sent_at = tx, tx_hash, time.monotonic()
        log.warning(
            "%s: nonce %d %s; sent again, max fee %d -> %d wei, tx %s",
            pending.what, pending.nonce, why, old["maxFeePerGas"], tx["maxFeePerGas"], tx_hash.hex(),
        )  # fmt: skip
        if on_resend is not None:
            on_resend(tx_hash)

    def wait(
        self, pending: Pending, on_resend: Callable[[HexBytes], None] | None = None
    ) -> dict[str, Any]:
        """Wait for the receipt; raise :class:`TxReverted` (with the reason) if it failed.

        After ``CHECK_AFTER`` seconds without a receipt, once a second: :class:`TxReplaced` if
        another transaction took the nonce; otherwise send the transaction again if the node forgot
        it, or replace it with higher fees after ``replace_after`` seconds (D-2). ``on_resend``
        gets each new hash, so the caller can record it."""
        start = time.monotonic()
        deadline = start + self.receipt_timeout
        poll, mined, checked = 0.005, 0, start
        while True:
            receipt = self._receipt(pending)
            if receipt:
                break
            now = time.monotonic()
            if now > deadline:
                raise ChainError(
                    f"{pending.what}: no receipt for {pending.tx_hash.hex()} after {self.receipt_timeout:.0f}s"
                )
            if pending.tx is not None and now - start > CHECK_AFTER and now - checked > 1.0:
                checked = now
                self._unstick(pending, on_resend)
            if self.mine_on_wait:
                # one block takes every pending transaction that fits its gas limit
                self.retrying("mine", lambda: rpc_request(self.w3, "evm_mine", []))
                mined += 1
                if mined == 1:
                    continue  # a second block only after a pause: a lost transaction mines no flood
            time.sleep(poll)
            poll = min(poll * 2, 0.25)
        gas_used = int(receipt["gasUsed"], 16)
        self.ledger.add(gas_used)
        pending.tx_hash = HexBytes(receipt["transactionHash"])
        if int(receipt["status"], 16) != 1:
            raise TxReverted(
                pending.what, self._replay_reason(pending, int(receipt["blockNumber"], 16))
            )
        return {
            "transactionHash": receipt["transactionHash"],
            "blockNumber": int(receipt["blockNumber"], 16),
            "gasUsed": gas_used,
            "logs": receipt["logs"],
            "contractAddress": receipt.get("contractAddress"),
        }

    def _replay_reason(self, pending: Pending, block: int) -> str:
        tx = self.w3.eth.get_transaction(pending.tx_hash)
        call = {"from": tx["from"], "data": tx["input"], "gas": tx["gas"]}
        if tx.get("to"):
            call["to"] = tx["to"]
        try:
            self.w3.eth.call(call, block - 1)  # type: ignore[arg-type]
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            return self._reason(exc)
        return "reverted (out of gas?)"

    def transact(
        self, fn: ContractFunction, what: str, gas: int | None = None, value: int = 0
    ) -> dict[str, Any]:
        return self.wait(self.submit(fn, what, gas, value))

    def transact_many(
        self,
        calls: list[tuple[ContractFunction, str]],
        progress: Callable[[int, int], None] | None = None,
    ) -> list[dict[str, Any]]:
        """Pipeline: estimate every call (one JSON-RPC batch per chunk), send them with consecutive
        nonces, then wait for all. A call whose estimate reverts raises before any of its chunk is sent.
        ``progress(done, total)`` follows the receipts."""
        out: list[dict[str, Any]] = []
        for i in range(0, len(calls), PIPELINE_DEPTH):  # bounded: never more than this in flight
            chunk = [(fn.address, calldata(fn), what) for fn, what in calls[i : i + PIPELINE_DEPTH]]
            gases = self.estimate_many(chunk)
            pending = [
                self.submit_data(to, data, what, gas)
                for (to, data, what), gas in zip(chunk, gases, strict=True)
            ]
            for p in pending:
                out.append(self.wait(p))
                if progress is not None:
                    progress(len(out), len(calls))
        return out

    def estimate_many(self, calls: Sequence[tuple[str, str, str]]) -> list[int]:
        """Gas limits (estimate x margin) for (to, data, what) calls, in one JSON-RPC batch."""
        requests = [
            ("eth_estimateGas", [{"from": self.address, "to": to, "data": data}])
            for to, data, _ in calls
        ]
        replies = self.retrying("estimate", lambda: self.batch(requests))
        gases = []
        for (_, _, what), reply in zip(calls, replies, strict=True):
            failed = reply_error(reply)
            if failed is not None:
                message, data = failed
                reason = self.decoder.decode(data) if data and data.startswith("0x") else message
                raise TxReverted(what, reason)
            gases.append(int(int(reply["result"], 16) * self.gas_margin))
        return gases

    def call_many(
        self, contract: Contract, name: str, arg_lists: Sequence[Sequence[Any]]
    ) -> list[Any]:
        """View calls in JSON-RPC batches (see :mod:`oracles.chain.reads`), retrying network errors."""
        return self.retrying(
            f"read {name}", lambda: call_many(self.batch, contract, name, arg_lists)
        )


def hex_hash(tx_hash: bytes) -> str:
    return "0x" + bytes(tx_hash).hex()
