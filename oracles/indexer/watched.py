"""Which protocol logs the indexer keeps: for each, its contract and the arguments it is looked up by."""

from __future__ import annotations

from dataclasses import dataclass

from oracles.protocol.contracts import Protocol


@dataclass(frozen=True)
class Watched:
    """One event the daemons need: on contract ``contract`` (a :class:`Protocol` field)."""

    contract: str
    name: str


WATCHED: tuple[Watched, ...] = (
    # the meter oracle's reconciliation and the keeper's proofs (M-4, M-9)
    Watched("meter", "MeterBatchPosted"),
    Watched("meter", "DaysFinalized"),
    # who may be enrolled (C-3)
    Watched("consumers", "ConsumerActivated"),
    # which events are open, who is enrolled, who is settled (P-*, V-*, S-*)
    *(
        Watched("requests", name)
        for name in (
            "EventCreated",
            "EventCancelled",
            "EventWithdrawn",
            "EventClosed",
            "Enrolled",
            "OptedOut",
            "Settled",
            "SettledInsufficientData",
            "RootLocked",
            "RootUnlocked",
            "RootPaid",
        )
    ),
    # optimistic settlement's roots (O-3..O-12)
    *(
        Watched("optimistic", name)
        for name in ("RootProposed", "RootPosted", "RootVoided", "RootFinalized", "RootExpired")
    ),
)

# an event that ends an event's life for the keeper (P-6, O-6, the deadline close)
TERMINAL = ("EventCancelled", "EventWithdrawn", "EventClosed", "RootPaid")
SETTLED = ("Settled", "SettledInsufficientData")


def addresses(p: Protocol) -> list[str]:
    """The addresses whose logs are read (one ``eth_getLogs`` covers them all)."""
    return sorted({str(getattr(p, w.contract).address) for w in WATCHED})
