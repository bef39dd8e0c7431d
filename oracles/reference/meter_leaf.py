"""Python reference of contracts/libraries/MeterLeaf.sol (SPECIFICATION.md §6, rules M-2, M-3).

A consumer-day record is 14 + 4·n packed big-endian bytes: a versioned header, format version
(uint8, 1), interval length in minutes (uint8: 15, 30 or 60, so n = 96, 48 or 24 readings), channel
(uint8, 0 = import, 1 = export), consumer id (uint32), region (uint16), local day (uint32), flags
(uint8; bit 0 = data missing), then n readings in Wh (uint32 each), interval 0 at local midnight:
398, 206 or 110 bytes. Version, interval and channel are the record's shape (M-2); MeterData takes
the region's interval (R-7) and settlement reads the hourly import shape only (S-13). A signed record
(M-7) is the record followed by the meter's 65-byte EIP-712 signature over all of it
(``oracles/reference/meter_signing.py``). Leaf = keccak256(record as posted); node = keccak256 of the
two children in ascending order; leaves pair left to right level by level and an unpaired last node
moves up unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import IntEnum
from typing import Any, Literal

from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

HEADER_BYTES = 14
HOURS = 24
MINUTES_PER_DAY = 1_440
RECORD_BYTES = HEADER_BYTES + 4 * HOURS  # 110: the hourly record
SIGNATURE_BYTES = 65
SIGNED_RECORD_BYTES = RECORD_BYTES + SIGNATURE_BYTES  # 175
FORMAT_VERSION = 1
INTERVAL_MINUTES = 60  # the hourly shape's (settlement's, S-13)
INTERVALS = (15, 30, 60)  # the interval lengths a region may use
FLAG_MISSING = 1
UINT32_MAX = 2**32 - 1


class Channel(IntEnum):
    """What a record's readings measure (M-2); later channels (state of charge) go above."""

    IMPORT = 0
    EXPORT = 1


SHAPE = (FORMAT_VERSION, INTERVAL_MINUTES, Channel.IMPORT)  # hourly import: what settlement reads


def readings_per_day(interval_minutes: int) -> int:
    """96, 48 or 24 readings for 15-, 30- or 60-minute intervals (M-2)."""
    if interval_minutes not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS} minutes, got {interval_minutes}")
    return MINUTES_PER_DAY // interval_minutes


def record_bytes(interval_minutes: int, signed: bool = False) -> int:
    """A record's length: 14 + 4 per reading (398, 206, 110), 65 more if signed (M-2, M-7)."""
    return (
        HEADER_BYTES + 4 * readings_per_day(interval_minutes) + (SIGNATURE_BYTES if signed else 0)
    )


def is_signed(record: bytes) -> bool:
    """Whether a posted record carries a signature: its length is its interval's signed length (M-7)."""
    return (
        len(record) >= 3
        and record[1] in INTERVALS
        and len(record) == record_bytes(record[1], signed=True)
    )


class ConsumerDay(BaseModel):
    """One consumer-day of one channel's readings at the region's interval (a Merkle leaf)."""

    model_config = ConfigDict(frozen=True)

    version: int = Field(default=FORMAT_VERSION, ge=FORMAT_VERSION, le=FORMAT_VERSION)
    interval_minutes: Literal[15, 30, 60] = 60  # INTERVAL_MINUTES unless the region says
    channel: Channel = Channel.IMPORT
    consumer_id: int = Field(ge=1, le=UINT32_MAX)
    region_id: int = Field(ge=1, le=2**16 - 1)
    day: int = Field(ge=0, le=UINT32_MAX)
    missing: bool = False
    # one per interval of the day (96, 48 or 24); omitted: all zero (a day flagged missing)
    readings: tuple[int, ...] = ()
    # the meter's EIP-712 signature (r ‖ s ‖ v), relayed as is; None for an unsigned record
    signature: bytes | None = Field(
        default=None, min_length=SIGNATURE_BYTES, max_length=SIGNATURE_BYTES
    )

    @field_validator("readings")
    @classmethod
    def _readings(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        for k, r in enumerate(v):
            if not 0 <= r <= UINT32_MAX:
                raise ValueError(f"reading for interval {k} out of uint32 range: {r}")
        return v

    @model_validator(mode="before")
    @classmethod
    def _zeros_by_default(cls, data: Any) -> Any:
        """No readings given: all zero, one per interval of the day (what a missing day carries)."""
        if isinstance(data, dict) and not data.get("readings"):
            interval = data.get("interval_minutes", INTERVAL_MINUTES)
            if interval in INTERVALS:
                data = {**data, "readings": (0,) * readings_per_day(interval)}
        return data

    @model_validator(mode="after")
    def _one_reading_per_interval(self) -> ConsumerDay:
        n = readings_per_day(self.interval_minutes)
        if len(self.readings) != n:
            raise ValueError(
                f"a {self.interval_minutes}-minute day needs {n} readings, got {len(self.readings)}"
            )
        return self

    @property
    def shape(self) -> tuple[int, int, int]:
        """(version, interval minutes, channel): the record's first three bytes (M-2)."""
        return (self.version, self.interval_minutes, int(self.channel))

    def hourly(self) -> tuple[int, ...]:
        """The 24 hourly sums of the readings (Wh; an hour of 4 or 2 sub-hourly intervals)."""
        per = len(self.readings) // HOURS
        return tuple(sum(self.readings[h * per : (h + 1) * per]) for h in range(HOURS))

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
        """The record as posted: 14 + 4·n bytes (M-2), 65 more with the signature (M-7)."""
        out = bytearray(self.header())
        for r in self.readings:
            out += r.to_bytes(4, "big")
        if self.signature is not None:
            out += self.signature
        return bytes(out)

    @classmethod
    def decode(cls, record: bytes) -> ConsumerDay:
        """A record as posted; ValueError for an unknown shape or a length its interval does not give
        (M-2)."""
        version, interval, channel = tuple(record[:3]) if len(record) >= 3 else (0, 0, 0)
        if (
            version != FORMAT_VERSION
            or interval not in INTERVALS
            or channel not in Channel._value2member_map_
        ):
            raise ValueError(
                f"record shape (version {version}, {interval}-minute, channel {channel}) is not "
                f"version {FORMAT_VERSION}, {'/'.join(map(str, INTERVALS))}-minute, import or export"
            )
        size = record_bytes(interval)
        if len(record) not in (size, size + SIGNATURE_BYTES):
            raise ValueError(
                f"a {interval}-minute record has {size} bytes ({size + SIGNATURE_BYTES} signed), "
                f"got {len(record)}"
            )
        n = readings_per_day(interval)
        readings = tuple(
            int.from_bytes(record[HEADER_BYTES + 4 * k : HEADER_BYTES + 4 * k + 4], "big")
            for k in range(n)
        )
        return cls(
            interval_minutes=interval,  # type: ignore[arg-type]  # checked above
            channel=Channel(channel),
            consumer_id=int.from_bytes(record[3:7], "big"),
            region_id=int.from_bytes(record[7:9], "big"),
            day=int.from_bytes(record[9:13], "big"),
            missing=bool(record[13] & FLAG_MISSING),
            readings=readings,
            signature=record[size:] or None,
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
    takes them: one shape (interval and channel) per batch, ids strictly increasing (M-2, M-4)."""
    if len({d.signature is None for d in days}) > 1:
        raise ValueError("a batch is all signed or all unsigned records")
    if len({d.shape for d in days}) > 1:
        raise ValueError("a batch's records have one shape (interval and channel)")
    return b"".join(d.encode() for d in days)
