"""The Python reference of the baseline math, on hand-computed cases (SPECIFICATION.md §3).

The contract is compared with this reference in tests/contracts/test_baseline.py; these tests pin
the reference itself to numbers worked out by hand."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from oracles.reference.baseline import (
    BaselineParams,
    Method,
    adjustment_ratio,
    adjustment_window,
    compute,
    max_reward,
    reward,
    select_days,
)


def flat(wh: int) -> list[int]:
    return [wh] * 24


def test_b2_b5_ten_in_ten_with_adjustment() -> None:
    event = flat(600)
    event[12:15] = [1_100] * 3
    r = compute([flat(1_000)] * 10, event, BaselineParams(start_hour=16, end_hour=20))
    assert (r.baseline_wh, r.actual_wh, r.reduction_wh, r.adjustment_bps) == (
        4_400,
        2_400,
        2_000,
        11_000,
    )


def test_b3_high_five_of_ten() -> None:
    days = [flat((d + 1) * 100) for d in range(10)]
    p = BaselineParams(method=Method.HIGH_FIVE_OF_TEN, start_hour=16, end_hour=20)
    assert select_days(days, p) == [5, 6, 7, 8, 9]


def test_b4_adjustment_window() -> None:
    assert adjustment_window(BaselineParams(start_hour=16, end_hour=20)) == (12, 15)
    assert adjustment_window(BaselineParams(start_hour=3, end_hour=5)) == (0, 2)
    assert adjustment_window(BaselineParams(start_hour=0, end_hour=5)) == (0, 0)


@pytest.mark.parametrize(
    "actual, base, cap, has_window, expected",
    [
        (3_300, 3_000, 2_000, True, 11_000),
        (9_000, 3_000, 2_000, True, 12_000),
        (1_000, 3_000, 2_000, True, 8_000),
        (1_000, 0, 2_000, True, 10_000),  # no baseline use in the window: no adjustment
        (1_000, 3_000, 2_000, False, 10_000),
        (2, 3, 10_000, True, 6_666),  # rounds down
    ],
)
def test_b5_adjustment_ratio(
    actual: int, base: int, cap: int, has_window: bool, expected: int
) -> None:
    assert adjustment_ratio(actual, base, cap, has_window) == expected


def test_b6_reduction_never_negative() -> None:
    r = compute(
        [flat(100)] * 5, flat(5_000), BaselineParams(start_hour=8, end_hour=9, adj_window_hours=0)
    )
    assert r.reduction_wh == 0
    assert r.actual_wh == 5_000


def test_b7_b8_reward() -> None:
    assert reward(2_000, 2_500, 250_000, 5_000, 2_000) == 500_000
    assert reward(1_249, 2_500, 250_000, 5_000, 2_000) == 0
    assert reward(4_000, 2_500, 250_000, 5_000, 2_000) == 750_000
    assert max_reward(2_500, 250_000, 2_000) == 750_000


def test_b1_invalid_params_and_day_counts() -> None:
    with pytest.raises(ValidationError, match=r"event window 20\.\.20 is empty"):
        BaselineParams(start_hour=20, end_hour=20)
    with pytest.raises(ValueError, match=r"a baseline needs 5\.\.10 days, got 4"):
        compute([flat(1)] * 4, flat(1), BaselineParams(start_hour=1, end_hour=2))
