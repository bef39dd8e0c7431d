"""Synchronous areas and their band profiles in the RegionRegistry (SPECIFICATION.md §15, G-5), and
F-5's stability bands taken from them (G-6)."""

from __future__ import annotations

from typing import Any

import brownie
import pytest

from tests.contracts.helpers import err, region_tuple

FIELDS = (
    "nominalFrequencyMHz", "deadbandMHz", "normalMHz", "alertMHz", "emergencyMHz", "reserveFullMHz",
    "voltageNormalBps", "voltageAlertBps", "voltageEmergencyBps", "reserveAlertKw",
    "reserveEmergencyKw", "reserveShedKw", "recoverySeconds", "emergencyRateCapBps", "stageMHz",
    "stageShareBps",
)  # fmt: skip
SEED: dict[str, Any] = {
    "nominalFrequencyMHz": 0, "deadbandMHz": 20, "normalMHz": 500, "alertMHz": 1_000,
    "emergencyMHz": 1_500, "reserveFullMHz": 500, "voltageNormalBps": 500, "voltageAlertBps": 1_000,
    "voltageEmergencyBps": 1_500, "emergencyRateCapBps": 0, "recoverySeconds": 900,
    "reserveAlertKw": 0, "reserveEmergencyKw": 0, "reserveShedKw": 0,
    "stageMHz": [1_500, 2_000, 0, 0, 0, 0, 0, 0], "stageShareBps": [1_000, 1_000, 0, 0, 0, 0, 0, 0],
}  # fmt: skip


def profile(**overrides: Any) -> tuple[Any, ...]:
    """A BandProfile tuple: the seed preset with ``overrides`` by Solidity name."""
    assert set(overrides) <= set(FIELDS), set(overrides) - set(FIELDS)
    p = {**SEED, **overrides}
    return tuple(p[f] for f in FIELDS)


def _as_dict(values: Any) -> dict[str, Any]:
    """A BandProfile (tuple or chain reply) by Solidity name, arrays as lists."""
    return {
        f: (list(v) if isinstance(v, (list, tuple)) else v)
        for f, v in zip(FIELDS, values, strict=True)
    }


def test_g5_presets__the_four_areas_of_the_table(registry):
    """G-5: the registry is built with the four presets, equal to the reference's table."""
    from oracles.reference.grid_state import PRESETS

    assert registry.CONTINENTAL_EUROPE() == 1 and registry.GREAT_BRITAIN() == 2
    assert registry.ERCOT_LIKE() == 3 and registry.SEED() == 4
    assert len(PRESETS) == 4
    for area, (name, reference) in PRESETS.items():
        assert registry.areaName(area) == name
        assert _as_dict(registry.area(area)) == _as_dict(reference.as_tuple()), name
    assert _as_dict(registry.area(4)) == SEED


def test_g5_set_area__region_admin__stored_and_event(registry, region_admin):
    p = profile(normalMHz=300, reserveAlertKw=900, reserveEmergencyKw=800, reserveShedKw=700)
    tx = registry.setArea(9, "Island grid", p, {"from": region_admin})
    e = tx.events["AreaSet"]
    assert (e["areaId"], e["name"]) == (9, "Island grid")
    assert _as_dict(e["profile"]) == _as_dict(p)
    assert _as_dict(registry.area(9)) == _as_dict(p) and registry.areaName(9) == "Island grid"


def test_g5_set_area__stranger__reverts(registry, stranger):
    role = registry.REGION_ADMIN_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        registry.setArea(9, "Island grid", profile(), {"from": stranger})
    with brownie.reverts(err("UnknownArea", 9)):
        registry.area(9)


def test_g5_set_area__id_zero_or_bad_name__reverts(registry, region_admin):
    with brownie.reverts(err("InvalidAreaId")):
        registry.setArea(0, "x", profile(), {"from": region_admin})
    for name in ("", "x" * 65):
        with brownie.reverts(err("InvalidAreaName", len(name))):
            registry.setArea(9, name, profile(), {"from": region_admin})


INVALID = [  # (the field named, the change): a failed chain `a < b` names b
    (0, {"nominalFrequencyMHz": 55_000}),
    (2, {"deadbandMHz": 500}),
    (3, {"normalMHz": 1_000}),
    (4, {"alertMHz": 1_500}),
    (4, {"emergencyMHz": 5_001}),
    (5, {"reserveFullMHz": 20}),
    (5, {"reserveFullMHz": 5_001}),
    (6, {"voltageNormalBps": 0}),
    (7, {"voltageNormalBps": 1_000}),
    (8, {"voltageAlertBps": 1_500}),
    (8, {"voltageEmergencyBps": 5_001}),
    (10, {"reserveAlertKw": 5, "reserveEmergencyKw": 6}),
    (11, {"reserveAlertKw": 9, "reserveEmergencyKw": 6, "reserveShedKw": 7}),
    (12, {"recoverySeconds": 59}),
    (12, {"recoverySeconds": 86_401}),
    (13, {"emergencyRateCapBps": 9_999}),
    (13, {"emergencyRateCapBps": 50_001}),
    (
        14,
        {"stageMHz": [500, 0, 0, 0, 0, 0, 0, 0], "stageShareBps": [1, 0, 0, 0, 0, 0, 0, 0]},
    ),  # not beyond normal
    (14, {"stageMHz": [1_500, 1_500, 0, 0, 0, 0, 0, 0]}),  # not increasing
    (
        14,
        {"stageMHz": [1_500, 0, 2_000, 0, 0, 0, 0, 0], "stageShareBps": [1, 0, 1, 0, 0, 0, 0, 0]},
    ),  # a gap
    (15, {"stageShareBps": [1_000, 0, 0, 0, 0, 0, 0, 0]}),  # a used stage sheds nothing
    (15, {"stageShareBps": [1_000, 1_000, 5, 0, 0, 0, 0, 0]}),  # an unused stage with a share
    (15, {"stageShareBps": [5_000, 5_001, 0, 0, 0, 0, 0, 0]}),  # more than all the load
    (2, {"normalMHz": 20, "recoverySeconds": 0}),  # the first failing field is named
]


@pytest.mark.parametrize(("field", "overrides"), INVALID, ids=lambda v: str(v))
def test_g5_set_area__invalid_profile__names_the_field(registry, region_admin, field, overrides):
    from oracles.reference.grid_state import BandProfile, first_invalid_field

    with brownie.reverts(err("InvalidBandProfile", field)):
        registry.setArea(9, "Bad", profile(**overrides), {"from": region_admin})
    values = [tuple(v) if isinstance(v, list) else v for v in profile(**overrides)]
    assert first_invalid_field(BandProfile(*values)) == field  # the reference names the same field


@pytest.mark.parametrize("overrides", [
    {"emergencyMHz": 5_000}, {"reserveFullMHz": 5_000}, {"voltageEmergencyBps": 5_000},
    {"emergencyRateCapBps": 10_000}, {"emergencyRateCapBps": 50_000}, {"recoverySeconds": 60},
    {"recoverySeconds": 86_400}, {"reserveAlertKw": 7, "reserveEmergencyKw": 7, "reserveShedKw": 7},
    {"stageShareBps": [5_000, 5_000, 0, 0, 0, 0, 0, 0]}, {"stageMHz": [0] * 8, "stageShareBps": [0] * 8},
    {"nominalFrequencyMHz": 50_000}, {"nominalFrequencyMHz": 60_000},
], ids=str)  # fmt: skip
def test_g5_set_area__edges__accepted(registry, region_admin, overrides):
    registry.setArea(9, "Edge", profile(**overrides), {"from": region_admin})
    assert _as_dict(registry.area(9)) == _as_dict(profile(**overrides))


def test_g5_region_names_its_area(registry, region_admin):
    registry.addRegion(
        7, "Berlin", region_tuple(nominalFrequencyMHz=50_000, areaId=1), {"from": region_admin}
    )
    assert registry.region(7)["areaId"] == 1
    assert _as_dict(registry.bandProfile(7)) == _as_dict(registry.area(1))
    with brownie.reverts(err("AreaFrequencyMismatch", 3, 50_000)):  # ERCOT-like is 60 Hz
        registry.updateRegion(
            7, region_tuple(nominalFrequencyMHz=50_000, areaId=3), {"from": region_admin}
        )
    with brownie.reverts(err("UnknownRegion", 8)):
        registry.bandProfile(8)


# ------------------------------------------------------------------ G-6: F-5 from the profile


@pytest.fixture
def europe(suite, region_admin):  # type: ignore[no-untyped-def]
    """Region 2 moved onto a 50 Hz Continental Europe profile."""
    from tests.contracts.suite import OTHER_REGION

    params = list(suite.regions.region(OTHER_REGION))
    params[1], params[5] = 50_000, 1
    suite.regions.updateRegion(OTHER_REGION, params, {"from": region_admin})
    return OTHER_REGION


@pytest.mark.parametrize(
    ("frequency", "voltage", "stability"),
    [
        (49_800, 1_000, 0), (50_200, 1_000, 0), (49_799, 1_000, 1), (49_200, 1_000, 1),
        (49_199, 1_000, 2), (49_000, 1_000, 2), (48_999, 1_000, 3),
        (50_000, 950, 0), (50_000, 949, 1), (50_000, 900, 1), (50_000, 899, 2), (50_000, 850, 2),
        (50_000, 849, 3),
    ],
)  # fmt: skip
def test_g6_hourly_stability__continental_europe_bands(
    suite, oracle, europe, frequency, voltage, stability
):
    from oracles.reference.grid_state import PRESETS, stability_status

    fc = suite.forecasting
    h = fc.currentHour(europe)
    tx = fc.postActuals(europe, [(h - 1, 1_000_000, frequency, voltage)], {"from": oracle})
    assert tx.events["GridStatusChanged"]["stability"] == stability
    assert stability_status(PRESETS[1][1], 50_000, frequency, voltage) == stability
