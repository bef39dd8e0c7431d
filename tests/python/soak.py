"""The soak test's world and its daemons: a deployed protocol built with the demo's own stages
(utility, consumers, program: :mod:`oracles.sim.demo`), and the daemons as subprocesses that the
test starts, kills with SIGKILL, restarts and scrapes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from web3 import Web3

from oracles.agents.grid_oracles import ActualPoint, GridOracle
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import free_port, rpc_call, set_time
from oracles.chain.client import ChainClient, GasLedger
from oracles.chain.signers import NodeSigner
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.bindings import Eligibility
from oracles.protocol.contracts import Protocol
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.event_window import EventWindow
from oracles.sim import demo
from oracles.sim.context import (
    REGION_ID,
    UTC_OFFSET_MINUTES,
    DemoConfig,
    Run,
    day_start,
    local_day,
)
from oracles.sim.simulator import SimConfig, Simulator

ROLES = {"admin": 0, "verifier1": 1, "verifier2": 2, "verifier3": 3, "utility": 4,
         "meter_oracle": 5, "grid_oracle": 6, "forecaster": 7, "keeper": 8, "arbiter": 9}  # fmt: skip
GRIDBALANCE = str(Path(sys.executable).parent / "gridbalance")


@dataclass
class World:
    url: str
    w3: Web3
    p: Protocol
    run: Run
    grid: GridOracle
    first_day: int
    manifest: Path
    program_id: int


def build_world(url: str, w3: Web3, out: Path, consumers: int, seed: int) -> World:
    """Deploy, verify the utility, register and activate ``consumers``, fund a program (the demo's
    stages), with the grid oracle posting weather and actuals from the test process."""
    accounts = list(w3.eth.accounts)
    decoder = ErrorDecoder()
    clients = {
        r: ChainClient(w3, NodeSigner(accounts[i]), decoder=decoder) for r, i in ROLES.items()
    }
    now = int(w3.eth.get_block("latest")["timestamp"])
    l0 = local_day(now) + 1
    first_day = l0 + 1
    set_time(url, day_start(l0) + 9 * 3600)
    sim = Simulator(SimConfig(consumers=consumers, seed=seed, first_day=first_day - 3,
                              event_day=first_day + 2, missing_rate=0.0))  # fmt: skip
    peak = max(float(sim.expected_region_kw(d).max()) for d in range(first_day - 3, first_day + 10))

    def a(role: str) -> str:
        return str(accounts[ROLES[role]])

    config = DeployConfig(
        regions=[RegionConfig(id=REGION_ID, name="Soak", capacity_kw=int(peak * 1.5) + 1,
                              utc_offset_minutes=UTC_OFFSET_MINUTES)],
        verifiers=[a("verifier1"), a("verifier2"), a("verifier3")], threshold=2,
        meter_oracles=[a("meter_oracle")], weather_oracles=[a("grid_oracle")],
        grid_oracles=[a("grid_oracle")], forecast_oracles=[a("forecaster")], keepers=[a("keeper")],
        root_proposers=[a("keeper")], arbiters=[a("arbiter")], pausers=[a("admin")],
        deploy_test_token=True,
    )  # fmt: skip
    manifest_path = out / "deployment.json"
    manifest = deploy_protocol(clients["admin"], config, manifest_path)
    p = Protocol.connect(w3, manifest)
    cfg = DemoConfig(consumers=max(consumers, 10), seed=seed, history_days=8, out_dir=out,
                     progress=False, signed_data=False)  # fmt: skip
    run = Run(
        cfg, w3, url, p, GasLedger(), decoder, sim, first_day, first_day + 2, clients, [], out
    )
    demo._verify_utility(run)
    demo._register_consumers(run)
    program_id = demo._create_program(run)
    grid = GridOracle(p, clients["grid_oracle"], Outbox(out / "grid-outbox.sqlite"))
    # three days of history, so that the forecaster can fit its model (TOWT needs 48 hours)
    for d in range(first_day - 3, first_day + 1):
        grid.post_weather(REGION_ID, demo._weather_points(sim, d))
    for d in range(first_day - 3, first_day - 1):
        post_actuals(grid, sim, d)
    return World(url, w3, p, run, grid, first_day, manifest_path, program_id)


def post_actuals(grid: GridOracle, sim: Simulator, day: int) -> None:
    kw = sim.region_load_kw(sim.loads_wh(day))
    points = [ActualPoint(hour=day * 24 + h, load_kw=kw[h], frequency_mhz=60_000, voltage_permille=1_000)
              for h in range(24)]  # fmt: skip
    grid.post_actuals(REGION_ID, points)


def meter_csv(world: World, day: int, path: Path) -> int:
    """The day's meter readings of every consumer, as a meter CSV; the number of consumer-days."""
    sim = world.run.sim
    wh = sim.loads_wh(day)
    midnight = day_start(day)
    rows = ["meter_id,interval_start,interval_seconds,wh"]
    for i, sc in enumerate(sim.consumers):
        for h in range(24):
            start = datetime.fromtimestamp(midnight + 3600 * h, tz=UTC).isoformat()
            rows.append(f"{sc.meter_id},{start},3600,{int(wh[i][h])}")
    tmp = path.with_suffix(".part")
    tmp.write_text("\n".join(rows) + "\n")
    tmp.rename(path)  # the daemon never sees half a file
    return len(sim.consumers)


def create_event(world: World, day: int) -> tuple[int, set[str]]:
    """A 16-20 h event of the program on ``day``, and the consumers the keeper may enroll in it."""
    from oracles.agents.keeper import Terms, event_terms
    from oracles.chain.logs import decode_events
    from oracles.protocol.enums import Ineligibility
    from oracles.sim.context import consumer_address

    utility = world.run.clients["utility"]
    receipt = utility.transact(
        world.p.requests.functions.createEvent(world.program_id, day, 16, 20, 50_000, 0),
        "createEvent",
    )
    event_id = int(decode_events(world.p.requests, "EventCreated", receipt["logs"])[0]["eventId"])
    event, program = world.p.dr_event(event_id), world.p.program(world.program_id)
    accounts = [consumer_address(world.run.cfg.seed, sc.index) for sc in world.run.sim.consumers]
    window = EventWindow.of_event(event, world.p.meter_interval(event.region_id))
    terms = event_terms(Terms(event, program, window), by_keeper=True).abi()
    eligible = Eligibility.many(
        utility.call_many(world.p.consumers, "eligibility", [(x, terms) for x in accounts])
    )
    return event_id, {
        x for x, e in zip(accounts, eligible, strict=True) if e.reason == Ineligibility.None_
    }


@dataclass
class Daemon:
    """One daemon subprocess: started, SIGKILLed and restarted by the test, scraped for metrics."""

    name: str
    argv: list[str]
    log_path: Path
    port: int = field(default_factory=free_port)
    proc: subprocess.Popen[bytes] | None = None
    kills: int = 0
    _log: IO[bytes] | None = None

    def start(self) -> None:
        self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(
            [*self.argv, "--metrics-port", str(self.port)],
            stdout=self._log, stderr=self._log, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip

    def kill(self) -> None:
        """SIGKILL: no handler runs, nothing is flushed or closed."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.kills += 1
        self._close_log()

    def stop(self) -> int:
        """SIGTERM: the daemon finishes its pass and exits; its exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=120)
        self._close_log()
        return code

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def check_alive(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            tail = self.log_path.read_text()[-3000:]
            raise AssertionError(f"{self.name} exited with {self.proc.returncode}:\n{tail}")

    def metrics(self) -> dict[str, float]:
        """The endpoint's samples (``name{labels}`` -> value), {} while it does not answer yet."""
        try:
            return scrape(self.port)
        except OSError:
            return {}


def scrape(port: int) -> dict[str, float]:
    """A Prometheus endpoint's samples, ``name{labels}`` -> value (OSError while it does not answer)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            out[name] = float(value)
    return out


def wait_until(what: str, check: Callable[[], bool], daemons: list[Daemon], url: str,
               seconds: float = 120, mine: bool = True) -> None:  # fmt: skip
    """Poll ``check``, mining a block each round unless ``mine`` is false (the daemons'
    confirmations need depth), until it holds; fail at once if a daemon died, or after ``seconds``
    (something hangs)."""
    deadline = time.monotonic() + seconds
    while not check():
        for d in daemons:
            d.check_alive()
        if time.monotonic() > deadline:
            raise AssertionError(f"soak: no {what} within {seconds:.0f} s")
        if mine:
            rpc_call(url, "evm_mine", [])
        time.sleep(0.25)
