"""Helpers shared by the contract tests."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

DEFAULT_REGION = {
    "capacityKw": 5_000_000,
    "nominalFrequencyMHz": 60_000,
    "utcOffsetMinutes": -480,
    "highLoadBps": 8_000,
    "criticalLoadBps": 9_500,
    "areaId": 4,  # the seed band profile (G-5)
    "intervalMinutes": 60,
}


def region_tuple(**overrides: int) -> tuple[int, ...]:
    p = {**DEFAULT_REGION, **overrides}
    return (
        p["capacityKw"],
        p["nominalFrequencyMHz"],
        p["utcOffsetMinutes"],
        p["highLoadBps"],
        p["criticalLoadBps"],
        p["areaId"],
        p["intervalMinutes"],
    )


def err(name: str, *args: object) -> str:
    """The revert string Brownie 1.22 decodes a custom error into: ``"Name: arg1, arg2"``.

    Addresses appear in lower case, bytes32 values as Python ``bytes`` reprs, and an error without
    arguments as ``"Name: "``. Use as ``brownie.reverts(err("UnknownRegion", 3))``.
    """

    def fmt(a: object) -> str:
        if isinstance(a, (bytes, bytearray)):
            return str(bytes(a))
        if isinstance(a, str) and a.startswith("0x") and len(a) == 66:  # bytes32 as hex
            return str(bytes.fromhex(a[2:]))
        if isinstance(a, str) and a.startswith("0x"):
            return a.lower()
        if hasattr(a, "address"):
            return str(a.address).lower()
        return str(a)

    return f"{name}: {', '.join(fmt(a) for a in args)}"


def held_for_disputes(requests: Any, event_id: int, accounts: Iterable[Any]) -> int:
    """D-4: what the event's enrollments of ``accounts`` reserved and were not paid, which stays
    reserved for a dispute until the event closes (S-9)."""
    total = 0
    for who in accounts:
        en = requests.enrollment(event_id, who)
        total += en["reserved"] - en["paid"]
    return total
