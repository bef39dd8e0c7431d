"""The batch-settlement multiproof reference (SPECIFICATION.md S-11): sound and complete on MeterLeaf
trees of every width, and the single-record case is exactly the single proof."""

from __future__ import annotations

from eth_utils.crypto import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference import meter_leaf, meter_multiproof

WIDTHS = st.integers(1, 600)


def _tree(width: int) -> tuple[list[bytes], list[list[bytes]]]:
    leaves = [keccak(i.to_bytes(4, "big") * 27) for i in range(width)]  # 108-byte preimages
    return leaves, meter_leaf.levels(leaves)


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, list[int]]:
    width = draw(WIDTHS)
    positions = sorted(draw(st.sets(st.integers(0, width - 1), min_size=1, max_size=width)))
    return width, positions


@settings(max_examples=400, deadline=None)
@given(cases())
def test_multiproof__verifies_exactly_the_chosen_leaves(case: tuple[int, list[int]]) -> None:
    width, positions = case
    leaves, tree = _tree(width)
    proof = meter_multiproof.multiproof(tree, positions)
    chosen = [leaves[p] for p in positions]
    assert meter_multiproof.verify(proof, tree[-1][0], width, positions, chosen)
    if len(positions) == 1:
        assert proof == meter_leaf.proof(tree, positions[0])
    # no hash is sent that the contract can compute itself: at most the single proofs' total
    assert len(proof) <= sum(len(meter_leaf.proof(tree, p)) for p in positions)


@settings(max_examples=300, deadline=None)
@given(cases(), st.data())
def test_multiproof__any_change_fails(case: tuple[int, list[int]], data: st.DataObject) -> None:
    width, positions = case
    leaves, tree = _tree(width)
    proof = meter_multiproof.multiproof(tree, positions)
    chosen = [leaves[p] for p in positions]
    root = tree[-1][0]
    k = data.draw(st.integers(0, len(chosen) - 1))
    forged = [*chosen[:k], keccak(b"forged record"), *chosen[k + 1 :]]
    assert not meter_multiproof.verify(proof, root, width, positions, forged)
    if proof:
        j = data.draw(st.integers(0, len(proof) - 1))
        bad = [*proof[:j], bytes(32), *proof[j + 1 :]]
        assert not meter_multiproof.verify(bad, root, width, positions, chosen)
        assert not meter_multiproof.verify(proof[:-1], root, width, positions, chosen)
    assert not meter_multiproof.verify([*proof, bytes(32)], root, width, positions, chosen)
    if len(positions) > 1:  # positions must strictly increase
        assert not meter_multiproof.verify(proof, root, width, positions[::-1], chosen[::-1])
