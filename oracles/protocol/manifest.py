"""A deployment manifest: where a deployment put each contract, its roles, links and configuration.

``deployments/<chainId>.json`` (or the demo's ``reports/<run>/deployment.json``) is written by
:mod:`oracles.ops.deploy` and read by every client through :class:`oracles.protocol.contracts.Protocol`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from oracles.protocol.artifacts import load_json_model

# deployment order; constructor arguments are built in oracles.ops.deploy
PROTOCOL: tuple[str, ...] = (
    "RegionRegistry",
    "UtilityRegistry",
    "ConsumerRegistry",
    "IncentiveEscrow",
    "MeterData",
    "ProgramRegistry",
    "ReductionRequests",
    "ProofSettlement",
    "Disputes",
    "LoadForecasting",
    "OptimisticSettlement",
    "GridOperatorRegistry",
    "GridStability",
    "BalancingActions",
    "ShedCompensation",
)
# the protocol contracts built on AccessControl (ProgramRegistry, ProofSettlement,
# GridOperatorRegistry, BalancingActions and ShedCompensation hold no roles: GridOperatorRegistry
# asks the UtilityRegistry's council, BalancingActions the operators' registry, ShedCompensation
# the actions' operators and the consumers' registry)
ACCESS_CONTROLLED: tuple[str, ...] = tuple(
    n
    for n in PROTOCOL
    if n
    not in (
        "ProgramRegistry",
        "ProofSettlement",
        "GridOperatorRegistry",
        "BalancingActions",
        "ShedCompensation",
    )
)


class ManifestError(ValueError):
    """A manifest is missing, malformed, or does not match the chain."""


class DeployedContract(BaseModel):
    model_config = ConfigDict(frozen=True)

    address: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")
    tx_hash: str = ""
    block: int = 0
    gas_used: int = 0
    # the ABI-encoded constructor arguments and the deployer's nonce: enough to rebuild the exact
    # runtime code (immutables included) with one eth_call (scripts/verify_deployment.py)
    args: str = ""
    nonce: int | None = None


class Manifest(BaseModel):
    """Where a deployment put things (written by oracles.ops.deploy; read by every client)."""

    model_config = ConfigDict(extra="allow")

    chain_id: int
    contracts: dict[str, DeployedContract]
    tokens: dict[str, DeployedContract] = Field(default_factory=dict)
    # "Contract.ROLE" -> every account that must hold the role, and no other
    roles: dict[str, list[str]] = Field(default_factory=dict)
    # links set by a transaction rather than a constructor ("ReductionRequests.forecasting")
    links: dict[str, str] = Field(default_factory=dict)
    commit: str = ""
    deployer: str = ""
    # who holds the admin roles: the deployer until scripts/handover.py moves them
    admin: str = ""
    timelock: DeployedContract | None = None
    profile: str = "cancun"
    compiler: dict[str, Any] = Field(default_factory=dict)
    # the deployment configuration (oracles.ops.deploy.DeployConfig), as used
    config: dict[str, Any] = Field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        return load_json_model(
            path, cls, ManifestError, "manifest not found (deploy first, or pass --manifest)"
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.model_dump(), indent=2) + "\n")
        tmp.replace(path)


def default_manifest_path(chain_id: int, root: Path | None = None) -> Path:
    from oracles.chain.anvil import PROJECT_ROOT

    return (root or PROJECT_ROOT) / "deployments" / f"{chain_id}.json"
