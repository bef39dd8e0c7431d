"""`gridbalance grid ...`, `gridbalance action ...` and `gridbalance response ...` in-process against
one deployed world (tests/python/cli_world.py), reverted after each test (G-5..G-16)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from oracles.protocol.bindings import Action, RegionGrid
from oracles.protocol.enums import ActionStatus, SystemState
from tests.python.cli_world import ADMIN, ORACLE, OUTSIDER, World, build_world, one_line, run

pytestmark = pytest.mark.xdist_group("cli_grid")

NOMINAL = 60_000
HEADER = "time,load_kw,reserve_kw,frequency_mhz,voltage_permille,phase_centideg\n"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    for w in build_world(tmp_path_factory.mktemp("world")):
        p = w.p
        admin = w.client(ADMIN)
        admin.transact(p.stability.functions.grantRole(p.stability.functions.GRID_ORACLE_ROLE().call(),
                                                       w.accounts[ORACLE]), "grant")  # fmt: skip
        op = w.client(OUTSIDER)
        op.transact(
            p.operators.functions.applyAsOperator("Valley TSO", 0, 15, b"\x0b" * 32, [1]), "apply"
        )
        w.client(1).transact(p.operators.functions.approve(w.accounts[OUTSIDER], 0), "approve")
        w.take_snapshot()
        yield w


@pytest.fixture
def w(world: World) -> Iterator[World]:
    yield world
    world.revert()


def iso(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).isoformat()


def csv_file(tmp_path: Path, w: World, frequencies: list[int], name: str = "m.csv") -> Path:
    """One measurement a minute ending a minute before the chain's clock."""
    t0 = w.now() - 60 * (len(frequencies) + 1)
    rows = [f"{iso(t0 + 60 * i)},4000,500,{f},1000,-120\n" for i, f in enumerate(frequencies)]
    path = tmp_path / name
    path.write_text(HEADER + "".join(rows))
    return path


def grid(w: World) -> RegionGrid:
    return RegionGrid.model_validate(w.p.stability.functions.regionGrid(1).call())


def test_grid_post_and_status__the_oracle_posts_the_state_follows(
    w: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """G-7..G-9 from the CLI: the grid oracle (found among the node accounts) posts a CSV; the
    state goes Alert and a shedding stage is logged; status shows bands, state and the latest."""
    path = csv_file(tmp_path, w, [NOMINAL, NOMINAL - 800, NOMINAL - 1_600])
    code, out, _ = run(capsys, w.args("grid", "post", "--region", "1", "--file", str(path)))
    assert code == 0 and "Posted 3 measurements for region 1 in 1 transaction" in out
    assert (
        "Normal -> Alert" in out
        and "Alert -> Emergency" in out
        and "shedding stage 1 reached" in out
    )
    g = grid(w)
    assert g.state == SystemState.Emergency and g.stage == 1
    code, out, _ = run(capsys, w.args("grid", "status", "--region", "1"))
    assert code == 0 and "area 4 'GridBalance seed', 60 Hz" in out
    assert "normal ±500 mHz, alert ±1000 mHz" in out and "state         Emergency" in out
    assert "58.400 Hz" in out and "phase -1.2°" in out and "exit          0 of 1 council" in out


def test_grid_post__nothing_new_or_bad_file__one_line(
    w: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = csv_file(tmp_path, w, [NOMINAL])
    assert run(capsys, w.args("grid", "post", "--region", "1", "--file", str(path)))[0] == 0
    code, _, err = run(capsys, w.args("grid", "post", "--region", "1", "--file", str(path)))
    assert code == 1 and one_line(err) and "at or before the region's latest" in err
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "2027-03-01T10:00:00,1,1,60000,1000,0\n")
    code, _, err = run(capsys, w.args("grid", "post", "--region", "1", "--file", str(bad)))
    assert code == 1 and one_line(err) and f"{bad}:2: time:" in err
    bad.write_text("time,load_kw\n")
    code, _, err = run(capsys, w.args("grid", "post", "--region", "1", "--file", str(bad)))
    assert code == 1 and one_line(err) and "missing column(s) reserve_kw" in err
    code, _, err = run(capsys, w.args("grid", "post", "--region", "9", "--file", str(path)))
    assert code == 1 and one_line(err) and "region 9 does not exist" in err
    code, _, err = run(
        capsys, w.args("grid", "post", "--region", "1", "--file", str(tmp_path / "none.csv"))
    )
    assert code == 1 and one_line(err) and "none.csv: no such file" in err


def test_grid_declare_and_approve_exit__operator_then_council(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """G-10, G-11: the operator declares (its own account); the council's one member ends it."""
    argv = [*w.args("grid", "declare", "--region", "1", "--reason", "storm front"),
            "--rate-cap-bps", "12000", "--account", str(OUTSIDER)]  # fmt: skip
    code, out, _ = run(capsys, argv)
    assert code == 0 and "declared an emergency in region 1" in out and "12000 bps" in out
    assert grid(w).declared and grid(w).rate_cap_bps == 12_000
    code, out, _ = run(capsys, w.args("grid", "approve-exit", "--region", "1"))
    assert code == 0 and "(1 of 1 approvals)" in out and "the state is Normal" in out
    assert grid(w).state == SystemState.Normal


def test_grid_declare__not_an_operator__one_line(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [*w.args("grid", "declare", "--region", "1", "--reason", "x"), "--account", str(ADMIN)]
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err) and "NotStateOperator" in err
    code, _, err = run(capsys, w.args("grid", "approve-exit", "--region", "1"))
    assert code == 1 and one_line(err) and "NotInEmergency" in err


def action(w: World, action_id: int) -> Action:
    return Action.model_validate(w.p.balancing.functions.action(action_id).call())


def test_action__propose_instruct_complete_report_show(
    w: World, capsys: pytest.CaptureFixture[str]
) -> None:
    """G-13, G-15: a load shed from the CLI, each step by the action's operator (found from the
    action for every step but the proposal); show names the report."""
    start, end = iso(w.now() - 60), iso(w.now() + 3_600)
    argv = [*w.args("action", "propose", "--region", "1", "--kind", "shed", "--target-kw", "800",
                    "--share-bps", "500", "--stage", "1", "--start", start, "--end", end),
            "--account", str(OUTSIDER)]  # fmt: skip
    code, out, _ = run(capsys, argv)
    assert code == 0 and "proposed action 1: LoadShed of 800 kW" in out
    code, out, _ = run(capsys, w.args("action", "instruct", "1"))
    assert code == 0 and "number 1 in region 1" in out
    code, out, _ = run(capsys, [*w.args("action", "complete", "1"), "--delivered-kw", "750"])
    assert code == 0 and "750 kW delivered; its report is due by" in out
    code, out, _ = run(capsys, w.args("action", "show", "1"))
    assert code == 0 and "stage 1, 5 % of load" in out and "report     owed" in out
    code, out, _ = run(capsys, [*w.args("action", "report", "1"), "--report", "shed report 1"])
    assert code == 0 and "report recorded." in out
    a = action(w, 1)
    assert a.status == ActionStatus.Completed and a.delivered_kw == 750 and any(a.report_hash)


def test_action__errors__one_line(w: World, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, w.args("action", "instruct", "9"))
    assert code == 1 and one_line(err) and "no action 9" in err
    start, end = iso(w.now() + 60), iso(w.now() + 3_600)
    argv = [*w.args("action", "propose", "--region", "1", "--kind", "reserve", "--target-kw", "5",
                    "--start", start, "--end", end), "--account", str(ADMIN)]  # fmt: skip
    code, _, err = run(capsys, argv)
    assert code == 1 and one_line(err) and "NotCapableOperator" in err
    argv = [*w.args("action", "propose", "--region", "1", "--kind", "reserve", "--target-kw", "5",
                    "--start", "2027-03-01T10:00", "--end", end), "--account", str(OUTSIDER)]  # fmt: skip
    code, _, err = run(capsys, argv)
    assert code == 2 and one_line(err) and "has no UTC offset" in err
    argv[argv.index("--start") + 1] = start
    assert run(capsys, argv)[0] == 0
    code, _, err = run(capsys, [*w.args("action", "instruct", "1"), "--account", str(ADMIN)])
    assert code == 1 and one_line(err) and "the sender must be action 1's operator" in err


def test_response__configure_fires_on_posted_measurements_list_disable(
    w: World, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """G-16 from the CLI: a response on the frequency fires once on a posted CSV; list shows it."""
    argv = [*w.args("response", "configure", "--region", "1", "--metric", "frequency-below",
                    "--threshold", "59500", "--kind", "reserve", "--target-kw", "2000"),
            "--account", str(OUTSIDER)]  # fmt: skip
    code, out, _ = run(capsys, argv)
    assert code == 0 and "Automated response 1: frequency-below 59,500 mHz" in out
    path = csv_file(tmp_path, w, [NOMINAL, 59_400, 59_300])
    assert run(capsys, w.args("grid", "post", "--region", "1", "--file", str(path)))[0] == 0
    a = action(w, 1)
    assert a.status == ActionStatus.Instructed and a.response_id == 1 and a.target_kw == 2_000
    code, out, _ = run(capsys, w.args("response", "list", "--region", "1"))
    assert code == 0 and "fired 1 time," in out
    code, out, _ = run(capsys, w.args("response", "disable", "1"))
    assert code == 0 and "disabled" in out
    code, _, err = run(capsys, w.args("response", "disable", "1"))
    assert code == 1 and one_line(err) and "no active response 1" in err
    code, out, _ = run(capsys, w.args("response", "list", "--region", "1"))
    assert code == 0 and "no active automated responses" in out
