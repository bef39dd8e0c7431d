"""`gridbalance program ...` in-process against one deployed world (tests/python/cli_world.py),
reverted to its snapshot after each test (P-1, P-2, E-1..E-8)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from web3 import Web3

from oracles.cli.program import SPECIAL, flag
from oracles.protocol.bindings import ProgramAccount, ProgramParams
from oracles.protocol.enums import ProgramType
from oracles.reference.baseline import Method
from tests.python.cli_world import (
    UNIT,
    UTILITY,
    VERIFIER,
    A,
    World,
    build_world,
    one_line,
    run,
)

pytestmark = pytest.mark.xdist_group("cli_program")


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    yield from build_world(tmp_path_factory.mktemp("world"))


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def account(w: World, program: int) -> ProgramAccount:
    return ProgramAccount.model_validate(w.p.escrow.functions.programAccount(program).call())


def create(w: World, *extra: str) -> list[str]:
    return w.args("program", "create", "--region", "1", "--base-rate", "0.25",
                  "--budget", "1000.5", *extra)  # fmt: skip


def test_create__active_utility_by_default__approves_and_escrows(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    assert w.p.token is not None
    utility = w.accounts[UTILITY]
    before = int(w.p.token.functions.balanceOf(utility).call())
    code, out, _ = run(capsys, create(w, "--gate-lead-hours", "24", "--method", "high_five_of_ten"))
    assert code == 0 and "Program 2 created" in out and "0.25 mUSD per kWh" in out
    assert "budget 1,000.5 mUSD escrowed" in out and "24 h before" in out
    assert "approve the escrow to pull 1,000.5 mUSD" in out  # the approve, then the create
    prog = w.p.program(2)
    assert prog.utility == utility and prog.base_rate == UNIT // 4 and prog.gate_lead_hours == 24
    assert prog.method == Method.HIGH_FIVE_OF_TEN and prog.max_share_bps == 10_000  # a default
    assert account(w, 2).deposited == 1_000_500_000
    assert int(w.p.token.functions.balanceOf(utility).call()) == before - 1_000_500_000


def test_create__not_an_active_utility__refused_by_name(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, [*create(w), "--account", str(VERIFIER)])
    assert code == 1 and one_line(err)
    assert "an active utility of region 1 (UtilityRegistry)" in err and w.accounts[VERIFIER] in err
    assert int(w.p.programs.functions.programCount().call()) == 1


def test_create__dry_run__approve_then_create_after_it(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    utility = Web3.to_checksum_address(w.accounts[UTILITY])
    nonce = w.w3.eth.get_transaction_count(utility)
    code, out, _ = run(capsys, [*create(w), "--dry-run"])
    assert code == 0 and "dry run: 2 transactions" in out and "nothing sent" in out
    assert "approve(spender=" in out and "createProgram(regionId=1" in out
    assert "estimated once the transactions before it are mined" in out
    assert w.w3.eth.get_transaction_count(utility) == nonce


def test_create__terms_checked__one_line(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, create(w, "--gate-lead-hours", "300"))  # a uint8
    assert code == 1 and one_line(err) and "--gate-lead-hours 300 is out of range 0..255" in err
    code, _, err = run(capsys, create(w, "--gate-lead-hours", "2"))  # under window + gap
    assert code == 1 and one_line(err) and "InvalidGateLead" in err
    code, _, err = run(capsys, [*w.args("program", "create", "--region", "1", "--base-rate",
                                        "0.0000001", "--budget", "1")])  # fmt: skip
    assert code == 1 and one_line(err) and "--base-rate 0.0000001: mUSD has only 6 decimals" in err
    code, _, err = run(capsys, create(w, "--budget", "2000000"))  # more than the utility holds
    assert code == 1 and one_line(err) and "ERC20InsufficientBalance" in err


def test_every_program_param__has_a_flag(capsys: pytest.CaptureFixture[str]) -> None:
    """A field added to ProgramParams is a flag of `program create` without another edit."""
    code, out, _ = run(capsys, ["program", "create", "--help"])
    assert code == 0
    for name in ProgramParams.model_fields:
        if name not in SPECIAL:
            assert flag(name) in out


def test_deposit_and_withdraw__utility_only(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, w.args("program", "deposit", "1", "--amount", "250.75"))
    assert code == 0 and "Deposited 250.75 mUSD to program 1: 10,250.75 mUSD available" in out
    assert account(w, 1).deposited == 10_250_750_000
    code, _, err = run(
        capsys, [*w.args("program", "deposit", "1", "--amount", "1"), "--account", str(A)]
    )
    assert code == 1 and one_line(err) and "the program's utility" in err
    code, _, err = run(
        capsys, [*w.args("program", "withdraw", "1", "--amount", "5"), "--account", str(A)]
    )
    assert code == 1 and one_line(err) and "the program's utility" in err
    to = w.accounts[8]
    code, out, _ = run(capsys, w.args("program", "withdraw", "1", "--amount", "10.5", "--to", to))
    assert code == 0 and "Withdrew 10.5 mUSD of program 1" in out and to in out
    assert w.p.token is not None and int(w.p.token.functions.balanceOf(to).call()) == 10_500_000
    code, _, err = run(capsys, w.args("program", "withdraw", "1", "--amount", "999999"))
    assert code == 1 and one_line(err) and "InsufficientBudget" in err


def test_withdraw__dry_run__nothing_sent(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, [*w.args("program", "withdraw", "1", "--amount", "1"), "--dry-run"])
    assert code == 0 and "nothing sent" in out and "withdrawUnreserved(programId=1" in out
    assert account(w, 1).withdrawn == 0


def test_show__terms_and_budget(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, w.args("program", "show", "1"))
    assert code == 0 and "program 1: utility" in out and w.accounts[UTILITY] in out
    assert "0.5 mUSD per kWh (economic x1.5, emergency x2)" in out
    assert "TEN_IN_TEN" in out and "10,000 mUSD deposited" in out and "10,000 mUSD available" in out
    code, _, err = run(capsys, w.args("program", "show", "7"))
    assert code == 1 and one_line(err) and "program 7 does not exist (1 programs" in err


def test_create_and_show__load_shifting_program(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """P-7, L-1: the type and its rebound terms are flags like every other term; show names them."""
    code, out, _ = run(capsys, create(w, "--program-type", "load_shifting", "--adj-window-hours", "0",
                                      "--shift-hours", "3", "--shift-before", "--neutrality-bps", "1500"))  # fmt: skip
    assert code == 0 and "Program 2 created" in out
    kind = w.p.program_kind(2)
    assert (kind.program_type, kind.shift_hours, kind.shift_before, kind.neutrality_bps) == (
        ProgramType.LoadShifting,
        3,
        True,
        1_500,
    )
    code, out, _ = run(capsys, w.args("program", "show", "2"))
    assert code == 0 and "load shifting: the rebound in the 3 h before the event" in out
    assert "neutral within 15 %" in out
    code, out, _ = run(capsys, w.args("program", "show", "1"))
    assert code == 0 and "peak shaving" in out


def test_create__load_shifting_terms_checked__one_line(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, create(w, "--program-type", "load_shifting", "--shift-hours", "3"))
    assert code == 1 and one_line(err) and "InvalidLoadShift" in err  # the default 3 h adjustment
    code, _, err = run(capsys, create(w, "--shift-hours", "3"))
    assert code == 1 and one_line(err) and "InvalidProgramKind" in err
    assert int(w.p.programs.functions.programCount().call()) == 1


@pytest.mark.parametrize(
    "argv, message",
    [
        (["program", "create", "--region", "1", "--base-rate", "-1", "--budget", "1"],
         "not a non-negative amount"),
        (["program", "create", "--region", "1", "--base-rate", "abc", "--budget", "1"],
         "is not an amount"),
        (["program", "create", "--region", "1", "--base-rate", "1", "--budget", "1",
          "--method", "median"], "invalid choice"),
        (["program", "deposit", "0", "--amount", "1"], "out of range"),
        (["program", "withdraw", "1", "--amount", "1", "--to", "0x1"], "not an address"),
    ],
)  # fmt: skip
def test_bad_arguments__one_line(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, argv)
    assert code == 2 and err.count("\n") == 1 and message in err
