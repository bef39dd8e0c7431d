"""Deploy the GridBalance contracts with web3.py from Brownie's build artifacts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.types import TxReceipt

from oracles.artifacts import DEFAULT_BUILD_DIR, Artifact, load_artifact

# What the suite consists of today, in deployment order, with constructor arguments built from
# the admin address. Later issues add the five protocol contracts here.
SUITE: tuple[str, ...] = ("RegionRegistry",)
TEST_TOKENS: tuple[str, ...] = ("MockStablecoin",)


class DeploymentError(RuntimeError):
    """A deployment transaction failed or reverted."""


@dataclass(frozen=True)
class Deployed:
    name: str
    address: str
    tx_hash: str
    block: int
    gas_used: int


def wait(w3: Web3, tx_hash: HexBytes, what: str) -> TxReceipt:
    receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=60, poll_latency=0.01)
    if receipt["status"] != 1:
        raise DeploymentError(f"{what}: transaction {tx_hash.hex()} reverted")
    return receipt


def load_suite(
    *, with_test_tokens: bool, build_dir: Path = DEFAULT_BUILD_DIR
) -> dict[str, Artifact]:
    """Load and validate every artifact the suite needs, before any transaction is sent."""
    names = (*SUITE, *TEST_TOKENS) if with_test_tokens else SUITE
    return {name: load_artifact(name, build_dir) for name in names}


def deploy(w3: Web3, artifact: Artifact, sender: str, *args: Any) -> tuple[Contract, Deployed]:
    """Deploy one contract from its artifact and return the bound contract and a record of it."""
    name = artifact.contract_name
    if not artifact.deployable:
        raise DeploymentError(f"{name} is abstract or an interface: it has no bytecode")
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    tx_hash = factory.constructor(*args).transact({"from": sender})
    receipt = wait(w3, tx_hash, f"deploy {name}")
    address = receipt["contractAddress"]
    if address is None or not w3.eth.get_code(address):
        raise DeploymentError(f"deploy {name}: no code at the new address")
    record = Deployed(name, address, tx_hash.hex(), receipt["blockNumber"], receipt["gasUsed"])
    return w3.eth.contract(address=address, abi=artifact.abi), record


def deploy_suite(
    w3: Web3, admin: str, artifacts: dict[str, Artifact]
) -> dict[str, tuple[Contract, Deployed]]:
    """Deploy the artifacts from :func:`load_suite`: the suite, then any test tokens."""
    out: dict[str, tuple[Contract, Deployed]] = {}
    for name, artifact in artifacts.items():
        args = (admin,) if name in SUITE else ()
        out[name] = deploy(w3, artifact, admin, *args)
    return out
