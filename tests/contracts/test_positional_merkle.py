"""PositionalMerkle.verifyMulti (SPECIFICATION.md O-8) against its Python reference,
oracles/reference/optimistic_root.py: the same verdict for honest multiproofs of any tree and any set of indices,
and for forged ones (a leaf, a proof hash, a missing or an extra hash, a leaf moved by one index)."""

from __future__ import annotations

import pytest
from brownie.test import given
from hypothesis import settings
from hypothesis import strategies as st

from oracles.reference import optimistic_root as opt


@pytest.fixture(scope="module")
def harness(PositionalMerkleHarness, admin):  # type: ignore[no-untyped-def]
    return PositionalMerkleHarness.deploy({"from": admin})


def tree_of(count: int) -> opt.RootTree:
    results = [
        opt.Result(account="0x" + f"{i + 1:040x}", sufficient=True, verified_wh=i, reward=i * 7)
        for i in range(count)
    ]
    return opt.RootTree.from_results(9, results)


@st.composite
def cases(draw: st.DrawFn) -> tuple[int, list[int], int]:
    count = draw(st.integers(1, 300))
    indices = sorted(draw(st.sets(st.integers(0, count - 1), min_size=1, max_size=min(count, 40))))
    return count, indices, draw(st.integers(0, 4))


@settings(max_examples=30, derandomize=True)
@given(case=cases())
def test_verify_multi__equals_reference(harness, case):  # type: ignore[no-untyped-def]
    count, indices, forge = case
    tree = tree_of(count)
    proof = tree.multiproof(indices)
    leaves = [tree.levels[0][i] for i in indices]
    positions = list(indices)
    if forge == 1:
        leaves[0] = b"\x11" * 32
    elif forge == 2 and proof:
        proof = [b"\x00" * 32 if proof[0] != b"\x00" * 32 else b"\x22" * 32, *proof[1:]]
    elif forge == 3:
        proof = [*proof, b"\x00" * 32]
    elif forge == 4 and positions[-1] + 1 < (1 << tree.depth):
        positions[-1] += 1  # the last leaf claimed one position to the right
    want = opt.verify_multi(tree.root, tree.depth, positions, leaves, proof)
    honest = forge == 0 or (forge == 2 and not proof) or (forge == 4 and positions == indices)
    assert want == honest
    assert harness.verifyMulti(proof, tree.root, tree.depth, positions, leaves) == want


def test_verify_multi__unordered_or_out_of_tree__false(harness):  # type: ignore[no-untyped-def]
    tree = tree_of(5)  # depth 3: positions 0..7
    leaves = [tree.levels[0][i] for i in (1, 3)]
    proof = tree.multiproof([1, 3])
    assert harness.verifyMulti(proof, tree.root, tree.depth, [1, 3], leaves)
    assert not harness.verifyMulti(proof, tree.root, tree.depth, [3, 1], leaves[::-1])
    assert not harness.verifyMulti(proof, tree.root, tree.depth, [1, 1], [leaves[0]] * 2)
    assert not harness.verifyMulti([], tree.root, tree.depth, [], [])
    assert not harness.verifyMulti(proof, tree.root, tree.depth, [1, 8], leaves)
