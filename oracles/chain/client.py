"""Sending transactions the way a daemon must: explicit nonces, retries, gas margins, checked receipts.

* **Accounts.** :class:`NodeSigner` is an account the node holds unlocked (Anvil's dev accounts,
  or addresses it impersonates): refused by :func:`signer_for` on anything but a dev chain.
  :class:`KeystoreSigner` decrypts an encrypted keystore (password from an environment variable or
  a prompt) and signs locally. There is no way to give a plaintext private key.
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

import getpass
import json
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

import requests
from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract.contract import Contract, ContractFunction
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.types import RPCEndpoint

from oracles.chain.anvil import dev_accounts
from oracles.chain.reads import AbiFunction, call_many, reply_error, web3_batch
from oracles.chain.revert import RevertDecoder, StandardReverts

log = logging.getLogger("gridbalance.chain")

NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ConnectionError,
    TimeoutError,
)
DEV_CHAIN_IDS = frozenset({1337, 31337})
PIPELINE_DEPTH = 256
FEE_TTL = 30.0  # seconds a fee reading is reused
FEE_BUMP = 1.125  # a replacement's fees: at least this times the replaced one's (geth needs +10 %)
CHECK_AFTER = 1.0  # seconds without a receipt before wait() asks whether the transaction is stuck
T = TypeVar("T")


def connect(url: str, timeout: float = 60.0) -> Web3:
    """A Web3 over HTTP that asks the chain id once (web3 re-asks it for every call it validates)."""
    provider = Web3.HTTPProvider(
        url,
        request_kwargs={"timeout": timeout},
        cache_allowed_requests=True,
        cacheable_requests={RPCEndpoint("eth_chainId")},
    )
    return Web3(provider)


def calldata(fn: ContractFunction) -> str:
    """``fn``'s call data, ABI-encoded by eth_abi directly (web3's encoder is ~10x slower on long
    arrays). Keyword arguments take web3's path."""
    if fn.kwargs:
        return str(fn._encode_transaction_data())
    return AbiFunction.of(dict(fn.abi)).calldata(fn.args)


def rpc_request(w3: Web3, method: str, params: list[Any]) -> dict[str, Any]:
    """A raw JSON-RPC request through web3's provider (no middleware); the reply as a dict."""
    reply = w3.provider.make_request(RPCEndpoint(method), params)
    return dict(reply)


class ChainError(RuntimeError):
    """The chain could not be reached, or a transaction did not succeed."""


class TxReverted(ChainError):
    """A transaction (or its gas estimate) reverted; ``reason`` is the decoded custom error."""

    def __init__(self, what: str, reason: str) -> None:
        super().__init__(f"{what} reverted: {reason}")
        self.what = what
        self.reason = reason


class TxReplaced(ChainError):
    """Another transaction took this one's nonce: this one will never mine."""

    def __init__(self, what: str, nonce: int) -> None:
        super().__init__(f"{what}: nonce {nonce} was taken by another transaction")
        self.what = what
        self.nonce = nonce


class AccountError(ChainError):
    """An account could not be loaded (missing keystore, wrong password, plaintext key)."""


class Signer(Protocol):
    @property
    def address(self) -> str: ...

    def send(self, w3: Web3, tx: dict[str, Any]) -> HexBytes:
        """Submit ``tx`` and return its hash."""
        ...

    def tx_hash(self, tx: dict[str, Any]) -> HexBytes | None:
        """The hash ``tx`` will have, if it can be known before sending."""
        ...


@dataclass(frozen=True)
class NodeSigner:
    """An account the node signs for (unlocked or impersonated). Development chains only."""

    address: str

    def send(self, w3: Web3, tx: dict[str, Any]) -> HexBytes:
        reply = rpc_request(w3, "eth_sendTransaction", [_hexify(tx)])
        if "error" in reply:
            raise _rpc_error(reply["error"])
        return HexBytes(reply["result"])

    def tx_hash(self, tx: dict[str, Any]) -> HexBytes | None:
        return None


class KeystoreSigner:
    """An encrypted JSON keystore (EIP-2335 style, as geth and ``cast wallet`` write), signed locally.

    The decrypted key lives only inside the :class:`LocalAccount`; ``repr`` shows the address only.
    """

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self._last: tuple[tuple[tuple[str, Any], ...], SignedTransaction] | None = None

    @property
    def address(self) -> str:
        return str(self._account.address)

    def __repr__(self) -> str:
        return f"KeystoreSigner({self.address})"

    @classmethod
    def from_file(
        cls, path: Path, password_env: str = "GRIDBALANCE_KEYSTORE_PASSWORD"
    ) -> KeystoreSigner:
        if not path.exists():
            raise AccountError(f"keystore {path} not found")
        try:
            blob = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise AccountError(f"keystore {path} is not JSON (line {exc.lineno})") from exc
        if not isinstance(blob, dict) or "crypto" not in {k.lower() for k in blob}:
            raise AccountError(f"{path} is not an encrypted keystore (no 'crypto' section)")
        password = os.environ.get(password_env)
        if password is None:
            password = getpass.getpass(f"password for keystore {path.name}: ")
        try:
            key = Account.decrypt(blob, password)
        except ValueError as exc:
            raise AccountError(
                f"keystore {path}: wrong password (from ${password_env} or the prompt)"
            ) from exc
        return cls(Account.from_key(key))

    def _sign(self, tx: dict[str, Any]) -> SignedTransaction:
        """Sign once per transaction: the hash (before sending) and every send reuse it."""
        key = tuple(sorted(tx.items()))
        if self._last is None or self._last[0] != key:
            self._last = (key, self._account.sign_transaction(tx))
        return self._last[1]

    def send(self, w3: Web3, tx: dict[str, Any]) -> HexBytes:
        raw = self._sign(tx).raw_transaction
        reply = rpc_request(w3, "eth_sendRawTransaction", ["0x" + raw.hex()])
        if "error" in reply:
            raise _rpc_error(reply["error"])
        return HexBytes(reply["result"])

    def tx_hash(self, tx: dict[str, Any]) -> HexBytes | None:
        return HexBytes(self._sign(tx).hash)


def refuse_plaintext_key(config: dict[str, Any], source: str) -> None:
    """Raise if a configuration carries a private key in the clear."""
    for key, value in config.items():
        lowered = key.lower().replace("-", "_")
        if lowered in {"private_key", "privatekey", "key", "secret", "mnemonic"} and value:
            raise AccountError(
                f"{source}: '{key}' holds key material in plaintext; use an encrypted keystore "
                "(--keystore FILE, password from GRIDBALANCE_KEYSTORE_PASSWORD or a prompt)"
            )


def signer_for(w3: Web3, *, account: str | None, keystore: Path | None) -> Signer:
    """A keystore anywhere, unless it holds a well-known development key and the chain id is not a
    development one; an unlocked node account (by address or index) only on a dev chain."""
    chain_id = w3.eth.chain_id
    if keystore is not None:
        signer = KeystoreSigner.from_file(keystore)
        if chain_id not in DEV_CHAIN_IDS and signer.address in dev_accounts():
            raise AccountError(
                f"keystore {keystore} holds {signer.address}, a well-known development account "
                f"whose key is public; chain {chain_id} is not a development chain: use your own key"
            )
        return signer
    node_accounts = list(w3.eth.accounts)
    if not node_accounts or (chain_id not in DEV_CHAIN_IDS and not _is_anvil(w3)):
        raise AccountError(
            f"chain {chain_id} is not a development chain: pass --keystore FILE "
            "(unlocked node accounts are for local chains only)"
        )
    if account is None:
        return NodeSigner(node_accounts[0])
    if account.isdigit():
        index = int(account)
        if index >= len(node_accounts):
            raise AccountError(
                f"the node has {len(node_accounts)} accounts; index {index} is out of range"
            )
        return NodeSigner(node_accounts[index])
    return NodeSigner(Web3.to_checksum_address(account))


def _is_anvil(w3: Web3) -> bool:
    try:
        return "anvil" in str(w3.client_version).lower()
    except Exception:
        return False


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
            except _AlreadySent:
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


class _AlreadySent(Exception):
    pass


def retry_network(what: str, call: Callable[[], T], seconds: float, backoff: float = 0.25) -> T:
    """Run ``call``; on a network error, log one line and try again after a delay that doubles up
    to 8 s, for up to ``seconds`` in all (D-1). Other errors pass through at once."""
    start = time.monotonic()
    delay, attempt = backoff, 0
    while True:
        try:
            return call()
        except NETWORK_ERRORS as exc:
            attempt += 1
            elapsed = time.monotonic() - start
            if elapsed + delay > seconds:
                raise ChainError(
                    f"{what}: RPC unreachable for {elapsed:.0f}s ({attempt} tries): {type(exc).__name__}"
                ) from exc
            log.warning(
                "%s: RPC error (%s), retry %d in %.2fs", what, type(exc).__name__, attempt, delay
            )
            time.sleep(delay)
            delay = min(delay * 2, 8.0)


def _rpc_error(error: dict[str, Any]) -> Exception:
    message = str(error.get("message", error))
    lowered = message.lower()
    if "already known" in lowered or "already imported" in lowered or "nonce too low" in lowered:
        return _AlreadySent(message)
    data = error.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        exc = ContractCustomError(message, data=data)
        return exc
    return ChainError(f"RPC refused the transaction: {message}")


def hex_hash(tx_hash: bytes) -> str:
    return "0x" + bytes(tx_hash).hex()


def _hexify(tx: dict[str, Any]) -> dict[str, Any]:
    return {k: hex(v) if isinstance(v, int) else v for k, v in tx.items()}
