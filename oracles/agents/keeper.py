"""The keeper: enrolls consenting consumers in new events, then settles every enrollment from chain data.

* **Enrollment** (V-1..V-7): for each scheduled event before its enrollment gate
  (``ReductionRequests.enrollmentGate``; after it the keeper does nothing), the keeper first opts out
  (``optOutFor``) the consumers it enrolled that have since withdrawn their consent, then asks the
  chain (``ConsumerRegistry.eligibility``, in batched reads) which active consumers may be enrolled
  by a keeper and enrolls them (``enrollBatch``), committing ``commit_share_bps`` of each one's
  attested capacity over the event hours, at most the program's share of the event's target (V-1).
  Consumers it skips are counted by reason (:class:`oracles.protocol.enums.Refusal`, the contracts'
  own codes).
* **Settlement** (S-1..S-8): once the event day's data is committed, for each enrollment it asks the
  contract for the baseline candidate days, rebuilds every needed leaf and proof from the calldata of
  the meter-data transactions (:mod:`oracles.protocol.meter_batches`: no local database), settles, and compares
  the on-chain result with the Python reference (:mod:`oracles.reference.baseline`, :mod:`oracles.reference.baseline_days`).
  Any difference is logged at ERROR level and counted in ``mismatches``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from pydantic import BaseModel
from web3 import Web3

from oracles.chain.client import ChainClient
from oracles.chain.logs import decode_events, ranged_logs
from oracles.chain.rpc import latest_timestamp
from oracles.indexer.indexer import LogIndexer
from oracles.protocol.bindings import (
    Consumer,
    DrEvent,
    Eligibility,
    Enrollment,
    EventTerms,
    MeterKey,
    Program,
    RootRecord,
)
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import Basis, EnrollmentStatus, Ineligibility, ProgramType, Refusal
from oracles.protocol.event_window import EventWindow
from oracles.protocol.meter_batches import Batch, day_batches
from oracles.reference import baseline as ref
from oracles.reference import load_shift, meter_signing
from oracles.reference import optimistic_root as opt
from oracles.reference.baseline_days import (
    LOOKBACK_DAYS,
    BaselineInputs,
    baseline_inputs,
    candidate_days,
)
from oracles.reference.baseline_days import (
    sufficient as is_sufficient,
)
from oracles.reference.meter_leaf import Channel, ConsumerDay
from oracles.reference.meter_multiproof import ConsumerArg, GroupArg, Located, settle_batch_args
from oracles.reference.meter_signing import MeterDomain

log = logging.getLogger("gridbalance.keeper")

Progress = Callable[[int, int], None]  # (transactions confirmed, transactions to send)

PAY_CHUNK = 100  # root entries per payBatch transaction (about 30k gas per entry, see make bench)
# root entries per postEntries transaction: 2,000 x 47 bytes of calldata stays under the 128 KiB
# transaction size nodes accept, and about 2,000 gas per entry far under the 16,777,216 gas cap
POST_CHUNK = 2_000
_ERC20_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": name, "stateMutability": mut, "outputs": [{"type": "uint256", "name": ""}],
     "inputs": [{"type": t, "name": f"a{i}"} for i, t in enumerate(args)]}
    for name, mut, args in (("allowance", "view", ("address", "address")),
                            ("approve", "nonpayable", ("address", "uint256")))
]  # fmt: skip
# consumers per enrollBatch transaction (V-6; the contract takes at most 400, about 36k gas each)
ENROLL_CHUNK = 200
ZERO_ADDRESS = "0x" + "00" * 20


class Terms(NamedTuple):
    """An event, its program and its window as first read (their terms never change)."""

    event: DrEvent
    program: Program
    window: EventWindow  # the event's intervals at the region's meter interval (P-3, R-7)
    shift: load_shift.ShiftTerms | None = None  # a load-shifting program's rebound window (L-2)


@dataclass(frozen=True)
class Outcome:
    """One settled enrollment, as the chain reported it, with the reference's verdict."""

    account: str
    consumer_id: int
    committed_wh: int
    sufficient: bool
    baseline_wh: int = 0
    actual_wh: int = 0
    reduction_wh: int = 0
    adjustment_bps: int = 0
    reward: int = 0
    baseline_days: int = 0
    matches_reference: bool = True


@dataclass
class EnrollStats:
    event_id: int
    enrolled: list[str] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    opted_out: list[str] = field(default_factory=list)  # consent withdrawn since enrolled (V-7)
    closed: bool = False  # the enrollment gate had passed: nothing sent (V-1)

    def skip(self, refusal: Refusal, suffix: str = "") -> None:
        reason = refusal.text() + suffix
        self.skipped[reason] = self.skipped.get(reason, 0) + 1


@dataclass(frozen=True)
class DayLeaves:
    """A consumer-day's records that settlement requires, each with (batch index, record, proof):
    the import record, then in a net program the export record (N-2)."""

    leaves: tuple[tuple[ConsumerDay, tuple[int, bytes, list[bytes]]], ...]

    @property
    def records(self) -> list[ConsumerDay]:
        return [rec for rec, _ in self.leaves]

    @property
    def proofs(self) -> list[tuple[int, bytes, list[bytes]]]:
        return [proof for _, proof in self.leaves]

    def readings(self, counts: Callable[[ConsumerDay], bool]) -> tuple[int, ...] | None:
        """The day's settled readings, or None unless every record counts (S-4, S-10): the import
        readings, or their net of the export readings, max(import - export, 0) (N-1)."""
        records = self.records
        if not all(counts(rec) for rec in records):
            return None
        if len(records) == 1:
            return records[0].readings
        return ref.net_readings(records[0].readings, records[1].readings)


@dataclass(frozen=True)
class Planned:
    """One enrollment's settlement, prepared from chain data and computed by the reference."""

    account: str
    consumer_id: int
    committed_wh: int
    sufficient: bool
    result: ref.BaselineResult | None
    reward: int
    # (batch index, record, proof) of the event day, then of each baseline day; None when the chain
    # lacks a record, so the consumer cannot be settled (and its root entry is insufficient, 0, 0)
    proofs: list[tuple[int, bytes, list[bytes]]] | None
    # the local day of each record in ``proofs`` (batch settlement groups records by day and batch)
    days: list[int] | None = None

    def as_result(self) -> opt.Result:
        """The root entry's result: what proof-carrying settlement would record (O-2, O-4)."""
        verified = self.result.reduction_wh if self.sufficient and self.result is not None else 0
        return opt.Result(
            account=self.account,
            sufficient=self.sufficient,
            verified_wh=verified,
            reward=self.reward if self.sufficient else 0,
            committed_wh=self.committed_wh,
        )


@dataclass
class SettleStats:
    event_id: int
    outcomes: list[Outcome] = field(default_factory=list)
    mismatches: int = 0


def baseline_params(terms: Terms, cap_bps: int | None = None) -> ref.BaselineParams:
    """The reference's parameters for an event of a program; ``cap_bps`` overrides B-5's cap."""
    program, window = terms.program, terms.window
    return ref.BaselineParams(
        method=program.method, interval_minutes=window.interval_minutes,
        start_interval=window.start_interval, end_interval=window.end_interval,
        adj_window_hours=program.adj_window_hours, adj_gap_hours=program.adj_gap_hours,
        adj_cap_bps=program.adj_cap_bps if cap_bps is None else cap_bps,
    )  # fmt: skip


def event_terms(terms: Terms, *, by_keeper: bool) -> EventTerms:
    """The event's terms as enrollment checks them against a consumer (V-2): the hours its window
    touches."""
    event, program, window = terms.event, terms.program, terms.window
    start_hour, end_hour = window.hours
    return EventTerms(
        region_id=event.region_id, class_mask=program.class_mask, rate=event.rate,
        start_hour=start_hour, end_hour=end_hour, by_keeper=by_keeper,
    )  # fmt: skip


def max_commitment_wh(capacity_w: int, window: EventWindow) -> int:
    """V-3: the most a consumer may commit, its capacity over the window, rounded down."""
    return capacity_w * window.minutes // 60


def event_reward(
    result: ref.BaselineResult, committed_wh: int, event: DrEvent, program: Program
) -> int:
    """R-1..R-3: the reward of a verified reduction, as settlement pays it."""
    return ref.reward(
        result.reduction_wh,
        committed_wh,
        event.rate,
        program.min_delivery_bps,
        program.bonus_cap_bps,
    )


class Keeper:
    def __init__(
        self,
        protocol: Protocol,
        client: ChainClient,
        *,
        commit_share_bps: int = 8_000,
        index: LogIndexer | None = None,
    ) -> None:
        self.p = protocol
        # the log indexer (its caller syncs it): logs come from it rather than from block 0
        self.index = index
        self.client = client
        self.commit_share_bps = commit_share_bps
        self._batches: dict[tuple[int, int], list[Batch]] = {}
        self._terms: dict[int, Terms] = {}
        # (event, account) -> (baseline days' readings, most recent first; event-day readings)
        self.inputs: dict[tuple[int, str], tuple[list[tuple[int, ...]], tuple[int, ...]]] = {}

    # ------------------------------------------------------------------ discovery

    def active_accounts(self) -> list[str]:
        """Every account ever activated (the eligibility check reads each one's current state)."""
        if self.index is not None:
            return self.index.view.activated_accounts()
        logs = ranged_logs(self.p.consumers.events.ConsumerActivated, from_block=0)
        return [e["args"]["account"] for e in logs]

    def terms(self, event_id: int) -> Terms:
        """The event and its program as first read: their terms (program, region, day, hours, rate,
        baseline and reward parameters) never change, so they are read once per keeper. Counters and
        status in the returned event are those of that first read: read ``dr_event`` for current ones."""
        if event_id not in self._terms:
            event = self.p.dr_event(event_id)
            window = EventWindow.of_event(event, self.p.meter_interval(event.region_id))
            kind = self.p.program_kind(event.program_id)
            shift = None
            if kind.program_type == ProgramType.LoadShifting:
                shift = load_shift.shift_terms(
                    window.interval_minutes, window.start_interval, window.end_interval,
                    kind.shift_hours, kind.shift_before, kind.neutrality_bps,
                )  # fmt: skip
            self._terms[event_id] = Terms(event, self.p.program(event.program_id), window, shift)
        return self._terms[event_id]

    # ------------------------------------------------------------------ enrollment

    def enroll(
        self, event_id: int, accounts: list[str] | None = None, progress: Progress | None = None
    ) -> EnrollStats:
        requests = self.p.requests.functions
        terms_ = self.terms(event_id)
        event, program, window = terms_.event, terms_.program, terms_.window
        stats = EnrollStats(event_id)
        gate = int(requests.enrollmentGate(event_id).call())
        if latest_timestamp(self.client.w3) >= gate:
            log.info(
                "event %d: enrollment closed at its gate (%d, V-1); nothing sent", event_id, gate
            )
            stats.closed = True
            return stats
        todo: list[tuple[str, int]] = []
        accounts = accounts if accounts is not None else self.active_accounts()
        terms = event_terms(terms_, by_keeper=True).abi()
        enrollments = Enrollment.many(
            self.client.call_many(self.p.requests, "enrollment", [(event_id, a) for a in accounts])
        )
        eligibilities = Eligibility.many(
            self.client.call_many(self.p.consumers, "eligibility", [(a, terms) for a in accounts])
        )
        meter_keys = self._meter_keys(program, accounts)
        mine = self.keeper_enrolled(event_id)
        withdrawn = (Ineligibility.NoDataConsent, Ineligibility.NoKeeperConsent)
        share_wh = event.target_wh * program.max_share_bps // 10_000  # V-1: the program's share
        leaving: list[str] = []
        for account, enrollment, eligibility, keys in zip(
            accounts, enrollments, eligibilities, meter_keys, strict=True
        ):
            if enrollment.status != EnrollmentStatus.None_:
                if (
                    enrollment.status == EnrollmentStatus.Enrolled
                    and account in mine
                    and eligibility.reason in withdrawn
                ):
                    leaving.append(account)  # V-7: consent withdrawn since the keeper enrolled it
                else:
                    stats.skip(Refusal.AlreadyEnrolled)
            elif eligibility.reason != Ineligibility.None_:
                stats.skip(Refusal(eligibility.reason))
            elif keys is not None and keys.key == ZERO_ADDRESS:
                stats.skip(Refusal.NoMeterKey)
            else:
                committed = (
                    max_commitment_wh(eligibility.capacity_w, window)
                    * self.commit_share_bps
                    // 10_000
                )
                committed = min(committed, share_wh)
                if committed == 0:
                    stats.skip(Refusal.CommitmentOutOfRange)
                else:
                    todo.append((account, committed))
        if leaving:
            opt_outs = [
                (requests.optOutFor(event_id, a), f"optOutFor({event_id}, {a})") for a in leaving
            ]
            for receipt in self.client.transact_many(opt_outs):
                for e in decode_events(self.p.requests, "OptedOut", receipt["logs"]):
                    stats.opted_out.append(e["account"])
        chunks = [todo[i : i + ENROLL_CHUNK] for i in range(0, len(todo), ENROLL_CHUNK)]
        calls = [
            (
                requests.enrollBatch(event_id, part),
                f"enrollBatch({event_id}, {len(part)} consumers from {part[0][0]})",
            )
            for part in chunks
        ]
        for receipt in self.client.transact_many(calls, progress):
            for e in decode_events(self.p.requests, "Enrolled", receipt["logs"]):
                stats.enrolled.append(e["account"])
            for e in decode_events(self.p.requests, "EnrollmentRefused", receipt["logs"]):
                # the chain changed between the check above and the transaction (V-6)
                stats.skip(Refusal(e["reason"]), " (refused on chain)")
        log.info(
            "event %d: enrolled %d consumers, opted out %d, skipped %s",
            event_id,
            len(stats.enrolled),
            len(stats.opted_out),
            stats.skipped or "none",
        )
        return stats

    # ------------------------------------------------------------------ settlement

    def forget_batches(self) -> None:
        """Read the days' meter batches again when next needed (a watching keeper, each pass)."""
        self._batches.clear()

    def batches(self, region: int, day: int) -> list[Batch]:
        key = (region, day)
        if key not in self._batches:
            logs = None if self.index is None else self.index.view.batch_logs(region, day)
            self._batches[key] = day_batches(self.p.meter, region, day, logs=logs)
        return self._batches[key]

    def leaf(
        self, region: int, day: int, consumer_id: int, channel: Channel = Channel.IMPORT
    ) -> tuple[ConsumerDay, tuple[int, bytes, list[bytes]]] | None:
        """The consumer's record of the day on ``channel``, with its batch index and proof; None if
        none was posted (M-8). A batch holds one channel (M-2)."""
        for batch in self.batches(region, day):
            if batch.records and batch.records[0].channel != channel:
                continue
            pos = batch.position(consumer_id)
            if pos is not None:
                record = batch.records[pos]
                return record, (batch.index, record.encode(), batch.proof(pos))
        return None

    def day_leaves(self, region: int, day: int, consumer_id: int, net: bool) -> DayLeaves | None:
        """The records settlement requires of the consumer's day (M-8, N-2): its import record,
        and in a net program its export record too; None if one of them was not posted (the day has
        no data: a gap, or an insufficient event day)."""
        imported = self.leaf(region, day, consumer_id)
        if imported is None or not net:
            return None if imported is None else DayLeaves((imported,))
        exported = self.leaf(region, day, consumer_id, Channel.EXPORT)
        return None if exported is None else DayLeaves((imported, exported))

    def enrolled_accounts(self, event_id: int) -> list[str]:
        """Every account that ever enrolled in the event, once each, in first-``Enrolled`` order (an
        account that opted out and enrolled again appears once; the enrollment's status says which)."""
        if self.index is not None:
            return list(dict.fromkeys(a for a, _ in self.index.view.enrollments(event_id)))
        logs = ranged_logs(
            self.p.requests.events.Enrolled, from_block=0, argument_filters={"eventId": event_id}
        )
        return list(dict.fromkeys(e["args"]["account"] for e in logs))

    def keeper_enrolled(self, event_id: int) -> set[str]:
        """The accounts whose latest enrollment in the event a keeper made (``Enrolled.byKeeper``)."""
        if self.index is not None:
            latest = dict(self.index.view.enrollments(event_id))
        else:
            logs = ranged_logs(
                self.p.requests.events.Enrolled,
                from_block=0,
                argument_filters={"eventId": event_id},
            )
            latest = {e["args"]["account"]: bool(e["args"]["byKeeper"]) for e in logs}
        return {a for a, by_keeper in latest.items() if by_keeper}

    def _reference(
        self,
        terms: Terms,
        committed: int,
        event_readings: tuple[int, ...] | None,
        inputs: BaselineInputs,
    ) -> tuple[bool, ref.BaselineResult | None, int]:
        if event_readings is None or not is_sufficient(True, inputs):
            return False, None, 0
        # B-2..B-6, or for a load-shifting program L-3..L-5 (a gap: insufficient data, L-3)
        result, _ = load_shift.settlement_result(
            inputs.days, event_readings, baseline_params(terms), inputs.gapped, terms.shift
        )
        if result is None:
            return False, None, 0
        reward = event_reward(result, committed, terms.event, terms.program)
        return True, result, reward

    def _meter_keys(self, program: Program, accounts: list[str]) -> list[MeterKey | None]:
        """Each account's meter key in a signed-data program (C-11); None each otherwise."""
        if not program.signed_data:
            return [None] * len(accounts)
        return list(
            MeterKey.many(
                self.client.call_many(self.p.consumers, "meterKey", [(a,) for a in accounts])
            )
        )

    def _meter_domain(self) -> tuple[MeterDomain, bytes]:
        """The EIP-712 domain meters sign in, with its separator (once per event, M-7)."""
        domain = MeterDomain(chain_id=self.client.w3.eth.chain_id, meter_data=self.p.meter.address)
        return domain, domain.separator()

    @staticmethod
    def _counts(
        keys: MeterKey | None, domain: tuple[MeterDomain, bytes] | None
    ) -> Callable[[ConsumerDay], bool]:
        """Whether a record counts (S-4): present, and in a signed-data program (``keys``: the
        consumer's meter key) signed by the consumer's meter key for its day (S-10)."""
        if keys is None or domain is None:
            return lambda rec: not rec.missing
        dom, separator = domain

        def counts(rec: ConsumerDay) -> bool:
            key = meter_signing.key_for_day(keys.key, keys.from_day, keys.previous_key, rec.day)
            ok = meter_signing.counts(dom, rec, key, separator)
            if not ok and not rec.missing:
                log.warning("consumer %d day %d: record not signed by its meter key; counts as missing",
                            rec.consumer_id, rec.day)  # fmt: skip
            return ok

        return counts

    def finalize_day(self, event_id: int) -> bool:
        """M-9: make the event's region-day final if it is not yet and its FINALITY_DELAY has passed
        (anyone may); whether it is final now. Settlement and proposals need it final (S-12)."""
        event = self.terms(event_id).event
        meter = self.p.meter.functions
        if meter.isFinal(event.region_id, event.day).call():
            return True
        ends = self.p.regions.functions.localDayStart(event.region_id, event.day + 1).call()
        at = int(ends) + int(meter.FINALITY_DELAY().call())
        if latest_timestamp(self.client.w3) < at:
            return False
        self.client.transact(
            meter.finalize(event.region_id, event.day), f"finalize({event.region_id}, {event.day})"
        )
        log.info("region %d: days through %d made final", event.region_id, event.day)
        return True

    def plan(self, event_id: int) -> tuple[list[Planned], int]:
        """Every live enrollment of the event with its meter-record proofs and the reference's
        result (S-1..S-8), and the number of candidate-day mismatches with the chain. The event
        day is made final first if it can be (M-9)."""
        terms = self.terms(event_id)
        event, program, window = terms.event, terms.program, terms.window
        region, day = event.region_id, event.day
        if not self.finalize_day(event_id):
            raise ValueError(f"event {event_id}: day {day} is not final yet (M-9)")
        mismatches = 0
        planned: list[Planned] = []
        # chain facts of the lookback, read once per event in batched reads, for the walk (S-3)
        lookback = [(region, d) for d in range(day - LOOKBACK_DAYS, day)]
        holidays = self._days(self.p.regions, "isHoliday", lookback)
        event_days = self._days(self.p.requests, "regionHasEvent", lookback)
        net = program.basis == Basis.Net  # N-1, N-2: each day needs its import and export records
        accounts = self.enrolled_accounts(event_id)
        enrollments = Enrollment.many(
            self.client.call_many(self.p.requests, "enrollment", [(event_id, a) for a in accounts])
        )
        consumers = Consumer.many(
            self.client.call_many(self.p.consumers, "consumer", [(a,) for a in accounts])
        )
        meter_keys = self._meter_keys(program, accounts)
        domain = self._meter_domain() if program.signed_data else None
        candidate_lists = self.client.call_many(
            self.p.proofs, "candidateDays", [(event_id, a) for a in accounts]
        )
        for account, enrollment, consumer, chain_candidates, keys in zip(
            accounts, enrollments, consumers, candidate_lists, meter_keys, strict=True
        ):
            if enrollment.status != EnrollmentStatus.Enrolled:
                continue
            cid = consumer.id
            candidates = list(chain_candidates)
            mine = candidate_days(day, consumer.activation_day, holidays, event_days)
            if mine != candidates:
                log.error(
                    "MISMATCH event %d %s: candidate days chain %s, reference %s",
                    event_id,
                    account,
                    candidates,
                    mine,
                )
                mismatches += 1
            # M-8, S-4: a record is required exactly where one was posted (the chain's posted bits);
            # a day without one is proven absent: an event day without a record is insufficient data,
            # a baseline day without a usable record is a gap (B-9), never replaced by an older day
            found = self.day_leaves(region, day, cid, net)
            found_days = {d: self.day_leaves(region, d, cid, net) for d in candidates}
            leaves = {d: leaf for d, leaf in found_days.items() if leaf is not None}
            required = [d for d in candidates if d in leaves]
            counts = self._counts(keys, domain)
            usable = {
                d: r for d, leaf in leaves.items() if (r := leaf.readings(counts)) is not None
            }
            inputs = baseline_inputs(
                candidates, usable.get, ref.intervals_per_day(window.interval_minutes)
            )
            sufficient, result, reward = False, None, 0
            if found is not None:
                event_readings = found.readings(counts)
                sufficient, result, reward = self._reference(
                    terms, enrollment.committed_wh, event_readings, inputs
                )
                self.inputs[(event_id, account)] = (
                    inputs.days,
                    found.records[0].readings if event_readings is None else event_readings,
                )
            with_data = ([] if found is None else [(day, found)]) + [
                (d, leaves[d]) for d in required
            ]
            planned.append(
                Planned(account, cid, enrollment.committed_wh, sufficient, result, reward,
                        [p for _, leaf in with_data for p in leaf.proofs],
                        [d for d, leaf in with_data for _ in leaf.proofs])
            )  # fmt: skip
        return planned, mismatches

    def _days(self, contract: Any, name: str, region_days: list[tuple[int, int]]) -> set[int]:
        """The days of ``region_days`` for which the view ``name(region, day)`` is true."""
        flags = self.client.call_many(contract, name, region_days)
        return {d for (_, d), flag in zip(region_days, flags, strict=True) if flag}

    def settle(
        self, event_id: int, progress: Progress | None = None, batch: int = 0
    ) -> SettleStats:
        """Settle every enrollment through the proof-carrying path and check each result against
        the reference: one ``settle`` per consumer, or (``batch`` > 0) ``settleBatch`` calls of up
        to ``batch`` consumers, each batch's records proved by one multiproof (S-11)."""
        planned, mismatches = self.plan(event_id)
        stats = SettleStats(event_id, mismatches=mismatches)
        batch = self.batch_size(event_id, batch)
        parts = self.settle_parts(planned, batch)
        region = self.terms(event_id).event.region_id
        calls = [self.settle_call(event_id, region, part, batch > 0) for part in parts]
        receipts = self.client.transact_many(calls, progress)
        for part, receipt in zip(parts, receipts, strict=True):
            self.compare_receipt(stats, event_id, part, receipt)
        log.info("event %d: settled %d enrollments, paid %d token units, %d mismatches",
                 event_id, len(stats.outcomes), sum(o.reward for o in stats.outcomes),
                 stats.mismatches)  # fmt: skip
        return stats

    def batch_size(self, event_id: int, batch: int) -> int:
        """``batch``, or 0 for a net program's event: settleBatch reads one channel, so its
        enrollments settle one per call (N-3)."""
        if batch and self.terms(event_id).program.basis == Basis.Net:
            log.info("event %d: a net program settles one enrollment per call (N-3)", event_id)
            return 0
        return batch

    @staticmethod
    def settle_parts(planned: list[Planned], batch: int = 0) -> list[list[Planned]]:
        """The planned settlements that can be sent (every one with its proofs), one per
        transaction, or (``batch`` > 0) up to ``batch`` per ``settleBatch``."""
        todo = [x for x in planned if x.proofs is not None]
        if batch:  # a batch's records sit in each meter batch in consumer-id order (M-4)
            todo.sort(key=lambda x: x.consumer_id)
            return [todo[i : i + batch] for i in range(0, len(todo), batch)]
        return [[x] for x in todo]

    def compare_receipt(
        self, stats: SettleStats, event_id: int, part: list[Planned], receipt: dict[str, Any]
    ) -> None:
        """The outcomes of one settlement transaction of ``part``, checked against the reference."""
        settled = {
            e["account"]: e for e in decode_events(self.p.requests, "Settled", receipt["logs"])
        }
        for x in part:
            self._compare(stats, event_id, x, settled.get(x.account))

    def settle_call(
        self, event_id: int, region: int, part: list[Planned], batch: bool
    ) -> tuple[Any, str]:
        fns = self.p.proofs.functions
        if not batch:
            (x,) = part
            return fns.settle(
                event_id, x.account, x.proofs
            ), f"settle({event_id}, consumer {x.consumer_id})"
        consumers, groups = self.batch_input(region, part)
        return (
            fns.settleBatch(event_id, consumers, groups),
            f"settleBatch({event_id}, consumers {part[0].consumer_id}..{part[-1].consumer_id})",
        )

    def batch_input(
        self, region: int, part: list[Planned]
    ) -> tuple[list[ConsumerArg], list[GroupArg]]:
        """``settleBatch``'s arguments for ``part`` (ascending consumer ids, every one with proofs)
        of an event in ``region``, from the meter batches the chain committed (S-11)."""
        consumers: list[tuple[str, list[Located]]] = []
        for x in part:
            assert x.proofs is not None and x.days is not None
            located = []
            for day, (index, record, _) in zip(x.days, x.proofs, strict=True):
                b = self.batches(region, day)[index]
                position = b.position(x.consumer_id)
                assert position is not None
                located.append(Located(day, index, position, record, b.tree))
            consumers.append((x.account, located))
        return settle_batch_args(consumers)

    def _compare(
        self, stats: SettleStats, event_id: int, x: Planned, a: dict[str, Any] | None
    ) -> None:
        """The chain's outcome for ``x`` (its Settled event, None for insufficient data) against the
        reference."""
        result = x.result
        if a is not None:
            outcome = Outcome(x.account, x.consumer_id, x.committed_wh, True, a["baselineWh"], a["actualWh"],
                              a["reductionWh"], a["adjustmentBps"], a["reward"], a["baselineDays"])  # fmt: skip
            ok = (x.sufficient and result is not None and
                  (a["baselineWh"], a["actualWh"], a["reductionWh"], a["adjustmentBps"], a["reward"])
                  == (*result.as_tuple(), x.reward))  # fmt: skip
        else:
            outcome = Outcome(x.account, x.consumer_id, x.committed_wh, False)
            ok = not x.sufficient
        if not ok:
            stats.mismatches += 1
            log.error(
                "MISMATCH event %d consumer %d: chain %s, reference %s reward %d",
                event_id,
                x.consumer_id,
                outcome,
                result,
                x.reward,
            )
        stats.outcomes.append(Outcome(**{**outcome.__dict__, "matches_reference": ok}))

    # ------------------------------------------------------------------ optimistic settlement

    def propose_root(
        self,
        event_id: int,
        publish: Path | None = None,
        planned: list[Planned] | None = None,
        chunk: int = POST_CHUNK,
    ) -> opt.RootTree:
        """O-2, O-3: compute every enrollment's result with the reference (or take ``planned``, from
        :meth:`plan`), open the proposal with its bonds (the token part approved first), and send
        every entry to the contract, ``chunk`` per transaction; the last completes the root, which
        the contract computes itself and must equal the reference's. ``publish`` (a JSON file) keeps
        the entries and proofs at hand for claims and challenges; the chain has them in calldata."""
        mismatches = 0
        if planned is None:
            planned, mismatches = self.plan(event_id)
        if mismatches:
            raise RootError(
                f"event {event_id}: {mismatches} candidate-day mismatches with the chain"
            )
        if not planned:
            raise RootError(f"event {event_id}: no enrollment to settle")
        tree = opt.RootTree.from_results(event_id, [x.as_result() for x in planned])
        if publish is not None:
            publish.parent.mkdir(parents=True, exist_ok=True)
            publish.write_text(PublishedRoot.of(tree).model_dump_json(indent=1) + "\n")
        fns = self.p.optimistic.functions
        self._approve_token_bond(event_id, int(fns.tokenBondFor(tree.total).call()))
        self.client.transact(
            fns.propose(event_id, tree.count, tree.total),
            f"propose root of event {event_id}",
            value=int(fns.bond().call()),
        )
        parts = [tree.entries[i : i + chunk] for i in range(0, tree.count, chunk)]
        for part in parts:  # one after another: each chunk continues the contract's tree
            self.client.transact(
                fns.postEntries(event_id, opt.pack_entries(part)),
                f"postEntries(event {event_id}, entries {part[0].index}..{part[-1].index})",
            )
        posted = RootRecord.model_validate(fns.rootRecord(event_id).call())
        if posted.root != tree.root:
            raise RootError(f"event {event_id}: the chain computed root {posted.root.hex()}, "
                            f"the reference {tree.root.hex()}")  # fmt: skip
        log.info("event %d: proposed root %s of %d entries in %d transactions, total %d token units",
                 event_id, tree.root.hex(), tree.count, len(parts), tree.total)  # fmt: skip
        return tree

    def _approve_token_bond(self, event_id: int, amount: int) -> None:
        """O-3: let the contract pull the token part of the bond from this keeper."""
        if amount == 0:
            return
        address = self.terms(event_id).program.token
        token = self.p.w3.eth.contract(address=Web3.to_checksum_address(address), abi=_ERC20_ABI)
        spender = self.p.optimistic.address
        if int(token.functions.allowance(self.client.address, spender).call()) < amount:
            self.client.transact(
                token.functions.approve(spender, amount),
                f"approve the token bond of event {event_id}",
            )

    def finalize_root(self, event_id: int) -> dict[str, Any]:
        """O-6: after the challenge window, move the root's total from the escrow."""
        return self.client.transact(
            self.p.optimistic.functions.finalize(event_id), f"finalize root of event {event_id}"
        )

    def pay_root(
        self, tree: opt.RootTree, chunk: int = PAY_CHUNK, progress: Progress | None = None
    ) -> int:
        """O-8, O-10: pay every entry not yet recorded, ``chunk`` entries per transaction (each batch
        also writes the entries' track records; one already claimed is recorded, not paid again);
        returns the number of entries paid (a refused transfer stays claimable)."""
        fns = self.p.optimistic.functions
        recorded = self.client.call_many(
            self.p.optimistic, "isRecorded", [(tree.event_id, e.index) for e in tree.entries]
        )
        todo = [e for e, done in zip(tree.entries, recorded, strict=True) if not done]
        calls = [
            (
                fns.payBatch(
                    tree.event_id,
                    opt.pack_batch(part),
                    tree.multiproof([e.index for e in part]),
                ),
                f"payBatch(event {tree.event_id}, entries {part[0].index}..{part[-1].index})",
            )
            for part in (todo[i : i + chunk] for i in range(0, len(todo), chunk))
        ]
        receipts = self.client.transact_many(calls, progress)
        paid = sum(
            int(e["entries"])
            for r in receipts
            for e in decode_events(self.p.optimistic, "BatchClaimed", r["logs"])
        )
        log.info("event %d: paid %d of %d root entries in %d transactions",
                 tree.event_id, paid, len(todo), len(calls))  # fmt: skip
        return paid


class RootError(RuntimeError):
    """A root cannot be proposed from the chain's data."""


class PublishedRoot(BaseModel):
    """The entries of a proposed root, as the keeper publishes them (claims and challenges)."""

    event_id: int
    root: str
    total: int
    entries: list[opt.Entry]

    @classmethod
    def of(cls, tree: opt.RootTree) -> PublishedRoot:
        return cls(event_id=tree.event_id, root="0x" + tree.root.hex(), total=tree.total,
                   entries=tree.entries)  # fmt: skip

    def tree(self) -> opt.RootTree:
        tree = opt.RootTree(self.event_id, self.entries)
        if "0x" + tree.root.hex() != self.root:
            raise RootError(
                f"published entries of event {self.event_id} do not hash to {self.root}"
            )
        return tree
