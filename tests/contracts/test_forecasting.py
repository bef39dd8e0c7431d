"""LoadForecasting: oracle batches, forecast error and MAPE, grid status, auto-trigger
(SPECIFICATION.md §9, rules F-1..F-8)."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain

from tests.contracts.helpers import DEFAULT_REGION, err
from tests.contracts.suite import REGION, now

CAP = DEFAULT_REGION["capacityKw"]
NOMINAL = DEFAULT_REGION["nominalFrequencyMHz"]
LOW, NORMAL, HIGH, CRITICAL = 0, 1, 2, 3
S_NORMAL, S_ALERT, S_EMERGENCY, S_CRITICAL = 0, 1, 2, 3


@pytest.fixture
def fc(suite):
    return suite.forecasting


@pytest.fixture
def now_hour(fc):
    return fc.currentHour(REGION)


def forecast(hour: int, kw: int, band: int = 50_000) -> tuple[int, int, int, int]:
    return (hour, kw, kw - band, kw + band)


def actual(hour: int, kw: int, freq: int = NOMINAL, volt: int = 1_000) -> tuple[int, int, int, int]:
    return (hour, kw, freq, volt)


def test_post_weather(fc, oracle, now_hour):
    """F-1: weather per region and hour, in range."""
    tx = fc.postWeather(
        REGION, [(now_hour - 1, 315, 400, 850), (now_hour, 320, 380, 900)], {"from": oracle}
    )
    assert tx.events["WeatherPosted"]["count"] == 2
    r = fc.hourRecord(REGION, now_hour)
    assert (r["temperatureDeciC"], r["humidityPermille"], r["irradianceWm2"], r["flags"] & 1) == (
        320,
        380,
        900,
        1,
    )


@pytest.mark.parametrize(
    "point", [(0, 601, 0, 0), (0, -601, 0, 0), (0, 0, 1_001, 0), (0, 0, 0, 1_501)]
)
def test_post_weather__out_of_range__reverts(fc, oracle, now_hour, point):
    with brownie.reverts(err("ValueOutOfRange", 0)):
        fc.postWeather(REGION, [(now_hour, *point[1:])], {"from": oracle})


def test_post_weather__stranger_and_bad_batches__reverts(fc, oracle, stranger, now_hour):
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, fc.WEATHER_ORACLE_ROLE())
    ):
        fc.postWeather(REGION, [(now_hour, 0, 0, 0)], {"from": stranger})
    with brownie.reverts(err("InvalidBatchSize", 0)):
        fc.postWeather(REGION, [], {"from": oracle})
    with brownie.reverts(err("UnknownForecastRegion", 9)):
        fc.postWeather(9, [(now_hour, 0, 0, 0)], {"from": oracle})
    with brownie.reverts(err("HoursNotIncreasing", 1)):
        fc.postWeather(REGION, [(now_hour, 0, 0, 0), (now_hour, 0, 0, 0)], {"from": oracle})
    with brownie.reverts(err("PastHour", 0, now_hour - 169, now_hour)):
        fc.postWeather(REGION, [(now_hour - 169, 0, 0, 0)], {"from": oracle})


def test_post_forecasts(fc, oracle, now_hour):
    """F-2: future hours, with a confidence band and model id."""
    tx = fc.postForecasts(REGION, 7, now(), [forecast(now_hour + 2, 3_000_000)], {"from": oracle})
    assert tx.events["ForecastPosted"]["modelId"] == 7
    r = fc.hourRecord(REGION, now_hour + 2)
    assert (r["forecastKw"], r["lowKw"], r["highKw"], r["modelId"]) == (
        3_000_000,
        2_950_000,
        3_050_000,
        7,
    )


def test_post_forecasts__bad_input__reverts(fc, oracle, stranger, now_hour):
    """F-2: stale or future-issued forecasts, past hours, beyond 48 h, bad bands, model 0."""
    t = now()
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, fc.FORECAST_ORACLE_ROLE())
    ):
        fc.postForecasts(REGION, 7, t, [forecast(now_hour + 2, 100_000)], {"from": stranger})
    with brownie.reverts(err("StaleForecast", t - 3_700)):
        fc.postForecasts(REGION, 7, t - 3_700, [forecast(now_hour + 2, 100_000)], {"from": oracle})
    with brownie.reverts(err("StaleForecast", t + 600)):
        fc.postForecasts(REGION, 7, t + 600, [forecast(now_hour + 2, 100_000)], {"from": oracle})
    with brownie.reverts(err("InvalidModelId")):
        fc.postForecasts(REGION, 0, t, [forecast(now_hour + 2, 100_000)], {"from": oracle})
    with brownie.reverts(err("PastHour", 0, now_hour, now_hour)):
        fc.postForecasts(REGION, 7, t, [forecast(now_hour, 100_000)], {"from": oracle})
    with brownie.reverts(err("FutureHour", 0, now_hour + 49, now_hour)):
        fc.postForecasts(REGION, 7, t, [forecast(now_hour + 49, 100_000)], {"from": oracle})
    with brownie.reverts(err("ValueOutOfRange", 0)):
        fc.postForecasts(REGION, 7, t, [(now_hour + 2, 100, 200, 300)], {"from": oracle})
    with brownie.reverts(err("ValueOutOfRange", 0)):
        fc.postForecasts(REGION, 7, t, [forecast(now_hour + 2, 2 * CAP)], {"from": oracle})


def test_actuals_record_error_and_mape(fc, oracle, now_hour):
    """F-3, F-4: errorBps = floor(|F - A| * 10,000 / A); MAPE = floor(mean of the hours' errors)."""
    t = now()
    hours = [now_hour + 1, now_hour + 2, now_hour + 3]
    fc.postForecasts(
        REGION,
        7,
        t,
        [forecast(h, kw) for h, kw in zip(hours, (1_000_000, 2_000_000, 1_500_000), strict=True)],
        {"from": oracle},
    )
    chain.sleep(4 * 3600)
    actuals = (1_100_000, 1_900_000, 1_500_000)
    tx = fc.postActuals(
        REGION, [actual(h, kw) for h, kw in zip(hours, actuals, strict=True)], {"from": oracle}
    )
    expected = [
        abs(f - a) * 10_000 // a
        for f, a in zip((1_000_000, 2_000_000, 1_500_000), actuals, strict=True)
    ]
    assert [e["errorBps"] for e in tx.events["ForecastErrorRecorded"]] == expected
    assert fc.hourRecord(REGION, hours[0])["errorBps"] == expected[0]
    mape, n = (int(x) for x in fc.rollingMape(REGION, hours[-1], 24))
    assert (mape, n) == (sum(expected) // 3, 3)
    assert tuple(fc.rollingMape(REGION, hours[-1], 1)) == (0, 1)


def test_actuals__bad_input__reverts(fc, oracle, stranger, now_hour):
    """F-3: measured hours only (ended), once, in range."""
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, fc.GRID_ORACLE_ROLE())):
        fc.postActuals(REGION, [actual(now_hour - 1, 1)], {"from": stranger})
    with brownie.reverts(err("FutureHour", 0, now_hour, now_hour)):
        fc.postActuals(REGION, [actual(now_hour, 1)], {"from": oracle})
    fc.postActuals(REGION, [actual(now_hour - 1, 1_000)], {"from": oracle})
    with brownie.reverts(err("DuplicateActual", now_hour - 1)):
        fc.postActuals(REGION, [actual(now_hour - 1, 1_000)], {"from": oracle})
    for bad in (
        actual(now_hour - 2, 2 * CAP + 1),
        actual(now_hour - 2, 1, freq=NOMINAL + 5_001),
        actual(now_hour - 2, 1, volt=499),
    ):
        with brownie.reverts(err("ValueOutOfRange", 0)):
            fc.postActuals(REGION, [bad], {"from": oracle})


@pytest.mark.parametrize(
    "kw,freq,volt,load,stability,stress",
    [
        (CAP * 30 // 100, NOMINAL, 1_000, LOW, S_NORMAL, 10_000),
        (CAP * 50 // 100, NOMINAL + 500, 1_050, NORMAL, S_NORMAL, 10_000),
        (CAP * 80 // 100, NOMINAL, 1_000, HIGH, S_NORMAL, 12_500),
        (CAP * 95 // 100, NOMINAL, 1_000, CRITICAL, S_NORMAL, 15_000),
        (CAP * 50 // 100, NOMINAL - 501, 1_000, NORMAL, S_ALERT, 12_500),
        (CAP * 50 // 100, NOMINAL, 1_101, NORMAL, S_EMERGENCY, 15_000),
        (CAP * 50 // 100, NOMINAL + 1_501, 1_000, NORMAL, S_CRITICAL, 15_000),
    ],
)
def test_grid_status_bands(fc, oracle, now_hour, kw, freq, volt, load, stability, stress):
    """F-5, F-7: load bands (<=30 % Low, High from 80 %, Critical from 95 %), stability bands at 1x/2x/3x
    the tolerance (500 mHz, 5 %), and the stress multiplier they set."""
    tx = fc.postActuals(REGION, [actual(now_hour - 1, kw, freq, volt)], {"from": oracle})
    g = fc.gridState(REGION)
    assert (g["load"], g["stability"], g["loadKw"]) == (load, stability, kw)
    assert tx.events["GridStatusChanged"]["load"] == load
    assert fc.stressMultiplierBps(REGION) == stress


def test_stress_multiplier_prices_new_events(world, oracle, utility):
    """P-4, F-7: a High load makes new events 1.25x dearer."""
    s = world.suite
    h = s.forecasting.currentHour(REGION)
    s.forecasting.postActuals(REGION, [actual(h - 1, CAP * 85 // 100)], {"from": oracle})
    day = h // 24 + 2
    tx = s.requests.createEvent(1, day, 16, 20, 1, 0, {"from": utility})
    assert tx.events["EventCreated"]["rate"] == 500_000 * 12_500 // 10_000


def test_stress_multiplier__critical_load__emergency_tier_only_at_1_5x(world, oracle, utility):
    """P-4, F-7, G-12: a Critical load is an Emergency: only Emergency-tier events, 1.5x dearer."""
    s = world.suite
    h = s.forecasting.currentHour(REGION)
    s.forecasting.postActuals(REGION, [actual(h - 1, CAP * 96 // 100)], {"from": oracle})
    day = h // 24 + 2
    with brownie.reverts(err("EmergencyTierOnly", REGION)):
        s.requests.createEvent(1, day, 16, 20, 1, 1, {"from": utility})
    tx = s.requests.createEvent(1, day, 16, 20, 1, 2, {"from": utility})
    emergency_bps = s.programs.program(1)["emergencyBps"]
    assert tx.events["EventCreated"]["rate"] == 500_000 * emergency_bps // 10_000 * 15_000 // 10_000


def test_set_auto_trigger__owner_and_stranger(world, utility, stranger):
    """F-6: only the program's active utility sets its program's trigger, linked in its region."""
    fc = world.suite.forecasting
    tx = fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    assert tx.events["AutoTriggerSet"]["programId"] == 1
    t = fc.autoTrigger(1)
    assert [int(x) for x in fc.regionTriggers(REGION)] == [1]
    assert (t["programId"], t["thresholdKw"], t["minHours"], t["maxHours"]) == (1, 4_000_000, 2, 4)
    with brownie.reverts(err("NotTriggerOwner", stranger)):
        fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": stranger})
    with brownie.reverts(err("InvalidAutoTrigger")):
        fc.setAutoTrigger(1, 4_000_000, 3, 2, {"from": utility})
    with brownie.reverts(err("NotTriggerOwner", stranger)):
        fc.clearAutoTrigger(1, {"from": stranger})
    fc.clearAutoTrigger(1, {"from": utility})
    assert fc.autoTrigger(1)["programId"] == 0 and len(fc.regionTriggers(REGION)) == 0


def test_forecast_crossing_threshold_triggers_one_event_per_day(world, oracle, utility):
    """F-6: a run of >= minHours forecast hours at or above the threshold creates one event (PeakForecast),
    at most one per program per local day; target = sum of the excess kWh; a forecast alone never
    makes an Emergency (F-9): a peak at 96 % of capacity with no measured emergency is Economic."""
    s = world.suite
    fc, rr = s.forecasting, s.requests
    fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    hour = fc.currentHour(REGION)
    day = hour // 24 + 1
    loads = [3_900_000, 4_100_000, 4_600_000, 4_800_000, 3_000_000, 4_200_000]  # 14:00..19:00
    points = [forecast(day * 24 + 14 + i, kw) for i, kw in enumerate(loads)]
    tx = fc.postForecasts(REGION, 7, now(), points, {"from": oracle})
    pk = tx.events["PeakForecast"]
    assert (pk["day"], pk["startHour"], pk["endHour"], pk["peakKw"]) == (day, 15, 18, 4_800_000)
    ev = rr.drEvent(pk["eventId"])
    assert ev["targetWh"] == (100_000 + 600_000 + 800_000) * 1_000
    # 96 % of capacity forecast, the grid not measured in emergency: Economic
    assert ev["tier"] == 1
    assert tx.events["EventCreated"]["triggered"] is True
    assert rr.regionHasEvent(REGION, day)
    tx = fc.postForecasts(REGION, 7, now(), points, {"from": oracle})
    assert "PeakForecast" not in tx.events and rr.eventCount() == pk["eventId"]


def test_failed_trigger_keeps_the_forecasts(world, oracle, utility, verifiers):
    """F-6: if the event cannot be created (utility suspended), the forecasts are still stored."""
    s = world.suite
    fc = s.forecasting
    fc.setAutoTrigger(1, 4_000_000, 2, 4, {"from": utility})
    s.utilities.suspend(utility, b"\x00" * 32, {"from": verifiers[0]})
    day = fc.currentHour(REGION) // 24 + 1
    points = [forecast(day * 24 + 15 + i, 4_500_000) for i in range(3)]
    tx = fc.postForecasts(REGION, 7, now(), points, {"from": oracle})
    assert tx.events["AutoTriggerFailed"]["day"] == day
    assert "PeakForecast" not in tx.events
    assert fc.hourRecord(REGION, day * 24 + 15)["forecastKw"] == 4_500_000
