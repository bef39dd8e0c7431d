"""Deployment under the build profile this run compiled (cancun, or london for Energy Web Chain).

Part of the `both_profiles` subset that `make test` also runs under london (the full suite runs on
cancun; `make test-full` runs it on both): every contract of the build deploys on a chain running
the profile's rules, its runtime code uses no opcode those rules lack (PUSH0, MCOPY, transient
storage under london), and the `suite` fixture wires the protocol as `tests/contracts/suite.py` says.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contracts.suite import REGION

pytestmark = pytest.mark.both_profiles

# opcodes each EVM target added after London (EIP-3855 PUSH0, EIP-1153 TLOAD/TSTORE, EIP-5656
# MCOPY, EIP-4844/7516 BLOBHASH/BLOBBASEFEE): none may appear in code built for an older target
NEWER_THAN_LONDON = {0x5F: "PUSH0", 0x5C: "TLOAD", 0x5D: "TSTORE", 0x5E: "MCOPY"}
NEWER_THAN_LONDON |= {0x49: "BLOBHASH", 0x4A: "BLOBBASEFEE"}
ADDED_BY = {"london": set(NEWER_THAN_LONDON), "cancun": set()}


def _containers() -> dict[str, Any]:
    """Every deployable contract of the project's own sources (OpenZeppelin's are not deployed)."""
    from brownie import project

    found: dict[str, Any] = {}
    for container in project.get_loaded_projects()[0]:
        build: dict[str, Any] = container._build
        source = str(build.get("sourcePath", ""))
        if (
            build.get("type") == "contract"
            and source.startswith("contracts/")
            and build.get("deployedBytecode")
        ):
            found[container._name] = container
    return found


def _evm_version() -> str:
    from brownie import project

    return str(project.get_loaded_projects()[0]._compiler_config["evm_version"])


def _opcodes(build: dict[str, Any]) -> set[int]:
    """The opcodes of a contract's runtime code, PUSH data skipped. The source map has one entry
    per instruction: what follows them is data (constants the optimizer copies from code, the
    metadata), whose bytes are no opcodes."""
    code = bytes.fromhex(str(build["deployedBytecode"]).removeprefix("0x"))
    instructions = len(str(build["deployedSourceMap"]).split(";"))
    seen: set[int] = set()
    i = 0
    for _ in range(instructions):
        op = code[i]
        seen.add(op)
        i += 1 + (op - 0x5F if 0x60 <= op <= 0x7F else 0)
    return seen


def test_deploy__every_contract_of_the_build__runtime_code_on_chain(suite, admin, verifiers):  # type: ignore[no-untyped-def]
    """A-4, OP-1: the protocol (`suite`), the handover timelock and every test contract deploy on a
    chain of this profile's rules, and the code on chain is as long as the build's runtime code."""
    from brownie import web3

    containers = _containers()
    tx = {"from": admin}
    s = suite
    deployed: dict[str, Any] = {
        "RegionRegistry": s.regions,
        "UtilityRegistry": s.utilities,
        "ConsumerRegistry": s.consumers,
        "IncentiveEscrow": s.escrow,
        "MeterData": s.meter,
        "ProgramRegistry": s.programs,
        "ReductionRequests": s.requests,
        "ProofSettlement": s.proofs,
        "Disputes": s.disputes,
        "LoadForecasting": s.forecasting,
        "OptimisticSettlement": s.optimistic,
        "GridOperatorRegistry": s.operators,
        "GridStability": s.stability,
        "BalancingActions": s.balancing,
        "ShedCompensation": s.compensation,
        "MockStablecoin": s.token,
    }
    c = containers
    deployed["GridBalanceTimelock"] = c["GridBalanceTimelock"].deploy(
        3_600, [verifiers[0]], ["0x" + "00" * 20], admin, tx
    )
    deployed["OptimisticSettlementHarness"] = c["OptimisticSettlementHarness"].deploy(
        admin, s.requests, s.consumers, s.meter, s.programs, tx
    )
    for name in (
        "AttackReceiver",
        "BaselineHarness",
        "DayBitmapHarness",
        "BlocklistToken",
        "CallBundler",
        "FeeOnTransferToken",
        "LoadShiftHarness",
        "MeterLeafHarness",
        "MeterMultiproofHarness",
        "PositionalMerkleHarness",
        "ReentrantToken",
    ):
        deployed[name] = c[name].deploy(tx)
    assert set(deployed) == set(containers), (
        f"deploy here: {set(containers) - set(deployed)}, gone: {set(deployed) - set(containers)}"
    )
    for name, contract in deployed.items():
        on_chain = bytes(web3.eth.get_code(contract.address))
        runtime = containers[name]._build["deployedBytecode"]
        # immutables are filled in at deployment: same length, other bytes
        assert len(on_chain) == len(runtime) // 2 > 0, name


def test_runtime_code__no_opcode_newer_than_the_profiles_evm() -> None:
    """What separates the profiles (DEVELOPERS.md "Toolchain"): london code has no PUSH0, MCOPY or
    transient storage (OpenZeppelin 5.4.0 there, 5.5+ uses MCOPY), so Energy Web Chain runs it."""
    evm = _evm_version()
    assert evm in ADDED_BY, f"no opcode rule for evm_version {evm}"
    opcodes = {name: _opcodes(c._build) for name, c in _containers().items()}
    if evm == "cancun":  # the scan sees them where they are: solc uses PUSH0 from Shanghai on
        assert all(0x5F in ops for ops in opcodes.values())
    banned = ADDED_BY[evm]
    found = {n: sorted(NEWER_THAN_LONDON[op] for op in ops & banned) for n, ops in opcodes.items()}
    assert not {n: ops for n, ops in found.items() if ops}, f"opcodes {evm} lacks"


def test_suite_wiring__roles_and_the_verified_utility(suite, oracle, keeper, arbiter, utility):  # type: ignore[no-untyped-def]
    """The wiring `deploy_suite` does (the same roles `oracles.ops.deploy` grants on a network)."""
    s = suite

    def holds(contract: Any, role: str, who: Any) -> bool:
        return bool(contract.hasRole(getattr(contract, role)(), who))

    assert all(holds(s.utilities, "PROTOCOL_ROLE", p) for p in (s.requests, s.disputes))
    assert holds(s.consumers, "SETTLEMENT_ROLE", s.requests)
    assert all(holds(s.escrow, "PROTOCOL_ROLE", p) for p in (s.requests, s.programs, s.disputes))
    assert s.escrow.isTokenAllowed(s.token)
    assert holds(s.meter, "METER_ORACLE_ROLE", oracle)
    assert holds(s.requests, "TRIGGER_ROLE", s.forecasting)
    assert holds(s.requests, "KEEPER_ROLE", keeper)
    assert holds(s.requests, "SETTLER_ROLE", s.proofs)
    assert holds(s.requests, "OPTIMISTIC_ROLE", s.optimistic)
    assert holds(s.disputes, "ARBITER_ROLE", arbiter)
    assert holds(s.optimistic, "PROPOSER_ROLE", keeper)
    for role in ("WEATHER_ORACLE_ROLE", "FORECAST_ORACLE_ROLE", "GRID_ORACLE_ROLE"):
        assert holds(s.forecasting, role, oracle)
    assert s.utilities.isActiveUtility(utility, REGION)
    assert s.proofs.requests() == s.requests
