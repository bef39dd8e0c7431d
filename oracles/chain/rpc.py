"""JSON-RPC plumbing: a connection, raw requests, retries on network errors only (D-1), and a node's
refusal of a transaction turned into the client's errors."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from web3 import Web3
from web3.exceptions import ContractCustomError
from web3.types import RPCEndpoint

from oracles.chain.errors import ChainError

log = logging.getLogger("gridbalance.chain")

NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    ConnectionError,
    TimeoutError,
)


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


def rpc_request(w3: Web3, method: str, params: list[Any]) -> dict[str, Any]:
    """A raw JSON-RPC request through web3's provider (no middleware); the reply as a dict."""
    reply = w3.provider.make_request(RPCEndpoint(method), params)
    return dict(reply)


def block_header(w3: Web3, block: int | str = "latest") -> tuple[int, str, int] | None:
    """(number, hash, timestamp) of a block (a number or a tag such as ``latest``), None when the
    chain has no such block. A raw ``eth_getBlockByNumber`` read of three fields: web3's
    ``get_block`` formats every transaction hash of the block, which costs a daemon's pass time in
    proportion to the block's size (a full block of 1,000 transactions: about 30 ms)."""
    tag = hex(block) if isinstance(block, int) else block
    reply = rpc_request(w3, "eth_getBlockByNumber", [tag, False])
    if "error" in reply:
        raise ChainError(f"eth_getBlockByNumber {tag}: {reply['error']}")
    found = reply.get("result")
    if not found:
        return None
    return int(found["number"], 16), str(found["hash"]), int(found["timestamp"], 16)


def latest_timestamp(w3: Web3) -> int:
    """The latest block's timestamp (:func:`block_header`)."""
    header = block_header(w3)
    if header is None:
        raise ChainError("the node has no latest block")
    return header[2]


class AlreadySent(Exception):
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


def rpc_error(error: dict[str, Any]) -> Exception:
    message = str(error.get("message", error))
    lowered = message.lower()
    if "already known" in lowered or "already imported" in lowered or "nonce too low" in lowered:
        return AlreadySent(message)
    data = error.get("data")
    if isinstance(data, str) and data.startswith("0x"):
        exc = ContractCustomError(message, data=data)
        return exc
    return ChainError(f"RPC refused the transaction: {message}")


def hexify(tx: dict[str, Any]) -> dict[str, Any]:
    return {k: hex(v) if isinstance(v, int) else v for k, v in tx.items()}
