"""Grid measurement files: the CSV the grid oracle posts to GridStability (SPECIFICATION.md G-7).

**CSV** (UTF-8, a header row, one measurement per row)::

    time,load_kw,reserve_kw,frequency_mhz,voltage_permille,phase_centideg
    2026-06-01T00:01:00+00:00,3000000,120000,60002,1001,-1234

``time`` is ISO 8601 with a UTC offset (or ``Z``), the end of the averaging period, to the second;
loads and reserves in kW, frequency in mHz (0 only on a de-energized bus), voltage in 0.1 % of
nominal, the phase angle against the area's reference bus in 0.01°. Rows must be in time order. A
row that does not parse stops the read with ``file:line: field: message``; the contract's own
range checks (G-7) stay the contract's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from pathlib import Path

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

COLUMNS = ("time", "load_kw", "reserve_kw", "frequency_mhz", "voltage_permille", "phase_centideg")


class MeasurementFileError(ValueError):
    """A measurement file cannot be read: ``file:line: field: message``."""


class MeasuredPoint(BaseModel):
    """One measurement as GridStability takes it (IGridStability.Measurement's fields)."""

    model_config = ConfigDict(frozen=True)

    time: int
    load_kw: int
    reserve_kw: int
    frequency_mhz: int
    voltage_permille: int
    phase_centideg: int


class MeasurementRow(BaseModel):
    """One row, validated at the boundary."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    time: AwareDatetime
    load_kw: int = Field(ge=0, lt=2**32)
    reserve_kw: int = Field(ge=0, lt=2**32)
    frequency_mhz: int = Field(ge=0, lt=2**32)
    voltage_permille: int = Field(ge=0, lt=2**16)
    phase_centideg: int = Field(ge=-(2**15), lt=2**15)

    def measurement(self) -> MeasuredPoint:
        return MeasuredPoint(
            time=int(self.time.timestamp()),
            load_kw=self.load_kw,
            reserve_kw=self.reserve_kw,
            frequency_mhz=self.frequency_mhz,
            voltage_permille=self.voltage_permille,
            phase_centideg=self.phase_centideg,
        )


def read_measurements(
    path: Path, check: Callable[[MeasuredPoint], str | None] | None = None
) -> list[MeasuredPoint]:
    """Every row of ``path`` as a measurement, in file order; strictly increasing times. ``check``
    (the measurement daemon's copy of the contract's G-7 ranges) returns what is wrong with a
    parsed row, or None: a row it faults stops the read with ``file:line: message`` too."""
    if not path.is_file():
        raise MeasurementFileError(f"{path}: no such file")
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")  # a byte-order mark is accepted
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise MeasurementFileError(f"{path}:{line}: not UTF-8 text ({exc.reason})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _rows(path, reader, check)
    except csv.Error as exc:  # a NUL byte, an unterminated quote at the end
        raise MeasurementFileError(f"{path}:{reader.line_num}: {exc}") from None


def _rows(
    path: Path,
    reader: csv.DictReader[str],
    check: Callable[[MeasuredPoint], str | None] | None,
) -> list[MeasuredPoint]:
    out: list[MeasuredPoint] = []
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise MeasurementFileError(f"{path}:1: missing column(s) {', '.join(missing)}")
    for row in reader:
        line = reader.line_num
        if None in row or any(v is None for v in row.values()):
            raise MeasurementFileError(f"{path}:{line}: wrong number of columns")
        try:
            m = MeasurementRow.model_validate({c: row[c].strip() for c in COLUMNS}).measurement()
        except ValidationError as exc:
            first = exc.errors()[0]
            field = first["loc"][0] if first["loc"] else "row"
            raise MeasurementFileError(f"{path}:{line}: {field}: {first['msg']}") from None
        if out and m.time <= out[-1].time:
            raise MeasurementFileError(
                f"{path}:{line}: time: not after the row before (rows must be in time order)"
            )
        problem = check(m) if check is not None else None
        if problem is not None:
            raise MeasurementFileError(f"{path}:{line}: {problem}")
        out.append(m)
    return out
