"""Issue 6 item 2, every privileged function called by every other role (SPEC §1 roles, A-2).

The cast includes a rival utility, verified for the same region: it may create its own programs
and attest consumers of the region (C-3), and nothing of another utility's program.

Every state-changing function of the fifteen contracts is in exactly one table below:

* ``ROLE``: guarded by ``onlyRole``. Every account and protocol contract that lacks the role gets
  exactly ``AccessControlUnauthorizedAccount(caller, role)``; every holder gets past the guard
  (its call may still fail on the arguments, with another error).
* ``OWNER``: guarded by the contract's own rule (the program's utility, an attester, the region's
  active utility). Every other caller gets the named error; the rightful caller gets past it.
* ``OPEN``: callable by anyone by design; the rule that keeps it safe is named.

``test_attack_table__covers_every_state_changing_function`` fails when a function is added to a
contract without a decision here. The calls are ``eth_call``s, so a protocol contract (which holds
roles such as PROTOCOL_ROLE) can be the caller too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import brownie
import pytest
from brownie.exceptions import VirtualMachineError

from oracles.reference import meter_leaf
from tests.contracts.helpers import err
from tests.contracts.suite import (
    REGION,
    day_start,
    local_day,
    next_weekday,
    now,
    prefs,
    program_tuple,
)
from tests.contracts.test_forecasting import NOMINAL, actual, forecast
from tests.contracts.test_meter_data import records

CONTRACTS = (
    "regions",
    "utilities",
    "consumers",
    "escrow",
    "meter",
    "requests",
    "forecasting",
    "optimistic",
    "programs",
    "proofs",
    "disputes",
    "operators",
    "stability",
    "balancing",
    "compensation",
)
# the contracts built on AccessControl (ProgramRegistry, ProofSettlement, GridOperatorRegistry,
# BalancingActions and ShedCompensation hold no roles)
ACCESS_CONTROLLED = tuple(
    c
    for c in CONTRACTS
    if c not in ("programs", "proofs", "operators", "balancing", "compensation")
)

ROLE: dict[tuple[str, str], str] = {
    ("regions", "addRegion"): "REGION_ADMIN_ROLE",
    ("regions", "updateRegion"): "REGION_ADMIN_ROLE",
    ("regions", "setHoliday"): "REGION_ADMIN_ROLE",
    ("regions", "setTimeZone"): "REGION_ADMIN_ROLE",
    ("regions", "setArea"): "REGION_ADMIN_ROLE",
    ("utilities", "approve"): "VERIFIER_ROLE",
    ("utilities", "suspend"): "VERIFIER_ROLE",
    ("utilities", "setThreshold"): "DEFAULT_ADMIN_ROLE",
    ("utilities", "setValidityPeriod"): "DEFAULT_ADMIN_ROLE",
    ("utilities", "recordEventRun"): "PROTOCOL_ROLE",
    ("utilities", "recordConsumersPaid"): "PROTOCOL_ROLE",
    ("utilities", "recordDisputeLost"): "PROTOCOL_ROLE",
    ("consumers", "recordSettlements"): "SETTLEMENT_ROLE",
    ("escrow", "setTokenAllowed"): "DEFAULT_ADMIN_ROLE",
    ("escrow", "openProgram"): "PROTOCOL_ROLE",
    ("escrow", "reserve"): "PROTOCOL_ROLE",
    ("escrow", "release"): "PROTOCOL_ROLE",
    ("escrow", "settle"): "PROTOCOL_ROLE",
    ("escrow", "settleBatch"): "PROTOCOL_ROLE",
    ("escrow", "pause"): "PAUSER_ROLE",
    ("escrow", "unpause"): "PAUSER_ROLE",
    ("meter", "postBatch"): "METER_ORACLE_ROLE",
    ("requests", "setForecasting"): "DEFAULT_ADMIN_ROLE",
    ("requests", "createTriggeredEvent"): "TRIGGER_ROLE",
    ("requests", "enrollFor"): "KEEPER_ROLE",
    ("requests", "enrollBatch"): "KEEPER_ROLE",
    ("requests", "optOutFor"): "KEEPER_ROLE",
    ("requests", "lockForRoot"): "OPTIMISTIC_ROLE",
    ("requests", "unlockRoot"): "OPTIMISTIC_ROLE",
    ("requests", "payRoot"): "OPTIMISTIC_ROLE",
    ("requests", "holdForDispute"): "DISPUTES_ROLE",
    ("requests", "recordOutcomes"): "SETTLER_ROLE",
    ("disputes", "upholdDispute"): "ARBITER_ROLE",
    ("disputes", "rejectDispute"): "ARBITER_ROLE",
    ("forecasting", "postWeather"): "WEATHER_ORACLE_ROLE",
    ("forecasting", "postForecasts"): "FORECAST_ORACLE_ROLE",
    ("forecasting", "postActuals"): "GRID_ORACLE_ROLE",
    ("forecasting", "setStability"): "DEFAULT_ADMIN_ROLE",
    ("stability", "postMeasurements"): "GRID_ORACLE_ROLE",
    ("stability", "setResponder"): "DEFAULT_ADMIN_ROLE",
    ("optimistic", "propose"): "PROPOSER_ROLE",
    # AccessControl's own: a role's admin role (DEFAULT_ADMIN_ROLE for every role here)
    **{
        (c, f): "DEFAULT_ADMIN_ROLE" for c in ACCESS_CONTROLLED for f in ("grantRole", "revokeRole")
    },
}

OPEN: dict[tuple[str, str], str] = {
    ("utilities", "applyForVerification"): "U-1: anyone applies; only M verifiers approve",
    ("operators", "applyAsOperator"): "G-1: anyone applies; only M council members approve",
    ("consumers", "register"): "C-1: anyone registers a meter; activation needs an attester",
    ("consumers", "updateProfile"): "C-5: the caller's own record only",
    ("consumers", "setPaused"): "C-5: the caller's own participation only",
    ("consumers", "deregister"): "C-6: the caller's own record only",
    (
        "consumers",
        "clearRegistration",
    ): "C-2: the registered consumer itself, or an attester of its "
    "region (test_clear_registration__stranger_or_active__reverts)",
    ("consumers", "transferFrom"): "C-4: the token is soulbound; every transfer reverts",
    ("consumers", "safeTransferFrom"): "C-4: the token is soulbound; every transfer reverts",
    ("escrow", "withdrawOwed"): "E-5: the caller's own owed balance only",
    ("requests", "enroll"): "V-2: the caller enrolls itself, eligibility checked",
    ("requests", "optOut"): "V-7: the caller's own enrollment only, before the gate",
    ("proofs", "settle"): "S-1: anyone may settle; the result is fixed by data and proofs",
    ("proofs", "settleBatch"): "S-11: anyone; each result fixed by data and multiproofs",
    ("requests", "closeEvent"): "S-9: anyone, after the settlement deadline and the dispute window",
    ("disputes", "openDispute"): "D-1: only the settled consumer (EnrollmentNotInStatus otherwise)",
    ("optimistic", "challengeEntry"): "O-4: anyone with a bond; settle() judges",
    ("optimistic", "challengePair"): "O-4: anyone with a bond; settle() judges",
    ("optimistic", "finalize"): "O-5: anyone, after the challenge window",
    ("meter", "finalize"): "M-9: anyone, FINALITY_DELAY after the day; only makes days final",
    ("meter", "postSignedBatch"): "M-7: anyone; every record must carry its meter key's signature "
    "for the day (test_post_signed_batch__record_its_meter_did_not_sign__reverts)",
    (
        "optimistic",
        "expire",
    ): "O-12: anyone, half a window after the challenge window; bond to the proposer",
    ("optimistic", "claim"): "O-6: pays the entry's account only",
    ("optimistic", "payBatch"): "O-6: pays each entry's account only",
    ("optimistic", "withdrawBond"): "O-9: the caller's own bond credit only",
    ("optimistic", "withdrawTokenBond"): "O-9: the caller's own token bond credit only",
    **{
        (c, "renounceRole"): "AccessControl: the caller's own roles only" for c in ACCESS_CONTROLLED
    },
}

# (contract, function) -> (arguments, the rightful callers, the error others get)
Owner = Callable[[Any], tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]]


def _activate(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((w.newcomer, b"\x01" * 32, b"\x02" * 32), w.attesters,
            lambda who: err("NotAuthorizedAttester", who, REGION))  # fmt: skip


def _set_meter_key(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((w.world.consumers[0], w.stranger, 1), w.attesters,
            lambda who: err("NotAuthorizedAttester", who, REGION))  # fmt: skip


def _attest_capacity(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((w.world.consumers[0], 6_000), w.attesters,
            lambda who: err("NotAuthorizedAttester", who, REGION))  # fmt: skip


def _create_program(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((REGION, program_tuple(w.s.token), 0), w.active,
            lambda who: err("UtilityNotActive", who, REGION))  # fmt: skip


def _create_event(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1, w.day, 16, 20, 100_000, 0), [w.utility], lambda who: err("NotProgramOwner", 1, who))


def _cancel_event(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((w.event,), [w.utility], lambda who: err("NotProgramOwner", 1, who))


def _set_trigger(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1, 4_000_000, 1, 4), [w.utility], lambda who: err("NotTriggerOwner", who))


def _clear_trigger(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1,), [w.utility, w.admin], lambda who: err("NotTriggerOwner", who))  # program 1


def _deposit(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1, 1), [w.utility], lambda who: err("NotProgramUtility", 1, who))


def _withdraw_unreserved(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1, 1, w.stranger), [w.utility], lambda who: err("NotProgramUtility", 1, who))


def _post_entries(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    # no proposal is open here, so nobody is its proposer; the proposer's own posting is
    # tests/contracts/test_trust_optimistic.py::test_post_entries__proposer__posted
    return ((w.event, b"\x00" * 47), [], lambda who: err("NotProposer", w.event, who))


def _council_approve(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    # G-2: the UtilityRegistry's verifiers, and no one else, not even its admin
    return ((w.stranger, 0), w.council, lambda who: err("NotCouncilMember", who))


def _council_suspend(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((w.stranger, b"\x01" * 32), w.council, lambda who: err("NotCouncilMember", who))


def _declare_emergency(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    # G-10: an active operator with CAP_SYSTEM_STATE in the region; the cast holds none (the
    # operator's own declaration: tests/contracts/test_grid_stability.py)
    return ((REGION, b"\x01" * 32, 0), [], lambda who: err("NotStateOperator", who, REGION))


def _no_action(function: str) -> Owner:
    """G-13: only an action's operator moves it; the cast has no action, so everyone gets
    UnknownAction (the operators' own calls: tests/contracts/test_balancing_actions.py)."""

    def owner(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
        del w
        args: tuple[Any, ...] = (1,) if function == "instructAction" else (
            (1, 1) if function == "completeAction" else (1, b"\x01" * 32))  # fmt: skip
        return (args, [], lambda who: err("UnknownAction", 1))

    return owner


def _no_response(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1,), [], lambda who: err("NotResponseOperator", 1, who))


def _propose(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    request = (REGION, 1, 1_000, 1, now(), now() + 3_600, 0, 0, 0)
    return ((request,), [], lambda who: err("NotCapableOperator", who, REGION, 2))


def _configure(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    config = (REGION, 0, 59_000, 1, 1_000, 1, 600, 900, 0, 0)
    return ((config,), [], lambda who: err("NotCapableOperator", who, REGION, 8 | 2))


def _evaluate(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    # G-16: GridStability only (as part of its own postMeasurements: test_balancing_actions.py)
    return ((REGION, []), [w.s.stability], lambda who: err("NotGridStability", who))


def _fire(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    request = (REGION, 1, 1_000, 1, now(), now() + 3_600, 0, 0, 0)
    return ((w.stranger, request, 1), [w.s.balancing], lambda who: err("NotSelf", who))


def _link_program(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    return ((1, True), [w.utility], lambda who: err("NotProgramUtility", 1, who))


def _no_shed(function: str) -> Owner:
    """G-17: only a load shed's operator funds its pool or withdraws its remainder, only the shed
    consumer claims; the cast has no action and no pool, so everyone gets UnknownAction (fund,
    withdrawRemainder) or PoolNotFunded (claim). The rightful callers' own calls, and every other
    caller's, are in tests/contracts/test_shed_compensation.py."""

    def owner(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
        if function == "fund":
            return ((1, w.s.token, 1, 1), [], lambda who: err("UnknownAction", 1))
        if function == "withdrawRemainder":
            return ((1, w.stranger), [], lambda who: err("UnknownAction", 1))
        return ((1, 0, b"", []), [], lambda who: err("PoolNotFunded", 1))

    return owner


def _approve_exit(w: Any) -> tuple[tuple[Any, ...], list[Any], Callable[[Any], str]]:
    # G-11: the UtilityRegistry's verifiers only (a member gets NotInEmergency here: no emergency)
    return ((REGION,), w.council, lambda who: err("NotCouncilMember", who))


OWNER: dict[tuple[str, str], Owner] = {
    ("stability", "declareEmergency"): _declare_emergency,
    ("stability", "approveEmergencyExit"): _approve_exit,
    ("balancing", "proposeAction"): _propose,
    ("balancing", "instructAction"): _no_action("instructAction"),
    ("balancing", "completeAction"): _no_action("completeAction"),
    ("balancing", "failAction"): _no_action("failAction"),
    ("balancing", "submitShedReport"): _no_action("submitShedReport"),
    ("balancing", "setProgramLinked"): _link_program,
    ("balancing", "configureAutomatedResponse"): _configure,
    ("balancing", "disableAutomatedResponse"): _no_response,
    ("balancing", "evaluate"): _evaluate,
    ("balancing", "fireResponse"): _fire,
    ("compensation", "fund"): _no_shed("fund"),
    ("compensation", "claim"): _no_shed("claim"),
    ("compensation", "withdrawRemainder"): _no_shed("withdrawRemainder"),
    ("operators", "approve"): _council_approve,
    ("operators", "suspend"): _council_suspend,
    ("optimistic", "postEntries"): _post_entries,
    ("consumers", "activate"): _activate,
    ("consumers", "setMeterKey"): _set_meter_key,
    ("consumers", "attestCapacity"): _attest_capacity,
    ("programs", "createProgram"): _create_program,
    ("requests", "createEvent"): _create_event,
    ("requests", "cancelEvent"): _cancel_event,
    ("forecasting", "setAutoTrigger"): _set_trigger,
    ("forecasting", "clearAutoTrigger"): _clear_trigger,
    ("escrow", "deposit"): _deposit,
    ("escrow", "withdrawUnreserved"): _withdraw_unreserved,
}


class Cast:
    """Everyone who can send a call: every role-holding account, a consumer, a stranger, and the
    protocol contracts themselves."""

    def __init__(self, world: Any, accounts: dict[str, Any], newcomer: Any) -> None:
        self.world, self.s = world, world.suite
        self.utility, self.admin, self.stranger = (
            accounts["utility"],
            accounts["admin"],
            accounts["stranger"],
        )
        self.newcomer = newcomer
        self.callers = [*accounts.values(), *(getattr(self.s, c) for c in CONTRACTS)]
        attester = self.s.consumers.KYC_ATTESTER_ROLE()
        self.active = [a for a in self.callers if self.s.utilities.isActiveUtility(a, REGION)]
        self.attesters = self.active + [
            a for a in self.callers if self.s.consumers.hasRole(attester, a)
        ]
        verifier = self.s.utilities.VERIFIER_ROLE()
        self.council = [a for a in self.callers if self.s.utilities.hasRole(verifier, a)]
        self.day = next_weekday(local_day(now()), at_least=2)
        self.event = 0


@pytest.fixture(scope="module")
def cast(
    world,
    admin,
    region_admin,
    verifiers,
    utility,
    oracle,
    keeper,
    arbiter,
    stranger,
    consumer_accounts,
):  # type: ignore[no-untyped-def]
    accounts = {"admin": admin, "region_admin": region_admin, "verifier": verifiers[0], "utility": utility,
                "oracle": oracle, "keeper": keeper, "arbiter": arbiter, "stranger": stranger,
                "consumer": world.consumers[0], "rival utility": consumer_accounts[7]}  # fmt: skip
    rival, u = consumer_accounts[7], world.suite.utilities
    u.applyForVerification("Rival Power", b"\x09" * 32, [REGION], {"from": rival})
    for v in verifiers[:2]:
        u.approve(rival, 0, {"from": v})  # another active utility of the same region (U-3)
    newcomer = consumer_accounts[6]
    world.suite.consumers.register(0, REGION, b"\x77" * 32, 5_000, 3, prefs(), {"from": newcomer})
    c = Cast(world, accounts, newcomer)
    c.event = world.suite.requests.createEvent(
        1, c.day, 16, 20, 100_000, 0, {"from": utility}
    ).return_value
    world.suite.forecasting.setAutoTrigger(1, 4_000_000, 1, 4, {"from": utility})
    return c


def _zero(abi_type: dict[str, Any]) -> Any:
    t = abi_type["type"]
    if t.endswith("]"):
        size = t[t.rindex("[") + 1 : -1]
        if not size:
            return []  # a dynamic array
        return [_zero({**abi_type, "type": t[: t.rindex("[")]}) for _ in range(int(size))]
    if t == "tuple":
        return tuple(_zero(c) for c in abi_type["components"])
    if t == "address":
        return "0x" + "00" * 20
    if t == "bool":
        return False
    if t == "string":
        return ""
    if t.startswith("bytes"):
        return b"" if t == "bytes" else b"\x00" * int(t[5:])
    return 0


def _overloads(contract: Any, name: str) -> list[Any]:
    """Each ABI overload of ``name`` as a callable brownie method."""
    method = getattr(contract, name)
    return list(method.methods.values()) if hasattr(method, "methods") else [method]


def _refusal(method: Any, args: tuple[Any, ...], caller: Any) -> str | None:
    """The revert message of ``method(*args)`` as an eth_call from ``caller``, or None if it passes."""
    try:
        method.call(*args, {"from": caller.address})
    except VirtualMachineError as exc:
        return str(exc.revert_msg)
    return None


def test_attack_table__covers_every_state_changing_function(cast):  # type: ignore[no-untyped-def]
    for name in CONTRACTS:
        abi = getattr(cast.s, name).abi
        mutating = {
            f["name"]
            for f in abi
            if f["type"] == "function" and f["stateMutability"] not in ("view", "pure")
        }
        listed = {f for (c, f) in [*ROLE, *OPEN, *OWNER] if c == name}
        assert mutating == listed, (
            f"{name}: not decided {mutating - listed}, gone {listed - mutating}"
        )
    assert not set(ROLE) & set(OPEN) and not set(ROLE) & set(OWNER) and not set(OPEN) & set(OWNER)


@pytest.mark.parametrize(("contract", "function"), sorted(ROLE), ids=lambda v: str(v))
def test_attack_role_function_called_by_every_other_role__refused(cast, contract, function):  # type: ignore[no-untyped-def]
    target = getattr(cast.s, contract)
    role = getattr(target, ROLE[(contract, function)])()
    holders = {a.address for a in cast.callers if target.hasRole(role, a)}
    assert holders, f"nobody holds {ROLE[(contract, function)]} on {contract}"
    for method in _overloads(target, function):
        args = tuple(_zero(i) for i in method.abi["inputs"])
        if function in ("grantRole", "revokeRole"):
            args = (role, cast.stranger)
        for caller in cast.callers:
            refused = _refusal(method, args, caller)
            if caller.address in holders:
                assert not (refused or "").startswith("AccessControlUnauthorizedAccount"), (
                    caller,
                    refused,
                )
            else:
                assert refused == err("AccessControlUnauthorizedAccount", caller, role), (
                    caller,
                    refused,
                )


@pytest.mark.parametrize(("contract", "function"), sorted(OWNER), ids=lambda v: str(v))
def test_attack_owner_function_called_by_everyone_else__refused(cast, contract, function):  # type: ignore[no-untyped-def]
    target = getattr(cast.s, contract)
    args, rightful, error = OWNER[(contract, function)](cast)
    method = getattr(target, function)
    for caller in cast.callers:
        refused = _refusal(method, args, caller)
        if caller.address in {a.address for a in rightful}:
            assert refused is None or refused != error(caller), (caller, refused)
        else:
            assert refused == error(caller), (caller, refused)


def test_attack_soulbound_token_transfer__refused_for_everyone(cast):  # type: ignore[no-untyped-def]
    """C-4, the OPEN transfer functions: nobody, the holder included, moves a participation token."""
    consumer = cast.world.consumers[0]
    token_id = cast.s.consumers.consumer(consumer)[0]
    for caller in cast.callers:
        for method in [
            cast.s.consumers.transferFrom,
            *_overloads(cast.s.consumers, "safeTransferFrom"),
        ]:
            args = (consumer, cast.stranger, token_id) + (
                () if len(method.abi["inputs"]) == 3 else (b"",)
            )
            assert _refusal(method, args, caller) == err("Soulbound", token_id), caller
    with brownie.reverts(err("Soulbound", token_id)):  # also as a real transaction
        cast.s.consumers.transferFrom(consumer, cast.stranger, token_id, {"from": consumer})


# ------------------------------------------------------------------ oracle values (F-1..F-3, M-1..M-5)
#
# An oracle (buggy or compromised) posts a value that is out of range, stale, from the future, or a
# duplicate. Each gets its error, and whatever the value aimed at already held stays as it was. An
# old meter day is not "stale": late meter data is accepted (M-1) because a posted record can never be
# replaced (M-4) and settlement reads only the days it requires.


class Slot:
    """The oracle and the contracts it posts to, at the current hour and day."""

    def __init__(self, suite: Any, oracle: Any) -> None:
        self.fc, self.meter, self.oracle = suite.forecasting, suite.meter, oracle
        self.h, self.t = int(self.fc.currentHour(REGION)), now()
        self.today = local_day(self.t)

    def weather(self, *points: tuple[int, ...]) -> Any:
        return self.fc.postWeather(REGION, list(points), {"from": self.oracle})

    def forecasts(self, issued: int, *points: tuple[int, ...]) -> Any:
        return self.fc.postForecasts(REGION, 7, issued, list(points), {"from": self.oracle})

    def actuals(self, *points: tuple[int, ...]) -> Any:
        return self.fc.postActuals(REGION, list(points), {"from": self.oracle})

    def readings(self, day: int, ids: list[int], flags: int = 0) -> Any:
        data = bytearray(meter_leaf.encode_batch(records(day, ids)))
        data[13] = flags  # the first record's flags byte (M-2)
        return self.meter.postBatch(REGION, day, bytes(data), {"from": self.oracle})

    def hour(self, hour: int) -> tuple[Any, ...]:
        return tuple(self.fc.hourRecord(REGION, hour))

    def meter_day(self, day: int) -> tuple[Any, ...]:
        return (*self.meter.dayInfo(REGION, day), self.meter.batchRoot(REGION, day, 0))


Step = Callable[[Slot], Any]


class OracleCase(NamedTuple):
    good: Step | None  # a valid post to the same slot first, or None for an empty slot
    bad: Step
    error: Callable[[Slot], str]
    stored: Step  # what the slot holds


W = (200, 500, 100)  # a valid weather point: 20.0 °C, 50.0 %, 100 W/m²
ORACLE: dict[str, OracleCase] = {
    "weather out of range": OracleCase(
        lambda o: o.weather((o.h, *W)), lambda o: o.weather((o.h, 601, 500, 100)),
        lambda o: err("ValueOutOfRange", 0), lambda o: o.hour(o.h)),
    "weather stale": OracleCase(
        None, lambda o: o.weather((o.h - 169, *W)),
        lambda o: err("PastHour", 0, o.h - 169, o.h), lambda o: o.hour(o.h - 169)),
    "weather from the future": OracleCase(
        None, lambda o: o.weather((o.h + 49, *W)),
        lambda o: err("FutureHour", 0, o.h + 49, o.h), lambda o: o.hour(o.h + 49)),
    "weather duplicate hour": OracleCase(
        lambda o: o.weather((o.h - 1, *W)), lambda o: o.weather((o.h - 1, *W), (o.h - 1, 300, 0, 0)),
        lambda o: err("HoursNotIncreasing", 1), lambda o: o.hour(o.h - 1)),
    "forecast out of range": OracleCase(
        lambda o: o.forecasts(o.t, forecast(o.h + 2, 3_000_000)),
        lambda o: o.forecasts(o.t, (o.h + 2, 100, 200, 300)),
        lambda o: err("ValueOutOfRange", 0), lambda o: o.hour(o.h + 2)),
    "forecast stale": OracleCase(
        lambda o: o.forecasts(o.t, forecast(o.h + 2, 3_000_000)),
        lambda o: o.forecasts(o.t - 3_700, forecast(o.h + 2, 4_000_000)),
        lambda o: err("StaleForecast", o.t - 3_700), lambda o: o.hour(o.h + 2)),
    "forecast issued in the future": OracleCase(
        lambda o: o.forecasts(o.t, forecast(o.h + 2, 3_000_000)),
        lambda o: o.forecasts(o.t + 600, forecast(o.h + 2, 4_000_000)),
        lambda o: err("StaleForecast", o.t + 600), lambda o: o.hour(o.h + 2)),
    "forecast of a past hour": OracleCase(
        None, lambda o: o.forecasts(o.t, forecast(o.h, 4_000_000)),
        lambda o: err("PastHour", 0, o.h, o.h), lambda o: o.hour(o.h)),
    "forecast beyond the horizon": OracleCase(
        None, lambda o: o.forecasts(o.t, forecast(o.h + 49, 4_000_000)),
        lambda o: err("FutureHour", 0, o.h + 49, o.h), lambda o: o.hour(o.h + 49)),
    "forecast duplicate hour": OracleCase(
        lambda o: o.forecasts(o.t, forecast(o.h + 2, 3_000_000)),
        lambda o: o.forecasts(o.t, forecast(o.h + 2, 2_000_000), forecast(o.h + 2, 4_000_000)),
        lambda o: err("HoursNotIncreasing", 1), lambda o: o.hour(o.h + 2)),
    "actual out of range": OracleCase(
        None, lambda o: o.actuals(actual(o.h - 2, 1_000_000, freq=NOMINAL + 5_001)),
        lambda o: err("ValueOutOfRange", 0), lambda o: o.hour(o.h - 2)),
    "actual stale": OracleCase(
        None, lambda o: o.actuals(actual(o.h - 169, 1_000_000)),
        lambda o: err("PastHour", 0, o.h - 169, o.h), lambda o: o.hour(o.h - 169)),
    "actual of an unended hour": OracleCase(
        None, lambda o: o.actuals(actual(o.h, 1_000_000)),
        lambda o: err("FutureHour", 0, o.h, o.h), lambda o: o.hour(o.h)),
    "actual duplicate": OracleCase(
        lambda o: o.actuals(actual(o.h - 1, 1_000_000)),
        lambda o: o.actuals(actual(o.h - 1, 4_900_000)),
        lambda o: err("DuplicateActual", o.h - 1),
        lambda o: (*o.hour(o.h - 1), *o.fc.gridState(REGION))),
    "meter flags out of range": OracleCase(
        None, lambda o: o.readings(o.today - 1, [1], flags=2),
        lambda o: err("InvalidRecordFlags", 0, 2), lambda o: o.meter_day(o.today - 1)),
    "meter day from the future": OracleCase(
        None, lambda o: o.readings(o.today, [1]),
        lambda o: err("DayNotEnded", REGION, o.today, day_start(o.today + 1)),
        lambda o: o.meter_day(o.today)),
    "meter duplicate consumer-day": OracleCase(
        lambda o: o.readings(o.today - 1, [1, 5]), lambda o: o.readings(o.today - 1, [5]),
        lambda o: err("RecordAlreadyPosted", REGION, o.today - 1, 5), lambda o: o.meter_day(o.today - 1)),
    "meter duplicate in one batch": OracleCase(
        None, lambda o: o.readings(o.today - 1, [3, 3]),
        lambda o: err("ConsumerIdNotIncreasing", 1, 3, 3), lambda o: o.meter_day(o.today - 1)),
}  # fmt: skip


@pytest.mark.parametrize("case", list(ORACLE))
def test_attack_oracle_posts_bad_value__refused_and_slot_kept(suite, oracle, case):  # type: ignore[no-untyped-def]
    """F-1..F-3, M-1..M-4: the bad post reverts with its error and the slot it aimed at keeps what it
    held: the earlier valid value, or nothing."""
    c, o = ORACLE[case], Slot(suite, oracle)
    empty = c.stored(o)
    if c.good is not None:
        c.good(o)
        assert c.stored(o) != empty  # the slot is the one the good post filled
    before = c.stored(o)
    with brownie.reverts(c.error(o)):
        c.bad(o)
    assert c.stored(o) == before
