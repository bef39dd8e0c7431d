"""`gridbalance action propose|instruct|complete|fail|report|show` and `gridbalance response
configure|disable|list`: grid operators' balancing actions and automated responses
(BalancingActions, SPEC G-13..G-16)."""

from __future__ import annotations

import argparse
from typing import Any

from oracles.cli import argtypes
from oracles.cli.actions import Account, CliError, Own, Session, Tx, command, group, one_event
from oracles.cli.utility import when
from oracles.protocol.bindings import Action, ActionRequest, Response, ResponseConfig
from oracles.protocol.enums import ActionKind, ActionStatus, ResponseMetric

CONTRACT = "BalancingActions"
KINDS = {"generation": ActionKind.GenerationAdjustment, "reserve": ActionKind.ReserveActivation,
         "dr": ActionKind.DrActivation, "shed": ActionKind.LoadShed}  # fmt: skip
METRICS = {"frequency-below": ResponseMetric.FrequencyBelow, "frequency-above": ResponseMetric.FrequencyAbove,
           "voltage-below": ResponseMetric.VoltageBelow, "voltage-above": ResponseMetric.VoltageAbove,
           "load-share-above": ResponseMetric.LoadShareAbove, "reserve-below": ResponseMetric.ReserveBelow,
           "forecast-above": ResponseMetric.ForecastAbove}  # fmt: skip
UNITS = {ResponseMetric.FrequencyBelow: "mHz", ResponseMetric.FrequencyAbove: "mHz",
         ResponseMetric.VoltageBelow: "permille", ResponseMetric.VoltageAbove: "permille",
         ResponseMetric.LoadShareAbove: "bps", ResponseMetric.ReserveBelow: "kW",
         ResponseMetric.ForecastAbove: "kW"}  # fmt: skip
OPERATOR = Own("the operator (--account)")


def _int32(text: str) -> int:
    value = int(text)
    if not -(2**31) <= value < 2**31 or value == 0:
        raise argparse.ArgumentTypeError(f"{text}: a non-zero kW value within int32")
    return value


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="the region id")
    p.add_argument("--kind", choices=sorted(KINDS), required=True,
                   help="generation (adjustment; a negative target lowers it), reserve (activation), "
                        "dr (activation on a linked program), shed (load shed)")  # fmt: skip
    p.add_argument("--target-kw", type=_int32, required=True, help="the target in kW")
    p.add_argument(
        "--priority", type=argtypes.uint(8, 1), default=1, help="1 (first) .. 255 (default: 1)"
    )
    p.add_argument("--program", type=argtypes.uint(32), default=0, help="dr: the linked program")
    p.add_argument("--share-bps", type=argtypes.uint(16), default=0,
                   help="shed: the share of load shed, 1..10000 bps")  # fmt: skip


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "action", "balancing actions: propose, instruct, complete, fail, report, show")
    p = command(g, "propose", "propose an action for a region (the operator)", _propose)
    _common(p)
    p.add_argument(
        "--start", type=argtypes.moment, required=True, help="window start, ISO 8601 with offset"
    )
    p.add_argument(
        "--end", type=argtypes.moment, required=True, help="window end, ISO 8601 with offset"
    )
    p.add_argument(
        "--stage", type=argtypes.uint(8), default=0, help="shed: the UFLS stage (0: a manual shed)"
    )
    p = command(g, "instruct", "instruct a proposed action (its operator)", _instruct)
    p.add_argument("action", type=argtypes.uint(32, 1), help="the action id")
    p = command(g, "complete", "record an instructed action as completed (its operator)", _complete)
    p.add_argument("action", type=argtypes.uint(32, 1), help="the action id")
    p.add_argument(
        "--delivered-kw", type=argtypes.uint(32), required=True, help="what it delivered, kW"
    )
    p = command(g, "fail", "record an action as failed or withdrawn (its operator)", _fail)
    p.add_argument("action", type=argtypes.uint(32, 1), help="the action id")
    p.add_argument(
        "--reason", type=argtypes.hash32, required=True, help="the reason's hash, or its text"
    )
    p = command(g, "report", "submit a completed load shed's report (its operator)", _report)
    p.add_argument("action", type=argtypes.uint(32, 1), help="the action id")
    p.add_argument(
        "--report", type=argtypes.hash32, required=True, help="the report's hash, or its text"
    )
    p = command(g, "show", "an action's kind, window, status and report", _show, sends=False)
    p.add_argument("action", type=argtypes.uint(32, 1), help="the action id")

    r = group(sub, "response", "automated responses: configure, disable, list")
    p = command(
        r, "configure", "configure an automated response (an operator with automation)", _configure
    )
    _common(p)
    p.add_argument("--metric", choices=sorted(METRICS), required=True, help="what it watches")
    p.add_argument("--threshold", type=argtypes.uint(32, 1), required=True,
                   help="mHz, permille, bps of capacity or kW, by metric")  # fmt: skip
    p.add_argument("--window-seconds", type=argtypes.uint(32, 1), default=600,
                   help="fires at most once per window, 60..86400 (default: 600)")  # fmt: skip
    p.add_argument("--duration-seconds", type=argtypes.uint(32, 1), default=900,
                   help="its action's window, 60..86400, whole hours for dr (default: 900)")  # fmt: skip
    p = command(r, "disable", "disable an automated response (its operator)", _disable)
    p.add_argument("response", type=argtypes.uint(32, 1), help="the response id")
    p = command(r, "list", "a region's active responses", _list, sends=False)
    p.add_argument("--region", type=argtypes.uint(16, 1), required=True, help="the region id")


def _action(s: Session, action_id: int) -> Action:
    if action_id > int(s.p.balancing.functions.actionCount().call()):
        raise CliError(f"no action {action_id}")
    return Action.model_validate(s.p.balancing.functions.action(action_id).call())


def _owner(s: Session, action_id: int) -> Account:
    return Account(_action(s, action_id).operator, f"action {action_id}'s operator")


def _propose(args: argparse.Namespace) -> int:
    s = Session.open(args)
    q = ActionRequest(region_id=args.region, kind=KINDS[args.kind], target_kw=args.target_kw,
                      priority=args.priority, window_start=args.start, window_end=args.end,
                      program_id=args.program, stage=args.stage, share_bps=args.share_bps)  # fmt: skip
    fn = s.p.balancing.functions.proposeAction(q.abi())

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.balancing, "ActionProposed")
        return (f"Operator {s.label(e['operator'])} proposed action {e['actionId']}: "
                f"{ActionKind(e['kind']).name} of {e['targetKw']:,} kW in region {args.region}, "
                f"{when(e['windowStart'])} to {when(e['windowEnd'])}, priority {e['priority']} "
                f"(`gridbalance action instruct {e['actionId']}`).")  # fmt: skip

    return s.run([Tx(fn, f"propose a {args.kind} action", CONTRACT)], OPERATOR, summary)


def _instruct(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.balancing.functions.instructAction(args.action)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.balancing, "ActionInstructed")
        made = f"; it created event {e['eventId']} (Emergency tier)" if e["eventId"] else ""
        return f"Action {args.action} instructed, number {e['sequence']} in region {e['regionId']}{made}."

    return s.run(
        [Tx(fn, f"instruct action {args.action}", CONTRACT)], _owner(s, args.action), summary
    )


def _complete(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.balancing.functions.completeAction(args.action, args.delivered_kw)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.balancing, "ActionCompleted")
        due = f"; its report is due by {when(e['reportDue'])}" if e["reportDue"] else ""
        return f"Action {args.action} completed, {e['deliveredKw']:,} kW delivered{due}."

    return s.run(
        [Tx(fn, f"complete action {args.action}", CONTRACT)], _owner(s, args.action), summary
    )


def _fail(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.balancing.functions.failAction(args.action, args.reason)
    return s.run([Tx(fn, f"fail action {args.action}", CONTRACT)], _owner(s, args.action),
                 lambda _: f"Action {args.action} recorded as failed.")  # fmt: skip


def _report(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.balancing.functions.submitShedReport(args.action, args.report)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.balancing, "ShedReportSubmitted")
        return f"Load shed {args.action}'s report recorded{' (late)' if e['late'] else ''}."

    return s.run(
        [Tx(fn, f"report load shed {args.action}", CONTRACT)], _owner(s, args.action), summary
    )


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    a = _action(s, args.action)
    s.say(f"action {args.action}: {a.kind.name} of {a.target_kw:,} kW in region {a.region_id}, "
          f"priority {a.priority}, by {s.label(a.operator)}")  # fmt: skip
    s.say(f"  window     {when(a.window_start)} to {when(a.window_end)}")
    seq = f" (number {a.sequence} in its region)" if a.sequence else ""
    s.say(f"  status     {a.status.name}{seq}")
    if a.status in (ActionStatus.Completed, ActionStatus.Failed):
        s.say(f"  ended      {when(a.ended_at)}, delivered {a.delivered_kw:,} kW")
    if a.event_id:
        s.say(f"  event      {a.event_id} on program {a.program_id}")
    if a.kind == ActionKind.LoadShed:
        s.say(f"  shed       stage {a.stage}, {a.share_bps / 100:g} % of load")
        if a.status == ActionStatus.Completed:
            overdue = bool(s.p.balancing.functions.isReportOverdue(args.action).call())
            report = (
                f"0x{a.report_hash.hex()}"
                if any(a.report_hash)
                else ("OVERDUE" if overdue else "owed")
            )
            s.say(f"  report     {report} (due {when(a.report_due)})")
    if a.response_id:
        s.say(f"  fired by   automated response {a.response_id}")
    return 0


def _configure(args: argparse.Namespace) -> int:
    s = Session.open(args)
    c = ResponseConfig(region_id=args.region, metric=METRICS[args.metric], threshold=args.threshold,
                       kind=KINDS[args.kind], target_kw=args.target_kw, priority=args.priority,
                       window_seconds=args.window_seconds, duration_seconds=args.duration_seconds,
                       program_id=args.program, share_bps=args.share_bps)  # fmt: skip
    fn = s.p.balancing.functions.configureAutomatedResponse(c.abi())

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.balancing, "ResponseConfigured")
        return (f"Automated response {e['responseId']}: {args.metric} {args.threshold:,} "
                f"{UNITS[c.metric]} in region {args.region} instructs a {args.kind} action of "
                f"{args.target_kw:,} kW, at most once per {args.window_seconds} s.")  # fmt: skip

    return s.run([Tx(fn, "configure an automated response", CONTRACT)], OPERATOR, summary)


def _disable(args: argparse.Namespace) -> int:
    s = Session.open(args)
    r = Response.model_validate(s.p.balancing.functions.response(args.response).call())
    if not r.active:
        raise CliError(f"no active response {args.response}")
    fn = s.p.balancing.functions.disableAutomatedResponse(args.response)
    return s.run([Tx(fn, f"disable response {args.response}", CONTRACT)],
                 Account(r.operator, f"response {args.response}'s operator"),
                 lambda _: f"Automated response {args.response} disabled.")  # fmt: skip


def _list(args: argparse.Namespace) -> int:
    s = Session.open(args)
    ids = [int(i) for i in s.p.balancing.functions.regionResponses(args.region).call()]
    if not ids:
        s.say(f"region {args.region}: no active automated responses")
        return 0
    s.say(f"region {args.region}: {len(ids)} active automated response{'s' * (len(ids) != 1)}")
    for i in ids:
        r = Response.model_validate(s.p.balancing.functions.response(i).call())
        c = r.config
        s.say(f"  {i}: {c.metric.name} {c.threshold:,} {UNITS[c.metric]} -> {c.kind.name} "
              f"{c.target_kw:,} kW, once per {c.window_seconds} s, by {s.label(r.operator)}; fired "
              f"{r.fired} time{'s' * (r.fired != 1)}, last {when(r.last_fired)}")  # fmt: skip
    return 0
