"""What the frequency incident scenario's stages share: its configuration, constants and state."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.contract.contract import ContractFunction

from oracles.chain.client import ChainClient, GasLedger
from oracles.ops.localnet import GENESIS_TIMESTAMP
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import OperatorCapability
from oracles.protocol.region_time import RegionClock
from oracles.reference import grid_state as ref
from oracles.sim.frequency_incident import IncidentSummary

REGION_ID = 1
REGION_NAME = "Lone Star (ERCOT-like)"
AREA_ID = 3  # RegionRegistry's ERCOT-like preset (G-5)
NOMINAL_MHZ = 60_000
CAPACITY_KW = 85_000_000
UTC_OFFSET_MINUTES = -360
TIME_ZONE = "America/Chicago"
# the incident's first point: 2026-06-02 16:20 CDT (21:20 UTC), the day after the chain's genesis
INCIDENT_START = GENESIS_TIMESTAMP + 86_400 + 21 * 3_600 + 20 * 60
POSTED_AFTER_END = 300  # the chain clock when the oracle posts: five minutes after the last point
BATCH = 15  # points a postMeasurements transaction: one quarter hour at one-minute resolution
RESPONSE_TARGET_KW = 1_500_000  # the reserve the automated response activates
RESPONSE_WINDOW_SECONDS = 600  # fires at most once in 10 minutes (G-16's rate limit)
RESPONSE_DURATION_SECONDS = 1_800  # the activation's window
ALL_CAPABILITIES = int(
    OperatorCapability.SystemState
    | OperatorCapability.Balancing
    | OperatorCapability.LoadShed
    | OperatorCapability.Automation
)
ROLES = {
    "admin": 0,
    "verifier1": 1,
    "verifier2": 2,
    "verifier3": 3,
    "grid_oracle": 4,
    "operator": 5,
}


class IncidentConfig(BaseModel):
    """What the incident scenario takes: the simulation's seed and where things go."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    seed: int = 7
    out_dir: Path | None = None
    build_dir: Path = DEFAULT_BUILD_DIR
    progress: bool = True


@dataclass
class Tx:
    """One mined transaction of the run: its kind (the gas ledger's stage), what it did, its gas."""

    kind: str
    what: str
    gas: int
    block: int


@dataclass
class IncidentRun:
    """What the stages share."""

    cfg: IncidentConfig
    w3: Web3
    url: str
    p: Protocol
    ledger: GasLedger
    clients: dict[str, ChainClient]
    out_dir: Path
    clock: RegionClock = field(
        default_factory=lambda: RegionClock.of(UTC_OFFSET_MINUTES, TIME_ZONE, 60)
    )
    txs: list[Tx] = field(default_factory=list)

    def send(self, role: str, fn: ContractFunction, kind: str, what: str) -> dict[str, Any]:
        """``fn`` from ``role``'s account, its gas in the ledger under ``kind``: the receipt."""
        with self.ledger.staged(kind):
            receipt = self.clients[role].transact(fn, what)
        self.txs.append(Tx(kind, what, int(receipt["gasUsed"]), int(receipt["blockNumber"])))
        return receipt

    def local(self, ts: int) -> str:
        """``2026-06-02 16:40 CDT``."""
        return self.clock.timestamp_text(ts)


@dataclass
class Played:
    """What the run did, as its stages saw it (the report reads the chain for the rest)."""

    profile: ref.BandProfile
    points: list[ref.Measurement]
    summary: IncidentSummary
    response_id: int
    shed_action_id: int | None = None
    shed_report: bytes = b""
    batches: list[dict[str, Any]] = field(default_factory=list)


OnChain = Callable[[Protocol], None]
