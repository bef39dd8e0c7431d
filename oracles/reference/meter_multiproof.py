"""Python reference of contracts/libraries/MeterMultiproof.sol (SPECIFICATION.md S-11).

Many records of one meter batch proved together: the sibling hashes the contract consumes, level by
level and in position order, for the leaves at a set of positions of a MeterLeaf tree
(:func:`oracles.reference.meter_leaf.levels`: sorted-pair hashing, the last node of an odd level carried up).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise

from oracles.reference.meter_leaf import _node, is_signed

# a record reference of settleBatch: bits 0..31 position, 32..47 group, bit 48 a signed record
GROUP_SHIFT = 32
SIGNED_BIT = 1 << 48


def multiproof(tree: list[list[bytes]], positions: Sequence[int]) -> list[bytes]:
    """The proof of the leaves at ``positions`` (strictly increasing) of ``tree`` (all its levels)."""
    if not positions or any(b <= a for a, b in pairwise(positions)):
        raise ValueError("positions must be non-empty and strictly increasing")
    if positions[-1] >= len(tree[0]):
        raise ValueError(f"position {positions[-1]} is past the batch's {len(tree[0])} records")
    out: list[bytes] = []
    pos = list(positions)
    for level in tree[:-1]:
        width = len(level)
        up: list[int] = []
        i = 0
        while i < len(pos):
            p = pos[i]
            i += 1
            if p % 2 == 0 and p + 1 == width:
                up.append(p // 2)  # carried up unhashed
                continue
            if p % 2 == 0 and i < len(pos) and pos[i] == p + 1:
                i += 1  # both children are ours
            else:
                out.append(level[p ^ 1])
            up.append(p // 2)
        pos = up
    return out


def verify(
    proof: Sequence[bytes],
    root: bytes,
    width: int,
    positions: Sequence[int],
    leaves: Sequence[bytes],
) -> bool:
    """What MeterMultiproof.verify returns for the same arguments."""
    k = len(leaves)
    if k == 0 or k != len(positions) or positions[-1] >= width:
        return False
    if any(b <= a for a, b in pairwise(positions)):
        return False
    pos, nodes, p = list(positions), list(leaves), 0
    while width > 1:
        up_pos: list[int] = []
        up_nodes: list[bytes] = []
        i = 0
        while i < len(pos):
            q, node = pos[i], nodes[i]
            i += 1
            if q % 2 == 0 and q + 1 == width:
                up_pos.append(q // 2)
                up_nodes.append(node)
                continue
            if q % 2 == 0 and i < len(pos) and pos[i] == q + 1:
                sibling = nodes[i]
                i += 1
            else:
                if p == len(proof):
                    return False
                sibling = proof[p]
                p += 1
            up_pos.append(q // 2)
            up_nodes.append(_node(node, sibling))
        pos, nodes = up_pos, up_nodes
        width = (width + 1) // 2
    return p == len(proof) and nodes[0] == root


@dataclass(frozen=True)
class Located:
    """One record as a batch settlement references it: where it sits and the tree of its batch."""

    day: int
    batch_index: int
    position: int
    record: bytes
    tree: list[
        list[bytes]
    ]  # every level of the batch's tree (:func:`oracles.reference.meter_leaf.levels`)


ConsumerArg = tuple[str, bytes, list[int]]
GroupArg = tuple[int, int, int, int, list[bytes]]


def settle_batch_args(
    consumers: Sequence[tuple[str, Sequence[Located]]],
) -> tuple[list[ConsumerArg], list[GroupArg]]:
    """``ProofSettlement.settleBatch``'s ``consumers`` and ``groups`` (S-11): each consumer's records
    in walk order, concatenated, with one reference each (position | group << 32 | signed << 48),
    and one group per (day, batch) with its width, the number of the call's records in it and their
    multiproof. Consumers
    must come in ascending consumer id, so each batch's positions ascend."""
    group_of: dict[tuple[int, int], int] = {}
    members: list[list[int]] = []
    trees: list[list[list[bytes]]] = []
    out: list[ConsumerArg] = []
    for account, records in consumers:
        refs: list[int] = []
        for r in records:
            g = group_of.setdefault((r.day, r.batch_index), len(group_of))
            if g == len(members):
                members.append([])
                trees.append(r.tree)
            members[g].append(r.position)
            signed = SIGNED_BIT if is_signed(r.record) else 0
            refs.append(r.position | g << GROUP_SHIFT | signed)
        out.append((account, b"".join(r.record for r in records), refs))
    groups = [
        (day, index, len(trees[g][0]), len(members[g]), multiproof(trees[g], members[g]))
        for (day, index), g in group_of.items()
    ]
    return out, groups
