"""P2 on the Python reference: withholding never pays (SPECIFICATION.md B-9, S-3, S-4, S-6).

Random consumer data, random baseline parameters and random withheld or flagged subsets of the
baseline days: the reward computed with the gaps is never above the reward of the honest data, to
the Wh and to the token unit. The chain is checked against this same reference in
``tests/contracts/test_trust_data.py``."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk

HOURS = 24
EVENT_DAY = 20_500  # a Wednesday


def _reward(result: ref.BaselineResult | None, committed: int) -> int:
    if result is None:
        return 0
    return ref.reward(result.reduction_wh, committed, 500_000, 2_000, 5_000)


def _settle(
    days: list[int],
    readings: dict[int, tuple[int, ...]],
    event: tuple[int, ...],
    p: ref.BaselineParams,
    gaps: set[int],
) -> ref.BaselineResult | None:
    inputs = walk.baseline_inputs(days, lambda d: None if d in gaps else readings[d])
    if not walk.sufficient(True, inputs):
        return None
    return ref.compute(inputs.days, event, p, inputs.gapped)


readings_st = st.tuples(*[st.integers(0, 5_000)] * HOURS)


@settings(max_examples=400, deadline=None)
@given(
    data=st.data(),
    method=st.sampled_from(list(ref.Method)),
    start=st.integers(0, 22),
    length=st.integers(1, 6),
    window=st.integers(0, 4),
    gap_hours=st.integers(0, 2),
    cap=st.sampled_from([0, 1, 2_000, 5_000, 10_000]),
    activation_back=st.integers(5, 60),
    holidays=st.sets(st.integers(EVENT_DAY - 45, EVENT_DAY - 1), max_size=6),
    event_days=st.sets(st.integers(EVENT_DAY - 45, EVENT_DAY - 1), max_size=6),
    committed=st.integers(1, 20_000),
)
def test_p2_withholding_never_raises_the_reward(
    data: st.DataObject,
    method: ref.Method,
    start: int,
    length: int,
    window: int,
    gap_hours: int,
    cap: int,
    activation_back: int,
    holidays: set[int],
    event_days: set[int],
    committed: int,
) -> None:
    """P2, B-9: for any data and any subset of the baseline days withheld, flagged missing or
    unsigned, reward(with gaps) <= reward(honest); the baseline days do not depend on the data."""
    p = ref.BaselineParams(
        method=method,
        start_interval=start,
        end_interval=min(start + length, HOURS),
        adj_window_hours=window,
        adj_gap_hours=gap_hours,
        adj_cap_bps=cap,
    )
    days = walk.candidate_days(EVENT_DAY, EVENT_DAY - activation_back, holidays, event_days)
    readings = {d: data.draw(readings_st) for d in days}
    event = data.draw(readings_st)
    gaps = data.draw(st.sets(st.sampled_from(days))) if days else set()
    honest = _settle(days, readings, event, p, set())
    withheld = _settle(days, readings, event, p, gaps)
    if withheld is not None:
        assert honest is not None
        assert withheld.baseline_wh <= honest.baseline_wh
        assert withheld.reduction_wh <= honest.reduction_wh
    assert _reward(withheld, committed) <= _reward(honest, committed)


@settings(max_examples=200, deadline=None)
@given(
    activation_back=st.integers(1, 80),
    holidays=st.sets(st.integers(EVENT_DAY - 50, EVENT_DAY), max_size=8),
    event_days=st.sets(st.integers(EVENT_DAY - 50, EVENT_DAY - 1), max_size=8),
    event_day=st.integers(EVENT_DAY, EVENT_DAY + 6),
)
def test_baseline_days_are_region_facts_only(
    activation_back: int, holidays: set[int], event_days: set[int], event_day: int
) -> None:
    """S-3: at most 10 like days, most recent first, after activation, within 45 days, none an event
    day; a weekday event skips holidays, a weekend or holiday event takes weekend days and holidays."""
    activation = event_day - activation_back
    days = walk.candidate_days(event_day, activation, holidays, event_days)
    assert len(days) <= walk.MAX_DAYS and days == sorted(days, reverse=True)
    weekend_like = walk.is_weekend(event_day) or event_day in holidays
    for d in days:
        assert max(event_day - walk.LOOKBACK_DAYS, activation + 1) <= d < event_day
        assert d not in event_days
        assert (walk.is_weekend(d) or d in holidays) == weekend_like
    # no like day more recent than the oldest chosen one was passed over
    if days:
        for d in range(days[-1], event_day):
            like = (walk.is_weekend(d) or d in holidays) == weekend_like
            if like and d not in event_days and d > activation:
                assert d in days


def test_p2_gap_counts_as_the_worst_case() -> None:
    """B-9 by hand: one gap among ten flat days of 100 Wh/h, 10-in-10, event 16-20, ratio floor 0.8:
    the gap day counts as 0 (hour average 90) and the ratio is 8,000 bps: 4 x 72 = 288 Wh."""
    p = ref.BaselineParams(start_interval=16, end_interval=20)
    days = list(range(10))
    flat = tuple([100] * HOURS)
    honest = _settle(days, {d: flat for d in days}, flat, p, set())
    gapped = _settle(days, {d: flat for d in days}, flat, p, {3})
    assert honest is not None and honest.baseline_wh == 400 and honest.adjustment_bps == ref.BPS
    assert gapped is not None and gapped.baseline_wh == 288 and gapped.adjustment_bps == 8_000
