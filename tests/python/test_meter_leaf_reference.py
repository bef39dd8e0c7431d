"""The meter-record reference (oracles/meter_leaf.py): encoding round trip and proofs against OpenZeppelin's
commutative Merkle verification, recomputed here in Python."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from pydantic import ValidationError

from oracles.reference import meter_leaf
from oracles.reference.meter_leaf import RECORD_BYTES, ConsumerDay


def _verify(proof: list[bytes], root: bytes, leaf: bytes) -> bool:
    h = leaf
    for p in proof:
        h = keccak(h + p) if h < p else keccak(p + h)
    return h == root


def test_encode_decode_round_trip() -> None:
    d = ConsumerDay(
        consumer_id=42, region_id=3, day=20_000, missing=True, readings=tuple(range(24))
    )
    raw = d.encode()
    assert len(raw) == RECORD_BYTES == 110
    # M-2: version 1, 60-minute, import; then consumer, region, day, flags, readings
    assert raw[:3] == bytes([1, 60, 0])
    assert raw[3:7] == (42).to_bytes(4, "big") and raw[7:9] == (3).to_bytes(2, "big")
    assert raw[9:13] == (20_000).to_bytes(4, "big") and raw[13] == 1
    assert raw[14:18] == (0).to_bytes(4, "big") and raw[-4:] == (23).to_bytes(4, "big")
    assert ConsumerDay.decode(raw) == d


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8, 13, 1_000])
def test_every_proof_verifies(n: int) -> None:
    leaves = [ConsumerDay(consumer_id=i + 1, region_id=1, day=1).leaf() for i in range(n)]
    tree = meter_leaf.levels(leaves)
    root = tree[-1][0]
    for i in range(n) if n < 100 else (0, 1, 511, 998, 999):
        assert _verify(meter_leaf.proof(tree, i), root, leaves[i])
    if n > 1:
        assert not _verify(meter_leaf.proof(tree, 0), root, leaves[-1])


def test_bad_records_are_refused() -> None:
    with pytest.raises(ValidationError, match="24 hourly readings"):
        ConsumerDay(consumer_id=1, region_id=1, day=1, readings=(1, 2))
    with pytest.raises(ValidationError, match="hour 0 out of uint32 range"):
        ConsumerDay(consumer_id=1, region_id=1, day=1, readings=(-1,) + (0,) * 23)
    with pytest.raises(ValueError, match="110 bytes"):
        ConsumerDay.decode(b"\x00" * 10)
    raw = ConsumerDay(consumer_id=1, region_id=1, day=1).encode()
    for shape in (bytes([2, 60, 0]), bytes([1, 15, 0]), bytes([1, 60, 1])):
        with pytest.raises(ValueError, match="is not version 1, 60-minute import"):
            ConsumerDay.decode(shape + raw[3:])
    with pytest.raises(ValidationError):
        ConsumerDay(consumer_id=1, region_id=1, day=1, interval_minutes=15)
    with pytest.raises(ValueError, match="at least one leaf"):
        meter_leaf.root([])
