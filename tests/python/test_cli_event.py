"""`gridbalance event ...` in-process against one deployed world (tests/python/cli_world.py),
reverted to its snapshot after each test (P-3..P-6, R-7)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from oracles.protocol.enums import EventStatus, Tier
from tests.python.cli_world import (
    EVENT_DAY,
    UTILITY,
    A,
    World,
    build_world,
    create_event,
    day_number,
    local_ts,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("cli_event")
DAY = EVENT_DAY.isoformat()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def create(w: World, *extra: str, start: str = "17:00", end: str = "19:00") -> list[str]:
    return w.args("event", "create", "--program", "1", "--day", DAY, "--start", start,
                  "--end", end, "--target-kwh", "12.5", *extra)  # fmt: skip


def program_in_quarter_region(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    argv = w.args("program", "create", "--region", "2", "--base-rate", "1", "--budget", "100")
    assert run(capsys, argv)[0] == 0  # program 2, in the 15-minute region


def test_create__programs_utility_by_default__scheduled(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, create(w, "--tier", "economic"))
    # region 1's zone is America/Los_Angeles (R-8): 17:00 standard is 18:00 PDT on 24 March
    assert (
        code == 0
        and f"Event 1 created: program 1, region 1, {DAY} 18:00-20:00 PDT (17:00-19:00 standard)"
        in out
    )
    assert "Economic, 0.75 mUSD per kWh, target 12.5 kWh" in out  # 0.5 x 1.5
    assert "enrollment closes 2027-03-24 06:00 PDT" in out  # 12 h before the start
    e = w.p.dr_event(1)
    assert (e.day, e.start_interval, e.end_interval) == (day_number(EVENT_DAY), 17, 19)
    assert e.tier == Tier.Economic and e.target_wh == 12_500 and e.status == EventStatus.Scheduled


def test_create__not_the_programs_utility__refused(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, [*create(w), "--account", str(A)])
    assert code == 1 and one_line(err) and "the program's utility" in err
    assert w.accounts[UTILITY] in err
    assert int(w.p.requests.functions.eventCount().call()) == 0


def test_create__dry_run__nothing_sent(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    utility = Web3.to_checksum_address(w.accounts[UTILITY])
    nonce = w.w3.eth.get_transaction_count(utility)
    code, out, _ = run(capsys, [*create(w), "--dry-run"])
    assert code == 0 and "nothing sent" in out
    assert f"createEvent(programId=1, day={day_number(EVENT_DAY)}, startInterval=17" in out
    assert w.w3.eth.get_transaction_count(utility) == nonce


def test_create__quarter_hour_region__intervals_and_boundaries(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    program_in_quarter_region(w, capsys)
    argv = w.args("event", "create", "--program", "2", "--day", DAY, "--start", "17:15",
                  "--end", "18:45", "--target-kwh", "3")  # fmt: skip
    code, out, _ = run(capsys, argv)
    assert code == 0 and f"{DAY} 17:15-18:45 UTC-08:00," in out  # region 2 has no zone
    e = w.p.dr_event(1)
    assert (e.start_interval, e.end_interval) == (69, 75)
    argv[argv.index("17:15")] = "17:10"
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err)
    assert "'17:10' is not on a 15-minute interval boundary" in err


def test_create__local__zone_clock_placed_in_the_standard_day(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """R-8: with --local, 18:00-20:00 on 24 March is the zone's clock (PDT): hours 17..19 of the
    standard-time day; 00:00-01:00 PDT is the day before's 23:00-24:00."""
    code, out, _ = run(capsys, [*create(w, start="18:00", end="20:00"), "--local"])
    assert code == 0 and f"{DAY} 18:00-20:00 PDT (17:00-19:00 standard)" in out
    e = w.p.dr_event(1)
    assert (e.day, e.start_interval, e.end_interval) == (day_number(EVENT_DAY), 17, 19)
    code, out, _ = run(capsys, [*create(w, start="00:00", end="01:00"), "--local"])
    assert code == 0 and f"{DAY} 00:00-01:00 PDT (23:00-24:00 standard on 2027-03-23)" in out
    e = w.p.dr_event(2)
    assert (e.day, e.start_interval, e.end_interval) == (day_number(EVENT_DAY) - 1, 23, 24)
    code, _, err = run(capsys, [*create(w, start="00:00", end="02:00"), "--local"])
    assert (
        code == 1 and one_line(err) and "crosses the end of the region's standard-time day" in err
    )
    assert int(w.p.requests.functions.eventCount().call()) == 2
    program_in_quarter_region(w, capsys)  # region 2 has no zone
    argv = [*w.args("event", "create", "--program", "2", "--day", DAY, "--start", "17:15",
                    "--end", "18:45", "--target-kwh", "3"), "--local"]  # fmt: skip
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err) and "--local: the region has no time zone" in err


def test_create__off_boundary_or_reversed_or_past__one_line(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, create(w, start="17:30"))  # an hourly region
    assert code == 1 and one_line(err) and "not on a 60-minute interval boundary" in err
    code, _, err = run(capsys, create(w, start="19:00", end="17:00"))
    assert code == 1 and one_line(err) and "the end must be after the start" in err
    argv = create(w)
    argv[argv.index(DAY)] = "2027-02-01"
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err) and "InvalidEventStart" in err
    code, _, err = run(capsys, [*create(w)[:3], "9", *create(w)[4:]])
    assert code == 1 and one_line(err) and "program 9 does not exist" in err


def test_cancel__before_gate_withdrawn__and_not_by_others(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    event = create_event(w)
    code, _, err = run(capsys, [*w.args("event", "cancel", str(event)), "--account", str(A)])
    assert code == 1 and one_line(err) and "the program's utility" in err
    code, out, _ = run(capsys, w.args("event", "cancel", str(event)))
    assert code == 0 and f"Event {event} withdrawn before its enrollment gate" in out
    assert w.p.dr_event(event).status == EventStatus.Withdrawn
    code, _, err = run(capsys, w.args("event", "cancel", str(event)))
    assert code == 1 and one_line(err) and "EventNotOpen" in err


def test_cancel__after_gate__cancelled_and_released(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    event = create_event(w)
    w.client(A).transact(w.p.requests.functions.enroll(event, 2_000), "enroll")
    w.warp(local_ts(EVENT_DAY, 6))  # after the gate (05:00), before the start
    code, out, _ = run(capsys, w.args("event", "cancel", str(event), "--dry-run"))
    assert (
        code == 0 and "nothing sent" in out and w.p.dr_event(event).status == EventStatus.Scheduled
    )
    code, out, _ = run(capsys, w.args("event", "cancel", str(event)))
    assert code == 0 and f"Event {event} cancelled;" in out and "went back to program 1" in out
    assert w.p.dr_event(event).status == EventStatus.Cancelled


def test_show_and_list(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, w.args("event", "list"))
    assert code == 0 and out.strip() == "no events"
    first = create_event(w)
    second = create_event(w, d=EVENT_DAY.replace(day=25), start=8, end=10)
    w.client(A).transact(w.p.requests.functions.enroll(first, 2_000), "enroll")
    code, out, _ = run(capsys, w.args("event", "show", str(first)))
    assert (
        code == 0
        and f"event {first}: program 1, region 1, {DAY} 18:00-20:00 PDT (17:00-19:00 standard)"
        in out
    )
    assert "target       10 kWh, committed 2 kWh" in out and "1 enrolled, 0 settled" in out
    assert "enrollment closes 2027-03-24 06:00 PDT" in out
    code, out, _ = run(capsys, w.args("event", "list"))
    assert code == 0 and len(out.splitlines()) == 2
    assert (
        f"event {second}: program 1, region 1, 2027-03-25 09:00-11:00 PDT (08:00-10:00 standard)"
        in out
    )
    code, out, _ = run(capsys, w.args("event", "list", "--region", "2"))
    assert code == 0 and out.strip() == "no events of the 2 match"
    code, _, err = run(capsys, w.args("event", "show", "3"))
    assert code == 1 and one_line(err) and "event 3 does not exist (2 events" in err


@pytest.mark.parametrize(
    "argv, message",
    [
        (["event", "create", "--program", "1", "--day", "2027-03-24", "--start", "25:00",
          "--end", "26:00", "--target-kwh", "1"], "not a time of day"),
        (["event", "create", "--program", "1", "--day", "2027-03-24", "--start", "5pm",
          "--end", "19:00", "--target-kwh", "1"], "not a clock time HH:MM"),
        (["event", "create", "--program", "1", "--day", "24/03/2027", "--start", "17:00",
          "--end", "19:00", "--target-kwh", "1"], "not a date YYYY-MM-DD"),
        (["event", "create", "--program", "1", "--day", "2027-03-24", "--start", "17:00",
          "--end", "19:00", "--target-kwh", "0.0001"], "not a whole number of Wh"),
        (["event", "create", "--program", "1", "--day", "2027-03-24", "--start", "17:00",
          "--end", "19:00", "--target-kwh", "1", "--tier", "urgent"], "invalid choice"),
        (["event", "cancel", "x"], "not a whole number"),
    ],
)  # fmt: skip
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err
