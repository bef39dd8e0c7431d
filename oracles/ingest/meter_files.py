"""Meter data sources: the documented CSV format and Green Button (ESPI XML), validated at the boundary.

**CSV** (UTF-8, a header row, one interval per row)::

    meter_id,interval_start,interval_seconds,wh[,channel]
    MTR-0001,2026-07-14T00:00:00-08:00,3600,512
    MTR-0001,2026-07-14T12:00:00-08:00,3600,130,export

``interval_start`` is ISO 8601 with a UTC offset (or ``Z``); ``interval_seconds`` is 900, 1800 or
3600 and the interval lies within one hour; ``wh`` is a whole number of watt-hours, 0..4,294,967,295.
The optional last column ``channel`` is ``import`` (energy delivered to the consumer, the default
when the column is absent or the cell empty) or ``export`` (delivered to the grid, e.g. rooftop
solar): each channel's intervals make their own consumer-days (M-2, M-4).

**Green Button** (NAESB ESPI): an Atom feed whose ``ReadingType`` entries give
``powerOfTenMultiplier``, ``uom`` (72 = Wh) and ``flowDirection`` (1 = forward, delivered to the
consumer: the import channel; 19 = reverse, delivered to the grid: the export channel, M-2), and whose
``IntervalBlock`` entries hold ``IntervalReading`` elements (``timePeriod/start`` in Unix seconds,
``timePeriod/duration``, ``value``). A block's ReadingType is the one its MeterReading links
(``link rel="up"`` of the block to ``.../MeterReading/X/IntervalBlock``, ``link rel="related"`` of
``.../MeterReading/X`` to the ReadingType's ``link rel="self"``), else the last ReadingType before
the block in the feed, else the feed's first. The meter id is the ``UsagePoint`` entry's title unless
given.

Intervals are gathered into the region's intervals (R-7: 15, 30 or 60 minutes of its fixed UTC
offset's local day, R-3) and grouped into consumer-days per channel: 15-minute data stays 15-minute
records in a 15-minute region (no summing), and is summed into hours in an hourly one. A reading
longer than the region's interval cannot be split and is rejected. Every row that fails is returned
as a :class:`Reject` naming the file, line and field; good rows go on. A consumer-day with intervals
missing is posted flagged missing (M-2), with a reject line saying so: nothing is dropped silently.
"""

from __future__ import annotations

import csv
import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import NamedTuple

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError, field_validator

from oracles.reference.baseline_days import day_date
from oracles.reference.meter_leaf import (
    INTERVAL_MINUTES,
    INTERVALS,
    UINT32_MAX,
    Channel,
    ConsumerDay,
    readings_per_day,
)

ESPI = "{http://naesb.org/espi}"
ATOM = "{http://www.w3.org/2005/Atom}"
UOM_WH = 72
HOURS = 24
# ESPI FlowDirectionKind: what a ReadingType's readings measure (absent or 0: forward, as before)
FLOW_FORWARD = 1  # delivered to the consumer: the import channel
FLOW_REVERSE = 19  # delivered to the grid (rooftop solar): the export channel
CHANNEL_OF_FLOW = {0: Channel.IMPORT, FLOW_FORWARD: Channel.IMPORT, FLOW_REVERSE: Channel.EXPORT}
CHANNEL_NAMES = {"import": Channel.IMPORT, "export": Channel.EXPORT}  # the CSV's channel column
CSV_COLUMNS = ["meter_id", "interval_start", "interval_seconds", "wh"]


class MeterReading(BaseModel):
    """One interval of one meter."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    meter_id: str = Field(min_length=1, max_length=64)
    interval_start: AwareDatetime
    interval_seconds: int
    wh: int = Field(ge=0, le=UINT32_MAX)
    channel: Channel = Channel.IMPORT  # Green Button: from the ReadingType's flowDirection
    # where it came from, for rejects: the CSV file's line, or the Green Button IntervalReading's
    # ordinal (0: not from a file)
    line: int = Field(default=0, ge=0, exclude=True)

    @field_validator("interval_seconds")
    @classmethod
    def _length(cls, v: int) -> int:
        if v not in (900, 1800, 3600):
            raise ValueError("must be 900, 1800 or 3600")
        return v

    @field_validator("channel", mode="before")
    @classmethod
    def _channel(cls, v: object) -> object:
        """``import``/``export`` (any case; empty: import) as the CSV writes it, or a Channel."""
        if isinstance(v, str) and not v.strip().isdigit():
            name = v.strip().lower() or "import"
            if name not in CHANNEL_NAMES:
                raise ValueError("must be import or export")
            return CHANNEL_NAMES[name]
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


def day_field(consumer_id: int, day: int, channel: Channel) -> str:
    """The ``field`` of a reject about a whole consumer-day: ``consumer 3 day 20620`` (import) or
    ``consumer 3 day 20620 export``."""
    what = "" if channel == Channel.IMPORT else f" {channel.name.lower()}"
    return f"consumer {consumer_id} day {day}{what}"


def write_rejects(path: Path, rejects: Iterable[Reject]) -> int:
    """Append rejects as JSON lines; returns how many were written."""
    items = list(rejects)
    if items:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as f:
            for r in items:
                f.write(json.dumps(r.model_dump()) + "\n")
    return len(items)


# pydantic's messages that a person can act on better when said in the file's terms
_PLAIN = {
    "timezone_aware": "a time without a UTC offset: write it with one, e.g. 2026-06-01T00:00:00-08:00",
}


def _first_error(exc: ValidationError) -> tuple[str, str]:
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err["loc"]) or "<row>"
    return field, _PLAIN.get(str(err["type"]), str(err["msg"]))


def read_csv(path: Path) -> tuple[list[MeterReading], list[Reject]]:
    readings: list[MeterReading] = []
    rejects: list[Reject] = []
    name = str(path)
    # utf-8-sig: a byte-order mark (spreadsheet exports) is read as nothing, not as part of a column
    with path.open(newline="", encoding="utf-8-sig") as f:
        reader = csv.DictReader(f)
        if reader.fieldnames is None:
            return [], [Reject(source=name, line=1, field="header", reason="empty file")]
        if reader.fieldnames not in (CSV_COLUMNS, [*CSV_COLUMNS, "channel"]):
            return [], [
                Reject(
                    source=name,
                    line=1,
                    field="header",
                    reason=f"expected {','.join(CSV_COLUMNS)}[,channel], "
                    f"got {','.join(reader.fieldnames)}",
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
                readings.append(MeterReading.model_validate({**row, "line": line}))
            except ValidationError as exc:
                field, msg = _first_error(exc)
                rejects.append(Reject(source=name, line=line, field=field, reason=msg))
    return readings, rejects


class _ReadingType(NamedTuple):
    """What a Green Button ReadingType says of its blocks' values: a reject reason if unusable."""

    multiplier: int
    channel: Channel
    field: str = ""
    problem: str = ""


def _reading_type(el: ET.Element) -> _ReadingType:
    try:
        multiplier = int(el.findtext(f"{ESPI}powerOfTenMultiplier", "0"))
        uom = int(el.findtext(f"{ESPI}uom", str(UOM_WH)))
        flow = int(el.findtext(f"{ESPI}flowDirection", "0"))
    except ValueError:
        return _ReadingType(0, Channel.IMPORT, "ReadingType",
                            "powerOfTenMultiplier/uom/flowDirection not integers")  # fmt: skip
    if uom != UOM_WH:
        return _ReadingType(0, Channel.IMPORT, "ReadingType.uom", f"unit {uom} is not Wh (72)")
    if flow not in CHANNEL_OF_FLOW:
        return _ReadingType(
            0, Channel.IMPORT, "ReadingType.flowDirection",
            f"flow direction {flow} is neither forward ({FLOW_FORWARD}) nor reverse ({FLOW_REVERSE})",
        )  # fmt: skip
    return _ReadingType(multiplier, CHANNEL_OF_FLOW[flow])


def _links(entry: ET.Element) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for link in entry.findall(f"{ATOM}link"):
        out[link.get("rel", "")].append(link.get("href", "").rstrip("/"))
    return out


def _block_reading_types(root: ET.Element) -> list[tuple[ET.Element, _ReadingType]]:
    """Each IntervalBlock with its ReadingType (the module's rule: linked, else the last one before
    it, else the feed's first; none at all: Wh, forward)."""
    entries = list(root.iter(f"{ATOM}entry")) or [root]
    by_href: dict[str, _ReadingType] = {}
    related: dict[str, list[str]] = {}  # MeterReading href -> its related hrefs
    seen: list[tuple[ET.Element, dict[str, list[str]], _ReadingType | None]] = []
    last: _ReadingType | None = None
    first: _ReadingType | None = None
    for entry in entries:
        links = _links(entry)
        if entry.find(f".//{ESPI}MeterReading") is not None:
            for href in links.get("self", []):
                related[href] = links.get("related", [])
        for el in entry.iter():
            if el.tag == f"{ESPI}ReadingType":
                last = _reading_type(el)
                first = first or last
                for href in links.get("self", []):
                    by_href[href] = last
            elif el.tag == f"{ESPI}IntervalBlock":
                seen.append((el, links, last))
    default = _ReadingType(0, Channel.IMPORT)
    out: list[tuple[ET.Element, _ReadingType]] = []
    for block, links, before in seen:
        linked = [
            by_href[h]
            for up in links.get("up", [])
            for h in related.get(up.removesuffix("/IntervalBlock"), [])
            if h in by_href
        ]
        out.append((block, linked[0] if linked else before or first or default))
    return out


def read_green_button(
    path: Path, meter_id: str | None = None
) -> tuple[list[MeterReading], list[Reject]]:
    name = str(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        line = exc.position[0] if exc.position else 0
        return [], [Reject(source=name, line=line, field="<xml>", reason=f"malformed XML: {exc}")]
    blocks = _block_reading_types(root)
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
    n = 0
    for block, rt in blocks:
        if rt.problem:  # the block's values cannot be read as Wh of a channel: one reject per block
            rejects.append(Reject(source=name, line=0, field=rt.field, reason=rt.problem))
            n += len(block.findall(f"{ESPI}IntervalReading"))
            continue
        for reading in block.iter(f"{ESPI}IntervalReading"):
            n += 1
            readings_or_reject = _interval_reading(reading, meter_id, rt, name, n)
            if isinstance(readings_or_reject, Reject):
                rejects.append(readings_or_reject)
            else:
                readings.append(readings_or_reject)
    return readings, rejects


def _interval_reading(
    reading: ET.Element, meter_id: str, rt: _ReadingType, name: str, n: int
) -> MeterReading | Reject:
    start = reading.findtext(f"{ESPI}timePeriod/{ESPI}start")
    duration = reading.findtext(f"{ESPI}timePeriod/{ESPI}duration")
    value = reading.findtext(f"{ESPI}value")
    where = f"IntervalReading[{n}]"
    multiplier = rt.multiplier
    try:
        if start is None or duration is None or value is None:
            raise ValueError("needs timePeriod/start, timePeriod/duration and value")
        wh_exact = (
            int(value) * 10**multiplier if multiplier >= 0 else int(value) / 10 ** (-multiplier)
        )
        return MeterReading(
            meter_id=meter_id,
            interval_start=datetime.fromtimestamp(int(start), tz=UTC),
            interval_seconds=int(duration),
            wh=int(wh_exact),
            channel=rt.channel,
            line=n,
        )
    except ValidationError as exc:
        field, msg = _first_error(exc)
        return Reject(source=name, line=n, field=f"{where}.{field}", reason=msg)
    except ValueError as exc:
        return Reject(source=name, line=n, field=where, reason=str(exc))


def assemble_days(
    readings: Iterable[MeterReading],
    *,
    region_id: int,
    utc_offset_minutes: int,
    resolve: Callable[[str], int | None],
    source: str,
    now_ts: int | None = None,
    interval_minutes: int = INTERVAL_MINUTES,
    first_day: Callable[[int], int] | None = None,
) -> tuple[list[ConsumerDay], list[Reject]]:
    """Gather intervals into the region's ``interval_minutes`` intervals (R-7: 15, 30 or 60) and
    consumer-days, one per channel (M-2, M-4).

    ``resolve`` maps a meter id to its on-chain consumer id (None: unknown meter). Readings in the
    future, duplicate intervals, unknown meters and readings longer than the region's interval are
    rejected; incomplete days are posted flagged missing, with a reject line each. ``first_day``
    maps a consumer id to its activation day: a day before it is rejected whole and not built
    (settlement never reads it, M-6). Days come out in (consumer, day, channel) order.
    """
    if interval_minutes not in INTERVALS:
        raise ValueError(f"interval must be one of {INTERVALS} minutes, got {interval_minutes}")
    slot = interval_minutes * 60
    slots = readings_per_day(interval_minutes)
    unit = "hour" if slot == 3600 else f"{interval_minutes}-minute interval"
    rejects: list[Reject] = []
    seen: set[tuple[str, Channel, int]] = set()
    values: dict[tuple[int, int, Channel], list[int]] = defaultdict(lambda: [0] * slots)
    covered: dict[tuple[int, int, Channel], int] = defaultdict(int)  # seconds of data per day
    ids: dict[str, int | None] = {}
    offset = utc_offset_minutes * 60
    for ordinal, r in enumerate(readings, start=1):
        n = r.line or ordinal  # the file's own line (CSV) or IntervalReading ordinal
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
        if r.interval_seconds > slot:
            rejects.append(
                Reject(
                    source=source,
                    line=n,
                    field="interval_seconds",
                    reason=f"a {r.interval_seconds // 60}-minute reading cannot fill the region's "
                    f"{interval_minutes}-minute intervals",
                )
            )
            continue
        if start % r.interval_seconds or (start % slot) + r.interval_seconds > slot:
            rejects.append(
                Reject(
                    source=source,
                    line=n,
                    field="interval_start",
                    reason=f"interval not aligned within one {unit}",
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
        if (r.meter_id, r.channel, start) in seen:
            rejects.append(
                Reject(source=source, line=n, field="interval_start", reason="duplicate interval")
            )
            continue
        seen.add((r.meter_id, r.channel, start))
        local = start + offset
        day, k = local // 86_400, (local % 86_400) // slot
        key = (cid, day, r.channel)
        total = values[key][k] + r.wh
        if total > UINT32_MAX:
            rejects.append(
                Reject(source=source, line=n, field="wh", reason=f"{unit} total overflows uint32")
            )
            continue
        values[key][k] = total
        covered[key] += r.interval_seconds
    out: list[ConsumerDay] = []
    for (cid, day, channel), day_values in sorted(values.items()):
        first = first_day(cid) if first_day is not None else 0
        if day < first:
            rejects.append(Reject(
                source=source, line=0, field=day_field(cid, day, channel),
                reason=f"{day_date(day)} is before the consumer's activation on {day_date(first)} "
                "(M-6): settlement never reads it; not posted",
            ))  # fmt: skip
            continue
        common = {"interval_minutes": interval_minutes, "channel": channel,
                  "consumer_id": cid, "region_id": region_id, "day": day}  # fmt: skip
        if covered[(cid, day, channel)] != 86_400:
            rejects.append(
                Reject(
                    source=source,
                    line=0,
                    field=day_field(cid, day, channel),
                    reason=f"{covered[(cid, day, channel)] // 60} of 1440 minutes present; "
                    "posted flagged missing",
                )
            )
            out.append(ConsumerDay.model_validate({**common, "missing": True}))
        else:
            out.append(ConsumerDay.model_validate({**common, "readings": tuple(day_values)}))
    return out, rejects
