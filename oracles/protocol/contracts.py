"""The deployed protocol as web3.py contracts, found through a deployment manifest.

The manifest (:mod:`oracles.protocol.manifest`) names each contract's address; the ABIs come from
Brownie's build artifacts.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from web3 import Web3
from web3.contract import Contract

from oracles.protocol.artifacts import DEFAULT_BUILD_DIR, load_artifact
from oracles.protocol.manifest import PROTOCOL, Manifest, ManifestError


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
