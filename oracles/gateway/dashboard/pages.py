"""Each dashboard page's data, from the gateway's log index (:class:`ChainView`), cached until
the index moves.

* an event's totals are its report (:func:`oracles.indexer.event_report.event_report`, what
  ``gridbalance report --event`` prints): enrolled, committed, settled, status, rewards paid;
* the per-class table groups the same logs by the consumers' class (the demo's table,
  :func:`oracles.sim.report.print_report`): live enrollments (``Enrolled`` not followed by the
  account's ``OptedOut``), ``Settled`` (baseline, actual, verified reduction, reward),
  ``SettledInsufficientData``, optimistic ``Claimed`` and upheld ``DisputeResolved`` adjustments.
  Its totals are the report's (a ``BatchClaimed`` names no account: it counts in the report's paid
  total only). A consumer's class is the one view call per enrolled account (no log of the
  index carries it), in one batch;
* a consumer's page is every indexed log naming the account, with its transaction.

Not thread-safe: called on the gateway's chain thread (``Backend.call``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from web3 import Web3

from oracles.chain.reads import call_many, web3_batch
from oracles.gateway.catalog import Catalog
from oracles.gateway.chain_view import ChainView, Region, Snapshot, Token
from oracles.gateway.dashboard.grid import read_grid
from oracles.gateway.dashboard.models import (
    ClassRow,
    ConsumerPage,
    ConsumerResult,
    Energy,
    EventPage,
    EventRow,
    Head,
    HomePage,
    Line,
    Money,
    RegionRow,
    TxLog,
    TxPage,
)
from oracles.gateway.dashboard.units import amount, kwh
from oracles.gateway.mapping import clock
from oracles.indexer.event_report import EventReport, event_report
from oracles.indexer.store import Row
from oracles.indexer.view import IndexView
from oracles.protocol.bindings import Consumer
from oracles.protocol.enums import ConsumerClass

P = TypeVar("P")
HOME_EVENTS = 50  # the newest events the home page lists
LISTED_ENROLLMENTS = 500  # the enrollments an event page lists (its tables count them all)
NO_TOKEN = Token("", "", 0)
# the logs of a consumer's page, by section
ENROLLMENT_LOGS = ("Enrolled", "OptedOut")
SETTLEMENT_LOGS = ("Settled", "SettledInsufficientData", "DisputeOpened", "DisputeResolved")
PAYMENT_LOGS = ("Settled", "Claimed", "DisputeResolved")


def energy(wh: int) -> Energy:
    return Energy(wh=wh, text=kwh(wh))


def money(units: int, token: Token) -> Money:
    return Money(units=units, text=amount(units, token.decimals), currency=token.symbol)


class Dashboard:
    """The pages of one gateway; each built at most once per indexed block."""

    def __init__(self) -> None:
        self._snapshot: Snapshot | None = None
        self._pages: dict[tuple[str, str], Any] = {}
        self._classes: dict[str, ConsumerClass] = {}

    # ------------------------------------------------------------------ pages

    def head(self, view: ChainView, catalog: Catalog | None = None) -> Head:
        s = view.snapshot()
        hashes = view.store.block_hashes()
        return Head(block=s.last_block, key=f"{s.last_block}-{hashes[0][1] if hashes else ''}")

    def home(self, view: ChainView, catalog: Catalog) -> HomePage:
        return self._cached(view, ("home", ""), lambda: self._home(view))

    def event(self, view: ChainView, catalog: Catalog, event_id: int) -> EventPage | None:
        return self._cached(view, ("event", str(event_id)), lambda: self._event(view, event_id))

    def consumer(self, view: ChainView, catalog: Catalog, account: str) -> ConsumerPage:
        return self._cached(view, ("consumer", account), lambda: self._consumer(view, account))

    def tx(self, view: ChainView, catalog: Catalog, tx_hash: str) -> TxPage | None:
        return self._cached(view, ("tx", tx_hash), lambda: self._tx(view, tx_hash))

    # ------------------------------------------------------------------ internals

    def _cached(self, view: ChainView, key: tuple[str, str], build: Callable[[], P]) -> P:
        s = view.snapshot()
        if s is not self._snapshot:  # the index moved (or was taken back): every page anew
            self._snapshot, self._pages = s, {}
        if key not in self._pages:
            self._pages[key] = build()
        page: P = self._pages[key]
        return page

    def _home(self, view: ChainView) -> HomePage:
        s = view.snapshot()
        regions = [s.regions[rid] for rid in sorted(s.regions)]
        grid = read_grid(view.p, regions)
        rows = [
            RegionRow(
                region_id=r.region_id,
                name=r.name,
                time_zone=clock(r).zone_label,
                interval_minutes=r.params.interval_minutes,
                capacity_kw=grid[r.region_id].capacity_kw,
                grid=grid[r.region_id].grid,
                load=grid[r.region_id].load,
            )
            for r in regions
        ]
        index = IndexView(view.store)
        newest = sorted(s.events, reverse=True)[:HOME_EVENTS]
        events = [
            row
            for eid in newest
            if (report := event_report(index, eid, s.last_block)) is not None
            for row in [self._event_row(s, report)]
        ]
        return HomePage(head=self.head(view), chain_id=view.chain_id,
                        regions=rows, events=events, event_count=len(s.events),
                        program_count=len(s.programs))  # fmt: skip

    def _token_of(self, s: Snapshot, program_id: int) -> Token:
        program = s.programs.get(program_id)
        return NO_TOKEN if program is None else s.tokens.get(program.params.token, NO_TOKEN)

    def _event_row(self, s: Snapshot, r: EventReport) -> EventRow:
        token = self._token_of(s, r.program_id)
        region: Region | None = s.regions.get(r.region_id)
        return EventRow(
            event_id=r.event_id,
            program_id=r.program_id,
            region_id=r.region_id,
            region_name=r.region_name or (region.name if region else ""),
            window=r.window.local or f"{r.date} {r.window.label or ''}".strip(),
            tier=r.tier,
            rate=money(r.rate, token),
            target=energy(r.target_wh),
            enrolled=r.enrollments.enrolled,
            committed=energy(r.enrollments.committed_wh),
            settled=r.settlement.settled,
            insufficient_data=r.settlement.insufficient_data,
            status=r.status,
            paid=money(r.rewards_paid, token),
            triggered=r.triggered,
        )

    def _event(self, view: ChainView, event_id: int) -> EventPage | None:
        s = view.snapshot()
        index = IndexView(view.store)
        report = event_report(index, event_id, s.last_block)
        if report is None:
            return None
        token = self._token_of(s, report.program_id)
        logs = index.event_logs(event_id)
        live: dict[str, Row] = {}
        for r in logs:
            if r.name == "Enrolled":
                live[str(r.args["account"])] = r
            elif r.name == "OptedOut":
                live.pop(str(r.args["account"]), None)
        settled = {str(r.args["account"]): r for r in logs if r.name == "Settled"}
        no_data = {str(r.args["account"]): r for r in logs if r.name == "SettledInsufficientData"}
        extra: dict[str, int] = {}  # optimistic claims and upheld dispute adjustments
        for r in logs:
            if r.name == "Claimed":
                extra[str(r.args["account"])] = extra.get(str(r.args["account"]), 0) + int(
                    r.args["reward"]
                )
            elif r.name == "DisputeResolved" and r.args["upheld"]:
                extra[str(r.args["account"])] = extra.get(str(r.args["account"]), 0) + int(r.args["adjustment"])  # fmt: skip
        classes = self._classes_of(view, list(live))
        results: list[ConsumerResult] = []
        for account, enrolled in live.items():
            st, nd = settled.get(account), no_data.get(account)
            done = st or nd
            paid = (int(st.args["reward"]) if st else 0) + extra.get(account, 0)
            results.append(ConsumerResult(
                account=account,
                consumer_class=classes[account].name.lower(),
                committed=energy(int(enrolled.args["committedWh"])),
                by_keeper=bool(enrolled.args["byKeeper"]),
                outcome="settled" if st else "insufficient data" if nd else "enrolled",
                baseline=energy(int(st.args["baselineWh"])) if st else None,
                actual=energy(int(st.args["actualWh"])) if st else None,
                verified=energy(int(st.args["reductionWh"])) if st else None,
                paid=money(paid, token),
                tx_hash=None if done is None else done.tx_hash,
            ))  # fmt: skip
        rows = [self._class_row(c.name.lower(), results, token) for c in ConsumerClass]
        opt = report.optimistic
        optimistic = None if opt is None else (
            f"{opt.proposals} root(s) proposed, {opt.voided} voided, {opt.expired} expired; last: "
            f"{opt.entries} entries, total {amount(opt.total, token.decimals)} {token.symbol}; "
            f"{'finalized' if opt.finalized else 'not finalized'}; {opt.claimed_entries} entries "
            f"claimed ({amount(opt.claimed, token.decimals)} {token.symbol})"
        )  # fmt: skip
        d = report.disputes
        disputes = (f"{d.opened} opened, {d.upheld} upheld, {d.rejected} rejected, {d.pending} "
                    f"pending; adjustments {amount(d.adjustments, token.decimals)} {token.symbol}")  # fmt: skip
        return EventPage(head=self.head(view),
                         event=self._event_row(s, report), classes=rows,
                         total=self._class_row("total", results, token), consumers=results[:LISTED_ENROLLMENTS],
                         enrollment_count=len(results),
                         optimistic=optimistic, disputes=disputes,
                         unsettled=report.settlement.unsettled)  # fmt: skip

    @staticmethod
    def _class_row(name: str, results: list[ConsumerResult], token: Token) -> ClassRow:
        mine = [r for r in results if name in ("total", r.consumer_class)]

        def total(pick: Callable[[ConsumerResult], Energy | None]) -> Energy:
            return energy(sum(e.wh for r in mine if (e := pick(r)) is not None))

        return ClassRow(
            name=name,
            enrolled=len(mine),
            committed=total(lambda r: r.committed),
            baseline=total(lambda r: r.baseline),
            actual=total(lambda r: r.actual),
            verified=total(lambda r: r.verified),
            paid=money(sum(r.paid.units for r in mine), token),
            insufficient_data=sum(1 for r in mine if r.outcome == "insufficient data"),
        )

    def _classes_of(self, view: ChainView, accounts: list[str]) -> dict[str, ConsumerClass]:
        """Each account's consumer class (one batched view call for the ones not known yet; a
        class is set at registration, C-1)."""
        missing = [a for a in accounts if a not in self._classes]
        if missing:
            replies = call_many(web3_batch(view.w3), view.p.consumers, "consumer",
                                [(a,) for a in missing])  # fmt: skip
            for a, reply in zip(missing, replies, strict=True):
                self._classes[a] = Consumer.model_validate(reply).consumer_class
        return {a: self._classes[a] for a in accounts}

    def _consumer(self, view: ChainView, account: str) -> ConsumerPage:
        s = view.snapshot()
        rows = view.store.rows("account=?", (account,))
        activated = next((r for r in rows if r.name == "ConsumerActivated"), None)
        events = {r.event_id: r for r in (view.snapshot().events.values())}

        def token(event_id: int | None) -> Token:
            e = events.get(event_id) if event_id is not None else None
            return NO_TOKEN if e is None else self._token_of(s, e.program_id)

        def line(r: Row, what: str, wh: int | None = None, units: int | None = None) -> Line:
            eid = r.args.get("eventId")
            event_id = None if eid is None else int(eid)
            return Line(event_id=event_id, what=what,
                        energy=None if wh is None else energy(wh),
                        money=None if units is None else money(units, token(event_id)),
                        block=r.block, tx_hash=r.tx_hash)  # fmt: skip

        enrollments, settlements, payments = [], [], []
        for r in rows:
            a = r.args
            if r.name == "Enrolled":
                by = " by a keeper" if a["byKeeper"] else ""
                enrollments.append(line(r, f"enrolled{by}", int(a["committedWh"])))
            elif r.name == "OptedOut":
                enrollments.append(line(r, "opted out" + (" by a keeper" if a["byKeeper"] else "")))
            if r.name == "Settled":
                settlements.append(line(r, f"settled: baseline {kwh(int(a['baselineWh']))} kWh, "
                                        f"actual {kwh(int(a['actualWh']))} kWh", int(a["reductionWh"]),
                                        int(a["reward"])))  # fmt: skip
                payments.append(line(r, "settlement reward", None, int(a["reward"])))
            elif r.name == "SettledInsufficientData":
                settlements.append(line(r, "insufficient data: nothing paid", None, 0))
            elif r.name == "Claimed":
                payments.append(line(r, "optimistic claim", None, int(a["reward"])))
            elif r.name == "DisputeOpened":
                settlements.append(line(r, "dispute opened"))
            elif r.name == "DisputeResolved":
                upheld = bool(a["upheld"])
                settlements.append(line(r, "dispute upheld" if upheld else "dispute rejected"))
                if upheld:
                    payments.append(line(r, "dispute adjustment", None, int(a["adjustment"])))
        totals: dict[str, tuple[Token, int]] = {}
        for p in payments:
            t = token(p.event_id)
            got = totals.get(t.address, (t, 0))
            totals[t.address] = (t, got[1] + (p.money.units if p.money else 0))
        cls = region = None
        if activated is not None or rows:
            c = Consumer.model_validate(view.p.consumers.functions.consumer(account).call())
            if c.id:
                cls, region = c.consumer_class.name.lower(), c.region_id
        return ConsumerPage(
            head=self.head(view),
            account=account,
            consumer_id=None if activated is None else int(activated.args["consumerId"]),
            consumer_class=cls,
            region_id=region,
            enrollments=enrollments,
            settlements=settlements,
            payments=payments,
            total_paid=[money(units, t) for t, units in totals.values()],
        )

    def _tx(self, view: ChainView, tx_hash: str) -> TxPage | None:
        try:
            receipt = view.w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except Exception:  # web3's TransactionNotFound, or a node that forgot it
            return None
        logs = view.store.rows("tx_hash=?", (tx_hash.lower(),))
        to = receipt.get("to")
        return TxPage(
            head=self.head(view),
            tx_hash=tx_hash,
            block=int(receipt["blockNumber"]),
            sender=Web3.to_checksum_address(receipt["from"]),
            to=None if to is None else Web3.to_checksum_address(to),
            status="success" if int(receipt["status"]) == 1 else "reverted",
            gas_used=int(receipt["gasUsed"]),
            logs=[
                TxLog(
                    name=r.name,
                    event_id=_int(r.args.get("eventId")),
                    account=r.args.get("account"),
                    args=json.dumps(r.args, sort_keys=True),
                )
                for r in logs
            ],
        )


def _int(value: Any) -> int | None:
    return None if value is None else int(value)
