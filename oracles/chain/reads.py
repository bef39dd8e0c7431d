"""Many view calls in one JSON-RPC batch, encoded and decoded by eth_abi directly.

The keeper and the demo read a few facts per consumer (enrollment, consumer record, candidate days,
balances). Through web3's ``.call()`` each costs one HTTP round trip and ~5 ms of web3's ABI
resolution and formatting; at 10,000 consumers that alone is minutes. :func:`call_many` sends up to
``chunk`` calls per HTTP request and returns the same shapes as web3's ``.call()``: the value for one
output, a list for several, tuples for structs, checksummed addresses.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_abi.abi import encode as abi_encode
from eth_abi.grammar import ABIType, TupleType, parse
from eth_utils.abi import collapse_if_tuple, function_abi_to_4byte_selector
from web3 import Web3
from web3.contract.contract import Contract
from web3.types import RPCEndpoint

from oracles.chain.errors import ChainError

MAX_BATCH_BYTES = 256 * 1024  # per JSON-RPC batch request
Batch = Callable[[list[tuple[str, list[Any]]]], list[dict[str, Any]]]


class CallFailed(ChainError):
    """A view call reverted or the node refused it; ``data`` is the revert data, if any. A chain
    error like a reverted transaction: a watching daemon logs the pass and tries again (a reorg
    can take back the state a view relied on, e.g. a day made final)."""

    def __init__(self, what: str, message: str, data: str | None) -> None:
        super().__init__(f"{what}: {message}")
        self.data = data


@dataclass(frozen=True)
class AbiFunction:
    """A function's selector and ABI types, for encoding calls and decoding results with eth_abi."""

    selector: bytes
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]

    @classmethod
    def of(cls, abi: dict[str, Any]) -> AbiFunction:
        return cls(
            function_abi_to_4byte_selector(abi),  # type: ignore[arg-type]
            tuple(collapse_if_tuple(dict(i)) for i in abi["inputs"]),
            tuple(collapse_if_tuple(dict(o)) for o in abi.get("outputs", [])),
        )

    def calldata(self, args: Sequence[Any]) -> str:
        return "0x" + (self.selector + abi_encode(self.inputs, args)).hex()


def reply_error(reply: dict[str, Any]) -> tuple[str, str | None] | None:
    """A JSON-RPC reply's error as (message, revert data or None); None if it succeeded."""
    if "error" not in reply:
        return None
    error = reply["error"]
    if not isinstance(error, dict):
        return str(error), None
    data = error.get("data")
    return str(error.get("message", error)), data if isinstance(data, str) else None


def _resolve(contract: Contract, name: str, nargs: int) -> AbiFunction:
    key = (contract.address, name, nargs)
    found = _FNS.get(key)
    if found is None:
        abi_items: list[dict[str, Any]] = [dict(item) for item in contract.abi]
        matches = [
            item
            for item in abi_items
            if item.get("type") == "function"
            and item.get("name") == name
            and len(item.get("inputs", [])) == nargs
        ]
        if len(matches) != 1:
            raise ValueError(f"{name} with {nargs} arguments: {len(matches)} matches in the ABI")
        found = AbiFunction.of(matches[0])
        _FNS[key] = found
    return found


_FNS: dict[tuple[str, str, int], AbiFunction] = {}


def web3_batch(w3: Web3) -> Batch:
    """Send a list of (method, params) as one JSON-RPC batch through ``w3``'s provider."""

    def send_one(requests: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        replies = w3.provider.make_batch_request(  # type: ignore[attr-defined]
            [(RPCEndpoint(m), p) for m, p in requests]
        )
        if not isinstance(replies, list):  # the node refused the whole batch
            raise CallFailed("batch", str(dict(replies).get("error", replies)), None)
        return [dict(r) for r in replies]

    def send(requests: list[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        part: list[tuple[str, list[Any]]] = []
        size = 0
        for (
            request
        ) in requests:  # nodes cap a request's body (Anvil refuses ~1 MB of settle proofs)
            weight = len(json.dumps(request[1]))
            if part and size + weight > MAX_BATCH_BYTES:
                out += send_one(part)
                part, size = [], 0
            part.append(request)
            size += weight
        if part:
            out += send_one(part)
        return out

    return send


def call_many(
    batch: Batch,
    contract: Contract,
    name: str,
    arg_lists: Sequence[Sequence[Any]],
    *,
    block: str | int = "latest",
    chunk: int = 500,
) -> list[Any]:
    """``contract.name(*args).call()`` for every ``args`` in ``arg_lists``, ``chunk`` per request."""
    if not arg_lists:
        return []
    fn = _resolve(contract, name, len(arg_lists[0]))
    tag = block if isinstance(block, str) else hex(block)
    out: list[Any] = []
    for i in range(0, len(arg_lists), chunk):
        part = arg_lists[i : i + chunk]
        requests = [
            (
                "eth_call",
                [
                    {"to": contract.address, "data": fn.calldata(args)},
                    tag,
                ],
            )
            for args in part
        ]
        for args, reply in zip(part, batch(requests), strict=True):
            failed = reply_error(reply)
            if failed is not None:
                raise CallFailed(f"{name}{tuple(args)}", *failed)
            out.append(
                _shape(fn.outputs, abi_decode(fn.outputs, bytes.fromhex(reply["result"][2:])))
            )
    return out


def _shape(types: tuple[str, ...], values: tuple[Any, ...]) -> Any:
    shaped = [_web3_value(_parsed(t), v) for t, v in zip(types, values, strict=True)]
    return shaped[0] if len(shaped) == 1 else shaped


@cache
def _parsed(type_str: str) -> ABIType:
    parsed: ABIType = parse(type_str)
    return parsed


def _web3_value(t: ABIType, value: Any) -> Any:
    """As web3 returns it: addresses checksummed, the rest as eth_abi decodes it."""
    if t.is_array:
        item = t.item_type
        return tuple(_web3_value(item, v) for v in value)
    if isinstance(t, TupleType):
        return tuple(_web3_value(c, v) for c, v in zip(t.components, value, strict=True))
    if getattr(t, "base", None) == "address":
        return Web3.to_checksum_address(value)
    return value
