"""ProgramRegistry: programs, created once by an active utility (SPECIFICATION.md §7, rules P-1, P-2)."""

from __future__ import annotations

import brownie
import pytest

from tests.contracts.helpers import err
from tests.contracts.suite import OTHER_REGION, REGION, program_tuple


@pytest.fixture
def programs(world):
    return world.suite.programs


def test_create_program(programs, world, utility):
    """P-1, P-2: an active utility creates a program for its region; the budget is escrowed."""
    s = world.suite
    tx = programs.createProgram(
        REGION, program_tuple(s.token, method=1), 5_000_000, {"from": utility}
    )
    pid = tx.return_value
    assert pid == 2 and programs.programCount() == 2
    p = programs.program(pid)
    assert (p["utility"], p["regionId"], p["method"], p["token"]) == (utility, REGION, 1, s.token)
    assert tx.events["ProgramCreated"]["programId"] == pid
    assert s.escrow.programAccount(pid)["deposited"] == 5_000_000


def test_create_program__not_active_utility__reverts(programs, world, stranger, utility):
    """P-1: strangers, and utilities outside their jurisdiction, cannot create programs."""
    with brownie.reverts(err("UtilityNotActive", stranger, REGION)):
        programs.createProgram(REGION, program_tuple(world.suite.token), 0, {"from": stranger})
    with brownie.reverts(err("UtilityNotActive", utility, OTHER_REGION)):
        programs.createProgram(OTHER_REGION, program_tuple(world.suite.token), 0, {"from": utility})


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"baseRate": 0}, err("InvalidRate")),
        ({"method": 2}, err("UnknownBaselineMethod", 2)),
        ({"adjCapBps": 10_001}, err("InvalidAdjustmentCap", 10_001)),
        ({"adjWindowHours": 13}, err("InvalidAdjustmentWindow", 13, 1)),
        ({"minDeliveryBps": 10_001}, err("InvalidDeliveryParams", 10_001, 2_000)),
        ({"classMask": 0}, err("InvalidClassMask", 0)),
        ({"classMask": 8}, err("InvalidClassMask", 8)),
        ({"maxEventsPer30Days": 31}, err("InvalidEventCap", 31)),
        ({"economicBps": 9_999}, err("InvalidTierMultipliers", 9_999, 20_000)),
        ({"emergencyBps": 50_001}, err("InvalidTierMultipliers", 15_000, 50_001)),
    ],
)
def test_create_program__bad_params__reverts(programs, world, utility, overrides, error):
    """P-2: each bad parameter has its own error."""
    with brownie.reverts(error):
        programs.createProgram(
            REGION, program_tuple(world.suite.token, **overrides), 0, {"from": utility}
        )


def test_create_program__token_not_allowed__reverts(programs, utility, MockStablecoin, admin):
    other = MockStablecoin.deploy({"from": admin})
    with brownie.reverts(err("TokenNotAllowed", other)):
        programs.createProgram(REGION, program_tuple(other), 0, {"from": utility})


def test_program__unknown_id__reverts(programs):
    """P-2: reading a program that does not exist names the id."""
    with brownie.reverts(err("UnknownProgram", 99)):
        programs.program(99)
