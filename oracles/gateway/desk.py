"""The files behind the gateway's writes (VENs, resources, reports): its registry
(:mod:`oracles.gateway.registry`), the meter oracle's outbox the reports' readings go to, and the
rejects file the file sources write too. Opened on first use by the gateway's worker thread, the
one thread that uses them (SQLite connections belong to their thread)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from oracles.agents.outbox import Outbox
from oracles.gateway.mapping import date_time
from oracles.gateway.registry import Registry

GATEWAY_VENS = "gridbalance-gateway-vens.sqlite"


@dataclass
class Desk:
    registry_path: Path
    outbox_path: Path
    rejects_path: Path
    ven_clients: frozenset[str]  # the client ids of role VEN in the clients file
    _registry: Registry | None = field(default=None, init=False)
    _outbox: Outbox | None = field(default=None, init=False)

    @property
    def registry(self) -> Registry:
        if self._registry is None:
            self._registry = Registry(self.registry_path)
        return self._registry

    @property
    def outbox(self) -> Outbox:
        if self._outbox is None:
            self._outbox = Outbox(self.outbox_path)
        return self._outbox

    def close(self) -> None:
        for db in (self._registry, self._outbox):
            if db is not None:
                db.close()
        self._registry = self._outbox = None


def now_text() -> str:
    """The gateway's clock as the document's ``dateTime`` (VENs, resources and reports are the
    gateway's records, not the chain's)."""
    return date_time(datetime.now(tz=UTC))
