"""A local Anvil chain that this process starts, owns and always stops.

Brownie (and anything else that connects to ``127.0.0.1:8545``) silently attaches to whatever
already listens on a port. Tests and the demo must never run against a chain they did not start,
so they use :func:`start_anvil`, which

* picks a port that is free at that moment and lets Anvil bind it: if another process takes the
  port first, Anvil exits with "Address already in use" and another port is tried. Once Anvil
  answers, the port is held by the process we started, so nothing else can be answering;
* asks the kernel to kill Anvil when the starting process dies (``PR_SET_PDEATHSIG``), so even a
  ``kill -9`` of the test runner leaves no orphan chain behind; and
* stops Anvil on :meth:`Anvil.stop`, on leaving the ``with`` block, and at interpreter exit.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import TracebackType

from eth_account import Account

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ANVIL_IN_NODE_MODULES = PROJECT_ROOT / "node_modules" / ".bin" / "anvil"
DEFAULT_MNEMONIC = "test test test test test test test test test test test junk"
_PR_SET_PDEATHSIG = 1


def dev_key(index: int) -> bytes:
    """Private key ``index`` of the well-known development mnemonic (Anvil's and Hardhat's)."""
    Account.enable_unaudited_hdwallet_features()
    return bytes(
        Account.from_mnemonic(DEFAULT_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}").key
    )


@lru_cache(maxsize=1)
def dev_accounts() -> frozenset[str]:
    """The first 20 accounts of the well-known development mnemonic: their keys are public, so
    they must hold nothing on a real network."""
    return frozenset(Account.from_key(dev_key(i)).address for i in range(20))


class DevChainError(RuntimeError):
    """Anvil could not be found or started."""


def find_anvil() -> Path:
    """Return the Anvil binary: the project's ``node_modules`` copy first, then ``PATH``."""
    if ANVIL_IN_NODE_MODULES.exists():
        return ANVIL_IN_NODE_MODULES
    on_path = shutil.which("anvil")
    if on_path:
        return Path(on_path)
    raise DevChainError(
        f"anvil not found in {ANVIL_IN_NODE_MODULES} nor on PATH; run 'make setup' (npm ci)"
    )


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now (the kernel's choice of an ephemeral port)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        port: int = s.getsockname()[1]
        return port


def _die_with_parent() -> None:  # runs in the child between fork and exec
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def rpc_call(
    url: str, method: str, params: list[object] | None = None, timeout: float = 2.0
) -> object:
    """One JSON-RPC call with the standard library (no web3 needed to probe a chain)."""
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []})
    req = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        reply = json.loads(resp.read())
    if "error" in reply:
        raise DevChainError(f"{method} failed: {reply['error']}")
    return reply["result"]


@dataclass
class Anvil:
    """A running Anvil process started by :func:`start_anvil`."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    chain_id: int
    accounts: int
    mnemonic: str
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int:
        return self.process.pid

    def is_running(self) -> bool:
        return self.process.poll() is None

    def check_ownership(self) -> None:
        """Raise unless the chain answering at :attr:`url` is this Anvil.

        The process must still be alive (it holds the port, so nothing else can answer there)
        and report the chain id it was started with.
        """
        if not self.is_running():
            raise DevChainError(f"anvil (pid {self.pid}) on port {self.port} is no longer running")
        reported = int(str(rpc_call(self.url, "eth_chainId")), 16)
        if reported != self.chain_id:
            raise DevChainError(
                f"chain at {self.url} reports chain id {reported}, expected {self.chain_id}: "
                "it is not the chain this process started"
            )

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate Anvil (SIGTERM, then SIGKILL) and reap it. Safe to call twice."""
        if self._stopped:
            return
        self._stopped = True
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)

    def __enter__(self) -> Anvil:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_anvil(
    *,
    chain_id: int = 31337,
    accounts: int = 10,
    balance_eth: int = 10_000,
    mnemonic: str = DEFAULT_MNEMONIC,
    gas_limit: int | None = None,
    hardfork: str | None = None,
    base_fee: int | None = None,
    host: str = "127.0.0.1",
    port: int | None = None,
    attempts: int = 5,
    ready_timeout: float = 20.0,
    extra_args: list[str] | None = None,
) -> Anvil:
    """Start Anvil on a free port and wait until it answers JSON-RPC.

    ``hardfork=None`` keeps Anvil's default (the newest rules), so gas is measured under the
    rules mainnet and the L2s run today. Brownie's development settings send transactions with
    gas price 0, which needs ``base_fee=0``. ``port`` asks for that port only (a node restarted
    where its clients expect it); by default a free one is picked.
    """
    binary = find_anvil()
    last_error = ""
    for _ in range(attempts if port is None else 1):
        use = free_port(host) if port is None else port
        cmd = [
            str(binary),
            "--host", host,
            "--port", str(use),
            "--chain-id", str(chain_id),
            "--accounts", str(accounts),
            "--balance", str(balance_eth),
            "--mnemonic", mnemonic,
        ]  # fmt: skip
        if gas_limit is not None:
            cmd += ["--gas-limit", str(gas_limit)]
        if hardfork is not None:
            cmd += ["--hardfork", hardfork]
        if base_fee is not None:
            cmd += ["--block-base-fee-per-gas", str(base_fee)]
        cmd += list(extra_args or [])
        # stderr goes to an unlinked temporary file: readable if Anvil fails at start, and
        # never a pipe that could fill up (and block Anvil) once nobody reads it.
        with tempfile.TemporaryFile() as errors:
            proc = subprocess.Popen(
                cmd,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=errors,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
            chain = Anvil(proc, host, use, chain_id, accounts, mnemonic)
            deadline = time.monotonic() + ready_timeout
            while time.monotonic() < deadline:
                if proc.poll() is not None:
                    errors.seek(0)
                    last_error = errors.read().decode(errors="replace").strip()
                    break
                try:
                    chain.check_ownership()
                except (urllib.error.URLError, OSError, DevChainError):
                    # not listening yet (or, for a moment, someone else's port: then Anvil
                    # exits with "Address already in use" and the next attempt takes another)
                    time.sleep(0.05)
                    continue
                atexit.register(chain.stop)
                return chain
            else:
                chain.stop()
                raise DevChainError(
                    f"anvil did not answer on {chain.url} within {ready_timeout:.0f}s"
                )
        if "Address already in use" not in last_error or port is not None:
            raise DevChainError(f"anvil exited at start: {last_error or 'no message'}")
    raise DevChainError(f"no free port after {attempts} attempts: {last_error}")


def install_sigterm_handler() -> None:
    """Turn SIGTERM into KeyboardInterrupt, so ``finally`` blocks and atexit hooks still run."""

    def _handler(signum: int, frame: object) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, _handler)


def set_time(url: str, timestamp: int) -> None:
    """Mine a block at ``timestamp`` (Anvil's time controls); later blocks continue from there."""
    rpc_call(url, "evm_setNextBlockTimestamp", [timestamp])
    rpc_call(url, "evm_mine", [])


def set_automine(url: str, on: bool) -> None:
    """Turn Anvil's automine on or off (off: only ``evm_mine`` and the time controls mine blocks)."""
    rpc_call(url, "evm_setAutomine", [on])
