"""The gateway beside the local network: ``gridbalance localnet up --gateway`` starts
``gridbalance gateway`` (the OpenADR 3.0.1 API and the web dashboard at ``/``) as a process of its
own that outlives the command, on the running localnet; ``localnet down`` (and ``reset``) stops it.

Its files live in the localnet's folder, beside the chain they describe:

* ``gateway-clients.json``: two OAuth2 clients (a VEN and a BL client) with random secrets, made
  at the first start (mode 0600), so the API's tokens work out of the box;
* ``gateway.json``: the running gateway (pid, host, port, the clients file);
* ``gateway.log``: its output; ``gridbalance-gateway-index.sqlite``: its log index (``reset``
  deletes it with the chain).

A pid is signalled only when it is a ``gridbalance gateway`` started on this folder's clients
file (a reused pid never is)."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from oracles.chain.anvil import PROJECT_ROOT, free_port
from oracles.cli.gateway import GATEWAY_INDEX
from oracles.ops.localnet import DIR_ENV, HOST, LocalnetError

DEFAULT_PORT = 8080
START_TIMEOUT, STOP_TIMEOUT = 60.0, 15.0
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}  # started by this process: reaped on stop


@dataclass(frozen=True)
class GatewayFiles:
    root: Path

    @property
    def clients(self) -> Path:
        return self.root / "gateway-clients.json"

    @property
    def info(self) -> Path:
        return self.root / "gateway.json"

    @property
    def log(self) -> Path:
        return self.root / "gateway.log"

    @property
    def index(self) -> list[Path]:
        """The gateway's log index, with SQLite's -wal and -shm files."""
        return [self.root / (GATEWAY_INDEX + s) for s in ("", "-wal", "-shm")]


class GatewayInfo(BaseModel):
    """``gateway.json``: the gateway last started."""

    model_config = ConfigDict(extra="forbid")

    pid: int
    host: str = HOST
    port: int
    clients: str

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @classmethod
    def load(cls, path: Path) -> GatewayInfo | None:
        try:
            return cls.model_validate_json(path.read_text())
        except (OSError, ValueError):  # none yet, or damaged: nothing to stop
            return None


def _is_our_gateway(pid: int, clients: Path) -> bool:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"gateway" in argv and str(clients).encode() in argv


def running(root: Path) -> GatewayInfo | None:
    """The gateway started beside the localnet in ``root``, if it still runs."""
    files = GatewayFiles(root)
    info = GatewayInfo.load(files.info)
    if info is None or not _is_our_gateway(info.pid, files.clients):
        return None
    return info


def _clients_file(files: GatewayFiles) -> Path:
    if not files.clients.exists():
        clients = [
            {
                "client_id": "localnet-ven",
                "client_secret": secrets.token_urlsafe(24),
                "role": "VEN",
            },
            {"client_id": "localnet-bl", "client_secret": secrets.token_urlsafe(24), "role": "BL"},
        ]
        files.clients.touch(mode=0o600)
        files.clients.write_text(json.dumps({"clients": clients}, indent=2) + "\n")
    return files.clients


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((HOST, port))
        except OSError:
            return False
    return True


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/dashboard/head.json", timeout=2) as r:
            return int(r.status) == 200
    except (OSError, urllib.error.URLError, ValueError):
        return False


def start(root: Path, port: int | None = None) -> tuple[GatewayInfo, bool]:
    """Start the gateway on the running localnet of ``root`` (``port``, else the one it had, else
    8080 when free, else a free one) and wait until it answers; (info, whether started now)."""
    files = GatewayFiles(root)
    found = running(root)
    if found is not None:
        return found, False
    last = GatewayInfo.load(files.info)
    want = port or (last.port if last else None)
    if want is None or not _port_free(want):
        if port is not None:
            raise LocalnetError(f"--gateway-port {port} is taken: choose another")
        want = DEFAULT_PORT if _port_free(DEFAULT_PORT) else free_port(HOST)
    clients = _clients_file(files)
    cmd = [sys.executable, "-m", "oracles.cli.main", "gateway", "--clients", str(clients),
           "--host", HOST, "--port", str(want)]  # fmt: skip
    env = {**os.environ, DIR_ENV: str(root)}
    with files.log.open("ab") as log:
        log.write(f"\n==> {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC: {' '.join(cmd)}\n".encode())
        log.flush()
        proc = subprocess.Popen(cmd, cwd=PROJECT_ROOT, env=env, stdin=subprocess.DEVNULL,
                                stdout=log, stderr=log, start_new_session=True)  # fmt: skip
    _CHILDREN[proc.pid] = proc
    info = GatewayInfo(pid=proc.pid, port=want, clients=str(clients))
    deadline = time.monotonic() + START_TIMEOUT
    while not _answers(info.url):
        if proc.poll() is not None or time.monotonic() > deadline:
            _stop_pid(proc.pid, clients)
            tail = [ln for ln in files.log.read_text(errors="replace").splitlines() if ln.strip()]
            raise LocalnetError(f"the gateway did not start: {tail[-1] if tail else 'no message'} "
                                f"(see {files.log})")  # fmt: skip
        time.sleep(0.1)
    files.info.write_text(info.model_dump_json(indent=2) + "\n")
    return info, True


def _stop_pid(pid: int, clients: Path) -> None:
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        if not _is_our_gateway(pid, clients):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            child = _CHILDREN.get(pid)
            if child is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    child.wait(timeout=0.1)
            if not _is_our_gateway(pid, clients):
                _CHILDREN.pop(pid, None)
                return
            time.sleep(0.05)
    raise LocalnetError(f"the gateway (pid {pid}) does not stop")


def stop(root: Path) -> GatewayInfo | None:
    """Stop the gateway beside the localnet of ``root``; None if none ran."""
    info = running(root)
    if info is None:
        return None
    _stop_pid(info.pid, Path(info.clients))
    return info


def forget(root: Path) -> None:
    """``reset``: the gateway stopped, its index and its record deleted (its clients are kept)."""
    stop(root)
    files = GatewayFiles(root)
    for path in (*files.index, files.info):
        path.unlink(missing_ok=True)
