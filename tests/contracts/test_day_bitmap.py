"""DayBitmap's rolling cap against the Python reference (P-3, V-4; oracles/reference/day_bitmap.py)."""

from __future__ import annotations

import pytest
from brownie.test import given
from hypothesis import settings
from hypothesis import strategies as st

from oracles.reference.day_bitmap import WINDOW_DAYS, rolling_cap_reached

DAY = 20_000 + 240  # near a word boundary (day >> 8 changes at 20,224 and 20,480): 2-word segments


@pytest.fixture(scope="module")
def harness_factory(DayBitmapHarness, accounts):  # type: ignore[no-untyped-def]
    def deploy(days: list[int]):  # type: ignore[no-untyped-def]
        h = DayBitmapHarness.deploy({"from": accounts[0]})
        if days:
            h.setDays(days, {"from": accounts[0]})
        return h

    return deploy


def test_window_is_thirty_days(DayBitmapHarness, accounts):  # type: ignore[no-untyped-def]
    """Hand cases: a day 29 days away shares a window with `day`, one 30 days away does not."""
    assert WINDOW_DAYS == 30
    h = DayBitmapHarness.deploy({"from": accounts[0]})
    h.setDays([DAY + 29], {"from": accounts[0]})
    assert h.rollingCapReached(DAY, 1) is True and rolling_cap_reached({DAY + 29}, DAY, 1)
    assert h.rollingCapReached(DAY - 1, 1) is False and not rolling_cap_reached(
        {DAY + 29}, DAY - 1, 1
    )
    assert h.rollingCapReached(DAY + 58, 1) is True
    assert h.rollingCapReached(DAY + 59, 1) is False
    assert h.rollingCapReached(DAY, 2) is False


@settings(max_examples=25, derandomize=True, deadline=None)
@given(
    taken=st.sets(st.integers(min_value=DAY - 40, max_value=DAY + 40), max_size=12),
    offset=st.integers(min_value=-20, max_value=20),
    cap=st.integers(min_value=1, max_value=6),
)
def test_rolling_cap_equals_reference(harness_factory, taken, offset, cap):  # type: ignore[no-untyped-def]
    """P-3, V-4: for random taken days, a day and a cap, the contract and the reference agree."""
    day = DAY + offset
    taken = taken - {day}
    h = harness_factory(sorted(taken))
    assert h.rollingCapReached(day, cap) == rolling_cap_reached(taken, day, cap)
