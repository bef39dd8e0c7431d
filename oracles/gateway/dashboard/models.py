"""What each dashboard page shows, as pydantic models: the templates render these and nothing
else. Every raw figure (Wh, token base units) travels with its text, so a page can carry the exact
value in a ``data-value`` attribute beside what a person reads."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Head(_Model):
    """The live-update probe: the indexed block and a key that changes with it (and on a reorg)."""

    block: int
    key: str


class Money(_Model):
    units: int  # token base units
    text: str  # "1,234.50"
    currency: str  # the token's symbol, "" when it has none


class Energy(_Model):
    wh: int
    text: str  # kWh, "2.000"


class LoadPoint(_Model):
    """One local hour of a region: the forecast (and its band) and the measured load, in kW."""

    hour: int  # standard-time hour index (T-1)
    label: str  # the zone's clock: "Mar 26 17:00"
    forecast_kw: int | None
    low_kw: int | None
    high_kw: int | None
    actual_kw: int | None


class GridRow(_Model):
    """A region's measured status (LoadForecasting.gridState, GridStability.regionGrid)."""

    hour: int  # the latest measured hour, 0 if none yet
    hour_label: str
    load_kw: int
    frequency_hz: str  # "50.012", a dash before any measurement
    voltage_percent: str  # "100.1", a dash before any measurement
    load_status: str  # Low, Normal, High, Critical
    stability_status: str  # Normal, Alert, Emergency, Critical
    system_state: str  # GridStability: Normal, Alert, Emergency, Blackout, Restoration
    declared: bool
    stress_bps: int  # the rate multiplier new events get (F-7)


class RegionRow(_Model):
    region_id: int
    name: str
    time_zone: str  # the IANA name or the fixed offset
    interval_minutes: int
    capacity_kw: int
    grid: GridRow
    load: list[LoadPoint]  # 48 hours to the latest measured one, and the next 24


class EventRow(_Model):
    event_id: int
    program_id: int
    region_id: int
    region_name: str
    window: str  # in the region's zone: "2027-03-24 18:00-20:00 PDT (17:00-19:00 standard)"
    tier: str
    rate: Money  # per kWh
    target: Energy
    enrolled: int
    committed: Energy
    settled: int
    insufficient_data: int
    status: str
    paid: Money  # rewards_paid of the event's report
    triggered: bool


class ClassRow(_Model):
    """One row of the per-class table the demo prints (oracles/sim/report.py print_report)."""

    name: str  # residential, commercial, industrial, total
    enrolled: int
    committed: Energy
    baseline: Energy
    actual: Energy
    verified: Energy
    paid: Money
    insufficient_data: int


class ConsumerResult(_Model):
    """One enrollment of an event and how it was settled."""

    account: str
    consumer_class: str
    committed: Energy
    by_keeper: bool
    outcome: str  # "settled", "insufficient data", "enrolled"
    baseline: Energy | None
    actual: Energy | None
    verified: Energy | None
    paid: Money
    tx_hash: str | None  # the settlement's transaction


class EventPage(_Model):
    head: Head
    event: EventRow
    classes: list[ClassRow]  # residential, commercial, industrial
    total: ClassRow
    consumers: list[ConsumerResult]  # the first LISTED_ENROLLMENTS enrollments
    enrollment_count: int
    optimistic: str | None  # the optimistic root's line, None without one
    disputes: str
    unsettled: int


class HomePage(_Model):
    head: Head
    chain_id: int
    regions: list[RegionRow]
    events: list[EventRow]  # newest first
    event_count: int  # live events on chain (the list shows the newest)
    program_count: int


class Line(_Model):
    """One log of a consumer's history."""

    event_id: int | None
    what: str  # "enrolled 2.000 kWh", "settled", "claimed", ...
    energy: Energy | None
    money: Money | None
    block: int
    tx_hash: str


class ConsumerPage(_Model):
    head: Head
    account: str
    consumer_id: int | None  # from ConsumerActivated, None if never activated
    consumer_class: str | None
    region_id: int | None
    enrollments: list[Line]
    settlements: list[Line]
    payments: list[Line]
    total_paid: list[Money]  # per token


class TxLog(_Model):
    name: str
    event_id: int | None
    account: str | None
    args: str  # the arguments as JSON


class TxPage(_Model):
    head: Head
    tx_hash: str
    block: int
    sender: str
    to: str | None
    status: str  # "success", "reverted"
    gas_used: int
    logs: list[TxLog]  # the protocol logs the index holds of it
