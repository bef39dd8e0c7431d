"""A region's clock: the protocol's standard-time days and intervals, shown in its IANA time zone.

The protocol counts days in the region's *standard* time all year (``utcOffsetMinutes``, R-3, R-6):
day ``d`` is ``[86,400·d - 60·o, +86,400)`` UTC and interval ``i`` of it starts ``i`` intervals later.
A region's IANA time zone (R-8, e.g. ``America/Los_Angeles``) is for people and files: local times
with daylight saving time are placed in those days and intervals, and dates and clock times are shown
in the zone with its abbreviation (``PDT``). A zone whose standard offset is not the region's is
refused. docs/time-zones.md documents the rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SECONDS_PER_DAY = 86_400
MINUTES_PER_DAY = 1_440
EPOCH = date(1970, 1, 1)


class TimeZoneError(ValueError):
    """A time zone name that is no IANA zone, or whose standard offset is not the region's."""


def offset_text(minutes: int) -> str:
    """A UTC offset in minutes as ``UTC-08:00``."""
    sign = "-" if minutes < 0 else "+"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def zone_of(name: str) -> ZoneInfo:
    """The IANA zone ``name``; an unknown name raises :class:`TimeZoneError`."""
    if not name or len(name.encode()) > 32:
        raise TimeZoneError(f"time zone {name!r} is not an IANA name of 1..32 bytes")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise TimeZoneError(
            f"time zone {name!r} is not an IANA time zone (e.g. America/Los_Angeles)"
        ) from None


def standard_offset_minutes(zone: ZoneInfo, year: int) -> int:
    """The zone's standard (winter, non-DST) UTC offset in ``year``, in minutes: the smaller of its
    offsets on 1 January and 1 July. Daylight saving time only ever adds to the standard offset, in
    either hemisphere; tzdata's "negative DST" zones come out as people use them (Europe/Dublin:
    UTC+00:00 in winter, like London)."""
    offsets = []
    for month in (1, 7):
        utc = datetime(year, month, 1, 12, tzinfo=UTC).astimezone(zone).utcoffset()
        assert utc is not None
        offsets.append(int(utc.total_seconds()) // 60)
    return min(offsets)


@dataclass(frozen=True)
class RegionClock:
    """The protocol's time of one region: its fixed standard offset, its meter interval and, when
    set, its IANA zone for display and input."""

    offset_minutes: int
    interval_minutes: int = 60
    zone: ZoneInfo | None = None

    @classmethod
    def of(
        cls,
        offset_minutes: int,
        zone_name: str = "",
        interval_minutes: int = 60,
        year: int | None = None,
    ) -> RegionClock:
        """A region's clock; ``zone_name`` "" means the fixed offset only. A zone whose standard
        offset (in ``year``, default this year) is not ``offset_minutes`` raises
        :class:`TimeZoneError`."""
        zone = None
        if zone_name:
            zone = zone_of(zone_name)
            check_zone(zone, offset_minutes, year)
        return cls(offset_minutes, interval_minutes, zone)

    # ------------------------------------------------------------------ protocol days

    @property
    def standard(self) -> tzinfo:
        """The region's standard time as a fixed-offset tzinfo."""
        return timezone(timedelta(minutes=self.offset_minutes))

    @property
    def display(self) -> tzinfo:
        """The zone people read: the IANA zone, or the standard time when none is set."""
        return self.zone if self.zone is not None else self.standard

    def day_start(self, day: int) -> datetime:
        """The UTC instant at which protocol day ``day`` begins (R-4)."""
        return datetime.fromtimestamp(SECONDS_PER_DAY * day - 60 * self.offset_minutes, tz=UTC)

    def day_of(self, instant: datetime) -> int:
        """The protocol day of an aware instant (R-3): its date in standard time."""
        return (instant.astimezone(self.standard).date() - EPOCH).days

    def date_of_day(self, day: int) -> date:
        """The standard-time date protocol day ``day`` is named by."""
        return EPOCH + timedelta(days=day)

    def day_of_date(self, d: date) -> int:
        return (d - EPOCH).days

    def interval_start(self, day: int, index: int) -> datetime:
        """The UTC instant at which interval ``index`` of protocol day ``day`` begins."""
        return self.day_start(day) + timedelta(minutes=index * self.interval_minutes)

    def interval_of(self, instant: datetime) -> tuple[int, int]:
        """``(day, index)`` of the interval an aware instant starts: its place in standard time.
        An instant not on an interval boundary raises ``ValueError``."""
        local = instant.astimezone(self.standard)
        minute = local.hour * 60 + local.minute
        if local.second or local.microsecond or minute % self.interval_minutes:
            raise ValueError(
                f"{instant.isoformat()} is not on a {self.interval_minutes}-minute interval boundary"
            )
        return self.day_of(instant), minute // self.interval_minutes

    def hour_start(self, hour: int) -> datetime:
        """The UTC instant at which standard-time hour index ``hour`` begins (T-1: hour ``h`` is
        hour ``h mod 24`` of protocol day ``h // 24``)."""
        return datetime.fromtimestamp(3_600 * hour - 60 * self.offset_minutes, tz=UTC)

    def hours_text(self, first: int, count: int) -> str:
        """``count`` hours from hour index ``first`` as a local span, which may run over days:
        ``2026-06-02 01:00-2026-06-03 01:00 PDT``."""
        return self.span_text(self.hour_start(first), self.hour_start(first + count), False)

    # ------------------------------------------------------------------ input

    def from_wall_clock(self, d: date, hour: int, minute: int) -> datetime:
        """The UTC instant of a clock time on a date *in the zone* (DST applied). A time that does
        not exist (skipped when clocks spring forward) or is ambiguous (repeated when they fall
        back) raises ``ValueError``: a file must give its offset there."""
        naive = datetime(d.year, d.month, d.day, hour % 24, minute) + timedelta(days=hour // 24)
        zone = self.display
        early = naive.replace(tzinfo=zone, fold=0)
        late = naive.replace(tzinfo=zone, fold=1)
        if early.utcoffset() != late.utcoffset():
            back = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == naive
            what = (
                "occurs twice (clocks fall back)"
                if back
                else "does not exist (clocks spring forward)"
            )
            raise ValueError(f"{naive:%Y-%m-%d %H:%M} {what} in {self.zone_label}")
        return early.astimezone(UTC)

    def window_from_wall_clock(
        self, d: date, start_minute: int, end_minute: int
    ) -> tuple[int, int, int]:
        """``(day, start_interval, end_interval)`` of a window given as the zone's clock times on
        date ``d`` (minutes after local midnight; the end may be 1440). In summer the zone's
        17:00-19:00 is 16:00-18:00 of the standard-time day; a window that crosses the standard
        day's end (01:00 in summer), is off the interval grid or names a skipped or repeated clock
        time raises ``ValueError``."""
        start = self.from_wall_clock(d, start_minute // 60, start_minute % 60)
        end = self.from_wall_clock(d, end_minute // 60, end_minute % 60)
        if end <= start:
            raise ValueError("the end must be after the start")
        day, first = self.interval_of(start)
        end_day, last = self.interval_of(end)
        if end_day == day + 1 and last == 0:
            last = MINUTES_PER_DAY // self.interval_minutes
        elif end_day != day:
            boundary = self.local(self.day_start(day + 1))
            raise ValueError(
                f"the window crosses the end of the region's standard-time day "
                f"({boundary:%H:%M} {self.abbreviation(self.day_start(day + 1))}): an event lies "
                "within one protocol day, make it two"
            )
        return day, first, last

    # ------------------------------------------------------------------ display

    @property
    def zone_label(self) -> str:
        """The zone's name (``America/Los_Angeles``) or the fixed offset (``UTC-08:00``)."""
        return self.zone.key if self.zone is not None else offset_text(self.offset_minutes)

    def local(self, instant: datetime) -> datetime:
        return instant.astimezone(self.display)

    def abbreviation(self, instant: datetime) -> str:
        """The zone's abbreviation at an instant (``PDT``, ``CET``), or ``UTC-08:00`` without a zone
        (or where tzdata has only a number such as ``-03``)."""
        if self.zone is None:
            return offset_text(self.offset_minutes)
        name = self.local(instant).tzname() or ""
        return name if name[:1].isalpha() else f"UTC{name[:3]}:{name[3:5] or '00'}"

    def in_dst(self, instant: datetime) -> bool:
        return self.zone is not None and bool(self.local(instant).dst())

    def instant_text(self, instant: datetime) -> str:
        """``2026-06-15 17:00 PDT``."""
        return f"{self.local(instant):%Y-%m-%d %H:%M} {self.abbreviation(instant)}"

    def timestamp_text(self, ts: int) -> str:
        return self.instant_text(datetime.fromtimestamp(ts, tz=UTC))

    def span_text(self, start: datetime, end: datetime, standard: bool = True) -> str:
        """A span in local time, with (``standard``) the standard-time clock when DST is in effect:
        ``2026-06-15 17:00-19:00 PDT (16:00-18:00 standard)``; the end ``24:00`` stays the day's."""
        a, b = self.local(start), self.local(end)
        text = f"{a:%Y-%m-%d %H:%M}-{_clock_end(a, b)} {self.abbreviation(start)}"
        if self.abbreviation(end) != self.abbreviation(start):
            text += f"/{self.abbreviation(end)}"
        if standard and (self.in_dst(start) or self.in_dst(end)):
            s, e = start.astimezone(self.standard), end.astimezone(self.standard)
            # the protocol's day is named when the local date is another (00:00-01:00 in summer)
            on = f" on {s:%Y-%m-%d}" if s.date() != a.date() else ""
            text += f" ({s:%H:%M}-{_clock_end(s, e)} standard{on})"
        return text

    def window_text(self, day: int, start_interval: int, end_interval: int) -> str:
        """An event window of protocol day ``day`` (intervals ``[start, end)``) as a local span."""
        return self.span_text(
            self.interval_start(day, start_interval), self.interval_start(day, end_interval)
        )

    def day_text(self, day: int) -> str:
        """Protocol day ``day`` as its date, and its local span when that is not midnight to
        midnight: ``2026-06-15 (01:00 PDT to 01:00 PDT next day)``."""
        name = self.date_of_day(day).isoformat()
        start, end = self.day_start(day), self.day_start(day + 1)
        a, b = self.local(start), self.local(end)
        if (a.hour, a.minute, b.hour, b.minute) == (0, 0, 0, 0):
            return name
        return (f"{name} ({a:%H:%M} {self.abbreviation(start)} to {b:%H:%M} "
                f"{self.abbreviation(end)} next day)")  # fmt: skip

    def hour_label(self, instant: datetime, with_date: bool) -> str:
        """A chart tick: ``06-15 17h`` or ``17h``, local."""
        t = self.local(instant)
        return f"{t:%m-%d} {t:%H}h" if with_date else f"{t:%H}h"


def check_zone(zone: ZoneInfo, offset_minutes: int, year: int | None = None) -> None:
    """Refuse a zone whose standard offset is not the region's (R-8)."""
    year = year if year is not None else datetime.now(UTC).year
    standard = standard_offset_minutes(zone, year)
    if standard != offset_minutes:
        raise TimeZoneError(
            f"time zone {zone.key} has standard time {offset_text(standard)}, the region "
            f"{offset_text(offset_minutes)}: the region's days are in its standard time (R-6)"
        )


def _clock_end(start: datetime, end: datetime) -> str:
    """``HH:MM`` of a span's end; ``24:00`` for the midnight that closes the start's date, and the
    date when the end falls later."""
    if end.date() == start.date():
        return f"{end:%H:%M}"
    if end.date() == start.date() + timedelta(days=1) and (end.hour, end.minute) == (0, 0):
        return "24:00"
    return f"{end:%Y-%m-%d %H:%M}"
