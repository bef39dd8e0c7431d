"""`gridbalance settle` in-process against one deployed world (tests/python/cli_world.py): event 1 with
consumers A (event-day data, a full reduction) and B (no event-day record) enrolled, its meter data
posted; reverted to that snapshot after each test (S-1..S-8, S-11, M-9)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from oracles.protocol.bindings import Enrollment
from oracles.protocol.enums import EnrollmentStatus
from oracles.reference import baseline as ref
from tests.python.cli_world import (
    EVENT_DAY,
    OUTSIDER,
    REGION,
    A,
    B,
    World,
    build_world,
    day_number,
    enrolled_world,
    final_ts,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("cli_settle")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for w in build_world(tmp_path_factory.mktemp("world")):
        enrolled_world(w)
        w.take_snapshot()
        yield w


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def enrollment(w: World, who: int) -> Enrollment:
    reply = w.p.requests.functions.enrollment(1, w.accounts[who]).call()
    return Enrollment.model_validate(reply)


def expected_reward(w: World) -> int:
    """A's reward by the reference: 2 kWh reduced of 2 kWh committed at the event's rate."""
    e, prog = w.p.dr_event(1), w.p.program(1)
    return ref.reward(2_000, 2_000, e.rate, prog.min_delivery_bps, prog.bonus_cap_bps)


def test_settle__before_the_day_is_final__one_line(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, w.args("settle", "--event", "1"))
    assert code == 1 and one_line(err)
    assert "day 2027-03-24 is final from 2027-03-27 01:00 PDT (M-9): settle after it" in err


def test_settle__dry_run__finalize_first_nothing_sent(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    sender = Web3.to_checksum_address(w.accounts[0])
    nonce = w.w3.eth.get_transaction_count(sender)
    code, out, _ = run(capsys, [*w.args("settle", "--event", "1"), "--dry-run"])
    assert code == 0 and "dry run: 1 transaction" in out and "nothing sent" in out
    assert "must be made final first; the settlements are planned once it is" in out
    assert f"finalize(regionId={REGION}, day={day_number(EVENT_DAY)})" in out
    assert w.w3.eth.get_transaction_count(sender) == nonce
    assert not w.p.meter.functions.isFinal(REGION, day_number(EVENT_DAY)).call()


def test_settle__dry_run_on_a_final_day__each_settlement_estimated(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    w.client(0).transact(w.p.meter.functions.finalize(REGION, day_number(EVENT_DAY)), "finalize")
    code, out, _ = run(capsys, [*w.args("settle", "--event", "1"), "--dry-run"])
    assert code == 0 and "dry run: 2 transactions" in out
    assert "settle(1, consumer 1)" in out and "settle(1, consumer 2)" in out
    assert out.count("ETH at the current fee") == 2
    assert enrollment(w, A).status == EnrollmentStatus.Enrolled


def test_settle__one_consumer__paid_as_the_reference_says(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    code, out, _ = run(capsys, w.args("settle", "--event", "1", "--consumer", w.accounts[A]))
    reward = expected_reward(w)
    assert reward > 0
    assert code == 0 and "settled 1 enrollment, 1 with sufficient data" in out
    assert "every result matches the reference" in out
    assert "reduction 2 kWh of 2 kWh committed, day-of adjustment x1, 10 baseline days" in out
    assert "(region 1 day 2027-03-24 made final first, M-9)" in out
    en = enrollment(w, A)
    assert en.status == EnrollmentStatus.Settled and en.paid == reward
    assert enrollment(w, B).status == EnrollmentStatus.Enrolled


def test_settle__every_enrollment__insufficient_data_paid_nothing(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    code, out, _ = run(capsys, [*w.args("settle", "--event", "1"), "--account", str(OUTSIDER)])
    assert code == 0 and "settled 2 enrollments, 1 with sufficient data" in out  # anyone may
    assert "consumer 2" in out and "insufficient data, nothing paid" in out
    assert enrollment(w, A).status == EnrollmentStatus.Settled
    assert enrollment(w, B).status == EnrollmentStatus.InsufficientData
    code, _, err = run(capsys, w.args("settle", "--event", "1"))
    assert code == 1 and one_line(err) and "no live enrollment can be settled" in err


def test_settle__batch__one_transaction(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    w.warp(final_ts())
    code, out, _ = run(capsys, w.args("settle", "--event", "1", "--batch", "10"))
    assert code == 0 and "settled 2 enrollments" in out and "settleBatch(1, consumers 1..2)" in out
    assert "every result matches the reference" in out
    assert enrollment(w, A).paid == expected_reward(w)


def test_settle__not_enrolled_or_no_event__one_line(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    w.warp(final_ts())
    argv = w.args("settle", "--event", "1", "--consumer", w.accounts[OUTSIDER])
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err) and "has no live enrollment in event 1" in err
    code, _, err = run(capsys, w.args("settle", "--event", "4"))
    assert code == 1 and one_line(err) and "event 4 does not exist" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["settle"], "--event"),
        (["settle", "--event", "1", "--consumer", "nobody"], "not an address"),
        (["settle", "--event", "1", "--batch", "-2"], "out of range"),
    ],
)
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err
