"""What the operators' trial hit (issue 25 item 6): the keystore folder, `$VARIABLE` network hosts,
the handover's confirmation. The deploy re-run line and the handover without a terminal are in
test_live_deploy.py; the stale manifest after an Anvil restart in test_localnet.py."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml  # type: ignore[import-untyped]

from oracles.chain.anvil import PROJECT_ROOT, free_port
from oracles.ops.deploy import DeploymentError
from oracles.ops.networks import NetworkSetupError, network_rpc_url
from oracles.ops.operator import YES_ENV, confirm

GB = [sys.executable, "-m", "oracles.cli.main"]


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", *args], cwd=PROJECT_ROOT, capture_output=True, text=True)


def test_keys_folder__exists_in_a_clone_and_keystores_in_it_are_ignored() -> None:
    """`cast wallet new deploy/keys` needs the folder; what it writes there never enters git."""
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.skip("not a git checkout")
    assert (PROJECT_ROOT / "deploy" / "keys").is_dir()
    assert _git("ls-files", "--error-unmatch", "deploy/keys/.gitkeep").returncode == 0
    assert _git("check-ignore", "-q", "deploy/keys/.gitkeep").returncode == 1  # not ignored
    for name in ("3f6a-keystore.json", "UTC--2026-06-01T00-00-00Z--f39f", "sub/deployer.json"):
        assert _git("check-ignore", "-q", f"deploy/keys/{name}").returncode == 0, name


def _brownie_home(tmp_path: Path, host: str) -> Path:
    """A ~/.brownie/network-config.yaml as `make networks` leaves it (the host literal)."""
    folder = tmp_path / ".brownie"
    folder.mkdir()
    config = {
        "live": [{"name": "Ethereum", "networks": [
            {"id": "gb-sepolia", "name": "Sepolia (GridBalance)", "chainid": 11_155_111, "host": host},
        ]}],
        "development": [{"id": "development", "name": "Anvil", "host": "http://127.0.0.1",
                         "cmd": "anvil", "cmd_settings": {"port": 18545}}],
    }  # fmt: skip
    (folder / "network-config.yaml").write_text(yaml.safe_dump(config))
    return tmp_path


@pytest.mark.parametrize("host", ["$SEPOLIA_RPC_URL", "${SEPOLIA_RPC_URL}"])
def test_network_rpc_url__expands_the_variable(
    host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _brownie_home(tmp_path, host)
    monkeypatch.setenv("SEPOLIA_RPC_URL", "https://sepolia.example/v3/k")
    assert network_rpc_url("gb-sepolia", home) == "https://sepolia.example/v3/k"
    assert network_rpc_url("development", home) == "http://127.0.0.1:18545"


def test_network_rpc_url__unset_variable_or_unknown_network__one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = _brownie_home(tmp_path, "$SEPOLIA_RPC_URL")
    monkeypatch.delenv("SEPOLIA_RPC_URL", raising=False)
    with pytest.raises(NetworkSetupError) as exc:
        network_rpc_url("gb-sepolia", home)
    assert str(exc.value) == (
        "--network gb-sepolia: its host is $SEPOLIA_RPC_URL and $SEPOLIA_RPC_URL is not set "
        "(export SEPOLIA_RPC_URL=https://...)"
    )
    with pytest.raises(NetworkSetupError, match="no such network"):
        network_rpc_url("gb-mainnet", home)
    with pytest.raises(NetworkSetupError, match="run `make networks`"):
        network_rpc_url("gb-sepolia", tmp_path / "elsewhere")


def test_keeper_network__expands_the_host_or_names_the_unset_variable(tmp_path: Path) -> None:
    home = _brownie_home(tmp_path, "$SEPOLIA_RPC_URL")
    env = {k: v for k, v in os.environ.items() if k != "SEPOLIA_RPC_URL"}
    env.update(HOME=str(home), GRIDBALANCE_LOCALNET_DIR=str(tmp_path / "no-localnet"))

    def keeper(**extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([*GB, "keeper", "--network", "gb-sepolia"], cwd=PROJECT_ROOT,
                              env={**env, **extra}, capture_output=True, text=True, timeout=120)  # fmt: skip

    unset = keeper()
    assert unset.returncode == 1
    assert unset.stderr.strip() == (
        "gridbalance: error: --network gb-sepolia: its host is $SEPOLIA_RPC_URL and "
        "$SEPOLIA_RPC_URL is not set (export SEPOLIA_RPC_URL=https://...)"
    )
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there: the error shows the URL used
    nobody = keeper(SEPOLIA_RPC_URL=url)
    assert nobody.returncode == 1
    assert nobody.stderr.strip() == f"gridbalance: error: no JSON-RPC answer at {url}"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_confirm__asks_on_a_terminal_and_only_yes_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(YES_ENV, raising=False)
    out = io.StringIO()
    confirm("Hand over?", stdin=_Terminal("yes\n"), out=out)
    assert out.getvalue() == "Hand over? Type 'yes' to go on: "
    for answer in ("no\n", "y\n", ""):
        with pytest.raises(DeploymentError, match=r"^not confirmed: nothing was sent$"):
            confirm("Hand over?", stdin=_Terminal(answer), out=io.StringIO())


def test_confirm__no_terminal__refused_unless_yes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(YES_ENV, raising=False)
    with pytest.raises(DeploymentError, match="no terminal to ask it on: pass --yes"):
        confirm("Hand over?", stdin=io.StringIO("yes\n"), out=io.StringIO())
    monkeypatch.setenv(YES_ENV, "1")
    out = io.StringIO()
    confirm("Hand over?", stdin=io.StringIO(""), out=out)  # --yes: nothing asked
    assert out.getvalue() == ""


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("localhost:8545", "RPC URL 'localhost:8545' needs a scheme: did you mean http://localhost:8545?"),
        ("$SEPOLIA_RPC_URL", "RPC URL '$SEPOLIA_RPC_URL' holds an unexpanded variable: set it in the environment"),
        ("http://", "RPC URL 'http://' has no host"),
    ],
    ids=["no-scheme", "unexpanded", "no-host"],
)  # fmt: skip
def test_daemon_rpc_url__malformed__one_line_before_connecting(
    url: str, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 25 item 4: the daemons check --rpc as the action commands do, before any connection:
    one line, exit 1 (`localhost:8545` used to end as 'no JSON-RPC answer')."""
    from oracles.cli.main import main

    assert main(["keeper", "--rpc", url]) == 1
    assert capsys.readouterr().err.strip() == f"gridbalance: error: {message}"
