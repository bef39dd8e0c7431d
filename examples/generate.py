"""Write the example input files of ``examples/`` (the walkthrough in ``examples/README.md``).

Run from the project root: ``python -m examples.generate`` (or ``python examples/generate.py``).
Deterministic: no clock, no random state; every value comes from the constants below and a hash
of its coordinates, so a second run writes the same bytes (``tests/python/test_walkthrough.py``
checks the committed files against a fresh run).

The dates follow the local network (``oracles/ops/localnet.py`` ``GENESIS``, 2026-06-01 00:00 UTC;
docs/localnet.md) and region 1 of ``deploy/development.json`` (CAISO NP15, UTC-8, hourly):

* ``meters-history.csv``: meters MTR-1001 and MTR-1002, hourly, every local day from 2026-06-01
  to 2026-06-14 (the 10 weekdays before the event day are its 10-in-10 baseline days, S-3);
* ``green-button-1003.xml``: meter GB-1003's same days as a Green Button (ESPI) feed;
* ``meters-event-day.csv``: the three meters on the event day, 2026-06-15 (a Monday), each
  using less from 17:00 to 19:00 local, the event's window;
* ``weather.csv``: region 1's hourly weather from 2026-06-09 to 2026-06-16 (the last two days are
  the forecast's weather, at most 48 h ahead, F-1);
* ``load.csv``: region 1's measured load, frequency and voltage from 2026-06-09 to 2026-06-14.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(
    0, str(ROOT)
)  # `python examples/generate.py` as well as `python -m examples.generate`

from oracles.ops.localnet import GENESIS  # noqa: E402

REGION = json.loads((ROOT / "deploy" / "development.json").read_text())["regions"][0]
OFFSET = timedelta(minutes=REGION["utc_offset_minutes"])  # UTC-8: the region's standard time
LOCAL = timezone(OFFSET)
FIRST_DAY = (GENESIS + OFFSET).date() + timedelta(days=1)  # 2026-06-01, the first whole local day
HISTORY_DAYS = 14  # 2026-06-01 .. 2026-06-14
EVENT_DAY = FIRST_DAY + timedelta(days=HISTORY_DAYS)  # 2026-06-15, a Monday
EVENT_HOURS = range(17, 19)  # the event 17:00-19:00 local
GRID_FROM = EVENT_DAY - timedelta(
    days=6
)  # weather and load from 2026-06-09 (within 168 h, F-1, F-3)
WEATHER_TO = EVENT_DAY + timedelta(days=1)  # weather through 2026-06-16 (the forecast's hours)


@dataclass(frozen=True)
class Meter:
    meter_id: str
    scale: float  # times the household profile
    cooling: float  # Wh per °C above 22 °C in the afternoon and evening
    event_cut: float  # the share of its usual load it sheds in the event's hours


METERS = (
    Meter("MTR-1001", 1.0, 40.0, 0.70),  # consumer1: a house that turns its air conditioning off
    Meter("MTR-1002", 2.5, 90.0, 0.40),  # consumer2: a small shop that dims and pre-cools
    Meter("GB-1003", 0.8, 30.0, 0.25),  # consumer3: an apartment, its utility's Green Button export
)
# a household's hourly use, Wh, hours 0..23 local
PROFILE = (420, 390, 370, 360, 370, 430, 560, 760, 820, 700, 620, 600,
           610, 620, 650, 720, 880, 1_100, 1_250, 1_300, 1_150, 950, 720, 520)  # fmt: skip


def noise(*key: object) -> float:
    """A fixed number in [-1, 1) for ``key``: the hash of its text, never a random state."""
    digest = hashlib.sha256(repr(key).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**63 - 1.0


def days(first: date, last: date) -> Iterator[date]:
    d = first
    while d <= last:
        yield d
        d += timedelta(days=1)


def temperature(d: date, hour: int) -> float:
    """°C: a warm June with a heat wave building towards the event day; coolest at 05:00."""
    warming = 1.2 * max((d - FIRST_DAY).days - 8, 0)
    daily = 7.0 * math.cos((hour - 16) / 24 * 2 * math.pi)
    return round(21.0 + warming + daily + 0.8 * noise("t", d, hour), 1)


def meter_wh(m: Meter, d: date, hour: int) -> int:
    weekend = 1.12 if d.weekday() >= 5 else 1.0
    cooling = m.cooling * max(temperature(d, hour) - 22.0, 0.0) if 12 <= hour <= 21 else 0.0
    usual = (PROFILE[hour] * m.scale * weekend + cooling) * (1 + 0.04 * noise(m.meter_id, d, hour))
    if d == EVENT_DAY and hour in EVENT_HOURS:
        usual *= 1 - m.event_cut
    return round(usual)


def local_start(d: date, hour: int) -> datetime:
    return datetime(d.year, d.month, d.day, hour, tzinfo=LOCAL)


def meter_csv(meters: tuple[Meter, ...], first: date, last: date) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["meter_id", "interval_start", "interval_seconds", "wh", "channel"])
    for m in meters:
        for d in days(first, last):
            for hour in range(24):
                w.writerow([m.meter_id, local_start(d, hour).isoformat(), 3600,
                            meter_wh(m, d, hour), "import"])  # fmt: skip
    return out.getvalue()


def green_button(m: Meter, first: date, last: date) -> str:
    """An ESPI feed: the UsagePoint (its title is the meter id), a ReadingType (Wh, forward flow,
    hourly) and one IntervalBlock per local day (docs/meter-data.md)."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:espi="http://naesb.org/espi">',
        f"  <id>urn:uuid:{_uuid(m.meter_id, 'feed')}</id>",
        "  <title>Green Button Usage Feed</title>",
        f"  <updated>{datetime.combine(last + timedelta(days=1), datetime.min.time(), UTC):%Y-%m-%dT%H:%M:%SZ}</updated>",
        "  <entry>",
        f"    <id>urn:uuid:{_uuid(m.meter_id, 'usage-point')}</id>",
        f"    <title>{m.meter_id}</title>",
        "    <content>",
        '      <UsagePoint xmlns="http://naesb.org/espi">',
        "        <ServiceCategory><kind>0</kind></ServiceCategory>",
        "      </UsagePoint>",
        "    </content>",
        "  </entry>",
        "  <entry>",
        f"    <id>urn:uuid:{_uuid(m.meter_id, 'reading-type')}</id>",
        "    <title>Type of Meter Reading Data</title>",
        "    <content>",
        '      <ReadingType xmlns="http://naesb.org/espi">',
        "        <accumulationBehaviour>4</accumulationBehaviour>",
        "        <commodity>1</commodity>",
        "        <flowDirection>1</flowDirection>",
        "        <intervalLength>3600</intervalLength>",
        "        <kind>12</kind>",
        "        <powerOfTenMultiplier>0</powerOfTenMultiplier>",
        "        <uom>72</uom>",
        "      </ReadingType>",
        "    </content>",
        "  </entry>",
    ]
    for d in days(first, last):
        start = int(local_start(d, 0).timestamp())
        lines += [
            "  <entry>",
            f"    <id>urn:uuid:{_uuid(m.meter_id, 'block', d)}</id>",
            f"    <title>Interval data {d.isoformat()}</title>",
            "    <content>",
            '      <IntervalBlock xmlns="http://naesb.org/espi">',
            f"        <interval><duration>86400</duration><start>{start}</start></interval>",
        ]
        for hour in range(24):
            lines += [
                "        <IntervalReading>",
                f"          <timePeriod><duration>3600</duration><start>{start + 3600 * hour}</start></timePeriod>",
                f"          <value>{meter_wh(m, d, hour)}</value>",
                "        </IntervalReading>",
            ]
        lines += ["      </IntervalBlock>", "    </content>", "  </entry>"]
    lines.append("</feed>")
    return "\n".join(lines) + "\n"


def _uuid(*key: object) -> str:
    h = hashlib.sha256(repr(key).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-8{h[17:20]}-{h[20:32]}"


def weather_csv(first: date, last: date) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["hour_start", "temperature_c", "humidity_pct", "irradiance_wm2"])
    for d in days(first, last):
        for hour in range(24):
            t = temperature(d, hour)
            sun = max(math.sin((hour - 6) / 14 * math.pi), 0.0) if 6 <= hour <= 20 else 0.0
            humidity = round(
                min(max(70.0 - 2.2 * (t - 15.0) + 3 * noise("h", d, hour), 5.0), 100.0), 1
            )
            w.writerow([local_start(d, hour).isoformat(), f"{t:.1f}", f"{humidity:.1f}",
                        round(950 * sun * (1 + 0.05 * noise("i", d, hour)))])  # fmt: skip
    return out.getvalue()


def region_load_kw(d: date, hour: int) -> int:
    """The region's load: about half its capacity overnight, rising with the afternoon heat."""
    shape = PROFILE[hour] / max(PROFILE)
    heat = 28_000 * max(temperature(d, hour) - 22.0, 0.0)
    weekend = 0.93 if d.weekday() >= 5 else 1.0
    return round((900_000 + 800_000 * shape) * weekend + heat + 15_000 * noise("l", d, hour))


def load_csv(first: date, last: date) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["hour_start", "load_kw", "frequency_mhz", "voltage_permille"])
    for d in days(first, last):
        for hour in range(24):
            w.writerow([local_start(d, hour).isoformat(), region_load_kw(d, hour),
                        round(60_000 + 25 * noise("f", d, hour)),
                        round(1_000 + 4 * noise("v", d, hour))])  # fmt: skip
    return out.getvalue()


def files() -> dict[str, str]:
    """Every example file's name and its text."""
    last_history = EVENT_DAY - timedelta(days=1)
    return {
        "meters-history.csv": meter_csv(METERS[:2], FIRST_DAY, last_history),
        "green-button-1003.xml": green_button(METERS[2], FIRST_DAY, last_history),
        "meters-event-day.csv": meter_csv(METERS, EVENT_DAY, EVENT_DAY),
        "weather.csv": weather_csv(GRID_FROM, WEATHER_TO),
        "load.csv": load_csv(GRID_FROM, last_history),
    }


def write(folder: Path = HERE) -> list[Path]:
    written = []
    for name, text in files().items():
        path = folder / name
        path.write_bytes(text.encode())
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write():
        print(f"wrote {path.relative_to(ROOT)}")
