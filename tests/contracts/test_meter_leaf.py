"""MeterLeaf's record readers (SPECIFICATION.md M-2, S-11) against the record's Python encoding,
oracles/reference/meter_leaf.py: every interval range of 24-, 48- and 96-reading records, with and
without a signature after the readings."""

from __future__ import annotations

import pytest
from brownie.test import given
from hypothesis import settings
from hypothesis import strategies as st

from oracles.reference.meter_leaf import INTERVALS, UINT32_MAX, ConsumerDay, readings_per_day


@pytest.fixture(scope="module")
def harness(MeterLeafHarness, admin):  # type: ignore[no-untyped-def]
    return MeterLeafHarness.deploy({"from": admin})


@st.composite
def cases(draw: st.DrawFn) -> tuple[ConsumerDay, int, int, int]:
    interval = draw(st.sampled_from(INTERVALS))
    n = readings_per_day(interval)
    readings = tuple(draw(st.lists(st.integers(0, UINT32_MAX), min_size=n, max_size=n)))
    signed = draw(st.booleans())
    day = ConsumerDay(
        interval_minutes=interval,
        consumer_id=draw(st.integers(1, UINT32_MAX)),
        region_id=1,
        day=draw(st.integers(0, 40_000)),
        readings=readings,
        signature=bytes(range(65)) if signed else None,
    )
    first = draw(st.integers(0, n))
    end = draw(st.integers(first, n))
    return day, first, end, draw(st.integers(0, UINT32_MAX))


@settings(max_examples=40, derandomize=True)
@given(case=cases())
def test_read_intervals__equals_the_record(harness, case):  # type: ignore[no-untyped-def]
    """Intervals [first, end) come from the record, every other keeps its value; any range parity,
    any interval length."""
    day, first, end, fill = case
    n = len(day.readings)
    want = [day.readings[k] if first <= k < end else fill for k in range(n)]
    assert list(harness.readIntervals(day.encode(), n, first, end, fill)) == want
    assert list(harness.readings(day.encode())) == list(day.readings)


@settings(max_examples=30, derandomize=True)
@given(
    interval=st.sampled_from(INTERVALS),
    values=st.lists(st.integers(0, UINT32_MAX), min_size=0, max_size=10 * 96),
    days=st.integers(0, 10),
    signed=st.booleans(),
)
def test_lanes__sum_every_interval_of_up_to_ten_days(harness, interval, values, days, signed):  # type: ignore[no-untyped-def]
    """S-11 (B-2 sums): addToLanes then unpackLanes give each interval's exact sum over the days, at
    the largest readings too (ten days of 2^32 - 1 stay inside a 64-bit lane), and leave the lanes zero."""
    n = readings_per_day(interval)
    padded = (values + [0] * (10 * n))[: days * n]
    rows = [padded[i * n : (i + 1) * n] for i in range(days)]
    records = [
        ConsumerDay(
            interval_minutes=interval, consumer_id=1, region_id=1, day=20_000 + i,
            readings=tuple(r), signature=bytes(range(65)) if signed else None,
        ).encode()
        for i, r in enumerate(rows)
    ]  # fmt: skip
    sums, zeroed = harness.sumDays(records, n)
    assert list(sums) == [sum(d[k] for d in rows) for k in range(n)]
    assert zeroed


@pytest.mark.parametrize("interval", INTERVALS)
def test_lanes__ten_days_at_the_largest_reading(harness, interval):  # type: ignore[no-untyped-def]
    """The edge the lane width is chosen for: ten days of 4,294,967,295 Wh in every interval."""
    n = readings_per_day(interval)
    day = ConsumerDay(
        interval_minutes=interval, consumer_id=1, region_id=1, day=20_000,
        readings=(UINT32_MAX,) * n,
    ).encode()  # fmt: skip
    sums, zeroed = harness.sumDays([day] * 10, n)
    assert list(sums) == [10 * UINT32_MAX] * n
    assert zeroed
