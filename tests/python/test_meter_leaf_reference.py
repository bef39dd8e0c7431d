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
    assert len(raw) == RECORD_BYTES
    assert raw[:4] == (42).to_bytes(4, "big") and raw[10] == 1
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
    with pytest.raises(ValueError, match="107 bytes"):
        ConsumerDay.decode(b"\x00" * 10)
    with pytest.raises(ValueError, match="at least one leaf"):
        meter_leaf.root([])
