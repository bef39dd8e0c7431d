"""Baseline library (contracts/libraries/Baseline.sol) against hand-computed cases and, exactly,
against the Python reference oracles/reference/baseline.py (SPECIFICATION.md §3, rules B-1..B-8)."""

from __future__ import annotations

import brownie
import pytest
from brownie.test import given
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from oracles.reference import baseline as ref
from oracles.reference.baseline import BaselineParams, Method
from tests.contracts.helpers import err

UINT32_MAX = 2**32 - 1


@pytest.fixture(scope="module")
def harness(BaselineHarness, admin):
    return BaselineHarness.deploy({"from": admin})


def flat(wh: int) -> list[int]:
    return [wh] * 24


def event_day(default: int, **hours: int) -> list[int]:
    day = flat(default)
    for key, value in hours.items():
        day[int(key.removeprefix("h"))] = value
    return day


def with_hours(default: int, hours: range, value: int) -> list[int]:
    day = flat(default)
    for h in hours:
        day[h] = value
    return day


P_1620 = BaselineParams(
    start_interval=16, end_interval=20
)  # defaults: 10-in-10, 3 h window, 1 h gap, ±20 %


def check(harness, days, event, p: BaselineParams) -> ref.BaselineResult:
    """Run on-chain and in the reference; they must agree exactly. Returns the reference result."""
    expected = ref.compute(days, event, p)
    assert tuple(harness.compute(days, event, p.as_tuple())) == expected.as_tuple()
    return expected


# B-2 / B-4 / B-5 / B-6: hand-computed cases ------------------------------------------------------


def test_ten_in_ten__day_of_adjustment_within_cap(harness):
    # baseline 1,000 Wh/h; adjustment hours 12-14 read 1,100 -> ratio 11,000 bps (+10 %)
    event = with_hours(600, range(12, 15), 1_100)
    r = check(harness, [flat(1_000)] * 10, event, P_1620)
    assert r.adjustment_bps == 11_000
    assert r.baseline_wh == 4 * 1_100
    assert r.actual_wh == 4 * 600
    assert r.reduction_wh == 4 * 1_100 - 4 * 600


def test_ten_in_ten__inflated_adjustment_window__capped_at_plus_20pct(harness):
    # a consumer gaming the baseline doubles use in the adjustment window: the cap holds at +20 %
    event = with_hours(600, range(12, 15), 2_000)
    r = check(harness, [flat(1_000)] * 10, event, P_1620)
    assert r.adjustment_bps == 12_000
    assert r.baseline_wh == 4 * 1_200


def test_ten_in_ten__low_adjustment_window__capped_at_minus_20pct(harness):
    event = with_hours(600, range(12, 15), 500)
    r = check(harness, [flat(1_000)] * 10, event, P_1620)
    assert r.adjustment_bps == 8_000
    assert r.baseline_wh == 4 * 800
    assert r.reduction_wh == 4 * 800 - 4 * 600


@pytest.mark.parametrize(
    "adj_hour_wh, ratio",
    [(800, 8_000), (799, 8_000), (1_200, 12_000), (1_201, 12_000), (1_199, 11_990)],
)
def test_adjustment_cap__boundaries(harness, adj_hour_wh, ratio):
    event = with_hours(0, range(12, 15), adj_hour_wh)
    r = check(harness, [flat(1_000)] * 10, event, P_1620)
    assert r.adjustment_bps == ratio


def test_interval_baseline__rounds_down(harness):
    # hour average 10,003 / 10 = 1,000.3 -> 1,000 Wh; no adjustment (window 0 h)
    days = [flat(1_001)] * 3 + [flat(1_000)] * 7
    p = BaselineParams(start_interval=16, end_interval=17, adj_window_hours=0)
    r = check(harness, days, flat(0), p)
    assert r.baseline_wh == 1_000
    assert r.adjustment_bps == 10_000


def test_early_event__empty_adjustment_window__no_adjustment(harness):
    p = BaselineParams(start_interval=1, end_interval=3)  # window would end at hour 0: empty
    assert tuple(harness.adjustmentWindow(p.as_tuple())) == (0, 0)
    r = check(harness, [flat(1_000)] * 10, flat(5_000), p)
    assert r.adjustment_bps == 10_000
    assert r.reduction_wh == 0  # used more than baseline: never negative


def test_adjustment_window__clipped_at_midnight(harness):
    p = BaselineParams(start_interval=3, end_interval=5)  # ends at 2, would start at -1
    assert tuple(harness.adjustmentWindow(p.as_tuple())) == (0, 2)


def test_five_days__fewest_allowed(harness):
    r = check(
        harness, [flat(1_000)] * 5, flat(400), BaselineParams(start_interval=0, end_interval=24)
    )
    assert r.baseline_wh == 24_000
    assert r.reduction_wh == 24 * 600


# B-3: high-5-of-10 ------------------------------------------------------------------------------


def test_high_five_of_ten__takes_the_five_highest_event_window_days(harness):
    days = [flat((d + 1) * 100) for d in range(10)]  # day d uses (d+1)*100 Wh every hour
    p = BaselineParams(
        method=Method.HIGH_FIVE_OF_TEN, start_interval=16, end_interval=20, adj_window_hours=0
    )
    r = check(harness, days, flat(0), p)
    assert r.baseline_wh == 4 * (600 + 700 + 800 + 900 + 1_000) // 5


def test_high_five_of_ten__ties_go_to_the_more_recent_days(harness):
    # all days tie on the event window; days 0-4 (most recent) differ outside it, in hour 0
    days = [event_day(1_000, h0=1) for _ in range(5)] + [
        event_day(1_000, h0=9_999) for _ in range(5)
    ]
    p = BaselineParams(
        method=Method.HIGH_FIVE_OF_TEN, start_interval=12, end_interval=24, adj_window_hours=0
    )
    assert ref.select_days(days, p) == [0, 1, 2, 3, 4]
    p_all_day = BaselineParams(
        method=Method.HIGH_FIVE_OF_TEN, start_interval=0, end_interval=24, adj_window_hours=0
    )
    r = check(harness, days, flat(0), p_all_day)  # hour 0 decides now: days 5-9 win
    assert r.baseline_wh == 9_999 + 23 * 1_000


# B-1: invalid input, each with its own error ----------------------------------------------------


@pytest.mark.parametrize("count", [0, 4, 11])
def test_compute__wrong_day_count__reverts(harness, count):
    with brownie.reverts(err("InvalidBaselineDayCount", count)):
        harness.compute([flat(1)] * count, flat(1), P_1620.as_tuple())


@pytest.mark.parametrize(
    "params, error",
    [
        ((2, 60, 16, 20, 3, 1, 2_000), err("UnknownBaselineMethod", 2)),
        ((0, 60, 20, 20, 3, 1, 2_000), err("InvalidEventWindow", 20, 20)),
        ((0, 60, 20, 16, 3, 1, 2_000), err("InvalidEventWindow", 20, 16)),
        ((0, 60, 16, 25, 3, 1, 2_000), err("InvalidEventWindow", 16, 25)),
        ((0, 15, 90, 97, 3, 1, 2_000), err("InvalidEventWindow", 90, 97)),
        ((0, 20, 16, 20, 3, 1, 2_000), err("InvalidMeterIntervalLength", 20)),
        ((0, 60, 16, 20, 3, 1, 10_001), err("InvalidAdjustmentCap", 10_001)),
    ],
)
def test_compute__invalid_params__reverts(harness, params, error):
    with brownie.reverts(error):
        harness.compute([flat(1)] * 10, flat(1), params)


def test_compute__days_not_of_the_interval__reverts(harness):
    """B-1: every day holds one reading per interval of the params' interval (96 for 15 minutes)."""
    quarter = BaselineParams(interval_minutes=15, start_interval=69, end_interval=75).as_tuple()
    with brownie.reverts(err("InvalidDayLength", 24, 96)):
        harness.compute([[1] * 96] * 10, flat(1), quarter)
    with brownie.reverts(err("InvalidDayLength", 24, 96)):
        harness.compute([[1] * 96] * 9 + [flat(1)], [1] * 96, quarter)


# B-1 .. B-6 on 15- and 30-minute data: hand-computed --------------------------------------------


def test_quarter_hours__event_17_15_to_18_45(harness):
    """15-minute data, event 17:15-18:45 (intervals 69..75). B-4 counts the 3-hour window and its
    1-hour gap in quarter-hours: 53..65 (13:15-16:15). Baseline days 250 Wh a quarter; the event
    day reads 275 in the window (ratio 11,000) and 100 in the event: baseline 6 x 275 = 1,650,
    actual 600, reduction 1,050."""
    p = BaselineParams(interval_minutes=15, start_interval=69, end_interval=75)
    assert ref.adjustment_window(p) == (53, 65)
    assert tuple(harness.adjustmentWindow(p.as_tuple())) == (53, 65)
    event = [250] * 96
    for k in range(53, 65):
        event[k] = 275
    for k in range(69, 75):
        event[k] = 100
    r = check(harness, [[250] * 96] * 10, event, p)
    assert r.as_tuple() == (1_650, 600, 1_050, 11_000)


def test_half_hours__event_17_30_to_18_30__cap_and_floor(harness):
    """30-minute data, event 17:30-18:30 (intervals 35..37), window 27..33 (13:30-16:30). Baseline
    days alternate 501 and 500 Wh: each interval's average floors to 500 (B-2). The event day reads
    300 in the window: ratio 6,000, clamped to the cap's floor 8,000 (B-5); baseline 2 x 400 = 800,
    actual 2 x 150 = 300, reduction 500."""
    p = BaselineParams(interval_minutes=30, start_interval=35, end_interval=37)
    assert ref.adjustment_window(p) == (27, 33)
    days = [[501 if d % 2 else 500] * 48 for d in range(10)]
    event = [500] * 48
    for k in range(27, 33):
        event[k] = 300
    event[35] = event[36] = 150
    r = check(harness, days, event, p)
    assert r.as_tuple() == (800, 300, 500, 8_000)


def test_high_five_of_ten__quarter_hours__picks_by_window_use(harness):
    """B-3 on 15-minute data: the 5 days with the largest use over intervals 69..75 are chosen; the
    window's total is floored once (B-6). Days d = 0..9 read 100 + d in the event window (and 200
    elsewhere): days 5..9 are chosen, total 6 x (105+106+107+108+109) = 3,210, baseline 642."""
    p = BaselineParams(
        method=Method.HIGH_FIVE_OF_TEN, interval_minutes=15, start_interval=69, end_interval=75,
        adj_window_hours=0,
    )  # fmt: skip
    days = []
    for d in range(10):
        day = [200] * 96
        for k in range(69, 75):
            day[k] = 100 + d
        days.append(day)
    r = check(harness, days, [50] * 96, p)
    assert r.as_tuple() == (642, 300, 342, 10_000)


# B-7 / B-8: reward -----------------------------------------------------------------------------

RATE = 250_000  # 0.25 mUSD per kWh (6 decimals)


@pytest.mark.parametrize(
    "reduction, committed, expected",
    [
        (2_000, 2_500, 2_000 * RATE // 1_000),  # 80 % delivered: paid for what was delivered
        (1_250, 2_500, 1_250 * RATE // 1_000),  # exactly the 50 % minimum: paid
        (1_249, 2_500, 0),  # below the minimum delivery ratio: nothing
        (4_000, 2_500, 3_000 * RATE // 1_000),  # over-delivery paid up to +20 %
        (0, 0, 0),
    ],
)
def test_reward__hand_computed(harness, reduction, committed, expected):
    assert harness.reward(reduction, committed, RATE, 5_000, 2_000) == expected
    assert ref.reward(reduction, committed, RATE, 5_000, 2_000) == expected


def test_reward__rounds_down(harness):
    # 1,001 Wh x 333 units/kWh = 333.333 units -> 333
    assert harness.reward(1_001, 1_001, 333, 5_000, 0) == 333


def test_max_reward__is_the_largest_reward(harness):
    assert harness.maxReward(2_500, RATE, 2_000) == 3_000 * RATE // 1_000
    assert harness.maxReward(2_500, RATE, 2_000) == harness.reward(10**9, 2_500, RATE, 5_000, 2_000)


# Differential: the contract equals the reference, to the Wh ------------------------------------

hours24 = st.lists(st.integers(0, UINT32_MAX), min_size=24, max_size=24)
small24 = st.lists(st.integers(0, 3_000), min_size=24, max_size=24)


@st.composite
def params(draw) -> BaselineParams:
    start = draw(st.integers(0, 23))
    return BaselineParams(
        method=draw(st.sampled_from(list(Method))),
        start_interval=start,
        end_interval=draw(st.integers(start + 1, 24)),
        adj_window_hours=draw(st.integers(0, 6)),
        adj_gap_hours=draw(st.integers(0, 4)),
        adj_cap_bps=draw(st.sampled_from([0, 1, 2_000, 5_000, 10_000])),
    )


@settings(max_examples=150)
@given(
    days=st.lists(st.one_of(hours24, small24), min_size=5, max_size=10),
    event=st.one_of(hours24, small24),
    p=params(),
)
def test_compute__equals_reference(harness, days, event, p):
    check(harness, days, event, p)


@settings(max_examples=30, derandomize=True)
@given(
    days=st.lists(st.one_of(hours24, small24), min_size=5, max_size=10),
    event=st.one_of(hours24, small24),
    p=params(),
)
def test_compute_ten_in_ten__from_sums__equals_reference(harness, days, event, p):
    """B-2: 10-in-10 from per-hour sums (what batch settlement adds up while reading, S-11) equals the
    reference; the hours outside [adjustment start, end) are never read (here they hold junk)."""
    p = p.model_copy(update={"method": Method.TEN_IN_TEN})
    start, _ = harness.adjustmentWindow(p.as_tuple())
    sums = [
        sum(d[h] for d in days) if start <= h < p.end_interval else 7 * h + 1 for h in range(24)
    ]
    want = ref.compute(days, event, p).as_tuple()
    assert tuple(harness.computeTenInTen(sums, len(days), event, p.as_tuple())) == want


@st.composite
def interval_case(draw):  # type: ignore[no-untyped-def]
    interval = draw(st.sampled_from([15, 30]))
    n = 1_440 // interval
    start = draw(st.integers(0, n - 1))
    p = BaselineParams(
        method=draw(st.sampled_from(list(Method))),
        interval_minutes=interval,
        start_interval=start,
        end_interval=draw(st.integers(start + 1, n)),
        adj_window_hours=draw(st.integers(0, 6)),
        adj_gap_hours=draw(st.integers(0, 4)),
        adj_cap_bps=draw(st.sampled_from([0, 1, 2_000, 5_000, 10_000])),
    )
    day = st.lists(
        st.one_of(st.integers(0, UINT32_MAX), st.integers(0, 800)), min_size=n, max_size=n
    )
    return draw(st.lists(day, min_size=5, max_size=10)), draw(day), p


# generating 96-interval days is slow on a loaded machine: the generation's speed is no finding
@settings(max_examples=30, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=interval_case())
def test_compute__sub_hourly__equals_reference(harness, case):
    """B-1..B-6 on 15- and 30-minute data: the contract equals the reference to the Wh (the pure
    reference's many-example twin: tests/python/test_baseline_reference.py)."""
    days, event, p = case
    check(harness, days, event, p)


def test_compute_ten_in_ten__other_method_or_day_count__reverts(harness):
    high = BaselineParams(method=Method.HIGH_FIVE_OF_TEN, start_interval=16, end_interval=20)
    with brownie.reverts(err("UnknownBaselineMethod", 1)):
        harness.computeTenInTen([0] * 24, 10, flat(1), high.as_tuple())
    for n in (4, 11):
        with brownie.reverts(err("InvalidBaselineDayCount", n)):
            harness.computeTenInTen([0] * 24, n, flat(1), P_1620.as_tuple())


@settings(max_examples=100)
@given(
    reduction=st.integers(0, 10**12),
    committed=st.integers(0, 10**12),
    rate=st.integers(0, 10**12),
    min_bps=st.integers(0, 10_000),
    bonus_bps=st.integers(0, 10_000),
)
def test_reward__equals_reference(harness, reduction, committed, rate, min_bps, bonus_bps):
    assert harness.reward(reduction, committed, rate, min_bps, bonus_bps) == ref.reward(
        reduction, committed, rate, min_bps, bonus_bps
    )
    assert harness.maxReward(committed, rate, bonus_bps) == ref.max_reward(
        committed, rate, bonus_bps
    )
