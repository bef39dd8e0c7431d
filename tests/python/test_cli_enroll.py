"""`gridbalance enroll` in-process against one deployed world (tests/python/cli_world.py), reverted to
its snapshot after each test (V-1..V-4, V-7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from oracles.protocol.bindings import Enrollment
from oracles.protocol.enums import EnrollmentStatus
from tests.python.cli_world import (
    EVENT_DAY,
    OUTSIDER,
    A,
    B,
    World,
    build_world,
    create_event,
    local_ts,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("cli_enroll")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for w in build_world(tmp_path_factory.mktemp("world")):
        create_event(w)  # event 1: 2027-03-24 17:00-19:00, target 10 kWh
        w.take_snapshot()
        yield w


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def enrollment(w: World, who: int) -> Enrollment:
    reply = w.p.requests.functions.enrollment(1, w.accounts[who]).call()
    return Enrollment.model_validate(reply)


def enroll(w: World, who: int | None, *extra: str) -> list[str]:
    sender = [] if who is None else ["--account", str(who)]
    return [*w.args("enroll", "--event", "1", *extra), *sender]


def test_enroll__own_account__enrolled(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, enroll(w, None, "--commit-kwh", "2"))
    assert code == 1 and one_line(err) and "pass --account" in err
    code, out, _ = run(capsys, enroll(w, A, "--commit-kwh", "2.5"))
    assert code == 0 and f"Consumer {w.accounts[A]} enrolled in event 1, committing 2.5 kWh" in out
    assert "mUSD reserved for its reward" in out
    en = enrollment(w, A)
    assert en.status == EnrollmentStatus.Enrolled and en.committed_wh == 2_500
    code, _, err = run(capsys, enroll(w, A, "--commit-kwh", "1"))
    assert code == 1 and one_line(err) and "already Enrolled in event 1" in err


def test_enroll__not_a_consumer__refused_with_the_reason(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, enroll(w, OUTSIDER, "--commit-kwh", "1"))
    assert code == 1 and one_line(err) and "cannot enroll in event 1: not active" in err
    w.client(B).transact(w.p.consumers.functions.setPaused(True), "pause")
    code, _, err = run(capsys, enroll(w, B, "--commit-kwh", "1"))
    assert code == 1 and one_line(err) and "cannot enroll in event 1: paused" in err
    assert enrollment(w, B).status == EnrollmentStatus.None_


def test_enroll__more_than_allowed__one_line(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    # 5,000 W over 2 hours is 10 kWh, the program's share of the 10 kWh target too
    code, _, err = run(capsys, enroll(w, A, "--commit-kwh", "10.001"))
    assert code == 1 and one_line(err) and "more than" in err and "may commit: 10 kWh" in err
    assert run(capsys, enroll(w, A, "--commit-kwh", "10"))[0] == 0


def test_enroll__dry_run__nothing_sent(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    a = Web3.to_checksum_address(w.accounts[A])
    nonce = w.w3.eth.get_transaction_count(a)
    code, out, _ = run(capsys, enroll(w, A, "--commit-kwh", "2", "--dry-run"))
    assert code == 0 and "nothing sent" in out and "enroll(eventId=1, committedWh=2000)" in out
    assert w.w3.eth.get_transaction_count(a) == nonce
    assert enrollment(w, A).status == EnrollmentStatus.None_


def test_opt_out__before_the_gate__and_closed_after(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, enroll(w, A, "--opt-out"))
    assert code == 1 and one_line(err) and "is not enrolled in event 1" in err
    assert run(capsys, enroll(w, A, "--commit-kwh", "2"))[0] == 0
    code, out, _ = run(capsys, enroll(w, A, "--opt-out"))
    assert code == 0 and "left event 1" in out
    assert enrollment(w, A).status == EnrollmentStatus.None_
    w.warp(local_ts(EVENT_DAY, 5, 30))  # past the gate (05:00)
    code, _, err = run(capsys, enroll(w, B, "--commit-kwh", "1"))
    assert code == 1 and one_line(err)
    assert "enrollment closed at 2027-03-24 06:00 PDT" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["enroll", "--event", "1"], "one of the arguments --commit-kwh --opt-out is required"),
        (["enroll", "--event", "1", "--commit-kwh", "-1"], "out of range"),
        (["enroll", "--event", "1", "--commit-kwh", "lots"], "not an energy in kWh"),
        (["enroll", "--event", "0", "--commit-kwh", "1"], "out of range"),
        (["enroll", "--commit-kwh", "1"], "--event"),
    ],
)
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err


def test_unknown_event__one_line(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys, [*w.args("enroll", "--event", "5", "--commit-kwh", "1"), "--account", str(A)]
    )
    assert code == 1 and one_line(err) and "event 5 does not exist (1 events" in err
