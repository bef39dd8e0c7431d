"""`gridbalance verify --event E --consumer A`: a stranger's recomputation of one settlement from
chain data alone (:mod:`oracles.indexer.verification`), printed step by step and compared with what
the chain recorded and paid. Exit 0 on MATCH (or when nothing is settled yet), 3 on MISMATCH."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import UTC, datetime

from oracles.cli import argtypes, tokens
from oracles.cli.actions import Session, command
from oracles.cli.event import kwh_text
from oracles.indexer.verification import ChainRecord, Recomputed, Verification, day_date, verify
from oracles.reference.baseline import BPS
from oracles.reference.settlement_steps import Steps

MISMATCH_EXIT = 3
Money = Callable[[int], str]  # token units as text


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command(sub, "verify", "recompute one settlement from chain data and compare it with the chain",
                _verify, sends=False,
                description="Recompute one consumer's settlement of an event from the chain alone: the event "
                "and program (view calls), the baseline days by the walk of S-3 (the region's holidays and "
                "event days), the meter records from the calldata of the transactions that posted them "
                "(checked against MeterData's roots), and the reference math (baseline per interval, "
                "day-of adjustment, reduction, reward). Then compare it with what the chain recorded and "
                "paid: the Settled log and the escrow's payment, or the consumer's entry of an optimistic "
                "root. Exit 0: MATCH, or not settled yet; 3: MISMATCH.")  # fmt: skip
    p.add_argument("--event", type=argtypes.uint(256, 1), required=True, help="event id")
    p.add_argument("--consumer", type=argtypes.account, required=True,
                   help="the enrolled consumer's account (on the localnet also its name: consumer1)")  # fmt: skip
    p.add_argument("--json", action="store_true", help="the verification as one JSON object")


def _verify(args: argparse.Namespace) -> int:
    s = Session.open(args)
    v = verify(s.p, args.event, args.consumer)
    if args.json:
        s.say(v.model_dump_json(indent=2))
    else:
        token = tokens.Token.at(s.w3, v.event.token)
        s.say("\n".join(lines(v, token.text)))
    return MISMATCH_EXIT if v.verdict == "MISMATCH" else 0


def _figure(value: int | bool | str) -> str:
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)


def _wh(wh: int) -> str:
    return f"{wh:,} Wh"


def _bps(bps: int) -> str:
    return f"{bps:,} bps (x{bps / BPS:.4f})"


def _utc(iso: str) -> str:
    return f"{datetime.fromisoformat(iso).astimezone(UTC):%Y-%m-%d %H:%M}"


def _clock(interval: int, minutes: int) -> str:
    start, end = interval * minutes, (interval + 1) * minutes
    return f"{argtypes.clock_text(start)}-{argtypes.clock_text(end)}"


def lines(v: Verification, money: tokens.Callable[[int], str]) -> list[str]:  # type: ignore[name-defined]
    """The verification, step by step, as printed."""
    e, c, r = v.event, v.consumer, v.recomputed
    offset = e.utc_offset_minutes
    zone = f"UTC{'+' if offset >= 0 else '-'}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    out = [
        f"Verifying event {e.event_id} for {c.account} from chain {v.chain_id} at block {v.block} "
        "(view calls, logs and calldata only)",
        "",
        "1. The event",
        f"   event {e.event_id}, program {e.program_id}, region {e.region_id} ({e.region_name}): "
        f"{e.interval_minutes}-minute intervals, standard time {zone}",
        f"   window     {e.date} {e.window} local standard time ({_utc(e.starts_at)} to "
        f"{_utc(e.ends_at)} UTC), intervals {e.start_interval}..{e.end_interval}",
        f"   terms      {e.tier}, rate {money(e.rate)} per kWh, basis {e.basis}"
        + (" (max(import - export, 0) per interval, N-1)" if e.basis == "Net" else " (import)")
        + (", meter-signed records only (S-10)" if e.signed_data else ""),
        f"   baseline   {e.method}; day-of adjustment over {e.adj_window_hours} h ending "
        f"{e.adj_gap_hours} h before the start, capped at +-{e.adj_cap_bps:,} bps",
        f"   reward     nothing below {e.min_delivery_bps / 100:g}% of the commitment; paid up to "
        f"{(BPS + e.bonus_cap_bps) / 100:g}% of it",
        f"   status     {e.status}",
        "",
        "2. The consumer",
        f"   consumer {c.consumer_id} {c.account}, meter {c.meter_id_hash}, active since "
        f"{c.activation_date}",
        f"   enrollment committed {kwh_text(c.committed_wh)} ({_wh(c.committed_wh)}), reserved "
        f"{money(c.reserved)}, status {c.enrollment_status}",
        "",
        "3. Baseline days (S-3: the 10 most recent like days after activation within 45 days, "
        "region facts only; a chosen day without a usable record is a gap of zeros, B-9)",
    ]
    for d in v.walk:
        if not d.chosen:
            out.append(f"   {d.date} {d.weekday}  skipped  {d.reason}")
            continue
        where = ", ".join(
            f"{x.channel} batch {x.batch_index} tx {x.tx_hash[:12]}..." for x in d.records
        )
        state = "record" if d.usable else f"GAP ({d.gap})"
        out.append(f"   {d.date} {d.weekday}  chosen   {state}" + (f": {where}" if where else ""))
    chosen = [d for d in v.walk if d.chosen]
    out.append(f"   {len(chosen)} chosen ({v.walk_end}), {r.baseline_days} with a usable record"
               + (", gapped: the day-of ratio is the cap's floor (B-9)" if r.gapped else ""))  # fmt: skip
    ed = v.event_day
    where = ", ".join(
        f"{x.channel} batch {x.batch_index} tx {x.tx_hash[:12]}..." for x in ed.records
    )
    out.append(f"   event day {e.date}: " + ("record" if ed.usable else f"NO USABLE RECORD ({ed.problem})")
               + (f": {where}" if where else ""))  # fmt: skip
    out += _math(v, r, money)
    out += _chain(v.chain, money)
    out.append("")
    if v.verdict == "MATCH":
        out.append("MATCH: every figure the chain recorded and paid equals the recomputation")
    elif v.verdict == "MISMATCH":
        out.append("MISMATCH: " + "; ".join(f"{d.figure} recomputed {_figure(d.recomputed)}, "
                                            f"chain {_figure(d.chain)}" for d in v.differences))  # fmt: skip
        if v.chain.challenge_ends is not None:
            out.append(f"   the root is in its challenge window until {v.chain.challenge_ends}: "
                       "anyone may challenge this entry (O-4, O-5)")  # fmt: skip
    else:
        out.append(f"NOT SETTLED: {v.chain.status}; the recomputation above is what settlement "
                   "must record")  # fmt: skip
    return out


def _math(v: Verification, r: Recomputed, money: tokens.Callable[[int], str]) -> list[str]:  # type: ignore[name-defined]
    s, minutes = r.steps, v.event.interval_minutes
    if s is None:
        return ["", f"4. Insufficient data (S-6): {r.why_insufficient}; nothing is paid"]
    ten = s.method == "10-in-10"
    chosen = [d for d in v.walk if d.chosen]
    used = ", ".join(chosen[i].date for i in s.selected) if not ten else "all chosen days"
    out = [
        "",
        f"4. Baseline per interval ({s.method}: {used}; each interval's average floored"
        + (
            ", then x the day-of ratio, floored)"
            if ten
            else "; the window's total x the ratio, floored once)"
        ),
        f"   {'interval':<14}{'baseline':>12}{'adjusted':>12}{'actual':>12}",
    ]
    for row in s.intervals:
        adjusted = f"{row.adjusted_wh:,}" if row.adjusted_wh is not None else "-"
        out.append(
            f"   {_clock(row.interval, minutes):<14}{row.baseline_wh:>12,}{adjusted:>12}{row.actual_wh:>12,}"
        )
    out.append(f"   {'window':<14}{sum(x.baseline_wh for x in s.intervals):>12,}{s.baseline_wh:>12,}"
               f"{s.actual_wh:>12,}  Wh")  # fmt: skip
    a = s.adjustment
    window = f"{argtypes.clock_text(a.start_interval * minutes)}-{argtypes.clock_text(a.end_interval * minutes)}"
    if a.raw_bps is not None:
        ratio = (f"floor({a.actual_wh:,} x 10,000 / {a.baseline_wh:,}) = {a.raw_bps:,} bps, kept "
                 f"within 10,000 +- {a.cap_bps:,} bps")  # fmt: skip
    elif a.why.startswith("gap"):
        ratio = f"a chosen day is a gap, so the cap's floor 10,000 - {a.cap_bps:,} bps (B-9)"
    else:
        ratio = f"none ({a.why}): 10,000 bps"
    rw = s.reward
    out += [
        "",
        f"5. Day-of adjustment (B-4, B-5): {window}, baseline {_wh(a.baseline_wh)}, actual {_wh(a.actual_wh)}",
        f"   ratio {ratio} -> {_bps(a.ratio_bps)}" + (" (capped)" if a.why == "capped" else ""),
        "",
        f"6. Actual use in the window: {_wh(s.actual_wh)}",
    ]
    if s.shift is None:
        out.append(
            f"7. Reduction: max({s.baseline_wh:,} - {s.actual_wh:,}, 0) = {_wh(s.reduction_wh)}"
        )
    else:
        out += _shift_lines(s, minutes)
    out += [
        f"8. Reward (B-7): {_wh(rw.reduction_wh)} of {_wh(rw.committed_wh)} committed "
        + (f"reaches the minimum {rw.min_delivery_bps / 100:g}%; paid for min({rw.reduction_wh:,}, cap "
           f"{rw.cap_wh:,}) = {_wh(rw.payable_wh)} x {money(rw.rate)} per kWh = {money(rw.reward)}"
           if rw.delivered else f"is below the minimum {rw.min_delivery_bps / 100:g}%: reward 0"),
    ]  # fmt: skip
    return out


def _shift_lines(s: Steps, minutes: int) -> list[str]:
    """Step 7 of a load-shifting program (L-2..L-5): the rebound and the shifted energy."""
    assert s.shift is not None
    sh, r = s.shift, s.shift.result
    window = (f"{argtypes.clock_text(sh.rebound_start * minutes)}-"
              f"{argtypes.clock_text(sh.rebound_end * minutes)}")  # fmt: skip
    verdict = (f"within {_bps(sh.neutrality_bps)} of it: neutral, shifted min({r.reduction_wh:,}, "
               f"{r.rebound_wh:,}) = {_wh(r.shifted_wh)}" if r.neutral
               else f"not within {_bps(sh.neutrality_bps)} of it: not a shift, shifted 0 Wh")  # fmt: skip
    return [
        f"7. Load shift (L-2..L-5): reduction max({s.baseline_wh:,} - {s.actual_wh:,}, 0) = "
        f"{_wh(r.reduction_wh)}; rebound window {window}, baseline {_wh(r.rebound_baseline_wh)}, "
        f"actual {_wh(r.rebound_actual_wh)}, rebound {_wh(r.rebound_wh)}",
        f"   the rebound is {verdict}",
    ]


def _chain(c: ChainRecord, money: tokens.Callable[[int], str]) -> list[str]:  # type: ignore[name-defined]
    out = ["", f"9. On chain: {c.status}"]
    if c.candidate_days is not None:
        out.append(f"   the contract's walk (candidateDays): {len(c.candidate_days)} days, "
                   f"{day_date(c.candidate_days[-1]) if c.candidate_days else '-'}.."
                   f"{day_date(c.candidate_days[0]) if c.candidate_days else '-'}")  # fmt: skip
    if c.path == "proof":
        out.append(f"   tx {c.tx_hash} in block {c.block}")
        if c.sufficient:
            out.append(f"   Settled: baseline {_wh(c.baseline_wh or 0)}, actual {_wh(c.actual_wh or 0)}, "
                       f"reduction {_wh(c.reduction_wh or 0)}, adjustment {_bps(c.adjustment_bps or 0)}, "
                       f"reward {money(c.reward or 0)}, {c.baseline_days} baseline days with data")  # fmt: skip
        else:
            out.append(f"   SettledInsufficientData: {c.baseline_days} baseline days with data, "
                       f"event day missing {c.event_day_missing}")  # fmt: skip
        out.append(f"   enrollment paid {money(c.enrollment_paid or 0)}")
    elif c.path == "optimistic":
        out.append(f"   root {c.root} ({c.root_status}), rebuilt from the postEntries calldata")
        if c.entry_index is not None:
            out.append(f"   entry {c.entry_index}: {'sufficient' if c.sufficient else 'insufficient data'}, "
                       f"verified {_wh(c.reduction_wh or 0)}, reward {money(c.reward or 0)}, "
                       f"committed {_wh(c.committed_wh or 0)}")  # fmt: skip
    for x in c.payments:
        how = "token transfer" if x.pushed else "owed, withdrawable (the token refused it, E-5)"
        out.append(f"   paid {money(x.amount)}: {how} in tx {x.tx_hash}")
    if c.dispute:
        out.append(f"   {c.dispute}")
    return out
