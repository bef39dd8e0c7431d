"""Weather and load CSVs (`gridbalance oracle weather|load`; issue 25 item 4): a byte-order mark is
accepted; an empty file, a missing column, a time without an offset or off the region's hour, and a
bad value are each one line naming the file and the file's real line."""

from __future__ import annotations

from pathlib import Path

import pytest

from oracles.agents.grid_oracles import ActualPoint, WeatherPoint
from oracles.cli.daemons import CommandError, read_points

LOAD = "hour_start,load_kw,frequency_mhz,voltage_permille\n"
WEATHER = "hour_start,temperature_c,humidity_pct,irradiance_wm2\n"
PDT = -480  # the region's standard-time offset (minutes)


def _write(tmp_path: Path, text: str, name: str = "in.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode())
    return path


def test_load_csv__rows__local_hours_of_the_region(tmp_path: Path) -> None:
    path = _write(tmp_path, LOAD + "2026-06-01T08:00:00+00:00,900,50010,1001\n\n"
                  "2026-06-01T01:00:00-08:00,950,49990,999\n")  # fmt: skip
    points = read_points("load", path, PDT)
    assert points == [
        ActualPoint(hour=(1_780_300_800 - 8 * 3600) // 3600, load_kw=900, frequency_mhz=50_010,
                    voltage_permille=1_001),
        ActualPoint(hour=(1_780_300_800 - 8 * 3600) // 3600 + 1, load_kw=950, frequency_mhz=49_990,
                    voltage_permille=999),
    ]  # fmt: skip


def test_weather_csv__byte_order_mark__same_points(tmp_path: Path) -> None:
    body = WEATHER + "2026-06-01T08:00:00+00:00,31.5,40,800\n"
    plain = read_points("weather", _write(tmp_path, body, "a.csv"), PDT)
    marked = read_points("weather", _write(tmp_path, "\ufeff" + body, "b.csv"), PDT)
    assert marked == plain and isinstance(plain[0], WeatherPoint)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("load", "", "in.csv: empty file (expected hour_start,load_kw,frequency_mhz,voltage_permille)"),
        ("load", "hour,load_kw,frequency_mhz,voltage_permille\n",
         "in.csv:1: missing column hour_start (expected hour_start,load_kw,frequency_mhz,"
         "voltage_permille, got hour,load_kw,frequency_mhz,voltage_permille)"),
        ("load", LOAD + "2026-06-01T08:00:00+00:00,900,50010,1001\n\n2026-06-01T09:00:00,1,1,1\n",
         "in.csv:4: hour_start: 2026-06-01T09:00:00 has no UTC offset (write e.g. +00:00)"),
        ("load", LOAD + "2026-06-01T08:30:00+00:00,900,50010,1001\n",
         "in.csv:2: hour_start: 2026-06-01T08:30:00+00:00 is not on an hour of the region"),
        ("load", LOAD + "2026-06-01T08:00:00+00:00,-5,50010,1001\n", "in.csv:2: load_kw:"),
        ("weather", WEATHER + "2026-06-01T08:00:00+00:00,hot,40,800\n",
         "in.csv:2: could not convert string to float: 'hot'"),
        ("weather", WEATHER + "2026-06-01T08:00:00+00:00,31\n", "in.csv:2: wrong number of columns"),
    ],
    ids=["empty", "missing-column", "no-offset", "off-the-hour", "negative", "not-a-number", "short-row"],
)  # fmt: skip
def test_grid_csv__bad_input__one_line_with_file_and_line(
    tmp_path: Path, kind: str, text: str, message: str
) -> None:
    with pytest.raises(CommandError) as info:
        read_points(kind, _write(tmp_path, text), PDT)
    line = str(info.value)
    assert "\n" not in line
    assert line.startswith(str(tmp_path / message.split(":")[0]))
    assert message.split(":", 1)[1] in line.split("in.csv", 1)[1]


@pytest.mark.parametrize(
    ("offset", "text"),
    [(PDT, "2026-06-01 00:00 UTC-08:00"), (330, "2026-06-01 00:00 UTC+05:30")],
)
def test_hour_index__prints_as_the_rows_local_clock_time(offset: int, text: str) -> None:
    """The hour index read_points gives a row's hour_start prints as that row's local time (the
    region's clock, as the grid commands print hours; no zone set: its fixed offset)."""
    from oracles.cli.daemons import _point
    from oracles.protocol.region_time import RegionClock

    sign = "-" if offset < 0 else "+"
    start = f"2026-06-01T00:00:00{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    point = _point("load", {"hour_start": start, "load_kw": "1", "frequency_mhz": "60000",
                            "voltage_permille": "1000"}, offset * 60)  # fmt: skip
    clock = RegionClock.of(offset)
    assert clock.instant_text(clock.hour_start(point.hour)) == text


def test_load_csv__dst_offsets__standard_time_hours(tmp_path: Path) -> None:
    """R-8 input: rows in the zone's clock across the spring change (01:00 PST, then 03:00 PDT)
    and the autumn one (01:00 PDT, then 01:00 PST) are consecutive standard-time hours (T-1): the
    skipped and the repeated local hour change nothing."""
    spring = read_points("load", _write(tmp_path, LOAD + "2026-03-08T01:00:00-08:00,900,50000,1000\n"
                         "2026-03-08T03:00:00-07:00,901,50000,1000\n"), PDT)  # fmt: skip
    fall = read_points("load", _write(tmp_path, LOAD + "2026-11-01T01:00:00-07:00,900,50000,1000\n"
                       "2026-11-01T01:00:00-08:00,901,50000,1000\n"), PDT)  # fmt: skip
    for points, day in ((spring, 20_520), (fall, 20_758)):
        hours = [p.hour for p in points]
        assert hours[1] == hours[0] + 1
        assert divmod(hours[1], 24) == (day, 2 if points is spring else 1)
