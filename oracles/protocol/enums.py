"""The contracts' Solidity enums as Python enums: same names, same order, checked against the
compiler's AST in tests/python/test_bindings.py. Use these, never their numbers.

:class:`Refusal` is the one encoding of why a consumer is not enrolled, shared by the contracts
(``IConsumerRegistry.Ineligibility`` 1..8, then ReductionRequests' ``EnrollmentRefused`` codes 9..12),
the keeper and the demo's report; :meth:`Refusal.text` is the wording all of them print.
"""

from __future__ import annotations

from enum import IntEnum, IntFlag


class ConsumerClass(IntEnum):
    """IConsumerRegistry.ConsumerClass; also the bit index in a program's class mask."""

    Residential = 0
    Commercial = 1
    Industrial = 2


class ConsumerStatus(IntEnum):
    """IConsumerRegistry.ConsumerStatus."""

    None_ = 0
    Registered = 1
    Active = 2
    Deregistered = 3


class Ineligibility(IntEnum):
    """IConsumerRegistry.Ineligibility: why a consumer cannot take part in an event (V-2)."""

    None_ = 0
    NotActive = 1
    Paused = 2
    NoDataConsent = 3
    NoKeeperConsent = 4
    OtherRegion = 5
    ClassNotEligible = 6
    RateBelowMinimum = 7
    HoursNotAvailable = 8


class Refusal(IntEnum):
    """Why an enrollment did not happen: an :class:`Ineligibility` (1..8), then ReductionRequests'
    own refusals (``_REFUSED_*`` constants, 9..12, V-1, V-4), then what only the keeper checks."""

    NotActive = 1
    Paused = 2
    NoDataConsent = 3
    NoKeeperConsent = 4
    OtherRegion = 5
    ClassNotEligible = 6
    RateBelowMinimum = 7
    HoursNotAvailable = 8
    AlreadyEnrolled = 9
    CommitmentOutOfRange = 10
    DayTaken = 11
    EventCapReached = 12
    # not a contract code: the keeper does not send a consumer without a meter key to a
    # signed-data program (S-10); the chain would enroll it, but none of its days could count
    NoMeterKey = 100

    def text(self) -> str:
        return _REFUSAL_TEXT[self]


_REFUSAL_TEXT = {
    Refusal.NotActive: "not active",
    Refusal.Paused: "paused",
    Refusal.NoDataConsent: "no data-use consent",
    Refusal.NoKeeperConsent: "no automated-enrollment consent",
    Refusal.OtherRegion: "other region",
    Refusal.ClassNotEligible: "class not in program",
    Refusal.RateBelowMinimum: "rate below consumer's minimum",
    Refusal.HoursNotAvailable: "event hours outside consumer's available hours",
    Refusal.AlreadyEnrolled: "already enrolled",
    Refusal.CommitmentOutOfRange: "commitment out of range",
    Refusal.DayTaken: "enrolled in another event that day",
    Refusal.EventCapReached: "consumer's events-per-30-days cap reached",
    Refusal.NoMeterKey: "no meter key (signed-data program, S-10)",
}


class Basis(IntEnum):
    """IProgramRegistry.Basis: what a program settles on (N-1), fixed at its creation."""

    Import = 0
    Net = 1  # max(import - export, 0) per interval


class ProgramType(IntEnum):
    """IProgramRegistry.ProgramType: what a program's events are for (P-7), fixed at its creation."""

    PeakShaving = 0  # a reduction in the event window (the default)
    LoadShifting = 1  # the reduction and its rebound beside the event settle together (L-1..L-5)
    EmergencyResponse = 2  # events only from the emergency path: a trigger's Emergency-tier event


class Tier(IntEnum):
    """IReductionRequests.Tier."""

    Voluntary = 0
    Economic = 1
    Emergency = 2


class EventStatus(IntEnum):
    """IReductionRequests.EventStatus."""

    None_ = 0
    Scheduled = 1
    Cancelled = 2
    Closed = 3
    RootPending = 4
    RootSettled = 5
    Withdrawn = 6  # cancelled before its enrollment gate: no event day for anyone (P-6)


class EnrollmentStatus(IntEnum):
    """IReductionRequests.EnrollmentStatus."""

    None_ = 0
    Enrolled = 1
    Settled = 2
    InsufficientData = 3


class RootStatus(IntEnum):
    """IOptimisticSettlement.RootStatus."""

    None_ = 0
    Pending = 1
    Voided = 2
    Finalized = 3
    Expired = 4
    Posting = 5


class Fault(IntEnum):
    """IOptimisticSettlement.Fault: what a successful challenge proved (O-5)."""

    NotEnrolled = 0
    WrongResult = 1
    DuplicateAccount = 2


class DisputeStatus(IntEnum):
    """IDisputes.DisputeStatus."""

    None_ = 0
    Open = 1
    Upheld = 2
    Rejected = 3


class UtilityStatus(IntEnum):
    """IUtilityRegistry.Status."""

    None_ = 0
    Pending = 1
    Active = 2
    Suspended = 3
    Revoked = 4


class UtilityAction(IntEnum):
    """IUtilityRegistry.Action: what the council votes on."""

    Verify = 0
    Renew = 1
    Reinstate = 2
    Revoke = 3


class OperatorKind(IntEnum):
    """IGridOperatorRegistry.OperatorKind (G-1)."""

    TransmissionSystemOperator = 0
    DistributionSystemOperator = 1
    MicrogridOperator = 2


class OperatorCapability(IntFlag):
    """GridOperatorRegistry's CAP_* bits (G-1): what the council verified an operator for."""

    SystemState = 1
    Balancing = 2
    LoadShed = 4
    Automation = 8


class GridLevel(IntEnum):
    """IGridStatus.GridLevel: a region's measured level for events (F-9, G-12)."""

    Normal = 0
    Alert = 1
    Emergency = 2


class SystemState(IntEnum):
    """IGridStability.SystemState (G-9, SO GL art. 18)."""

    Normal = 0
    Alert = 1
    Emergency = 2
    Blackout = 3
    Restoration = 4


class MeasuredLevel(IntEnum):
    """IGridStability.Level: one measurement's level (G-8)."""

    Normal = 0
    Alert = 1
    Emergency = 2
    Blackout = 3


class StateCause(IntEnum):
    """IGridStability.Cause: why the system state changed (G-9..G-11)."""

    Measured = 0
    Declared = 1
    Council = 2
    Recovered = 3


class ActionKind(IntEnum):
    """IBalancingActions.ActionKind (G-13)."""

    GenerationAdjustment = 0
    ReserveActivation = 1
    DrActivation = 2
    LoadShed = 3


class ActionStatus(IntEnum):
    """IBalancingActions.ActionStatus (G-13)."""

    None_ = 0
    Proposed = 1
    Instructed = 2
    Completed = 3
    Failed = 4


class ResponseMetric(IntEnum):
    """IBalancingActions.Metric: what an automated response watches (G-16)."""

    FrequencyBelow = 0
    FrequencyAbove = 1
    VoltageBelow = 2
    VoltageAbove = 3
    LoadShareAbove = 4
    ReserveBelow = 5
    ForecastAbove = 6


class LoadStatus(IntEnum):
    """ILoadForecasting.LoadStatus."""

    Low = 0
    Normal = 1
    High = 2
    Critical = 3


class StabilityStatus(IntEnum):
    """ILoadForecasting.StabilityStatus."""

    Normal = 0
    Alert = 1
    Emergency = 2
    Critical = 3


# Solidity's canonical name of each enum (the AST's canonicalName), for the ABI check
SOLIDITY: dict[type[IntEnum], str] = {
    ConsumerClass: "IConsumerRegistry.ConsumerClass",
    ConsumerStatus: "IConsumerRegistry.ConsumerStatus",
    Ineligibility: "IConsumerRegistry.Ineligibility",
    Tier: "IReductionRequests.Tier",
    Basis: "IProgramRegistry.Basis",
    ProgramType: "IProgramRegistry.ProgramType",
    EventStatus: "IReductionRequests.EventStatus",
    EnrollmentStatus: "IReductionRequests.EnrollmentStatus",
    RootStatus: "IOptimisticSettlement.RootStatus",
    Fault: "IOptimisticSettlement.Fault",
    DisputeStatus: "IDisputes.DisputeStatus",
    UtilityStatus: "IUtilityRegistry.Status",
    UtilityAction: "IUtilityRegistry.Action",
    OperatorKind: "IGridOperatorRegistry.OperatorKind",
    GridLevel: "IGridStatus.GridLevel",
    SystemState: "IGridStability.SystemState",
    MeasuredLevel: "IGridStability.Level",
    StateCause: "IGridStability.Cause",
    ActionKind: "IBalancingActions.ActionKind",
    ActionStatus: "IBalancingActions.ActionStatus",
    ResponseMetric: "IBalancingActions.Metric",
    LoadStatus: "ILoadForecasting.LoadStatus",
    StabilityStatus: "ILoadForecasting.StabilityStatus",
}


def solidity_name(member: IntEnum) -> str:
    """The member's Solidity name (``None_`` is Solidity's ``None``)."""
    return member.name.rstrip("_")


class Consent(IntFlag):
    """ConsumerRegistry's consent bits (C-1): data use (needed to enroll), automated enrollment by a
    keeper. Checked against the contract's ``CONSENT_*`` constants."""

    DataUse = 1
    AutoEnroll = 2


class HourFlag(IntFlag):
    """LoadForecasting's ``HourRecord.flags``: what an hour holds (its ``_HAS_*`` constants)."""

    Weather = 1
    Forecast = 2
    Actual = 4
    Error = 8
