"""An event's record as its indexed logs tell it (`gridbalance report --event N`): its terms and
window, its region, its enrollments, how it was settled and paid, and its disputes.

Every figure is a sum or count over logs in the index (:mod:`oracles.indexer.watched`); nothing
reads the chain, so the report of an event long past costs what the report of a new one does.

* terms and window: ``EventCreated`` (P-3), the region's name, UTC offset and interval from its
  ``RegionAdded`` (R-6, R-7: neither ever changes), its time zone from its last ``TimeZoneSet``
  (R-8): the window in the zone's clock (``local``) and in standard time (``starts_at``);
* enrollments: ``Enrolled`` minus ``OptedOut`` (V-1, V-7), committed Wh of the live ones;
* proof-carrying and batch settlement: ``Settled`` (baseline, actual and reduction Wh, reward)
  and ``SettledInsufficientData`` (S-1, S-11);
* optimistic settlement: ``RootProposed`` (entries, total), ``RootVoided``, ``RootFinalized``,
  ``RootPaid``, and what reached consumers, ``Claimed`` and ``BatchClaimed`` (O-3..O-8). An
  entry's reduction lives in the root's entries (calldata), not in a log: ``reduction_wh`` counts
  proof-carrying results only;
* disputes: ``DisputeOpened``, ``DisputeResolved`` (upheld with its adjustment, or rejected).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from pydantic import BaseModel, ConfigDict

from oracles.indexer.store import Row
from oracles.indexer.view import IndexView
from oracles.protocol.bindings import RegionParams
from oracles.protocol.enums import Tier
from oracles.protocol.event_window import EventWindow
from oracles.protocol.region_time import RegionClock, TimeZoneError


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Window(_Model):
    """[start_interval, end_interval) of the local day; clock times once the interval is known."""

    start_interval: int
    end_interval: int
    interval_minutes: int | None
    label: str | None  # "17:00-20:00", the region's standard time (the protocol's clock, R-6)
    starts_at: str | None  # ISO 8601 with the region's standard offset
    ends_at: str | None
    # in the region's time zone: "2026-06-15 18:00-21:00 PDT (17:00-20:00 standard)"
    local: str | None = None
    time_zone: str | None = None  # the IANA name, None without one


class Enrollments(_Model):
    enrolled: int  # live enrollments (Enrolled not followed by the account's OptedOut)
    by_keeper: int
    opted_out: int
    committed_wh: int


class Settlement(_Model):
    settled: int  # Settled: results paid by proof-carrying or batch settlement
    insufficient_data: int  # SettledInsufficientData: nothing paid, reservation released
    unsettled: int  # live enrollments with neither
    baseline_wh: int
    actual_wh: int
    reduction_wh: int
    rewards: int  # the Settled rewards, token base units


class OptimisticRoot(_Model):
    proposals: int
    voided: int
    expired: int
    entries: int  # of the last proposal
    total: int  # of the last proposal
    finalized: bool
    paid_to_settlement: int  # RootPaid: moved from the budget to the settlement contract
    claimed_entries: int  # Claimed and BatchClaimed entries
    claimed: int  # what those entries paid consumers


class Disputes(_Model):
    opened: int
    upheld: int
    rejected: int
    pending: int
    adjustments: int  # paid by upheld rulings


class EventReport(_Model):
    event_id: int
    program_id: int
    region_id: int
    region_name: str | None
    day: int
    date: str
    window: Window
    tier: str
    rate: int
    target_wh: int
    triggered: bool
    status: str
    enrollments: Enrollments
    settlement: Settlement
    optimistic: OptimisticRoot | None
    disputes: Disputes
    rewards_paid: int  # settled rewards + optimistic claims + dispute adjustments
    indexed_through: int


def event_report(view: IndexView, event_id: int, indexed_through: int) -> EventReport | None:
    """The event's report from the index, None when its ``EventCreated`` is not indexed."""
    logs = view.event_logs(event_id)
    created = next((r for r in logs if r.name == "EventCreated"), None)
    if created is None:
        return None
    a = created.args
    region_id = int(a["regionId"])
    region = view.region_added(region_id)
    params = None if region is None else RegionParams.model_validate(region.args["params"])
    by_name: dict[str, list[dict[str, Any]]] = {}
    for r in logs:
        by_name.setdefault(r.name, []).append(r.args)
    live = _live(logs)
    settlement = _settlement(by_name, live)
    optimistic = _optimistic(by_name)
    disputes = _disputes(by_name)
    claimed = 0 if optimistic is None else optimistic.claimed
    return EventReport(
        event_id=event_id,
        program_id=int(a["programId"]),
        region_id=region_id,
        region_name=None if region is None else str(region.args["name"]),
        day=int(a["day"]),
        date=(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=int(a["day"]))).date().isoformat(),
        window=_window(
            int(a["day"]),
            int(a["startInterval"]),
            int(a["endInterval"]),
            params,
            view.time_zone(region_id),
        ),
        tier=Tier(int(a["tier"])).name.lower(),
        rate=int(a["rate"]),
        target_wh=int(a["targetWh"]),
        triggered=bool(a["triggered"]),
        status=_status(by_name, live, settlement),
        enrollments=Enrollments(
            enrolled=len(live),
            by_keeper=sum(1 for e in live.values() if e["byKeeper"]),
            opted_out=len(by_name.get("OptedOut", [])),
            committed_wh=sum(int(e["committedWh"]) for e in live.values()),
        ),
        settlement=settlement,
        optimistic=optimistic,
        disputes=disputes,
        rewards_paid=settlement.rewards + claimed + disputes.adjustments,
        indexed_through=indexed_through,
    )


def _live(logs: list[Row]) -> dict[str, dict[str, Any]]:
    """account -> its live ``Enrolled`` arguments, in chain order."""
    live: dict[str, dict[str, Any]] = {}
    for r in logs:
        if r.name == "Enrolled":
            live[str(r.args["account"])] = r.args
        elif r.name == "OptedOut":
            live.pop(str(r.args["account"]), None)
    return live


def _window(day: int, start: int, end: int, params: RegionParams | None, zone: str) -> Window:
    if params is None:
        return Window(start_interval=start, end_interval=end, interval_minutes=None, label=None,
                      starts_at=None, ends_at=None)  # fmt: skip
    w = EventWindow(interval_minutes=params.interval_minutes, start_interval=start,
                    end_interval=end)  # fmt: skip
    tz = timezone(timedelta(minutes=params.utc_offset_minutes))
    midnight = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(days=day)
    local = midnight.replace(tzinfo=tz)  # the local day's midnight in the region's standard time

    def at(minute: int) -> str:
        return (local + timedelta(minutes=minute)).isoformat()

    try:
        clock = RegionClock.of(params.utc_offset_minutes, zone, params.interval_minutes)
    except TimeZoneError:  # a zone set by hand that is not the region's: the fixed offset
        clock = RegionClock.of(params.utc_offset_minutes, "", params.interval_minutes)
    return Window(start_interval=start, end_interval=end, interval_minutes=w.interval_minutes,
                  label=w.label, starts_at=at(w.start_minute), ends_at=at(w.end_minute),
                  local=clock.window_text(day, start, end),
                  time_zone=None if clock.zone is None else clock.zone.key)  # fmt: skip


def _settlement(by_name: dict[str, list[dict[str, Any]]], live: dict[str, Any]) -> Settlement:
    settled = by_name.get("Settled", [])
    insufficient = by_name.get("SettledInsufficientData", [])
    done = {str(x["account"]) for x in settled + insufficient}
    return Settlement(
        settled=len(settled),
        insufficient_data=len(insufficient),
        unsettled=len(set(live) - done),
        baseline_wh=sum(int(x["baselineWh"]) for x in settled),
        actual_wh=sum(int(x["actualWh"]) for x in settled),
        reduction_wh=sum(int(x["reductionWh"]) for x in settled),
        rewards=sum(int(x["reward"]) for x in settled),
    )


def _optimistic(by_name: dict[str, list[dict[str, Any]]]) -> OptimisticRoot | None:
    proposed = by_name.get("RootProposed", [])
    if not proposed:
        return None
    claims = by_name.get("Claimed", [])
    batches = by_name.get("BatchClaimed", [])
    return OptimisticRoot(
        proposals=len(proposed),
        voided=len(by_name.get("RootVoided", [])),
        expired=len(by_name.get("RootExpired", [])),
        entries=int(proposed[-1]["count"]),
        total=int(proposed[-1]["total"]),
        finalized=bool(by_name.get("RootFinalized")),
        paid_to_settlement=sum(int(x["total"]) for x in by_name.get("RootPaid", [])),
        claimed_entries=len(claims) + sum(int(x["entries"]) for x in batches),
        claimed=sum(int(x["reward"]) for x in claims) + sum(int(x["total"]) for x in batches),
    )


def _disputes(by_name: dict[str, list[dict[str, Any]]]) -> Disputes:
    opened = by_name.get("DisputeOpened", [])
    resolved = by_name.get("DisputeResolved", [])
    upheld = [x for x in resolved if x["upheld"]]
    return Disputes(
        opened=len(opened),
        upheld=len(upheld),
        rejected=len(resolved) - len(upheld),
        pending=len(opened) - len(resolved),
        adjustments=sum(int(x["adjustment"]) for x in upheld),
    )


def _status(
    by_name: dict[str, list[dict[str, Any]]], live: dict[str, Any], settlement: Settlement
) -> str:
    """What the logs say of the event's life: cancelled (withdrawn), closed, paid by its root,
    root pending, settled (every live enrollment), or scheduled."""
    if "EventCancelled" in by_name:
        return "withdrawn" if "EventWithdrawn" in by_name else "cancelled"
    if "EventClosed" in by_name:
        return "closed"
    if "RootPaid" in by_name:
        return "root paid"
    if len(by_name.get("RootLocked", [])) > len(by_name.get("RootUnlocked", [])):
        return "root pending"
    if live and settlement.unsettled == 0:
        return "settled"
    return "scheduled"
