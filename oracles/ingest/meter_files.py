"""Meter data sources: the documented CSV format and Green Button (ESPI XML), validated at the boundary.

**CSV** (UTF-8, a header row, one interval per row)::

    meter_id,interval_start,interval_seconds,wh
    MTR-0001,2026-07-14T00:00:00-08:00,3600,512

``interval_start`` is ISO 8601 with a UTC offset (or ``Z``); ``interval_seconds`` is 900, 1800 or
3600 and the interval lies within one hour; ``wh`` is a whole number of watt-hours, 0..4,294,967,295.

**Green Button** (NAESB ESPI): an Atom feed whose ``ReadingType`` gives ``powerOfTenMultiplier`` and
``uom`` (72 = Wh), and whose ``IntervalBlock`` entries hold ``IntervalReading`` elements
(``timePeriod/start`` in Unix seconds, ``timePeriod/duration``, ``value``). The meter id is the
``UsagePoint`` entry's title unless given.

Intervals are summed into local hours of the region (its fixed UTC offset, R-3) and grouped into
consumer-days. Every row that fails is returned as a :class:`Reject` naming the file, line and field;
good rows go on. A consumer-day with hours missing is posted flagged missing (M-2), with a reject line
saying so: nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from oracles.reference.meter_leaf import UINT32_MAX, ConsumerDay

ESPI = "{http://naesb.org/espi}"
ATOM = "{http://www.w3.org/2005/Atom}"
UOM_WH = 72
HOURS = 24


class MeterReading(BaseModel):
    """One interval of one meter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meter_id: str = Field(min_length=1, max_length=64)
    interval_start: AwareDatetime
    interval_seconds: int
    wh: int = Field(ge=0, le=UINT32_MAX)

    @field_validator("interval_seconds")
    @classmethod
    def _length(cls, v: int) -> int:
        if v not in (900, 1800, 3600):
            raise ValueError("must be 900, 1800 or 3600")
        return v

    @property
    def start_ts(self) -> int:
        return int(self.interval_start.timestamp())


class Reject(BaseModel):
    """A row that was not posted as is, and why."""

    model_config = ConfigDict(frozen=True)

    source: str
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        return f"{self.source}:{self.line}: {self.field}: {self.reason}"


def write_rejects(path: Path, rejects: Iterable[Reject]) -> int:
    """Append rejects as JSON lines; returns how many were written."""
    items = list(rejects)
    if items:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            for r in items:
                f.write(json.dumps(r.model_dump()) + "\n")
    return len(items)


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    return ".".join(str(p) for p in err["loc"]) or "<row>", str(err["msg"])


def read_csv(path: Path) -> tuple[list[MeterReading], list[Reject]]:
    readings: list[MeterReading] = []
    rejects: list[Reject] = []
    name = str(path)
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        expected = ["meter_id", "interval_start", "interval_seconds", "wh"]
        if reader.fieldnames != expected:
            return [], [
                Reject(
                    source=name,
                    line=1,
                    field="header",
                    reason=f"expected {','.join(expected)}, got {','.join(reader.fieldnames or [])}",
                )
            ]
        for row in reader:
            line = reader.line_num
            if None in row or any(v is None for v in row.values()):
                rejects.append(
                    Reject(source=name, line=line, field="<row>", reason="wrong number of columns")
                )
                continue
            try:
                readings.append(MeterReading.model_validate(row))
            except ValidationError as exc:
                field, msg = _first_error(exc)
                rejects.append(Reject(source=name, line=line, field=field, reason=msg))
    return readings, rejects


def read_green_button(
    path: Path, meter_id: str | None = None
) -> tuple[list[MeterReading], list[Reject]]:
    name = str(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        return [], [Reject(source=name, line=line, field="<xml>", reason=f"malformed XML: {exc}")]
    multiplier, uom = 0, UOM_WH
    reading_type = root.find(f".//{ESPI}ReadingType")
    if reading_type is not None:
        try:
            multiplier = int(reading_type.findtext(f"{ESPI}powerOfTenMultiplier", "0"))
            uom = int(reading_type.findtext(f"{ESPI}uom", str(UOM_WH)))
        except ValueError:
            return [], [
                Reject(
                    source=name,
                    line=0,
                    field="ReadingType",
                    reason="powerOfTenMultiplier/uom not integers",
                )
            ]
    if uom != UOM_WH:
        return [], [
            Reject(
                source=name, line=0, field="ReadingType.uom", reason=f"unit {uom} is not Wh (72)"
            )
        ]
    if meter_id is None:
        for entry in root.iter(f"{ATOM}entry"):
            if entry.find(f".//{ESPI}UsagePoint") is not None:
                meter_id = (entry.findtext(f"{ATOM}title") or "").strip() or None
                break
    if meter_id is None:
        return [], [
            Reject(
                source=name,
                line=0,
                field="UsagePoint",
                reason="no meter id: give --meter-id or a UsagePoint title",
            )
        ]
    readings: list[MeterReading] = []
    rejects: list[Reject] = []
    for n, reading in enumerate(root.iter(f"{ESPI}IntervalReading"), start=1):
        start = reading.findtext(f"{ESPI}timePeriod/{ESPI}start")
        duration = reading.findtext(f"{ESPI}timePeriod/{ESPI}duration")
        value = reading.findtext(f"{ESPI}value")
        where = f"IntervalReading[{n}]"
        try:
            if start is None or duration is None or value is None:
                raise ValueError("needs timePeriod/start, timePeriod/duration and value")
            wh_exact = (
                int(value) * 10**multiplier if multiplier >= 0 else int(value) / 10 ** (-multiplier)
            )
            readings.append(
                MeterReading(
                    meter_id=meter_id,
                    interval_start=datetime.fromtimestamp(int(start), tz=UTC),
                    interval_seconds=int(duration),
                    wh=int(wh_exact),
                )
            )
        except ValidationError as exc:
            field, msg = _first_error(exc)
            rejects.append(Reject(source=name, line=n, field=f"{where}.{field}", reason=msg))
        except ValueError as exc:
            rejects.append(Reject(source=name, line=n, field=where, reason=str(exc)))
    return readings, rejects


def assemble_days(
    readings: Iterable[MeterReading],
    *,
    region_id: int,
    utc_offset_minutes: int,
    resolve: Callable[[str], int | None],
    source: str,
    now_ts: int | None = None,
) -> tuple[list[ConsumerDay], list[Reject]]:
    """Sum intervals into local hours and consumer-days.

    ``resolve`` maps a meter id to its on-chain consumer id (None: unknown meter). Readings in the
    future, duplicate intervals and unknown meters are rejected; incomplete days are posted flagged
    missing, with a reject line each.
    """
    rejects: list[Reject] = []
    seen: set[tuple[str, int]] = set()
    hours: dict[tuple[int, int], list[int]] = defaultdict(lambda: [0] * HOURS)
    covered: dict[tuple[int, int], int] = defaultdict(int)  # seconds of data per consumer-day
    ids: dict[str, int | None] = {}
    offset = utc_offset_minutes * 60
    for n, r in enumerate(readings, start=1):
        if r.meter_id not in ids:
            ids[r.meter_id] = resolve(r.meter_id)
        cid = ids[r.meter_id]
        if cid is None:
            rejects.append(
                Reject(
                    source=source,
                    line=n,
                    field="meter_id",
                    reason=f"unknown meter {r.meter_id!r} (not registered in region {region_id})",
                )
            )
            continue
        start = r.start_ts
        if start % r.interval_seconds or (start % 3600) + r.interval_seconds > 3600:
            rejects.append(
                Reject(
                    source=source,
                    line=n,
                    field="interval_start",
                    reason="interval not aligned within one hour",
                )
            )
            continue
        if now_ts is not None and start + r.interval_seconds > now_ts:
            rejects.append(
                Reject(
                    source=source,
                    line=n,
                    field="interval_start",
                    reason="interval ends in the future",
                )
            )
            continue
        if (r.meter_id, start) in seen:
            rejects.append(
                Reject(source=source, line=n, field="interval_start", reason="duplicate interval")
            )
            continue
        seen.add((r.meter_id, start))
        local = start + offset
        day, hour = local // 86_400, (local % 86_400) // 3600
        key = (cid, day)
        total = hours[key][hour] + r.wh
        if total > UINT32_MAX:
            rejects.append(
                Reject(source=source, line=n, field="wh", reason="hour total overflows uint32")
            )
            continue
        hours[key][hour] = total
        covered[key] += r.interval_seconds
    out: list[ConsumerDay] = []
    for (cid, day), values in sorted(hours.items()):
        if covered[(cid, day)] != 86_400:
            rejects.append(
                Reject(
                    source=source,
                    line=0,
                    field=f"consumer {cid} day {day}",
                    reason=f"{covered[(cid, day)] // 60} of 1440 minutes present; posted flagged missing",
                )
            )
            out.append(ConsumerDay(consumer_id=cid, region_id=region_id, day=day, missing=True))
        else:
            out.append(
                ConsumerDay(consumer_id=cid, region_id=region_id, day=day, readings=tuple(values))
            )
    return out, rejects
