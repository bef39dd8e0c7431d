"""`gridbalance localnet up --gateway` (issue 27 item 5): the local network and the gateway in one
step, the dashboard at the URL it prints; `status` names it, `down` stops it
(oracles/cli/localnet_gateway.py). The commands run as a person runs them, in a process each."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from oracles.chain.anvil import PROJECT_ROOT
from oracles.cli import localnet_gateway as gw
from oracles.ops import localnet as ln

pytestmark = pytest.mark.xdist_group("localnet_gateway")
GB = [sys.executable, "-m", "oracles.cli.main"]


def gb(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, ln.DIR_ENV: str(root)}
    return subprocess.run([*GB, *args], cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=180)  # fmt: skip


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a zombie waiting for its reaper does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[:1] != ["Z"]


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("localnet-gateway")
    yield folder
    gw.stop(folder)  # never leave a gateway or an Anvil behind, even after a failed test
    ln.down(folder)


def test_up_gateway__dashboard_and_api_at_the_printed_url__down_stops_both(root: Path) -> None:
    up = gb(root, "localnet", "up", "--gateway")
    assert up.returncode == 0, up.stdout + up.stderr
    found = re.search(r"started the gateway at (http://127\.0\.0\.1:\d+)/ \(pid (\d+)\)", up.stdout)
    assert found, up.stdout
    url, pid = found.group(1), int(found.group(2))
    with httpx.Client(base_url=url, timeout=10) as http:
        page = http.get("/")
        assert page.status_code == 200 and "Region 1: CAISO NP15" in page.text
        clients = json.loads((root / "gateway-clients.json").read_text())["clients"]
        assert (root / "gateway-clients.json").stat().st_mode & 0o077 == 0  # private
        ven = next(c for c in clients if c["role"] == "VEN")
        token = http.post("/auth/token", data={"grant_type": "client_credentials",
                                               "client_id": ven["client_id"],
                                               "client_secret": ven["client_secret"]})  # fmt: skip
        assert token.status_code == 200, token.text
        r = http.get(
            "/programs", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert r.status_code == 200 and r.json() == []  # a fresh localnet has no program yet
    status = gb(root, "localnet", "status")
    assert f"gateway at {url}/ (pid {pid})" in status.stdout
    again = gb(root, "localnet", "up", "--gateway")
    assert again.returncode == 0 and f"the gateway is already running at {url}/" in again.stdout
    down = gb(root, "localnet", "down")
    assert down.returncode == 0, down.stderr
    assert f"stopped the gateway at {url} (pid {pid})" in down.stdout
    assert "stopped the local network" in down.stdout
    assert gw.running(root) is None and not alive(pid)
    assert "gateway at" not in gb(root, "localnet", "status").stdout


def test_up_without_the_flag__no_gateway(root: Path) -> None:
    up = gb(root, "localnet", "up")
    assert up.returncode == 0, up.stderr
    assert "started the gateway" not in up.stdout and gw.running(root) is None
    assert gb(root, "localnet", "down").returncode == 0
