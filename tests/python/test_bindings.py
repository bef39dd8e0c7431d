"""Typed bindings and enums against the build (Off-chain v2 issue, item 3): every struct of the
protocol's ABI has a binding with the same fields in the same order and the same enums; every
Python enum has the Solidity enum's members in order; the refusal codes are the contracts' codes."""

from __future__ import annotations

import ast
import json
import re
import typing
from enum import IntEnum
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from oracles.protocol import bindings, enums
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.manifest import PROTOCOL

ALL = {
    cls.SOLIDITY: cls
    for cls in vars(bindings).values()
    if isinstance(cls, type) and issubclass(cls, bindings.Struct) and cls is not bindings.Struct
}
# "Interface.Struct" bindings, and "Interface.function" bindings of a view's named outputs
BINDINGS = {name: cls for name, cls in ALL.items() if name.split(".")[1][0].isupper()}
OUTPUTS = {name: cls for name, cls in ALL.items() if name.split(".")[1][0].islower()}


def _artifact(name: str) -> dict[str, Any]:
    return dict(json.loads((DEFAULT_BUILD_DIR / f"{name}.json").read_text()))


def _abi_structs() -> dict[str, list[dict[str, Any]]]:
    """Every struct in the protocol contracts' ABIs: Solidity name -> components."""
    found: dict[str, list[dict[str, Any]]] = {}

    def walk(param: dict[str, Any]) -> None:
        if param["type"].startswith("tuple"):
            name = param["internalType"].removeprefix("struct ").removesuffix("[]")
            found[name] = param["components"]
            for c in param["components"]:
                walk(c)

    for contract in PROTOCOL:
        for item in _artifact(contract)["abi"]:
            for param in item.get("inputs", []) + item.get("outputs", []):
                walk(param)
    return found


def _ast_nodes(node: Any, kind: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    if isinstance(node, dict):
        if node.get("nodeType") == kind:
            out.append(node)
        for value in node.values():
            out.extend(_ast_nodes(value, kind))
    elif isinstance(node, list):
        for value in node:
            out.extend(_ast_nodes(value, kind))
    return out


def _field_type(cls: type[bindings.Struct], name: str) -> Any:
    return typing.get_type_hints(cls, vars(bindings))[name]


ABI_STRUCTS = _abi_structs()


def test_every_abi_struct_has_a_binding() -> None:
    assert sorted(ABI_STRUCTS) == sorted(BINDINGS)


@pytest.mark.parametrize("solidity", sorted(ABI_STRUCTS))
def test_binding_matches_the_abi(solidity: str) -> None:
    _check_fields(BINDINGS[solidity], solidity, ABI_STRUCTS[solidity])


def _abi_outputs() -> dict[str, list[dict[str, Any]]]:
    """Every view of the protocol contracts with several named outputs: "IContract.name" -> outputs."""
    found = {}
    for contract in PROTOCOL:
        for item in _artifact(contract)["abi"]:
            outputs = item.get("outputs", [])
            if (
                item.get("type") == "function"
                and len(outputs) > 1
                and all(o["name"] for o in outputs)
            ):
                found[f"I{contract}.{item['name']}"] = outputs
    found.pop("IMeterData.eip712Domain")  # ERC-5267's standard view, read by eth-account
    return found


ABI_OUTPUTS = _abi_outputs()


def test_every_named_multi_output_view_has_a_binding() -> None:
    assert sorted(ABI_OUTPUTS) == sorted(OUTPUTS)


@pytest.mark.parametrize("solidity", sorted(ABI_OUTPUTS))
def test_output_binding_matches_the_abi(solidity: str) -> None:
    _check_fields(OUTPUTS[solidity], solidity, ABI_OUTPUTS[solidity])


def _check_fields(
    cls: type[bindings.Struct], solidity: str, components: list[dict[str, Any]]
) -> None:
    assert cls.abi_names() == [c["name"] for c in components]
    for (field, _), component in zip(cls.model_fields.items(), components, strict=True):
        annotation = _field_type(cls, field)
        internal = component.get("internalType", "")
        if internal.startswith("enum "):
            assert isinstance(annotation, type) and issubclass(annotation, IntEnum)
            assert enums.SOLIDITY[annotation] == internal.removeprefix("enum "), field
        elif component["type"] == "tuple":
            assert annotation is BINDINGS[internal.removeprefix("struct ")], field
        else:
            expected = {"bool": bool, "address": str}.get(component["type"])
            if expected is None:
                expected = (
                    bytes
                    if component["type"].startswith("bytes") and "[" not in component["type"]
                    else None
                )
            if (
                expected is None
                and component["type"].startswith(("uint", "int"))
                and "[" not in component["type"]
            ):
                expected = int
            if expected is int and isinstance(annotation, type) and issubclass(annotation, IntEnum):
                # a uint8 code read as an enum (Program.method: the reference's Method;
                # Eligibility.reason: IConsumerRegistry.Ineligibility, a uint8 to spare callers
                # the ABI decoder's enum check)
                assert component["type"] == "uint8", field
            elif expected is not None:
                assert annotation is expected, f"{solidity}.{component['name']}: {annotation}"


def _solidity_enums() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in sorted(DEFAULT_BUILD_DIR.glob("I*.json")):
        for node in _ast_nodes(json.loads(path.read_text()).get("ast"), "EnumDefinition"):
            found[node["canonicalName"]] = [m["name"] for m in node["members"]]
    return found


SOLIDITY_ENUMS = _solidity_enums()


def test_every_solidity_enum_has_a_python_enum() -> None:
    assert sorted(enums.SOLIDITY.values()) == sorted(SOLIDITY_ENUMS)


@pytest.mark.parametrize("enum", list(enums.SOLIDITY), ids=lambda e: e.__name__)
def test_enum_matches_solidity(enum: type[IntEnum]) -> None:
    members = list(enum)
    assert [enums.solidity_name(m) for m in members] == SOLIDITY_ENUMS[enums.SOLIDITY[enum]]
    assert [int(m) for m in members] == list(range(len(members)))


def _constants(contract: str) -> dict[str, int]:
    out = {}
    for node in _ast_nodes(_artifact(contract)["ast"], "VariableDeclaration"):
        value = node.get("value") or {}
        if node.get("constant") and value.get("nodeType") == "Literal":
            out[node["name"]] = int(value["value"].replace("_", ""))
    return out


def test_refusals_are_the_contracts_codes() -> None:
    """One encoding of why a consumer is not enrolled (V-2, V-6): 1..8 IConsumerRegistry.Ineligibility,
    9..12 ReductionRequests' own codes; the keeper's own reason lies outside both."""
    for member in enums.Ineligibility:
        if member is not enums.Ineligibility.None_:
            assert enums.Refusal[member.name] == member.value
    constants = _constants("ReductionRequests")
    assert {
        "_REFUSED_ALREADY_ENROLLED": enums.Refusal.AlreadyEnrolled,
        "_REFUSED_COMMITMENT": enums.Refusal.CommitmentOutOfRange,
        "_REFUSED_DAY_TAKEN": enums.Refusal.DayTaken,
        "_REFUSED_EVENT_CAP": enums.Refusal.EventCapReached,
    } == {
        name: enums.Refusal(value)
        for name, value in constants.items()
        if name.startswith("_REFUSED_") and name != "_REFUSED_HOURS"
    }
    assert all(r.text() for r in enums.Refusal)
    assert len({r.text() for r in enums.Refusal}) == len(enums.Refusal)


def test_a_binding_round_trips_a_chain_tuple() -> None:
    reply = (
        "0x" + "11" * 20,
        3,
        0,
        7,
        3,
        1,
        4_000,
        5_000,
        2_000,
        "0x" + "22" * 20,
        500_000,
        10,
        15_000,
        20_000,
        True,
        12,
        10_000,
        1,
    )
    program = bindings.Program.model_validate(reply)
    assert program.region_id == 3 and program.signed_data is True and program.base_rate == 500_000
    assert program.basis is enums.Basis.Net
    assert program.abi() == reply
    event = bindings.DrEvent.model_validate(_event_reply(status=5))
    assert event.tier is enums.Tier.Economic and event.status is enums.EventStatus.RootSettled
    outcome = bindings.Outcome.model_validate((True, False, 10, (100, 80, 20, 0)))
    assert outcome.result.reduction_wh == 20 and outcome.abi() == (
        True,
        False,
        10,
        (100, 80, 20, 0),
    )


def _event_reply(status: int) -> tuple[int, ...]:
    """A DrEvent reply: the first 13 fields as named, any later ones zero."""
    head = (1, 20_000, 12, 16, 1, status, 750_000, 0, 3, 10, 20, 2, 1)
    return head + (0,) * (len(bindings.DrEvent.model_fields) - len(head))


def test_a_malformed_reply_is_refused() -> None:
    n = len(bindings.DrEvent.model_fields)
    with pytest.raises(
        ValidationError, match=rf"IReductionRequests\.DrEvent has {n} fields, the value {n - 1}"
    ):
        bindings.DrEvent.model_validate(tuple(range(n - 1)))
    with pytest.raises(ValidationError, match="status"):  # 9 is no EventStatus
        bindings.DrEvent.model_validate(_event_reply(status=9))


def test_consent_bits_are_the_contracts() -> None:
    constants = _constants("ConsumerRegistry")
    assert constants["CONSENT_DATA_USE"] == enums.Consent.DataUse
    assert constants["CONSENT_AUTO_ENROLL"] == enums.Consent.AutoEnroll
    assert constants["CONSENT_MASK"] == enums.Consent.DataUse | enums.Consent.AutoEnroll


def test_hour_flags_are_the_contracts() -> None:
    constants = _constants("LoadForecasting")
    assert {name: constants[f"_HAS_{name.upper()}"] for name in enums.HourFlag.__members__} == {
        m.name: int(m)
        for m in enums.HourFlag  # type: ignore[misc]
    }


def _positional_reads(path: Path) -> list[str]:
    """Subscripts of a chain reply (``f(...).call()[i]``, ``call_many(...)[i]``, ``p.dr_event(e)[i]``)
    and index constants of a struct (``EV_DAY = 1``) in one module."""
    found = []
    tree = ast.parse(path.read_text(), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Call):
            fn = node.value.func
            name = fn.attr if isinstance(fn, ast.Attribute) else getattr(fn, "id", "")
            if name in {"call", "call_many"} or name in PROTOCOL_READS:
                found.append(f"{path.name}:{node.lineno} {name}(...)[...]")
        if isinstance(node, ast.Assign) and _int_literals(node.value):
            for target in node.targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                for t in names:
                    if isinstance(t, ast.Name) and re.fullmatch(
                        r"(EV|PROGRAM|CONSUMER|ENROLLMENT)_[A-Z_]+", t.id
                    ):
                        found.append(f"{path.name}:{node.lineno} index constant {t.id}")
    return found


def _int_literals(value: ast.expr) -> bool:
    """An index constant's value: an int, or a tuple of ints (``EV_DAY, EV_TIER = 1, 5``); a string
    constant such as an OpenADR ``PROGRAM_TYPE = "DEMAND_RESPONSE"`` indexes nothing."""
    values = value.elts if isinstance(value, ast.Tuple) else [value]
    return all(isinstance(v, ast.Constant) and type(v.value) is int for v in values)


PROTOCOL_READS = {
    "program",
    "dr_event",
    "consumer",
    "region",
    "day_info",
    "hour_record",
    "root_record",
    "rolling_mape",
}


def test_no_positional_struct_reads_in_the_package_or_the_bench() -> None:
    """Item 3's rule, as far as the syntax shows it: no reply of the chain is indexed by position."""
    root = Path(__file__).resolve().parents[2]
    modules = [*(root / "oracles").rglob("*.py"), *(root / "benchmarks").rglob("*.py")]
    assert [hit for path in modules for hit in _positional_reads(path)] == []


def test_the_positional_check_sees_one(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("EV_DAY = 1\nx = c.functions.drEvent(1).call()[EV_DAY]\ny = p.dr_event(1)[2]\n")
    assert len(_positional_reads(bad)) == 3
