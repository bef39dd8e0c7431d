"""MeterLeaf's record readers (SPECIFICATION.md M-2, S-11) against the record's Python encoding,
oracles/meter_tree.py: every hour range, with and without a signature after the readings."""

from __future__ import annotations

import pytest
from brownie.test import given
from eth_utils.crypto import keccak
from hypothesis import settings
from hypothesis import strategies as st

from oracles.meter_tree import HOURS, UINT32_MAX, ConsumerDay


@pytest.fixture(scope="module")
def harness(MeterLeafHarness, admin):  # type: ignore[no-untyped-def]
    return MeterLeafHarness.deploy({"from": admin})


@st.composite
def cases(draw: st.DrawFn) -> tuple[ConsumerDay, int, int, int]:
    readings = tuple(draw(st.lists(st.integers(0, UINT32_MAX), min_size=HOURS, max_size=HOURS)))
    signed = draw(st.booleans())
    day = ConsumerDay(
        consumer_id=draw(st.integers(1, UINT32_MAX)),
        region_id=1,
        day=draw(st.integers(0, 40_000)),
        readings=readings,
        signature=bytes(range(65)) if signed else None,
    )
    first = draw(st.integers(0, HOURS))
    end = draw(st.integers(first, HOURS))
    return day, first, end, draw(st.integers(0, UINT32_MAX))


@settings(max_examples=40, derandomize=True)
@given(case=cases())
def test_read_hours__equals_the_record(harness, case):  # type: ignore[no-untyped-def]
    """Hours [first, end) come from the record, every other hour keeps its value; any range parity."""
    day, first, end, fill = case
    want = [day.readings[h] if first <= h < end else fill for h in range(HOURS)]
    assert list(harness.readHours(day.encode(), first, end, fill)) == want
    assert list(harness.readings(day.encode())) == list(day.readings)


@settings(max_examples=20, derandomize=True)
@given(case=cases())
def test_readings_hash__is_the_eip712_array_hash(harness, case):  # type: ignore[no-untyped-def]
    """M-7: the readings' EIP-712 hash is keccak256 of 24 big-endian 32-byte words."""
    day = case[0]
    want = keccak(b"".join(r.to_bytes(32, "big") for r in day.readings))
    assert harness.readingsHash(day.encode()) == "0x" + want.hex()
