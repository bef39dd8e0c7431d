"""Meter data sources (CSV, Green Button ESPI): parsing, aggregation to hours, and rejects."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from oracles.ingest.meter_files import assemble_days, read_csv, read_green_button, write_rejects
from oracles.protocol.region_time import RegionClock
from oracles.reference.meter_leaf import Channel

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


def test_csv__channel_column__import_by_default__export_its_own_days(tmp_path: Path) -> None:
    """The optional ``channel`` column (issue 23): ``import``/empty/absent is import, ``export``
    (any case) the export channel; the same interval on both channels is no duplicate, and each
    channel makes its own consumer-day (M-2, M-4)."""
    path = tmp_path / "c.csv"
    rows = ["meter_id,interval_start,interval_seconds,wh,channel"]
    for h in range(24):
        start = f"2026-07-14T{h:02d}:00:00+00:00"
        rows += [f"A,{start},3600,{100 + h},", f"A,{start},3600,{h},Export"]
    path.write_text("\n".join([*rows, "A,2026-07-15T00:00:00+00:00,3600,1,net"]) + "\n")
    readings, rejects = read_csv(path)
    assert [(r.line, r.field) for r in rejects] == [(50, "channel")]
    assert [r.channel for r in readings[:2]] == [Channel.IMPORT, Channel.EXPORT]
    days, more = assemble_days(readings, region_id=1, utc_offset_minutes=0,
                               resolve=lambda m: 7, source="c.csv")  # fmt: skip
    assert more == []
    assert [(d.channel, d.readings[:2]) for d in days] == [
        (Channel.IMPORT, (100, 101)),
        (Channel.EXPORT, (0, 1)),
    ]
    plain = tmp_path / "p.csv"  # without the column: import, as before
    plain.write_text("meter_id,interval_start,interval_seconds,wh\nA,2026-07-14T00:00:00Z,3600,5\n")
    assert [r.channel for r in read_csv(plain)[0]] == [Channel.IMPORT]


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
    # each row's reject names the file's own line (the header is line 1; issue 25 item 4)
    lines = {r.reason.split(" (")[0]: r.line for r in rejects}
    assert (lines["duplicate interval"], lines["unknown meter 'GHOST'"]) == (26, 27)
    assert lines["interval ends in the future"] == 48
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
    that overflows is rejected with its line in the file (the header is line 1), and the day, now
    short of those 45 minutes, is flagged missing."""
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
        (26, "wh", "hour total overflows uint32"),
        (27, "wh", "hour total overflows uint32"),
        (28, "wh", "hour total overflows uint32"),
    ]
    assert rejects[3].reason == "1395 of 1440 minutes present; posted flagged missing"
    assert [d.missing for d in days] == [True]


# issue 23: the region's interval and the import and export channels (M-2) ----------------


def test_green_button__15min_data_in_a_15_minute_region__kept_as_96_readings() -> None:
    """R-7, M-2: where the region uses 15-minute intervals, Green Button quarter-hours stay
    quarter-hours (no summing): the record's 96 readings are the file's values, in order
    (hand-computed: the sample's quarter q of hour h holds 100 + 10q + h)."""
    readings, rejects = read_green_button(DATA / "green_button_15min.xml")
    days, more = assemble_days(readings, region_id=3, utc_offset_minutes=OFFSET, resolve=_resolve,
                               source="gb", interval_minutes=15)  # fmt: skip
    assert rejects == more == [] and len(days) == 1
    d = days[0]
    assert (d.interval_minutes, d.channel, d.day, d.missing) == (15, Channel.IMPORT, DAY, False)
    assert d.readings[:5] == (100, 110, 120, 130, 101)
    assert d.readings == tuple(100 + 10 * q + h for h in range(24) for q in range(4))
    assert len(d.encode()) == 398
    # the same file in a 30-minute region: half-hours (100 + 110, 120 + 130, ...)
    (half,), _ = assemble_days(readings, region_id=4, utc_offset_minutes=OFFSET, resolve=_resolve,
                               source="gb", interval_minutes=30)  # fmt: skip
    assert half.readings[:3] == (210, 250, 212) and len(half.readings) == 48
    # and in an hourly region, hours as before
    (hourly,), _ = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                                 resolve=_resolve, source="gb")  # fmt: skip
    assert hourly.readings == d.hourly() == half.hourly()


def _csv(path: Path, seconds: int, count: int, wh: int = 5) -> Path:
    rows = ["meter_id,interval_start,interval_seconds,wh"]
    rows += [f"MTR-1,{_iso(MIDNIGHT + seconds * k)},{seconds},{wh}" for k in range(count)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_csv__interval_seconds_into_each_region_interval(tmp_path: Path) -> None:
    """R-7: CSV rows of 900, 1800 or 3600 seconds, as today: 900-second rows fill a 15-minute
    region's intervals one to one and add up in pairs in a 30-minute region; a row longer than the
    region's interval cannot be split and is rejected, with its line (the day, short of it, is
    flagged missing)."""
    quarters, _ = read_csv(_csv(tmp_path / "q.csv", 900, 96))
    (q,), rejects = assemble_days(quarters, region_id=3, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="q", interval_minutes=15)  # fmt: skip
    assert rejects == [] and q.readings == (5,) * 96
    (h,), rejects = assemble_days(quarters, region_id=4, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="q", interval_minutes=30)  # fmt: skip
    assert rejects == [] and h.readings == (10,) * 48
    halves, _ = read_csv(_csv(tmp_path / "h.csv", 1800, 48))
    days, rejects = assemble_days(halves, region_id=3, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="h", interval_minutes=15)  # fmt: skip
    assert days == [] and len(rejects) == 48
    assert {(r.field, r.reason) for r in rejects} == {
        ("interval_seconds", "a 30-minute reading cannot fill the region's 15-minute intervals")
    }
    assert [r.line for r in rejects[:2]] == [2, 3]  # the file's lines, after the header
    # 95 good quarter-hours and one half-hour: the half-hour is rejected, the day flagged missing
    mixed = [*quarters[:94], *halves[47:]]
    (d,), rejects = assemble_days(mixed, region_id=3, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="m", interval_minutes=15)  # fmt: skip
    assert d.missing and [r.reason.split(";")[0] for r in rejects] == [
        "a 30-minute reading cannot fill the region's 15-minute intervals",
        "1410 of 1440 minutes present",
    ]


_FEED = """<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">
  <entry><title>GB-METER-0001</title>
    <link rel="self" href="https://u.example/espi/UsagePoint/1"/>
    <content><UsagePoint xmlns="http://naesb.org/espi"/></content></entry>
{entries}
</feed>
"""


def _reading_type(rid: str, flow: int | None) -> str:
    direction = "" if flow is None else f"<flowDirection>{flow}</flowDirection>"
    return (f'<entry><link rel="self" href="https://u.example/espi/ReadingType/{rid}"/>'
            f'<content><ReadingType xmlns="http://naesb.org/espi">{direction}'
            "<powerOfTenMultiplier>0</powerOfTenMultiplier><uom>72</uom></ReadingType></content>"
            "</entry>")  # fmt: skip


def _meter_reading(mid: str, rid: str) -> str:
    return (f'<entry><link rel="self" href="https://u.example/espi/UsagePoint/1/MeterReading/{mid}"/>'
            f'<link rel="related" href="https://u.example/espi/ReadingType/{rid}"/>'
            '<content><MeterReading xmlns="http://naesb.org/espi"/></content></entry>')  # fmt: skip


def _block(mid: str | None, values: list[int], seconds: int = 900) -> str:
    up = ("" if mid is None else
          f'<link rel="up" href="https://u.example/espi/UsagePoint/1/MeterReading/{mid}/IntervalBlock"/>')  # fmt: skip
    body = "".join(
        f"<IntervalReading><timePeriod><duration>{seconds}</duration><start>{MIDNIGHT + seconds * k}"
        f"</start></timePeriod><value>{v}</value></IntervalReading>"
        for k, v in enumerate(values)
    )
    return f'<entry>{up}<content><IntervalBlock xmlns="http://naesb.org/espi">{body}</IntervalBlock></content></entry>'


def test_green_button__reverse_flow_block__export_channel_by_link(tmp_path: Path) -> None:
    """M-2: an ESPI IntervalBlock whose ReadingType has flowDirection 19 (reverse: delivered to the
    grid) goes to the export channel, one whose ReadingType has 1 (forward) to import; the block's
    ReadingType is the one its MeterReading links, whatever the order of the entries (here the
    forward ReadingType comes last). A consumer-day then has two records, one per channel."""
    imports, exports = [7] * 96, [k % 3 for k in range(96)]
    entries = [
        _meter_reading("imp", "fwd"), _meter_reading("exp", "rev"),
        _reading_type("rev", 19), _block("exp", exports), _block("imp", imports),
        _reading_type("fwd", 1),
    ]  # fmt: skip
    path = tmp_path / "two_channels.xml"
    path.write_text(_FEED.format(entries="\n".join(entries)))
    readings, rejects = read_green_button(path)
    assert rejects == [] and len(readings) == 192
    days, more = assemble_days(readings, region_id=3, utc_offset_minutes=OFFSET, resolve=_resolve,
                               source="gb", interval_minutes=15)  # fmt: skip
    assert more == []
    assert [(d.consumer_id, d.day, d.channel) for d in days] == [
        (7, DAY, Channel.IMPORT),
        (7, DAY, Channel.EXPORT),
    ]
    assert days[0].readings == tuple(imports) and days[1].readings == tuple(exports)
    assert days[1].encode()[:3] == bytes([1, 15, 1])


def test_green_button__reverse_flow_without_links__the_preceding_reading_type(
    tmp_path: Path,
) -> None:
    """Without links, a block takes the last ReadingType before it; a flowDirection that is
    neither forward nor reverse (4, net) is one reject per block, its readings not read; no
    flowDirection at all is import, as before."""
    entries = [
        _reading_type("a", 19), _block(None, [1] * 24, 3600),
        _reading_type("b", 4), _block(None, [2] * 24, 3600),
        _reading_type("c", None), _block(None, [3] * 24, 3600),
    ]  # fmt: skip
    path = tmp_path / "order.xml"
    path.write_text(_FEED.format(entries="\n".join(entries)))
    readings, rejects = read_green_button(path)
    assert [(r.field, r.reason) for r in rejects] == [
        ("ReadingType.flowDirection", "flow direction 4 is neither forward (1) nor reverse (19)")
    ]
    assert [(r.channel, r.wh) for r in readings[::24]] == [(Channel.EXPORT, 1), (Channel.IMPORT, 3)]
    days, more = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                               resolve=_resolve, source="gb")  # fmt: skip
    assert more == [] and [(d.channel, d.readings[0]) for d in days] == [
        (Channel.IMPORT, 3),
        (Channel.EXPORT, 1),
    ]


def test_csv__byte_order_mark__read_as_utf8(tmp_path: Path) -> None:
    """Issue 25 item 4: a CSV saved with a UTF-8 byte-order mark (spreadsheet exports) reads as the
    same file without it; the mark never becomes part of the first column's name."""
    body = "meter_id,interval_start,interval_seconds,wh\nm1,2026-06-01T00:00:00+00:00,3600,100\n"
    (tmp_path / "plain.csv").write_text(body)
    (tmp_path / "bom.csv").write_bytes(b"\xef\xbb\xbf" + body.encode())
    plain, bom = read_csv(tmp_path / "plain.csv"), read_csv(tmp_path / "bom.csv")
    assert bom == plain and len(bom[0]) == 1 and bom[1] == []


def test_csv__empty_file__one_reject_says_so(tmp_path: Path) -> None:
    """Issue 25 item 4: an empty file is one reject naming it, line 1, 'empty file'."""
    (tmp_path / "empty.csv").write_text("")
    readings, rejects = read_csv(tmp_path / "empty.csv")
    assert readings == []
    assert [(r.source, r.line, r.field, r.reason) for r in rejects] == [
        (str(tmp_path / "empty.csv"), 1, "header", "empty file")
    ]


def test_csv__local_times_with_dst_offsets__standard_days_15_minutes(tmp_path: Path) -> None:
    """R-8 input: a utility's export in its zone's clock (America/Los_Angeles, -08:00 in winter,
    -07:00 in summer) around both changes of 2026, in a 15-minute region: every row lands in the
    standard-time day and interval of its instant, the repeated autumn 01:00-02:00 twice (no
    duplicate), and the two standard days around each change are complete: 96 intervals each."""
    clock = RegionClock.of(OFFSET, "America/Los_Angeles", 15)
    for change in (date(2026, 3, 8), date(2026, 11, 1)):
        first = clock.day_of_date(change)
        start = clock.day_start(first)
        rows = ["meter_id,interval_start,interval_seconds,wh"]
        for k in range(2 * 96):
            local = (start + timedelta(minutes=15 * k)).astimezone(clock.display)
            rows.append(f"MTR-1,{local.isoformat()},900,{k}")
        path = tmp_path / f"dst-{change}.csv"
        path.write_text("\n".join(rows) + "\n")
        readings, rejects = read_csv(path)
        assert rejects == [] and len(readings) == 192
        offsets = {r.split(",")[1][-6:] for r in rows[1:]}
        assert offsets == {"-08:00", "-07:00"}  # the file really crosses the change
        days, more = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                                   resolve=_resolve, source=str(path), interval_minutes=15)  # fmt: skip
        assert more == []
        assert [(d.day, d.missing) for d in days] == [(first, False), (first + 1, False)]
        assert days[0].readings == tuple(range(96)) and days[1].readings == tuple(range(96, 192))
        # the row of the local clock's 03:00 PDT (spring) or second 01:15 (autumn, PST)
        probe = "2026-03-08T03:00:00-07:00" if change.month == 3 else "2026-11-01T01:15:00-08:00"
        line = next(i for i, r in enumerate(rows) if r.split(",")[1] == probe)
        at = datetime.fromisoformat(probe).astimezone(UTC)
        assert clock.interval_of(at) == (first, 8 if change.month == 3 else 5)
        assert days[0].readings[clock.interval_of(at)[1]] == line - 1
    # the autumn's first 01:15 (PDT) is another instant: interval 1, one hour earlier
    assert clock.interval_of(datetime.fromisoformat("2026-11-01T01:15:00-07:00")) == (
        clock.day_of_date(date(2026, 11, 1)), 1,
    )  # fmt: skip


def test_assemble__day_before_activation__rejected_whole_not_built(tmp_path: Path) -> None:
    """M-6: with ``first_day``, a consumer-day before the consumer's activation is one reject
    naming both dates and is not built (an incomplete one is not also 'posted flagged missing');
    the activation day itself and other consumers' days are kept."""
    from oracles.reference.baseline_days import day_date

    path = tmp_path / "m.csv"
    rows = ["meter_id,interval_start,interval_seconds,wh"]
    rows += [f"MTR-1,{_iso(MIDNIGHT - 86_400 + 3600 * h)},3600,100" for h in range(3)]  # DAY-1
    rows += [f"MTR-1,{_iso(MIDNIGHT + 3600 * h)},3600,100" for h in range(24)]  # DAY
    rows += [f"MTR-2,{_iso(MIDNIGHT - 86_400 + 3600 * h)},3600,100" for h in range(24)]
    path.write_text("\n".join(rows) + "\n")
    readings, _ = read_csv(path)
    days, rejects = assemble_days(readings, region_id=1, utc_offset_minutes=OFFSET,
                                  resolve=_resolve, source="m.csv",
                                  first_day={3: DAY, 4: 0}.__getitem__)  # fmt: skip
    assert [(d.consumer_id, d.day) for d in days] == [(3, DAY), (4, DAY - 1)]
    assert [(r.field, r.reason) for r in rejects] == [(
        f"consumer 3 day {DAY - 1}",
        f"{day_date(DAY - 1)} is before the consumer's activation on {day_date(DAY)} (M-6): "
        "settlement never reads it; not posted",
    )]  # fmt: skip
