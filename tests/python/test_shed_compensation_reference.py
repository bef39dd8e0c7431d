"""The load shed compensation reference (oracles/reference/shed_compensation.py, SPECIFICATION.md
§15, G-17) on exact examples, every boundary and many random cases.

ShedCompensation's contract tests (tests/contracts/test_shed_compensation.py) compare amounts with
this reference; these tests pin the reference itself against independent formulations: a brute-force
list of the whole intervals a window covers, and the 5 % rule as an exact rational inequality."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from oracles.reference.shed_compensation import (
    SHED_RESIDUAL_BPS,
    Compensation,
    NoIntervalBeforeShed,
    NoWholeInterval,
    ShedWindow,
    ShedWindowError,
    WindowCrossesDays,
    compensation,
    shed_limit,
    shed_window,
)

DAY = 20_000  # 2024-10-04, a local day number
H = 3_600
M = 60


def utc(offset_minutes: int, local_seconds: int, day: int = DAY) -> int:
    """The UTC timestamp of ``local_seconds`` after local midnight of ``day`` (R-4)."""
    return day * 86_400 - 60 * offset_minutes + local_seconds


# ------------------------------------------------------------------ shed_window (G-17)


@pytest.mark.parametrize(
    ("offset", "interval", "start", "end", "expected"),
    [
        # on interval edges: 17:00-19:00 local, hourly, west of UTC (California standard time)
        (-480, 60, 17 * H, 19 * H, (17, 19)),
        # the same local window east of UTC (India, +05:30) and at UTC
        (330, 60, 17 * H, 19 * H, (17, 19)),
        (0, 60, 17 * H, 19 * H, (17, 19)),
        # the extreme offsets
        (-720, 30, 6 * H, 7 * H, (12, 14)),
        (840, 15, 6 * H, 7 * H, (24, 28)),
        # inside intervals: 17:10-18:50 holds the whole quarter hours 17:15..18:45
        (-480, 15, 17 * H + 10 * M, 18 * H + 50 * M, (69, 75)),
        (-480, 30, 17 * H + 10 * M, 18 * H + 50 * M, (35, 37)),
    ],
)
def test_g17_window__whole_intervals(
    offset: int, interval: int, start: int, end: int, expected: tuple[int, int]
) -> None:
    w = shed_window(offset, interval, utc(offset, start), utc(offset, end))
    assert w == ShedWindow(DAY, *expected)


def test_g17_window__one_second_inside_an_interval_edge() -> None:
    """One second after an edge loses the interval it starts in; one second before an edge at the
    end loses the interval it ends in."""
    o = -480
    assert shed_window(o, 60, utc(o, 17 * H + 1), utc(o, 19 * H)) == (DAY, 18, 19)
    assert shed_window(o, 60, utc(o, 17 * H), utc(o, 19 * H - 1)) == (DAY, 17, 18)
    assert shed_window(o, 60, utc(o, 17 * H - 1), utc(o, 19 * H + 1)) == (DAY, 17, 19)


def test_g17_window__last_interval_of_the_day_ends_at_midnight() -> None:
    """The window may end exactly at the next local midnight (end is exclusive)."""
    for interval, n in ((15, 96), (30, 48), (60, 24)):
        w = shed_window(60, interval, utc(60, 23 * H), utc(60, 24 * H))
        assert w == (DAY, n - 60 // interval, n)


def test_g17_window__crossing_local_midnight__refused() -> None:
    o = 330
    with pytest.raises(WindowCrossesDays, match="crosses local midnight"):
        shed_window(o, 60, utc(o, 23 * H), utc(o, 24 * H + 1))
    # the same UTC instants are 08:30..10:30:01 of one day in California
    assert shed_window(-480, 60, utc(o, 22 * H), utc(o, 24 * H + 1)) == (DAY, 9, 10)


def test_g17_window__no_whole_interval__refused() -> None:
    o = -480
    with pytest.raises(NoWholeInterval, match="no whole 60-minute"):
        shed_window(o, 60, utc(o, 17 * H + 10 * M), utc(o, 18 * H + 50 * M))
    with pytest.raises(NoWholeInterval):
        shed_window(o, 15, utc(o, 17 * H + 1), utc(o, 17 * H + 15 * M + 899))
    assert shed_window(o, 15, utc(o, 17 * H), utc(o, 17 * H + 15 * M)) == (DAY, 68, 69)


def test_g17_window__first_interval_of_the_day__refused() -> None:
    """No interval precedes the day's first: the load before the shed is unknown."""
    o = -480
    with pytest.raises(NoIntervalBeforeShed, match="first interval"):
        shed_window(o, 60, utc(o, 0), utc(o, 2 * H))
    # one second later the first whole interval is the second
    assert shed_window(o, 60, utc(o, 1), utc(o, 2 * H)) == (DAY, 1, 2)
    assert shed_window(o, 15, utc(o, 15 * M), utc(o, 30 * M)) == (DAY, 1, 2)


def test_g17_window__errors_are_value_errors_with_their_order() -> None:
    """Crossing days is judged first, then a whole interval, then the interval before."""
    o = 0
    with pytest.raises(WindowCrossesDays):
        shed_window(o, 60, utc(o, 0), utc(o, 24 * H + 10))
    with pytest.raises(NoWholeInterval):
        shed_window(o, 60, utc(o, 0), utc(o, 50 * M))
    for e in (WindowCrossesDays, NoWholeInterval, NoIntervalBeforeShed):
        assert issubclass(e, ShedWindowError) and issubclass(e, ValueError)
    with pytest.raises(ValueError, match="interval"):
        shed_window(o, 20, utc(o, H), utc(o, 2 * H))
    with pytest.raises(ValueError, match="not after"):
        shed_window(o, 60, utc(o, 2 * H), utc(o, 2 * H))


# ------------------------------------------------------------------ compensation (G-17)


def hourly(**at: int) -> list[int]:
    r = [1_000] * 24
    for k, v in at.items():
        r[int(k[1:])] = v
    return r


def test_g17_compensation__exact_example() -> None:
    """pre 2,000 Wh; 100 Wh (exactly 5 %) and 0 Wh in the shed hours: 1,900 + 2,000 Wh at
    0.5 token (500_000 units) per kWh."""
    r = hourly(h16=2_000, h17=100, h18=0)
    assert compensation(r, 17, 19, 500_000) == Compensation(True, 3_900, 1_950_000)


def test_g17_compensation__exactly_five_percent_is_shed_one_wh_more_is_not() -> None:
    assert shed_limit(2_000) == 100
    assert compensation(hourly(h16=2_000, h17=100), 17, 18, 1_000).shed
    assert compensation(hourly(h16=2_000, h17=101), 17, 18, 1_000) == Compensation(False, 0, 0)
    # the limit rounds down: pre 39 allows 1 Wh (1.95), pre 19 allows none (0.95)
    assert shed_limit(39) == 1 and shed_limit(19) == 0
    assert compensation(hourly(h16=39, h17=1), 17, 18, 1_000) == Compensation(True, 38, 38)
    assert not compensation(hourly(h16=19, h17=1), 17, 18, 1_000).shed
    assert compensation(hourly(h16=19, h17=0), 17, 18, 1_000) == Compensation(True, 19, 19)


def test_g17_compensation__one_interval_above_the_limit_refuses_the_whole_claim() -> None:
    r = hourly(h16=2_000, h17=0, h18=0, h19=101)
    assert not compensation(r, 17, 20, 10**6).shed
    assert compensation(r, 17, 19, 10**6) == Compensation(True, 4_000, 4_000_000)


def test_g17_compensation__no_load_before_the_shed__not_shed() -> None:
    assert compensation(hourly(h16=0, h17=0), 17, 18, 10**6) == Compensation(False, 0, 0)


def test_g17_compensation__amount_rounds_down() -> None:
    assert compensation(hourly(h16=3, h17=0), 17, 18, 333) == Compensation(True, 3, 0)
    assert compensation(hourly(h16=3, h17=0), 17, 18, 334) == Compensation(True, 3, 1)
    assert compensation(hourly(h16=7, h17=0), 17, 18, 10**18) == Compensation(True, 7, 7 * 10**15)


def test_g17_compensation__15_and_30_minute_records() -> None:
    q = [400] * 96
    q[67] = 500
    q[68:72] = [25, 0, 10, 0]
    assert compensation(q, 68, 72, 2_000) == Compensation(True, 475 + 500 + 490 + 500, 3_930)
    h = [800] * 48
    h[35:37] = [40, 41]
    assert compensation(h, 35, 37, 1_000) == Compensation(False, 0, 0)
    h[36] = 40
    assert compensation(h, 35, 37, 1_000) == Compensation(True, 1_520, 1_520)


def test_g17_compensation__bad_window__refused() -> None:
    with pytest.raises(ValueError, match="not a shed window"):
        compensation([1] * 24, 0, 2, 1)
    with pytest.raises(ValueError, match="not a shed window"):
        compensation([1] * 24, 20, 25, 1)
    with pytest.raises(ValueError, match="not a shed window"):
        compensation([1] * 24, 5, 5, 1)


# ------------------------------------------------------------------ many cases


def covered(offset: int, interval: int, start: int, end: int) -> tuple[int, list[int]]:
    """Brute force: the local day of the start and every interval of it wholly inside the window."""
    ls, le = start + 60 * offset, end + 60 * offset
    day = ls // 86_400
    size = 60 * interval
    ks = [
        k
        for k in range(86_400 // size)
        if ls <= day * 86_400 + k * size and day * 86_400 + (k + 1) * size <= le
    ]
    return day, ks


@settings(max_examples=500, derandomize=True, deadline=None)
@given(
    offset=st.integers(-48, 56).map(lambda q: 15 * q),
    interval=st.sampled_from([15, 30, 60]),
    start=st.integers(10**9, 10**9 + 3 * 86_400),
    length=st.one_of(st.integers(1, 86_400), st.integers(1, 24).map(lambda h: h * 3_600)),
    aligned=st.booleans(),
)
def test_g17_window__equals_brute_force(
    offset: int, interval: int, start: int, length: int, aligned: bool
) -> None:
    if aligned:  # many windows on interval edges
        size = 60 * interval
        start -= (start + 60 * offset) % size
    end = start + length
    day, ks = covered(offset, interval, start, end)
    crosses = (end - 1 + 60 * offset) // 86_400 != day
    try:
        w = shed_window(offset, interval, start, end)
    except WindowCrossesDays:
        assert crosses
        return
    except NoWholeInterval:
        assert not crosses and not ks
        return
    except NoIntervalBeforeShed:
        assert not crosses and ks and ks[0] == 0
        return
    assert not crosses and ks and ks[0] >= 1
    assert w == ShedWindow(day, ks[0], ks[-1] + 1) and ks == list(range(w.start, w.end))


@st.composite
def shed_days(draw: st.DrawFn) -> tuple[list[int], int, int, int]:
    n = draw(st.sampled_from([24, 48, 96]))
    start = draw(st.integers(1, n - 1))
    end = draw(st.integers(start + 1, n))
    pre = draw(st.one_of(st.just(0), st.integers(1, 2**32 - 1), st.integers(1, 5_000)))
    limit = pre * SHED_RESIDUAL_BPS // 10_000
    near = st.integers(max(0, limit - 2), limit + 2)
    body = draw(
        st.lists(st.one_of(st.integers(0, limit), near), min_size=end - start, max_size=end - start)
    )
    readings = draw(st.lists(st.integers(0, 2**32 - 1), min_size=n, max_size=n))
    readings[start - 1] = pre
    readings[start:end] = [min(r, 2**32 - 1) for r in body]
    rate = draw(st.one_of(st.integers(0, 10**6), st.integers(0, 2**96 - 1)))
    return readings, start, end, rate


@settings(max_examples=500, derandomize=True, deadline=None)
@given(case=shed_days())
def test_g17_compensation__equals_exact_rationals(case: tuple[list[int], int, int, int]) -> None:
    readings, start, end, rate = case
    pre = readings[start - 1]
    shed = pre > 0 and all(
        Fraction(r) <= Fraction(pre * SHED_RESIDUAL_BPS, 10_000) for r in readings[start:end]
    )
    c = compensation(readings, start, end, rate)
    assert c.shed == shed
    if not shed:
        assert c == Compensation(False, 0, 0)
        return
    wh = sum(pre - r for r in readings[start:end])
    assert c.wh == wh and 0 < wh <= (end - start) * pre
    assert c.amount == int(Fraction(wh * rate, 1_000))  # floor of a non-negative rational
    assert c.amount < 2**128  # the contract's uint128 pool accounting holds every amount
