"""Meter data sources (CSV, Green Button ESPI): parsing, aggregation to hours, and rejects."""

from __future__ import annotations

import json
from pathlib import Path

from oracles.sources import assemble_days, read_csv, read_green_button, write_rejects

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
