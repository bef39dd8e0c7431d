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
    # the programs, each written once at creation (P-1, P-2): the OpenADR gateway's programs
    Watched("programs", "ProgramCreated"),
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
    # optimistic settlement's roots (O-3..O-12) and what they paid (O-7, O-8)
    *(
        Watched("optimistic", name)
        for name in (
            "RootProposed",
            "RootPosted",
            "RootVoided",
            "RootFinalized",
            "RootExpired",
            "Claimed",
            "BatchClaimed",
        )
    ),
    # an event's report (`gridbalance report --event`): its region's name, interval and zone, the
    # disputes of its enrollments and their rulings (D-1..D-3)
    Watched("regions", "RegionAdded"),
    Watched("regions", "TimeZoneSet"),  # its time zone, for the dates and clock times shown
    Watched("disputes", "DisputeOpened"),
    Watched("disputes", "DisputeResolved"),
)

# an event that ends an event's life for the keeper (P-6, O-6, the deadline close)
TERMINAL = ("EventCancelled", "EventWithdrawn", "EventClosed", "RootPaid")
SETTLED = ("Settled", "SettledInsufficientData")


def kept() -> str:
    """The logs kept, as the index database records them (a database that kept fewer is read
    again, :mod:`oracles.indexer.store`)."""
    return ",".join(f"{w.contract}.{w.name}" for w in WATCHED)


def addresses(p: Protocol) -> list[str]:
    """The addresses whose logs are read (one ``eth_getLogs`` covers them all)."""
    return sorted({str(getattr(p, w.contract).address) for w in WATCHED})
