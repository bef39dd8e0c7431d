"""Typed bindings of the contracts' structs: every struct the package reads from or sends to the chain.

Each class mirrors one Solidity struct (``SOLIDITY``): its fields in the struct's order, each with the
Solidity name as its validation alias and an enum of :mod:`oracles.protocol.enums` where the struct has one.
tests/python/test_bindings.py checks every class against the build's ABI (names, order, enums) and
that every struct of the protocol's ABI has a class here. A chain reply (a tuple) becomes a binding
with ``Program.model_validate(reply)``; ``binding.abi()`` is the tuple a transaction takes.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import IntEnum
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from oracles.protocol.enums import (
    ActionKind,
    ActionStatus,
    Basis,
    ConsumerClass,
    ConsumerStatus,
    DisputeStatus,
    EnrollmentStatus,
    EventStatus,
    GridLevel,
    Ineligibility,
    LoadStatus,
    MeasuredLevel,
    OperatorKind,
    ProgramType,
    ResponseMetric,
    RootStatus,
    StabilityStatus,
    SystemState,
    Tier,
    UtilityStatus,
)
from oracles.reference.baseline import Method

# a program's class mask with every ConsumerClass bit set
ALL_CLASSES = (1 << len(ConsumerClass)) - 1


class Struct(BaseModel):
    """A Solidity struct: built from the chain's tuple (ABI order) or by field name."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)
    SOLIDITY: ClassVar[str]

    @classmethod
    def abi_names(cls) -> list[str]:
        """The Solidity field names, in the struct's order."""
        return [str(f.validation_alias or name) for name, f in cls.model_fields.items()]

    @model_validator(mode="before")
    @classmethod
    def _from_abi_tuple(cls, value: Any) -> Any:
        if isinstance(value, tuple | list):
            names = cls.abi_names()
            if len(value) != len(names):
                raise ValueError(f"{cls.SOLIDITY} has {len(names)} fields, the value {len(value)}")
            return dict(zip(names, value, strict=True))
        return value

    def abi(self) -> tuple[Any, ...]:
        """The struct as a contract call's argument: a tuple in the struct's order."""
        return tuple(_abi_value(getattr(self, name)) for name in type(self).model_fields)

    @classmethod
    def many(cls, values: Iterable[Any]) -> list[Self]:
        """Bindings of many chain replies (a batched read's results)."""
        return [cls.model_validate(v) for v in values]


def _abi_value(value: Any) -> Any:
    if isinstance(value, Struct):
        return value.abi()
    if isinstance(value, list):
        return [_abi_value(v) for v in value]
    if isinstance(value, IntEnum):
        return int(value)
    return value


class BaselineResult(Struct):
    """Baseline.Result."""

    SOLIDITY: ClassVar[str] = "Baseline.Result"

    baseline_wh: int = Field(validation_alias="baselineWh")
    actual_wh: int = Field(validation_alias="actualWh")
    reduction_wh: int = Field(validation_alias="reductionWh")
    adjustment_bps: int = Field(validation_alias="adjustmentBps")


class Consumer(Struct):
    """IConsumerRegistry.Consumer."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.Consumer"

    id: int = Field(validation_alias="id")
    region_id: int = Field(validation_alias="regionId")
    consumer_class: ConsumerClass = Field(validation_alias="class")
    status: ConsumerStatus = Field(validation_alias="status")
    paused: bool = Field(validation_alias="paused")
    consent: int = Field(validation_alias="consent")
    capacity_w: int = Field(validation_alias="capacityW")
    activation_day: int = Field(validation_alias="activationDay")
    min_rate: int = Field(validation_alias="minRate")
    max_events_per_30_days: int = Field(validation_alias="maxEventsPer30Days")
    available_hours: int = Field(validation_alias="availableHours")
    meter_id_hash: bytes = Field(validation_alias="meterIdHash")


class Eligibility(Struct):
    """IConsumerRegistry.Eligibility."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.Eligibility"

    reason: Ineligibility = Field(validation_alias="reason")
    capacity_w: int = Field(validation_alias="capacityW")
    max_events_per_30_days: int = Field(validation_alias="maxEventsPer30Days")


class EventTerms(Struct):
    """IConsumerRegistry.EventTerms."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.EventTerms"

    region_id: int = Field(validation_alias="regionId")
    class_mask: int = Field(validation_alias="classMask")
    rate: int = Field(validation_alias="rate")
    start_hour: int = Field(validation_alias="startHour")
    end_hour: int = Field(validation_alias="endHour")
    by_keeper: bool = Field(validation_alias="byKeeper")


class MeterKey(Struct):
    """IConsumerRegistry.MeterKey."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.MeterKey"

    key: str = Field(validation_alias="key")
    from_day: int = Field(validation_alias="fromDay")
    previous_key: str = Field(validation_alias="previousKey")


class Preferences(Struct):
    """IConsumerRegistry.Preferences."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.Preferences"

    min_rate: int = Field(validation_alias="minRate")
    max_events_per_30_days: int = Field(validation_alias="maxEventsPer30Days")
    available_hours: int = Field(validation_alias="availableHours")


class SettlementReport(Struct):
    """IConsumerRegistry.SettlementReport."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.SettlementReport"

    account: str = Field(validation_alias="account")
    committed_wh: int = Field(validation_alias="committedWh")
    verified_wh: int = Field(validation_alias="verifiedWh")
    reward: int = Field(validation_alias="reward")
    sufficient_data: bool = Field(validation_alias="sufficientData")


class TrackRecord(Struct):
    """IConsumerRegistry.TrackRecord."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.TrackRecord"

    events_settled: int = Field(validation_alias="eventsSettled")
    events_delivered: int = Field(validation_alias="eventsDelivered")
    events_insufficient: int = Field(validation_alias="eventsInsufficient")
    reliability_bps: int = Field(validation_alias="reliabilityBps")
    verified_wh: int = Field(validation_alias="verifiedWh")


class Dispute(Struct):
    """IDisputes.Dispute."""

    SOLIDITY: ClassVar[str] = "IDisputes.Dispute"

    status: DisputeStatus = Field(validation_alias="status")
    adjustment: int = Field(validation_alias="adjustment")


class ProgramAccount(Struct):
    """IIncentiveEscrow.ProgramAccount."""

    SOLIDITY: ClassVar[str] = "IIncentiveEscrow.ProgramAccount"

    token: str = Field(validation_alias="token")
    utility: str = Field(validation_alias="utility")
    deposited: int = Field(validation_alias="deposited")
    reserved: int = Field(validation_alias="reserved")
    paid: int = Field(validation_alias="paid")
    withdrawn: int = Field(validation_alias="withdrawn")


class ActualPoint(Struct):
    """ILoadForecasting.ActualPoint."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.ActualPoint"

    hour: int = Field(validation_alias="hour")
    load_kw: int = Field(validation_alias="loadKw")
    frequency_mhz: int = Field(validation_alias="frequencyMHz")
    voltage_permille: int = Field(validation_alias="voltagePermille")


class AutoTrigger(Struct):
    """ILoadForecasting.AutoTrigger."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.AutoTrigger"

    program_id: int = Field(validation_alias="programId")
    threshold_kw: int = Field(validation_alias="thresholdKw")
    min_hours: int = Field(validation_alias="minHours")
    max_hours: int = Field(validation_alias="maxHours")
    last_triggered_day: int = Field(validation_alias="lastTriggeredDay")


class ForecastPoint(Struct):
    """ILoadForecasting.ForecastPoint."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.ForecastPoint"

    hour: int = Field(validation_alias="hour")
    load_kw: int = Field(validation_alias="loadKw")
    low_kw: int = Field(validation_alias="lowKw")
    high_kw: int = Field(validation_alias="highKw")


class GridState(Struct):
    """ILoadForecasting.GridState."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.GridState"

    hour: int = Field(validation_alias="hour")
    load_kw: int = Field(validation_alias="loadKw")
    frequency_mhz: int = Field(validation_alias="frequencyMHz")
    voltage_permille: int = Field(validation_alias="voltagePermille")
    load: LoadStatus = Field(validation_alias="load")
    stability: StabilityStatus = Field(validation_alias="stability")


class HourRecord(Struct):
    """ILoadForecasting.HourRecord."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.HourRecord"

    temperature_deci_c: int = Field(validation_alias="temperatureDeciC")
    humidity_permille: int = Field(validation_alias="humidityPermille")
    irradiance_wm2: int = Field(validation_alias="irradianceWm2")
    forecast_kw: int = Field(validation_alias="forecastKw")
    low_kw: int = Field(validation_alias="lowKw")
    high_kw: int = Field(validation_alias="highKw")
    model_id: int = Field(validation_alias="modelId")
    actual_kw: int = Field(validation_alias="actualKw")
    error_bps: int = Field(validation_alias="errorBps")
    flags: int = Field(validation_alias="flags")


class WeatherPoint(Struct):
    """ILoadForecasting.WeatherPoint."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.WeatherPoint"

    hour: int = Field(validation_alias="hour")
    temperature_deci_c: int = Field(validation_alias="temperatureDeciC")
    humidity_permille: int = Field(validation_alias="humidityPermille")
    irradiance_wm2: int = Field(validation_alias="irradianceWm2")


class DayInfo(Struct):
    """IMeterData.DayInfo."""

    SOLIDITY: ClassVar[str] = "IMeterData.DayInfo"

    batch_count: int = Field(validation_alias="batchCount")
    last_consumer_id: int = Field(validation_alias="lastConsumerId")
    consumer_days: int = Field(validation_alias="consumerDays")


class RecordQuery(Struct):
    """IMeterData.RecordQuery."""

    SOLIDITY: ClassVar[str] = "IMeterData.RecordQuery"

    region_id: int = Field(validation_alias="regionId")
    interval_minutes: int = Field(validation_alias="intervalMinutes")
    channel: int = Field(default=0, validation_alias="channel")
    consumer_id: int = Field(validation_alias="consumerId")
    day: int = Field(validation_alias="day")
    batch_index: int = Field(validation_alias="batchIndex")
    baseline_day: bool = Field(validation_alias="baselineDay")
    signed_only: bool = Field(validation_alias="signedOnly")


class Entry(Struct):
    """IOptimisticSettlement.Entry."""

    SOLIDITY: ClassVar[str] = "IOptimisticSettlement.Entry"

    index: int = Field(validation_alias="index")
    account: str = Field(validation_alias="account")
    sufficient: bool = Field(validation_alias="sufficient")
    verified_wh: int = Field(validation_alias="verifiedWh")
    reward: int = Field(validation_alias="reward")
    reward_before: int = Field(validation_alias="rewardBefore")
    committed_wh: int = Field(validation_alias="committedWh")


class RootRecord(Struct):
    """IOptimisticSettlement.RootRecord."""

    SOLIDITY: ClassVar[str] = "IOptimisticSettlement.RootRecord"

    root: bytes = Field(validation_alias="root")
    token: str = Field(validation_alias="token")
    remaining: int = Field(validation_alias="remaining")
    depth: int = Field(validation_alias="depth")
    total: int = Field(validation_alias="total")
    challenge_ends: int = Field(validation_alias="challengeEnds")
    count: int = Field(validation_alias="count")
    status: RootStatus = Field(validation_alias="status")
    deadline_at_post: int = Field(validation_alias="deadlineAtPost")
    proposer: str = Field(validation_alias="proposer")
    bond: int = Field(validation_alias="bond")
    token_bond: int = Field(validation_alias="tokenBond")
    posted_total: int = Field(validation_alias="postedTotal")
    posted: int = Field(validation_alias="posted")
    min_delivery_bps: int = Field(validation_alias="minDeliveryBps")


class Program(Struct):
    """IProgramRegistry.Program."""

    SOLIDITY: ClassVar[str] = "IProgramRegistry.Program"

    utility: str = Field(validation_alias="utility")
    region_id: int = Field(validation_alias="regionId")
    method: Method = Field(validation_alias="method")
    class_mask: int = Field(validation_alias="classMask")
    adj_window_hours: int = Field(validation_alias="adjWindowHours")
    adj_gap_hours: int = Field(validation_alias="adjGapHours")
    adj_cap_bps: int = Field(validation_alias="adjCapBps")
    min_delivery_bps: int = Field(validation_alias="minDeliveryBps")
    bonus_cap_bps: int = Field(validation_alias="bonusCapBps")
    token: str = Field(validation_alias="token")
    base_rate: int = Field(validation_alias="baseRate")
    max_events_per_30_days: int = Field(validation_alias="maxEventsPer30Days")
    economic_bps: int = Field(validation_alias="economicBps")
    emergency_bps: int = Field(validation_alias="emergencyBps")
    signed_data: bool = Field(validation_alias="signedData")
    gate_lead_hours: int = Field(validation_alias="gateLeadHours")
    max_share_bps: int = Field(validation_alias="maxShareBps")
    basis: Basis = Field(validation_alias="basis")


class ProgramParams(Struct):
    """IProgramRegistry.ProgramParams: the one builder of a program's terms (P-1).

    Only the token and the base rate are required; the rest default to a CAISO-style program: 10-in-10
    baseline with a 3-hour day-of adjustment window 1 hour before the event, capped at +-20 %,
    50 % minimum delivery, bonus up to +20 %, every class, 10 events per 30 days, economic events
    at 1.5x and emergency events at 2x the base rate, unsigned meter data, enrollment closing 12 hours
    before the start (V-1; at least the adjustment window plus its gap), and one consumer holding at
    most the whole of an event's target (``max_share_bps`` 10,000; P5, V-1), settled on imports
    (``basis``; :class:`Basis.Net` settles on max(import - export, 0), N-1), a peak-shaving program
    (``program_type``; a load-shifting one needs ``method`` 10-in-10, ``adj_window_hours`` 0,
    ``shift_hours`` 1..12 and a ``neutrality_bps`` tolerance, L-1).
    """

    SOLIDITY: ClassVar[str] = "IProgramRegistry.ProgramParams"

    token: str = Field(validation_alias="token")
    base_rate: int = Field(validation_alias="baseRate")
    method: Method = Field(default=Method.TEN_IN_TEN, validation_alias="method")
    adj_window_hours: int = Field(default=3, validation_alias="adjWindowHours")
    adj_gap_hours: int = Field(default=1, validation_alias="adjGapHours")
    adj_cap_bps: int = Field(default=2_000, validation_alias="adjCapBps")
    min_delivery_bps: int = Field(default=5_000, validation_alias="minDeliveryBps")
    bonus_cap_bps: int = Field(default=2_000, validation_alias="bonusCapBps")
    class_mask: int = Field(default=ALL_CLASSES, validation_alias="classMask")
    max_events_per_30_days: int = Field(default=10, validation_alias="maxEventsPer30Days")
    economic_bps: int = Field(default=15_000, validation_alias="economicBps")
    emergency_bps: int = Field(default=20_000, validation_alias="emergencyBps")
    signed_data: bool = Field(default=False, validation_alias="signedData")
    gate_lead_hours: int = Field(default=12, validation_alias="gateLeadHours")
    max_share_bps: int = Field(default=10_000, validation_alias="maxShareBps")
    basis: Basis = Field(default=Basis.Import, validation_alias="basis")
    program_type: ProgramType = Field(
        default=ProgramType.PeakShaving, validation_alias="programType"
    )
    shift_hours: int = Field(default=0, validation_alias="shiftHours")
    shift_before: bool = Field(default=False, validation_alias="shiftBefore")
    neutrality_bps: int = Field(default=0, validation_alias="neutralityBps")


class ProgramKind(Struct):
    """IProgramRegistry.ProgramKind: a program's type and, for load shifting, its rebound window and
    energy-neutrality tolerance (P-7, L-1, L-2)."""

    SOLIDITY: ClassVar[str] = "IProgramRegistry.ProgramKind"

    program_type: ProgramType = Field(validation_alias="programType")
    shift_hours: int = Field(validation_alias="shiftHours")
    shift_before: bool = Field(validation_alias="shiftBefore")
    neutrality_bps: int = Field(validation_alias="neutralityBps")


class BatchGroup(Struct):
    """IProofSettlement.BatchGroup."""

    SOLIDITY: ClassVar[str] = "IProofSettlement.BatchGroup"

    day: int = Field(validation_alias="day")
    batch_index: int = Field(validation_alias="batchIndex")
    width: int = Field(validation_alias="width")
    count: int = Field(validation_alias="count")
    proof: list[bytes] = Field(validation_alias="proof")


class ConsumerRecords(Struct):
    """IProofSettlement.ConsumerRecords."""

    SOLIDITY: ClassVar[str] = "IProofSettlement.ConsumerRecords"

    account: str = Field(validation_alias="account")
    records: bytes = Field(validation_alias="records")
    refs: list[int] = Field(validation_alias="refs")


class LeafProof(Struct):
    """IProofSettlement.LeafProof."""

    SOLIDITY: ClassVar[str] = "IProofSettlement.LeafProof"

    batch_index: int = Field(validation_alias="batchIndex")
    record: bytes = Field(validation_alias="record")
    proof: list[bytes] = Field(validation_alias="proof")


class Outcome(Struct):
    """IProofSettlement.Outcome."""

    SOLIDITY: ClassVar[str] = "IProofSettlement.Outcome"

    sufficient: bool = Field(validation_alias="sufficient")
    event_day_missing: bool = Field(validation_alias="eventDayMissing")
    baseline_days: int = Field(validation_alias="baselineDays")
    result: BaselineResult = Field(validation_alias="result")


class DrEvent(Struct):
    """IReductionRequests.DrEvent."""

    SOLIDITY: ClassVar[str] = "IReductionRequests.DrEvent"

    program_id: int = Field(validation_alias="programId")
    day: int = Field(validation_alias="day")
    # [start_interval, end_interval): meter intervals of the local day at the region's interval (P-3)
    start_interval: int = Field(validation_alias="startInterval")
    end_interval: int = Field(validation_alias="endInterval")
    tier: Tier = Field(validation_alias="tier")
    status: EventStatus = Field(validation_alias="status")
    rate: int = Field(validation_alias="rate")
    target_wh: int = Field(validation_alias="targetWh")
    region_id: int = Field(validation_alias="regionId")
    committed_wh: int = Field(validation_alias="committedWh")
    reserved_outstanding: int = Field(validation_alias="reservedOutstanding")
    enrolled: int = Field(validation_alias="enrolled")
    settled: int = Field(validation_alias="settled")
    paused_at_creation: int = Field(validation_alias="pausedAtCreation")


class Enrollment(Struct):
    """IReductionRequests.Enrollment."""

    SOLIDITY: ClassVar[str] = "IReductionRequests.Enrollment"

    committed_wh: int = Field(validation_alias="committedWh")
    reserved: int = Field(validation_alias="reserved")
    paid: int = Field(validation_alias="paid")
    status: EnrollmentStatus = Field(validation_alias="status")
    settled_at: int = Field(validation_alias="settledAt")


class EnrollmentRequest(Struct):
    """IReductionRequests.EnrollmentRequest."""

    SOLIDITY: ClassVar[str] = "IReductionRequests.EnrollmentRequest"

    account: str = Field(validation_alias="account")
    committed_wh: int = Field(validation_alias="committedWh")


class RegionParams(Struct):
    """IRegionRegistry.RegionParams."""

    SOLIDITY: ClassVar[str] = "IRegionRegistry.RegionParams"

    capacity_kw: int = Field(validation_alias="capacityKw")
    nominal_frequency_mhz: int = Field(validation_alias="nominalFrequencyMHz")
    utc_offset_minutes: int = Field(validation_alias="utcOffsetMinutes")
    high_load_bps: int = Field(validation_alias="highLoadBps")
    critical_load_bps: int = Field(validation_alias="criticalLoadBps")
    area_id: int = Field(validation_alias="areaId")
    interval_minutes: int = Field(validation_alias="intervalMinutes")


class BandProfile(Struct):
    """IRegionRegistry.BandProfile: a synchronous area's bands (G-5)."""

    SOLIDITY: ClassVar[str] = "IRegionRegistry.BandProfile"

    nominal_frequency_mhz: int = Field(validation_alias="nominalFrequencyMHz")
    deadband_mhz: int = Field(validation_alias="deadbandMHz")
    normal_mhz: int = Field(validation_alias="normalMHz")
    alert_mhz: int = Field(validation_alias="alertMHz")
    emergency_mhz: int = Field(validation_alias="emergencyMHz")
    reserve_full_mhz: int = Field(validation_alias="reserveFullMHz")
    voltage_normal_bps: int = Field(validation_alias="voltageNormalBps")
    voltage_alert_bps: int = Field(validation_alias="voltageAlertBps")
    voltage_emergency_bps: int = Field(validation_alias="voltageEmergencyBps")
    reserve_alert_kw: int = Field(validation_alias="reserveAlertKw")
    reserve_emergency_kw: int = Field(validation_alias="reserveEmergencyKw")
    reserve_shed_kw: int = Field(validation_alias="reserveShedKw")
    recovery_seconds: int = Field(validation_alias="recoverySeconds")
    emergency_rate_cap_bps: int = Field(validation_alias="emergencyRateCapBps")
    stage_mhz: list[int] = Field(validation_alias="stageMHz")
    stage_share_bps: list[int] = Field(validation_alias="stageShareBps")


class Measurement(Struct):
    """IGridStability.Measurement: one grid measurement (G-7)."""

    SOLIDITY: ClassVar[str] = "IGridStability.Measurement"

    time: int = Field(validation_alias="time")
    load_kw: int = Field(validation_alias="loadKw")
    reserve_kw: int = Field(validation_alias="reserveKw")
    frequency_mhz: int = Field(validation_alias="frequencyMHz")
    voltage_permille: int = Field(validation_alias="voltagePermille")
    phase_centideg: int = Field(validation_alias="phaseCentiDeg")


class RegionGrid(Struct):
    """IGridStability.RegionGrid: a region's system state record (G-9..G-11)."""

    SOLIDITY: ClassVar[str] = "IGridStability.RegionGrid"

    state: SystemState = Field(validation_alias="state")
    declared: bool = Field(validation_alias="declared")
    rate_cap_bps: int = Field(validation_alias="rateCapBps")
    latest_time: int = Field(validation_alias="latestTime")
    normal_since: int = Field(validation_alias="normalSince")
    state_since: int = Field(validation_alias="stateSince")
    reference_load_kw: int = Field(validation_alias="referenceLoadKw")
    exit_nonce: int = Field(validation_alias="exitNonce")
    latest_level: MeasuredLevel = Field(validation_alias="latestLevel")
    stage: int = Field(validation_alias="stage")


class ActionRequest(Struct):
    """IBalancingActions.ActionRequest: an operator's request for an action (G-13)."""

    SOLIDITY: ClassVar[str] = "IBalancingActions.ActionRequest"

    region_id: int = Field(validation_alias="regionId")
    kind: ActionKind = Field(validation_alias="kind")
    target_kw: int = Field(validation_alias="targetKw")
    priority: int = Field(validation_alias="priority")
    window_start: int = Field(validation_alias="windowStart")
    window_end: int = Field(validation_alias="windowEnd")
    program_id: int = Field(default=0, validation_alias="programId")
    stage: int = Field(default=0, validation_alias="stage")
    share_bps: int = Field(default=0, validation_alias="shareBps")


class Action(Struct):
    """IBalancingActions.Action: a recorded balancing action (G-13..G-15)."""

    SOLIDITY: ClassVar[str] = "IBalancingActions.Action"

    operator: str = Field(validation_alias="operator")
    region_id: int = Field(validation_alias="regionId")
    kind: ActionKind = Field(validation_alias="kind")
    status: ActionStatus = Field(validation_alias="status")
    priority: int = Field(validation_alias="priority")
    stage: int = Field(validation_alias="stage")
    share_bps: int = Field(validation_alias="shareBps")
    program_id: int = Field(validation_alias="programId")
    target_kw: int = Field(validation_alias="targetKw")
    window_start: int = Field(validation_alias="windowStart")
    window_end: int = Field(validation_alias="windowEnd")
    instructed_at: int = Field(validation_alias="instructedAt")
    ended_at: int = Field(validation_alias="endedAt")
    delivered_kw: int = Field(validation_alias="deliveredKw")
    event_id: int = Field(validation_alias="eventId")
    report_due: int = Field(validation_alias="reportDue")
    response_id: int = Field(validation_alias="responseId")
    sequence: int = Field(validation_alias="sequence")
    report_hash: bytes = Field(validation_alias="reportHash")


class ResponseConfig(Struct):
    """IBalancingActions.ResponseConfig: an automated response (G-16)."""

    SOLIDITY: ClassVar[str] = "IBalancingActions.ResponseConfig"

    region_id: int = Field(validation_alias="regionId")
    metric: ResponseMetric = Field(validation_alias="metric")
    threshold: int = Field(validation_alias="threshold")
    kind: ActionKind = Field(validation_alias="kind")
    target_kw: int = Field(validation_alias="targetKw")
    priority: int = Field(validation_alias="priority")
    window_seconds: int = Field(validation_alias="windowSeconds")
    duration_seconds: int = Field(validation_alias="durationSeconds")
    program_id: int = Field(default=0, validation_alias="programId")
    share_bps: int = Field(default=0, validation_alias="shareBps")


class Response(Struct):
    """IBalancingActions.Response: a configured response and how often it fired."""

    SOLIDITY: ClassVar[str] = "IBalancingActions.Response"

    operator: str = Field(validation_alias="operator")
    active: bool = Field(validation_alias="active")
    last_fired: int = Field(validation_alias="lastFired")
    fired: int = Field(validation_alias="fired")
    config: ResponseConfig = Field(validation_alias="config")


class Utility(Struct):
    """IUtilityRegistry.Utility."""

    SOLIDITY: ClassVar[str] = "IUtilityRegistry.Utility"

    status: UtilityStatus = Field(validation_alias="status")
    expires_at: int = Field(validation_alias="expiresAt")
    action_nonce: int = Field(validation_alias="actionNonce")
    region_count: int = Field(validation_alias="regionCount")
    events_run: int = Field(validation_alias="eventsRun")
    consumers_paid: int = Field(validation_alias="consumersPaid")
    disputes_lost: int = Field(validation_alias="disputesLost")
    credential_hash: bytes = Field(validation_alias="credentialHash")


class Operator(Struct):
    """IGridOperatorRegistry.Operator (G-1..G-4)."""

    SOLIDITY: ClassVar[str] = "IGridOperatorRegistry.Operator"

    status: UtilityStatus = Field(validation_alias="status")
    kind: OperatorKind = Field(validation_alias="kind")
    capabilities: int = Field(validation_alias="capabilities")  # OperatorCapability bits
    expires_at: int = Field(validation_alias="expiresAt")
    action_nonce: int = Field(validation_alias="actionNonce")
    region_count: int = Field(validation_alias="regionCount")
    credential_hash: bytes = Field(validation_alias="credentialHash")


# ---------------------------------------------------------------- views with several named outputs
# (``SOLIDITY`` names the interface's function; checked against the implementing contract's ABI)


class Activation(Struct):
    """IConsumerRegistry.activation: the consumer's id and activation day."""

    SOLIDITY: ClassVar[str] = "IConsumerRegistry.activation"

    id: int = Field(validation_alias="id")
    activation_day: int = Field(validation_alias="activationDay")


class RollingMape(Struct):
    """ILoadForecasting.rollingMape: the forecast's mean absolute percentage error and its samples."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.rollingMape"

    mape_bps: int = Field(validation_alias="mapeBps")
    samples: int = Field(validation_alias="samples")


class GridTerms(Struct):
    """ILoadForecasting.eventTerms: what a new event of the region gets (G-12)."""

    SOLIDITY: ClassVar[str] = "ILoadForecasting.eventTerms"

    level: GridLevel = Field(validation_alias="level")
    stress_bps: int = Field(validation_alias="stressBps")
    rate_cap_bps: int = Field(validation_alias="rateCapBps")


class StabilityTerms(GridTerms):
    """IGridStability.eventTerms: the system state's part of G-12."""

    SOLIDITY: ClassVar[str] = "IGridStability.eventTerms"


class PaymentTerms(Struct):
    """IProgramRegistry.paymentTerms: a program's payment token and minimum delivery (O-3, O-6)."""

    SOLIDITY: ClassVar[str] = "IProgramRegistry.paymentTerms"

    token: str = Field(validation_alias="token")
    min_delivery_bps: int = Field(validation_alias="minDeliveryBps")


class VerifiedReadings(Struct):
    """IMeterData.verifiedReadings: whether a proved record counts, and its hourly readings."""

    SOLIDITY: ClassVar[str] = "IMeterData.verifiedReadings"

    counted: bool = Field(validation_alias="counted")
    readings: list[int] = Field(validation_alias="readings")


class ShedPool(Struct):
    """IShedCompensation.Pool: a load shed's compensation pool and its window in intervals (G-17)."""

    SOLIDITY: ClassVar[str] = "IShedCompensation.Pool"

    token: str = Field(validation_alias="token")
    rate_wei_per_kwh: int = Field(validation_alias="rateWeiPerKwh")
    deposited: int = Field(validation_alias="deposited")
    paid: int = Field(validation_alias="paid")
    withdrawn: int = Field(validation_alias="withdrawn")
    day: int = Field(validation_alias="day")
    start_interval: int = Field(validation_alias="startInterval")
    end_interval: int = Field(validation_alias="endInterval")
    interval_minutes: int = Field(validation_alias="intervalMinutes")
    region_id: int = Field(validation_alias="regionId")
    claims_close: int = Field(validation_alias="claimsClose")
    closed: bool = Field(validation_alias="closed")


class ShedClaim(Struct):
    """IShedCompensation.Claim: what a consumer was paid for a load shed (claimedAt 0: not claimed)."""

    SOLIDITY: ClassVar[str] = "IShedCompensation.Claim"

    amount: int = Field(validation_alias="amount")
    wh: int = Field(validation_alias="wh")
    claimed_at: int = Field(validation_alias="claimedAt")


class ShedWindow(Struct):
    """IShedCompensation.shedWindow: a load shed's whole meter intervals [start, end) of its day."""

    SOLIDITY: ClassVar[str] = "IShedCompensation.shedWindow"

    day: int = Field(validation_alias="day")
    start_interval: int = Field(validation_alias="startInterval")
    end_interval: int = Field(validation_alias="endInterval")
