"""Weather, actual-load and forecast oracles for LoadForecasting (F-1..F-3), through the outbox.

Points are validated by pydantic models that mirror the contract's ranges, queued in the outbox
keyed by (kind, region, hour), and posted in batches of at most 168 hours with strictly increasing
hours. The forecaster reads the posted history (weather and actual load) back from the chain, fits
the TOWT model (:mod:`oracles.forecasting.models`) and posts 24-48 h of forecasts with its model id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oracles.agents.outbox import Outbox
from oracles.chain.client import ChainClient
from oracles.forecasting.models import MIN_HISTORY_HOURS, MODEL_ID, TowtModel
from oracles.protocol.bindings import HourRecord
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import HourFlag

log = logging.getLogger("gridbalance.grid")

MAX_POINTS = 168
HISTORY_HOURS = 168  # F-1, F-3: an hour more than this far back is refused (PastHour)
HORIZON_HOURS = 48  # F-1: weather at most this far ahead (FutureHour)


class WeatherPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hour: int = Field(ge=0, lt=2**32)
    temperature_c: float = Field(ge=-60, le=60)
    humidity_pct: float = Field(ge=0, le=100)
    irradiance_wm2: float = Field(ge=0, le=1_500)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (
            self.hour,
            round(self.temperature_c * 10),
            round(self.humidity_pct * 10),
            round(self.irradiance_wm2),
        )


class ActualPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hour: int = Field(ge=0, lt=2**32)
    load_kw: int = Field(ge=0, lt=2**32)
    frequency_mhz: int = Field(gt=0, lt=2**32)
    voltage_permille: int = Field(ge=500, le=1_500)

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.hour, self.load_kw, self.frequency_mhz, self.voltage_permille)


class ForecastPoint(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    hour: int = Field(ge=0, lt=2**32)
    load_kw: int = Field(ge=0, lt=2**32)
    low_kw: int = Field(ge=0, lt=2**32)
    high_kw: int = Field(ge=0, lt=2**32)

    @model_validator(mode="after")
    def _band(self) -> ForecastPoint:
        if not self.low_kw <= self.load_kw <= self.high_kw:
            raise ValueError(f"hour {self.hour}: need low <= load <= high")
        return self

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.hour, self.load_kw, self.low_kw, self.high_kw)


@dataclass
class SeriesPass:
    """What one watching pass of the weather or load oracle did (:meth:`GridOracle.post_ready`)."""

    now_hour: int
    posted: int = 0  # points posted
    batches: int = 0  # transactions
    reconciled: int = 0  # queued points found on chain already (confirmed without sending)
    stale: int = 0  # too old for the contract: dropped
    waiting: int = 0  # not yet postable: kept for a later pass


class GridOracle:
    """Posts weather and actuals (roles WEATHER_ORACLE and GRID_ORACLE) from the outbox."""

    def __init__(self, protocol: Protocol, client: ChainClient, outbox: Outbox) -> None:
        self.p = protocol
        self.client = client
        self.outbox = outbox

    def _flush(self, kind: str, region: int, through: int | None = None) -> tuple[int, int]:
        """Post the pending rows (those through hour ``through`` when given): (points, transactions)."""
        rows = [
            r
            for r in self.outbox.pending_series(kind, region)
            if through is None or r[0] <= through
        ]
        if not rows:
            return 0, 0
        clock = self.p.region_clock(region)  # read once: it names each batch's hours
        posted = batches = 0
        for i in range(0, len(rows), MAX_POINTS):
            chunk = sorted(rows[i : i + MAX_POINTS])
            points = [tuple(json.loads(p)) for _, _, p in chunk]
            fn = (self.p.forecasting.functions.postWeather if kind == "weather"
                  else self.p.forecasting.functions.postActuals)(region, points)  # fmt: skip
            span = clock.hours_text(chunk[0][0], chunk[-1][0] - chunk[0][0] + 1)
            receipt = self.client.transact(fn, f"post {kind} (region {region}, {span})")
            self.outbox.confirm_series(
                kind, region, [(h, iss) for h, iss, _ in chunk], receipt["transactionHash"]
            )
            posted += len(chunk)
            batches += 1
            log.info("region %d: %d %s points, hours %d..%d, gas %d", region, len(chunk), kind,
                     chunk[0][0], chunk[-1][0], receipt["gasUsed"],
                     extra={"fields": {"kind": kind, "region": region, "points": len(chunk),
                            "first_hour": chunk[0][0], "last_hour": chunk[-1][0],
                            "gas": receipt["gasUsed"]}})  # fmt: skip
        return posted, batches

    def post_ready(self, kind: str, region: int) -> SeriesPass:
        """A watching oracle's pass over its queued ``kind`` points (``weather`` or ``actual``):
        rows the chain already holds (a pass killed after sending) are confirmed without sending;
        rows too old for the contract (F-1, F-3) are dropped and counted; rows not yet postable
        (weather beyond 48 h, an hour not yet ended) wait; the rest are posted."""
        now_hour = int(self.p.forecasting.functions.currentHour(region).call())
        stats = SeriesPass(now_hour=now_hour)
        rows = self.outbox.pending_series(kind, region)
        if rows:
            stats.reconciled = self._reconcile(kind, region, rows)
            rows = self.outbox.pending_series(kind, region)
        stale = [(h, i) for h, i, _ in rows if h + HISTORY_HOURS < now_hour]
        if stale:
            self.outbox.drop_series(kind, region, stale)
            stats.stale = len(stale)
            log.warning("region %d: %d %s hours older than %d h dropped (hours %d..%d)", region,
                        len(stale), kind, HISTORY_HOURS, stale[0][0], stale[-1][0])  # fmt: skip
        last = now_hour + HORIZON_HOURS if kind == "weather" else now_hour - 1
        stats.waiting = sum(1 for h, _, _ in rows if h > last)
        stats.posted, stats.batches = self._flush(kind, region, through=last)
        return stats

    def _reconcile(self, kind: str, region: int, rows: list[tuple[int, int, str]]) -> int:
        """Confirm the queued rows the chain already has (same values; an actual, posted once per
        hour, whatever its value: F-3 refuses another)."""
        flag = HourFlag.Weather if kind == "weather" else HourFlag.Actual
        records = HourRecord.many(self.client.call_many(
            self.p.forecasting, "hourRecord", [(region, h) for h, _, _ in rows]))  # fmt: skip
        done: list[tuple[int, int]] = []
        for (hour, issued, payload), rec in zip(rows, records, strict=True):
            if not rec.flags & flag:
                continue
            values = tuple(json.loads(payload))[1:]
            on_chain = ((rec.temperature_deci_c, rec.humidity_permille, rec.irradiance_wm2)
                        if kind == "weather" else (rec.actual_kw,))  # fmt: skip
            if kind == "actual" or values == on_chain:
                if kind == "actual" and values[:1] != on_chain:
                    log.warning("region %d hour %d: the chain's actual is %d kW, not the queued %d",
                                region, hour, rec.actual_kw, values[0])  # fmt: skip
                done.append((hour, issued))
        if done:
            self.outbox.confirm_series(kind, region, done, "reconciled")
        return len(done)

    def enqueue(self, kind: str, region: int, points: Sequence[WeatherPoint | ActualPoint]) -> int:
        """Queue ``kind`` points (``weather`` or ``actual``) for :meth:`post_ready`; an hour queued
        already is left alone. Returns how many were new."""
        return self.outbox.enqueue_series(
            kind, region, [(p.hour, 0, json.dumps(p.as_tuple())) for p in points]
        )

    def post_weather(self, region: int, points: list[WeatherPoint]) -> int:
        self.enqueue("weather", region, points)
        return self._flush("weather", region)[0]

    def post_actuals(self, region: int, points: list[ActualPoint]) -> int:
        self.enqueue("actual", region, points)
        return self._flush("actual", region)[0]


@dataclass
class Forecaster:
    """Fits TOWT on the chain's posted history and posts forecasts (role FORECAST_ORACLE)."""

    protocol: Protocol
    client: ChainClient
    outbox: Outbox
    history_hours: int = 28 * 24
    # hour -> (temperature °C, actual kW), read from the chain (immutable once the actual is posted)
    history: dict[int, tuple[float, float]] = field(default_factory=dict)
    posted: dict[int, tuple[int, int, int]] = field(default_factory=dict)
    last_model: TowtModel | None = None
    _never: set[int] = field(default_factory=set)

    def _records(self, region: int, hours: list[int]) -> list[HourRecord]:
        """The hours' records, in batched reads."""
        replies = self.client.call_many(
            self.protocol.forecasting, "hourRecord", [(region, h) for h in hours]
        )
        return HourRecord.many(replies)

    def refresh_history(self, region: int, now_hour: int) -> int:
        """Read the hours not yet known; an hour older than 168 h without an actual never gets one (F-3)."""
        todo = [
            h
            for h in range(now_hour - self.history_hours, now_hour)
            if h not in self.history and h not in self._never
        ]
        for h, rec in zip(todo, self._records(region, todo), strict=True):
            if rec.flags & HourFlag.Weather and rec.flags & HourFlag.Actual:
                self.history[h] = (rec.temperature_deci_c / 10, float(rec.actual_kw))
            elif h < now_hour - 168:
                self._never.add(h)
        return len(self.history)

    def forecast(self, region: int, hours: list[int]) -> list[ForecastPoint]:
        now_hour = int(self.protocol.forecasting.functions.currentHour(region).call())
        self.refresh_history(region, now_hour)
        known = sorted(self.history)
        if len(known) < MIN_HISTORY_HOURS:
            raise ValueError(
                f"region {region} has {len(known)} hours with both weather and actual load on chain "
                f"(of the last {self.history_hours}); a forecast needs {MIN_HISTORY_HOURS}: post "
                "them first (gridbalance oracle weather, gridbalance oracle load)"
            )
        model = TowtModel.fit(
            known, [self.history[h][0] for h in known], [self.history[h][1] for h in known]
        )
        self.last_model = model
        temps = []
        for h, rec in zip(hours, self._records(region, hours), strict=True):
            if not rec.flags & HourFlag.Weather:
                clock = self.protocol.region_clock(region)
                raise ValueError(
                    f"no weather posted for {clock.hours_text(h, 1)} (region {region}): post "
                    "weather for the hours to forecast first (gridbalance oracle weather)"
                )
            temps.append(rec.temperature_deci_c / 10)
        return [
            ForecastPoint(
                hour=h, load_kw=round(p), low_kw=round(lo), high_kw=max(round(hi), round(p))
            )
            for h, (p, lo, hi) in zip(hours, model.predict(hours, temps), strict=True)
        ]

    def post(self, region: int, points: list[ForecastPoint]) -> dict[str, object]:
        issued = int(self.client.w3.eth.get_block("latest")["timestamp"])
        self.outbox.enqueue_series(
            "forecast", region, [(p.hour, issued, json.dumps(p.as_tuple())) for p in points]
        )
        fn = self.protocol.forecasting.functions.postForecasts(
            region, MODEL_ID, issued, [p.as_tuple() for p in points]
        )
        receipt = self.client.transact(fn, f"postForecasts(region {region}, {len(points)} hours)")
        self.outbox.confirm_series(
            "forecast", region, [(p.hour, issued) for p in points], receipt["transactionHash"]
        )
        for p in points:
            self.posted[p.hour] = (p.load_kw, p.low_kw, p.high_kw)
        log.info("region %d: forecast %d hours from %d, peak %d kW, gas %d", region, len(points), points[0].hour,
                 max(p.load_kw for p in points), receipt["gasUsed"])  # fmt: skip
        return receipt
