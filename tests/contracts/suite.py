"""Deploy and wire the whole protocol for the contract tests, plus small builders used across them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from oracles.protocol.bindings import ProgramParams
from oracles.reference import meter_leaf
from oracles.reference.baseline_days import is_weekend
from oracles.reference.meter_leaf import Channel, ConsumerDay
from oracles.reference.meter_multiproof import Located
from tests.contracts.helpers import DEFAULT_REGION, region_tuple

REGION = 1
OTHER_REGION = 2
SECONDS_PER_DAY = 86_400
ROOT_BOND = 10**18  # wei, an optimistic root's bond (O-3)
ROOT_BOND_BPS = 1_000  # its token part, basis points of the root's total (O-3)
CHALLENGE_WINDOW = 86_400  # seconds (O-4)
OFFSET_MINUTES = -480  # DEFAULT_REGION's UTC offset
HOURS_ALL = (1 << 24) - 1
ZERO_ADDRESS = "0x" + "00" * 20

# ProgramParams' defaults (the package's one builder, oracles.protocol.bindings.ProgramParams) at
# 0.50 mUSD (6 decimals) per kWh, by Solidity name; class bits: residential 1, commercial 2, industrial 4
DEFAULT_PROGRAM: dict[str, Any] = dict(
    zip(
        ProgramParams.abi_names(),
        ProgramParams(token=ZERO_ADDRESS, base_rate=500_000).abi(),
        strict=True,
    )
)
del DEFAULT_PROGRAM["token"]


def program_tuple(token: Any, **overrides: int) -> tuple[Any, ...]:
    """createProgram's ProgramParams: the defaults with ``overrides`` by Solidity name, unvalidated
    (tests send out-of-range values on purpose), in the binding's field order."""
    unknown = set(overrides) - set(DEFAULT_PROGRAM)
    assert not unknown, f"no such ProgramParams field: {unknown}"
    p = {**DEFAULT_PROGRAM, "token": token, **overrides}
    return tuple(p[name] for name in ProgramParams.abi_names())


def prefs(min_rate: int = 0, max_events: int = 30, hours: int = HOURS_ALL) -> tuple[int, int, int]:
    return (min_rate, max_events, hours)


@dataclass
class Suite:
    regions: Any
    utilities: Any
    consumers: Any
    escrow: Any
    meter: Any
    requests: Any
    forecasting: Any
    token: Any
    optimistic: Any
    programs: Any
    proofs: Any
    disputes: Any
    operators: Any = None  # GridOperatorRegistry (G-1..G-4)
    stability: Any = None  # GridStability (G-7..G-12)
    balancing: Any = None  # BalancingActions (G-13..G-16)
    compensation: Any = None  # ShedCompensation (G-17)
    roles: dict[str, Any] = field(default_factory=dict)


def deploy_suite(
    *,
    admin: Any,
    region_admin: Any,
    verifiers: list[Any],
    utility: Any,
    oracle: Any,
    keeper: Any,
    arbiter: Any,
    token: Any,
) -> Suite:
    from brownie import (
        BalancingActions,
        ConsumerRegistry,
        Disputes,
        GridOperatorRegistry,
        GridStability,
        IncentiveEscrow,
        LoadForecasting,
        MeterData,
        OptimisticSettlement,
        ProgramRegistry,
        ProofSettlement,
        ReductionRequests,
        RegionRegistry,
        ShedCompensation,
        UtilityRegistry,
    )

    tx = {"from": admin}
    regions = RegionRegistry.deploy(admin, tx)
    regions.grantRole(regions.REGION_ADMIN_ROLE(), region_admin, tx)
    regions.addRegion(REGION, "CAISO NP15", region_tuple(), {"from": region_admin})
    regions.addRegion(
        OTHER_REGION, "ERCOT North", region_tuple(utcOffsetMinutes=-360), {"from": region_admin}
    )
    utilities = UtilityRegistry.deploy(admin, regions, verifiers, 2, tx)
    operators = GridOperatorRegistry.deploy(utilities, regions, tx)
    consumers = ConsumerRegistry.deploy(admin, regions, utilities, tx)
    escrow = IncentiveEscrow.deploy(admin, tx)
    meter = MeterData.deploy(admin, regions, consumers, tx)
    programs = ProgramRegistry.deploy(utilities, escrow, tx)
    requests = ReductionRequests.deploy(
        admin, regions, programs, utilities, consumers, escrow, meter, tx
    )
    proofs = ProofSettlement.deploy(requests, programs, regions, consumers, meter, tx)
    disputes = Disputes.deploy(admin, requests, programs, utilities, escrow, tx)
    forecasting = LoadForecasting.deploy(admin, regions, utilities, requests, programs, tx)
    optimistic = OptimisticSettlement.deploy(
        admin,
        requests,
        consumers,
        meter,
        proofs,
        programs,
        ROOT_BOND,
        ROOT_BOND_BPS,
        CHALLENGE_WINDOW,
        tx,
    )

    for protocol in (requests, disputes):
        utilities.grantRole(utilities.PROTOCOL_ROLE(), protocol, tx)
    for settler in (requests, optimistic):  # O-10: both paths write track records
        consumers.grantRole(consumers.SETTLEMENT_ROLE(), settler, tx)
    for protocol in (requests, programs, disputes):
        escrow.grantRole(escrow.PROTOCOL_ROLE(), protocol, tx)
    escrow.setTokenAllowed(token, True, tx)
    meter.grantRole(meter.METER_ORACLE_ROLE(), oracle, tx)
    requests.grantRole(requests.TRIGGER_ROLE(), forecasting, tx)
    requests.grantRole(requests.KEEPER_ROLE(), keeper, tx)
    requests.grantRole(requests.SETTLER_ROLE(), proofs, tx)
    disputes.grantRole(disputes.ARBITER_ROLE(), arbiter, tx)
    requests.setForecasting(forecasting, tx)
    requests.grantRole(requests.OPTIMISTIC_ROLE(), optimistic, tx)
    requests.grantRole(requests.DISPUTES_ROLE(), disputes, tx)
    optimistic.grantRole(optimistic.PROPOSER_ROLE(), keeper, tx)
    for role in ("WEATHER_ORACLE_ROLE", "FORECAST_ORACLE_ROLE", "GRID_ORACLE_ROLE"):
        forecasting.grantRole(getattr(forecasting, role)(), oracle, tx)
    stability = GridStability.deploy(admin, regions, operators, utilities, tx)
    stability.grantRole(stability.GRID_ORACLE_ROLE(), oracle, tx)
    forecasting.setStability(stability, tx)
    balancing = BalancingActions.deploy(
        regions, operators, programs, utilities, requests, forecasting, stability, tx
    )
    requests.grantRole(requests.TRIGGER_ROLE(), balancing, tx)  # G-14 DR activations
    stability.setResponder(balancing, tx)
    compensation = ShedCompensation.deploy(balancing, regions, consumers, meter, escrow, tx)

    # the utility: applies for region 1, two of three verifiers approve (U-3)
    utilities.applyForVerification("Pacific Grid Co", b"\x01" * 32, [REGION], {"from": utility})
    for v in verifiers[:2]:
        utilities.approve(utility, 0, {"from": v})
    token.mint(utility, 10**15, tx)
    token.mint(keeper, 10**15, tx)  # the token part of root bonds (O-3)
    token.approve(optimistic, 2**255, {"from": keeper})
    return Suite(
        regions,
        utilities,
        consumers,
        escrow,
        meter,
        requests,
        forecasting,
        token,
        optimistic,
        programs,
        proofs,
        disputes,
        operators,
        stability,
        balancing,
        compensation,
    )


def local_day(timestamp: int, offset_minutes: int = OFFSET_MINUTES) -> int:
    return (timestamp + 60 * offset_minutes) // SECONDS_PER_DAY


def day_start(day: int, offset_minutes: int = OFFSET_MINUTES) -> int:
    return day * SECONDS_PER_DAY - 60 * offset_minutes


class MeterBook:
    """Meter data posted in the tests, kept to build proofs (what a keeper rebuilds from calldata)."""

    def __init__(self, meter: Any, oracle: Any) -> None:
        self.meter = meter
        self.oracle = oracle
        # what the oracle does to a day's records before posting them (signed-data tests: the meters
        # sign, and a dishonest relay may alter a record after signing)
        self.relay: Callable[[list[ConsumerDay]], list[ConsumerDay]] | None = None
        # (region, day) -> list of (batch index, records, tree)
        self.batches: dict[
            tuple[int, int], list[tuple[int, list[ConsumerDay], list[list[bytes]]]]
        ] = {}

    def post(self, region: int, day: int, records: list[ConsumerDay]) -> Any:
        """Post a day's records: the signed ones in one postSignedBatch (M-7), the unsigned ones
        (no key, or flagged missing by the oracle) in one postBatch; the last transaction."""
        records = sorted(records, key=lambda r: r.consumer_id)
        if self.relay is not None:
            records = self.relay(records)
        tx = None
        for signed in (True, False):
            part = [r for r in records if (r.signature is not None) == signed]
            if not part:
                continue
            post = self.meter.postSignedBatch if signed else self.meter.postBatch
            tx = post(region, day, meter_leaf.encode_batch(part), {"from": self.oracle})
            tree = meter_leaf.levels([r.leaf() for r in part])
            self.batches.setdefault((region, day), []).append((tx.return_value, part, tree))
        return tx

    def posted(
        self, region: int, day: int, consumer_id: int, channel: Channel = Channel.IMPORT
    ) -> bool:
        """Whether a record of the consumer-day was posted on `channel` (M-8)."""
        return any(
            r.consumer_id == consumer_id and r.channel == channel
            for _, records, _ in self.batches.get((region, day), [])
            for r in records
        )

    def _find(
        self, region: int, day: int, consumer_id: int, channel: Channel
    ) -> tuple[int, int, list[ConsumerDay], list[list[bytes]]]:
        for batch, records, tree in self.batches[(region, day)]:
            for i, r in enumerate(records):
                if r.consumer_id == consumer_id and r.channel == channel:
                    return batch, i, records, tree
        raise KeyError((region, day, consumer_id, channel))

    def record(
        self, region: int, day: int, consumer_id: int, channel: Channel = Channel.IMPORT
    ) -> ConsumerDay:
        _, i, records, _ = self._find(region, day, consumer_id, channel)
        return records[i]

    def locate(self, region: int, day: int, consumer_id: int) -> Located:
        """Where a consumer's import record of a day sits, for a batch settlement (S-11)."""
        batch, i, records, tree = self._find(region, day, consumer_id, Channel.IMPORT)
        return Located(day, batch, i, records[i].encode(), tree)

    def leaf_proof(
        self, region: int, day: int, consumer_id: int, channel: Channel = Channel.IMPORT
    ) -> tuple[int, bytes, list[bytes]]:
        batch, i, records, tree = self._find(region, day, consumer_id, channel)
        return (batch, records[i].encode(), meter_leaf.proof(tree, i))


@dataclass
class World:
    suite: Suite
    program_id: int
    consumers: list[Any]


def next_weekday(day: int, at_least: int = 0) -> int:
    """The first day >= `day` + `at_least` that is Monday..Friday."""
    d = day + at_least
    while is_weekend(d):
        d += 1
    return d


def next_weekend_day(day: int) -> int:
    d = day
    while not is_weekend(d):
        d += 1
    return d


def now() -> int:
    """The latest block's timestamp: the chain's clock (Brownie's `chain.time()` can drift from it
    after snapshot reverts)."""
    from brownie import web3

    return int(web3.eth.get_block("latest")["timestamp"])


def measurement(
    t: int,
    *,
    load: int = 3_000_000,
    reserve: int = 0,
    frequency: int = DEFAULT_REGION["nominalFrequencyMHz"],
    voltage: int = 1_000,
    phase: int = 0,
) -> tuple[int, ...]:
    """An IGridStability.Measurement tuple (G-7): at `t`, a Normal point of DEFAULT_REGION by default
    (load 60 % of capacity, nominal frequency and voltage, no reserve reported)."""
    return (t, load, reserve, frequency, voltage, phase)


class GridOracle:
    """A region's grid oracle on a clock of its own, starting `behind` seconds before the chain's:
    each point of a post is `gap` seconds (one minute) after the last, its fields `measurement`'s
    with the oracle's `defaults`, then the point's own."""

    def __init__(
        self,
        stability: Any,
        oracle: Any,
        region: int = REGION,
        *,
        behind: int = 6 * 3_600,
        **defaults: int,
    ) -> None:
        self.stability, self.oracle, self.region = stability, oracle, region
        self.defaults = defaults
        self.t = now() - behind

    def post(self, *points: dict[str, int], gap: int = 60) -> Any:
        """One postMeasurements of `points`; its transaction."""
        batch = []
        for p in points:
            self.t += gap
            batch.append(measurement(self.t, **{**self.defaults, **p}))
        return self.stability.postMeasurements(self.region, batch, {"from": self.oracle})
