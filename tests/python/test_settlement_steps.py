"""The step-by-step settlement math `gridbalance verify` prints (oracles/reference/settlement_steps.py):
on hand-computed cases, and equal to the reference's `compute` and `reward` on any input (B-2..B-9)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference.baseline import BaselineParams, Method, compute, reward
from oracles.reference.settlement_steps import steps

TERMS = {"committed_wh": 2_000, "rate": 500_000, "min_delivery_bps": 5_000, "bonus_cap_bps": 2_000}


def test_ten_in_ten__capped_ratio_and_commitment_cap() -> None:
    """Ten days of 1,000 Wh an hour; the event day uses 1,500 in the adjustment window 12-15
    (ratio 15,000, capped at 12,000) and nothing 16-20: baseline 4 x 1,200, reward for 2,400 Wh."""
    event = [1_000] * 24
    event[12:15] = [1_500] * 3
    event[16:20] = [0] * 4
    s = steps([[1_000] * 24] * 10, event, BaselineParams(start_interval=16, end_interval=20),
              gapped=False, **TERMS)  # fmt: skip
    a = s.adjustment
    assert (a.start_interval, a.end_interval, a.baseline_wh, a.actual_wh) == (12, 15, 3_000, 4_500)
    assert (a.raw_bps, a.ratio_bps, a.why) == (15_000, 12_000, "capped")
    assert [(r.baseline_wh, r.adjusted_wh, r.actual_wh) for r in s.intervals] == [
        (1_000, 1_200, 0)
    ] * 4
    assert (s.baseline_wh, s.actual_wh, s.reduction_wh) == (4_800, 0, 4_800)
    assert (s.reward.cap_wh, s.reward.payable_wh, s.reward.reward) == (2_400, 2_400, 1_200_000)


def test_high_five__the_five_highest_days_and_one_floor() -> None:
    """High-5-of-10: the five days with the most use in the window enter; the window's total is
    adjusted and floored once (B-3, B-6)."""
    days = [[100 * (d + 1)] * 24 for d in range(10)]  # day d uses 100(d+1) each hour
    s = steps(days, [0] * 24, BaselineParams(method=Method.HIGH_FIVE_OF_TEN, start_interval=17,
              end_interval=19, adj_window_hours=0), gapped=False, **TERMS)  # fmt: skip
    assert s.method == "high-5-of-10" and s.selected == [5, 6, 7, 8, 9]
    assert [r.adjusted_wh for r in s.intervals] == [None, None]
    assert s.adjustment.why == "no adjustment window" and s.adjustment.ratio_bps == 10_000
    assert s.baseline_wh == 2 * 800 and s.reduction_wh == 1_600


def test_gap__ratio_at_the_caps_floor() -> None:
    days = [[1_000] * 24] * 9 + [[0] * 24]
    s = steps(days, [0] * 24, BaselineParams(start_interval=17, end_interval=19), gapped=True,
              **TERMS)  # fmt: skip
    assert s.adjustment.why == "gap: cap floor (B-9)" and s.adjustment.ratio_bps == 8_000
    assert [r.baseline_wh for r in s.intervals] == [900, 900]
    assert s.baseline_wh == 2 * 720


def test_below_minimum_delivery__no_reward() -> None:
    event = [1_000] * 24
    event[17] = 500  # 500 Wh of 2,000 committed: below 50 %
    s = steps([[1_000] * 24] * 5, event, BaselineParams(start_interval=17, end_interval=18),
              gapped=False, **TERMS)  # fmt: skip
    assert s.reduction_wh == 500 and not s.reward.delivered and s.reward.reward == 0


@settings(max_examples=300, derandomize=True)
@given(
    interval=st.sampled_from([15, 30, 60]),
    method=st.sampled_from(list(Method)),
    n_days=st.integers(5, 10),
    data=st.data(),
    gapped=st.booleans(),
    committed=st.integers(1, 50_000),
    rate=st.integers(0, 10**7),
    cap=st.integers(0, 10_000),
    window_hours=st.integers(0, 5),
    gap_hours=st.integers(0, 3),
)
def test_steps__equal_compute_and_reward(
    interval: int,
    method: Method,
    n_days: int,
    data: st.DataObject,
    gapped: bool,
    committed: int,
    rate: int,
    cap: int,
    window_hours: int,
    gap_hours: int,
) -> None:
    per_day = 1_440 // interval
    reading = st.integers(0, 5_000)
    day = st.lists(reading, min_size=per_day, max_size=per_day)
    days = data.draw(st.lists(day, min_size=n_days, max_size=n_days))
    event = data.draw(day)
    start = data.draw(st.integers(0, per_day - 1))
    end = data.draw(st.integers(start + 1, per_day))
    p = BaselineParams(method=method, interval_minutes=interval, start_interval=start,
                       end_interval=end, adj_window_hours=window_hours, adj_gap_hours=gap_hours,
                       adj_cap_bps=cap)  # fmt: skip
    s = steps(days, event, p, gapped=gapped, committed_wh=committed, rate=rate,
              min_delivery_bps=5_000, bonus_cap_bps=2_000)  # fmt: skip
    assert s.result() == compute(days, event, p, gapped)
    assert s.reward.reward == reward(s.reduction_wh, committed, rate, 5_000, 2_000)
    assert len(s.intervals) == end - start
    assert s.actual_wh == sum(r.actual_wh for r in s.intervals)
