"""The deployed protocol as web3.py contracts, found through a deployment manifest.

A manifest (``deployments/<chainId>.json``, or the demo's ``reports/<run>/deployment.json``) names
each contract's address; the ABIs come from Brownie's build artifacts. :class:`ErrorDecoder` turns
a revert's custom-error data back into ``Name(arg, ...)`` for one-line messages.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field
from web3 import Web3
from web3.contract import Contract

from oracles.protocol.artifacts import (
    DEFAULT_BUILD_DIR,
    ArtifactError,
    load_artifact,
    load_json_model,
)

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
)
# the protocol contracts built on AccessControl (ProgramRegistry and ProofSettlement hold no roles)
ACCESS_CONTROLLED: tuple[str, ...] = tuple(
    n for n in PROTOCOL if n not in ("ProgramRegistry", "ProofSettlement")
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


@dataclass(frozen=True)
class Protocol:
    """The eleven protocol contracts (and the payment token) bound to one web3 connection."""

    w3: Web3
    regions: Contract
    utilities: Contract
    consumers: Contract
    escrow: Contract
    meter: Contract
    requests: Contract
    forecasting: Contract
    optimistic: Contract
    programs: Contract
    proofs: Contract
    disputes: Contract
    token: Contract | None
    manifest: Manifest
    # the same contracts by name (PROTOCOL order)
    by_name: dict[str, Contract]

    @classmethod
    def connect(cls, w3: Web3, manifest: Manifest, build_dir: Path = DEFAULT_BUILD_DIR) -> Protocol:
        chain_id = w3.eth.chain_id
        if chain_id != manifest.chain_id:
            raise ManifestError(
                f"manifest is for chain {manifest.chain_id}, the RPC serves chain {chain_id}"
            )
        missing = [n for n in PROTOCOL if n not in manifest.contracts]
        if missing:
            raise ManifestError(f"manifest lacks {', '.join(missing)}")

        def bind(name: str, address: str) -> Contract:
            abi = load_artifact(name, build_dir).abi
            if not w3.eth.get_code(Web3.to_checksum_address(address)):
                raise ManifestError(f"no code at {name}'s address {address} on chain {chain_id}")
            return w3.eth.contract(address=Web3.to_checksum_address(address), abi=abi)

        c = {name: bind(name, manifest.contracts[name].address) for name in PROTOCOL}
        token = None
        if manifest.tokens:
            name, rec = next(iter(manifest.tokens.items()))
            token = bind(name, rec.address)
        return cls(
            w3,
            c["RegionRegistry"],
            c["UtilityRegistry"],
            c["ConsumerRegistry"],
            c["IncentiveEscrow"],
            c["MeterData"],
            c["ReductionRequests"],
            c["LoadForecasting"],
            c["OptimisticSettlement"],
            c["ProgramRegistry"],
            c["ProofSettlement"],
            c["Disputes"],
            token,
            manifest,
            c,
        )


class ErrorDecoder:
    """Custom-error selectors of every contract in the build, decoded to ``Name(args)``."""

    def __init__(self, build_dir: Path = DEFAULT_BUILD_DIR) -> None:
        self.errors: dict[bytes, tuple[str, list[str]]] = {}
        for path in sorted(build_dir.glob("*.json")):
            try:
                abi = load_artifact(path.stem, build_dir).abi
            except ArtifactError:
                continue
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [_abi_type(i) for i in item.get("inputs", [])]
                sig = f"{item['name']}({','.join(types)})"
                self.errors[keccak(text=sig)[:4]] = (item["name"], types)

    def decode(self, data: str | bytes) -> str:
        raw = (
            bytes.fromhex(data[2:] if data.startswith("0x") else data)
            if isinstance(data, str)
            else data
        )
        if len(raw) < 4:
            return "reverted without a reason"
        if raw[:4] == keccak(text="Error(string)")[:4]:
            return str(abi_decode(["string"], raw[4:])[0])
        known = self.errors.get(raw[:4])
        if known is None:
            return f"unknown custom error 0x{raw[:4].hex()}"
        name, types = known
        try:
            args = abi_decode(types, raw[4:])
        except Exception:  # malformed arguments: show the name at least
            return f"{name}(?)"
        shown = ", ".join("0x" + a.hex() if isinstance(a, bytes) else str(a) for a in args)
        return f"{name}({shown})"


def _abi_type(param: dict[str, Any]) -> str:
    t = str(param["type"])
    if t.startswith("tuple"):
        inner = ",".join(_abi_type(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return t
