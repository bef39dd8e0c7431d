"""The watch loop: one pass, then a poll interval, until SIGTERM or SIGINT.

A signal only sets a flag: the pass under way (a batch being sent and recorded) finishes, then the
loop returns, so the daemon exits 0 with its outbox and index consistent. A pass that fails on a
chain error is counted and logged, and the loop tries again after the interval (the daemons'
passes are safe to repeat); any other error ends the daemon.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from oracles.chain.errors import ChainError

log = logging.getLogger("gridbalance.daemon")


@dataclass
class Stop:
    """Set by SIGTERM or SIGINT (:meth:`install`); the loop's sleep wakes at once."""

    event: threading.Event = field(default_factory=threading.Event)
    signal_name: str = ""

    def install(self) -> None:
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, self._handler)

    def _handler(self, signum: int, frame: object) -> None:
        self.signal_name = signal.Signals(signum).name
        self.event.set()

    @property
    def requested(self) -> bool:
        return self.event.is_set()


def watch(
    step: Callable[[], None],
    poll_seconds: float,
    stop: Stop,
    on_error: Callable[[BaseException], None] | None = None,
) -> int:
    """Run ``step`` every ``poll_seconds`` until ``stop``; the number of passes run."""
    passes = 0
    while not stop.requested:
        try:
            step()
        except ChainError as exc:
            if on_error is not None:
                on_error(exc)
            log.warning("pass failed: %s; next try in %.1fs", exc, poll_seconds)
        passes += 1
        stop.event.wait(poll_seconds)
    log.info("stopping on %s after %d passes", stop.signal_name or "request", passes)
    return passes
