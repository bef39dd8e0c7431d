"""A deployed protocol on a real Anvil for the daemon tests: one region, N active consumers, and a
day that has ended (M-1), reset after every test by ``fresh``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.agents.meter_oracle import MeterOracle
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import Anvil, rpc_call, set_time, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.contracts import Protocol
from oracles.protocol.meter_batches import day_batches
from oracles.reference.meter_leaf import ConsumerDay

REGION, OFFSET, N = 1, -480, 6


@dataclass
class Chain:
    anvil: Anvil
    w3: Web3
    p: Protocol
    oracle: str
    day: int
    snapshot: str


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Chain]:
    with start_anvil(accounts=4, gas_limit=30_000_000, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        admin, verifier, oracle, _ = w3.eth.accounts
        client = ChainClient(w3, NodeSigner(admin))
        cfg = DeployConfig(
            regions=[RegionConfig(id=REGION, name="Test", capacity_kw=10_000, utc_offset_minutes=OFFSET)],
            verifiers=[verifier], threshold=1, meter_oracles=[oracle], kyc_attesters=[admin],
        )  # fmt: skip
        manifest = deploy_protocol(client, cfg, tmp_path_factory.mktemp("m") / "deployment.json")
        p = Protocol.connect(w3, manifest)
        rpc_call(anvil.url, "anvil_autoImpersonateAccount", [True])
        for i in range(N):
            account = Web3.to_checksum_address(keccak(text=f"consumer-{i}")[12:])
            rpc_call(anvil.url, "anvil_setBalance", [account, hex(10**18)])
            ChainClient(w3, NodeSigner(account)).transact(
                p.consumers.functions.register(
                    0, REGION, keccak(text=f"m{i}"), 1_000, 1, (0, 10, 2**24 - 1)
                ),
                "register",
            )
            client.transact(
                p.consumers.functions.activate(account, b"\x01" * 32, b"\x02" * 32), "activate"
            )
        now = int(w3.eth.get_block("latest")["timestamp"])
        day = (now + 60 * OFFSET) // 86_400
        set_time(anvil.url, (day + 1) * 86_400 - 60 * OFFSET + 60)  # the day has ended (M-1)
        snapshot = str(rpc_call(anvil.url, "evm_snapshot"))
        yield Chain(anvil, w3, p, oracle, day, snapshot)


@pytest.fixture
def fresh(chain: Chain) -> Iterator[Chain]:
    yield chain
    rpc_call(chain.anvil.url, "evm_revert", [chain.snapshot])
    chain.snapshot = str(rpc_call(chain.anvil.url, "evm_snapshot"))


def records(day: int, ids: range) -> list[ConsumerDay]:
    return [
        ConsumerDay(
            consumer_id=i, region_id=REGION, day=day, readings=tuple(100 * i + h for h in range(24))
        )
        for i in ids
    ]


def oracle_for(c: Chain, db: Path, batch_size: int = 3) -> MeterOracle:
    client = ChainClient(c.w3, NodeSigner(c.oracle))
    return MeterOracle(
        c.p, client, Outbox(db), rejects_path=db.parent / "rejects.jsonl", batch_size=batch_size
    )


def on_chain_ids(c: Chain) -> list[int]:
    return [r.consumer_id for b in day_batches(c.p.meter, REGION, c.day) for r in b.records]


def day_csv(c: Chain, path: Path, base_wh: dict[str, int], extra: list[str] | None = None) -> Path:
    """A meter CSV of the fixture's day: meter ``m`` reads ``base_wh[m] + h`` Wh in hour ``h``; then
    the ``extra`` lines."""
    from datetime import UTC, datetime

    midnight = c.day * 86_400 - 60 * OFFSET
    rows = ["meter_id,interval_start,interval_seconds,wh"]
    for h in range(24):
        start = datetime.fromtimestamp(midnight + 3600 * h, tz=UTC).isoformat()
        rows += [f"{meter},{start},3600,{base + h}" for meter, base in base_wh.items()]
    path.write_text("\n".join(rows + (extra or [])) + "\n")
    return path


def oracle_meter_args(c: Chain, tmp_path: Path, csv: Path) -> list[str]:
    """``gridbalance oracle meter`` arguments for the fixture's chain, as the oracle account."""
    manifest = tmp_path / "manifest.json"
    c.p.manifest.save(manifest)
    return ["oracle", "meter", "--rpc", c.anvil.url, "--manifest", str(manifest), "--account", "2",
            "--region", str(REGION), "--csv", str(csv), "--outbox", str(tmp_path / "o.sqlite"),
            "--rejects", str(tmp_path / "rejects.jsonl")]  # fmt: skip


def daemon_args(c: Chain, tmp_path: Path) -> list[str]:
    """The daemon as its own process, 2 consumer-days per batch, on every meter of the fixture."""
    csv = day_csv(c, tmp_path / "day.csv", {f"m{i}": 100 * i for i in range(N)})
    gridbalance = Path(sys.executable).parent / "gridbalance"
    return [str(gridbalance), *oracle_meter_args(c, tmp_path, csv), "--batch-size", "2"]


def outbox_counts(db: Path) -> dict[str, int]:
    outbox = Outbox(db)
    try:
        return outbox.counts()
    finally:
        outbox.close()
