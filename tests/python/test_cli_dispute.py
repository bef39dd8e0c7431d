"""`gridbalance dispute open|uphold|reject` in-process against one deployed world
(tests/python/cli_world.py): event 1 settled by the keeper (A paid, B insufficient data); reverted
to that snapshot after each test (D-1..D-4)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from oracles.agents.keeper import Keeper
from oracles.protocol.bindings import Dispute, Enrollment
from oracles.protocol.enums import DisputeStatus, EnrollmentStatus
from tests.python.cli_world import (
    ARBITER,
    OUTSIDER,
    UNIT,
    A,
    B,
    World,
    build_world,
    enrolled_world,
    final_ts,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("cli_dispute")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for w in build_world(tmp_path_factory.mktemp("world")):
        enrolled_world(w)
        w.warp(final_ts())
        stats = Keeper(w.p, w.client(0)).settle(1)
        assert [o.sufficient for o in stats.outcomes] == [True, False] and stats.mismatches == 0
        w.take_snapshot()
        yield w


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def enrollment(w: World, who: int) -> Enrollment:
    return Enrollment.model_validate(w.p.requests.functions.enrollment(1, w.accounts[who]).call())


def dispute(w: World, who: int) -> Dispute:
    return Dispute.model_validate(w.p.disputes.functions.dispute(1, w.accounts[who]).call())


def open_(w: World, who: int | None, *extra: str) -> list[str]:
    sender = [] if who is None else ["--account", str(who)]
    return [*w.args("dispute", "open", "--event", "1", "--reason", "meter photo", *extra), *sender]


def test_open__own_settled_enrollment__held_for_the_ruling(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, open_(w, None))
    assert code == 1 and one_line(err) and "pass --account" in err
    en = enrollment(w, A)
    assert en.status == EnrollmentStatus.Settled and en.reserved > en.paid
    code, out, _ = run(capsys, open_(w, A))
    held = (en.reserved - en.paid) / UNIT
    assert code == 0 and f"Consumer {w.accounts[A]} disputed its settlement in event 1" in out
    assert f"{held:g} mUSD stays reserved" in out
    assert dispute(w, A).status == DisputeStatus.Open
    code, _, err = run(capsys, open_(w, A))
    assert code == 1 and one_line(err) and "is disputed already (Open)" in err


def test_open__no_settled_enrollment__refused(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, open_(w, OUTSIDER))
    assert code == 1 and one_line(err) and "has no settled enrollment in event 1 (None)" in err
    code, out, _ = run(capsys, open_(w, B))  # insufficient data may be disputed too (D-1)
    assert code == 0 and "disputed its settlement" in out


def test_open__dry_run__nothing_sent(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, open_(w, A, "--dry-run"))
    assert code == 0 and "nothing sent" in out and "openDispute(eventId=1, reasonHash=0x" in out
    assert dispute(w, A).status == DisputeStatus.None_


def test_uphold__arbiter_by_default__adjustment_paid(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(capsys, open_(w, B))[0] == 0
    argv = w.args("dispute", "uphold", "--event", "1", "--consumer", w.accounts[B],
                  "--adjustment", "0.25")  # fmt: skip
    code, _, err = run(capsys, [*argv, "--account", str(OUTSIDER)])
    assert code == 1 and one_line(err) and "Disputes.ARBITER_ROLE" in err
    assert w.accounts[ARBITER] in err
    code, out, _ = run(capsys, [*argv, "--dry-run"])
    assert code == 0 and "nothing sent" in out and dispute(w, B).status == DisputeStatus.Open
    code, out, _ = run(capsys, argv)
    assert (
        code == 0 and f"Arbiter upheld {w.accounts[B]}'s dispute in event 1: 0.25 mUSD paid" in out
    )
    d = dispute(w, B)
    assert d.status == DisputeStatus.Upheld and d.adjustment == UNIT // 4


def test_uphold__too_large__one_line(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, open_(w, A))[0] == 0
    en = enrollment(w, A)
    argv = w.args("dispute", "uphold", "--event", "1", "--consumer", w.accounts[A],
                  "--adjustment", "1000")  # fmt: skip
    code, _, err = run(capsys, argv)
    most = (en.reserved - en.paid) / UNIT
    assert code == 1 and one_line(err) and f"the most that can be paid, {most:g} mUSD" in err


def test_reject__arbiter_only__released(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    argv = w.args("dispute", "reject", "--event", "1", "--consumer", w.accounts[A])
    code, _, err = run(capsys, argv)  # nothing disputed yet
    assert code == 1 and one_line(err) and "has no dispute in event 1, not an open one" in err
    assert run(capsys, open_(w, A))[0] == 0
    code, _, err = run(capsys, [*argv, "--account", str(A)])
    assert code == 1 and one_line(err) and "Disputes.ARBITER_ROLE" in err
    code, out, _ = run(capsys, argv)
    assert code == 0 and "Arbiter rejected" in out and "went back to the program's budget" in out
    assert dispute(w, A).status == DisputeStatus.Rejected
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err) and "has a dispute Rejected" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["dispute", "open", "--event", "1"], "--reason"),
        (["dispute", "open", "--event", "1", "--reason", "0x12"], "needs 64 hex digits"),
        (["dispute", "uphold", "--event", "1", "--consumer", "0x" + "ab" * 20,
          "--adjustment", "-3"], "not a non-negative amount"),
        (["dispute", "reject", "--event", "1"], "--consumer"),
        (["dispute", "appeal"], "invalid choice"),
    ],
)  # fmt: skip
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err
