"""RegionRegistry: rules R-1..R-4 of SPECIFICATION.md."""

from __future__ import annotations

import brownie
import pytest

from tests.contracts.helpers import DEFAULT_REGION, err, region_tuple

NAME = "CAISO-SP15"


def _now() -> int:
    from brownie import web3

    return int(web3.eth.get_block("latest")["timestamp"])


def _as_dict(params) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return dict(zip(DEFAULT_REGION, params, strict=True))


# only REGION_ADMIN_ROLE adds or updates regions -------------------------------------------


def test_add_region__by_region_admin__stored_and_event(registry, region_admin):
    tx = registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    assert registry.regionExists(7)
    assert registry.regionCount() == 1
    assert registry.regionName(7) == NAME
    assert _as_dict(registry.region(7)) == DEFAULT_REGION
    ev = tx.events["RegionAdded"]
    assert ev["regionId"] == 7
    assert ev["name"] == NAME
    assert tuple(ev["params"]) == region_tuple()


def test_add_region__by_stranger__reverts(registry, stranger):
    role = registry.REGION_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        registry.addRegion(7, NAME, region_tuple(), {"from": stranger})
    assert not registry.regionExists(7)


def test_update_region__by_region_admin__stored_and_event(registry, region_admin):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    tx = registry.updateRegion(7, region_tuple(capacityKw=42), {"from": region_admin})
    assert _as_dict(registry.region(7)) == {**DEFAULT_REGION, "capacityKw": 42}
    ev = tx.events["RegionUpdated"]
    assert ev["regionId"] == 7
    assert tuple(ev["params"]) == region_tuple(capacityKw=42)


def test_attack_f03_utc_offset_change__refused(registry, region_admin):
    """R-6 (P3): a region's UTC offset never changes, so no local day already counted (data,
    events, baselines, finality) moves under a pending result.
    Mutation: drop the UtcOffsetFixed check in RegionRegistry.updateRegion -> this test fails."""
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    offset = DEFAULT_REGION["utcOffsetMinutes"]
    with brownie.reverts(err("UtcOffsetFixed", 7, offset)):
        registry.updateRegion(7, region_tuple(utcOffsetMinutes=60), {"from": region_admin})
    assert registry.region(7)[2] == offset


@pytest.mark.parametrize("interval", [15, 30, 60])
def test_add_region__meter_interval__stored_and_in_event(registry, region_admin, interval):
    """R-7: the region's meter interval (15, 30 or 60 minutes) is set at addRegion, read back by
    `region` and carried by RegionAdded."""
    tx = registry.addRegion(7, NAME, region_tuple(intervalMinutes=interval), {"from": region_admin})
    assert _as_dict(registry.region(7))["intervalMinutes"] == interval
    assert registry.meterInterval(7) == interval
    assert tuple(tx.events["RegionAdded"]["params"])[-1] == interval


def test_add_region__meter_interval_by_stranger__reverts(registry, stranger):
    """R-1, R-7: the unauthorized twin: a stranger cannot add a 15-minute region."""
    role = registry.REGION_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        registry.addRegion(7, NAME, region_tuple(intervalMinutes=15), {"from": stranger})
    assert not registry.regionExists(7)


@pytest.mark.parametrize("interval", [0, 5, 20, 45, 90, 255])
def test_add_region__meter_interval_not_15_30_60__reverts(registry, region_admin, interval):
    """R-7: any interval other than 15, 30 or 60 minutes is refused with its own error."""
    with brownie.reverts(err("InvalidMeterInterval", interval)):
        registry.addRegion(7, NAME, region_tuple(intervalMinutes=interval), {"from": region_admin})
    assert not registry.regionExists(7)


@pytest.mark.parametrize(("first", "other"), [(60, 15), (15, 30), (30, 60)])
def test_update_region__meter_interval_change__refused(registry, region_admin, first, other):
    """R-7: a region's meter interval never changes (like the UTC offset, R-6): it fixes the shape
    of every record already posted for the region's days (M-2).
    Mutation: drop the MeterIntervalFixed check in RegionRegistry.updateRegion -> this test fails."""
    registry.addRegion(7, NAME, region_tuple(intervalMinutes=first), {"from": region_admin})
    with brownie.reverts(err("MeterIntervalFixed", 7, first)):
        registry.updateRegion(7, region_tuple(intervalMinutes=other), {"from": region_admin})
    assert _as_dict(registry.region(7))["intervalMinutes"] == first
    # the same interval: the update goes through
    registry.updateRegion(
        7, region_tuple(intervalMinutes=first, capacityKw=9), {"from": region_admin}
    )
    assert registry.region(7)[0] == 9


def test_update_region__by_stranger__reverts(registry, region_admin, stranger):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    role = registry.REGION_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        registry.updateRegion(7, region_tuple(capacityKw=42), {"from": stranger})
    assert registry.region(7)[0] == DEFAULT_REGION["capacityKw"]


# ids are unique and >= 1; every parameter is validated -------------------------------------


def test_add_region__duplicate_id__reverts(registry, region_admin):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    with brownie.reverts(err("RegionAlreadyExists", 7)):
        registry.addRegion(7, "other", region_tuple(), {"from": region_admin})
    assert registry.regionName(7) == NAME


def test_add_region__id_zero__reverts(registry, region_admin):
    with brownie.reverts(err("InvalidRegionId")):
        registry.addRegion(0, NAME, region_tuple(), {"from": region_admin})


@pytest.mark.parametrize("name, length", [("", 0), ("x" * 65, 65)])
def test_add_region__bad_name__reverts(registry, region_admin, name, length):
    with brownie.reverts(err("InvalidRegionName", length)):
        registry.addRegion(7, name, region_tuple(), {"from": region_admin})


@pytest.mark.parametrize(
    "overrides, error",
    [
        ({"capacityKw": 0}, "InvalidCapacity: "),
        ({"nominalFrequencyMHz": 55_000}, "InvalidNominalFrequency: 55000"),
        ({"utcOffsetMinutes": -721}, "InvalidUtcOffset: -721"),
        ({"utcOffsetMinutes": 841}, "InvalidUtcOffset: 841"),
        ({"utcOffsetMinutes": 50}, "InvalidUtcOffset: 50"),
        ({"highLoadBps": 0}, "InvalidThresholds: 0, 9500"),
        ({"highLoadBps": 9_500}, "InvalidThresholds: 9500, 9500"),
        ({"criticalLoadBps": 10_001}, "InvalidThresholds: 8000, 10001"),
        ({"areaId": 0}, "UnknownArea: 0"),  # G-5: a region names an existing area
        ({"areaId": 9}, "UnknownArea: 9"),
        ({"areaId": 1}, "AreaFrequencyMismatch: 1, 60000"),  # Continental Europe is 50 Hz
    ],
)
def test_add_region__invalid_params__reverts(registry, region_admin, overrides, error):
    with brownie.reverts(error):
        registry.addRegion(7, NAME, region_tuple(**overrides), {"from": region_admin})
    assert not registry.regionExists(7)


@pytest.mark.parametrize("offset", [-720, 0, 840])
def test_add_region__offset_bounds__accepted(registry, region_admin, offset):
    registry.addRegion(7, NAME, region_tuple(utcOffsetMinutes=offset), {"from": region_admin})
    assert registry.region(7)[2] == offset


def test_views__unknown_region__revert(registry):
    for call in (registry.region, registry.regionName, registry.meterInterval):
        with brownie.reverts(err("UnknownRegion", 3)):
            call(3)
    assert not registry.regionExists(3)


# local days ---------------------------------------------------------------------------


def reference_local_day(timestamp: int, offset_minutes: int) -> int:
    """Python reference of R-3: floor((t + offset * 60) / 86_400)."""
    return (timestamp + offset_minutes * 60) // 86_400


@pytest.mark.parametrize("offset", [-720, -480, 0, 330, 840])
@pytest.mark.parametrize(
    "timestamp",
    [86_400, 1_767_225_600 - 1, 1_767_225_600, 1_767_225_600 + 8 * 3600, 1_767_225_600 + 86_399],
)
def test_local_day__matches_reference(registry, region_admin, offset, timestamp):
    registry.addRegion(7, NAME, region_tuple(utcOffsetMinutes=offset), {"from": region_admin})
    day = registry.localDay(7, timestamp)
    assert day == reference_local_day(timestamp, offset)
    start = registry.localDayStart(7, day)
    assert start == day * 86_400 - offset * 60
    assert start <= timestamp < start + 86_400


def test_local_day__before_epoch_day__reverts(registry, region_admin):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    with brownie.reverts(err("TimestampOutOfRange", 86_399)):
        registry.localDay(7, 86_399)


def test_set_holiday__region_admin(registry, region_admin):
    """R-5: REGION_ADMIN_ROLE marks and unmarks holidays; the bitmap word exposes them."""

    registry.addRegion(1, "North", region_tuple(), {"from": region_admin})
    day = registry.localDay(1, _now()) + 3
    tx = registry.setHoliday(1, day, True, {"from": region_admin})
    assert tx.events["HolidaySet"]["day"] == day and tx.events["HolidaySet"]["holiday"] is True
    assert registry.isHoliday(1, day) and not registry.isHoliday(1, day + 1)
    assert registry.holidayWord(1, day // 256) == 1 << (day % 256)
    registry.setHoliday(1, day, False, {"from": region_admin})
    assert not registry.isHoliday(1, day)


def test_attack_f03_holiday_for_a_past_day__refused(registry, region_admin):
    """R-5 (P3): holidays are set or cleared for today or later only: a past day's holiday bit
    decides baselines of results that may be pending, so it never changes.
    Mutation: drop the HolidayInPast check in RegionRegistry.setHoliday -> this test fails."""
    registry.addRegion(1, "North", region_tuple(), {"from": region_admin})
    today = registry.localDay(1, _now())
    for holiday in (True, False):
        with brownie.reverts(err("HolidayInPast", 1, today - 1, today)):
            registry.setHoliday(1, today - 1, holiday, {"from": region_admin})
    registry.setHoliday(1, today, True, {"from": region_admin})  # today is still open
    assert registry.isHoliday(1, today) and not registry.isHoliday(1, today - 1)


def test_set_holiday__stranger_or_unknown_region__reverts(registry, region_admin, stranger):
    """R-5: others cannot; unknown regions are refused."""
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, registry.REGION_ADMIN_ROLE())
    ):
        registry.setHoliday(1, 30_500, True, {"from": stranger})
    with brownie.reverts(err("UnknownRegion", 4)):
        registry.setHoliday(4, 30_500, True, {"from": region_admin})


# the region's IANA time zone, for people and files only ---------------------------------


def test_set_time_zone__by_region_admin__stored_and_event(registry, region_admin):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    assert registry.timeZone(7) == ""
    tx = registry.setTimeZone(7, "America/Los_Angeles", {"from": region_admin})
    assert registry.timeZone(7) == "America/Los_Angeles"
    assert tx.events["TimeZoneSet"]["regionId"] == 7
    assert tx.events["TimeZoneSet"]["timeZone"] == "America/Los_Angeles"
    # changeable, and the longest IANA name (32 bytes) fits
    longest = "America/Argentina/ComodRivadavia"
    tx = registry.setTimeZone(7, longest, {"from": region_admin})
    assert registry.timeZone(7) == longest
    assert tx.events["TimeZoneSet"]["timeZone"] == longest


def test_set_time_zone__by_stranger__reverts(registry, region_admin, stranger):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    role = registry.REGION_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        registry.setTimeZone(7, "America/New_York", {"from": stranger})
    assert registry.timeZone(7) == ""


@pytest.mark.parametrize("zone", ["", "x" * 33])
def test_set_time_zone__empty_or_too_long__reverts(registry, region_admin, zone):
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    with brownie.reverts(err("InvalidTimeZone", len(zone))):
        registry.setTimeZone(7, zone, {"from": region_admin})
    assert registry.timeZone(7) == ""


def test_set_time_zone__unknown_region__reverts(registry, region_admin):
    with brownie.reverts(err("UnknownRegion", 9)):
        registry.setTimeZone(9, "Europe/Berlin", {"from": region_admin})
    with brownie.reverts(err("UnknownRegion", 9)):
        registry.timeZone(9)


def test_set_time_zone__moves_no_day(registry, region_admin):
    """R-8: the zone is for people; local days stay in the fixed standard offset (R-3, R-6)."""
    registry.addRegion(7, NAME, region_tuple(), {"from": region_admin})
    t = _now()
    day, start = registry.localDay(7, t), registry.localDayStart(7, 20_000)
    registry.setTimeZone(7, "America/Los_Angeles", {"from": region_admin})
    assert registry.localDay(7, t) == day
    assert registry.localDayStart(7, 20_000) == start
    assert registry.region(7)[2] == DEFAULT_REGION["utcOffsetMinutes"]
