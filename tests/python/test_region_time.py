"""A region's clock (oracles/protocol/region_time.py, R-8, docs/time-zones.md): the protocol's days in
standard time, shown and entered in the region's IANA zone, around both changes of daylight saving
time, for a 15-minute region."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from oracles.protocol.region_time import (
    RegionClock,
    TimeZoneError,
    offset_text,
    standard_offset_minutes,
    zone_of,
)

PST = -480
LA = "America/Los_Angeles"
SPRING = date(2026, 3, 8)  # 02:00 PST -> 03:00 PDT
FALL = date(2026, 11, 1)  # 02:00 PDT -> 01:00 PST


@pytest.fixture
def clock() -> RegionClock:
    return RegionClock.of(PST, LA, 15, year=2026)


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def test_standard_offset__both_hemispheres_and_negative_dst() -> None:
    """The standard offset is the winter one, in the north and the south, and tzdata's negative-DST
    Dublin reads as the UTC+00:00 Ireland keeps in winter."""
    expected = {LA: -480, "Australia/Sydney": 600, "Europe/Dublin": 0, "Europe/Berlin": 60,
                "Asia/Kolkata": 330, "America/Sao_Paulo": -180, "Pacific/Chatham": 765}  # fmt: skip
    assert {z: standard_offset_minutes(zone_of(z), 2026) for z in expected} == expected


def test_zone__wrong_standard_offset_or_unknown__refused() -> None:
    with pytest.raises(
        TimeZoneError, match=r"America/New_York has standard time UTC-05:00, the region UTC-08:00"
    ):
        RegionClock.of(PST, "America/New_York")
    with pytest.raises(TimeZoneError, match="not an IANA time zone"):
        RegionClock.of(PST, "America/Springfield")
    with pytest.raises(TimeZoneError, match=r"1\.\.32 bytes"):
        RegionClock.of(PST, "x" * 33)
    assert RegionClock.of(PST, "").zone is None
    assert offset_text(-480) == "UTC-08:00" and offset_text(330) == "UTC+05:30"


def test_day_start__standard_time_all_year(clock: RegionClock) -> None:
    """R-4: a protocol day starts at 00:00 standard time, which is 01:00 local in summer."""
    for d in (date(2026, 1, 15), date(2026, 6, 15), SPRING, FALL):
        start = clock.day_start(_day(d))
        assert start == datetime(d.year, d.month, d.day, 8, tzinfo=UTC)
        assert (
            clock.day_of(start) == _day(d)
            and clock.day_of(start - timedelta(seconds=1)) == _day(d) - 1
        )
    assert clock.day_text(_day(date(2026, 1, 15))) == "2026-01-15"
    assert clock.day_text(_day(date(2026, 6, 15))) == "2026-06-15 (01:00 PDT to 01:00 PDT next day)"


def test_spring_forward__day_96_intervals_local_clock_jumps(clock: RegionClock) -> None:
    """The standard day of the spring change still has 96 quarter hours; on the local clock it runs
    from 00:00 PST to 01:00 PDT the next day, and interval 8 (02:00 standard) is 03:00 PDT."""
    day = _day(SPRING)
    assert clock.day_text(day) == "2026-03-08 (00:00 PST to 01:00 PDT next day)"
    assert clock.instant_text(clock.interval_start(day, 7)) == "2026-03-08 01:45 PST"
    assert clock.instant_text(clock.interval_start(day, 8)) == "2026-03-08 03:00 PDT"
    assert clock.interval_start(day, 96) - clock.interval_start(day, 0) == timedelta(hours=24)
    # input: 03:00 PDT is interval 8, 01:45 PST interval 7; 02:30 never happened
    assert clock.interval_of(clock.from_wall_clock(SPRING, 3, 0)) == (day, 8)
    assert clock.interval_of(clock.from_wall_clock(SPRING, 1, 45)) == (day, 7)
    with pytest.raises(ValueError, match="02:30 does not exist"):
        clock.from_wall_clock(SPRING, 2, 30)


def test_fall_back__repeated_hour_two_intervals_each(clock: RegionClock) -> None:
    """The autumn day's local 01:00-02:00 happens twice: 01:15 PDT is 00:15 standard (interval 1),
    01:15 PST interval 5; a file must give the offset there, a bare 01:30 is refused."""
    day = _day(FALL)
    assert clock.day_text(day) == "2026-11-01 (01:00 PDT to 00:00 PST next day)"
    first = datetime(2026, 11, 1, 1, 15, tzinfo=zone_of(LA), fold=0)  # PDT
    second = datetime(2026, 11, 1, 1, 15, tzinfo=zone_of(LA), fold=1)  # PST
    assert clock.interval_of(first) == (day, 1)  # 00:15 standard
    assert clock.interval_of(second) == (day, 5)  # 01:15 standard
    assert clock.instant_text(first) == "2026-11-01 01:15 PDT"
    assert clock.instant_text(second) == "2026-11-01 01:15 PST"
    with pytest.raises(ValueError, match="01:30 occurs twice"):
        clock.from_wall_clock(FALL, 1, 30)
    # local 00:30 PDT is still the standard day before (23:30 PST of Oct 31)
    assert clock.interval_of(clock.from_wall_clock(FALL, 0, 30)) == (day - 1, 94)


def test_window__summer_local_clock_and_standard(clock: RegionClock) -> None:
    d = date(2026, 6, 15)
    assert clock.window_text(_day(d), 64, 72) == "2026-06-15 17:00-19:00 PDT (16:00-18:00 standard)"
    assert clock.window_text(_day(date(2026, 1, 15)), 68, 76) == "2026-01-15 17:00-19:00 PST"
    # the zone's 17:00-19:00 in June is intervals 64..72 of the standard day
    assert clock.window_from_wall_clock(d, 17 * 60, 19 * 60) == (_day(d), 64, 72)
    # 00:00-01:00 PDT is the standard day before, 23:00-24:00
    assert clock.window_from_wall_clock(d, 0, 60) == (_day(d) - 1, 92, 96)
    assert (
        clock.window_text(_day(d) - 1, 92, 96)
        == "2026-06-15 00:00-01:00 PDT (23:00-24:00 standard on 2026-06-14)"
    )
    with pytest.raises(
        ValueError, match=r"crosses the end of the region's standard-time day \(01:00 PDT\)"
    ):
        clock.window_from_wall_clock(d, 30, 90)
    with pytest.raises(ValueError, match="15-minute interval boundary"):
        clock.window_from_wall_clock(d, 17 * 60 + 5, 19 * 60)
    with pytest.raises(ValueError, match="does not exist"):
        clock.window_from_wall_clock(SPRING, 2 * 60 + 15, 4 * 60)


def test_window__spans_a_change(clock: RegionClock) -> None:
    """A window over the change shows both abbreviations; its standard clock is the protocol's."""
    assert (clock.window_text(_day(SPRING), 4, 16)
            == "2026-03-08 01:00-05:00 PST/PDT (01:00-04:00 standard)")  # fmt: skip
    assert (clock.window_text(_day(FALL), 0, 12)
            == "2026-11-01 01:00-03:00 PDT/PST (00:00-03:00 standard)")  # fmt: skip


def test_fixed_offset_region__no_zone() -> None:
    clock = RegionClock.of(330, "", 30)
    d = _day(date(2026, 6, 15))
    assert clock.window_text(d, 34, 38) == "2026-06-15 17:00-19:00 UTC+05:30"
    assert clock.day_text(d) == "2026-06-15"
    assert clock.zone_label == "UTC+05:30"
    assert clock.timestamp_text(int(clock.day_start(d).timestamp())) == "2026-06-15 00:00 UTC+05:30"


def test_numeric_abbreviation__shown_as_offset() -> None:
    """tzdata has no letters for many zones (Sao Paulo is "-03"): shown as UTC-03:00."""
    clock = RegionClock.of(-180, "America/Sao_Paulo")
    assert clock.instant_text(datetime(2026, 6, 15, 20, tzinfo=UTC)) == "2026-06-15 17:00 UTC-03:00"


def test_chart_ticks__local_hours_over_the_spring_change(clock: RegionClock) -> None:
    """The demo chart's axis (oracles/sim/chart.py): three standard-time days from 7 March 2026,
    ticked at the zone's 00h/06h/12h/18h: from 8 March 03:00 PDT on, a local hour is one standard
    hour later on the axis, so 06h PDT is at x = 29 and 9 March's midnight at x = 47."""
    from oracles.sim.chart import local_hour_ticks

    first_hour = _day(date(2026, 3, 7)) * 24
    ticks, labels = local_hour_ticks(clock, first_hour, 72)
    assert list(zip(ticks, labels, strict=True)) == [
        (0, "Mar 07"), (6, "06h"), (12, "12h"), (18, "18h"),
        (24, "Mar 08"), (29, "06h"), (35, "12h"), (41, "18h"),
        (47, "Mar 09"), (53, "06h"), (59, "12h"), (65, "18h"), (71, "Mar 10"),
    ]  # fmt: skip


def test_zones__without_the_system_database__from_the_tzdata_package() -> None:
    """A machine without /usr/share/zoneinfo still knows the zones: pyproject.toml depends on the
    tzdata package, which zoneinfo falls back to when its search path is empty."""
    import zoneinfo

    try:
        zoneinfo.reset_tzpath(to=[])
        zone = zoneinfo.ZoneInfo.no_cache(LA)
        assert datetime(2026, 7, 1, 12, tzinfo=UTC).astimezone(zone).tzname() == "PDT"
        assert standard_offset_minutes(zone, 2026) == PST
    finally:
        zoneinfo.reset_tzpath()


def test_hours__forecast_span_in_the_zone(clock: RegionClock) -> None:
    """T-1 hour indexes (the forecasts' keys) as local clock times: hour 0 of a June day is 01:00
    PDT, and 24 hours from it end at 01:00 PDT the next day."""
    first = _day(date(2026, 6, 2)) * 24
    assert clock.instant_text(clock.hour_start(first)) == "2026-06-02 01:00 PDT"
    assert clock.hours_text(first, 24) == "2026-06-02 01:00-2026-06-03 01:00 PDT"
    assert clock.hours_text(first + 16, 3) == "2026-06-02 17:00-20:00 PDT"
    assert clock.hours_text(first - 24 * 100, 2) == "2026-02-22 00:00-02:00 PST"
