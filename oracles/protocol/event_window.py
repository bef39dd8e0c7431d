"""An event's window as the chain keeps it (P-3): meter intervals of the region's local day.

``DrEvent.startInterval``/``endInterval`` count intervals of the region's meter interval (R-7): in an
hourly region an interval is an hour; on 15-minute data 17:15-18:45 is intervals 69..75. This module
turns them into clock times, minutes and the hours they touch, and clock times back into intervals.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, ConfigDict, model_validator

from oracles.protocol.bindings import DrEvent
from oracles.reference.baseline import MINUTES_PER_DAY, MINUTES_PER_HOUR, intervals_per_day

_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")


class EventWindow(BaseModel):
    """``[start_interval, end_interval)`` at ``interval_minutes`` (15, 30 or 60)."""

    model_config = ConfigDict(frozen=True)

    interval_minutes: int
    start_interval: int
    end_interval: int

    @model_validator(mode="after")
    def _inside_the_day(self) -> EventWindow:
        per_day = intervals_per_day(self.interval_minutes)
        if not 0 <= self.start_interval < self.end_interval <= per_day:
            raise ValueError(
                f"event window {self.start_interval}..{self.end_interval} is not inside a day of "
                f"{per_day} intervals"
            )
        return self

    @classmethod
    def of_event(cls, event: DrEvent, interval_minutes: int) -> EventWindow:
        """The window of an event of a region of ``interval_minutes`` data."""
        return cls(
            interval_minutes=interval_minutes,
            start_interval=event.start_interval,
            end_interval=event.end_interval,
        )

    @classmethod
    def from_clock(cls, start: str, end: str, interval_minutes: int) -> EventWindow:
        """The window of clock times ``HH:MM``-``HH:MM`` (end ``24:00`` allowed) on the region's
        interval; a time not on an interval boundary is refused."""
        return cls(
            interval_minutes=interval_minutes,
            start_interval=_interval_of(start, interval_minutes),
            end_interval=_interval_of(end, interval_minutes),
        )

    @property
    def start_minute(self) -> int:
        return self.start_interval * self.interval_minutes

    @property
    def end_minute(self) -> int:
        return self.end_interval * self.interval_minutes

    @property
    def minutes(self) -> int:
        return self.end_minute - self.start_minute

    @property
    def start_seconds(self) -> int:
        """Seconds from local midnight to the start."""
        return self.start_minute * 60

    @property
    def hours(self) -> tuple[int, int]:
        """[floor(start), ceil(end)) in whole hours: the hours the window touches (V-2)."""
        return self.start_minute // MINUTES_PER_HOUR, -(-self.end_minute // MINUTES_PER_HOUR)

    @property
    def label(self) -> str:
        """``17:15-18:45``."""
        return f"{_clock(self.start_minute)}-{_clock(self.end_minute)}"


def _clock(minute: int) -> str:
    return f"{minute // MINUTES_PER_HOUR:02d}:{minute % MINUTES_PER_HOUR:02d}"


def _interval_of(text: str, interval_minutes: int) -> int:
    m = _CLOCK.match(text.strip())
    if m is None:
        raise ValueError(f"time {text!r} is not HH:MM")
    hour, minute = int(m.group(1)), int(m.group(2))
    total = hour * MINUTES_PER_HOUR + minute
    if minute >= MINUTES_PER_HOUR or total > MINUTES_PER_DAY:
        raise ValueError(f"time {text!r} is not a time of day")
    if total % interval_minutes:
        raise ValueError(
            f"time {text!r} is not on a {interval_minutes}-minute interval boundary of the region"
        )
    return total // interval_minutes
