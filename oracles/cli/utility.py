"""`gridbalance utility apply|approve|suspend|reinstate|revoke|renew|show`: the utility council
(UtilityRegistry, U-1..U-9)."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from oracles.cli import argtypes
from oracles.cli.actions import CliError, Own, Role, Session, Tx, command, events, group, one_event
from oracles.protocol.bindings import Utility
from oracles.protocol.enums import UtilityAction, UtilityStatus

CONTRACT = "UtilityRegistry"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(
        sub, "utility", "apply for verification, approve, suspend, reinstate, revoke, renew, show"
    )
    p = command(
        g, "apply", "apply for verification as a utility (sent by the utility itself)", _apply
    )
    p.add_argument("--name", required=True, help="the utility's name (1..64 bytes)")
    p.add_argument("--credential", type=argtypes.hash32, required=True,
                   help="the credential document's hash (0x + 64 hex digits), or its text (hashed)")  # fmt: skip
    p.add_argument("--regions", type=argtypes.id_list, required=True, help="region ids: 1,2")
    for name, action, text in (
        ("approve", UtilityAction.Verify, "approve a pending utility's verification (a verifier)"),
        (
            "renew",
            UtilityAction.Renew,
            "approve renewing an active utility's verification (a verifier)",
        ),
        (
            "reinstate",
            UtilityAction.Reinstate,
            "approve reinstating a suspended utility (a verifier)",
        ),
        ("revoke", UtilityAction.Revoke, "approve revoking a utility (a verifier)"),
    ):
        p = command(g, name, text, _approve)
        p.add_argument(
            "utility",
            type=argtypes.account,
            help="the utility's address (on the localnet also: utility)",
        )
        p.set_defaults(action=action)
    p = command(g, "suspend", "suspend an active utility at once (a verifier)", _suspend)
    p.add_argument(
        "utility",
        type=argtypes.account,
        help="the utility's address (on the localnet also: utility)",
    )
    p.add_argument("--reason", type=argtypes.hash32, required=True,
                   help="the reason's hash, or its text (hashed)")  # fmt: skip
    p = command(
        g, "show", "a utility's status, expiry, approvals and reputation", _show, sends=False
    )
    p.add_argument(
        "utility",
        type=argtypes.account,
        help="the utility's address (on the localnet also: utility)",
    )


def _status(s: Session, utility: str) -> Utility:
    return Utility.model_validate(s.p.utilities.functions.utility(utility).call())


def when(ts: int) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M UTC") if ts else "never"


def _apply(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.utilities.functions.applyForVerification(args.name, args.credential, args.regions)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.utilities, "UtilityApplied")
        threshold = int(s.p.utilities.functions.threshold().call())
        return (f"{s.label(e['utility'])} applied as {e['name']!r} for regions "
                f"{', '.join(map(str, e['regions']))}; it is Pending until {threshold} verifiers approve "
                f"(`gridbalance utility approve {e['utility']}`).")  # fmt: skip

    return s.run(
        [Tx(fn, f"apply as {args.name!r}", CONTRACT)], Own("the applying utility"), summary
    )


def _approve(args: argparse.Namespace) -> int:
    s = Session.open(args)
    action = UtilityAction(args.action)
    fns = s.p.utilities.functions
    fn = fns.approve(args.utility, int(action))

    def approved(verifier: str) -> bool:
        return bool(fns.hasApproved(args.utility, int(action), verifier).call())

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.utilities, "ActionApproved")
        threshold = int(fns.threshold().call())
        text = (f"Verifier {s.label(e['verifier'])} approved {action.name} of utility {args.utility} "
                f"({e['approvals']} of {threshold} approvals).")  # fmt: skip
        done = events(receipts, s.p.utilities, "ActionExecuted")
        if done:
            u = _status(s, args.utility)
            text += f" The action executed: the utility is {u.status.name}, verified until {when(u.expires_at)}."
        return text

    tx = Tx(fn, f"approve {action.name} of {args.utility}", CONTRACT)
    return s.run([tx], Role(CONTRACT, "VERIFIER_ROLE", skip=approved), summary)


def _suspend(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fn = s.p.utilities.functions.suspend(args.utility, args.reason)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.utilities, "UtilitySuspended")
        return (f"Verifier {s.label(e['verifier'])} suspended utility {args.utility}: it can run no new "
                "program or event until the council reinstates it; pending approvals lapsed.")  # fmt: skip

    return s.run(
        [Tx(fn, f"suspend {args.utility}", CONTRACT)], Role(CONTRACT, "VERIFIER_ROLE"), summary
    )


def _show(args: argparse.Namespace) -> int:
    s = Session.open(args)
    fns = s.p.utilities.functions
    u = _status(s, args.utility)
    if u.status == UtilityStatus.None_:
        raise CliError(f"{args.utility} has not applied as a utility")
    threshold = int(fns.threshold().call())
    s.say(f"utility {s.label(args.utility)}: {fns.utilityName(args.utility).call()!r}")
    s.say(f"  status       {u.status.name}, verified until {when(u.expires_at)}")
    s.say(f"  regions      {u.region_count}")
    s.say("  approvals    " + ", ".join(
        f"{a.name} {fns.approvals(args.utility, int(a)).call()}/{threshold}" for a in UtilityAction))  # fmt: skip
    s.say(f"  reputation   {u.events_run} events run, {u.consumers_paid} consumers paid, "
          f"{u.disputes_lost} disputes lost")  # fmt: skip
    s.say(f"  credential   0x{u.credential_hash.hex()}")
    return 0
