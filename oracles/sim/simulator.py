"""A deterministic (by seed) simulation of a region: consumers, weather, meters and event responses.

Hourly shapes, per class:

* **residential**: a 0.35-0.5 kW base, a morning bump, an evening peak (17:00-21:00) and cooling
  above 22 °C that is strongest when people are home;
* **commercial**: office hours (08:00-18:00 on weekdays) with cooling above 20 °C; low at night and
  at weekends;
* **industrial**: near-flat, with a small weekend dip and little temperature response.

Meter intervals (``SimConfig.interval_minutes``, R-7): the shapes above are hourly. On 15- or
30-minute data each hour's kW is split into its intervals along the line through the neighbouring
hours' values (so a ramp stays a ramp inside the hour), with a few percent of per-interval noise,
rescaled so that every hour's intervals average to that hour's kW before events and rounding; an
event then acts on the intervals of its window. At 60 minutes nothing is split: the numbers are
exactly the hourly simulation's.

Weather: a diurnal temperature cycle (peak at 15:00) with day-to-day variation and a multi-day heat
wave that peaks on the event day. Noise: a per-consumer scale, a per-day factor and per-hour noise.
A share of consumer-days is flagged missing (the meter did not report).

Event responses (``Behavior``): ``FULL`` delivers about 110 % of the commitment, ``PARTIAL``
40-70 %, ``NONE`` nothing, and ``GAMER`` inflates use in the hours before the event (the day-of
adjustment window) by half, hoping to raise its baseline, then reduces. The adjustment cap (B-5)
limits what that inflation can earn.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, Field

from oracles.protocol.enums import ConsumerClass
from oracles.reference import meter_signing
from oracles.reference.baseline_days import is_weekend
from oracles.reference.meter_leaf import ConsumerDay, readings_per_day
from oracles.reference.meter_signing import MeterDomain

HOURS = 24
FloatArray = npt.NDArray[np.float64]


class Behavior(StrEnum):
    FULL = "full"
    PARTIAL = "partial"
    NONE = "none"
    GAMER = "gamer"


CLASS_SHARES = {
    ConsumerClass.Residential: 0.80,
    ConsumerClass.Commercial: 0.15,
    ConsumerClass.Industrial: 0.05,
}
BEHAVIOR_SHARES = {
    Behavior.FULL: 0.55,
    Behavior.PARTIAL: 0.25,
    Behavior.NONE: 0.12,
    Behavior.GAMER: 0.08,
}
# typical kW at the evening peak hours of a hot day, used to size declared capacities
TYPICAL_PEAK_KW = {
    ConsumerClass.Residential: 2.6,
    ConsumerClass.Commercial: 16.0,
    ConsumerClass.Industrial: 42.0,
}
CAPACITY_SHARE = 0.30  # declared reduction capacity: 30 % of the typical peak


class SimConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    consumers: int = Field(default=200, ge=1, le=1_000_000)
    seed: int = 7
    first_day: int = Field(ge=1, description="first local day with meter data")
    event_day: int = Field(ge=1, description="heat-wave peak; the day the event should happen")
    heat_wave_days: int = Field(
        default=3, ge=1, le=7, description="ending the day after the event day"
    )
    missing_rate: float = Field(default=0.01, ge=0, le=0.5)
    mean_temp_c: float = 23.0
    # the region's meter interval: readings per day are 24, 48 or 96
    interval_minutes: Literal[15, 30, 60] = 60
    # per-interval noise (log-normal sigma) of the split of an hour into 15- or 30-minute intervals
    interval_noise: float = Field(default=0.04, ge=0, le=0.5)


class SimConsumer(BaseModel):
    model_config = ConfigDict(frozen=True)

    index: int  # 0-based position in the simulation
    cls: ConsumerClass
    behavior: Behavior
    scale: float
    capacity_w: int
    keeper_consent: bool  # consent bit 1 (automated enrollment)
    min_rate: int  # token units per kWh
    available_hours: int  # 24-bit mask
    meter_id: str


@dataclass(frozen=True)
class Weather:
    temperature_c: FloatArray  # 24 values
    humidity_pct: FloatArray
    irradiance_wm2: FloatArray


class Simulator:
    """Everything here is a pure function of (config, day - first_day): the same seed gives the same
    numbers whatever calendar day the simulation starts on."""

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self._meter_keys: dict[int, bytes] = {}
        rng = np.random.default_rng([config.seed, 0])
        n = config.consumers
        classes = rng.choice(3, size=n, p=[CLASS_SHARES[ConsumerClass(c)] for c in range(3)])
        behaviors = list(Behavior)
        picks = rng.choice(len(behaviors), size=n, p=[BEHAVIOR_SHARES[b] for b in behaviors])
        scales = np.exp(rng.normal(0.0, 0.2, size=n))
        consent_draw = rng.random(n)
        rate_draw = rng.random(n)
        hours_draw = rng.random(n)
        self.consumers: list[SimConsumer] = []
        for i in range(n):
            cls = ConsumerClass(int(classes[i]))
            capacity = int(TYPICAL_PEAK_KW[cls] * float(scales[i]) * CAPACITY_SHARE * 1_000)
            self.consumers.append(
                SimConsumer(
                    index=i,
                    cls=cls,
                    behavior=behaviors[int(picks[i])],
                    scale=float(scales[i]),
                    capacity_w=max(capacity, 100),
                    keeper_consent=bool(consent_draw[i] < 0.92),
                    # 4 % ask for more than any event in the demo pays (preferences at work, V-2 reason 7)
                    min_rate=5_000_000 if rate_draw[i] < 0.04 else 0,
                    # 4 % are available in the mornings only (V-2 reason 8)
                    available_hours=0x000FFF if hours_draw[i] < 0.04 else (1 << 24) - 1,
                    meter_id=f"SIM-{config.seed}-{i:07d}",
                )
            )
        self._cls = classes.astype(np.int64)
        self._scale = scales

    # ------------------------------------------------------------------ weather

    def heat(self, day: int) -> float:
        """Extra °C of the heat wave on ``day`` (0 outside it); peaks on the event day."""
        c = self.config
        last = c.event_day + 1
        first = last - c.heat_wave_days + 1
        if not first <= day <= last:
            return 0.0
        if day == c.event_day:
            return 7.5
        return 3.5 if day < c.event_day else 5.0

    def weather(self, day: int) -> Weather:
        rng = np.random.default_rng([self.config.seed, 1, day - self.config.first_day + 1_000])
        hours = np.arange(HOURS, dtype=np.float64)
        mean = self.config.mean_temp_c + rng.normal(0.0, 1.2) + self.heat(day)
        temp = mean + 7.0 * np.cos(2 * np.pi * (hours - 15) / 24) + rng.normal(0.0, 0.4, HOURS)
        humidity = np.clip(75 - 1.6 * (temp - 15) + rng.normal(0, 3, HOURS), 5, 100)
        cloud = float(np.clip(rng.normal(0.85, 0.1), 0.3, 1.0))
        sun = np.where((hours >= 6) & (hours <= 20), np.sin(np.pi * (hours - 6) / 14), 0.0)
        irradiance = np.clip(950 * cloud * sun, 0, 1_500)
        return Weather(temp, humidity, irradiance)

    # ------------------------------------------------------------------ loads

    def _profiles_kw(self, day: int, temp: FloatArray) -> FloatArray:
        """(consumers, 24) expected kW before noise and events."""
        h = np.arange(HOURS)
        weekend = is_weekend(day)
        cool22 = np.maximum(temp - 22.0, 0.0)
        cool20 = np.maximum(temp - 20.0, 0.0)
        # residential
        morning = np.where((h >= 6) & (h <= 8), 0.35, 0.0)
        evening = np.select([(h >= 17) & (h <= 21), (h >= 15) & (h <= 23)], [1.0, 0.45], 0.0)
        home = np.select(
            [(h >= 16) & (h <= 23), (h >= 0) & (h <= 6)], [1.0, 0.35], 0.55 if weekend else 0.35
        )
        res = 0.4 + morning + evening + 0.10 * cool22 * home
        # commercial
        office = ((h >= 8) & (h < 18)).astype(np.float64)
        if weekend:
            com = 3.5 + 1.5 * office + 0.2 * cool20 * office
        else:
            com = 3.0 + 9.0 * office + 0.75 * cool20 * office
        # industrial
        ind = (30.0 if weekend else 38.0) + 2.0 * ((h >= 6) & (h < 22)) + 0.25 * cool22
        by_class = np.stack([res, com, ind])  # (3, 24)
        out: FloatArray = by_class[self._cls] * self._scale[:, None]
        return out

    def expected_region_kw(self, day: int) -> FloatArray:
        """The region's load without noise or events (the ground truth a forecaster estimates)."""
        total: FloatArray = self._profiles_kw(day, self.weather(day).temperature_c).sum(axis=0)
        return total

    @property
    def per_hour(self) -> int:
        """Meter intervals per hour: 1, 2 or 4."""
        return 60 // self.config.interval_minutes

    def split_hours(self, day: int, kw: FloatArray) -> FloatArray:
        """(consumers, 24) hourly kW -> (consumers, 24 * per_hour) kW per meter interval: linear
        interpolation between the hours' midpoints (flat beyond the first and last), per-interval
        noise, each hour rescaled to keep its mean (its energy). Identity at 60 minutes."""
        per = self.per_hour
        if per == 1:
            return kw
        n = kw.shape[0]
        # each interval's midpoint, in hours after the first hour's midpoint: between hours lo, lo + 1
        at = (np.arange(HOURS * per, dtype=np.float64) + 0.5) / per - 0.5
        lo = np.clip(np.floor(at), 0, HOURS - 1).astype(np.int64)
        hi = np.minimum(lo + 1, HOURS - 1)
        w = np.clip(at - lo, 0.0, 1.0)
        shape = kw[:, lo] * (1.0 - w) + kw[:, hi] * w
        rng = np.random.default_rng([self.config.seed, 4, day - self.config.first_day + 1_000])
        shape *= np.exp(rng.normal(0.0, self.config.interval_noise, size=(n, HOURS * per)))
        hourly_mean = shape.reshape(n, HOURS, per).mean(axis=2)
        scale = np.where(hourly_mean > 0, kw / np.where(hourly_mean > 0, hourly_mean, 1.0), 0.0)
        out: FloatArray = shape * np.repeat(scale, per, axis=1)
        return out

    def loads_wh(
        self,
        day: int,
        *,
        event: tuple[int, int] | None = None,
        commitments: dict[int, int] | None = None,
    ) -> npt.NDArray[np.int64]:
        """(consumers, intervals) Wh per meter interval (24, 48 or 96 a day). ``event``: the
        intervals [start, end) of an event this day (hours on hourly data); ``commitments``:
        consumer index -> committed Wh for those who enrolled."""
        rng = np.random.default_rng([self.config.seed, 2, day - self.config.first_day + 1_000])
        n = self.config.consumers
        kw = self._profiles_kw(day, self.weather(day).temperature_c)
        kw = (
            kw
            * np.exp(rng.normal(0.0, 0.06, size=(n, 1)))
            * np.exp(rng.normal(0.0, 0.07, size=(n, HOURS)))
        )
        response = rng.uniform(0.4, 0.7, size=n)
        per = self.per_hour
        kw = self.split_hours(day, kw)  # kW averaged over each interval
        if event is not None and commitments:
            start, end = event
            hours = (end - start) / per
            gap = 1  # hours between the adjustment window and the event (the demo program's)
            adj_start, adj_end = max(start - (gap + 3) * per, 0), max(start - gap * per, 0)
            for i, committed in commitments.items():
                b = self.consumers[i].behavior
                per_hour_kw = committed / hours / 1_000
                if b == Behavior.FULL:
                    cut = 1.10 * per_hour_kw
                elif b == Behavior.PARTIAL:
                    cut = float(response[i]) * per_hour_kw
                elif b == Behavior.GAMER:
                    kw[i, adj_start:adj_end] *= 1.5  # pre-event inflation of the adjustment window
                    cut = 0.6 * per_hour_kw
                else:
                    cut = 0.0
                kw[i, start:end] = np.maximum(kw[i, start:end] - cut, 0.1 * kw[i, start:end])
        return np.rint(kw * (1_000 / per)).astype(np.int64)

    def missing(self, day: int) -> npt.NDArray[np.bool_]:
        rng = np.random.default_rng([self.config.seed, 3, day - self.config.first_day + 1_000])
        return rng.random(self.config.consumers) < self.config.missing_rate

    def consumer_days(
        self,
        day: int,
        region_id: int,
        ids: list[int],
        *,
        event: tuple[int, int] | None = None,
        commitments: dict[int, int] | None = None,
    ) -> list[ConsumerDay]:
        """The meters' records for ``day``: ``ids[i]`` is consumer i's on-chain id."""
        return self.records(
            day, region_id, ids, self.loads_wh(day, event=event, commitments=commitments)
        )

    def records(
        self, day: int, region_id: int, ids: list[int], wh: npt.NDArray[np.int64]
    ) -> list[ConsumerDay]:
        """Records of already simulated loads ``wh``; this day's missing meters are flagged missing."""
        missing = self.missing(day)
        interval = self.config.interval_minutes
        if wh.shape[1] != readings_per_day(interval):
            raise ValueError(f"{wh.shape[1]} readings a day, not {interval}-minute data")
        return [
            ConsumerDay(
                interval_minutes=interval, consumer_id=cid, region_id=region_id, day=day,
                missing=True,
            )
            if missing[i]
            else ConsumerDay(
                interval_minutes=interval, consumer_id=cid, region_id=region_id, day=day,
                readings=tuple(int(x) for x in wh[i]),
            )
            for i, cid in enumerate(ids)
        ]  # fmt: skip

    def meter_key(self, index: int) -> bytes:
        """Consumer ``index``'s meter signing key: derived from the seed, for simulation only (M-7)."""
        key = self._meter_keys.get(index)
        if key is None:
            key = self._meter_keys[index] = meter_signing.meter_key(self.config.seed, index)
        return key

    def signed_records(
        self,
        day: int,
        region_id: int,
        ids: list[int],
        wh: npt.NDArray[np.int64],
        domain: MeterDomain,
    ) -> list[ConsumerDay]:
        """:meth:`records`, each signed by its meter in ``domain`` (missing days carry the all-zero
        placeholder signature, M-7)."""
        key_of = {cid: self.meter_key(i) for i, cid in enumerate(ids)}
        return list(meter_signing.sign_days(domain, key_of, self.records(day, region_id, ids, wh)))

    def region_load_kw(self, loads_wh: npt.NDArray[np.int64]) -> list[int]:
        """Measured region load per hour (kW averages: the hour's Wh / 1,000), from the meters'
        readings at any interval."""
        hourly = loads_wh.sum(axis=0).reshape(HOURS, -1).sum(axis=1)
        return [int(x) for x in np.rint(hourly / 1_000)]
