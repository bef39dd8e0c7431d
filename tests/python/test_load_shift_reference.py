"""The load-shifting reference (oracles/reference/load_shift.py; SPECIFICATION.md L-1..L-5) on its
own: hand-computed cases, every edge of the rebound window and of neutrality, and properties over
random data (hypothesis, many examples: the pure reference is fast). The chain is compared with this
reference in ``tests/contracts/test_load_shift.py``."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from oracles.reference import load_shift as ls

HOURS = 24


def params(start: int = 16, end: int = 20, interval: int = 60) -> ref.BaselineParams:
    return ref.BaselineParams(
        interval_minutes=interval, start_interval=start, end_interval=end, adj_window_hours=0
    )


def terms(start: int = 20, end: int = 24, tol: int = 2_000) -> ls.ShiftTerms:
    return ls.ShiftTerms(rebound_start=start, rebound_end=end, neutrality_bps=tol)


def test_l4_hand_computed__a_neutral_shift_is_paid_for_the_smaller_side():
    """L-3..L-5: baseline 1,000 Wh/h; 16-20 at 700 (R = 1,200), 20-24 at 1,250 (I = 1,000):
    |R - I| = 200 <= 20 % of 1,200, neutral, shifted min(1,200, 1,000) = 1,000."""
    days = [[1_000] * HOURS] * 10
    event = [1_000] * 16 + [700] * 4 + [1_250] * 4
    base, s = ls.compute_shift(days, event, params(), terms())
    assert s.as_tuple() == (1_200, 4_000, 5_000, 1_000, 1_000, True)
    assert base.as_tuple() == (4_000, 2_800, 1_000, 10_000)


def test_l4_hand_computed__a_curtailment_is_not_a_shift():
    days = [[1_000] * HOURS] * 10
    event = [1_000] * 16 + [500] * 4 + [1_000] * 4  # R = 2,000, no rebound
    base, s = ls.compute_shift(days, event, params(), terms())
    assert (s.reduction_wh, s.rebound_wh, s.neutral, s.shifted_wh) == (2_000, 0, False, 0)
    assert base.reduction_wh == 0


def test_l3_rebound_baseline__floored_per_interval():
    """L-3: the rebound window's baseline floors each interval's 10-in-10 average, as B-2."""
    days = [[1_001] * HOURS] * 3 + [[1_000] * HOURS] * 4  # 7 days: 7,003 / 7 = 1,000.43 -> 1,000
    _, s = ls.compute_shift(days, [1_000] * HOURS, params(), terms())
    assert s.rebound_baseline_wh == 4 * 1_000


def test_l1_compute_refuses_other_terms():
    with pytest.raises(ValueError, match="L-1"):
        ls.compute_shift(
            [[1] * HOURS] * 5,
            [1] * HOURS,
            params().model_copy(update={"adj_window_hours": 3}),
            terms(),
        )
    with pytest.raises(ValueError, match="L-1"):
        ls.compute_shift(
            [[1] * HOURS] * 5,
            [1] * HOURS,
            params().model_copy(update={"method": ref.Method.HIGH_FIVE_OF_TEN}),
            terms(),
        )
    with pytest.raises(ValueError, match=r"5\.\.10"):
        ls.compute_shift([[1] * HOURS] * 4, [1] * HOURS, params(), terms())


@pytest.mark.parametrize(
    "method,adj,hours,tol,invalid",
    [(0, 0, 1, 0, False), (0, 0, 12, 10_000, False), (1, 0, 4, 2_000, True), (0, 1, 4, 2_000, True),
     (0, 0, 0, 2_000, True), (0, 0, 13, 2_000, True), (0, 0, 4, 10_001, True)],
)  # fmt: skip
def test_l1_invalid_load_shift__edges(method, adj, hours, tol, invalid):
    assert ls.invalid_load_shift(method, adj, hours, tol) is invalid


def test_settlement_result__dispatches_by_type():
    """A peak-shaving program's result is B-2..B-6's; a load shift with a gap is insufficient (L-3)."""
    days = [[1_000] * HOURS] * 10
    event = [1_000] * 16 + [700] * 4 + [1_250] * 4
    plain, none = ls.settlement_result(days, event, params(), False, None)
    assert none is None and plain == ref.compute(days, event, params())
    assert ls.settlement_result(days, event, params(), True, terms()) == (None, None)
    shifted, s = ls.settlement_result(days, event, params(), False, terms())
    assert s is not None and shifted is not None and shifted.reduction_wh == s.shifted_wh


day_st = st.lists(st.integers(0, 6_000), min_size=HOURS, max_size=HOURS)


@settings(max_examples=400)
@given(
    interval=st.sampled_from([15, 30, 60]),
    start=st.integers(0, 95),
    length=st.integers(1, 96),
    hours=st.integers(1, 12),
    before=st.booleans(),
)
def test_l2_rebound_window__adjacent_inside_the_day(interval, start, length, hours, before):
    per_day = ref.intervals_per_day(interval)
    start = start % per_day
    end = min(start + length, per_day)
    rs, re_ = ls.rebound_window(interval, start, end, hours, before)
    assert 0 <= rs <= re_ <= per_day
    assert re_ - rs <= hours * 60 // interval
    if before:
        assert re_ == start and (rs == 0 or re_ - rs == hours * 60 // interval)
    else:
        assert rs == end and (re_ == per_day or re_ - rs == hours * 60 // interval)


@settings(max_examples=600)
@given(
    days=st.lists(day_st, min_size=5, max_size=10),
    event=day_st,
    start=st.integers(0, 22),
    length=st.integers(1, 6),
    hours=st.integers(1, 12),
    before=st.booleans(),
    tol=st.integers(0, 10_000),
)
def test_l4_l5_properties(days, event, start, length, hours, before, tol):
    """Shifted energy is at most the reduction and the rebound, positive only when neutral; the
    reward never exceeds the reservation (B-8)."""
    end = min(start + length, HOURS)
    t = ls.shift_terms(60, start, end, hours, before, tol)
    base, s = ls.compute_shift(days, event, params(start, end), t)
    assert s.shifted_wh <= min(s.reduction_wh, s.rebound_wh)
    assert (s.shifted_wh > 0) == (s.neutral and s.rebound_wh > 0)
    assert s.neutral == (
        s.reduction_wh > 0 and abs(s.reduction_wh - s.rebound_wh) * 10_000 <= tol * s.reduction_wh
    )
    assert base.reduction_wh == s.shifted_wh
    assert base.adjustment_bps == 10_000
    plain = ref.compute(days, event, params(start, end))
    assert (base.baseline_wh, base.actual_wh) == (plain.baseline_wh, plain.actual_wh)
    assert s.reduction_wh == plain.reduction_wh
    committed = max(1, s.reduction_wh)
    reward = ref.reward(base.reduction_wh, committed, 500_000, 5_000, 2_000)
    assert reward <= ref.max_reward(committed, 500_000, 2_000)


@settings(max_examples=600)
@given(
    days=st.lists(day_st, min_size=6, max_size=10),
    event=day_st,
    withheld=st.sets(st.integers(0, 9), min_size=1, max_size=5),
    hours=st.integers(1, 8),
    before=st.booleans(),
)
def test_attack_l3_gaps_as_zeros_would_raise_the_rebound(days, event, withheld, hours, before):
    """Why L-3 refuses gaps: read as zeros (B-9's rule), a withheld baseline day never lowers the
    rebound and never raises the reduction, so withholding could turn a non-neutral result into a
    paid one; under L-3 a withheld day settles as insufficient data, paid nothing."""
    withheld = {w for w in withheld if w < len(days)}
    if not withheld:
        return
    candidates = list(range(len(days)))
    t = ls.shift_terms(60, 16, 20, hours, before, 2_000)
    honest_base, honest = ls.compute_shift(days, event, params(), t)
    gapped = walk.baseline_inputs(candidates, lambda d: None if d in withheld else days[d])
    _, zeros = ls.compute_shift(gapped.days, event, params(), t)
    assert zeros.rebound_wh >= honest.rebound_wh
    assert zeros.reduction_wh <= honest.reduction_wh
    assert ls.settlement_result(gapped.days, event, params(), gapped.gapped, t) == (None, None)
    assert honest_base.reduction_wh >= 0  # the honest data settles, and may be paid
