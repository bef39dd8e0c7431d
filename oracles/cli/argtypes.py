"""Typed command-line arguments: each parser turns one string into a checked value, or raises
``argparse.ArgumentTypeError`` with a one-line reason (argparse names the argument)."""

from __future__ import annotations

import argparse
import re
from collections.abc import Callable
from datetime import date, datetime
from urllib.parse import urlparse

from eth_utils.crypto import keccak
from web3 import Web3

from oracles.reference.baseline_days import day_date

EPOCH = date(1970, 1, 1)
HEX32 = re.compile(r"^0x[0-9a-fA-F]{64}$")


def address(text: str) -> str:
    """A 20-byte address, checksummed (a wrong checksum is refused)."""
    if not Web3.is_address(text):
        raise argparse.ArgumentTypeError(f"{text!r} is not an address (0x and 40 hex digits)")
    if text != text.lower() and text[2:] != text[2:].upper() and not Web3.is_checksum_address(text):
        raise argparse.ArgumentTypeError(f"{text} has a wrong checksum")
    return Web3.to_checksum_address(text)


class AccountName(str):
    """A name of the running localnet's role table (``consumer1``, ``utility``) given where an
    address is asked; the command turns it into the address once it knows the chain
    (:meth:`oracles.cli.actions.Session.open`)."""

    __slots__ = ()


_NAME = re.compile(r"^[a-z][a-z0-9-]{0,31}$")


def account(text: str) -> str:
    """An address (as :func:`address`) or a name of the localnet's role table (``consumer1``)."""
    if not Web3.is_address(text) and _NAME.fullmatch(text):
        return AccountName(text)
    return address(text)


def rpc_url_problem(url: str) -> str | None:
    """What is wrong with a JSON-RPC URL, in one line, or None: an unexpanded ``$VARIABLE`` (a
    Brownie network's host), no http(s) scheme (``localhost:8545``), no host."""
    if "$" in url:
        return f"RPC URL {url!r} holds an unexpanded variable: set it in the environment"
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https"):
        return f"RPC URL {url!r} needs a scheme: did you mean http://{url}?"
    if not parsed.netloc:
        return f"RPC URL {url!r} has no host"
    return None


def uint(bits: int, low: int = 0) -> Callable[[str], int]:
    """A whole number ``low`` .. 2**bits - 1 (underscores allowed: 1_000)."""
    high = 2**bits - 1

    def parse(text: str) -> int:
        try:
            value = int(text.replace("_", ""), 10)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text} is out of range {low}..{high}")
        return value

    return parse


def calendar_day(text: str) -> int:
    """A date YYYY-MM-DD as the protocol's day number (days since 1970-01-01 in the region's
    standard time)."""
    try:
        d = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date YYYY-MM-DD") from None
    if d < EPOCH:
        raise argparse.ArgumentTypeError(f"{text} is before 1970-01-01")
    return (d - EPOCH).days


def day_text(day: int) -> str:
    """The protocol's day number as YYYY-MM-DD."""
    return day_date(day).isoformat()


def moment(text: str) -> int:
    """An ISO 8601 time with a UTC offset (``2027-03-01T17:00-08:00``, ``...Z``) as UTC seconds."""
    try:
        t = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time (e.g. 2027-03-01T17:00-08:00)"
        ) from None
    if t.utcoffset() is None:
        raise argparse.ArgumentTypeError(f"{text} has no UTC offset (write e.g. -08:00 or Z)")
    return int(t.timestamp())


def clock(text: str) -> int:
    """A clock time HH:MM (00:00 .. 24:00) as minutes after midnight."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2})", text)
    if m is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a clock time HH:MM")
    hours, minutes = int(m[1]), int(m[2])
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise argparse.ArgumentTypeError(f"{text} is not a time of day (00:00 .. 24:00)")
    return 60 * hours + minutes


def clock_text(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def hash32(text: str) -> bytes:
    """A bytes32: 0x and 64 hex digits as given, or any other text as its keccak256 (the document
    or reason the hash stands for, kept off-chain)."""
    if HEX32.fullmatch(text):
        value = bytes.fromhex(text[2:])
    elif (
        text.startswith("0x")
        and len(text) > 2
        and all(c in "0123456789abcdefABCDEF" for c in text[2:])
    ):
        raise argparse.ArgumentTypeError(
            f"{text}: a hex hash needs 64 hex digits, not {len(text) - 2}"
        )
    elif not text:
        raise argparse.ArgumentTypeError("an empty text has no hash")
    else:
        value = keccak(text=text)
    if not any(value):
        raise argparse.ArgumentTypeError("the zero hash stands for nothing")
    return value


def id_list(text: str) -> list[int]:
    """Comma-separated region ids: 1,2,3."""
    parse = uint(16, 1)
    try:
        return [parse(t.strip()) for t in text.split(",") if t.strip()] or _empty()
    except argparse.ArgumentTypeError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _empty() -> list[int]:
    raise argparse.ArgumentTypeError("no ids given")


def hours_mask(text: str) -> int:
    """Local hours as a 24-bit mask: ``all``, or hours and ranges ``0-6,18,20-23`` (inclusive)."""
    if text == "all":
        return 2**24 - 1
    mask = 0
    for part in text.split(","):
        m = re.fullmatch(r"\s*(\d{1,2})(?:-(\d{1,2}))?\s*", part)
        if m is None:
            raise argparse.ArgumentTypeError(f"{text!r}: {part!r} is not an hour or range H-H")
        lo, hi = int(m[1]), int(m[2] if m[2] is not None else m[1])
        if not 0 <= lo <= hi <= 23:
            raise argparse.ArgumentTypeError(f"{text!r}: hours are 0..23, low-high")
        mask |= ((1 << (hi - lo + 1)) - 1) << lo
    return mask


def utc_offset(text: str) -> int:
    """A UTC offset as minutes: ``-08:00``, ``+05:30`` or ``-480``."""
    m = re.fullmatch(r"([+-])(\d{2}):(\d{2})", text)
    if m is not None:
        value = (60 * int(m[2]) + int(m[3])) * (-1 if m[1] == "-" else 1)
    else:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"{text!r} is not a UTC offset (+HH:MM, -HH:MM or minutes)"
            ) from None
    if not -720 <= value <= 840 or value % 15:
        raise argparse.ArgumentTypeError(
            f"{text}: a UTC offset is -12:00..+14:00 in 15-minute steps"
        )
    return value
