"""A ``USAGE`` report's intervals as meter readings (:class:`~oracles.ingest.meter_files.MeterReading`,
the model the CSV and Green Button sources fill), field by field:

* each interval's ``intervalPeriod`` (or the resource's: intervals without their own follow one
  another from its ``start``, in list order) gives ``interval_start`` and ``interval_seconds``; the
  duration must be the region's meter interval (R-7: 15, 30 or 60 minutes), one reading per
  interval; the alignment, the future and duplicates are then checked as for the files
  (:func:`~oracles.ingest.meter_files.assemble_days`);
* its one ``USAGE`` payload's one value is the Wh of the interval: a whole number >= 0 after the
  USAGE descriptor's ``units`` (``WH``, the default, or ``KWH``);
* any other payload type is refused: the gateway takes usage reports only.

Every refusal is a 400 problem naming the field (``resources[0].intervals[3].payloads[0]``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from pydantic import ValidationError

from oracles.gateway.objects import Interval, IntervalPeriod
from oracles.gateway.problems import bad_request
from oracles.gateway.registry import ResourceRow
from oracles.gateway.ven_objects import ReportIn, ReportPayloadDescriptor
from oracles.ingest.meter_files import MeterReading

USAGE = "USAGE"
UNITS = {"WH": 1, "KWH": 1_000}
MAX_INTERVALS = 20_000  # per report: 208 days of 15-minute readings
_DURATION = re.compile(
    r"^P(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$"
)


def seconds(text: str) -> float | None:
    """An ISO 8601 duration in seconds (weeks, days, hours, minutes, seconds; no years or months,
    whose length varies), None when it is none."""
    m = _DURATION.match(text)
    if m is None or text in ("P", "PT") or text.endswith("T"):
        return None
    w, d, h, mi, s = m.groups()
    return (int(w or 0) * 7 * 86_400 + int(d or 0) * 86_400 + int(h or 0) * 3_600
            + int(mi or 0) * 60 + float(s or 0))  # fmt: skip


def instant(text: str) -> datetime | None:
    """An ISO 8601 date-time with a UTC offset (or ``Z``), None for anything else."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        return None
    return t if t.utcoffset() is not None else None


def unit_factor(descriptors: list[ReportPayloadDescriptor] | None) -> int:
    """Wh per unit of the report's USAGE values; other payload types are refused."""
    factor = 1
    for i, d in enumerate(descriptors or []):
        if d.payloadType != USAGE:
            raise bad_request(f"payloadDescriptors[{i}].payloadType {d.payloadType!r}: the gateway "
                              f"takes {USAGE} reports only (meter readings)")  # fmt: skip
        units = (d.units or "WH").upper()
        if units not in UNITS:
            raise bad_request(f"payloadDescriptors[{i}].units {d.units!r}: USAGE is in WH or KWH")
        factor = UNITS[units]
    return factor


@dataclass(frozen=True)
class Located:
    """A reading and where in the report it came from."""

    where: str  # resources[i].intervals[j]
    resource: ResourceRow
    reading: MeterReading


def readings(
    report: ReportIn, resources: list[ResourceRow], interval_minutes: int, factor: int
) -> list[Located]:
    """The report's readings, ``resources`` matching ``report.resources`` item by item; ``line``
    of each is its ordinal in the report (from 1)."""
    count = sum(len(item.intervals) for item in report.resources)
    if count > MAX_INTERVALS:
        raise bad_request(f"{count:,} intervals: a report holds at most {MAX_INTERVALS:,} (send "
                          "several reports)")  # fmt: skip
    out: list[Located] = []
    slot = interval_minutes * 60
    for i, (item, row) in enumerate(zip(report.resources, resources, strict=True)):
        if not item.intervals:
            raise bad_request(f"resources[{i}].intervals: empty; a report gives intervals")
        nth = 0  # intervals without a period of their own follow one another
        for j, interval in enumerate(item.intervals):
            where = f"resources[{i}].intervals[{j}]"
            start, length = _period(where, interval, item.intervalPeriod, nth)
            if interval.intervalPeriod is None:
                nth += 1
            if length != slot:
                raise bad_request(f"{where}.intervalPeriod.duration: {length:g} s; the meter "
                                  f"interval of region {row.region} is {interval_minutes} minutes "
                                  "(one reading per interval, R-7)")  # fmt: skip
            wh = _wh(where, interval, factor)
            try:
                reading = MeterReading(meter_id=row.meter_id, interval_start=start,
                                       interval_seconds=int(length), wh=wh,
                                       line=len(out) + 1)  # fmt: skip
            except ValidationError as exc:
                first = exc.errors()[0]
                field = ".".join(str(x) for x in first["loc"])
                raise bad_request(f"{where}: {field}: {first['msg']}") from None
            out.append(Located(where, row, reading))
    return out


def _period(
    where: str, interval: Interval, default: IntervalPeriod | None, nth: int
) -> tuple[datetime, float]:
    own = interval.intervalPeriod
    period = own or default
    if period is None:
        raise bad_request(f"{where}: no intervalPeriod, neither its own nor its resource's")
    name = (
        f"{where}.intervalPeriod" if own is not None else f"{where} (the resource's intervalPeriod)"
    )
    start = instant(period.start)
    if start is None:
        raise bad_request(f"{name}.start: {period.start!r} is no date-time with a UTC offset")
    text = period.duration or (default.duration if default is not None else None)
    if text is None:
        raise bad_request(f"{name}.duration: missing; it is the region's meter interval")
    length = seconds(text)
    if length is None:
        raise bad_request(f"{name}.duration: {text!r} is no ISO 8601 duration (e.g. PT1H, PT15M)")
    if period.randomizeStart and seconds(period.randomizeStart) not in (None, 0.0):
        raise bad_request(f"{name}.randomizeStart: a reading's interval is not randomized")
    return start + timedelta(seconds=length * nth), length


def _wh(where: str, interval: Interval, factor: int) -> int:
    payloads = interval.payloads
    for k, p in enumerate(payloads):
        if p.type != USAGE:
            raise bad_request(f"{where}.payloads[{k}].type {p.type!r}: the gateway takes {USAGE} "
                              "reports only (meter readings)")  # fmt: skip
    if len(payloads) != 1 or len(payloads[0].values) != 1:
        raise bad_request(f"{where}.payloads: one {USAGE} payload with one value per interval")
    value = payloads[0].values[0]
    name = f"{where}.payloads[0].values[0]"
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_request(f"{name}: {value!r} is not a number of Wh")
    try:
        wh = Decimal(str(value)) * factor
    except InvalidOperation:
        raise bad_request(f"{name}: {value!r} is not a number of Wh") from None
    if wh < 0:
        raise bad_request(f"{name}: {value} is negative; usage is the energy delivered, >= 0 Wh")
    if wh != wh.to_integral_value():
        raise bad_request(f"{name}: {value} is {wh} Wh, not a whole number of Wh")
    return int(wh)
