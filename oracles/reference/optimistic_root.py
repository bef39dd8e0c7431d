"""Python reference of optimistic settlement roots (SPECIFICATION.md §11, rules O-2, O-7).

A root commits to one entry per enrollment of an event, at positions 0 .. count-1 of a positional
Merkle tree of depth ceil(log2(count)) (contracts/libraries/PositionalMerkle.sol). Each entry carries
the running sum of the rewards before it. The proposer sends every entry to the contract
(`postEntries`, packed as :func:`pack_entries`), which numbers them, sums them and builds this same
tree itself, so no entry of a root can be hidden (O-2).

leaf = keccak256(keccak256(abi.encode(eventId, index, account, sufficient, verifiedWh, reward,
rewardBefore, committedWh))); node = keccak256(left || right) in position order; empty positions hold
32 zero bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field

EMPTY = b"\x00" * 32
ENTRY_BYTES = 47  # OptimisticSettlement.ENTRY_BYTES: account 20, sufficient 1, verifiedWh 8, reward 12, committedWh 6


class Result(BaseModel):
    """One enrollment's settlement result, as the proof-carrying path would compute it."""

    model_config = ConfigDict(frozen=True)

    account: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    sufficient: bool
    verified_wh: int = Field(ge=0, lt=2**64)
    reward: int = Field(ge=0, lt=2**96)
    committed_wh: int = Field(default=0, ge=0, lt=2**48)


class Entry(BaseModel):
    """A result at its position, with the sum of the rewards before it (IOptimisticSettlement.Entry)."""

    model_config = ConfigDict(frozen=True)

    index: int = Field(ge=0, lt=2**32)
    account: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    sufficient: bool
    verified_wh: int = Field(ge=0, lt=2**64)
    reward: int = Field(ge=0, lt=2**96)
    reward_before: int = Field(ge=0, lt=2**128)
    committed_wh: int = Field(default=0, ge=0, lt=2**48)

    def as_tuple(self) -> tuple[int, str, bool, int, int, int, int]:
        """The Solidity struct as a web3/brownie argument."""
        return (
            self.index,
            self.account,
            self.sufficient,
            self.verified_wh,
            self.reward,
            self.reward_before,
            self.committed_wh,
        )

    def packed(self) -> bytes:
        """The entry as postEntries takes it: its index and prefix are the contract's count and sum."""
        return (
            bytes.fromhex(self.account[2:])
            + bytes([int(self.sufficient)])
            + self.verified_wh.to_bytes(8, "big")
            + self.reward.to_bytes(12, "big")
            + self.committed_wh.to_bytes(6, "big")
        )


def unpack_entries(data: bytes, first: int = 0, before: int = 0) -> list[Entry]:
    """The entries of one postEntries argument, numbered from ``first`` with prefix sums from
    ``before`` as the contract numbers them: how a watcher reads a root's entries from calldata."""
    if not data or len(data) % ENTRY_BYTES:
        raise ValueError(f"packed entries must be a non-zero multiple of {ENTRY_BYTES} bytes")
    out: list[Entry] = []
    for i in range(len(data) // ENTRY_BYTES):
        b = data[i * ENTRY_BYTES : (i + 1) * ENTRY_BYTES]
        e = Entry(
            index=first + i,
            account=to_checksum_address(b[:20]),
            sufficient=bool(b[20]),
            verified_wh=int.from_bytes(b[21:29], "big"),
            reward=int.from_bytes(b[29:41], "big"),
            reward_before=before,
            committed_wh=int.from_bytes(b[41:47], "big"),
        )
        before += e.reward
        out.append(e)
    return out


BATCH_ENTRY_BYTES = 62  # OptimisticSettlement.BATCH_ENTRY_BYTES: index 4 and rewardBefore 11 more


def pack_batch(entries: Sequence[Entry]) -> bytes:
    """O-8: entries as one payBatch argument (BATCH_ENTRY_BYTES each): the whole Entry, packed."""
    return b"".join(
        e.index.to_bytes(4, "big")
        + e.packed()[:41]
        + e.reward_before.to_bytes(11, "big")
        + e.committed_wh.to_bytes(6, "big")
        for e in entries
    )


def pack_entries(entries: Sequence[Entry]) -> bytes:
    """O-2: consecutive entries as one postEntries argument (ENTRY_BYTES each)."""
    return b"".join(e.packed() for e in entries)


def leaf(event_id: int, entry: Entry) -> bytes:
    """O-2: the double-hashed leaf of an entry. Every field is static, so abi.encode is eight
    32-byte big-endian words (an address is left-padded); packed here directly, as eth_abi's
    general encoder would take most of the time of a million-entry tree."""
    words = (
        event_id,
        entry.index,
        int(entry.account, 16),
        int(entry.sufficient),
        entry.verified_wh,
        entry.reward,
        entry.reward_before,
        entry.committed_wh,
    )
    return keccak(keccak(b"".join(w.to_bytes(32, "big") for w in words)))


def depth_for(count: int) -> int:
    """ceil(log2(count)); 0 for a single entry."""
    return max(0, (count - 1).bit_length())


def entries_for(results: Sequence[Result]) -> list[Entry]:
    """Number the results in order and attach their prefix sums."""
    out: list[Entry] = []
    before = 0
    for i, r in enumerate(results):
        out.append(
            Entry(
                index=i,
                account=r.account,
                sufficient=r.sufficient,
                verified_wh=r.verified_wh,
                reward=r.reward,
                reward_before=before,
                committed_wh=r.committed_wh,
            )
        )
        before += r.reward
    return out


class RootTree:
    """The positional tree of an event's entries, with the root, the totals and every proof."""

    def __init__(self, event_id: int, entries: Sequence[Entry]) -> None:
        if not entries:
            raise ValueError("a root needs at least one entry")
        for i, e in enumerate(entries):
            if e.index != i:
                raise ValueError(f"entry {i} has index {e.index}; entries must be numbered 0..n-1")
        self.event_id = event_id
        self.entries = list(entries)
        self.depth = depth_for(len(entries))
        level = [leaf(event_id, e) for e in entries]
        level += [EMPTY] * ((1 << self.depth) - len(level))
        self.levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [keccak(level[i] + level[i + 1]) for i in range(0, len(level), 2)]
            self.levels.append(level)

    @classmethod
    def from_results(cls, event_id: int, results: Sequence[Result]) -> RootTree:
        return cls(event_id, entries_for(results))

    @property
    def root(self) -> bytes:
        return self.levels[-1][0]

    @property
    def count(self) -> int:
        return len(self.entries)

    @property
    def total(self) -> int:
        """The sum of every reward (the last entry's prefix plus its reward)."""
        last = self.entries[-1]
        return last.reward_before + last.reward

    def proof(self, index: int) -> list[bytes]:
        """Sibling hashes from the leaf at `index` up to the root."""
        if not 0 <= index < (1 << self.depth):
            raise ValueError(f"index {index} is outside a tree of depth {self.depth}")
        out = []
        for level in self.levels[:-1]:
            out.append(level[index ^ 1])
            index >>= 1
        return out

    def multiproof(self, indices: Sequence[int]) -> list[bytes]:
        """The sibling hashes that entries at strictly increasing ``indices`` need together, level by
        level from the leaves, in index order (PositionalMerkle.verifyMulti, O-8)."""
        if not indices or any(b <= a for a, b in pairwise(indices)):
            raise ValueError("a multiproof needs strictly increasing indices")
        if indices[0] < 0 or indices[-1] >= 1 << self.depth:
            raise ValueError(f"an index is outside a tree of depth {self.depth}")
        out: list[bytes] = []
        positions = list(indices)
        for level in self.levels[:-1]:
            parents: list[int] = []
            i = 0
            while i < len(positions):
                pos = positions[i]
                if pos % 2 == 0 and i + 1 < len(positions) and positions[i + 1] == pos + 1:
                    i += 2
                else:
                    out.append(level[pos ^ 1])
                    i += 1
                parents.append(pos >> 1)
            positions = parents
        return out


def verify_multi(
    root: bytes,
    depth: int,
    positions: Sequence[int],
    leaves: Sequence[bytes],
    proof: Sequence[bytes],
) -> bool:
    """PositionalMerkle.verifyMulti."""
    k = len(leaves)
    if k == 0 or k != len(positions) or depth > 32 or positions[-1] >> depth:
        return False
    if any(b <= a for a, b in pairwise(positions)):
        return False
    pos, nodes, used = list(positions), list(leaves), 0
    for _ in range(depth):
        up_pos: list[int] = []
        up: list[bytes] = []
        i = 0
        while i < len(pos):
            x, node = pos[i], nodes[i]
            if x % 2 == 0 and i + 1 < len(pos) and pos[i + 1] == x + 1:
                h = keccak(node + nodes[i + 1])
                i += 2
            else:
                if used == len(proof):
                    return False
                sibling = proof[used]
                used += 1
                h = keccak(node + sibling) if x % 2 == 0 else keccak(sibling + node)
                i += 1
            up_pos.append(x >> 1)
            up.append(h)
        pos, nodes = up_pos, up
    return used == len(proof) and nodes[0] == root


def verify(root: bytes, index: int, leaf_hash: bytes, proof: Sequence[bytes]) -> bool:
    """PositionalMerkle.verifyCalldata."""
    node = leaf_hash
    position = index
    for sibling in proof:
        node = keccak(node + sibling) if position & 1 == 0 else keccak(sibling + node)
        position >>= 1
    return position == 0 and node == root
