"""MeterLeaf's record readers (SPECIFICATION.md M-2, S-11) against the record's Python encoding,
oracles/reference/meter_leaf.py: every hour range, with and without a signature after the readings."""

from __future__ import annotations

import pytest
from brownie.test import given
from hypothesis import settings
from hypothesis import strategies as st

from oracles.reference.meter_leaf import HOURS, UINT32_MAX, ConsumerDay


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


@settings(max_examples=30, derandomize=True)
@given(
    days=st.lists(
        st.lists(st.integers(0, UINT32_MAX), min_size=HOURS, max_size=HOURS),
        min_size=0,
        max_size=10,
    ),
    signed=st.booleans(),
)
def test_lanes__sum_every_hour_of_up_to_ten_days(harness, days, signed):  # type: ignore[no-untyped-def]
    """S-11 (B-2 sums): addToLanes then unpackLanes give each hour's exact sum over the days, at the
    largest readings too (ten days of 2^32 - 1 stay inside a 64-bit lane), and leave the lanes zero."""
    records = [
        ConsumerDay(
            consumer_id=1, region_id=1, day=20_000 + i, readings=tuple(r),
            signature=bytes(range(65)) if signed else None,
        ).encode()
        for i, r in enumerate(days)
    ]  # fmt: skip
    sums, zeroed = harness.sumDays(records)
    assert list(sums) == [sum(d[h] for d in days) for h in range(HOURS)]
    assert zeroed


def test_lanes__ten_days_at_the_largest_reading(harness):  # type: ignore[no-untyped-def]
    """The edge the lane width is chosen for: ten days of 4,294,967,295 Wh in every hour."""
    day = ConsumerDay(
        consumer_id=1, region_id=1, day=20_000, readings=(UINT32_MAX,) * HOURS
    ).encode()
    sums, zeroed = harness.sumDays([day] * 10)
    assert list(sums) == [10 * UINT32_MAX] * HOURS
    assert zeroed
