"""The protocol-action commands in-process (oracles/cli/actions.py, utility.py, roles.py) against one
deployed world on an Anvil the tests start, reverted to a snapshot after each test."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from web3 import Web3

from oracles.chain.anvil import Anvil, rpc_call, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.cli.main import main
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import UtilityStatus

pytestmark = pytest.mark.xdist_group("cli_actions")


@dataclass
class World:
    anvil: Anvil
    w3: Web3
    p: Protocol
    manifest: Path
    snapshot: str
    accounts: list[str]

    def args(self, *argv: str) -> list[str]:
        cmd, rest = list(argv[:2]), list(argv[2:])
        return [*cmd, "--rpc", self.anvil.url, "--manifest", str(self.manifest), *rest]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with start_anvil(accounts=6, gas_limit=30_000_000) as anvil:
        w3 = connect(anvil.url)
        accounts = [str(a) for a in w3.eth.accounts]
        admin, v1, v2, utility = accounts[:4]
        cfg = DeployConfig(
            regions=[RegionConfig(id=1, name="Test", capacity_kw=10_000, utc_offset_minutes=-480)],
            verifiers=[v1, v2], threshold=2, kyc_attesters=[admin],
        )  # fmt: skip
        path = tmp_path_factory.mktemp("world") / "deployment.json"
        manifest = deploy_protocol(ChainClient(w3, NodeSigner(admin)), cfg, path)
        p = Protocol.connect(w3, manifest)
        ChainClient(w3, NodeSigner(utility)).transact(
            p.utilities.functions.applyForVerification("Valley Power", b"\x01" * 32, [1]), "apply"
        )
        yield World(anvil, w3, p, path, str(rpc_call(anvil.url, "evm_snapshot")), accounts)


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    rpc_call(world.anvil.url, "evm_revert", [world.snapshot])
    world.snapshot = str(rpc_call(world.anvil.url, "evm_snapshot"))


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def status(w: World, who: str) -> UtilityStatus:
    return UtilityStatus(w.p.utilities.functions.utility(who).call()[0])


def test_approve__twice_by_default_verifiers__utility_active(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    utility = w.accounts[3]
    code, out, _ = run(capsys, w.args("utility", "approve", utility))
    assert code == 0 and "(1 of 2 approvals)" in out and w.accounts[1] in out
    # without --account the second verifier is chosen: the first one approved already
    code, out, _ = run(capsys, w.args("utility", "approve", utility))
    assert code == 0 and "(2 of 2 approvals)" in out and "Active" in out
    assert w.accounts[2] in out
    assert status(w, utility) == UtilityStatus.Active


def test_approve__by_non_verifier__role_name_and_holders(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    utility = w.accounts[3]
    code, _, err = run(capsys, [*w.args("utility", "approve", utility), "--account", "4"])
    assert code == 1 and err.count("\n") == 1 and "Traceback" not in err
    assert "UtilityRegistry.VERIFIER_ROLE" in err and w.accounts[1] in err
    assert w.accounts[2] in err and "0x" + "00" * 4 not in err.split("lacks")[1][:20]
    assert status(w, utility) == UtilityStatus.Pending


def test_approve__dry_run__nothing_sent(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    utility, v1 = w.accounts[3], w.accounts[1]
    nonce = w.w3.eth.get_transaction_count(Web3.to_checksum_address(v1))
    code, out, _ = run(capsys, [*w.args("utility", "approve", utility), "--dry-run"])
    assert (
        code == 0
        and "nothing sent" in out
        and "estimated" in out
        and "ETH at the current fee" in out
    )
    assert f"approve(utility_={utility}, action=0)" in out
    assert w.w3.eth.get_transaction_count(Web3.to_checksum_address(v1)) == nonce
    assert not w.p.utilities.functions.hasApproved(utility, 0, v1).call()


def test_apply__own_account__pending(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    applicant = w.accounts[4]
    argv = [
        *w.args("utility", "apply"),
        "--name",
        "North Grid",
        "--credential",
        "license 7",
        "--regions",
        "1",
    ]
    code, _, err = run(capsys, argv)
    assert code == 1 and "pass --account" in err and err.count("\n") == 1
    code, out, _ = run(capsys, [*argv, "--account", "4"])
    assert code == 0 and "Pending" in out and status(w, applicant) == UtilityStatus.Pending
    code, _, err = run(capsys, [*argv, "--account", "4"])  # applied already: decoded by name
    assert code == 1 and "AlreadyApplied" in err and err.count("\n") == 1


def test_suspend__authorized_and_not(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    utility = w.accounts[3]
    code, _, err = run(capsys, [*w.args("utility", "suspend", utility), "--reason", "audit"])
    assert code == 1 and "NotSuspendable" in err  # a pending utility
    for _ in range(2):
        assert run(capsys, w.args("utility", "approve", utility))[0] == 0
    code, _, err = run(
        capsys, [*w.args("utility", "suspend", utility), "--reason", "audit", "--account", "0"]
    )
    assert code == 1 and "VERIFIER_ROLE" in err
    code, out, _ = run(capsys, [*w.args("utility", "suspend", utility), "--reason", "audit"])
    assert code == 0 and "suspended" in out and status(w, utility) == UtilityStatus.Suspended
    code, out, _ = run(capsys, w.args("utility", "show", utility))
    assert code == 0 and "Suspended" in out and "Valley Power" in out


def test_roles__every_role_by_name(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, w.args("roles"))
    assert code == 0
    lines = dict(line.split(": ", 1) for line in out.splitlines())
    assert w.accounts[1] in lines["UtilityRegistry.VERIFIER_ROLE"]
    assert "ReductionRequests" in lines["UtilityRegistry.PROTOCOL_ROLE"]
    assert lines["MeterData.METER_ORACLE_ROLE"] == "no one"
    assert all(not k.startswith("0x") for k in lines)


@pytest.mark.parametrize(
    "argv, message",
    [
        (["utility", "approve", "0x12"], "is not an address"),
        (["utility", "suspend", "0x" + "ab" * 20, "--reason", "0x1234"], "needs 64 hex digits"),
        (
            ["utility", "apply", "--name", "x", "--credential", "c", "--regions", "0"],
            "out of range",
        ),
        (["utility", "frobnicate"], "invalid choice"),
        (
            [
                "region",
                "add",
                "--id",
                "2",
                "--name",
                "x",
                "--capacity-kw",
                "1",
                "--utc-offset",
                "+01:10",
            ],
            "15-minute",
        ),
        (["region", "holiday", "--region", "1", "--day", "2026-13-01"], "not a date"),
    ],
)
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_bad_rpc__one_line(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, ["roles", "--rpc", "localhost:1"])
    assert code == 1 and "http://localhost:1" in err and err.count("\n") == 1
    code, _, err = run(capsys, ["roles", "--rpc", "http://127.0.0.1:1"])
    assert code == 1 and "no JSON-RPC answer" in err and err.count("\n") == 1


def test_region_add__admin_by_default__added(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*w.args("region", "add"), "--id", "7", "--name", "East", "--capacity-kw", "5000",
            "--utc-offset", "+05:30", "--interval", "15"]  # fmt: skip
    code, _, err = run(capsys, [*argv, "--account", "1"])
    assert code == 1 and "RegionRegistry.REGION_ADMIN_ROLE" in err and w.accounts[0] in err
    code, out, _ = run(capsys, [*argv, "--dry-run"])
    assert code == 0 and "nothing sent" in out
    assert not w.p.regions.functions.regionExists(7).call()
    code, out, _ = run(capsys, argv)
    assert code == 0 and "Region 7 'East' added" in out and "UTC+05:30" in out
    assert w.p.regions.functions.meterInterval(7).call() == 15
    code, out, _ = run(capsys, w.args("region", "show"))
    assert code == 0 and "region 1 'Test'" in out and "region 7 'East'" in out


def test_region_add__time_zone__set_and_shown(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    """R-8: --time-zone sends setTimeZone after addRegion; a zone whose standard time is not the
    offset is one line, nothing sent."""
    argv = [*w.args("region", "add"), "--id", "8", "--name", "Berlin", "--capacity-kw", "5000",
            "--utc-offset", "+01:00", "--interval", "15"]  # fmt: skip
    code, _, err = run(capsys, [*argv, "--time-zone", "Europe/London"])
    assert code == 1 and err.count("\n") == 1
    assert (
        "--time-zone: time zone Europe/London has standard time UTC+00:00, the region UTC+01:00"
        in err
    )
    code, _, err = run(capsys, [*argv, "--time-zone", "Europe/Atlantis"])
    assert code == 1 and err.count("\n") == 1 and "not an IANA time zone" in err
    assert not w.p.regions.functions.regionExists(8).call()
    code, out, _ = run(capsys, [*argv, "--time-zone", "Europe/Berlin", "--dry-run"])
    assert code == 0 and "dry run: 2 transactions" in out and "setTimeZone(regionId=8" in out
    assert not w.p.regions.functions.regionExists(8).call()
    code, out, _ = run(capsys, [*argv, "--time-zone", "Europe/Berlin"])
    assert code == 0 and "days in UTC+01:00 standard time, shown in Europe/Berlin" in out
    assert w.p.regions.functions.timeZone(8).call() == "Europe/Berlin"
    code, out, _ = run(capsys, w.args("region", "show", "8"))
    assert code == 0 and "time zone    Europe/Berlin" in out
    assert "days         UTC+01:00 standard time all year (R-6)" in out


def test_region_time_zone__authorized_and_not(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, w.args("region", "show", "1"))
    assert code == 0 and "time zone    none set" in out
    argv = [*w.args("region", "time-zone"), "--region", "1", "--zone", "America/Los_Angeles"]
    code, _, err = run(capsys, [*argv, "--account", "3"])
    assert code == 1 and err.count("\n") == 1 and "RegionRegistry.REGION_ADMIN_ROLE" in err
    assert w.p.regions.functions.timeZone(1).call() == ""
    code, _, err = run(capsys, [*argv[:-1], "America/Denver"])
    assert (
        code == 1 and err.count("\n") == 1 and "America/Denver has standard time UTC-07:00" in err
    )
    code, out, _ = run(capsys, argv)
    assert code == 0 and "Region 1's time zone is now America/Los_Angeles (was none)" in out
    assert w.p.regions.functions.timeZone(1).call() == "America/Los_Angeles"
    code, out, _ = run(capsys, w.args("region", "show", "1"))
    assert code == 0 and "time zone    America/Los_Angeles" in out
    code, _, err = run(capsys, [*w.args("region", "time-zone"), "--region", "9", "--zone", "UTC"])
    assert code == 1 and "region 9 is not registered" in err


def test_region_time_zone__set_by_hand_not_the_offset__ignored_and_said(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """R-8: the chain takes any 1..32-byte name (a `cast send` skips the CLI's check); a zone whose
    standard offset is not the region's is not used: the fixed offset shows, and `region show`
    says why."""
    admin = ChainClient(w.w3, NodeSigner(w.accounts[0]))
    admin.transact(w.p.regions.functions.setTimeZone(1, "America/New_York"), "setTimeZone")
    assert w.p.region_clock(1).zone is None and w.p.region_clock(1).zone_label == "UTC-08:00"
    code, out, _ = run(capsys, w.args("region", "show", "1"))
    assert code == 0 and "time zone    America/New_York (not used:" in out
    assert "now " in out and out.rstrip().endswith("UTC-08:00")


def test_region_holiday__authorized_and_not(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    argv = [*w.args("region", "holiday"), "--region", "1", "--day", "2099-12-25"]
    day = (date(2099, 12, 25) - date(1970, 1, 1)).days
    code, _, err = run(capsys, [*argv, "--account", "3"])
    assert code == 1 and "REGION_ADMIN_ROLE" in err and err.count("\n") == 1
    code, out, _ = run(capsys, argv)
    assert code == 0 and "2099-12-25 is now a holiday" in out
    assert w.p.regions.functions.isHoliday(1, day).call()
    code, _, err = run(
        capsys, [*w.args("region", "holiday"), "--region", "9", "--day", "2099-12-25"]
    )
    assert code == 1 and "region 9 is not registered" in err
    code, _, err = run(
        capsys, [*w.args("region", "holiday"), "--region", "1", "--day", "2000-01-01"]
    )
    assert code == 1 and "HolidayInPast" in err


def test_status__chain_contracts_regions_outbox(
    w: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, [*w.args("status"), "--outbox", str(tmp_path / "none.sqlite")])
    assert code == 0 and f"chain {w.w3.eth.chain_id}" in out and "NO CODE" not in out
    assert out.count(" code") == 15 and "regions: 1" in out and "events: 0, open 0" in out
    assert "outbox" in out and "none" in out
    assert "60-minute interval, UTC-08:00, today " in out  # no zone set: the fixed offset


def test_operator__apply_approve_show_suspend__by_the_utility_council(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """G-1..G-3 from the CLI: a DSO applies from its own account; the UtilityRegistry's two
    verifiers (picked without --account) verify it; one suspends; `show` names what it may do."""
    op = w.accounts[5]
    argv = [*w.args("operator", "apply"), "--name", "Valley DSO", "--kind", "dso",
            "--capabilities", "balancing,load-shed", "--credential", "designation 12",
            "--regions", "1", "--account", "5"]  # fmt: skip
    code, out, _ = run(capsys, argv)
    assert code == 0 and "DistributionSystemOperator" in out and "balancing, load-shed" in out
    code, out, _ = run(capsys, w.args("operator", "approve", op))
    assert code == 0 and "(1 of 2 approvals)" in out and w.accounts[1] in out
    code, out, _ = run(capsys, w.args("operator", "approve", op))
    assert code == 0 and "(2 of 2 approvals)" in out and "the operator is Active" in out
    assert w.p.operators.functions.isActiveOperator(op, 1, 2 | 4).call()
    code, out, _ = run(capsys, w.args("operator", "show", op))
    assert code == 0 and "'Valley DSO', DistributionSystemOperator" in out
    assert "capabilities  balancing, load-shed" in out
    code, out, _ = run(capsys, [*w.args("operator", "suspend", op), "--reason", "audit"])
    assert code == 0 and "suspended operator" in out
    assert not w.p.operators.functions.isActiveOperator(op, 1, 2).call()


def test_operator__non_member_or_bad_input__one_line(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """G-2: a non-member's approval is refused by name before anything is sent; a capability
    that does not exist is one argparse line; an address that never applied is one line."""
    op = w.accounts[5]
    code, _, err = run(capsys, [*w.args("operator", "approve", op), "--account", "3"])
    assert (
        code == 1 and err.count("\n") == 1 and f"NotCouncilMember({w.accounts[3].lower()})" in err
    )
    code, _, err = run(capsys, [*w.args("operator", "apply"), "--name", "X", "--kind", "tso",
                                "--capabilities", "state,teleport", "--credential", "c",
                                "--regions", "1", "--account", "5"])  # fmt: skip
    assert code == 2 and err.count("\n") == 1 and "'teleport' is not a capability" in err
    code, _, err = run(capsys, w.args("operator", "show", op))
    assert code == 1 and err.strip().endswith(f"{op} has not applied as a grid operator")
