"""An event's life as its logs tell it, for the keeper: still open, or over.

An event is over once a terminal log ends it (cancelled, withdrawn, closed, its root paid), or once
it has live enrollments (an ``Enrolled`` not followed by the account's ``OptedOut``) and every one is
settled. Each event's state depends on its own logs only, so the index recomputes it for the events
a range (or a reorg) touched, and a keeper pass reads the open ones: its work follows the events
in flight, not the chain's history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from oracles.indexer.watched import SETTLED, TERMINAL


@dataclass(frozen=True)
class EventState:
    created: bool
    terminal: bool
    live: frozenset[str]  # accounts enrolled now
    settled: frozenset[str]

    @property
    def unsettled(self) -> bool:
        """A live enrollment is not settled yet."""
        return bool(self.live - self.settled)

    @property
    def open(self) -> bool:
        if not self.created or self.terminal:
            return False
        return not self.live or self.unsettled


def event_state(logs: Iterable[tuple[str, str | None]]) -> EventState:
    """The state of one event from its logs' (name, account), in chain order."""
    created = terminal = False
    live: set[str] = set()
    settled: set[str] = set()
    for name, account in logs:
        if name == "EventCreated":
            created = True
        elif name in TERMINAL:
            terminal = True
        elif name == "Enrolled" and account is not None:
            live.add(account)
        elif name == "OptedOut" and account is not None:
            live.discard(account)
        elif name in SETTLED and account is not None:
            settled.add(account)
    return EventState(created, terminal, frozenset(live), frozenset(settled))
