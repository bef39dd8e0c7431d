"""Deploy and wire the seven protocol contracts from a configuration; write the manifest.

Used by ``scripts/deploy.py`` (``brownie run``) and by the demo. Every step is idempotent: a contract
already in the manifest (with code at its address) is not deployed again, a role already held is not
granted again, a region that exists is not added again. The manifest is written after every deployment,
so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from web3 import Web3
from web3.contract import Contract

from oracles.artifacts import DEFAULT_BUILD_DIR, Artifact, load_artifact
from oracles.chain import ChainClient
from oracles.contracts import PROTOCOL, DeployedContract, Manifest
from oracles.devchain import PROJECT_ROOT

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
TEST_TOKEN = "MockStablecoin"


class DeploymentError(RuntimeError):
    """A deployment transaction failed or reverted."""


class RegionConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: int = Field(ge=1, le=2**16 - 1)
    name: str = Field(min_length=1, max_length=64)
    capacity_kw: int = Field(gt=0, lt=2**32)
    nominal_frequency_mhz: int = 60_000
    utc_offset_minutes: int = Field(ge=-720, le=840)
    high_load_bps: int = 8_000
    critical_load_bps: int = 9_500
    frequency_tolerance_mhz: int = 500
    voltage_tolerance_bps: int = 500

    def as_tuple(self) -> tuple[int, ...]:
        return (
            self.capacity_kw,
            self.nominal_frequency_mhz,
            self.utc_offset_minutes,
            self.high_load_bps,
            self.critical_load_bps,
            self.frequency_tolerance_mhz,
            self.voltage_tolerance_bps,
        )


class DeployConfig(BaseModel):
    """Who holds which role after deployment (addresses), and the regions to define."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    regions: list[RegionConfig] = Field(min_length=1)
    verifiers: list[str] = Field(min_length=1)
    threshold: int = Field(ge=1)
    meter_oracles: list[str] = Field(default_factory=list)
    weather_oracles: list[str] = Field(default_factory=list)
    forecast_oracles: list[str] = Field(default_factory=list)
    grid_oracles: list[str] = Field(default_factory=list)
    keepers: list[str] = Field(default_factory=list)
    arbiters: list[str] = Field(default_factory=list)
    pausers: list[str] = Field(default_factory=list)
    kyc_attesters: list[str] = Field(default_factory=list)
    tokens: list[str] = Field(default_factory=list, description="ERC-20s to allowlist")
    deploy_test_token: bool = False

    @model_validator(mode="after")
    def _check(self) -> DeployConfig:
        if self.threshold > len(self.verifiers):
            raise ValueError(
                f"threshold {self.threshold} exceeds the {len(self.verifiers)} verifiers"
            )
        for name in ("verifiers", "meter_oracles", "weather_oracles", "forecast_oracles",
                     "grid_oracles", "keepers", "arbiters", "pausers", "kyc_attesters", "tokens"):  # fmt: skip
            for a in getattr(self, name):
                if not Web3.is_address(a):
                    raise ValueError(f"{name}: {a!r} is not an address")
        return self


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
            cwd=PROJECT_ROOT,
            timeout=10,
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


class Deployer:
    """Runs the deployment plan with one :class:`ChainClient` (the deployer, admin of everything)."""

    def __init__(
        self,
        client: ChainClient,
        config: DeployConfig,
        manifest_path: Path,
        build_dir: Path = DEFAULT_BUILD_DIR,
    ) -> None:
        self.client = client
        self.w3 = client.w3
        self.config = config
        self.path = manifest_path
        self.build_dir = build_dir
        chain_id = client.chain_id
        if manifest_path.exists():
            self.manifest = Manifest.load(manifest_path)
            if self.manifest.chain_id != chain_id:
                raise DeploymentError(
                    f"{manifest_path} is for chain {self.manifest.chain_id}, not {chain_id}"
                )
        else:
            self.manifest = Manifest(chain_id=chain_id, contracts={})
        self.artifacts: dict[str, Artifact] = {
            n: load_artifact(n, build_dir)
            for n in (*PROTOCOL, *((TEST_TOKEN,) if config.deploy_test_token else ()))
        }
        self.deployed_now: list[str] = []

    # ------------------------------------------------------------------ steps

    def _contract(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=self.artifacts[name].abi
        )

    def _deploy(
        self, name: str, args: tuple[Any, ...], book: dict[str, DeployedContract]
    ) -> Contract:
        known = book.get(name)
        if known is not None:
            if not self.w3.eth.get_code(Web3.to_checksum_address(known.address)):
                raise DeploymentError(
                    f"{self.path} lists {name} at {known.address}, which has no code"
                )
            return self._contract(name, known.address)
        artifact = self.artifacts[name]
        factory = self.w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
        data = factory.constructor(*args).data_in_transaction
        receipt = self.client.wait(self.client.submit_data(None, data, f"deploy {name}"))
        address = receipt["contractAddress"]
        if not address or not self.w3.eth.get_code(Web3.to_checksum_address(address)):
            raise DeploymentError(f"deploy {name}: no code at the new address")
        book[name] = DeployedContract(
            address=Web3.to_checksum_address(address),
            tx_hash=str(receipt["transactionHash"]),
            block=receipt["blockNumber"],
            gas_used=receipt["gasUsed"],
        )
        self.deployed_now.append(name)
        self.manifest.save(self.path)
        return self._contract(name, address)

    def _grant(self, contract: Contract, role_name: str, holder: str, label: str) -> None:
        role = getattr(contract.functions, role_name)().call()
        holder = Web3.to_checksum_address(holder)
        if not contract.functions.hasRole(role, holder).call():
            self.client.transact(
                contract.functions.grantRole(role, holder), f"{label}.grantRole({role_name})"
            )
        self.manifest.roles.setdefault(f"{label}.{role_name}", [])
        if holder not in self.manifest.roles[f"{label}.{role_name}"]:
            self.manifest.roles[f"{label}.{role_name}"].append(holder)

    def run(self) -> Manifest:
        cfg, admin = self.config, self.client.address
        c = self.manifest.contracts
        regions = self._deploy("RegionRegistry", (admin,), c)
        utilities = self._deploy(
            "UtilityRegistry", (admin, regions.address, cfg.verifiers, cfg.threshold), c
        )
        consumers = self._deploy("ConsumerRegistry", (admin, regions.address, utilities.address), c)
        escrow = self._deploy("IncentiveEscrow", (admin,), c)
        meter = self._deploy("MeterData", (admin, regions.address), c)
        requests = self._deploy(
            "ReductionRequests",
            (
                admin,
                regions.address,
                utilities.address,
                consumers.address,
                escrow.address,
                meter.address,
            ),
            c,
        )
        forecasting = self._deploy(
            "LoadForecasting", (admin, regions.address, utilities.address, requests.address), c
        )
        tokens = list(cfg.tokens)
        if cfg.deploy_test_token:
            tokens.append(self._deploy(TEST_TOKEN, (), self.manifest.tokens).address)

        # protocol wiring (contract -> contract)
        self._grant(utilities, "PROTOCOL_ROLE", requests.address, "UtilityRegistry")
        self._grant(consumers, "SETTLEMENT_ROLE", requests.address, "ConsumerRegistry")
        self._grant(escrow, "PROTOCOL_ROLE", requests.address, "IncentiveEscrow")
        self._grant(requests, "TRIGGER_ROLE", forecasting.address, "ReductionRequests")
        # the link is private (no getter): the manifest records that it was set
        if self.manifest.roles.get("ReductionRequests.forecasting") != [forecasting.address]:
            self.client.transact(
                requests.functions.setForecasting(forecasting.address), "setForecasting"
            )
            self.manifest.roles["ReductionRequests.forecasting"] = [forecasting.address]
        # operators (config -> roles)
        for role, holders, contract, label in (
            ("METER_ORACLE_ROLE", cfg.meter_oracles, meter, "MeterData"),
            ("WEATHER_ORACLE_ROLE", cfg.weather_oracles, forecasting, "LoadForecasting"),
            ("FORECAST_ORACLE_ROLE", cfg.forecast_oracles, forecasting, "LoadForecasting"),
            ("GRID_ORACLE_ROLE", cfg.grid_oracles, forecasting, "LoadForecasting"),
            ("KEEPER_ROLE", cfg.keepers, requests, "ReductionRequests"),
            ("ARBITER_ROLE", cfg.arbiters, requests, "ReductionRequests"),
            ("PAUSER_ROLE", cfg.pausers, escrow, "IncentiveEscrow"),
            ("KYC_ATTESTER_ROLE", cfg.kyc_attesters, consumers, "ConsumerRegistry"),
        ):
            for holder in holders:
                self._grant(contract, role, holder, label)
        for token in tokens:
            if not escrow.functions.isTokenAllowed(token).call():
                self.client.transact(
                    escrow.functions.setTokenAllowed(token, True), "setTokenAllowed"
                )
        for region in cfg.regions:
            if not regions.functions.regionExists(region.id).call():
                self.client.transact(
                    regions.functions.addRegion(region.id, region.name, region.as_tuple()),
                    f"addRegion({region.id})",
                )
        self.manifest.commit = _git_commit()
        self.manifest.deployer = admin
        self.manifest.compiler = self.artifacts["RegionRegistry"].compiler
        self.manifest.save(self.path)
        return self.manifest


def deploy_protocol(
    client: ChainClient,
    config: DeployConfig,
    manifest_path: Path,
    build_dir: Path = DEFAULT_BUILD_DIR,
) -> Manifest:
    """Deploy (or resume, or confirm) the protocol described by ``config``; return the manifest."""
    return Deployer(client, config, manifest_path, build_dir).run()


def load_suite(
    *, with_test_tokens: bool, build_dir: Path = DEFAULT_BUILD_DIR
) -> dict[str, Artifact]:
    """Load and validate every artifact the suite needs, before any transaction is sent."""
    names = (*PROTOCOL, TEST_TOKEN) if with_test_tokens else PROTOCOL
    return {name: load_artifact(name, build_dir) for name in names}
