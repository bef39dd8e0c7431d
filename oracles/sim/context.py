"""What the demo's stages share: its configuration, constants, time plan helpers and the run's state."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3

from oracles.chain.client import ChainClient, GasLedger
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.bindings import ProgramParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.region_time import RegionClock
from oracles.sim.simulator import Simulator

REGION_ID = 1
REGION_NAME = "Demo Valley (CAISO-like)"
UTC_OFFSET_MINUTES = -480
TIME_ZONE = "America/Los_Angeles"  # shown in the report and the chart; days stay in PST
DAY = 86_400
DECIMALS = 6
BASE_RATE = 500_000  # 0.50 mUSD per kWh
ADJ_CAP_BPS = 4_000  # the demo's program caps the day-of adjustment at +-40 % (B-5)


def program_params(token: str, *, signed_data: bool) -> ProgramParams:
    """The demo program's terms: ProgramParams' defaults, a +-40 % adjustment cap."""
    return ProgramParams(
        token=token, base_rate=BASE_RATE, adj_cap_bps=ADJ_CAP_BPS, signed_data=signed_data
    )


TRIGGER_MIN_HOURS, TRIGGER_MAX_HOURS = 2, 4
PIPELINE = 256  # transactions in flight before waiting for their receipts


class DemoError(RuntimeError):
    """The demo could not complete (the message says which stage and why)."""


SETTLE_BATCH = 100  # enrollments per settleBatch transaction (settlement="batch")


class DemoConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    consumers: int = Field(default=200, ge=10, le=100_000)
    seed: int = 7
    history_days: int = Field(default=14, ge=8, le=40)
    out_dir: Path | None = None
    build_dir: Path = DEFAULT_BUILD_DIR
    progress: bool = True
    # "proof": the keeper settles each enrollment with its meter proofs (ProofSettlement.settle);
    # "optimistic": it proposes one root of every result, finalizes it after the challenge window
    # and pays the entries in batches (OptimisticSettlement, SPECIFICATION.md §11)
    # "batch": settleBatch of up to SETTLE_BATCH enrollments per transaction (S-11)
    settlement: Literal["proof", "batch", "optimistic"] = "proof"
    # the program requires meter-signed data (S-10): keys registered, every meter signs its days;
    # False runs the same simulation unsigned (the benchmark measures the difference)
    signed_data: bool = True
    # the region's meter interval: 60 is the hourly demo; at 15 or 30 minutes the meters post
    # 96 or 48 readings a day and the utility creates a sub-hourly event (oracles/sim/utility_event.py)
    interval_minutes: Literal[15, 30, 60] = 60


def local_day(ts: int) -> int:
    return (ts + 60 * UTC_OFFSET_MINUTES) // DAY


def day_start(day: int) -> int:
    return day * DAY - 60 * UTC_OFFSET_MINUTES


def consumer_address(seed: int, index: int) -> str:
    return Web3.to_checksum_address(keccak(text=f"gridbalance-demo-{seed}-{index}")[12:])


@dataclass
class Run:
    """Everything the stages share."""

    cfg: DemoConfig
    w3: Web3
    url: str
    p: Protocol
    ledger: GasLedger
    decoder: ErrorDecoder
    sim: Simulator
    first_day: int
    event_day: int
    clients: dict[str, ChainClient]
    consumer_ids: list[int]
    out_dir: Path

    @property
    def clock(self) -> RegionClock:
        """The demo region's clock: standard-time days shown in :data:`TIME_ZONE`."""
        return RegionClock.of(UTC_OFFSET_MINUTES, TIME_ZONE, self.cfg.interval_minutes)
