"""Meter data sources (CSV, Green Button ESPI): parsing, aggregation to hours, and rejects."""

from __future__ import annotations

import json
from pathlib import Path

from oracles.ingest.meter_files import assemble_days, read_csv, read_green_button, write_rejects

DATA = Path(__file__).parent / "data"
DAY = 20_000
OFFSET = -480  # UTC-8
MIDNIGHT = DAY * 86_400 + 8 * 3600  # local midnight of DAY


def _iso(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def _resolve(meter: str) -> int | None:
    return {"GB-METER-0001": 7, "MTR-1": 3, "MTR-2": 4}.get(meter)


def test_green_button__15min_readings_sum_to_local_hours() -> None:
    readings, rejects = read_green_button(DATA / "green_button_15min.xml")
    assert rejects == []
    assert len(readings) == 96
    assert {r.meter_id for r in readings} == {"GB-METER-0001"}
    days, rejects = assemble_days(
        readings, region_id=1, utc_offset_minutes=OFFSET, resolve=_resolve, source="gb"
    )
    assert rejects == []
    assert len(days) == 1
    d = days[0]
    assert (d.consumer_id, d.region_id, d.day, d.missing) == (7, 1, DAY, False)
    # hour h holds the four readings 100+0+h, 100+10+h, 100+20+h, 100+30+h (see the sample's generator)
    assert d.readings == tuple(4 * 100 + 60 + 4 * h for h in range(24))


def test_green_button__malformed_xml__one_reject_with_line() -> None:
    readings, rejects = read_green_button(DATA / "green_button_malformed.xml")
    assert readings == []
    assert len(rejects) == 1
    assert rejects[0].field == "<xml>" and rejects[0].line > 1
    assert "malformed XML" in rejects[0].reason


def test_green_button__non_wh_unit_rejected(tmp_path: Path) -> None:
    path = tmp_path / "kw.xml"
    path.write_text(
        (DATA / "green_button_15min.xml").read_text().replace("<uom>72</uom>", "<uom>38</uom>")
    )
    readings, rejects = read_green_button(path)
    assert readings == [] and rejects[0].field == "ReadingType.uom"


def test_csv__good_rows_go_on__bad_rows_rejected_with_file_line_field(tmp_path: Path) -> None:
    path = tmp_path / "meters.csv"
    lines = ["meter_id,interval_start,interval_seconds,wh"]
    for h in range(24):
        lines.append(f"MTR-1,{_iso(MIDNIGHT + 3600 * h)},3600,{500 + h}")
    lines.append(f"MTR-2,{_iso(MIDNIGHT)},3600,-5")  # negative
    lines.append(f"MTR-2,{_iso(MIDNIGHT)},600,10")  # bad interval length
    lines.append("MTR-2,not-a-time,3600,10")
    lines.append(f"MTR-2,{_iso(MIDNIGHT)},3600,{2**32}")  # overflows uint32
    lines.append("MTR-2,only,three")
    path.write_text("\n".join(lines) + "\n")
    readings, rejects = read_csv(path)
    assert len(readings) == 24
    got = [(r.line, r.field) for r in rejects]
    assert got == [
        (26, "wh"),
        (27, "interval_seconds"),
        (28, "interval_start"),
        (29, "wh"),
        (30, "<row>"),
    ]
    assert all(r.source == str(path) for r in rejects)
    days, more = assemble_days(
        readings, region_id=1, utc_offset_minutes=OFFSET, resolve=_resolve, source=str(path)
    )
    assert more == []
    assert days[0].readings == tuple(500 + h for h in range(24))
    out = tmp_path / "rejects.jsonl"
    assert write_rejects(out, rejects) == 5
    assert [json.loads(x)["line"] for x in out.read_text().splitlines()] == [26, 27, 28, 29, 30]


def test_csv__wrong_header__one_reject(tmp_path: Path) -> None:
    path = tmp_path / "bad.csv"
    path.write_text("meter,start,wh\nA,B,C\n")
    readings, rejects = read_csv(path)
    assert readings == [] and rejects[0].field == "header" and rejects[0].line == 1


def test_assemble__duplicates_unknown_meters_future_and_gaps(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    rows = ["meter_id,interval_start,interval_seconds,wh"]
    rows += [f"MTR-1,{_iso(MIDNIGHT + 3600 * h)},3600,100" for h in range(24)]
    rows.append(f"MTR-1,{_iso(MIDNIGHT + 3600 * 5)},3600,100")  # duplicate interval
    rows.append(f"GHOST,{_iso(MIDNIGHT)},3600,100")  # unknown meter
    rows += [f"MTR-2,{_iso(MIDNIGHT + 3600 * h)},3600,100" for h in range(20)]  # 4 hours missing
    rows.append(f"MTR-2,{_iso(MIDNIGHT + 86_400 * 3)},3600,100")  # in the future
    path.write_text("\n".join(rows) + "\n")
    readings, rejects = read_csv(path)
    assert rejects == []
    days, rejects = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET, resolve=_resolve,
                                  source="m.csv", now_ts=MIDNIGHT + 86_400 * 2)  # fmt: skip
    reasons = sorted(r.reason.split(" (")[0].split(";")[0] for r in rejects)
    assert reasons == ["1200 of 1440 minutes present", "duplicate interval", "interval ends in the future",
                       "unknown meter 'GHOST'"]  # fmt: skip
    by_id = {d.consumer_id: d for d in days}
    assert not by_id[3].missing and by_id[3].readings == (100,) * 24
    assert by_id[4].missing  # posted flagged missing, never dropped


def _green_button_hours(path: Path, first_ts: int, hours: int) -> dict[int, int]:
    """The sample feed with its interval block replaced by ``hours`` hours of 15-minute readings
    from ``first_ts`` (UTC epoch, as ESPI writes it); reading k is 10 + k Wh. Returns each
    reading's start and value."""
    text = (DATA / "green_button_15min.xml").read_text()
    head, rest = text.split("<IntervalReading>", 1)
    tail = rest[rest.rindex("</IntervalReading>") + len("</IntervalReading>") :]
    values = {first_ts + 900 * k: 10 + k for k in range(4 * hours)}
    body = "".join(
        f"<IntervalReading><timePeriod><duration>900</duration><start>{ts}</start></timePeriod>"
        f"<value>{wh}</value></IntervalReading>"
        for ts, wh in values.items()
    )
    path.write_text(head + body + tail)
    return values


def test_green_button__dst_days__standard_time_hours_lose_nothing(tmp_path: Path) -> None:
    """Bad-input table, DST: ESPI timestamps are UTC and a region's local day is its fixed standard
    offset (R-3), so the meter clock's 23-hour spring day and 25-hour autumn day change nothing: two
    days of readings across each US change of 2026 make two complete 24-hour days, every Wh kept.
    The meter clock's 23-hour day alone is an incomplete standard day, posted flagged missing."""
    from datetime import UTC, datetime

    for change in (datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 11, 1, tzinfo=UTC)):
        midnight = (
            int(change.timestamp()) + 8 * 3600
        )  # 00:00 PST, the start of the change's local day
        values = _green_button_hours(tmp_path / "dst.xml", midnight, 48)
        readings, rejects = read_green_button(tmp_path / "dst.xml")
        assert rejects == [] and len(readings) == 192
        days, rejects = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                                      resolve=_resolve, source="dst")  # fmt: skip
        assert rejects == []
        assert [(d.day, d.missing) for d in days] == [
            (midnight // 86_400, False),
            (midnight // 86_400 + 1, False),
        ]
        assert sum(sum(d.readings) for d in days) == sum(values.values())
        # hour h of the first day holds readings 4h..4h+3 (10 + k each)
        assert days[0].readings == tuple(4 * 10 + 16 * h + 6 for h in range(24))

    spring = int(datetime(2026, 3, 8, tzinfo=UTC).timestamp()) + 8 * 3600
    _green_button_hours(tmp_path / "clock_day.xml", spring, 23)  # the meter clock's day: 23 hours
    readings, _ = read_green_button(tmp_path / "clock_day.xml")
    days, rejects = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="clock_day")  # fmt: skip
    assert [d.missing for d in days] == [True]
    assert [r.reason for r in rejects] == ["1380 of 1440 minutes present; posted flagged missing"]


def test_assemble__hour_total_overflow__rejected(tmp_path: Path) -> None:
    """Bad-input table: four 15-minute readings each within uint32 whose hour sum is not; the reading
    that overflows is rejected (by its position among the readings: assembly numbers readings, not
    file lines), and the day, now short of those 45 minutes, is flagged missing."""
    path = tmp_path / "big.csv"
    rows = ["meter_id,interval_start,interval_seconds,wh"]
    rows += [f"MTR-1,{_iso(MIDNIGHT + 3600 * h)},3600,1" for h in range(1, 24)]
    rows += [f"MTR-1,{_iso(MIDNIGHT + 900 * q)},900,{2**31}" for q in range(4)]
    path.write_text("\n".join(rows) + "\n")
    readings, rejects = read_csv(path)
    assert rejects == []
    days, rejects = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="big.csv")  # fmt: skip
    assert [(r.line, r.field, r.reason) for r in rejects[:3]] == [
        (25, "wh", "hour total overflows uint32"),
        (26, "wh", "hour total overflows uint32"),
        (27, "wh", "hour total overflows uint32"),
    ]
    assert rejects[3].reason == "1395 of 1440 minutes present; posted flagged missing"
    assert [d.missing for d in days] == [True]
