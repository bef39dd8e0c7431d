"""`gridbalance operator apply|approve|suspend|reinstate|revoke|renew|show`: grid operators verified by
the council (GridOperatorRegistry, SPEC G-1..G-4)."""

from __future__ import annotations

import argparse
from typing import Any

from oracles.cli import argtypes
from oracles.cli.actions import CliError, Own, Role, Session, Tx, command, events, group, one_event
from oracles.cli.utility import when
from oracles.protocol.bindings import Operator
from oracles.protocol.enums import OperatorCapability, OperatorKind, UtilityAction, UtilityStatus

CONTRACT = "GridOperatorRegistry"
COUNCIL = Role("UtilityRegistry", "VERIFIER_ROLE")  # the one council (G-2)
KINDS = {"tso": OperatorKind.TransmissionSystemOperator,
         "dso": OperatorKind.DistributionSystemOperator,
         "microgrid": OperatorKind.MicrogridOperator}  # fmt: skip
CAPABILITIES = {"state": OperatorCapability.SystemState, "balancing": OperatorCapability.Balancing,
                "load-shed": OperatorCapability.LoadShed,
                "automation": OperatorCapability.Automation}  # fmt: skip


def capabilities(text: str) -> int:
    """``state,balancing,load-shed,automation`` (any of them) as the CAP_* bits (G-1)."""
    bits = 0
    for name in (n.strip().lower() for n in text.split(",")):
        if name not in CAPABILITIES:
            raise argparse.ArgumentTypeError(
                f"{name!r} is not a capability: use {', '.join(CAPABILITIES)}"
            )
        bits |= CAPABILITIES[name]
    return bits


def capability_text(bits: int) -> str:
    names = [name for name, bit in CAPABILITIES.items() if bits & bit]
    return ", ".join(names) or "none"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(
        sub, "operator", "grid operators: apply, approve, suspend, reinstate, revoke, renew, show"
    )
    p = command(g, "apply", "apply for verification as a grid operator (sent by the operator itself)",
                _apply)  # fmt: skip
    p.add_argument("--name", required=True, help="the operator's name (1..64 bytes)")
    p.add_argument("--kind", choices=sorted(KINDS), required=True,
                   help="tso (transmission), dso (distribution) or microgrid")  # fmt: skip
    p.add_argument("--capabilities", type=capabilities, required=True,
                   help="what it applies for: state,balancing,load-shed,automation (any of them)")  # fmt: skip
    p.add_argument("--credential", type=argtypes.hash32, required=True,
                   help="the licence or designation's hash (0x + 64 hex digits), or its text (hashed)")  # fmt: skip
    p.add_argument("--regions", type=argtypes.id_list, required=True,
                   help="its control area, region ids: 1,2")  # fmt: skip
    for name, action, text in (
        (
            "approve",
            UtilityAction.Verify,
            "approve a pending operator's verification (the council)",
        ),
        ("renew", UtilityAction.Renew, "approve renewing an active operator (the council)"),
        (
            "reinstate",
            UtilityAction.Reinstate,
            "approve reinstating a suspended operator (the council)",
        ),
        ("revoke", UtilityAction.Revoke, "approve revoking an operator (the council)"),
    ):
        p = command(g, name, text, _approve)
        p.add_argument("operator", type=argtypes.address, help="the operator's address")
        p.set_defaults(action=action)
    p = command(g, "suspend", "suspend an active operator at once (one council member)", _suspend)
    p.add_argument("operator", type=argtypes.address, help="the operator's address")
    p.add_argument("--reason", type=argtypes.hash32, required=True,
                   help="the reason's hash, or its text (hashed)")  # fmt: skip
    p = command(g, "show", "an operator's kind, capabilities, status and approvals", _show,
                sends=False)  # fmt: skip
    p.add_argument("operator", type=argtypes.address, help="the operator's address")


def _record(s: Session, operator: str) -> Operator:
    return Operator.model_validate(s.p.operators.functions.operator(operator).call())


def _threshold(s: Session) -> int:
    return int(s.p.utilities.functions.threshold().call())


def _apply(args: argparse.Namespace) -> int:
    s = Session.open(args)
    kind = KINDS[args.kind]
    fn = s.p.operators.functions.applyAsOperator(
        args.name, int(kind), args.capabilities, args.credential, args.regions
    )

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.operators, "OperatorApplied")
        return (f"{s.label(e['operator'])} applied as {e['name']!r}, a {kind.name}, for "
                f"{capability_text(e['capabilities'])} in regions {', '.join(map(str, e['regions']))}; "
                f"it is Pending until {_threshold(s)} council members approve "
                f"(`gridbalance operator approve {e['operator']}`).")  # fmt: skip

    return s.run([Tx(fn, f"apply as {args.name!r}", CONTRACT)], Own("the applying operator"),
                 summary)  # fmt: skip


def _approve(args: argparse.Namespace) -> int:
    s = Session.open(args)
    action = UtilityAction(args.action)
    fns = s.p.operators.functions
    fn = fns.approve(args.operator, int(action))

    def approved(member: str) -> bool:
        return bool(fns.hasApproved(args.operator, int(action), member).call())

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.operators, "OperatorActionApproved")
        text = (f"Council member {s.label(e['verifier'])} approved {action.name} of operator "
                f"{args.operator} ({e['approvals']} of {_threshold(s)} approvals).")  # fmt: skip
        if events(receipts, s.p.operators, "OperatorActionExecuted"):
            o = _record(s, args.operator)
            text += (f" The action executed: the operator is {o.status.name}, verified until "
                     f"{when(o.expires_at)}.")  # fmt: skip
        return text

    tx = Tx(fn, f"approve {action.name} of {args.operator}", CONTRACT)
    return s.run([tx], Role(COUNCIL.contract, COUNCIL.role, skip=approved), summary)


def _suspend(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.operators.functions.suspend(args.operator, args.reason)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.operators, "OperatorSuspended")
        return (f"Council member {s.label(e['verifier'])} suspended operator {args.operator}: it "
                "acts on nothing until the council reinstates it; pending approvals lapsed.")  # fmt: skip

    return s.run([Tx(fn, f"suspend {args.operator}", CONTRACT)], COUNCIL, summary)


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fns = s.p.operators.functions
    o = _record(s, args.operator)
    if o.status == UtilityStatus.None_:
        raise CliError(f"{args.operator} has not applied as a grid operator")
    threshold = _threshold(s)
    s.say(f"operator {s.label(args.operator)}: {fns.operatorName(args.operator).call()!r}, "
          f"{o.kind.name}")  # fmt: skip
    s.say(f"  status        {o.status.name}, verified until {when(o.expires_at)}")
    s.say(f"  capabilities  {capability_text(o.capabilities)}")
    s.say(f"  regions       {o.region_count}")
    s.say("  approvals     " + ", ".join(
        f"{a.name} {fns.approvals(args.operator, int(a)).call()}/{threshold}" for a in UtilityAction))  # fmt: skip
    s.say(f"  credential    0x{o.credential_hash.hex()}")
    return 0
