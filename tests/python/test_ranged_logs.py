"""`oracles.chain.logs.ranged_logs`: a contract event's logs read in block spans a node accepts
(public nodes cap ``eth_getLogs`` at a few thousand blocks; `gridbalance verify`, the keeper without
an index and `region` read their logs through it). A fake event stands in for the node: it refuses
every span wider than its cap, as such nodes do."""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from web3.exceptions import Web3RPCError

from oracles.chain.logs import ranged_logs


@dataclass
class _Eth:
    block_number: int


@dataclass
class _W3:
    eth: _Eth


@dataclass
class FakeEvent:
    """A node holding one log at each block in ``at``, refusing spans wider than ``cap``."""

    at: list[int]
    cap: int
    latest: int
    calls: list[tuple[int, int]] = field(default_factory=list)

    @property
    def w3(self) -> _W3:
        return _W3(_Eth(self.latest))

    def get_logs(
        self, *, from_block: int, to_block: int, argument_filters: dict[str, Any]
    ) -> list[dict[str, Any]]:
        self.calls.append((from_block, to_block))
        if to_block - from_block + 1 > self.cap:
            raise Web3RPCError("query returned more than 10000 results / block range too wide")
        wanted = argument_filters.get("eventId")
        return [{"blockNumber": b, "eventId": b % 3} for b in self.at
                if from_block <= b <= to_block and (wanted is None or b % 3 == wanted)]  # fmt: skip


def test_spans_halved_on_refusal__every_log_once_in_order() -> None:
    event = FakeEvent(at=[0, 5, 999, 1_000, 4_321, 9_999, 10_000], cap=700, latest=10_000)
    logs = ranged_logs(event, from_block=0, span=2_000)
    assert [x["blockNumber"] for x in logs] == [0, 5, 999, 1_000, 4_321, 9_999, 10_000]
    read = [(a, b) for a, b in event.calls if b - a + 1 <= 700]
    assert read[0][0] == 0 and read[-1][1] == 10_000  # the accepted spans cover every block
    assert all(b + 1 == c for (_, b), (c, _) in pairwise(read))


def test_filters_and_to_block_passed_through() -> None:
    event = FakeEvent(at=list(range(0, 60, 5)), cap=10_000, latest=100)
    logs = ranged_logs(event, from_block=10, to_block=40, argument_filters={"eventId": 1})
    assert [x["blockNumber"] for x in logs] == [10, 25, 40]
    assert event.calls == [(10, 40)]


def test_a_refused_single_block__raises() -> None:
    event = FakeEvent(at=[3], cap=0, latest=5)
    with pytest.raises(Web3RPCError):
        ranged_logs(event, from_block=0)
    with pytest.raises(ValueError, match="at least 1"):
        ranged_logs(event, from_block=0, span=0)


@settings(max_examples=200)
@given(
    at=st.lists(st.integers(0, 20_000), max_size=40),
    cap=st.integers(1, 5_000),
    first=st.integers(0, 20_000),
    span=st.integers(1, 6_000),
)
def test_any_cap__the_same_logs_as_one_unbounded_read(
    at: list[int], cap: int, first: int, span: int
) -> None:
    at = sorted(set(at))
    event = FakeEvent(at=at, cap=cap, latest=20_000)
    logs = ranged_logs(event, from_block=first, span=span)
    assert [x["blockNumber"] for x in logs] == [b for b in at if b >= first]
