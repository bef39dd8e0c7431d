"""Revert data decoding: the chain layer's standard reasons, the protocol's custom errors by name."""

from __future__ import annotations

from eth_abi.abi import encode
from eth_utils.crypto import keccak

from oracles.chain.revert import StandardReverts
from oracles.protocol.errors import ErrorDecoder


def _selector(signature: str) -> bytes:
    return keccak(text=signature)[:4]


def test_standard_reasons() -> None:
    std = StandardReverts()
    assert (
        std.decode("0x" + (_selector("Error(string)") + encode(["string"], ["no"])).hex()) == "no"
    )
    panic = _selector("Panic(uint256)") + encode(["uint256"], [0x11])
    assert std.decode(panic) == "Panic(0x11: arithmetic overflow or underflow)"
    assert std.decode("0x") == "reverted without a reason"
    unknown = _selector("NotMeterOracle(address)") + bytes(32)
    assert std.decode(unknown) == f"unknown custom error 0x{unknown[:4].hex()}"


def test_protocol_errors_by_name() -> None:
    decoder = ErrorDecoder()  # the cancun build (make compile)
    data = _selector("GroupCountMismatch(uint32,uint16,uint256)") + encode(
        ["uint32", "uint16", "uint256"], [20_000, 3, 7]
    )
    assert decoder.decode(data) == "GroupCountMismatch(20000, 3, 7)"
    assert (
        decoder.decode(_selector("Nope()")) == f"unknown custom error 0x{_selector('Nope()').hex()}"
    )
    panic = _selector("Panic(uint256)") + encode(["uint256"], [0x12])
    assert decoder.decode(panic) == "Panic(0x12: division or modulo by zero)"
