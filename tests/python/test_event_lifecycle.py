"""Which events the index keeps open for the keeper (oracles/indexer/lifecycle.py), from logs."""

from __future__ import annotations

import pytest

from oracles.indexer.lifecycle import event_state

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
