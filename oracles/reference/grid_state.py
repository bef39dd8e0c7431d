"""Python reference of a region's grid stability (SPECIFICATION.md §15, rules G-5..G-12).

Pure integer arithmetic, every division rounding down, so that RegionRegistry's band profiles and
GridStability's levels, states and events can be compared with these functions exactly.

Choices where the specification leaves room (the contract must make the same):

* **Validation order** (G-5, ``first_invalid_field``): fields are checked in ``ProfileField`` order
  and a chain ``a < b < c <= cap`` names the *later* field of the first comparison that fails
  (``normalMHz <= deadbandMHz`` names ``normalMHz``; ``emergencyMHz > 5,000`` names
  ``emergencyMHz``), so ``deadbandMHz`` and ``reserveAlertKw`` are never named. Reserves
  ``alert >= emergency >= shed``: ``emergency > alert`` names ``reserveEmergencyKw``, ``shed >
  emergency`` names ``reserveShedKw``. Stages are checked one by one, the drop before the share: a
  stage with a drop of 0 is unused and then needs a share of 0 (else ``stageShareBps``); a used
  stage after an unused one, or a drop not beyond both ``normalMHz`` and the previous drop, names
  ``stageMHz``; a share of 0 or a running total above 10,000 names ``stageShareBps``. A stage drop
  is not bounded above (a drop beyond 5,000 mHz is valid and never reached).
* **Half the reference load** (G-8): Blackout when ``2 · load < reference`` (exact, no floor).
  Reference 0 (none yet) never triggers it, so "none" and a Normal load of 0 behave alike.
* **Reference load** (G-8): the load of the latest measurement after which the state is Normal
  (the state *after* applying it); such a measurement's level is always Normal, never Blackout.
  A council exit does not set it.
* **Deepest stage** (G-9, ``RegionGrid.stage``): reset to 0 whenever the state becomes Normal (by a
  measurement or a council exit); a measurement reaching a stage is never Normal, so a reset never
  hides one.
* **Events of a measurement** (G-7, G-9): ``Measured`` first (its level and state are the new
  ``RegionGrid``'s ``latest_level``/``state``), then ``SystemStateChanged`` if the state changed,
  then ``SheddingStageReached`` if the stage is deeper. ``step`` returns the last two, in order.
* **Causes** (G-9): the two "after recoverySeconds of Normal" cells are ``Recovered``; every other
  change by a measurement is ``Measured``; ``Declared`` and ``Council`` for G-10 and G-11.
* **Declaring** (G-10) from a measured Emergency changes no state: no ``SystemStateChanged`` (the
  declaration's own event records it). A declared emergency ended by a Blackout measurement is no
  longer declared (declared flag and cap cleared); leaving Emergency always clears them.
* **Council exit** (G-11) with no measurement yet counts the latest level as Normal.
* **G-7 frequency** (``in_range``): 0 is accepted only below 100 ‰; below 100 ‰ a frequency within
  5 Hz of nominal is accepted as well (the level is Blackout either way; only f > 0 counts stages).
* **G-12**: the 2 h staleness is ``now - latest time > 7,200`` s and applies to every state but a
  declared Emergency; stress is ``max(F-7's level, 1 if Alert, 2 if Emergency)`` of the combined
  level (the worse of the state's and F-9's); the rate cap is the declared cap if non-zero, else the
  area's ``emergencyRateCapBps``, while the combined level is Emergency, else 0.
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from enum import IntEnum

BPS = 10_000
STAGES = 8
MAX_BAND_MHZ = 5_000  # G-5: bands and the FCR-full deviation at most 5 Hz
MAX_VOLTAGE_BPS = 5_000
NOMINALS = (0, 50_000, 60_000)  # G-5: 0 = any nominal
MIN_RECOVERY_SECONDS = 60
MAX_RECOVERY_SECONDS = 86_400
MIN_RATE_CAP_BPS = 10_000
MAX_RATE_CAP_BPS = 50_000
NOMINAL_VOLTAGE_PERMILLE = 1_000
BLACKOUT_VOLTAGE_PERMILLE = 100  # G-8: below it the bus is de-energized
MAX_MEASUREMENT_AGE = 7_200  # G-12: a measured state older than 2 h reads Normal
STRESS_STEP_BPS = 2_500  # F-7: multiplier 10,000 + 2,500 · level


class StabilityStatus(IntEnum):
    """G-6's bands: ILoadForecasting.StabilityStatus (oracles.protocol.enums mirrors it too; the
    reference sits below protocol and imports nothing from it)."""

    Normal = 0
    Alert = 1
    Emergency = 2
    Critical = 3


class GridLevel(IntEnum):
    """IGridStatus.GridLevel (G-12, F-9)."""

    Normal = 0
    Alert = 1
    Emergency = 2


class ProfileField(IntEnum):
    """The band profile's fields in struct order: the index `InvalidBandProfile(uint8)` names."""

    nominalFrequencyMHz = 0
    deadbandMHz = 1
    normalMHz = 2
    alertMHz = 3
    emergencyMHz = 4
    reserveFullMHz = 5
    voltageNormalBps = 6
    voltageAlertBps = 7
    voltageEmergencyBps = 8
    reserveAlertKw = 9
    reserveEmergencyKw = 10
    reserveShedKw = 11
    recoverySeconds = 12
    emergencyRateCapBps = 13
    stageMHz = 14
    stageShareBps = 15


@dataclass(frozen=True)
class BandProfile:
    """An area's band profile (G-5), in the contract's struct order. Any non-negative values may be
    held; ``first_invalid_field`` says whether the contract accepts them."""

    nominal_frequency_mhz: int
    deadband_mhz: int
    normal_mhz: int
    alert_mhz: int
    emergency_mhz: int
    reserve_full_mhz: int
    voltage_normal_bps: int
    voltage_alert_bps: int
    voltage_emergency_bps: int
    reserve_alert_kw: int
    reserve_emergency_kw: int
    reserve_shed_kw: int
    recovery_seconds: int
    emergency_rate_cap_bps: int
    stage_mhz: tuple[int, ...]
    stage_share_bps: tuple[int, ...]

    def __post_init__(self) -> None:
        if len(self.stage_mhz) != STAGES or len(self.stage_share_bps) != STAGES:
            raise ValueError(f"a band profile has exactly {STAGES} stage drops and shares")
        for f in fields(self):
            value = getattr(self, f.name)
            if any(v < 0 for v in (value if isinstance(value, tuple) else (value,))):
                raise ValueError(f"{f.name} is unsigned, got {value}")

    @property
    def stages(self) -> int:
        """The number of used UFLS stages (drop non-zero; unused ones come after them)."""
        return sum(1 for d in self.stage_mhz if d != 0)

    def as_tuple(self) -> tuple[int | tuple[int, ...], ...]:
        """The ABI tuple of the contract's `BandProfile`."""
        return tuple(getattr(self, f.name) for f in fields(self))


def _stages(*pairs: tuple[int, int]) -> tuple[tuple[int, ...], tuple[int, ...]]:
    padded = list(pairs) + [(0, 0)] * (STAGES - len(pairs))
    return tuple(d for d, _ in padded), tuple(s for _, s in padded)


def _preset(
    nominal: int,
    bands: tuple[int, int, int, int, int],
    reserves: tuple[int, int, int],
    *stages: tuple[int, int],
) -> BandProfile:
    drops, shares = _stages(*stages)
    deadband, normal, alert, emergency, full = bands
    return BandProfile(
        nominal_frequency_mhz=nominal,
        deadband_mhz=deadband,
        normal_mhz=normal,
        alert_mhz=alert,
        emergency_mhz=emergency,
        reserve_full_mhz=full,
        voltage_normal_bps=500,
        voltage_alert_bps=1_000,
        voltage_emergency_bps=1_500,
        reserve_alert_kw=reserves[0],
        reserve_emergency_kw=reserves[1],
        reserve_shed_kw=reserves[2],
        recovery_seconds=900,
        emergency_rate_cap_bps=0,
        stage_mhz=drops,
        stage_share_bps=shares,
    )


_NO_RESERVES = (0, 0, 0)
PRESETS: dict[int, tuple[str, BandProfile]] = {
    1: (
        "Continental Europe",
        _preset(
            50_000,
            (20, 200, 800, 1_000, 200),
            _NO_RESERVES,
            *((1_000 + 200 * k, 750) for k in range(6)),
        ),
    ),
    2: (
        "Great Britain",
        _preset(
            50_000,
            (15, 200, 500, 1_200, 500),
            _NO_RESERVES,
            (1_200, 500),
            (1_250, 500),
            (1_300, 1_000),
            (1_400, 750),
            (1_500, 750),
            (1_600, 750),
            (1_800, 500),
            (2_000, 500),
        ),
    ),
    3: (
        "ERCOT-like",
        _preset(
            60_000,
            (17, 100, 300, 700, 300),
            (2_300_000, 1_750_000, 1_430_000),
            (700, 500),
            (1_100, 1_000),
            (1_500, 1_000),
        ),
    ),
    4: (
        "GridBalance seed",
        _preset(0, (20, 500, 1_000, 1_500, 500), _NO_RESERVES, (1_500, 1_000), (2_000, 1_000)),
    ),
}


def first_invalid_field(p: BandProfile) -> ProfileField | None:
    """The first field the contract rejects (G-5), in the module docstring's order, or None."""
    F = ProfileField
    checks: list[tuple[bool, ProfileField]] = [
        (p.nominal_frequency_mhz in NOMINALS, F.nominalFrequencyMHz),
        (p.deadband_mhz < p.normal_mhz, F.normalMHz),
        (p.normal_mhz < p.alert_mhz, F.alertMHz),
        (p.alert_mhz < p.emergency_mhz <= MAX_BAND_MHZ, F.emergencyMHz),
        (p.deadband_mhz < p.reserve_full_mhz <= MAX_BAND_MHZ, F.reserveFullMHz),
        (p.voltage_normal_bps > 0, F.voltageNormalBps),
        (p.voltage_normal_bps < p.voltage_alert_bps, F.voltageAlertBps),
        (p.voltage_alert_bps < p.voltage_emergency_bps <= MAX_VOLTAGE_BPS, F.voltageEmergencyBps),
        (p.reserve_alert_kw >= p.reserve_emergency_kw, F.reserveEmergencyKw),
        (p.reserve_emergency_kw >= p.reserve_shed_kw, F.reserveShedKw),
        (MIN_RECOVERY_SECONDS <= p.recovery_seconds <= MAX_RECOVERY_SECONDS, F.recoverySeconds),
        (
            p.emergency_rate_cap_bps == 0
            or MIN_RATE_CAP_BPS <= p.emergency_rate_cap_bps <= MAX_RATE_CAP_BPS,
            F.emergencyRateCapBps,
        ),
    ]
    for ok, field in checks:
        if not ok:
            return field
    previous, used, total = p.normal_mhz, True, 0
    for drop, share in zip(p.stage_mhz, p.stage_share_bps, strict=True):
        if drop == 0:  # unused: its share is 0 too, and no used stage follows
            if share != 0:
                return F.stageShareBps
            used = False
            continue
        if not used or drop <= previous:
            return F.stageMHz
        if share == 0 or total + share > BPS:
            return F.stageShareBps
        previous, total = drop, total + share
    return None


def validate(p: BandProfile) -> str | None:
    """The Solidity name of the first field the contract rejects (G-5), None if it is valid."""
    field = first_invalid_field(p)
    return None if field is None else field.name


# Measurements and their levels (G-6..G-8) ---------------------------------------------------------


@dataclass(frozen=True)
class Measurement:
    """One posted point (G-7): UTC seconds, kW, mHz (0 when de-energized), ‰ of nominal, 0.01°."""

    time: int
    load_kw: int
    reserve_kw: int
    frequency_mhz: int
    voltage_permille: int
    phase_centideg: int

    def as_tuple(self) -> tuple[int, int, int, int, int, int]:
        """The ABI tuple of the contract's measurement point."""
        return (
            self.time,
            self.load_kw,
            self.reserve_kw,
            self.frequency_mhz,
            self.voltage_permille,
            self.phase_centideg,
        )


def in_range(nominal_mhz: int, capacity_kw: int, m: Measurement) -> bool:
    """G-7's value ranges (not the times): load <= 2 x capacity, voltage 0..1,500 ‰, phase
    -18,000..18,000, frequency within 5,000 mHz of nominal or 0 below 100 ‰."""
    frequency_ok = abs(m.frequency_mhz - nominal_mhz) <= MAX_BAND_MHZ or (
        m.frequency_mhz == 0 and m.voltage_permille < BLACKOUT_VOLTAGE_PERMILLE
    )
    return (
        0 <= m.load_kw <= 2 * capacity_kw
        and m.reserve_kw >= 0
        and 0 <= m.voltage_permille <= 1_500
        and -18_000 <= m.phase_centideg <= 18_000
        and frequency_ok
    )


def _band(deviation: int, normal: int, alert: int, emergency: int) -> StabilityStatus:
    if deviation <= normal:
        return StabilityStatus.Normal
    if deviation <= alert:
        return StabilityStatus.Alert
    if deviation <= emergency:
        return StabilityStatus.Emergency
    return StabilityStatus.Critical


def frequency_status(p: BandProfile, nominal_mhz: int, frequency_mhz: int) -> StabilityStatus:
    """G-6: ``d = |f - nominal|`` against normalMHz, alertMHz, emergencyMHz."""
    return _band(abs(frequency_mhz - nominal_mhz), p.normal_mhz, p.alert_mhz, p.emergency_mhz)


def voltage_status(p: BandProfile, voltage_permille: int) -> StabilityStatus:
    """G-6: ``d = |V - 1,000| · 10`` bps against the three voltage bands."""
    deviation = abs(voltage_permille - NOMINAL_VOLTAGE_PERMILLE) * 10
    return _band(deviation, p.voltage_normal_bps, p.voltage_alert_bps, p.voltage_emergency_bps)


def stability_status(
    p: BandProfile, nominal_mhz: int, frequency_mhz: int, voltage_permille: int
) -> StabilityStatus:
    """G-6 (F-5's stability of an hour): the worse of the frequency and voltage bands."""
    return max(frequency_status(p, nominal_mhz, frequency_mhz), voltage_status(p, voltage_permille))


class Level(IntEnum):
    """A measurement's level (G-8)."""

    Normal = 0
    Alert = 1
    Emergency = 2
    Blackout = 3


def _level(status: StabilityStatus) -> Level:
    return Level(min(int(status), int(Level.Emergency)))  # Critical counts Emergency


def reserve_level(p: BandProfile, reserve_kw: int) -> Level:
    """G-8: below reserveShedKw or reserveEmergencyKw Emergency, below reserveAlertKw Alert (all 0:
    nothing is below them, so reserves are not judged)."""
    if reserve_kw < p.reserve_shed_kw or reserve_kw < p.reserve_emergency_kw:
        return Level.Emergency
    if reserve_kw < p.reserve_alert_kw:
        return Level.Alert
    return Level.Normal


def measured_level(
    p: BandProfile, nominal_mhz: int, m: Measurement, reference_load_kw: int
) -> Level:
    """G-8: Blackout below 100 ‰ or when ``2 · load < reference`` (0: no load rule); else the worst
    of frequency, voltage (Critical counts Emergency) and reserves."""
    if m.voltage_permille < BLACKOUT_VOLTAGE_PERMILLE or 2 * m.load_kw < reference_load_kw:
        return Level.Blackout
    return max(
        _level(frequency_status(p, nominal_mhz, m.frequency_mhz)),
        _level(voltage_status(p, m.voltage_permille)),
        reserve_level(p, m.reserve_kw),
    )


def shed_stage(p: BandProfile, nominal_mhz: int, m: Measurement) -> int:
    """G-8: the number of used UFLS stages whose drop the measurement reached (``nominal - f >=
    stageMHz``, f > 0)."""
    if m.frequency_mhz <= 0:
        return 0
    drop = nominal_mhz - m.frequency_mhz
    return sum(1 for d in p.stage_mhz if d != 0 and drop >= d)


def cumulative_share_bps(p: BandProfile, stage: int) -> int:
    """The share of load the first ``stage`` stages shed together (G-9's SheddingStageReached)."""
    return sum(p.stage_share_bps[:stage])


# The system state (G-9..G-11) ---------------------------------------------------------------------


class SystemState(IntEnum):
    """G-9 (SO GL art. 18)."""

    Normal = 0
    Alert = 1
    Emergency = 2
    Blackout = 3
    Restoration = 4


class Cause(IntEnum):
    """SystemStateChanged's cause (G-9)."""

    Measured = 0
    Declared = 1
    Council = 2
    Recovered = 3


@dataclass(frozen=True)
class RegionGrid:
    """A region's grid record (G-9..G-11).

    ``normal_since``: the time of the first of the unbroken run of Normal measurements that the
    latest measurement ends, 0 if the latest is not Normal (or none yet; times are > 0).
    ``reference_load_kw``: G-8's reference, 0 if none. ``latest_level``: Normal until the first
    measurement. ``stage``: the deepest UFLS stage since the state was last Normal.

    The fields carry the names, and keep the order, of the contract's record
    (oracles.protocol.bindings.RegionGrid), which has ``state_since`` besides: see ``record_fields``."""

    state: SystemState = SystemState.Normal
    declared: bool = False
    rate_cap_bps: int = 0
    latest_time: int = 0
    normal_since: int = 0
    reference_load_kw: int = 0
    exit_nonce: int = 0
    latest_level: Level = Level.Normal
    stage: int = 0


def record_fields(grid: object) -> dict[str, object]:
    """The fields of a region's record that the reference keeps, by name, in the record's order:
    of a ``RegionGrid`` here or of the contract's binding (the same names; ``stateSince`` is the
    chain's alone), so that the two compare as they are."""
    return {f.name: getattr(grid, f.name) for f in fields(RegionGrid)}


@dataclass(frozen=True)
class StateChanged:
    """SystemStateChanged(region, from, to, time, cause) (G-9)."""

    from_state: SystemState
    to_state: SystemState
    time: int
    cause: Cause


@dataclass(frozen=True)
class StageReached:
    """SheddingStageReached(region, time, stage, cumulative share) (G-9)."""

    time: int
    stage: int
    cumulative_share_bps: int


Event = StateChanged | StageReached


def _next_state(grid: RegionGrid, level: Level, recovered: bool) -> SystemState:
    """G-9's table: the state after a measurement of ``level`` in ``grid.state``."""
    S = SystemState
    if level == Level.Blackout:
        return S.Blackout
    if grid.state in (S.Normal, S.Alert):
        return S(int(level))
    if grid.state == S.Blackout:
        return S.Restoration
    if grid.state == S.Emergency and grid.declared:
        return S.Emergency
    if level == Level.Normal and recovered:
        return S.Normal
    return grid.state  # a measured Emergency or a Restoration that has not recovered


def step(
    p: BandProfile, nominal_mhz: int, grid: RegionGrid, m: Measurement
) -> tuple[RegionGrid, list[Event]]:
    """Apply one measurement (G-8, G-9): the new record and the events it emits, in order.

    Raises ValueError if the measurement is not after the latest (G-7's MeasurementNotAfter); the
    other G-7 checks are ``in_range``'s."""
    if m.time <= grid.latest_time:
        raise ValueError(f"measurement at {m.time} is not after the latest, {grid.latest_time}")
    level = measured_level(p, nominal_mhz, m, grid.reference_load_kw)
    if level == Level.Normal:
        normal_since = grid.normal_since if grid.normal_since != 0 else m.time
    else:
        normal_since = 0
    recovered = level == Level.Normal and m.time - normal_since >= p.recovery_seconds
    state = _next_state(grid, level, recovered)
    events: list[Event] = []
    if state != grid.state:
        recovery = grid.state in (SystemState.Emergency, SystemState.Restoration)
        cause = Cause.Recovered if state == SystemState.Normal and recovery else Cause.Measured
        events.append(StateChanged(grid.state, state, m.time, cause))
    deepest = grid.stage
    reached = shed_stage(p, nominal_mhz, m)
    if reached > deepest:
        events.append(StageReached(m.time, reached, cumulative_share_bps(p, reached)))
        deepest = reached
    still_declared = grid.declared and state == SystemState.Emergency
    new = replace(
        grid,
        state=state,
        declared=still_declared,
        rate_cap_bps=grid.rate_cap_bps if still_declared else 0,
        latest_time=m.time,
        normal_since=normal_since,
        reference_load_kw=m.load_kw if state == SystemState.Normal else grid.reference_load_kw,
        stage=0 if state == SystemState.Normal else deepest,
        latest_level=level,
    )
    return new, events


def run(
    p: BandProfile, nominal_mhz: int, points: list[Measurement], grid: RegionGrid | None = None
) -> tuple[RegionGrid, list[Event]]:
    """``step`` over a sequence of measurements: the final record and every event in order."""
    grid = RegionGrid() if grid is None else grid
    events: list[Event] = []
    for m in points:
        grid, emitted = step(p, nominal_mhz, grid, m)
        events.extend(emitted)
    return grid, events


def declare(
    grid: RegionGrid, cap_bps: int, now: int
) -> str | tuple[RegionGrid, list[StateChanged]]:
    """G-10 (the operator and reason checks are the contract's): ``InvalidRateCap`` unless the cap
    is 0 or 10,000..50,000, ``EmergencyNotDeclarable`` unless Normal, Alert or a measured Emergency;
    else a declared Emergency with the cap (a state change only from Normal or Alert)."""
    if cap_bps != 0 and not MIN_RATE_CAP_BPS <= cap_bps <= MAX_RATE_CAP_BPS:
        return "InvalidRateCap"
    declarable = grid.state in (SystemState.Normal, SystemState.Alert) or (
        grid.state == SystemState.Emergency and not grid.declared
    )
    if not declarable:
        return "EmergencyNotDeclarable"
    events = []
    if grid.state != SystemState.Emergency:
        events.append(StateChanged(grid.state, SystemState.Emergency, now, Cause.Declared))
    return replace(grid, state=SystemState.Emergency, declared=True, rate_cap_bps=cap_bps), events


def council_exit(grid: RegionGrid, now: int) -> str | tuple[RegionGrid, list[StateChanged]]:
    """G-11, the M-th approval: from Emergency (declared or measured) to Normal if the latest level
    is Normal, else Alert; the nonce is bumped. ``NotInEmergency`` in any other state."""
    if grid.state != SystemState.Emergency:
        return "NotInEmergency"
    state = SystemState.Normal if grid.latest_level == Level.Normal else SystemState.Alert
    new = replace(
        grid,
        state=state,
        declared=False,
        rate_cap_bps=0,
        stage=0 if state == SystemState.Normal else grid.stage,
        exit_nonce=grid.exit_nonce + 1,
    )
    return new, [StateChanged(SystemState.Emergency, state, now, Cause.Council)]


# What events read (G-12, P-4) ---------------------------------------------------------------------


def state_level(grid: RegionGrid, now: int) -> GridLevel:
    """G-12 from the system state alone: Emergency for Emergency, Blackout and Restoration, Alert
    for Alert, else Normal; a measured state whose latest measurement is more than 2 h old reads
    Normal (a declared emergency does not expire)."""
    if not grid.declared and now - grid.latest_time > MAX_MEASUREMENT_AGE:
        return GridLevel.Normal
    if grid.state in (SystemState.Emergency, SystemState.Blackout, SystemState.Restoration):
        return GridLevel.Emergency
    return GridLevel.Alert if grid.state == SystemState.Alert else GridLevel.Normal


def grid_level(grid: RegionGrid, now: int, hourly: GridLevel = GridLevel.Normal) -> GridLevel:
    """G-12's level: the worse of the state's and F-9's from the hourly actuals (``hourly``)."""
    return max(state_level(grid, now), hourly)


@dataclass(frozen=True)
class EventTerms:
    """IGridStatus.eventTerms (G-12): level, stress multiplier (bps) and rate cap (bps, 0 none)."""

    level: GridLevel
    stress_bps: int
    rate_cap_bps: int

    @property
    def markets_paused(self) -> bool:
        """G-12: markets built on the protocol pause at level Emergency."""
        return self.level == GridLevel.Emergency


def event_terms(
    p: BandProfile,
    grid: RegionGrid,
    now: int,
    hourly: GridLevel = GridLevel.Normal,
    hourly_stress_level: int = 0,
) -> EventTerms:
    """G-12: the combined level, stress ``10,000 + 2,500 · max(F-7 level, 1 Alert / 2 Emergency)``
    and, at level Emergency, the declared cap if non-zero, else the area's emergencyRateCapBps."""
    level = grid_level(grid, now, hourly)
    stress = max(hourly_stress_level, int(level))
    cap = 0
    if level == GridLevel.Emergency:
        cap = (grid.rate_cap_bps if grid.declared else 0) or p.emergency_rate_cap_bps
    return EventTerms(level, BPS + STRESS_STEP_BPS * stress, cap)


def tier_error(level: GridLevel, emergency_tier: bool) -> str | None:
    """P-4 with G-12: an Emergency-tier event needs level Emergency (``EmergencyNotMeasured``), any
    other tier needs it not to be Emergency (``EmergencyTierOnly``); None if the tier may be used."""
    if emergency_tier and level != GridLevel.Emergency:
        return "EmergencyNotMeasured"
    if not emergency_tier and level == GridLevel.Emergency:
        return "EmergencyTierOnly"
    return None


def capped_rate(base_rate: int, tier_bps: int, stress_bps: int, cap_bps: int) -> int:
    """P-4 with G-12's cap: ``floor(floor(base · tier / 10,000) · stress / 10,000)``, then, if the
    cap is non-zero, at most ``floor(base · cap / 10,000)``."""
    rate = base_rate * tier_bps // BPS * stress_bps // BPS
    return rate if cap_bps == 0 else min(rate, base_rate * cap_bps // BPS)
