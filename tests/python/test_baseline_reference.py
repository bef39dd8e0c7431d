"""The Python reference of the baseline math, on hand-computed cases (SPECIFICATION.md §3).

The contract is compared with this reference in tests/contracts/test_baseline.py; these tests pin
the reference itself to numbers worked out by hand."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from oracles.reference.baseline import (
    BaselineParams,
    Method,
    adjustment_ratio,
    adjustment_window,
    compute,
    max_reward,
    net_readings,
    reward,
    select_days,
)


def flat(wh: int) -> list[int]:
    return [wh] * 24


def test_b2_b5_ten_in_ten_with_adjustment() -> None:
    event = flat(600)
    event[12:15] = [1_100] * 3
    r = compute([flat(1_000)] * 10, event, BaselineParams(start_interval=16, end_interval=20))
    assert (r.baseline_wh, r.actual_wh, r.reduction_wh, r.adjustment_bps) == (
        4_400,
        2_400,
        2_000,
        11_000,
    )


def test_b3_high_five_of_ten() -> None:
    days = [flat((d + 1) * 100) for d in range(10)]
    p = BaselineParams(method=Method.HIGH_FIVE_OF_TEN, start_interval=16, end_interval=20)
    assert select_days(days, p) == [5, 6, 7, 8, 9]


def test_b4_adjustment_window() -> None:
    assert adjustment_window(BaselineParams(start_interval=16, end_interval=20)) == (12, 15)
    assert adjustment_window(BaselineParams(start_interval=3, end_interval=5)) == (0, 2)
    assert adjustment_window(BaselineParams(start_interval=0, end_interval=5)) == (0, 0)


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
        [flat(100)] * 5,
        flat(5_000),
        BaselineParams(start_interval=8, end_interval=9, adj_window_hours=0),
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
        BaselineParams(start_interval=20, end_interval=20)
    with pytest.raises(ValueError, match=r"a baseline needs 5\.\.10 days, got 4"):
        compute([flat(1)] * 4, flat(1), BaselineParams(start_interval=1, end_interval=2))


# B-1..B-6 across resolutions: the same energy on 15-minute and hourly data ----------------------

quarter_day = st.lists(st.integers(0, 500).map(lambda q: 10 * q), min_size=96, max_size=96)


# 11 days of 96 readings per example: slow to generate on a loaded machine, which is no finding
@settings(
    max_examples=500, derandomize=True, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
@given(
    days=st.lists(quarter_day, min_size=10, max_size=10),
    event=quarter_day,
    start=st.integers(0, 23),
    length=st.integers(1, 6),
    method=st.sampled_from(list(Method)),
)
def test_quarter_hours__agree_with_hours_up_to_the_extra_floors(
    days: list[list[int]], event: list[int], start: int, length: int, method: Method
) -> None:
    """The same readings summed into hours give the same day-of ratio (B-5, the window sums are
    exact when every quarter reading is a multiple of the 10 days) and the same actual use; the
    15-minute baseline floors each quarter-hour (B-2, B-6), so it is at most the hourly one and
    below it by less than one Wh per quarter-hour of the event. High-5-of-10 floors the window's
    total once and picks the same days (the window's use is the same), so it is equal."""
    end = min(start + length, 24)

    def hourly(day: list[int]) -> list[int]:
        return [sum(day[4 * h : 4 * h + 4]) for h in range(24)]

    q = BaselineParams(
        method=method, interval_minutes=15, start_interval=4 * start, end_interval=4 * end
    )
    h = BaselineParams(method=method, start_interval=start, end_interval=end)
    fine = compute(days, event, q)
    coarse = compute([hourly(d) for d in days], hourly(event), h)
    assert fine.adjustment_bps == coarse.adjustment_bps
    assert fine.actual_wh == coarse.actual_wh
    if method == Method.HIGH_FIVE_OF_TEN:
        assert fine.baseline_wh == coarse.baseline_wh
    else:
        assert 0 <= coarse.baseline_wh - fine.baseline_wh < 4 * (end - start)


# N-1: a net program's readings ------------------------------------------------------------------

_wh = st.integers(min_value=0, max_value=2**32 - 1)


def test_net_readings__hand_case() -> None:
    """N-1: max(import - export, 0) per interval: an export beyond the import is worth nothing."""
    assert net_readings((500, 300, 0, 1_000), (200, 300, 50, 4_000)) == (300, 0, 0, 0)
    with pytest.raises(ValueError, match="differ in length"):
        net_readings((1, 2), (1,))


@settings(max_examples=500, derandomize=True)
@given(
    st.lists(
        st.tuples(_wh, _wh, st.integers(min_value=0, max_value=2**31)), min_size=1, max_size=96
    )
)
def test_net_readings__property__never_negative_and_more_export_never_pays(
    rows: list[tuple[int, int, int]],
) -> None:
    """N-1: each net reading is in [0, import]; exporting more than the import changes nothing, so
    a reduction can never come from exports beyond consumption."""
    imports = [i for i, _, _ in rows]
    exports = [e for _, e, _ in rows]
    net = net_readings(imports, exports)
    assert all(0 <= n <= i for n, i in zip(net, imports, strict=True))
    assert all(n == max(i - e, 0) for n, i, e in zip(net, imports, exports, strict=True))
    more = [max(e, i) + extra for i, e, extra in rows]  # at least the import, then some
    assert net_readings(imports, more) == (0,) * len(rows)
