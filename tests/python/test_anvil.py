"""The local chain the tests and the demo start themselves (Foundation issue, deliverable 5)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from oracles.chain import anvil
from oracles.chain.anvil import DevChainError, rpc_call, start_anvil

ROOT = Path(__file__).resolve().parents[2]


def _gone(pid: int) -> bool:
    """True once `pid` no longer runs (exited, or a zombie waiting to be reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return True
    return state in ("Z", "X")


def _wait_gone(pid: int, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _gone(pid):
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def listener() -> Iterator[int]:
    """Another process's server: a socket listening on some port."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        yield s.getsockname()[1]


def test_start_anvil__answers_with_its_chain_id_and_stops() -> None:
    with start_anvil(chain_id=424242) as chain:
        assert chain.is_running()
        assert int(str(rpc_call(chain.url, "eth_chainId")), 16) == 424242
        chain.check_ownership()
        accounts = rpc_call(chain.url, "eth_accounts")
        assert isinstance(accounts, list) and len(accounts) == 10
    assert _wait_gone(chain.pid)
    with socket.socket() as s:  # nothing listens on the port any more
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is not listening
        s.bind(("127.0.0.1", chain.port))


def test_start_anvil__port_taken_by_another_process__takes_another(
    monkeypatch: pytest.MonkeyPatch, listener: int
) -> None:
    ports = iter([listener])
    real_free_port = anvil.free_port
    monkeypatch.setattr(
        anvil, "free_port", lambda host="127.0.0.1": next(ports, None) or real_free_port(host)
    )
    with start_anvil() as chain:
        assert chain.port != listener
        chain.check_ownership()


def test_check_ownership__other_chain__refused(listener: int) -> None:
    with start_anvil(chain_id=1001) as chain:
        impostor = anvil.Anvil(chain.process, chain.host, chain.port, 2002, 10, chain.mnemonic)
        with pytest.raises(DevChainError, match="reports chain id 1001, expected 2002"):
            impostor.check_ownership()
        impostor._stopped = True  # the real owner stops it


def test_check_ownership__stopped_chain__refused() -> None:
    chain = start_anvil()
    chain.stop()
    with pytest.raises(DevChainError, match="no longer running"):
        chain.check_ownership()


def test_start_anvil__bad_argument__clear_error() -> None:
    with pytest.raises(DevChainError, match="anvil exited at start"):
        start_anvil(hardfork="no-such-fork")


def _spawn_owner() -> tuple[subprocess.Popen[str], int]:
    """A child Python process that starts Anvil and then waits; returns it and Anvil's pid."""
    code = (
        "import time; from oracles.chain.anvil import install_sigterm_handler, start_anvil\n"
        "install_sigterm_handler()\n"
        "with start_anvil() as c:\n"
        "    print(c.pid, flush=True)\n"
        "    time.sleep(120)\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    anvil_pid = int(proc.stdout.readline())
    assert not _gone(anvil_pid)
    return proc, anvil_pid


def test_owner_killed_with_sigkill__anvil_dies_too() -> None:
    owner, anvil_pid = _spawn_owner()
    os.kill(owner.pid, signal.SIGKILL)
    owner.wait(timeout=10)
    assert _wait_gone(anvil_pid), "anvil outlived the process that started it"


def test_owner_sigterm__anvil_stopped_cleanly() -> None:
    owner, anvil_pid = _spawn_owner()
    os.kill(owner.pid, signal.SIGTERM)
    assert owner.wait(timeout=10) != 0
    assert _wait_gone(anvil_pid)
