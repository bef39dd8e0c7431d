"""A persistent local network: ``gridbalance localnet up | down | reset | warp | status``.

One Anvil that outlives the command that starts it, with its state saved in one folder
(:func:`localnet_dir`: ``$GRIDBALANCE_LOCALNET_DIR``, else ``.localnet/`` in the project):

* ``state.json``: Anvil's state (``--state``: loaded at start, written when Anvil stops and every
  :data:`STATE_INTERVAL_SECONDS` while it runs), so ``down`` then ``up`` resumes the same chain:
  the same contracts, block height and clock;
* ``localnet.json``: the running node (pid, port, chain id) and the accounts by name;
* ``manifest.json``: the deployment manifest (:mod:`oracles.ops.deploy`), which the other commands
  use when they find the local network (:func:`localnet_rpc`);
* ``anvil.log``: Anvil's output.

The chain starts at :data:`GENESIS` (2026-06-01 00:00 UTC) and its clock moves only with blocks,
each :data:`BLOCK_SECONDS` after the one before, and with :func:`warp`: never with the wall
clock, so a walkthrough's dates hold however long a person takes over it. A fresh network is
deployed with ``deploy/development.json`` (the well-known development accounts, the test
stablecoin, region 1), its utility (account :data:`UTILITY_INDEX`) is verified by the council and
mints itself :data:`UTILITY_MINT` test stablecoins to fund programs, and accounts
:data:`WALKTHROUGH_ACCOUNTS` are named ``consumer1``..``consumer3``.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import signal
import subprocess
import time
import urllib.error
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from oracles.chain.anvil import (
    DEFAULT_MNEMONIC,
    PROJECT_ROOT,
    DevChainError,
    find_anvil,
    free_port,
    rpc_call,
)
from oracles.chain.client import ChainClient
from oracles.chain.reads import call_many, web3_batch
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.ops.deploy import DeployConfig, deploy_protocol, load_suite
from oracles.ops.handover import role_names
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import UtilityAction
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.manifest import ACCESS_CONTROLLED, Manifest

# The one place the local network's dates come from (README "Local network", examples/).
GENESIS = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)
GENESIS_TIMESTAMP = int(GENESIS.timestamp())
BLOCK_SECONDS = (
    1  # each block's timestamp is the previous one's + this (anvil_setBlockTimestampInterval)
)
CHAIN_ID = 31337
ACCOUNTS = 13
HOST = "127.0.0.1"
STATE_INTERVAL_SECONDS = 30
DIR_ENV = "GRIDBALANCE_LOCALNET_DIR"
DEFAULT_DIR = PROJECT_ROOT / ".localnet"
DEPLOY_CONFIG = PROJECT_ROOT / "deploy" / "development.json"
UTILITY_INDEX = 9  # the first account deploy/development.json gives no role
WALKTHROUGH_ACCOUNTS = (
    10,
    11,
    12,
)  # consumer1..consumer3: no role, for the walkthrough (examples/)
UTILITY_MINT = 1_000_000  # whole test stablecoins the utility mints itself at a fresh `up`
UTILITY_NAME = "Localnet Power & Light"
START_TIMEOUT = 30.0
# the daemons' outbox and rejects and the log index, kept here when they run on the localnet
# (oracles/cli/workfiles.py), so they start and end with its chain
WORK_FILES = ("gridbalance-outbox.sqlite", "gridbalance-rejects.jsonl", "gridbalance-index.sqlite")
STOP_TIMEOUT = 60.0  # a long chain takes a while to write its state as Anvil exits

# processes this Python process started: reaped on `down` (no zombie) and never warned about
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


class LocalnetError(RuntimeError):
    """The local network cannot do what was asked (reported on one line)."""


def localnet_dir() -> Path:
    """Where the local network keeps its files: ``$GRIDBALANCE_LOCALNET_DIR``, else ``.localnet/``."""
    env = os.environ.get(DIR_ENV)
    return Path(env).expanduser() if env else DEFAULT_DIR


@dataclass(frozen=True)
class LocalnetFiles:
    root: Path

    @property
    def state(self) -> Path:
        return self.root / "state.json"

    @property
    def info(self) -> Path:
        return self.root / "localnet.json"

    @property
    def manifest(self) -> Path:
        return self.root / "manifest.json"

    @property
    def log(self) -> Path:
        return self.root / "anvil.log"

    @property
    def lock(self) -> Path:
        return self.root / "lock"

    @property
    def work(self) -> list[Path]:
        """The daemons' and report's files kept here on the localnet (oracles/cli/workfiles.py):
        the outbox, the rejects and the log index (with SQLite's -wal and -shm files)."""
        return [self.root / n for base in WORK_FILES for n in (base, base + "-wal", base + "-shm")]


class LocalnetInfo(BaseModel):
    """``localnet.json``: the node last started and the accounts by name."""

    model_config = ConfigDict(extra="forbid")

    pid: int
    host: str = HOST
    port: int
    chain_id: int = CHAIN_ID
    genesis_timestamp: int = GENESIS_TIMESTAMP
    accounts: dict[str, str]  # name -> address (admin, verifier1, ..., utility)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def save(self, path: Path) -> None:
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.model_dump_json(indent=2) + "\n")
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> LocalnetInfo | None:
        if not path.exists():
            return None
        try:
            return cls.model_validate_json(path.read_text())
        except ValueError as exc:
            raise LocalnetError(
                f"{path} is damaged ({exc.__class__.__name__}): run 'gridbalance localnet reset'"
            ) from exc


@dataclass(frozen=True)
class Endpoint:
    """A running local network, as the other commands need it."""

    url: str
    chain_id: int
    manifest: Path
    info: LocalnetInfo

    def account(self, given: str | None) -> str | None:
        """``--account``: a name of the role table (``keeper``) becomes its address; an address
        or an index is kept; anything else is refused with the table's names."""
        if given is None or given.isdigit() or Web3.is_address(given):
            return given
        if given not in self.info.accounts:
            raise LocalnetError(
                f"--account {given!r} is neither an address, an index nor a name of the "
                f"localnet's role table ({', '.join(self.info.accounts)})"
            )
        return self.info.accounts[given]


def localnet_rpc(root: Path | None = None) -> Endpoint | None:
    """The running local network's URL and manifest, or ``None`` when none runs."""
    files = LocalnetFiles(root or localnet_dir())
    try:
        info = LocalnetInfo.load(files.info)
    except LocalnetError:
        return None
    if info is None or not _is_our_anvil(info.pid, files.state):
        return None
    try:
        answered = int(str(rpc_call(info.url, "eth_chainId")), 16)
    except (OSError, urllib.error.URLError, DevChainError, ValueError):
        return None
    if answered != info.chain_id:
        return None
    return Endpoint(info.url, info.chain_id, files.manifest, info)


# ---------------------------------------------------------------------------------- processes


def _is_our_anvil(pid: int, state: Path) -> bool:
    """Whether ``pid`` is a live Anvil started on ``state`` (not a reused pid, not a zombie)."""
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        del _CHILDREN[pid]
        return False
    try:
        argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    if stat.rsplit(")", 1)[-1].split()[:1] == ["Z"]:
        return False
    return bool(argv) and Path(argv[0].decode()).name == "anvil" and str(state).encode() in argv


def _wait_gone(pid: int, state: Path, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        child = _CHILDREN.get(pid)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.1)
        if not _is_our_anvil(pid, state):
            _CHILDREN.pop(pid, None)
            return True
        time.sleep(0.05)
    return False


def _spawn(files: LocalnetFiles, port: int) -> subprocess.Popen[bytes]:
    cmd = [
        str(find_anvil()),
        "--host", HOST,
        "--port", str(port),
        "--chain-id", str(CHAIN_ID),
        "--accounts", str(ACCOUNTS),
        "--mnemonic", DEFAULT_MNEMONIC,
        "--state", str(files.state),
        "--state-interval", str(STATE_INTERVAL_SECONDS),
        "--silent",  # no line per RPC call in anvil.log; errors still go there
    ]  # fmt: skip
    # Always the genesis: Anvil's clock starts there, and a resumed chain's next block is then
    # set to follow its latest one (_hold_clock). Without it Anvil starts from the wall clock and
    # refuses any earlier time.
    cmd += ["--timestamp", str(GENESIS_TIMESTAMP)]
    with files.log.open("ab") as log:
        log.write(f"\n==> {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC: {' '.join(cmd)}\n".encode())
        log.flush()
        # its own session: the node outlives this command and Ctrl-C in the terminal
        proc = subprocess.Popen(
            cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True
        )
    _CHILDREN[proc.pid] = proc
    return proc


def _start(files: LocalnetFiles, want_port: int | None) -> tuple[subprocess.Popen[bytes], str]:
    """Start Anvil on ``want_port`` if it is free (else on a free port); wait until it answers."""
    tried: list[int] = []
    for port in [p for p in (want_port,) if p] + [free_port(HOST) for _ in range(3)]:
        tried.append(port)
        proc = _spawn(files, port)
        url = f"http://{HOST}:{port}"
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                break
            try:
                if int(str(rpc_call(url, "eth_chainId")), 16) == CHAIN_ID:
                    return proc, url
            except (OSError, urllib.error.URLError, DevChainError, ValueError):
                pass
            time.sleep(0.05)
        else:
            _stop_pid(proc.pid, files.state)
            raise LocalnetError(
                f"anvil did not answer on {url} within {START_TIMEOUT:.0f} s (see {files.log})"
            )
        _CHILDREN.pop(proc.pid, None)
        if "Address already in use" not in _log_tail(files.log):
            raise LocalnetError(
                f"anvil exited at start: {_log_tail(files.log) or 'no message'} (see {files.log})"
            )
    raise LocalnetError(f"no free port for anvil (tried {', '.join(map(str, tried))})")


def _log_tail(log: Path) -> str:
    lines = [ln for ln in log.read_text(errors="replace").splitlines() if ln.strip()]
    return lines[-1].strip() if lines else ""


def _stop_pid(pid: int, state: Path) -> None:
    """SIGTERM (Anvil writes its state as it exits), then SIGKILL if it hangs."""
    for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        if not _is_our_anvil(pid, state):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        if _wait_gone(pid, state, wait):
            return
    raise LocalnetError(f"anvil (pid {pid}) does not stop")


@contextlib.contextmanager
def _locked(files: LocalnetFiles) -> Iterator[None]:
    """One localnet command at a time on a folder."""
    files.root.mkdir(parents=True, exist_ok=True)
    with files.lock.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


# ---------------------------------------------------------------------------------- the clock


def latest_block(url: str) -> tuple[int, int]:
    """(number, timestamp) of the latest block."""
    block: Any = rpc_call(url, "eth_getBlockByNumber", ["latest", False])
    return int(block["number"], 16), int(block["timestamp"], 16)


def _hold_clock(url: str) -> None:
    """The next block comes :data:`BLOCK_SECONDS` after the latest, whatever the wall clock says."""
    _, ts = latest_block(url)
    rpc_call(url, "evm_setNextBlockTimestamp", [ts + BLOCK_SECONDS])
    rpc_call(url, "anvil_setBlockTimestampInterval", [BLOCK_SECONDS])


_RELATIVE = re.compile(r"^\+((?:\d+[dhms])+)$")
_PART = re.compile(r"(\d+)([dhms])")
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def warp_target(when: str, now: int) -> int:
    """The timestamp ``when`` names: ``+3d``, ``+6h``, ``+1d12h``, ``+90m``, ``+30s`` (from ``now``),
    a date ``2026-06-20`` (00:00 UTC) or a time with its offset ``2026-06-20T08:00-07:00``."""
    text = when.strip()
    rel = _RELATIVE.match(text)
    if rel:
        return now + sum(int(n) * _UNIT_SECONDS[u] for n, u in _PART.findall(rel.group(1)))
    if text.startswith("-"):
        raise LocalnetError(f"warp {when}: the clock only moves forward (it is {fmt_time(now)})")
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return int(
                datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC).timestamp()
            )
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise LocalnetError(
            f"warp {when}: give +<n>d/h/m/s (e.g. +3d, +6h, +1d12h), a date (2026-06-20) "
            "or a time with its offset (2026-06-20T08:00-07:00)"
        ) from None
    if moment.tzinfo is None:
        raise LocalnetError(
            f"warp {when}: a time needs its UTC offset (e.g. {text}Z or {text}-07:00)"
        )
    return int(moment.timestamp())


def fmt_time(ts: int) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class Warp:
    before: int
    after: int
    block: int


def warp(when: str, root: Path | None = None) -> Warp:
    """Mine one block at the time ``when`` names; refuse to go backwards."""
    files = LocalnetFiles(root or localnet_dir())
    with _locked(files):
        ep = _running(files)
        _, now = latest_block(ep.url)
        target = warp_target(when, now)
        if target <= now:
            raise LocalnetError(
                f"warp {when}: {fmt_time(target)} is not after the chain's clock ({fmt_time(now)}); "
                "the clock only moves forward (reset to start over)"
            )
        rpc_call(ep.url, "evm_setNextBlockTimestamp", [target])
        rpc_call(ep.url, "evm_mine", [])
        number, after = latest_block(ep.url)
        return Warp(now, after, number)


def _running(files: LocalnetFiles) -> Endpoint:
    ep = localnet_rpc(files.root)
    if ep is None:
        raise LocalnetError(
            "the local network is not running: start it with 'gridbalance localnet up'"
        )
    return ep


# ---------------------------------------------------------------------------------- accounts and roles


def development_config(path: Path = DEPLOY_CONFIG) -> DeployConfig:
    return DeployConfig.model_validate_json(path.read_text())


def account_names(config: DeployConfig, node_accounts: list[str]) -> dict[str, str]:
    """Every node account by the name of what it does (``admin`` deploys and administers)."""
    by_address: dict[str, str] = {node_accounts[0]: "admin"}
    fields = [
        ("verifiers", "verifier"), ("meter_oracles", "meter-oracle"), ("weather_oracles", "grid-oracle"),
        ("forecast_oracles", "grid-oracle"), ("grid_oracles", "grid-oracle"), ("keepers", "keeper"),
        ("root_proposers", "keeper"), ("arbiters", "arbiter"), ("pausers", "pauser"),
        ("kyc_attesters", "kyc-attester"),
    ]  # fmt: skip
    for field_name, base in fields:
        for i, address in enumerate(getattr(config, field_name), 1):
            address = Web3.to_checksum_address(address)
            if address not in by_address:
                taken = set(by_address.values())
                name = f"{base}{i}" if field_name == "verifiers" else base
                n = 2
                while name in taken:
                    name, n = f"{base}{n}", n + 1
                by_address[address] = name
    by_address.setdefault(node_accounts[UTILITY_INDEX], "utility")
    for n, index in enumerate(WALKTHROUGH_ACCOUNTS, 1):
        if index < len(node_accounts):
            by_address.setdefault(node_accounts[index], f"consumer{n}")
    for i, address in enumerate(node_accounts):
        by_address.setdefault(address, f"account{i}")
    return {name: address for address, name in by_address.items()}


@dataclass(frozen=True)
class AccountRoles:
    index: int
    name: str
    address: str
    roles: list[str]


def role_table(
    w3: Web3, manifest: Manifest, names: dict[str, str], build_dir: Path = DEFAULT_BUILD_DIR
) -> list[AccountRoles]:
    """Every named account with every role it holds on chain (``hasRole``), by name."""
    p = Protocol.connect(w3, manifest, build_dir)
    batch = web3_batch(w3)
    accounts = [str(Web3.to_checksum_address(a)) for a in w3.eth.accounts]
    held: dict[str, list[str]] = {a: [] for a in names.values()}
    admin_of: dict[str, int] = {a: 0 for a in names.values()}
    holders = list(names.values())
    for contract_name in ACCESS_CONTROLLED:
        contract = p.by_name[contract_name]
        for role_name in role_names(contract):
            role = b"\x00" * 32 if role_name == "DEFAULT_ADMIN_ROLE" else keccak(text=role_name)
            has = call_many(batch, contract, "hasRole", [(role, a) for a in holders])
            for address, yes in zip(holders, has, strict=True):
                if not yes:
                    continue
                if role_name == "DEFAULT_ADMIN_ROLE":
                    admin_of[address] += 1
                else:
                    held[address].append(f"{contract_name}.{role_name}")
    config = DeployConfig.model_validate(manifest.config)
    regions = [r.id for r in config.regions]
    for address in holders:
        active = call_many(batch, p.utilities, "isActiveUtility", [(address, r) for r in regions])
        for region, yes in zip(regions, active, strict=True):
            if yes:
                held[address].append(f"verified utility of region {region}")
        if admin_of[address]:
            held[address].insert(0, f"DEFAULT_ADMIN_ROLE on {admin_of[address]} contracts")
    out = [
        AccountRoles(accounts.index(a) if a in accounts else -1, name, a, held[a])
        for name, a in names.items()
    ]
    return sorted(out, key=lambda r: (r.index < 0, r.index))


def format_role_table(rows: list[AccountRoles]) -> list[str]:
    lines = [f"{'#':>2}  {'name':<13} {'address':<42}  roles"]
    for r in rows:
        lines.append(f"{r.index:>2}  {r.name:<13} {r.address:<42}  {'; '.join(r.roles) or '-'}")
    return lines


# ---------------------------------------------------------------------------------- up, down, reset


@dataclass(frozen=True)
class Started:
    endpoint: Endpoint
    how: str  # "started" (fresh, deployed), "resumed", "running" (already up)
    block: int
    timestamp: int
    transactions: int  # sent by this command


def up(
    root: Path | None = None, port: int | None = None, log: Callable[[str], None] = print
) -> Started:
    """Start the local network: resume its saved state, or deploy a fresh one at :data:`GENESIS`."""
    files = LocalnetFiles(root or localnet_dir())
    with _locked(files):
        running = localnet_rpc(files.root)
        if running is not None:
            number, ts = latest_block(running.url)
            return Started(running, "running", number, ts, 0)
        old = LocalnetInfo.load(files.info)
        fresh = not files.state.exists()
        if fresh:
            load_suite(with_test_tokens=True)  # no chain started without the build
            config = development_config()
            files.manifest.unlink(missing_ok=True)
        elif not files.manifest.exists():
            raise LocalnetError(
                f"{files.state} has no manifest beside it: run 'gridbalance localnet reset'"
            )
        proc, url = _start(files, port or (old.port if old else None))
        try:
            w3 = connect(url, timeout=30)
            accounts = [str(Web3.to_checksum_address(a)) for a in w3.eth.accounts]
            sent = 0
            if fresh:
                log(
                    f"deploying the protocol ({DEPLOY_CONFIG.relative_to(PROJECT_ROOT)}) from {fmt_time(GENESIS_TIMESTAMP)}"
                )
                rpc_call(url, "anvil_setBlockTimestampInterval", [BLOCK_SECONDS])
                names = account_names(config, accounts)
                sent = _deploy_and_verify(w3, config, files.manifest, names)
            else:
                _hold_clock(url)
                manifest = Manifest.load(files.manifest)
                names = (
                    old.accounts
                    if old
                    else account_names(DeployConfig.model_validate(manifest.config), accounts)
                )
                Protocol.connect(w3, manifest)  # its contracts must be on this chain
        except BaseException:
            _stop_pid(proc.pid, files.state)
            if fresh:  # a half-made network is no use: the next `up` starts over
                files.state.unlink(missing_ok=True)
                files.manifest.unlink(missing_ok=True)
            raise
        info = LocalnetInfo(pid=proc.pid, port=int(url.rsplit(":", 1)[1]), accounts=names)
        info.save(files.info)
        number, ts = latest_block(url)
        return Started(
            Endpoint(url, CHAIN_ID, files.manifest, info),
            "started" if fresh else "resumed",
            number,
            ts,
            sent,
        )


def _deploy_and_verify(
    w3: Web3, config: DeployConfig, manifest_path: Path, names: dict[str, str]
) -> int:
    """Deploy with ``admin``, then the council verifies ``utility``, which mints itself test
    stablecoins; return the transactions sent."""
    decoder = ErrorDecoder(DEFAULT_BUILD_DIR)

    def client(name: str) -> ChainClient:
        return ChainClient(w3, NodeSigner(names[name]), decoder=decoder)

    manifest = deploy_protocol(client("admin"), config, manifest_path)
    p = Protocol.connect(w3, manifest)
    utility = client("utility")
    utility.transact(
        p.utilities.functions.applyForVerification(
            UTILITY_NAME, keccak(text=f"{UTILITY_NAME} license"), [r.id for r in config.regions]
        ),
        "applyForVerification",
    )
    by_address = {a: n for n, a in names.items()}
    for verifier in config.verifiers[: config.threshold]:
        client(by_address[Web3.to_checksum_address(verifier)]).transact(
            p.utilities.functions.approve(utility.address, UtilityAction.Verify), "approve"
        )
    for region in config.regions:
        if not p.utilities.functions.isActiveUtility(utility.address, region.id).call():
            raise LocalnetError(
                f"the utility is not active in region {region.id} after the council's approvals"
            )
    if p.token is not None:  # MockStablecoin: anyone may mint; the utility funds its programs
        units = UTILITY_MINT * 10 ** int(p.token.functions.decimals().call())
        utility.transact(p.token.functions.mint(utility.address, units), "mint test stablecoin")
    return sum(
        int(w3.eth.get_transaction_count(Web3.to_checksum_address(a))) for a in names.values()
    )


def down(root: Path | None = None) -> LocalnetInfo | None:
    """Stop the local network, keeping its state; ``None`` if it was not running."""
    files = LocalnetFiles(root or localnet_dir())
    with _locked(files):
        info = LocalnetInfo.load(files.info)
        if info is None or not _is_our_anvil(info.pid, files.state):
            return None
        _stop_pid(info.pid, files.state)
        return info


def reset(root: Path | None = None) -> bool:
    """Stop the local network and delete its state and the daemons' files kept with it (outbox,
    rejects, index); return whether there was any."""
    files = LocalnetFiles(root or localnet_dir())
    down(files.root)
    with _locked(files):
        had = files.state.exists() or files.manifest.exists()
        for path in (files.state, files.manifest, files.info, *files.work):
            path.unlink(missing_ok=True)
        return had


@dataclass(frozen=True)
class Status:
    root: Path
    running: Endpoint | None
    saved: bool  # a state file exists
    block: int | None
    timestamp: int | None


def status(root: Path | None = None) -> Status:
    files = LocalnetFiles(root or localnet_dir())
    ep = localnet_rpc(files.root)
    block = ts = None
    if ep is not None:
        block, ts = latest_block(ep.url)
    return Status(files.root, ep, files.state.exists(), block, ts)
