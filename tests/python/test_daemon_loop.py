"""The watch loop (oracles/daemon/loop.py): a pass that fails on a chain error, a reverted view
included, is logged and tried again; any other error ends the daemon."""

from __future__ import annotations

import pytest

from oracles.chain.errors import TxReverted
from oracles.chain.reads import CallFailed
from oracles.daemon.loop import Stop, watch


@pytest.mark.parametrize(
    "error",
    [
        CallFailed("candidateDays(1, '0xA')", "execution reverted", "0x37217904"),
        TxReverted("settle", "EventDayNotFinal: 1, 20000"),
    ],
    ids=["view reverted", "transaction reverted"],
)
def test_watch__a_chain_error_fails_the_pass_not_the_daemon(error: Exception) -> None:
    """A reorg can take back what a view relied on (a day made final): the next pass tries again."""
    stop, seen, errors = Stop(), [], []

    def step() -> None:
        seen.append(len(seen))
        if len(seen) == 1:
            raise error
        stop.event.set()

    assert watch(step, 0.0, stop, on_error=errors.append) == 2
    assert seen == [0, 1] and errors == [error]


def test_watch__another_error_ends_the_daemon() -> None:
    def step() -> None:
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        watch(step, 0.0, Stop())
