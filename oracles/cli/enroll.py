"""`gridbalance enroll`: a consumer enrolls itself in an event, committing a reduction (V-1..V-4), or
with ``--opt-out`` leaves it before the gate (V-7). Eligibility and the commitment's range are checked
as the keeper checks them (oracles/agents/keeper.py), so a refusal reads as its reason."""

from __future__ import annotations

import argparse
from typing import Any

from oracles.agents.keeper import Keeper, event_terms, max_commitment_wh
from oracles.cli import argtypes, tokens
from oracles.cli.actions import CliError, Own, Session, Tx, command, one_event
from oracles.cli.event import event_of, kwh, kwh_text, local_time
from oracles.protocol.bindings import Eligibility, Enrollment
from oracles.protocol.enums import EnrollmentStatus, EventStatus, Ineligibility, Refusal

CONTRACT = "ReductionRequests"
OWN = Own("the enrolling consumer")


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = command(sub, "enroll", "enroll the sender (a consumer) in an event with a commitment", _enroll,
                description="Enroll the sending consumer in an event, committing --commit-kwh of reduction "
                "(at most its capacity over the event's hours and the program's share of the target), "
                "before the event's enrollment gate; --opt-out leaves it again before the gate.")  # fmt: skip
    p.add_argument("--event", type=argtypes.uint(256, 1), required=True, help="event id")
    what = p.add_mutually_exclusive_group(required=True)
    what.add_argument("--commit-kwh", type=kwh, help="the reduction committed, kWh")
    what.add_argument("--opt-out", action="store_true", help="leave the event (before its gate)")


def _enroll(args: argparse.Namespace) -> int:
    s = Session.open(args)
    e = event_of(s, args.event)
    if e.status != EventStatus.Scheduled:
        raise CliError(f"event {args.event} is {e.status.name}: enrollment is closed")
    gate = int(s.p.requests.functions.enrollmentGate(args.event).call())
    if s.now() >= gate:
        raise CliError(
            f"event {args.event}'s enrollment closed at {local_time(s, e.region_id, gate)} (V-1)"
        )
    account = s.signer(OWN).address
    fns = s.p.requests.functions
    enrollment = Enrollment.model_validate(fns.enrollment(args.event, account).call())
    if args.opt_out:
        return _opt_out(s, args.event, account, enrollment)
    if enrollment.status != EnrollmentStatus.None_:
        raise CliError(f"{account} is already {enrollment.status.name} in event {args.event}")
    terms = Keeper(s.p, s.client(s.signer(OWN))).terms(args.event)
    check = event_terms(terms, by_keeper=False).abi()
    eligibility = Eligibility.model_validate(
        s.p.consumers.functions.eligibility(account, check).call()
    )
    if eligibility.reason != Ineligibility.None_:
        raise CliError(f"{s.label(account)} cannot enroll in event {args.event}: "
                       f"{Refusal(eligibility.reason).text()}")  # fmt: skip
    most = min(max_commitment_wh(eligibility.capacity_w, terms.window),
               e.target_wh * terms.program.max_share_bps // 10_000)  # fmt: skip
    if args.commit_kwh > most:
        raise CliError(f"--commit-kwh {kwh_text(args.commit_kwh)} is more than {account} may commit: "
                       f"{kwh_text(most)} (its capacity over the event's hours, at most the program's "
                       "share of the target)")  # fmt: skip
    fn = fns.enroll(args.event, args.commit_kwh)
    token = tokens.Token.at(s.w3, terms.program.token)

    def summary(receipts: list[dict[str, Any]]) -> str:
        en = one_event(receipts, s.p.requests, "Enrolled")
        return (f"Consumer {account} enrolled in event {args.event}, committing "
                f"{kwh_text(en['committedWh'])}; {token.text(en['reserved'])} reserved for its reward.")  # fmt: skip

    tx = Tx(fn, f"enroll {account} in event {args.event}", CONTRACT)
    return s.run([tx], OWN, summary)


def _opt_out(s: Session, event_id: int, account: str, enrollment: Enrollment) -> int:
    if enrollment.status != EnrollmentStatus.Enrolled:
        raise CliError(f"{account} is not enrolled in event {event_id}")
    fn = s.p.requests.functions.optOut(event_id)

    def summary(receipts: list[dict[str, Any]]) -> str:
        one_event(receipts, s.p.requests, "OptedOut")
        return f"Consumer {account} left event {event_id}; its day is free again."

    return s.run([Tx(fn, f"opt {account} out of event {event_id}", CONTRACT)], OWN, summary)
