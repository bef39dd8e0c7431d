"""`gridbalance dispute open|uphold|reject`: a consumer disputes its own settled enrollment within 7 days
of its settlement; an arbiter upholds it (paying an adjustment from the held reservation) or rejects
it (Disputes, D-1..D-4)."""

from __future__ import annotations

import argparse
from typing import Any

from oracles.cli import argtypes, tokens
from oracles.cli.actions import CliError, Own, Role, Session, Tx, command, group, one_event
from oracles.cli.event import event_of
from oracles.protocol.bindings import Dispute, Enrollment
from oracles.protocol.enums import DisputeStatus, EnrollmentStatus

CONTRACT = "Disputes"
ARBITER = Role(CONTRACT, "ARBITER_ROLE")
SETTLED = (EnrollmentStatus.Settled, EnrollmentStatus.InsufficientData)


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    g = group(sub, "dispute", "open a dispute of a settlement, uphold or reject it")
    p = command(g, "open", "dispute the sender's own settled enrollment (the consumer, within 7 days)",
                _open)  # fmt: skip
    p.add_argument("--event", type=argtypes.uint(256, 1), required=True, help="event id")
    p.add_argument("--reason", type=argtypes.hash32, required=True,
                   help="the evidence's hash (0x + 64 hex digits), or its text (hashed); kept off-chain")  # fmt: skip
    p = command(g, "uphold", "uphold a dispute and pay an adjustment (an arbiter)", _uphold)
    p.add_argument("--event", type=argtypes.uint(256, 1), required=True, help="event id")
    p.add_argument(
        "--consumer", type=argtypes.account, required=True, help="the disputing consumer"
    )
    p.add_argument("--adjustment", type=tokens.amount, required=True,
                   help="paid to the consumer, in token units; at most its reservation minus its reward")  # fmt: skip
    p = command(
        g, "reject", "reject a dispute, releasing the held reservation (an arbiter)", _reject
    )
    p.add_argument("--event", type=argtypes.uint(256, 1), required=True, help="event id")
    p.add_argument(
        "--consumer", type=argtypes.account, required=True, help="the disputing consumer"
    )


def _state(s: Session, event_id: int, account: str) -> tuple[Enrollment, Dispute]:
    event_of(s, event_id)
    en = Enrollment.model_validate(s.p.requests.functions.enrollment(event_id, account).call())
    d = Dispute.model_validate(s.p.disputes.functions.dispute(event_id, account).call())
    return en, d


def _token(s: Session, event_id: int) -> tokens.Token:
    return tokens.Token.at(s.w3, s.p.program(s.p.dr_event(event_id).program_id).token)


def _open(args: argparse.Namespace) -> int:
    s = Session.open(args)
    own = Own("the consumer whose enrollment is disputed")
    account = s.signer(own).address
    en, d = _state(s, args.event, account)
    if en.status not in SETTLED:
        raise CliError(f"{account} has no settled enrollment in event {args.event} "
                       f"({en.status.name.rstrip('_')})")  # fmt: skip
    if d.status != DisputeStatus.None_:
        raise CliError(
            f"{account}'s enrollment in event {args.event} is disputed already ({d.status.name})"
        )
    fn = s.p.disputes.functions.openDispute(args.event, args.reason)

    def summary(receipts: list[dict[str, Any]]) -> str:
        one_event(receipts, s.p.disputes, "DisputeOpened")
        held = one_event(receipts, s.p.requests, "ResidualHeld")
        return (f"Consumer {account} disputed its settlement in event {args.event}; "
                f"{_token(s, args.event).text(held['held'])} stays reserved for the arbiter's ruling.")  # fmt: skip

    return s.run([Tx(fn, f"dispute event {args.event}", CONTRACT)], own, summary)


def _open_dispute(s: Session, event_id: int, account: str) -> Enrollment:
    en, d = _state(s, event_id, account)
    if d.status != DisputeStatus.Open:
        shown = "no dispute" if d.status == DisputeStatus.None_ else f"a dispute {d.status.name}"
        raise CliError(f"{account} has {shown} in event {event_id}, not an open one")
    return en


def _uphold(args: argparse.Namespace) -> int:
    s = Session.open(args)
    en = _open_dispute(s, args.event, args.consumer)
    token = _token(s, args.event)
    units = token.units(args.adjustment, "--adjustment", positive=False)
    if units > en.reserved - en.paid:
        raise CliError(f"--adjustment {token.text(units)} is more than the most that can be paid, "
                       f"{token.text(en.reserved - en.paid)} (the reservation minus the reward, D-2)")  # fmt: skip
    fn = s.p.disputes.functions.upholdDispute(args.event, args.consumer, units)

    def summary(receipts: list[dict[str, Any]]) -> str:
        e = one_event(receipts, s.p.disputes, "DisputeResolved")
        return (f"Arbiter upheld {args.consumer}'s dispute in event {args.event}: "
                f"{token.text(e['adjustment'])} paid, the rest of the reservation released.")  # fmt: skip

    tx = Tx(fn, f"uphold dispute of {args.consumer} in event {args.event}", CONTRACT)
    return s.run([tx], ARBITER, summary)


def _reject(args: argparse.Namespace) -> int:
    s = Session.open(args)
    _open_dispute(s, args.event, args.consumer)
    fn = s.p.disputes.functions.rejectDispute(args.event, args.consumer)

    def summary(receipts: list[dict[str, Any]]) -> str:
        one_event(receipts, s.p.disputes, "DisputeResolved")
        return (f"Arbiter rejected {args.consumer}'s dispute in event {args.event}: the held "
                "reservation went back to the program's budget.")  # fmt: skip

    tx = Tx(fn, f"reject dispute of {args.consumer} in event {args.event}", CONTRACT)
    return s.run([tx], ARBITER, summary)
