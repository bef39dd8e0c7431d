"""Revert data as a one-line reason: the chain layer's side of error decoding.

The chain client knows nothing of any contract: it asks a :class:`RevertDecoder` to turn a revert's
data into text. :class:`StandardReverts` knows what every EVM contract can revert with
(``Error(string)``, ``Panic(uint256)``) and shows any other custom error by its selector;
``oracles.protocol.errors.ErrorDecoder`` adds the protocol's custom errors by name.
"""

from __future__ import annotations

from typing import Protocol

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

ERROR_STRING = keccak(text="Error(string)")[:4]
PANIC = keccak(text="Panic(uint256)")[:4]
# Solidity's panic codes (docs.soliditylang.org, "Panic via assert and error via require")
PANIC_REASONS = {
    0x01: "assert failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop on an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


class RevertDecoder(Protocol):
    def decode(self, data: str | bytes) -> str:
        """A one-line reason for the revert data ``data`` (hex string or bytes)."""
        ...


def revert_bytes(data: str | bytes) -> bytes:
    if isinstance(data, bytes):
        return data
    return bytes.fromhex(data[2:] if data.startswith("0x") else data)


class StandardReverts:
    """``Error(string)`` and ``Panic(uint256)`` decoded; other custom errors by selector."""

    def decode(self, data: str | bytes) -> str:
        raw = revert_bytes(data)
        if len(raw) < 4:
            return "reverted without a reason"
        if raw[:4] == ERROR_STRING:
            return str(abi_decode(["string"], raw[4:])[0])
        if raw[:4] == PANIC:
            (code,) = abi_decode(["uint256"], raw[4:])
            return f"Panic(0x{code:02x}: {PANIC_REASONS.get(code, 'unknown panic code')})"
        return self.custom(raw)

    def custom(self, raw: bytes) -> str:
        """A custom error this decoder does not know: its selector."""
        return f"unknown custom error 0x{raw[:4].hex()}"
