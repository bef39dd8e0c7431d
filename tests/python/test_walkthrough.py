"""The walkthrough of examples/README.md, run exactly as written (issue 25 item 3), and the example
files it reads, reproduced by examples/generate.py byte for byte.

Every line of the README's ```bash blocks is one `gridbalance` command: it runs in this process
(``main(shlex.split(line)[1:])``, from the project folder, against a local network in a private
folder), must exit 0, and a ```text block after a ```bash block lists lines its last command must
print. Then the figures are checked against the chain: the settlement paid each consumer the reward
it reported, `report` sums them, and `consumer show` prints the balance that rose by it.
"""

from __future__ import annotations

import contextlib
import io
import re
import shlex
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from examples import generate
from oracles.chain.anvil import PROJECT_ROOT
from oracles.chain.rpc import connect
from oracles.cli.main import main
from oracles.ops import localnet as ln
from oracles.protocol.contracts import Protocol
from oracles.protocol.manifest import Manifest

pytestmark = pytest.mark.xdist_group("walkthrough")
README = PROJECT_ROOT / "examples" / "README.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.S | re.M)


@dataclass
class Step:
    command: str
    expect: list[str]  # lines its output must hold (the README's ```text block after it)


def steps(text: str) -> list[Step]:
    """The README's commands, in order, each with the output lines the README shows for it."""
    out: list[Step] = []
    for kind, body in FENCE.findall(text):
        lines = [ln.strip() for ln in body.splitlines() if ln.strip()]
        if kind == "bash":
            out += [Step(line, []) for line in lines if not line.startswith("#")]
        elif kind == "text" and out:
            out[-1].expect += lines
    return out


def gridbalance(command: str) -> tuple[int, str, str]:
    """Run one README line in this process: exit code, stdout, stderr."""
    argv = shlex.split(command)
    assert argv[0] == "gridbalance", f"the walkthrough runs gridbalance only: {command}"
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(argv[1:])
        except SystemExit as exc:  # argparse
            code = int(exc.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_generate__reproduces_the_committed_files_byte_for_byte() -> None:
    written = generate.files()
    assert set(written) == {
        "meters-history.csv", "green-button-1003.xml", "meters-event-day.csv", "weather.csv",
        "load.csv",
    }  # fmt: skip
    for name, text in written.items():
        committed = (PROJECT_ROOT / "examples" / name).read_bytes()
        assert committed == text.encode(), f"examples/{name}: run `python -m examples.generate`"
        assert name in README.read_text(), f"examples/README.md does not describe {name}"


def test_generate__dates_follow_the_localnet_genesis() -> None:
    """The history starts on the first whole local day after genesis, and ends the day before a
    Monday event day that has 10 weekdays before it (10-in-10, S-3)."""
    assert generate.GENESIS == ln.GENESIS
    first = (ln.GENESIS + generate.OFFSET).date()
    assert generate.FIRST_DAY.isoformat() == "2026-06-01" and first < generate.FIRST_DAY
    history = list(generate.days(generate.FIRST_DAY, generate.EVENT_DAY))[:-1]
    assert sum(d.weekday() < 5 for d in history) == 10 and generate.EVENT_DAY.weekday() == 0
    rows = (PROJECT_ROOT / "examples" / "meters-history.csv").read_text().splitlines()
    assert rows[1].split(",")[1] == "2026-06-01T00:00:00-08:00"
    assert rows[-1].split(",")[1] == "2026-06-14T23:00:00-08:00"


def test_readme__only_gridbalance_commands_in_its_bash_blocks() -> None:
    found = steps(README.read_text())
    assert len(found) > 20
    assert all(s.command.startswith("gridbalance ") for s in found)
    assert found[0].command == "gridbalance localnet up"
    assert found[-1].command == "gridbalance verify --event 1 --consumer consumer1"


def _units(text: str, decimals: int) -> int:
    """``1.2 mUSD`` as token base units."""
    return int(Decimal(text.replace(",", "")).scaleb(decimals))


def test_walkthrough__every_command_as_written__a_settled_paid_event(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ln.DIR_ENV, str(tmp_path / "localnet"))
    monkeypatch.chdir(PROJECT_ROOT)  # the README's paths are the project's
    before: dict[str, int] = {}
    outputs: dict[str, str] = {}
    existed = [(PROJECT_ROOT / name).exists() for name in ln.WORK_FILES]
    try:
        for step in steps(README.read_text()):
            if step.command.startswith("gridbalance settle"):
                before = balances(tmp_path / "localnet")
            code, out, err = gridbalance(step.command)
            assert code == 0, f"{step.command}\n{out}{err}"
            for line in step.expect:
                assert line in out, f"{step.command}: README shows {line!r}; it printed\n{out}"
            if step.command.startswith("gridbalance oracle meter"):
                assert " 0 rejects in " in out, out
            outputs[step.command.split(" --")[0]] = out
        after = balances(tmp_path / "localnet")
    finally:
        ln.down(tmp_path / "localnet")  # never leave an Anvil behind
    info = ln.LocalnetInfo.load(ln.LocalnetFiles(tmp_path / "localnet").info)
    assert info is not None and not ln._is_our_anvil(
        info.pid, ln.LocalnetFiles(tmp_path / "localnet").state
    )

    decimals = 6  # MockStablecoin
    settled = outputs["gridbalance settle"]
    assert "settled 3 enrollments, 3 with sufficient data" in settled
    assert "every result matches the reference" in settled
    rewards = {
        m["account"]: _units(m["reward"], decimals)
        for m in re.finditer(
            r"consumer \d+ (?P<account>0x[0-9a-fA-F]{40}): .* reward (?P<reward>[\d.,]+) mUSD",
            settled,
        )
    }
    assert len(rewards) == 3 and all(r > 0 for r in rewards.values())
    for account, reward in rewards.items():  # the balance rose by exactly the reported reward
        assert after[account] - before[account] == reward, account
    total = re.search(r"paid (?P<paid>[\d.,]+) mUSD;", settled)
    assert total is not None and _units(total["paid"], decimals) == sum(rewards.values())
    report = outputs["gridbalance report"]
    assert "settled    3 paid, 0 insufficient data, 0 not yet" in report
    reported = re.search(r"rewards (?P<amount>[\d.,]+) mUSD", report)
    assert reported is not None and _units(reported["amount"], decimals) == sum(rewards.values())
    consumer1 = info.accounts["consumer1"]
    shown = re.search(
        r"balance +(?P<amount>[\d.,]+) mUSD", outputs["gridbalance consumer show consumer1"]
    )
    assert (
        shown is not None
        and _units(shown["amount"], decimals) == after[consumer1] == rewards[consumer1]
    )
    # a stranger's recomputation of consumer1's settlement from chain data alone (issue 25 item 1)
    verified = outputs["gridbalance verify"].strip().splitlines()
    assert (
        verified[-1] == "MATCH: every figure the chain recorded and paid equals the recomputation"
    )
    assert [(PROJECT_ROOT / name).exists() for name in ln.WORK_FILES] == existed  # none left here


def balances(root: Path) -> dict[str, int]:
    """Each consumer's balance of the deployment's token."""
    ep = ln.localnet_rpc(root)
    assert ep is not None
    p = Protocol.connect(connect(ep.url), Manifest.load(ep.manifest))
    assert p.token is not None
    return {
        Web3.to_checksum_address(a): int(p.token.functions.balanceOf(a).call())
        for n, a in ep.info.accounts.items()
        if n.startswith("consumer")
    }
