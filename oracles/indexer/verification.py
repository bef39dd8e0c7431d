"""A stranger's recomputation of one settlement from chain data alone (`gridbalance verify`).

Nothing here trusts an oracle's outbox, a keeper or a local database: only view calls, logs and the
calldata of the chain, and the Python reference of the contracts' rules.

* the event, its program and its region: ``drEvent``, ``program``, ``region`` (P-3, R-7, N-1);
* the baseline days: the walk of S-3 (:func:`oracles.reference.baseline_days.candidate_days`) over
  the region's holidays (``isHoliday``) and event days (``regionHasEvent``), each day of the
  lookback listed with why it was chosen or skipped;
* the records: every meter batch of each day, rebuilt from its posting transaction's calldata and
  checked against the root MeterData logged (:mod:`oracles.protocol.meter_batches`); a day without
  a usable record is a gap (S-4, B-9), the reason named (none posted, flagged missing, not signed by
  the meter key, no export record in a net program);
* the math: :func:`oracles.reference.settlement_steps.steps` (B-2..B-9);
* what the chain did: the ``Settled`` or ``SettledInsufficientData`` log of the enrollment, the
  enrollment's ``paid``, and the escrow's payment in that transaction (the token's ``Transfer``,
  or ``Paid`` with ``pushed`` false when it was owed, E-5); for an event paid by an optimistic root,
  the consumer's entry of the current root, read from the ``postEntries`` calldata, the root rebuilt
  and checked against ``rootRecord``, and its claim (O-2, O-7, O-8).

:func:`compare` is the verdict: every figure of the chain's record against the recomputation.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, Literal

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from hexbytes import HexBytes
from pydantic import BaseModel, ConfigDict
from web3 import Web3

from oracles.chain.logs import decode_events, ranged_logs
from oracles.chain.reads import call_many, web3_batch
from oracles.protocol.bindings import Consumer, Dispute, DrEvent, Enrollment, MeterKey, Program
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import (
    Basis,
    DisputeStatus,
    EnrollmentStatus,
    EventStatus,
    ProgramType,
    RootStatus,
)
from oracles.protocol.event_window import EventWindow
from oracles.protocol.meter_batches import Batch, day_batches
from oracles.reference import baseline as ref
from oracles.reference import load_shift, meter_signing
from oracles.reference import optimistic_root as opt
from oracles.reference.baseline_days import (
    LOOKBACK_DAYS,
    MAX_DAYS,
    MIN_DAYS,
    baseline_inputs,
    candidate_days,
    is_weekend,
)
from oracles.reference.baseline_days import (
    day_date as protocol_day_date,
)
from oracles.reference.meter_leaf import Channel, ConsumerDay
from oracles.reference.meter_signing import MeterDomain
from oracles.reference.settlement_steps import METHOD_NAMES, Steps, steps

EPOCH = date(1970, 1, 1)
TRANSFER_TOPIC = keccak(text="Transfer(address,address,uint256)")
POST_ENTRIES_TYPES = ["uint256", "bytes"]
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


class VerifyError(ValueError):
    """The settlement cannot be verified as asked (unknown event, not enrolled, not ended)."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EventFacts(_Model):
    event_id: int
    program_id: int
    region_id: int
    region_name: str
    utc_offset_minutes: int  # the region's standard time
    interval_minutes: int
    day: int
    date: str
    start_interval: int
    end_interval: int
    window: str  # "17:00-19:00", local standard time
    starts_at: str  # ISO 8601 with the region's offset
    ends_at: str
    tier: str
    rate: int  # token units per kWh
    basis: str  # "Import" or "Net" (N-1)
    method: str
    signed_data: bool
    adj_window_hours: int
    adj_gap_hours: int
    adj_cap_bps: int
    min_delivery_bps: int
    bonus_cap_bps: int
    token: str
    status: str


class ConsumerFacts(_Model):
    account: str
    consumer_id: int
    meter_id_hash: str
    activation_day: int
    activation_date: str
    committed_wh: int
    reserved: int
    enrollment_status: str


class RecordFact(_Model):
    """A consumer-day's record as the chain holds it in calldata."""

    batch_index: int
    tx_hash: str
    channel: str


class DayChoice(_Model):
    """One day of the lookback walk (S-3), most recent first."""

    day: int
    date: str
    weekday: str
    chosen: bool
    reason: str  # chosen: "like day"; skipped: "weekend", "weekday", "holiday", "event day"
    records: list[RecordFact] = []
    usable: bool | None = None  # chosen days: whether the record counts (else a gap, B-9)
    gap: str | None = None  # why a chosen day is a gap


class EventDay(_Model):
    records: list[RecordFact]
    usable: bool
    problem: str | None  # why the event day's record does not count


class Recomputed(_Model):
    sufficient: bool
    why_insufficient: str | None
    event_day_usable: (
        bool  # the event day's record counts (SettledInsufficientData.eventDayMissing)
    )
    baseline_days: int  # chosen days with a usable record (the Settled event's baselineDays)
    gapped: bool
    steps: Steps | None  # every figure of the settlement, when sufficient
    reward: int
    verified_wh: int  # the reduction settlement records (0 when insufficient)
    committed_wh: int


class Payment(_Model):
    amount: int
    pushed: bool  # the token transferred it; false: owed, withdrawable (E-5)
    tx_hash: str


class ChainRecord(_Model):
    """What the chain recorded for the enrollment, and what it paid."""

    path: Literal["proof", "optimistic", "none"]
    status: str  # a sentence: "settled", "insufficient data", "not settled on chain yet", ...
    tx_hash: str | None = None
    block: int | None = None
    sufficient: bool | None = None
    baseline_wh: int | None = None
    actual_wh: int | None = None
    reduction_wh: int | None = None
    adjustment_bps: int | None = None
    reward: int | None = None
    baseline_days: int | None = None
    event_day_missing: bool | None = None
    committed_wh: int | None = None  # an optimistic entry's
    enrollment_paid: int | None = None
    payments: list[Payment] = []
    root: str | None = None
    root_status: str | None = None
    entry_index: int | None = None
    challenge_ends: str | None = None  # a pending root: the last moment to challenge it (UTC)
    claimed: bool | None = None
    # the contract's own walk (ProofSettlement.candidateDays), once the event day is final
    candidate_days: list[int] | None = None
    dispute: str | None = None


class Difference(_Model):
    figure: str
    recomputed: int | bool | str
    chain: int | bool | str


class Verification(_Model):
    chain_id: int
    block: int
    event: EventFacts
    consumer: ConsumerFacts
    walk: list[DayChoice]
    walk_end: str  # why the walk stopped
    event_day: EventDay
    recomputed: Recomputed
    chain: ChainRecord
    differences: list[Difference]
    verdict: Literal["MATCH", "MISMATCH", "NOT SETTLED"]


def deployed_at(p: Protocol) -> int:
    """The block the deployment began in: logs are read from it on, never from genesis."""
    return min((c.block for c in p.manifest.contracts.values()), default=0)


def day_date(day: int) -> str:
    return protocol_day_date(day).isoformat()


def verify(p: Protocol, event_id: int, account: str) -> Verification:
    """Recompute ``account``'s settlement of event ``event_id`` from chain data and compare it with
    what the chain recorded and paid."""
    w3 = p.w3
    head = w3.eth.get_block("latest")
    count = int(p.requests.functions.eventCount().call())
    if not 1 <= event_id <= count:
        raise VerifyError(f"event {event_id} does not exist ({count} events on this chain)")
    event = p.dr_event(event_id)
    if event.status in (EventStatus.Cancelled, EventStatus.Withdrawn):
        raise VerifyError(f"event {event_id} was {event.status.name.lower()}: nothing was settled")
    account = Web3.to_checksum_address(account)
    enrollment = Enrollment.model_validate(
        p.requests.functions.enrollment(event_id, account).call()
    )
    if enrollment.status == EnrollmentStatus.None_:
        raise VerifyError(f"{account} is not enrolled in event {event_id}")
    program = p.program(event.program_id)
    facts = _event_facts(p, event_id, event, program)
    ends = datetime.fromisoformat(facts.ends_at)
    if int(head["timestamp"]) < ends.timestamp():
        raise VerifyError(f"event {event_id} has not ended: it ends {facts.date} at "
                          f"{facts.window.split('-')[1]} local time ({ends.astimezone(UTC):%Y-%m-%d %H:%M} UTC)")  # fmt: skip
    consumer = p.consumer(account)
    who = _consumer_facts(account, consumer, enrollment)
    walker = _Walker(p, event, program, consumer, account)
    walk, walk_end = walker.walk()
    chosen = [c.day for c in walk if c.chosen]
    event_day = walker.event_day()
    recomputed = walker.recompute(chosen, event_day, enrollment.committed_wh)
    walk = [walker.with_records(c) for c in walk]
    record = chain_record(p, event_id, event, account, enrollment)
    differences = compare(recomputed, record, chosen)
    verdict: Literal["MATCH", "MISMATCH", "NOT SETTLED"] = (
        "NOT SETTLED" if record.path == "none" else "MISMATCH" if differences else "MATCH"
    )
    return Verification(chain_id=int(w3.eth.chain_id), block=int(head["number"]), event=facts,
                        consumer=who, walk=walk, walk_end=walk_end, event_day=event_day,
                        recomputed=recomputed, chain=record, differences=differences,
                        verdict=verdict)  # fmt: skip


def compare(r: Recomputed, c: ChainRecord, chosen: list[int] | None = None) -> list[Difference]:
    """Every figure the chain recorded for the enrollment that differs from the recomputation;
    empty when it matches (or nothing is recorded yet)."""
    out: list[Difference] = []

    def check(figure: str, mine: int | bool | str, chain: int | bool | str | None) -> None:
        if chain is not None and mine != chain:
            out.append(Difference(figure=figure, recomputed=mine, chain=chain))

    if c.path == "none":
        return out
    if chosen is not None and c.candidate_days is not None:
        check("baseline days chosen", _days_text(chosen), _days_text(c.candidate_days))
    check(
        "outcome", _outcome(r.sufficient), None if c.sufficient is None else _outcome(c.sufficient)
    )
    if c.path == "proof":
        check("baseline days with data", r.baseline_days, c.baseline_days)
        check("event day missing", not r.event_day_usable, c.event_day_missing)
        if r.sufficient and c.sufficient and r.steps is not None:
            s = r.steps
            check("baseline Wh", s.baseline_wh, c.baseline_wh)
            check("actual Wh", s.actual_wh, c.actual_wh)
            check("reduction Wh", s.reduction_wh, c.reduction_wh)
            check("day-of adjustment bps", s.adjustment.ratio_bps, c.adjustment_bps)
        if c.sufficient:
            check("reward", r.reward, c.reward)
        check("enrollment paid", r.reward if c.sufficient else 0, c.enrollment_paid)
        if c.sufficient is not None:
            check(
                "escrow payment", r.reward if c.sufficient else 0, sum(x.amount for x in c.payments)
            )
    elif c.entry_index is None:  # O-2: a root holds one entry per enrollment
        check("root entry", "one for the enrollment", "none")
    else:  # an optimistic root's entry (O-2): what proof-carrying settlement would record
        check("verified reduction Wh", r.verified_wh, c.reduction_wh)
        check("reward", r.reward if r.sufficient else 0, c.reward)
        check("committed Wh", r.committed_wh, c.committed_wh)
        if c.claimed:
            check("payment", r.reward if r.sufficient else 0, sum(x.amount for x in c.payments))
    return out


def _outcome(sufficient: bool) -> str:
    return "paid (sufficient data)" if sufficient else "insufficient data"


def _days_text(days: list[int]) -> str:
    return ",".join(day_date(d) for d in days)


# ---------------------------------------------------------------------- facts


def _event_facts(p: Protocol, event_id: int, e: DrEvent, program: Program) -> EventFacts:
    region = p.region(e.region_id)
    window = EventWindow.of_event(e, region.interval_minutes)
    tz = timezone(timedelta(minutes=region.utc_offset_minutes))
    day_start = datetime.combine(EPOCH + timedelta(days=e.day), datetime.min.time(), tzinfo=tz)
    return EventFacts(
        event_id=event_id, program_id=e.program_id, region_id=e.region_id,
        region_name=str(p.regions.functions.regionName(e.region_id).call()),
        utc_offset_minutes=region.utc_offset_minutes, interval_minutes=region.interval_minutes,
        day=e.day, date=day_date(e.day), start_interval=e.start_interval,
        end_interval=e.end_interval, window=window.label,
        starts_at=(day_start + timedelta(minutes=window.start_minute)).isoformat(),
        ends_at=(day_start + timedelta(minutes=window.end_minute)).isoformat(),
        tier=e.tier.name, rate=e.rate, basis=Basis(program.basis).name,
        method=METHOD_NAMES[program.method], signed_data=program.signed_data,
        adj_window_hours=program.adj_window_hours, adj_gap_hours=program.adj_gap_hours,
        adj_cap_bps=program.adj_cap_bps, min_delivery_bps=program.min_delivery_bps,
        bonus_cap_bps=program.bonus_cap_bps, token=program.token, status=e.status.name,
    )  # fmt: skip


def _consumer_facts(account: str, c: Consumer, en: Enrollment) -> ConsumerFacts:
    return ConsumerFacts(account=account, consumer_id=c.id,
                         meter_id_hash="0x" + bytes(c.meter_id_hash).hex(),
                         activation_day=c.activation_day, activation_date=day_date(c.activation_day),
                         committed_wh=en.committed_wh, reserved=en.reserved,
                         enrollment_status=en.status.name)  # fmt: skip


class _Walker:
    """The walk and the records of one consumer's settlement, read once."""

    def __init__(
        self, p: Protocol, e: DrEvent, program: Program, c: Consumer, account: str
    ) -> None:
        self.p, self.e, self.program, self.c = p, e, program, c
        self.net = program.basis == Basis.Net
        self.since = deployed_at(p)
        self.interval = p.meter_interval(e.region_id)
        self.shift: load_shift.ShiftTerms | None = None
        kind = p.program_kind(e.program_id)
        if (
            kind.program_type == ProgramType.LoadShifting
        ):  # L-2: the rebound window beside the event
            w = EventWindow.of_event(e, self.interval)
            self.shift = load_shift.shift_terms(self.interval, w.start_interval, w.end_interval,
                                                kind.shift_hours, kind.shift_before,
                                                kind.neutrality_bps)  # fmt: skip
        self._batches: dict[int, list[Batch]] = {}
        self._usable: dict[int, tuple[int, ...] | None] = {}
        self._problem: dict[int, str | None] = {}
        self._records: dict[int, list[RecordFact]] = {}
        self.key: MeterKey | None = None
        self.domain: tuple[MeterDomain, bytes] | None = None
        if program.signed_data:  # S-10: only records signed by the consumer's meter key count
            self.key = MeterKey.model_validate(p.consumers.functions.meterKey(account).call())
            dom = MeterDomain(chain_id=p.w3.eth.chain_id, meter_data=p.meter.address)
            self.domain = (dom, dom.separator())

    def walk(self) -> tuple[list[DayChoice], str]:
        """S-3 with each lookback day's reason, most recent first."""
        e, region = self.e, self.e.region_id
        lookback = [(region, d) for d in range(e.day - LOOKBACK_DAYS, e.day)]
        batch = web3_batch(self.p.w3)
        flags = call_many(batch, self.p.regions, "isHoliday", lookback)
        holidays = {d for (_, d), f in zip(lookback, flags, strict=True) if f}
        flags = call_many(batch, self.p.requests, "regionHasEvent", lookback)
        event_days = {d for (_, d), f in zip(lookback, flags, strict=True) if f}
        weekend_like = is_weekend(e.day) or e.day in holidays
        earliest = max(e.day - LOOKBACK_DAYS, self.c.activation_day + 1)
        out: list[DayChoice] = []
        chosen = 0
        end = (f"the lookback ends: {LOOKBACK_DAYS} days before the event day"
               if earliest == e.day - LOOKBACK_DAYS
               else f"the lookback ends the day after the consumer's activation ({day_date(self.c.activation_day)})")  # fmt: skip
        for d in range(e.day - 1, earliest - 1, -1):
            if chosen == MAX_DAYS:
                end = f"the walk stops at {MAX_DAYS} days"
                break
            holiday, weekend = d in holidays, is_weekend(d)
            if weekend_like:
                reason = None if weekend or holiday else "weekday (a weekend or holiday event)"
            else:
                reason = "holiday" if holiday else "weekend" if weekend else None
            if reason is None and d in event_days:
                reason = "event day of the region"
            wd = WEEKDAYS[(d + 3) % 7]
            if reason is None:
                chosen += 1
                out.append(
                    DayChoice(day=d, date=day_date(d), weekday=wd, chosen=True, reason="like day")
                )
            else:
                out.append(
                    DayChoice(day=d, date=day_date(d), weekday=wd, chosen=False, reason=reason)
                )
        mine = [c.day for c in out if c.chosen]
        if mine != candidate_days(e.day, self.c.activation_day, holidays, event_days):
            raise AssertionError("the walk's reasons disagree with the reference walk")
        return out, end

    # ------------------------------------------------------------------ records

    def batches(self, day: int) -> list[Batch]:
        if day not in self._batches:
            self._batches[day] = day_batches(self.p.meter, self.e.region_id, day, self.since)
        return self._batches[day]

    def _record(self, day: int, channel: Channel) -> tuple[ConsumerDay, Batch] | None:
        for b in self.batches(day):
            if b.records and b.records[0].channel != channel:
                continue
            pos = b.position(self.c.id)
            if pos is not None:
                return b.records[pos], b
        return None

    def _counts(self, rec: ConsumerDay) -> str | None:
        """Why the record does not count (S-4, S-10), or None when it does."""
        if rec.missing:
            return "flagged missing"
        if self.key is not None and self.domain is not None:
            k = self.key
            key = meter_signing.key_for_day(k.key, k.from_day, k.previous_key, rec.day)
            if not meter_signing.counts(self.domain[0], rec, key, self.domain[1]):
                return "not signed by the consumer's meter key (S-10)"
        return None

    def usable(self, day: int) -> tuple[int, ...] | None:
        """The day's settled readings (import, or net of export, N-1), None for a gap; the reason
        is kept in ``_problem`` and the records found in ``_records``."""
        if day in self._usable:
            return self._usable[day]
        channels = (Channel.IMPORT, Channel.EXPORT) if self.net else (Channel.IMPORT,)
        found: list[ConsumerDay] = []
        facts: list[RecordFact] = []
        problem: str | None = None
        for ch in channels:
            got = self._record(day, ch)
            if got is None:
                problem = problem or f"no {ch.name.lower()} record posted"
                continue
            rec, b = got
            found.append(rec)
            facts.append(
                RecordFact(batch_index=b.index, tx_hash=b.tx_hash, channel=ch.name.lower())
            )
            why = self._counts(rec)
            if why is not None:
                problem = problem or f"{ch.name.lower()} record {why}"
        readings: tuple[int, ...] | None = None
        if problem is None:
            readings = (
                found[0].readings
                if not self.net
                else ref.net_readings(found[0].readings, found[1].readings)
            )
        self._usable[day], self._problem[day], self._records[day] = readings, problem, facts
        return readings

    def with_records(self, c: DayChoice) -> DayChoice:
        if not c.chosen:
            return c
        self.usable(c.day)
        return c.model_copy(update={"records": self._records[c.day], "usable": self._problem[c.day] is None,
                                    "gap": self._problem[c.day]})  # fmt: skip

    def event_day(self) -> EventDay:
        self.usable(self.e.day)
        problem = self._problem[self.e.day]
        return EventDay(records=self._records[self.e.day], usable=problem is None, problem=problem)

    def event_readings(self) -> tuple[int, ...] | None:
        return self.usable(self.e.day)

    def recompute(self, chosen: list[int], event_day: EventDay, committed_wh: int) -> Recomputed:
        per_day = ref.intervals_per_day(self.interval)
        inputs = baseline_inputs(chosen, self.usable, per_day)
        readings = self.event_readings()
        why: str | None = None
        if readings is None:
            why = f"the event day has no usable record: {event_day.problem}"
        elif inputs.usable < MIN_DAYS:
            why = f"{inputs.usable} baseline days with a usable record, {MIN_DAYS} needed (S-6)"
        elif self.shift is not None and inputs.gapped:
            why = ("a chosen day is a gap: a load shift needs every baseline day, because a gap's "
                   "zeros would raise the rebound (L-3)")  # fmt: skip
        if why is not None or readings is None:
            return Recomputed(sufficient=False, why_insufficient=why, event_day_usable=readings is not None, baseline_days=inputs.usable,
                              gapped=inputs.gapped, steps=None, reward=0, verified_wh=0,
                              committed_wh=committed_wh)  # fmt: skip
        pr, w = self.program, EventWindow.of_event(self.e, self.interval)
        params = ref.BaselineParams(method=pr.method, interval_minutes=self.interval,
                                    start_interval=w.start_interval, end_interval=w.end_interval,
                                    adj_window_hours=pr.adj_window_hours,
                                    adj_gap_hours=pr.adj_gap_hours, adj_cap_bps=pr.adj_cap_bps)  # fmt: skip
        s = steps(inputs.days, readings, params, gapped=inputs.gapped, committed_wh=committed_wh,
                  rate=self.e.rate, min_delivery_bps=pr.min_delivery_bps,
                  bonus_cap_bps=pr.bonus_cap_bps, shift=self.shift)  # fmt: skip
        return Recomputed(sufficient=True, why_insufficient=None, event_day_usable=True, baseline_days=inputs.usable,
                          gapped=inputs.gapped, steps=s, reward=s.reward.reward,
                          verified_wh=s.reduction_wh, committed_wh=committed_wh)  # fmt: skip


# ---------------------------------------------------------------------- what the chain did


def chain_record(
    p: Protocol, event_id: int, e: DrEvent, account: str, en: Enrollment
) -> ChainRecord:
    """The enrollment's settlement as the chain recorded and paid it."""
    candidates = _chain_candidates(p, event_id, account)
    dispute = _dispute(p, event_id, account)
    if en.status in (EnrollmentStatus.Settled, EnrollmentStatus.InsufficientData):
        return _proof_record(p, event_id, account, en, candidates, dispute)
    if e.status in (EventStatus.RootPending, EventStatus.RootSettled):
        return _root_record(p, event_id, e, account, candidates)
    if e.status == EventStatus.Closed:
        return ChainRecord(path="none", status="never settled: the event closed with the enrollment "
                           "unsettled (S-9)", candidate_days=candidates)  # fmt: skip
    status = "not settled on chain yet"
    if not p.meter.functions.isFinal(e.region_id, e.day).call():
        status += (" (the event day's meter data is not final: records may still be posted until "
                   "it is, M-9)")  # fmt: skip
    return ChainRecord(path="none", status=status, candidate_days=candidates)


def _chain_candidates(p: Protocol, event_id: int, account: str) -> list[int] | None:
    """The contract's own walk, once the event day is final (it reverts before, M-9)."""
    try:
        return [int(d) for d in p.proofs.functions.candidateDays(event_id, account).call()]
    except Exception:  # EventDayNotFinal: the chain's walk is not available yet
        return None


def _dispute(p: Protocol, event_id: int, account: str) -> str | None:
    d = Dispute.model_validate(p.disputes.functions.dispute(event_id, account).call())
    if d.status == DisputeStatus.None_:
        return None
    if d.status == DisputeStatus.Upheld:
        return f"disputed, upheld: adjustment {d.adjustment} paid after settlement (D-3)"
    return f"disputed, {d.status.name.lower()}"


def _proof_record(
    p: Protocol,
    event_id: int,
    account: str,
    en: Enrollment,
    candidates: list[int] | None,
    dispute: str | None,
) -> ChainRecord:
    filters = {"eventId": event_id, "account": account}
    since = deployed_at(p)
    if en.status == EnrollmentStatus.Settled:
        log = _one(ranged_logs(p.requests.events.Settled, from_block=since, argument_filters=filters),
                   f"Settled log of event {event_id} for {account}")  # fmt: skip
        a = log["args"]
        tx = "0x" + bytes(log["transactionHash"]).hex()
        return ChainRecord(
            path="proof", status="settled (proof-carrying)", tx_hash=tx,
            block=int(log["blockNumber"]), sufficient=True, baseline_wh=int(a["baselineWh"]),
            actual_wh=int(a["actualWh"]), reduction_wh=int(a["reductionWh"]),
            adjustment_bps=int(a["adjustmentBps"]), reward=int(a["reward"]),
            baseline_days=int(a["baselineDays"]), enrollment_paid=en.paid,
            payments=_escrow_payments(p, tx, account), candidate_days=candidates, dispute=dispute,
        )  # fmt: skip
    found = ranged_logs(
        p.requests.events.SettledInsufficientData, from_block=since, argument_filters=filters
    )
    log = _one(found, f"SettledInsufficientData log of event {event_id} for {account}")
    a = log["args"]
    tx = "0x" + bytes(log["transactionHash"]).hex()
    return ChainRecord(path="proof", status="settled as insufficient data", tx_hash=tx,
                       block=int(log["blockNumber"]), sufficient=False,
                       baseline_days=int(a["baselineDays"]),
                       event_day_missing=bool(a["eventDayMissing"]), enrollment_paid=en.paid,
                       payments=_escrow_payments(p, tx, account), candidate_days=candidates,
                       dispute=dispute)  # fmt: skip


def _one(logs: Any, what: str) -> Any:
    """The one log an enrollment's settlement leaves (S-8: it settles once)."""
    if len(logs) != 1:
        raise VerifyError(f"the chain holds {len(logs)} {what}s, not one: a node that prunes "
                          "logs, or a manifest of another deployment")  # fmt: skip
    return logs[0]


def _escrow_payments(p: Protocol, tx: str, account: str) -> list[Payment]:
    """What the escrow paid ``account`` in transaction ``tx``: token transfers from it, and
    amounts it owes instead (``Paid`` with ``pushed`` false, E-5)."""
    receipt = p.w3.eth.get_transaction_receipt(HexBytes(tx))
    out = [
        Payment(amount=amount, pushed=True, tx_hash=tx)
        for amount in _transfers(receipt["logs"], p.escrow.address, account)
    ]
    for e in decode_events(p.escrow, "Paid", [dict(x) for x in receipt["logs"]]):
        if e["consumer"] == account and not e["pushed"]:
            out.append(Payment(amount=int(e["amount"]), pushed=False, tx_hash=tx))
    return out


def _transfers(logs: Any, sender: str, to: str) -> list[int]:
    """ERC-20 ``Transfer`` amounts from ``sender`` to ``to`` among a receipt's raw logs."""
    out = []
    for log in logs:
        topics = [bytes(HexBytes(t)) for t in log["topics"]]
        if len(topics) != 3 or topics[0] != TRANSFER_TOPIC:
            continue
        src = Web3.to_checksum_address(topics[1][-20:])
        dst = Web3.to_checksum_address(topics[2][-20:])
        if src == sender and dst == to:
            out.append(int.from_bytes(bytes(HexBytes(log["data"])), "big"))
    return out


def _root_record(
    p: Protocol, event_id: int, e: DrEvent, account: str, candidates: list[int] | None
) -> ChainRecord:
    """The consumer's entry in the event's current root, from the ``postEntries`` calldata; the
    root rebuilt from every entry must be the one the contract computed (O-2)."""
    record = p.root_record(event_id)
    entries = root_entries(p, event_id)
    tree = opt.RootTree(event_id, entries)
    if tree.root != bytes(record.root):
        raise VerifyError(f"event {event_id}: the posted entries hash to 0x{tree.root.hex()}, the "
                          f"chain's root is 0x{bytes(record.root).hex()}")  # fmt: skip
    mine = [x for x in entries if x.account == account]
    root = "0x" + tree.root.hex()
    status = RootStatus(record.status).name
    if not mine:
        return ChainRecord(path="optimistic", status="the root has no entry for this account",
                           root=root, root_status=status, candidate_days=candidates)  # fmt: skip
    entry = mine[0]
    claimed = bool(p.optimistic.functions.isClaimed(event_id, entry.index).call())
    ends = None
    if record.status == RootStatus.Pending:
        ends = f"{datetime.fromtimestamp(record.challenge_ends, tz=UTC):%Y-%m-%d %H:%M:%S} UTC"
    paid = "paid" if claimed else ("finalized, not claimed yet" if status == "Finalized"
                                   else "in its challenge window, not paid yet")  # fmt: skip
    return ChainRecord(
        path="optimistic", status=f"optimistic root entry {entry.index} ({paid})",
        sufficient=entry.sufficient, reduction_wh=entry.verified_wh, reward=entry.reward,
        committed_wh=entry.committed_wh, root=root, root_status=status, entry_index=entry.index,
        claimed=claimed, payments=_claims(p, event_id, entry.index, account) if claimed else [],
        challenge_ends=ends,
        candidate_days=candidates,
    )  # fmt: skip


def root_entries(p: Protocol, event_id: int) -> list[opt.Entry]:
    """The entries of the event's latest proposal, numbered and summed as the contract does."""
    proposed = ranged_logs(
        p.optimistic.events.RootProposed,
        from_block=deployed_at(p),
        argument_filters={"eventId": event_id},
    )
    if not proposed:
        raise VerifyError(f"event {event_id} has no proposed root")
    since = max(int(x["blockNumber"]) for x in proposed)
    posted = ranged_logs(
        p.optimistic.events.EntriesPosted, from_block=since, argument_filters={"eventId": event_id}
    )
    out: list[opt.Entry] = []
    for log in sorted(posted, key=lambda x: (int(x["blockNumber"]), int(x["logIndex"]))):
        tx = p.w3.eth.get_transaction(log["transactionHash"])
        data = bytes(HexBytes(tx["input"]))
        if tx["to"] != p.optimistic.address:
            raise VerifyError(f"entries of event {event_id} were posted through another contract "
                              f"(tx 0x{bytes(log['transactionHash']).hex()}): not read here")  # fmt: skip
        _, blob = abi_decode(POST_ENTRIES_TYPES, data[4:])
        before = out[-1].reward_before + out[-1].reward if out else 0
        out += opt.unpack_entries(blob, int(log["args"]["firstIndex"]), before)
    return out


def _claims(p: Protocol, event_id: int, index: int, account: str) -> list[Payment]:
    """The claim or batch payment that paid entry ``index`` to ``account`` (O-7, O-8)."""
    since = deployed_at(p)
    found = ranged_logs(
        p.optimistic.events.Claimed,
        from_block=since,
        argument_filters={"eventId": event_id, "account": account},
    )
    out = [
        Payment(amount=int(x["args"]["reward"]), pushed=True,
                tx_hash="0x" + bytes(x["transactionHash"]).hex())
        for x in found if int(x["args"]["index"]) == index
    ]  # fmt: skip
    if out:
        return out
    batches = ranged_logs(
        p.optimistic.events.BatchClaimed, from_block=since, argument_filters={"eventId": event_id}
    )
    for b in batches:
        tx = "0x" + bytes(b["transactionHash"]).hex()
        receipt = p.w3.eth.get_transaction_receipt(HexBytes(tx))
        out += [Payment(amount=a, pushed=True, tx_hash=tx)
                for a in _transfers(receipt["logs"], p.optimistic.address, account)]  # fmt: skip
    return out
