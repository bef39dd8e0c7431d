"""`gridbalance consumer ...` in-process against one deployed world (tests/python/cli_world.py),
reverted to its snapshot after each test (C-1..C-12)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.protocol.bindings import MeterKey
from oracles.protocol.enums import ConsumerStatus
from tests.python.cli_world import (
    ADMIN,
    OUTSIDER,
    START,
    UTILITY,
    VERIFIER,
    World,
    build_world,
    day_number,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("cli_consumer")
A = "6"  # consumer A's node account index


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def register(w: World, *extra: str) -> list[str]:
    return w.args("consumer", "register", "--region", "1", "--meter-id", "meter-X",
                  "--capacity-w", "3000", *extra)  # fmt: skip


def test_register__own_account__registered(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, register(w))  # no sender named: the consumer must be
    assert code == 1 and one_line(err) and "pass --account" in err
    code, out, _ = run(capsys, [*register(w, "--consent", "data,keeper", "--hours", "8-20"),
                                "--account", str(OUTSIDER)])  # fmt: skip
    outsider = w.accounts[OUTSIDER]
    assert code == 0 and f"{outsider} (node account 8) registered as a residential" in out
    assert "consent data,keeper" in out
    c = w.p.consumer(outsider)
    assert c.status == ConsumerStatus.Registered and c.capacity_w == 3_000 and c.consent == 3
    assert c.meter_id_hash == keccak(text="meter-X")
    assert c.available_hours == sum(1 << h for h in range(8, 21))
    code, _, err = run(capsys, [*register(w), "--account", str(OUTSIDER)])
    assert code == 1 and one_line(err) and "AlreadyRegistered" in err


def test_register__dry_run__nothing_sent(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    outsider = Web3.to_checksum_address(w.accounts[OUTSIDER])
    nonce = w.w3.eth.get_transaction_count(outsider)
    code, out, _ = run(capsys, [*register(w), "--account", str(OUTSIDER), "--dry-run"])
    assert code == 0 and "nothing sent" in out and "gas" in out and "register(class=0" in out
    assert w.w3.eth.get_transaction_count(outsider) == nonce
    assert w.p.consumer(outsider).status == ConsumerStatus.None_


def test_activate__attester_by_default__active(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    outsider = w.accounts[OUTSIDER]
    assert run(capsys, [*register(w), "--account", str(OUTSIDER)])[0] == 0
    argv = w.args("consumer", "activate", outsider, "--kyc", "kyc file 8",
                  "--meter-attestation", "meter photo 8")  # fmt: skip
    code, _, err = run(capsys, [*argv, "--account", str(VERIFIER)])
    assert code == 1 and one_line(err)
    assert "ConsumerRegistry.KYC_ATTESTER_ROLE" in err and w.accounts[ADMIN] in err
    assert "active utility of region 1" in err
    code, out, _ = run(capsys, [*argv, "--dry-run"])
    assert code == 0 and "nothing sent" in out and f"from {w.accounts[ADMIN]}" in out
    code, out, _ = run(capsys, argv)
    assert code == 0 and f"Consumer {outsider} activated" in out and "consumer id 3" in out
    assert "active from 2027-03-01" in out
    c = w.p.consumer(outsider)
    assert c.status == ConsumerStatus.Active and c.id == 3
    assert c.activation_day == day_number(START)


def test_activate__active_utility_of_the_region__may(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    outsider = w.accounts[OUTSIDER]
    assert run(capsys, [*register(w), "--account", str(OUTSIDER)])[0] == 0
    argv = w.args("consumer", "activate", outsider, "--kyc", "k", "--meter-attestation", "m")
    code, out, _ = run(capsys, [*argv, "--account", str(UTILITY)])
    assert code == 0 and "activated by" in out and w.accounts[UTILITY] in out
    code, _, err = run(capsys, argv)  # active already
    assert code == 1 and one_line(err) and "is Active, not Registered" in err


def test_activate__no_attester_among_the_node_accounts__the_region_utility_sends(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """As on the localnet (no KYC attester configured): without --account an active utility of
    the consumer's region activates it, not an error naming no holder."""
    admin, outsider = w.accounts[ADMIN], w.accounts[OUTSIDER]
    role = keccak(text="KYC_ATTESTER_ROLE")
    w.client(ADMIN).transact(w.p.consumers.functions.revokeRole(role, admin), "revoke")
    assert run(capsys, [*register(w), "--account", str(OUTSIDER)])[0] == 0
    argv = w.args("consumer", "activate", outsider, "--kyc", "k", "--meter-attestation", "m")
    code, out, _ = run(capsys, [*argv, "--dry-run"])
    assert code == 0 and f"from {w.accounts[UTILITY]}" in out
    code, out, _ = run(capsys, argv)
    assert code == 0 and f"activated by {w.accounts[UTILITY]}" in out
    assert w.p.consumer(outsider).status == ConsumerStatus.Active


def test_set_meter_key__authorized_and_not(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    a, key = w.accounts[6], "0x" + "ab" * 20
    argv = w.args("consumer", "set-meter-key", a, "--key", key, "--from-day", "2027-03-05")
    code, _, err = run(capsys, [*argv, "--account", str(OUTSIDER)])
    assert code == 1 and one_line(err) and "KYC_ATTESTER_ROLE" in err
    code, out, _ = run(capsys, argv)
    checksummed = Web3.to_checksum_address(key)
    assert code == 0 and f"Meter key {checksummed} signs" in out and "from 2027-03-05" in out
    mk = MeterKey.model_validate(w.p.consumers.functions.meterKey(a).call())
    assert (mk.key, mk.from_day) == (checksummed, day_number(START) + 4)
    code, out, _ = run(capsys, w.args("consumer", "show", a))
    assert code == 0 and f"meter key    {checksummed} from 2027-03-05" in out
    assert "region       1 (America/Los_Angeles), residential" in out
    assert "(UTC-08:00 standard time)" in out


def test_update__keeps_what_is_not_given(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    a = w.accounts[6]
    argv = w.args("consumer", "update", "--consent", "data", "--max-events", "4")
    code, out, _ = run(capsys, [*argv, "--account", A])
    assert code == 0 and "consent data," in out and "at most 4 events" in out
    c = w.p.consumer(a)
    assert (c.consent, c.max_events_per_30_days, c.capacity_w) == (1, 4, 5_000)
    code, _, err = run(
        capsys, [*w.args("consumer", "update", "--capacity-w", "9000"), "--account", A]
    )
    assert (
        code == 1 and one_line(err) and "CapacityNotAttested" in err
    )  # only an attester raises it
    code, _, err = run(capsys, [*argv, "--account", str(OUTSIDER)])  # not a consumer
    assert code == 1 and one_line(err) and "not registered" in err


def test_pause_resume_deregister(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    a = w.accounts[6]
    code, out, _ = run(capsys, [*w.args("consumer", "pause"), "--account", A])
    assert code == 0 and "paused" in out and w.p.consumer(a).paused
    code, out, _ = run(capsys, w.args("consumer", "show", a))
    assert code == 0 and "Active, paused, id 1" in out
    code, out, _ = run(capsys, [*w.args("consumer", "pause", "--resume"), "--account", A])
    assert code == 0 and "resumed" in out and not w.p.consumer(a).paused
    code, _, err = run(capsys, [*w.args("consumer", "pause"), "--account", str(OUTSIDER)])
    assert code == 1 and one_line(err) and "not registered, not Active" in err
    code, out, _ = run(capsys, [*w.args("consumer", "deregister", "--dry-run"), "--account", A])
    assert code == 0 and "nothing sent" in out and w.p.consumer(a).status == ConsumerStatus.Active
    code, out, _ = run(capsys, [*w.args("consumer", "deregister"), "--account", A])
    assert code == 0 and "token 1 burned" in out
    assert w.p.consumer(a).status == ConsumerStatus.Deregistered


def test_show__registration_and_track_record(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, w.args("consumer", "show", w.accounts[7]))
    assert code == 0 and "Active, id 2" in out and "5,000 W" in out
    assert "consent      data,keeper" in out and "hours all" in out
    assert f"0x{keccak(text='meter-B').hex()}" in out and "active from  2027-03-01" in out
    assert "reliability 50 %" in out
    assert w.p.token is not None
    held = w.p.token.functions.balanceOf(w.accounts[7]).call()
    assert held == 0 and "balance      0 mUSD (the deployment's token)" in out
    w.client(ADMIN).transact(w.p.token.functions.mint(w.accounts[7], 12_345_600), "mint")
    code, out, _ = run(capsys, w.args("consumer", "show", w.accounts[7]))
    assert code == 0 and "balance      12.3456 mUSD (the deployment's token)" in out
    code, _, err = run(capsys, w.args("consumer", "show", w.accounts[OUTSIDER]))
    assert code == 1 and one_line(err) and "has not registered" in err
    code, _, err = run(capsys, w.args("consumer", "show", "consumer1"))  # no localnet here
    assert code == 1 and one_line(err) and "'consumer1' is not an address" in err
    assert "names such as consumer1 are the running `gridbalance localnet`'s" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["consumer", "register", "--region", "1", "--meter-id", "m", "--capacity-w", "0"],
         "out of range"),
        (["consumer", "register", "--region", "1", "--meter-id", "m", "--capacity-w", "1",
          "--consent", "all"], "consent is data, keeper"),
        (["consumer", "register", "--region", "1", "--meter-id", "m", "--capacity-w", "1",
          "--hours", "20-8"], "hours are 0..23"),
        (["consumer", "register", "--region", "1", "--meter-id", "m", "--capacity-w", "1",
          "--class", "village"], "invalid choice"),
        (["consumer", "activate", "0x12", "--kyc", "k", "--meter-attestation", "m"], "not an address"),
        (["consumer", "show", "Consumer 1"], "not an address"),  # neither an address nor a name
        (["consumer", "set-meter-key", "0x" + "ab" * 20, "--key", "0x" + "cd" * 20,
          "--from-day", "2027-02-30"], "not a date"),
    ],
)  # fmt: skip
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_register__unknown_region__one_line(
    w: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = w.args("consumer", "register", "--region", "9", "--meter-id", "m", "--capacity-w", "1")
    code, _, err = run(capsys, [*argv, "--account", str(OUTSIDER)])
    assert code == 1 and one_line(err) and "region 9 is not registered" in err
