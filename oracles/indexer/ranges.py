"""``eth_getLogs`` in bounded block ranges: a range the node refuses is halved and tried again.

Nodes cap the block span (or the result size) of one ``eth_getLogs`` call, each with its own
message, so any refusal of a span wider than one block is taken as "too wide". A network error
is not a refusal: it passes through to the caller's retry (D-1).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from web3 import Web3
from web3.exceptions import Web3Exception

from oracles.chain.errors import ChainError
from oracles.chain.rpc import rpc_request

log = logging.getLogger("gridbalance.indexer")


class RangeRefused(ChainError):
    """The node refused even a one-block ``eth_getLogs`` range."""


@dataclass
class RangeReader:
    """Reads logs of ``addresses`` in spans of at most ``span`` blocks; ``span`` shrinks on each
    refusal and grows back (doubling, up to ``max_span``) after each success."""

    w3: Web3
    addresses: list[str]
    max_span: int = 2_000
    span: int = 0
    refusals: int = 0

    def __post_init__(self) -> None:
        if self.max_span < 1:
            raise ValueError("the maximum block range must be at least 1")
        self.span = self.span or self.max_span

    def logs(self, first: int, last: int) -> Iterator[tuple[int, int, list[dict[str, Any]]]]:
        """(first block, last block, raw logs) of each range read, covering ``first..last`` in order."""
        start = first
        while start <= last:
            end = min(last, start + self.span - 1)
            try:
                found = self._get_logs(start, end)
            except _Refused as exc:
                if end == start:
                    raise RangeRefused(f"eth_getLogs refused block {start}: {exc}") from exc
                self.refusals += 1
                self.span = max(1, (end - start + 1) // 2)
                log.warning("eth_getLogs %d..%d refused (%s); range now %d blocks",
                            start, end, exc, self.span)  # fmt: skip
                continue
            yield start, end, found
            start = end + 1
            self.span = min(self.max_span, self.span * 2)

    def _get_logs(self, start: int, end: int) -> list[dict[str, Any]]:
        params = [{"fromBlock": hex(start), "toBlock": hex(end), "address": self.addresses}]
        try:
            reply = rpc_request(self.w3, "eth_getLogs", params)
        except (Web3Exception, ValueError) as exc:  # a provider that raises instead of replying
            raise _Refused(str(exc)) from exc
        if "error" in reply:
            error = reply["error"]
            raise _Refused(str(error.get("message", error) if isinstance(error, dict) else error))
        return list(reply.get("result") or [])


class _Refused(Exception):
    pass
