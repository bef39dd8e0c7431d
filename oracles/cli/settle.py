"""`gridbalance settle`: settle one enrollment or every one of an event through the proof-carrying path
(S-1..S-8, S-11), with the keeper's own planning (oracles/agents/keeper.py): each record and proof rebuilt
from the meter-data calldata, each result checked against the Python reference. Anyone may send it."""

from __future__ import annotations

import argparse
from typing import Any

from oracles.agents.keeper import Keeper, SettleStats
from oracles.cli import argtypes, tokens
from oracles.cli.actions import Anyone, CliError, Session, Tx, command
from oracles.cli.event import event_of, kwh_text, local_time
from oracles.protocol.enums import EventStatus

CONTRACT = "ProofSettlement"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command(sub, "settle", "settle an event's enrollments from chain data (anyone)", _settle,
                description="Settle one consumer's enrollment (--consumer) or every live enrollment of an "
                "event, once its day's meter data is committed and final: the keeper's planning rebuilds "
                "each record and proof from the chain's calldata, and each result is compared with the "
                "Python reference. The event day is made final first when its delay has passed (M-9).")  # fmt: skip
    p.add_argument("--event", type=argtypes.uint(256, 1), required=True, help="event id")
    p.add_argument("--consumer", type=argtypes.address, default=None,
                   help="only this consumer's enrollment (default: every live one)")  # fmt: skip
    p.add_argument("--batch", type=argtypes.uint(16), default=0,
                   help="settle up to this many enrollments per settleBatch, each meter batch's "
                   "records proved by one multiproof (default: one settle per consumer)")  # fmt: skip


def _settle(args: argparse.Namespace) -> int:
    s = Session.open(args)
    e = event_of(s, args.event)
    if e.status != EventStatus.Scheduled:
        raise CliError(f"event {args.event} is {e.status.name}: nothing to settle")
    need = Anyone()
    keeper = Keeper(s.p, s.client(s.signer(need)))
    meter = s.p.meter.functions
    finalized = ""
    if not meter.isFinal(e.region_id, e.day).call():
        ends = int(s.p.regions.functions.localDayStart(e.region_id, e.day + 1).call())
        final_at = ends + int(meter.FINALITY_DELAY().call())
        if s.now() < final_at:
            when = local_time(s, e.region_id, final_at)
            raise CliError(f"event {args.event}'s day {argtypes.day_text(e.day)} is final from {when} "
                           "(M-9): settle after it")  # fmt: skip
        date = argtypes.day_text(e.day)
        if s.dry_run:  # the records are read from final days only: nothing to plan before it
            s.say(
                f"the day {date} must be made final first; the settlements are planned once it is"
            )
            fin = Tx(meter.finalize(e.region_id, e.day), f"finalize region {e.region_id} day {date}",
                     "MeterData")  # fmt: skip
            return s.run([fin], need, lambda _: "")
        finalized = f" (region {e.region_id} day {date} made final first, M-9)"
    planned, mismatches = keeper.plan(args.event)  # finalizes the day when it must
    if args.consumer is not None:
        planned = [x for x in planned if x.account == args.consumer]
        if not planned:
            raise CliError(f"{args.consumer} has no live enrollment in event {args.event}")
    batch = keeper.batch_size(args.event, args.batch)  # a net program settles one by one (N-3)
    parts = keeper.settle_parts(planned, batch)
    if not parts:
        raise CliError(f"event {args.event}: no live enrollment can be settled")
    txs: list[Tx] = []
    for part in parts:
        fn, what = keeper.settle_call(args.event, e.region_id, part, batch > 0)
        txs.append(Tx(fn, what, CONTRACT))
    stats = SettleStats(args.event, mismatches=mismatches)
    token = tokens.Token.at(s.w3, keeper.terms(args.event).program.token)

    def summary(receipts: list[dict[str, Any]]) -> str:
        for part, receipt in zip(parts, receipts, strict=True):
            keeper.compare_receipt(stats, args.event, part, receipt)
        return _summary(args.event, stats, token, finalized)

    return s.run(txs, need, summary)


def _summary(event_id: int, stats: SettleStats, token: tokens.Token, note: str = "") -> str:
    paid = [o for o in stats.outcomes if o.sufficient]
    lines = [f"Event {event_id}: settled {len(stats.outcomes)} enrollment"
             f"{'s' * (len(stats.outcomes) != 1)}, {len(paid)} with sufficient data, paid "
             f"{token.text(sum(o.reward for o in paid))}; "
             + ("every result matches the reference." if stats.mismatches == 0
                else f"{stats.mismatches} differ from the reference (see the log).") + note]  # fmt: skip
    for o in stats.outcomes:
        if o.sufficient:
            lines.append(f"  consumer {o.consumer_id} {o.account}: baseline {kwh_text(o.baseline_wh)}, "
                         f"actual {kwh_text(o.actual_wh)}, reduction {kwh_text(o.reduction_wh)} of "
                         f"{kwh_text(o.committed_wh)} committed, day-of adjustment x{o.adjustment_bps / 10_000:g}, "
                         f"{o.baseline_days} baseline days, reward {token.text(o.reward)}")  # fmt: skip
        else:
            lines.append(f"  consumer {o.consumer_id} {o.account}: insufficient data, nothing paid")
    return "\n".join(lines)
