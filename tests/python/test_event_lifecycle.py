"""Which events the index keeps open for the keeper (oracles/indexer/lifecycle.py), from logs."""

from __future__ import annotations

from pathlib import Path

import pytest

from oracles.indexer.lifecycle import event_state
from oracles.indexer.store import Row, Store

A, B = "0xA", "0xB"


@pytest.mark.parametrize(
    ("logs", "is_open", "unsettled"),
    [
        ([("EventCreated", None)], True, False),  # waiting for enrollments
        ([("EventCreated", None), ("Enrolled", A)], True, True),
        ([("EventCreated", None), ("Enrolled", A), ("Settled", A)], False, False),
        ([("EventCreated", None), ("Enrolled", A), ("Enrolled", B), ("Settled", A)], True, True),
        # an opted-out account needs no settlement; enrolled again, it does
        ([("EventCreated", None), ("Enrolled", A), ("Enrolled", B), ("OptedOut", B),
          ("SettledInsufficientData", A)], False, False),
        ([("EventCreated", None), ("Enrolled", B), ("OptedOut", B), ("Enrolled", B)], True, True),
        ([("EventCreated", None), ("Enrolled", A), ("EventCancelled", None)], False, True),
        ([("EventCreated", None), ("EventWithdrawn", None), ("EventCancelled", None)], False, False),
        ([("EventCreated", None), ("Enrolled", A), ("RootPaid", None)], False, True),
        ([("Enrolled", A)], False, True),  # its creation not indexed (yet): nothing to do
    ],
)  # fmt: skip
def test_event_state(logs: list[tuple[str, str | None]], is_open: bool, unsettled: bool) -> None:
    state = event_state(logs)
    assert (state.open, state.unsettled) == (is_open, unsettled)


def test_store__a_reorg_that_takes_a_settlement_back__reopens_the_event(tmp_path: Path) -> None:
    """The index's open-event set follows appends and undone blocks (D-4), event by event."""
    store = Store(tmp_path / "index.sqlite", 1, "0xdeployment")
    created = {"eventId": 7, "regionId": 1, "day": 100, "startInterval": 16}
    store.append([Row(10, 0, "0x01", "EventCreated", created),
                  Row(11, 0, "0x02", "Enrolled", {"eventId": 7, "account": A, "byKeeper": True})],
                 11, [(11, "0xh11")], 0)  # fmt: skip
    assert store.open_event_ids() == [7] and store.event_state(7).unsettled
    store.append(
        [Row(20, 0, "0x03", "Settled", {"eventId": 7, "account": A})], 20, [(20, "0xh20")], 0
    )
    assert store.open_event_ids() == []  # every live enrollment settled
    assert store.undo_after(15) == 1  # a reorg took block 20 back
    assert store.open_event_ids() == [7] and store.event_state(7).unsettled
    assert store.last_block() == 15 and store.counter("reorgs") == 1
