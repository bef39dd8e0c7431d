"""The meter-record reference (oracles/meter_leaf.py): encoding round trip and proofs against OpenZeppelin's
commutative Merkle verification, recomputed here in Python."""

from __future__ import annotations

import pytest
from eth_utils import keccak
from pydantic import ValidationError

from oracles.reference import meter_leaf
from oracles.reference.meter_leaf import RECORD_BYTES, Channel, ConsumerDay


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


@pytest.mark.parametrize(
    ("interval", "channel", "n", "size"),
    [(15, Channel.IMPORT, 96, 398), (30, Channel.EXPORT, 48, 206), (60, Channel.EXPORT, 24, 110)],
)
def test_every_shape__encodes_its_readings_and_round_trips(
    interval: int, channel: Channel, n: int, size: int
) -> None:
    """M-2: a record is 14 + 4·n bytes, n = 96, 48 or 24 for 15, 30 or 60 minutes; the header
    names the interval and the channel (0 import, 1 export); interval 0 is local midnight."""
    d = ConsumerDay(
        interval_minutes=interval,  # type: ignore[arg-type]
        channel=channel,
        consumer_id=7,
        region_id=2,
        day=20_000,
        readings=tuple(range(100, 100 + n)),
    )
    raw = d.encode()
    assert len(raw) == size == meter_leaf.record_bytes(interval) == 14 + 4 * n
    assert raw[:3] == bytes([1, interval, int(channel)])
    assert raw[14:18] == (100).to_bytes(4, "big") and raw[-4:] == (99 + n).to_bytes(4, "big")
    assert ConsumerDay.decode(raw) == d
    signed = d.model_copy(update={"signature": bytes(range(65))})
    assert len(signed.encode()) == size + 65 == meter_leaf.record_bytes(interval, signed=True)
    assert ConsumerDay.decode(signed.encode()) == signed
    # a day flagged missing carries one zero per interval
    assert (
        ConsumerDay(interval_minutes=interval, consumer_id=1, region_id=1, day=1).readings
        == (  # type: ignore[arg-type]
            0,
        )
        * n
    )


def test_hourly__sums_sub_hourly_intervals_into_hours() -> None:
    """Hand-computed: quarter-hours 1, 2, 3, 4 make hour 0 = 10 Wh; half-hours 5 and 6 make 11."""
    q = ConsumerDay(interval_minutes=15, consumer_id=1, region_id=1, day=1,
                    readings=(1, 2, 3, 4) + (0,) * 92)  # fmt: skip
    assert q.hourly() == (10,) + (0,) * 23
    h = ConsumerDay(interval_minutes=30, consumer_id=1, region_id=1, day=1,
                    readings=(5, 6) + (1,) * 46)  # fmt: skip
    assert h.hourly() == (11,) + (2,) * 23


def test_bad_records_are_refused() -> None:
    with pytest.raises(ValidationError, match="a 60-minute day needs 24 readings, got 2"):
        ConsumerDay(consumer_id=1, region_id=1, day=1, readings=(1, 2))
    with pytest.raises(ValidationError, match="a 15-minute day needs 96 readings, got 24"):
        ConsumerDay(interval_minutes=15, consumer_id=1, region_id=1, day=1, readings=(1,) * 24)
    with pytest.raises(ValidationError, match="interval 0 out of uint32 range"):
        ConsumerDay(consumer_id=1, region_id=1, day=1, readings=(-1,) + (0,) * 23)
    with pytest.raises(ValidationError):
        ConsumerDay(interval_minutes=45, consumer_id=1, region_id=1, day=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="is not version 1"):
        ConsumerDay.decode(b"\x00" * 10)
    raw = ConsumerDay(consumer_id=1, region_id=1, day=1).encode()
    for shape in (bytes([2, 60, 0]), bytes([1, 45, 0]), bytes([1, 60, 2]), bytes([0, 60, 0])):
        with pytest.raises(ValueError, match="is not version 1, 15/30/60-minute, import or export"):
            ConsumerDay.decode(shape + raw[3:])
    # a 60-minute record relabelled 15-minute is too short for 96 readings
    with pytest.raises(ValueError, match="a 15-minute record has 398 bytes"):
        ConsumerDay.decode(bytes([1, 15, 0]) + raw[3:])
    with pytest.raises(ValueError, match="one shape"):
        meter_leaf.encode_batch(
            [
                ConsumerDay(consumer_id=1, region_id=1, day=1),
                ConsumerDay(consumer_id=2, region_id=1, day=1, channel=Channel.EXPORT),
            ]
        )
    with pytest.raises(ValueError, match="at least one leaf"):
        meter_leaf.root([])
