"""Python reference of contracts/libraries/MeterLeaf.sol (SPECIFICATION.md §6, rules M-2, M-3).

A consumer-day record is 110 packed big-endian bytes: a versioned header, format version (uint8, 1),
interval length in minutes (uint8, 60), channel (uint8, 0 = import), consumer id (uint32), region
(uint16), local day (uint32), flags (uint8; bit 0 = data missing), then 24 hourly readings in Wh
(uint32 each). Version, interval and channel are the record's shape; this format has one (hourly
import). A signed record (M-7) is those 110 bytes followed by the meter's 65-byte EIP-712 signature
over all of them (``oracles/reference/meter_signing.py``). Leaf = keccak256(record as posted, 110 or
175 bytes); node = keccak256 of the two children in ascending order; leaves pair left to right level
by level and an unpaired last node moves up unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum

from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field, field_validator

HEADER_BYTES = 14
HOURS = 24
RECORD_BYTES = HEADER_BYTES + 4 * HOURS  # 110
SIGNATURE_BYTES = 65
SIGNED_RECORD_BYTES = RECORD_BYTES + SIGNATURE_BYTES  # 175
FORMAT_VERSION = 1
INTERVAL_MINUTES = 60
FLAG_MISSING = 1
UINT32_MAX = 2**32 - 1


class Channel(IntEnum):
    """What a record's readings measure (M-2): this format carries import only."""

    IMPORT = 0


SHAPE = (FORMAT_VERSION, INTERVAL_MINUTES, Channel.IMPORT)


class ConsumerDay(BaseModel):
    """One consumer-day of hourly readings (a Merkle leaf)."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(default=FORMAT_VERSION, ge=FORMAT_VERSION, le=FORMAT_VERSION)
    interval_minutes: int = Field(
        default=INTERVAL_MINUTES, ge=INTERVAL_MINUTES, le=INTERVAL_MINUTES
    )
    channel: Channel = Channel.IMPORT
    consumer_id: int = Field(ge=1, le=UINT32_MAX)
    region_id: int = Field(ge=1, le=2**16 - 1)
    day: int = Field(ge=0, le=UINT32_MAX)
    missing: bool = False
    readings: tuple[int, ...] = Field(default=(0,) * HOURS)
    # the meter's EIP-712 signature (r ‖ s ‖ v), relayed as is; None for an unsigned record
    signature: bytes | None = Field(
        default=None, min_length=SIGNATURE_BYTES, max_length=SIGNATURE_BYTES
    )

    @field_validator("readings")
    @classmethod
    def _readings(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        if len(v) != HOURS:
            raise ValueError(f"need {HOURS} hourly readings, got {len(v)}")
        for h, r in enumerate(v):
            if not 0 <= r <= UINT32_MAX:
                raise ValueError(f"reading for hour {h} out of uint32 range: {r}")
        return v

    @property
    def flags(self) -> int:
        return FLAG_MISSING if self.missing else 0

    def header(self) -> bytes:
        """The record's first 14 bytes: version, interval, channel, consumer, region, day, flags."""
        return (
            bytes([self.version, self.interval_minutes, int(self.channel)])
            + self.consumer_id.to_bytes(4, "big")
            + self.region_id.to_bytes(2, "big")
            + self.day.to_bytes(4, "big")
            + bytes([self.flags])
        )

    def encode(self) -> bytes:
        """The record as posted: 110 bytes (M-2), or 175 with the signature (M-7)."""
        out = bytearray(self.header())
        for r in self.readings:
            out += r.to_bytes(4, "big")
        if self.signature is not None:
            out += self.signature
        return bytes(out)

    @classmethod
    def decode(cls, record: bytes) -> ConsumerDay:
        """A record as posted; ValueError for another length or shape (M-2)."""
        if len(record) not in (RECORD_BYTES, SIGNED_RECORD_BYTES):
            raise ValueError(
                f"a record has {RECORD_BYTES} bytes ({SIGNED_RECORD_BYTES} signed), got {len(record)}"
            )
        if tuple(record[:3]) != SHAPE:
            raise ValueError(
                f"record shape (version {record[0]}, {record[1]}-minute, channel {record[2]}) is not "
                f"version {FORMAT_VERSION}, {INTERVAL_MINUTES}-minute import"
            )
        readings = tuple(
            int.from_bytes(record[HEADER_BYTES + 4 * h : HEADER_BYTES + 4 * h + 4], "big")
            for h in range(HOURS)
        )
        return cls(
            consumer_id=int.from_bytes(record[3:7], "big"),
            region_id=int.from_bytes(record[7:9], "big"),
            day=int.from_bytes(record[9:13], "big"),
            missing=bool(record[13] & FLAG_MISSING),
            readings=readings,
            signature=record[RECORD_BYTES:] or None,
        )

    def leaf(self) -> bytes:
        return keccak(self.encode())


def _node(a: bytes, b: bytes) -> bytes:
    return keccak(a + b) if a < b else keccak(b + a)


def levels(leaves: Sequence[bytes]) -> list[list[bytes]]:
    """Every level of the tree, leaves first, root last (M-3)."""
    if not leaves:
        raise ValueError("a tree needs at least one leaf")
    out = [list(leaves)]
    while len(out[-1]) > 1:
        cur = out[-1]
        nxt = [_node(cur[2 * i], cur[2 * i + 1]) for i in range(len(cur) // 2)]
        if len(cur) % 2:
            nxt.append(cur[-1])
        out.append(nxt)
    return out


def root(leaves: Sequence[bytes]) -> bytes:
    return levels(leaves)[-1][0]


def proof(tree: list[list[bytes]], index: int) -> list[bytes]:
    """Sibling hashes from leaf `index` to the root; a level where the node is unpaired adds none."""
    out: list[bytes] = []
    for level in tree[:-1]:
        sibling = index ^ 1
        if sibling < len(level):
            out.append(level[sibling])
        index //= 2
    return out


def encode_batch(days: Sequence[ConsumerDay]) -> bytes:
    """Concatenated records, as `MeterData.postBatch` (all unsigned) or `postSignedBatch` (all signed)
    takes them (ids must strictly increase, M-4)."""
    if len({d.signature is None for d in days}) > 1:
        raise ValueError("a batch is all signed or all unsigned records")
    return b"".join(d.encode() for d in days)
