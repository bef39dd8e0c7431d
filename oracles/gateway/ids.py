"""OpenADR object ids of the chain's programs and events: stable and derived from the chain id, the
contract address and the on-chain id, so that two gateways of one deployment give the same ids and
two deployments never share one.

``program-31337-5fbdb2315678afecb367f032d93f642f64180aa3-1`` is program 1 of the ProgramRegistry at
0x5FbD...0aa3 on chain 31337; events read the same with ``event-`` and the ReductionRequests
address. Every id fits the document's ``objectID`` (``^[a-zA-Z0-9_-]*$``, 1..128 characters).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Kind = Literal["program", "event"]

_ID = re.compile(r"^(program|event)-([0-9]{1,20})-([0-9a-f]{40})-([0-9]{1,20})$")


@dataclass(frozen=True)
class ObjectId:
    """One on-chain object as OpenADR names it."""

    kind: Kind
    chain_id: int
    contract: str  # the contract's address, 0x-prefixed (any case)
    number: int  # the on-chain id (programId, eventId)

    def text(self) -> str:
        return (
            f"{self.kind}-{self.chain_id}-{self.contract.lower().removeprefix('0x')}-{self.number}"
        )


def parse(text: str) -> ObjectId | None:
    """The object an id names, None when ``text`` is no gateway id (it may still be a valid
    ``objectID`` of the document: the caller answers 404, not 400)."""
    m = _ID.match(text)
    if m is None:
        return None
    kind: Kind = "program" if m.group(1) == "program" else "event"
    return ObjectId(kind, int(m.group(2)), "0x" + m.group(3), int(m.group(4)))


OBJECT_ID = re.compile(r"^[a-zA-Z0-9_-]{1,128}$")  # the document's objectID schema


def is_object_id(text: str) -> bool:
    return OBJECT_ID.match(text) is not None
