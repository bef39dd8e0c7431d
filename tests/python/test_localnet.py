"""The persistent local network (`gridbalance localnet`, issue 25 item 2; oracles/ops/localnet.py).

One network in a private folder serves the tests of this module, in order (up, warp, down, up
again, the resolver, the CLI, reset); every Anvil they start is stopped at the end.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from web3 import Web3

from oracles.chain.anvil import PROJECT_ROOT, rpc_call
from oracles.chain.rpc import connect
from oracles.ops import localnet as ln
from oracles.ops.verify import ROLE_GRANTED
from oracles.protocol.manifest import ACCESS_CONTROLLED, Manifest

pytestmark = pytest.mark.xdist_group("localnet")
GB = [sys.executable, "-m", "oracles.cli.main"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("localnet")
    yield folder
    info = ln.LocalnetInfo.load(ln.LocalnetFiles(folder).info)
    ln.down(folder)
    if info is not None:  # never leave an Anvil behind, even after a failed test
        assert not ln._is_our_anvil(info.pid, ln.LocalnetFiles(folder).state)


@pytest.fixture(scope="module")
def started(root: Path) -> ln.Started:
    return ln.up(root, log=lambda line: None)


def gb(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ln.DIR_ENV: str(root)}
    return subprocess.run([*GB, *args], cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def one_line_error(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 1, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr  # no traceback
    return lines[0]


def test_up__fresh__deployed_at_genesis_with_a_verified_utility(started: ln.Started) -> None:
    assert started.how == "started"
    w3 = connect(started.endpoint.url)
    genesis = w3.eth.get_block(0)
    assert (
        genesis["timestamp"]
        == ln.GENESIS_TIMESTAMP
        == int(datetime(2026, 6, 1, tzinfo=UTC).timestamp())
    )
    # one block per transaction, each one second after the one before: the clock is the block count
    assert started.block == started.transactions
    assert started.timestamp == ln.GENESIS_TIMESTAMP + started.block * ln.BLOCK_SECONDS
    manifest = Manifest.load(started.endpoint.manifest)
    assert manifest.chain_id == ln.CHAIN_ID and manifest.tokens  # the test stablecoin
    for record in manifest.contracts.values():
        assert w3.eth.get_code(Web3.to_checksum_address(record.address))
    names = started.endpoint.info.accounts
    from oracles.protocol.contracts import Protocol

    p = Protocol.connect(w3, manifest)
    assert p.utilities.functions.isActiveUtility(names["utility"], 1).call()
    assert p.regions.functions.regionExists(1).call()
    # the utility minted itself test stablecoins to fund programs (examples/README.md)
    assert p.token is not None
    decimals = int(p.token.functions.decimals().call())
    assert p.token.functions.balanceOf(names["utility"]).call() == ln.UTILITY_MINT * 10**decimals
    assert len(w3.eth.accounts) == ln.ACCOUNTS == 13
    docs = " ".join((PROJECT_ROOT / "docs" / "localnet.md").read_text().split())
    assert (
        f"{ln.fmt_time(started.timestamp)} after a fresh `up`, {started.transactions} transactions"
        in docs
    )
    # deploy/development.json's zone: set once by deploy, the days stay UTC-08:00
    assert p.regions.functions.timeZone(1).call() == "America/Los_Angeles"
    assert p.region_clock(1).timestamp_text(started.timestamp) == "2026-05-31 17:00 PDT"


def test_role_table__every_role_on_chain_by_name(started: ln.Started) -> None:
    w3 = connect(started.endpoint.url)
    manifest = Manifest.load(started.endpoint.manifest)
    rows = {r.name: r for r in ln.role_table(w3, manifest, started.endpoint.info.accounts)}
    assert [rows[n].index for n in ("admin", "verifier1", "keeper", "utility")] == [0, 1, 6, 9]
    assert [rows[f"consumer{n}"].index for n in (1, 2, 3)] == list(ln.WALKTHROUGH_ACCOUNTS)
    assert all(rows[f"consumer{n}"].roles == [] for n in (1, 2, 3))  # no role: plain consumers
    assert {r.address for r in rows.values()} == {str(a) for a in w3.eth.accounts}
    # the manifest's role table (checked against the chain by verify), read the other way round
    for row in rows.values():
        want = sorted(
            key for key, holders in manifest.roles.items()
            if row.address in holders and not key.endswith(".DEFAULT_ADMIN_ROLE")
        )  # fmt: skip
        got = sorted(r for r in row.roles if "." in r)
        assert got == want, row.name
    admin = rows["admin"]
    assert admin.roles[0] == f"DEFAULT_ADMIN_ROLE on {len(ACCESS_CONTROLLED)} contracts"
    assert rows["utility"].roles == ["verified utility of region 1"]
    assert rows["verifier2"].roles == ["UtilityRegistry.VERIFIER_ROLE"]
    lines = ln.format_role_table(list(rows.values()))
    assert any(line.split()[:2] == ["9", "utility"] for line in lines)
    docs = (PROJECT_ROOT / "docs" / "localnet.md").read_text().splitlines()
    assert [line for line in lines if line in docs] == lines  # docs/localnet.md shows the table


def test_warp__forward_by_days_hours_and_to_a_date(root: Path, started: ln.Started) -> None:
    _, now = ln.latest_block(started.endpoint.url)
    moved = ln.warp("+3d", root)
    assert (moved.before, moved.after) == (now, now + 3 * 86_400)
    moved = ln.warp("+6h", root)
    assert moved.after == now + 3 * 86_400 + 6 * 3_600
    moved = ln.warp("2026-06-20", root)
    assert moved.after == int(datetime(2026, 6, 20, tzinfo=UTC).timestamp())
    assert ln.latest_block(started.endpoint.url) == (moved.block, moved.after)


def test_warp__backwards__refused_in_one_line(root: Path, started: ln.Started) -> None:
    before = ln.latest_block(started.endpoint.url)
    run = gb(root, "localnet", "warp", "2026-06-10")
    assert one_line_error(run) == (
        "gridbalance: error: warp 2026-06-10: 2026-06-10 00:00:00 UTC is not after the chain's "
        f"clock ({ln.fmt_time(before[1])}); the clock only moves forward (reset to start over)"
    )
    assert "the clock only moves forward" in one_line_error(gb(root, "localnet", "warp", "-1d"))
    assert ln.latest_block(started.endpoint.url) == before  # nothing mined


def test_down_then_up__same_contracts_block_height_and_clock(
    root: Path, started: ln.Started
) -> None:
    url = started.endpoint.url
    w3 = connect(url)
    payee = Web3.to_checksum_address("0x" + "ab" * 20)
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": payee, "value": 12345})
    w3.eth.wait_for_transaction_receipt(tx)
    block, clock = ln.latest_block(url)
    manifest = Manifest.load(started.endpoint.manifest)
    first = manifest.contracts["RegionRegistry"]

    stopped = ln.down(root)
    assert stopped is not None and not ln._is_our_anvil(stopped.pid, ln.LocalnetFiles(root).state)
    assert ln.localnet_rpc(root) is None
    assert ln.LocalnetFiles(root).state.stat().st_size > 0

    again = ln.up(root)
    assert again.how == "resumed" and again.transactions == 0
    assert again.endpoint.url == url  # the port it had
    assert (again.block, again.timestamp) == (block, clock)
    w3 = connect(again.endpoint.url)
    assert w3.eth.get_balance(payee) == 12345
    assert Manifest.load(again.endpoint.manifest) == manifest
    for record in manifest.contracts.values():
        assert w3.eth.get_code(Web3.to_checksum_address(record.address))
    # the history is kept: the deployment's logs and transactions are still there
    logs = w3.eth.get_logs({"address": first.address, "fromBlock": first.block, "toBlock": "latest",
                            "topics": [ROLE_GRANTED]})  # fmt: skip
    assert logs and w3.eth.get_transaction(first.tx_hash)["blockNumber"] == first.block
    # and the clock goes on from where it stood, not from the wall clock
    tx = w3.eth.send_transaction({"from": w3.eth.accounts[0], "to": payee, "value": 1})
    mined = w3.eth.get_block(w3.eth.wait_for_transaction_receipt(tx)["blockNumber"])
    assert (mined["number"], mined["timestamp"]) == (block + 1, clock + ln.BLOCK_SECONDS)
    # `up` while it runs changes nothing
    assert ln.up(root).how == "running" and ln.latest_block(url) == (block + 1, clock + 1)


def test_localnet_rpc__the_commands_find_it_without_flags(root: Path, started: ln.Started) -> None:
    found = ln.localnet_rpc(root)
    assert found is not None
    assert found.url == started.endpoint.url and found.manifest == ln.LocalnetFiles(root).manifest
    keeper = gb(root, "keeper")  # no --rpc, --network or --manifest
    assert keeper.returncode == 0, keeper.stdout + keeper.stderr
    names = started.endpoint.info.accounts
    assert found.account("keeper") == names["keeper"] == str(connect(found.url).eth.accounts[6])
    assert found.account("3") == "3" and found.account(None) is None
    with pytest.raises(ln.LocalnetError, match=r"'consumer4' is neither .* \(admin, verifier1, "):
        found.account("consumer4")
    typo = gb(root, "enroll", "--event", "1", "--commit-kwh", "2", "--account", "consumer4")
    assert "--account 'consumer4' is neither an address, an index nor a name" in one_line_error(
        typo
    )
    named = gb(root, "keeper", "--account", "keeper")
    assert named.returncode == 0, named.stdout + named.stderr
    # without --account an oracle command signs as the node account holding its role: the grid
    # oracle's load points are accepted (admin, the first account, holds no oracle role)
    load = root / "load.csv"
    _, clock = ln.latest_block(found.url)
    hour = datetime.fromtimestamp(clock - clock % 3600 - 3600, tz=UTC).isoformat()  # ended
    load.write_text(
        f"hour_start,load_kw,frequency_mhz,voltage_permille\n{hour},1800000,60000,1000\n"
    )
    posted = gb(root, "oracle", "load", "--region", "1", "--csv", str(load),
                "--outbox", str(root / "grid.sqlite"))  # fmt: skip
    assert posted.returncode == 0, posted.stdout + posted.stderr
    # the action commands too (issue 25 item 2): no flag, and a role-table name for --account
    show = gb(root, "utility", "show", names["utility"])
    assert show.returncode == 0, show.stdout + show.stderr
    assert "Localnet Power & Light" in show.stdout
    dry = gb(
        root,
        "region",
        "holiday",
        "--region",
        "1",
        "--day",
        "2026-07-04",
        "--account",
        "admin",
        "--dry-run",
    )
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert (
        dry.stdout.startswith("dry run: 1 transaction from ") and "(admin, deployer)" in dry.stdout
    )
    # an account argument takes a name of the role table too, and outputs label by those names
    show = gb(root, "utility", "show", "utility")
    assert show.returncode == 0 and f"{names['utility']} (utility)" in show.stdout, show.stderr
    assert one_line_error(gb(root, "consumer", "show", "consumer1")) == (
        f"gridbalance: error: {names['consumer1']} has not registered as a consumer"
    )
    assert "neither an address nor a name of the localnet's role table (admin, " in (
        one_line_error(gb(root, "consumer", "show", "consumer9"))
    )
    # `consumer activate` without --account: no node account holds KYC_ATTESTER_ROLE here, so the
    # region's active utility activates (C-3)
    pauser = names["pauser"]
    reg = gb(root, "consumer", "register", "--account", "pauser", "--region", "1",
             "--meter-id", "LN-TEST-1", "--capacity-w", "2000")  # fmt: skip
    assert reg.returncode == 0, reg.stdout + reg.stderr
    act = gb(
        root, "consumer", "activate", pauser, "--kyc", "kyc-file-1", "--meter-attestation", "m-1"
    )
    assert act.returncode == 0, act.stdout + act.stderr
    assert f"Consumer {pauser} activated by {names['utility']} (" in act.stdout
    status = gb(root, "localnet", "status")
    assert status.returncode == 0
    block, clock = ln.latest_block(found.url)
    assert f"running at {found.url}" in status.stdout
    assert f"block {block}, clock {ln.fmt_time(clock)}" in status.stdout


def test_daemon__no_account__the_role_holder_sends(root: Path, started: ln.Started) -> None:
    """`oracle load` without --account on the localnet is sent by grid-oracle, the holder of
    LoadForecasting.GRID_ORACLE_ROLE (not the node's first account, which lacks it)."""
    from oracles.cli.main import DAEMON_ROLES
    from oracles.ops.roles import RoleBook
    from oracles.protocol.contracts import Protocol

    w3 = connect(started.endpoint.url)
    book = RoleBook(Protocol.connect(w3, Manifest.load(started.endpoint.manifest)))
    for contract, role in DAEMON_ROLES.values():  # every daemon's role exists by that name
        assert role in book.roles[contract] and book.holders(contract, role), (contract, role)
    _, now = ln.latest_block(started.endpoint.url)
    hour = (now - 7_200) // 3_600 * 3_600  # an hour that has ended
    csv_file = root / "load.csv"
    start = datetime.fromtimestamp(hour, UTC).isoformat()
    csv_file.write_text(
        f"hour_start,load_kw,frequency_mhz,voltage_permille\n{start},1500000,60000,1000\n"
    )
    run = gb(root, "oracle", "load", "--region", "1", "--csv", str(csv_file))
    assert run.returncode == 0, run.stdout + run.stderr
    assert "posted 1 load hours for region 1" in run.stdout
    sent = w3.eth.get_block("latest", full_transactions=True)["transactions"]
    assert [tx["from"] for tx in sent] == [started.endpoint.info.accounts["grid-oracle"]]


def test_daemon_files__kept_beside_the_localnet_chain(root: Path, started: ln.Started) -> None:
    """The outbox, rejects and index of commands run on the localnet live in its folder (and go
    with `reset`), never in the working directory."""
    here = [PROJECT_ROOT / name for name in ln.WORK_FILES]
    there = [root / name for name in ln.WORK_FILES]
    existed = [p.exists() for p in here]
    meter_csv = root / "empty-meter.csv"
    meter_csv.write_text(
        "meter_id,interval_start,interval_seconds,wh\nMTR-9,2026-06-02T00:00:00Z,3600,-1\n"
    )
    run = gb(root, "oracle", "meter", "--region", "1", "--csv", str(meter_csv))
    assert run.returncode == 2 and f"rejects in {there[1]}" in run.stdout  # its one row is bad
    report = gb(root, "report", "--event", "1")
    assert "no EventCreated log" in one_line_error(report) and str(there[2]) in report.stderr
    status = gb(root, "status")
    assert status.returncode == 0 and f"outbox {there[0]}: meter consumer-days" in status.stdout
    assert all(p.exists() for p in there)
    assert [p.exists() for p in here] == existed  # nothing new in the project


def test_stale_manifest__a_restarted_plain_anvil__one_line_saying_what_to_do(
    started: ln.Started,
) -> None:
    from oracles.chain.anvil import start_anvil
    from oracles.chain.client import ChainClient
    from oracles.chain.signers import NodeSigner
    from oracles.ops.deploy import DeploymentError, deploy_protocol

    manifest = started.endpoint.manifest
    with start_anvil(chain_id=ln.CHAIN_ID) as fresh:  # same chain id, none of the contracts
        run = subprocess.run([*GB, "keeper", "--rpc", fresh.url, "--manifest", str(manifest)],
                             cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)  # fmt: skip
        line = one_line_error(run)
        assert line.startswith(
            f"gridbalance: error: {manifest}: no code at RegionRegistry's address"
        )
        assert "a restarted Anvil forgets its contracts" in line and "deploy again" in line
        w3 = connect(fresh.url)
        copy = manifest.with_name("copy.json")
        copy.write_text(manifest.read_text())
        with pytest.raises(DeploymentError, match=f"delete {copy} to deploy afresh"):
            deploy_protocol(
                ChainClient(w3, NodeSigner(w3.eth.accounts[0])), ln.development_config(), copy
            )
        copy.unlink()


def test_down__then_commands_say_start_it_in_one_line(root: Path, started: ln.Started) -> None:
    run = gb(root, "localnet", "down")
    assert run.returncode == 0 and "its state is kept" in run.stdout
    assert ln.localnet_rpc(root) is None
    assert one_line_error(gb(root, "keeper")) == (
        "gridbalance: error: no chain: pass --rpc URL or --network ID, or start one with "
        "`gridbalance localnet up`"
    )
    assert "not running" in one_line_error(gb(root, "localnet", "warp", "+1d"))
    assert "state saved" in gb(root, "localnet", "status").stdout
    assert gb(root, "localnet", "down").stdout.startswith("the local network is not running")


def test_up_cli__resumes_and_prints_the_role_table(root: Path, started: ln.Started) -> None:
    run = gb(root, "localnet", "up")
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("resumed the local network at ")
    table = [line.split() for line in run.stdout.splitlines() if line[:3].strip().isdigit()]
    assert [row[1] for row in table] == [
        "admin", "verifier1", "verifier2", "verifier3", "meter-oracle", "grid-oracle",
        "keeper", "arbiter", "pauser", "utility", "consumer1", "consumer2", "consumer3",
    ]  # fmt: skip


def test_up__its_port_taken_meanwhile__resumes_on_another(root: Path, started: ln.Started) -> None:
    before = ln.localnet_rpc(root)
    assert before is not None and ln.down(root) is not None
    with socket.socket() as squatter:
        squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        squatter.bind((ln.HOST, before.info.port))
        squatter.listen()
        again = ln.up(root)
    assert again.how == "resumed" and again.endpoint.info.port != before.info.port
    assert ln.localnet_rpc(root) == again.endpoint


def test_reset__starts_over_at_genesis(root: Path, started: ln.Started) -> None:
    url = ln.localnet_rpc(root)
    assert url is not None
    payee = Web3.to_checksum_address("0x" + "ab" * 20)
    assert connect(url.url).eth.get_balance(payee) > 0  # from the test before
    assert (root / ln.WORK_FILES[0]).exists()  # the outbox of the tests before
    assert ln.reset(root) is True
    assert not any((root / name).exists() for name in ln.WORK_FILES)  # they went with the chain
    again = ln.up(root)
    assert again.how == "started"
    assert (again.block, again.timestamp) == (
        again.transactions,
        ln.GENESIS_TIMESTAMP + again.transactions * ln.BLOCK_SECONDS,
    )
    assert connect(again.endpoint.url).eth.get_balance(payee) == 0
    rpc_call(again.endpoint.url, "eth_chainId")


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        ("+3d", 1_000 + 3 * 86_400),
        ("+6h", 1_000 + 6 * 3_600),
        ("+1d12h", 1_000 + 36 * 3_600),
        ("+90m", 1_000 + 5_400),
        ("+30s", 1_030),
        ("2026-06-20", int(datetime(2026, 6, 20, tzinfo=UTC).timestamp())),
        ("2026-06-20T08:00-07:00", int(datetime(2026, 6, 20, 15, tzinfo=UTC).timestamp())),
        ("2026-06-20T08:00Z", int(datetime(2026, 6, 20, 8, tzinfo=UTC).timestamp())),
    ],
)
def test_warp_target__relative_and_absolute(when: str, expected: int) -> None:
    assert ln.warp_target(when, 1_000) == expected


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("2026-06-20T08:00", "a time needs its UTC offset"),
        ("tomorrow", "give +<n>d/h/m/s"),
        ("+3w", "give +<n>d/h/m/s"),
        ("-2h", "the clock only moves forward"),
    ],
)
def test_warp_target__bad_input__one_clear_error(when: str, message: str) -> None:
    with pytest.raises(ln.LocalnetError, match=message.replace("+", r"\+")):
        ln.warp_target(when, 1_000)


def test_localnet_cli__prints_to_the_stdout_of_the_call(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """In-process (test_walkthrough runs the README that way) the command writes to the stdout
    of its call, not to one bound when the module was imported and closed since."""
    import contextlib
    import importlib
    import io

    import oracles.cli.localnet as cli
    from oracles.cli.main import main

    gone = io.StringIO()
    with contextlib.redirect_stdout(gone):
        importlib.reload(cli)
    gone.close()
    monkeypatch.setenv(ln.DIR_ENV, str(tmp_path))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["localnet", "status"]) == 0
    assert out.getvalue().startswith("not running (no state: ")


def test_localnet_dir__env_or_the_project_folder(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(ln.DIR_ENV, raising=False)
    assert ln.localnet_dir() == PROJECT_ROOT / ".localnet"
    monkeypatch.setenv(ln.DIR_ENV, str(tmp_path))
    assert ln.localnet_dir() == tmp_path
    assert ln.localnet_rpc() is None  # nothing there


def test_docs__state_the_genesis_of_the_constant() -> None:
    """The walkthrough's dates follow GENESIS: README and docs/localnet.md must say the same."""
    stamp = f"{ln.GENESIS:%Y-%m-%d %H:%M} UTC"
    for doc in ("README.md", "docs/localnet.md"):
        assert stamp in (PROJECT_ROOT / doc).read_text(), doc
    assert str(ln.GENESIS_TIMESTAMP) in (PROJECT_ROOT / "docs" / "localnet.md").read_text()
