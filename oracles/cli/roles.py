"""`gridbalance roles`: every role of every access-controlled contract and who holds it, by name
(holders rebuilt from the RoleGranted/RoleRevoked logs)."""

from __future__ import annotations

import argparse

from oracles.cli.actions import Session, command


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    command(sub, "roles", "every role of every contract and its holders, by name", _roles, sends=False,
            description="Every AccessControl role of every protocol contract and the accounts that hold it "
            "now, rebuilt from the RoleGranted/RoleRevoked logs since deployment.")  # fmt: skip


def _roles(args: argparse.Namespace) -> int:
    s = Session.open(args)
    for contract, role, holders in s.book.table():
        s.say(f"{contract}.{role}: {s.book.holder_text(holders)}")
    return 0
