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
from oracles.protocol.bindings import (
    Consumer,
    DayInfo,
    DrEvent,
    HourRecord,
    Program,
    ProgramKind,
    RegionParams,
    RollingMape,
    RootRecord,
)
from oracles.protocol.manifest import PROTOCOL, Manifest, ManifestError
from oracles.protocol.region_time import RegionClock, TimeZoneError


@dataclass(frozen=True)
class Protocol:
    """The fifteen protocol contracts (and the payment token) bound to one web3 connection."""

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
    operators: Contract
    stability: Contract
    balancing: Contract
    compensation: Contract
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
                raise ManifestError(
                    f"no code at {name}'s address {address} on chain {chain_id}: the manifest is "
                    "from an earlier run of this chain (a restarted Anvil forgets its contracts); "
                    "deploy again to a fresh manifest, or use `gridbalance localnet up`, which keeps them"
                )
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
            c["GridOperatorRegistry"],
            c["GridStability"],
            c["BalancingActions"],
            c["ShedCompensation"],
            token,
            manifest,
            c,
        )

    # ------------------------------------------------------------------ typed reads (one call each)

    def program(self, program_id: int) -> Program:
        return Program.model_validate(self.programs.functions.program(program_id).call())

    def program_kind(self, program_id: int) -> ProgramKind:
        return ProgramKind.model_validate(self.programs.functions.programKind(program_id).call())

    def dr_event(self, event_id: int) -> DrEvent:
        return DrEvent.model_validate(self.requests.functions.drEvent(event_id).call())

    def consumer(self, account: str) -> Consumer:
        return Consumer.model_validate(self.consumers.functions.consumer(account).call())

    def region(self, region_id: int) -> RegionParams:
        return RegionParams.model_validate(self.regions.functions.region(region_id).call())

    def region_clock(self, region_id: int) -> RegionClock:
        """The region's clock (R-8): its standard-time days shown in its IANA zone. A zone set on
        chain that is unknown here or disagrees with the offset is ignored (the fixed offset shows)."""
        r = self.region(region_id)
        zone = str(self.regions.functions.timeZone(region_id).call())
        try:
            return RegionClock.of(r.utc_offset_minutes, zone, r.interval_minutes)
        except TimeZoneError:
            return RegionClock.of(r.utc_offset_minutes, "", r.interval_minutes)

    def meter_interval(self, region_id: int) -> int:
        """The region's meter interval in minutes (15, 30 or 60; fixed at addRegion, R-7)."""
        return int(self.regions.functions.meterInterval(region_id).call())

    def day_info(self, region_id: int, day: int) -> DayInfo:
        return DayInfo.model_validate(self.meter.functions.dayInfo(region_id, day).call())

    def hour_record(self, region_id: int, hour: int) -> HourRecord:
        reply = self.forecasting.functions.hourRecord(region_id, hour).call()
        return HourRecord.model_validate(reply)

    def root_record(self, event_id: int) -> RootRecord:
        return RootRecord.model_validate(self.optimistic.functions.rootRecord(event_id).call())

    def rolling_mape(self, region_id: int, last_hour: int, hours: int) -> RollingMape:
        reply = self.forecasting.functions.rollingMape(region_id, last_hour, hours).call()
        return RollingMape.model_validate(reply)
