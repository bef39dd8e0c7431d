"""Deploy and wire the fifteen protocol contracts from a configuration; write the manifest.

Used by ``scripts/deploy.py`` (``brownie run``) and by the demo. Every step is idempotent: a contract
already in the manifest (with code at its address) is not deployed again, a role already held is not
granted again, a region that exists is not added again. The manifest is written after every deployment,
so an interrupted run resumes where it stopped.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from web3 import Web3
from web3.contract import Contract

from oracles.chain.anvil import PROJECT_ROOT, dev_accounts
from oracles.chain.client import ChainClient
from oracles.chain.rpc import rpc_request
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR, Artifact, load_artifact
from oracles.protocol.manifest import ACCESS_CONTROLLED, PROTOCOL, DeployedContract, Manifest
from oracles.protocol.profiles import BuildProfile
from oracles.protocol.region_time import RegionClock, TimeZoneError

ADDRESS = r"^0x[0-9a-fA-F]{40}$"
TEST_TOKEN = "MockStablecoin"
TIMELOCK = "GridBalanceTimelock"  # OpenZeppelin's TimelockController (contracts/governance)
ZERO_ADDRESS = "0x" + "00" * 20
# the roles that administer the protocol: scripts/handover.py moves these to the new admin
ADMIN_ROLES = ("DEFAULT_ADMIN_ROLE", "REGION_ADMIN_ROLE")


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
    # the synchronous area whose band profile judges the region (G-5): 1 Continental Europe,
    # 2 Great Britain, 3 ERCOT-like, 4 the seed profile (any nominal frequency)
    area_id: int = Field(default=4, ge=1, le=255)
    # the meter interval: 15, 30 or 60 minutes, fixed once the region is added
    interval_minutes: Literal[15, 30, 60] = 60
    # the IANA time zone for people and files (R-8, docs/time-zones.md), "" for none; its standard
    # offset must be utc_offset_minutes
    time_zone: str = ""

    @model_validator(mode="after")
    def _zone_matches_the_offset(self) -> RegionConfig:
        if self.time_zone:
            try:
                RegionClock.of(self.utc_offset_minutes, self.time_zone, self.interval_minutes)
            except TimeZoneError as exc:
                raise ValueError(str(exc)) from None
        return self

    def as_tuple(self) -> tuple[int, ...]:
        return (
            self.capacity_kw,
            self.nominal_frequency_mhz,
            self.utc_offset_minutes,
            self.high_load_bps,
            self.critical_load_bps,
            self.area_id,
            self.interval_minutes,
        )


_ADDRESS_LISTS = (
    "verifiers",
    "meter_oracles",
    "weather_oracles",
    "forecast_oracles",
    "grid_oracles",
    "keepers",
    "root_proposers",
    "arbiters",
    "pausers",
    "kyc_attesters",
    "tokens",
)


class TimelockConfig(BaseModel):
    """An OpenZeppelin TimelockController for ``scripts/handover.py timelock``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    min_delay_seconds: int = Field(ge=0, le=30 * 86_400)
    proposers: list[str] = Field(min_length=1)
    # the zero address as an executor lets anyone execute a matured operation
    executors: list[str] = Field(min_length=1)


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
    # OptimisticSettlement (SPECIFICATION.md §11): who may propose roots, their bond, the window
    root_proposers: list[str] = Field(default_factory=list)
    root_bond_wei: int = Field(default=10**18, ge=0, lt=2**96)
    # O-3: the token part of the bond, basis points of the root's total (10 %: the value at risk)
    root_bond_bps: int = Field(default=1_000, ge=0, le=10_000)
    challenge_window_seconds: int = Field(default=86_400, ge=1, le=3 * 86_400)
    arbiters: list[str] = Field(default_factory=list)
    pausers: list[str] = Field(default_factory=list)
    kyc_attesters: list[str] = Field(default_factory=list)
    tokens: list[str] = Field(default_factory=list, description="ERC-20s to allowlist")
    deploy_test_token: bool = False
    timelock: TimelockConfig | None = None

    @model_validator(mode="after")
    def _check(self) -> DeployConfig:
        if self.threshold > len(self.verifiers):
            raise ValueError(
                f"threshold {self.threshold} exceeds the {len(self.verifiers)} verifiers"
            )
        for name, value in self.addresses():
            if not Web3.is_address(value):
                raise ValueError(f"{name}: {value!r} is not an address")
        return self

    def addresses(self) -> list[tuple[str, str]]:
        """Every (field, address) pair of the configuration."""
        out = [(name, a) for name in _ADDRESS_LISTS for a in getattr(self, name)]
        if self.timelock is not None:
            out += [("timelock.proposers", a) for a in self.timelock.proposers]
            out += [("timelock.executors", a) for a in self.timelock.executors]
        return out


def refuse_dev_accounts(deployer: str, config: DeployConfig, network: str) -> None:
    """On a non-development network, refuse a deployer or role holder whose key is public."""
    if Web3.to_checksum_address(deployer) in dev_accounts():
        raise DeploymentError(
            f"{network}: the deployer {deployer} is a well-known development account (its key is "
            "public); use your own keystore"
        )
    for name, a in config.addresses():
        if Web3.to_checksum_address(a) in dev_accounts():
            raise DeploymentError(
                f"{network}: {name} lists {a}, a well-known development account (its key is public)"
            )


def supports_push0(w3: Web3) -> bool:
    """Whether the chain runs Shanghai or later: a creation call whose code is PUSH0 STOP."""
    reply = rpc_request(w3, "eth_call", [{"data": "0x5f00"}, "latest"])
    return "error" not in reply


def check_profile(w3: Web3, build: BuildProfile, artifact: Artifact) -> None:
    """Refuse artifacts built for another profile, or a profile the chain cannot run."""
    built_for = artifact.compiler.get("evm_version", "")
    if built_for != build.evm_version:
        raise DeploymentError(
            f"{build.build_dir} holds code built for {built_for or 'an unknown EVM'}, "
            f"not {build.evm_version}; run 'make compile{'-london' if build.name == 'london' else ''}'"
        )
    if build.needs_push0 and not supports_push0(w3):
        raise DeploymentError(
            f"chain {w3.eth.chain_id} has no PUSH0 (pre-Shanghai rules): deploy the london build "
            "('make compile-london', then GRIDBALANCE_PROFILE=london)"
        )


def constructor_args(
    name: str, addresses: Mapping[str, str], deployer: str, cfg: DeployConfig
) -> tuple[Any, ...]:
    """The constructor arguments of a protocol contract, from the addresses deployed before it."""
    a = addresses
    table: dict[str, tuple[Any, ...]] = {
        "RegionRegistry": (deployer,),
        "IncentiveEscrow": (deployer,),
        TEST_TOKEN: (),
    }
    if "RegionRegistry" in a:
        table["UtilityRegistry"] = (deployer, a["RegionRegistry"], cfg.verifiers, cfg.threshold)
    if "UtilityRegistry" in a:
        table["ConsumerRegistry"] = (deployer, a["RegionRegistry"], a["UtilityRegistry"])
        table["GridOperatorRegistry"] = (a["UtilityRegistry"], a["RegionRegistry"])
    if "GridOperatorRegistry" in a:
        table["GridStability"] = (
            deployer,
            a["RegionRegistry"],
            a["GridOperatorRegistry"],
            a["UtilityRegistry"],
        )
    if "GridStability" in a and "LoadForecasting" in a:
        table["BalancingActions"] = (
            a["RegionRegistry"],
            a["GridOperatorRegistry"],
            a["ProgramRegistry"],
            a["UtilityRegistry"],
            a["ReductionRequests"],
            a["LoadForecasting"],
            a["GridStability"],
        )
    if "BalancingActions" in a:
        table["ShedCompensation"] = (
            a["BalancingActions"],
            a["RegionRegistry"],
            a["ConsumerRegistry"],
            a["MeterData"],
            a["IncentiveEscrow"],
        )
    if "ConsumerRegistry" in a:
        table["MeterData"] = (deployer, a["RegionRegistry"], a["ConsumerRegistry"])
    if "UtilityRegistry" in a and "IncentiveEscrow" in a:
        table["ProgramRegistry"] = (a["UtilityRegistry"], a["IncentiveEscrow"])
    if "MeterData" in a and "ConsumerRegistry" in a and "ProgramRegistry" in a:
        table["ReductionRequests"] = (
            deployer,
            a["RegionRegistry"],
            a["ProgramRegistry"],
            a["UtilityRegistry"],
            a["ConsumerRegistry"],
            a["IncentiveEscrow"],
            a["MeterData"],
        )
    if "ReductionRequests" in a:
        table["ProofSettlement"] = (
            a["ReductionRequests"],
            a["ProgramRegistry"],
            a["RegionRegistry"],
            a["ConsumerRegistry"],
            a["MeterData"],
        )
        table["Disputes"] = (
            deployer,
            a["ReductionRequests"],
            a["ProgramRegistry"],
            a["UtilityRegistry"],
            a["IncentiveEscrow"],
        )
        table["LoadForecasting"] = (
            deployer,
            a["RegionRegistry"],
            a["UtilityRegistry"],
            a["ReductionRequests"],
            a["ProgramRegistry"],
        )
    if "ProofSettlement" in a:
        table["OptimisticSettlement"] = (
            deployer,
            a["ReductionRequests"],
            a["ConsumerRegistry"],
            a["MeterData"],
            a["ProofSettlement"],
            a["ProgramRegistry"],
            cfg.root_bond_wei,
            cfg.root_bond_bps,
            cfg.challenge_window_seconds,
        )
    return table[name]


def timelock_args(cfg: TimelockConfig) -> tuple[Any, ...]:
    # no separate admin: the timelock administers itself
    return (cfg.min_delay_seconds, cfg.proposers, cfg.executors, ZERO_ADDRESS)


def _unique(holders: list[str]) -> list[str]:
    return list(dict.fromkeys(Web3.to_checksum_address(h) for h in holders))


def planned_roles(
    cfg: DeployConfig, a: Mapping[str, str], deployer: str, admin: str
) -> dict[str, list[str]]:
    """Every role of the protocol and the exact set of accounts that hold it.

    ``admin`` holds the admin roles (:data:`ADMIN_ROLES`). Until the handover (``admin`` is the
    deployer) the deployer also holds the escrow's PAUSER_ROLE, which its constructor grants; after
    it, the deployer holds nothing, even where the configuration names it."""
    handed_over = admin != deployer
    requests = a["ReductionRequests"]
    roles: dict[str, list[str]] = {}
    for name in ACCESS_CONTROLLED:
        roles[f"{name}.DEFAULT_ADMIN_ROLE"] = [admin]
    roles["RegionRegistry.REGION_ADMIN_ROLE"] = [admin]
    roles["UtilityRegistry.VERIFIER_ROLE"] = cfg.verifiers
    roles["UtilityRegistry.PROTOCOL_ROLE"] = [requests, a["Disputes"]]
    # O-10: the optimistic path writes track records too
    roles["ConsumerRegistry.SETTLEMENT_ROLE"] = [requests, a["OptimisticSettlement"]]
    roles["ConsumerRegistry.KYC_ATTESTER_ROLE"] = cfg.kyc_attesters
    roles["IncentiveEscrow.PROTOCOL_ROLE"] = [requests, a["ProgramRegistry"], a["Disputes"]]
    roles["IncentiveEscrow.PAUSER_ROLE"] = ([] if handed_over else [deployer]) + cfg.pausers
    roles["MeterData.METER_ORACLE_ROLE"] = cfg.meter_oracles
    # F-6 auto-triggers and G-14 DR activations create events
    roles["ReductionRequests.TRIGGER_ROLE"] = [a["LoadForecasting"], a["BalancingActions"]]
    roles["ReductionRequests.KEEPER_ROLE"] = cfg.keepers
    roles["ReductionRequests.SETTLER_ROLE"] = [a["ProofSettlement"]]
    roles["ReductionRequests.OPTIMISTIC_ROLE"] = [a["OptimisticSettlement"]]
    roles["ReductionRequests.DISPUTES_ROLE"] = [a["Disputes"]]
    roles["Disputes.ARBITER_ROLE"] = cfg.arbiters
    roles["OptimisticSettlement.PROPOSER_ROLE"] = cfg.root_proposers
    roles["LoadForecasting.WEATHER_ORACLE_ROLE"] = cfg.weather_oracles
    roles["LoadForecasting.FORECAST_ORACLE_ROLE"] = cfg.forecast_oracles
    roles["LoadForecasting.GRID_ORACLE_ROLE"] = cfg.grid_oracles
    roles["GridStability.GRID_ORACLE_ROLE"] = cfg.grid_oracles
    gone = Web3.to_checksum_address(deployer) if handed_over else None
    return {k: [h for h in _unique(v) if h != gone] for k, v in roles.items()}


def timelock_roles(cfg: TimelockConfig, timelock: str) -> dict[str, list[str]]:
    """The roles an OpenZeppelin TimelockController grants in its constructor."""
    return {
        f"{TIMELOCK}.DEFAULT_ADMIN_ROLE": [timelock],
        f"{TIMELOCK}.PROPOSER_ROLE": _unique(cfg.proposers),
        f"{TIMELOCK}.CANCELLER_ROLE": _unique(cfg.proposers),
        f"{TIMELOCK}.EXECUTOR_ROLE": _unique(cfg.executors),
    }


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
        profile_name: str = "cancun",
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
            if self.manifest.deployer and self.manifest.deployer != client.address:
                raise DeploymentError(
                    f"{manifest_path} was deployed by {self.manifest.deployer}, not {client.address}"
                )
            if self.manifest.config and self.manifest.config != config.model_dump():
                raise DeploymentError(
                    f"{manifest_path} was deployed with another configuration; a re-run must use "
                    "the same one (deploy to a fresh manifest to change it)"
                )
        else:
            self.manifest = Manifest(chain_id=chain_id, contracts={}, profile=profile_name)
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
                    f"{self.path} lists {name} at {known.address}, which has no code on chain "
                    f"{self.w3.eth.chain_id}: the manifest is from an earlier run of this chain (a "
                    f"restarted Anvil forgets its contracts); delete {self.path} to deploy afresh"
                )
            return self._contract(name, known.address)
        record = deploy_contract(self.client, self.artifacts[name], args, f"deploy {name}")
        book[name] = record
        self.deployed_now.append(name)
        self.manifest.save(self.path)
        return self._contract(name, record.address)

    def run(self) -> Manifest:
        cfg, me = self.config, self.client.address
        m = self.manifest
        if m.admin and m.admin != me:
            # handed over: nothing can be deployed or granted any more, only confirmed
            missing = [n for n in PROTOCOL if n not in m.contracts]
            if missing:
                raise DeploymentError(
                    f"admin roles were handed over to {m.admin} before {', '.join(missing)} "
                    "was deployed"
                )
        addresses: dict[str, str] = {}
        for name in PROTOCOL:
            deployed = self._deploy(name, constructor_args(name, addresses, me, cfg), m.contracts)
            addresses[name] = deployed.address
        contracts = {n: self._contract(n, a) for n, a in addresses.items()}
        tokens = list(cfg.tokens)
        if cfg.deploy_test_token:
            tokens.append(self._deploy(TEST_TOKEN, (), m.tokens).address)

        handed_over = bool(m.admin) and m.admin != me
        plan = planned_roles(cfg, addresses, me, m.admin or me)
        for key, holders in plan.items():
            name, role_name = key.split(".")
            contract = contracts[name]
            role = getattr(contract.functions, role_name)().call()
            for holder in holders:
                if contract.functions.hasRole(role, holder).call():
                    continue
                if handed_over:
                    raise DeploymentError(
                        f"{key} lacks {holder}, and the admin roles are with {m.admin} now"
                    )
                self.client.transact(
                    contract.functions.grantRole(role, holder), f"{key} grantRole({holder})"
                )
        m.roles = {**plan, **{k: v for k, v in m.roles.items() if k.startswith(f"{TIMELOCK}.")}}
        # the link has no getter: ForecastingSet is its on-chain record (verify reads the log)
        link = addresses["LoadForecasting"]
        if m.links.get("ReductionRequests.forecasting") != link:
            self.client.transact(
                contracts["ReductionRequests"].functions.setForecasting(link), "setForecasting"
            )
            m.links["ReductionRequests.forecasting"] = link
        # G-12: the system state joins the grid status events read (StabilitySet is its record)
        stability = addresses["GridStability"]
        if m.links.get("LoadForecasting.stability") != stability:
            self.client.transact(
                contracts["LoadForecasting"].functions.setStability(stability), "setStability"
            )
            m.links["LoadForecasting.stability"] = stability
        # G-16: automated responses run on every measurement batch (ResponderSet is its record)
        responder = addresses["BalancingActions"]
        if m.links.get("GridStability.responder") != responder:
            self.client.transact(
                contracts["GridStability"].functions.setResponder(responder), "setResponder"
            )
            m.links["GridStability.responder"] = responder
        escrow, regions = contracts["IncentiveEscrow"], contracts["RegionRegistry"]
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
            # a zone already set is not set again (`gridbalance region time-zone` changes it)
            if region.time_zone and not regions.functions.timeZone(region.id).call():
                self.client.transact(
                    regions.functions.setTimeZone(region.id, region.time_zone),
                    f"setTimeZone({region.id}, {region.time_zone})",
                )
        m.commit = m.commit if not self.deployed_now and m.commit else _git_commit()
        m.deployer = me
        m.admin = m.admin or me
        m.compiler = self.artifacts["RegionRegistry"].compiler
        m.config = cfg.model_dump()
        m.save(self.path)
        return m


def deploy_contract(
    client: ChainClient, artifact: Artifact, args: tuple[Any, ...], what: str
) -> DeployedContract:
    """Deploy one contract; the record keeps the encoded arguments and the nonce used."""
    encoded = encode_constructor_args(client.w3, artifact, args)
    data = "0x" + artifact.bytecode + encoded.removeprefix("0x")
    pending = client.submit_data(None, data, what)
    receipt = client.wait(pending)
    address = receipt["contractAddress"]
    if not address or not client.w3.eth.get_code(Web3.to_checksum_address(address)):
        raise DeploymentError(f"{what}: no code at the new address")
    return DeployedContract(
        address=Web3.to_checksum_address(address),
        tx_hash=str(receipt["transactionHash"]),
        block=receipt["blockNumber"],
        gas_used=receipt["gasUsed"],
        args=encoded,
        nonce=pending.nonce,
    )


def encode_constructor_args(w3: Web3, artifact: Artifact, args: tuple[Any, ...]) -> str:
    """``args`` ABI-encoded by the artifact's constructor (``0x``-prefixed)."""
    factory = w3.eth.contract(abi=artifact.abi, bytecode=artifact.bytecode)
    data = str(factory.constructor(*args).data_in_transaction)
    return "0x" + data[2 + len(artifact.bytecode) :]


def deploy_protocol(
    client: ChainClient,
    config: DeployConfig,
    manifest_path: Path,
    build_dir: Path = DEFAULT_BUILD_DIR,
    profile_name: str = "cancun",
) -> Manifest:
    """Deploy (or resume, or confirm) the protocol described by ``config``; return the manifest."""
    return Deployer(client, config, manifest_path, build_dir, profile_name).run()


def load_suite(
    *, with_test_tokens: bool, build_dir: Path = DEFAULT_BUILD_DIR
) -> dict[str, Artifact]:
    """Load and validate every artifact the suite needs, before any transaction is sent."""
    names = (*PROTOCOL, TEST_TOKEN) if with_test_tokens else PROTOCOL
    return {name: load_artifact(name, build_dir) for name in names}
