"""MeterMultiproof (SPECIFICATION.md S-11) against its Python reference, oracles/meter_multiproof.py:
the same verdict for honest proofs of any width and any set of positions, and for forged ones."""

from __future__ import annotations

import pytest
from brownie.test import given
from eth_utils.crypto import keccak
from hypothesis import settings
from hypothesis import strategies as st

from oracles.reference import meter_leaf, meter_multiproof


@pytest.fixture(scope="module")
def harness(MeterMultiproofHarness, admin):  # type: ignore[no-untyped-def]
    return MeterMultiproofHarness.deploy({"from": admin})


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, list[int], int]:
    width = draw(st.integers(1, 1_100))
    positions = sorted(
        draw(st.sets(st.integers(0, width - 1), min_size=1, max_size=min(width, 40)))
    )
    return width, positions, draw(st.integers(0, 3))


@settings(max_examples=30, derandomize=True)
@given(case=cases())
def test_verify__equals_reference(harness, case):  # type: ignore[no-untyped-def]
    """Honest, then forged (a leaf, a proof hash, a missing or an extra hash): the same verdict."""
    width, positions, forge = case
    leaves = [keccak(i.to_bytes(4, "big") * 27) for i in range(width)]
    tree = meter_leaf.levels(leaves)
    proof = meter_multiproof.multiproof(tree, positions)
    chosen = [leaves[p] for p in positions]
    if forge == 1:
        chosen[0] = keccak(b"forged")
    elif forge == 2 and proof:
        proof = [bytes(32), *proof[1:]]
    elif forge == 3:
        proof = [*proof, bytes(32)]
    want = meter_multiproof.verify(proof, tree[-1][0], width, positions, chosen)
    assert want == (forge == 0 or (forge == 2 and not proof))
    assert harness.verify(proof, tree[-1][0], width, positions, chosen) == want
