"""The rolling-cap reference (oracles/reference/day_bitmap.py), many examples, pure Python."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference.day_bitmap import WINDOW_DAYS, rolling_cap_reached


def test_hand_cases() -> None:
    assert not rolling_cap_reached(set(), 100, 1)
    assert rolling_cap_reached({100 - 29}, 100, 1) and rolling_cap_reached({100 + 29}, 100, 1)
    assert not rolling_cap_reached({100 - 30, 100 + 30}, 100, 1)
    assert not rolling_cap_reached({90, 110}, 100, 3) and rolling_cap_reached({90, 110}, 100, 2)
    with pytest.raises(ValueError, match="already taken"):
        rolling_cap_reached({100}, 100, 1)


@settings(max_examples=500, derandomize=True)
@given(st.sets(st.integers(0, 120), max_size=20), st.integers(30, 90), st.integers(1, 8))
def test_admitting_keeps_every_window_under_the_cap(taken: set[int], day: int, cap: int) -> None:
    """Whatever the order days arrive in, admitting only days that do not reach the cap keeps every
    30-day window at or under it (the property the ledger needs, P-3/V-4)."""
    admitted: set[int] = set()
    for d in sorted(
        taken, key=lambda x: (x * 7919) % 131
    ):  # an arbitrary, not chronological, order
        if d not in admitted and not rolling_cap_reached(admitted, d, cap):
            admitted.add(d)
    for start in range(-WINDOW_DAYS, 150):
        assert sum(1 for d in admitted if start <= d < start + WINDOW_DAYS) <= cap
