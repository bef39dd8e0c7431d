"""The daemons' Prometheus metrics (``--metrics-port``), in a registry of their own.

Counters count what this process did since it started; gauges are set after each pass from what
is persisted (the outbox, the log index), so after a restart they still agree with the chain.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


@dataclass
class Metrics:
    daemon: str
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        r, labels = self.registry, ["daemon"]
        self._batches = Counter("gridbalance_batches_posted", "transactions posting data (meter batches, forecasts), this process", labels, registry=r)  # fmt: skip
        self._readings = Counter("gridbalance_readings", "meter readings read from input files, this process", labels, registry=r)  # fmt: skip
        self._rejects = Counter("gridbalance_rejects", "rows written to the rejects file, this process", labels, registry=r)  # fmt: skip
        self._rpc_errors = Counter("gridbalance_rpc_errors", "passes that failed on a chain or RPC error, this process", labels, registry=r)  # fmt: skip
        self._passes = Counter("gridbalance_passes", "passes completed, this process", labels, registry=r)  # fmt: skip
        self._enrolled = Counter("gridbalance_enrolled", "consumers the keeper enrolled, this process", labels, registry=r)  # fmt: skip
        self._settled = Counter("gridbalance_settled", "enrollments the keeper settled, this process", labels, registry=r)  # fmt: skip
        self._pending = Gauge("gridbalance_outbox_pending", "outbox rows not yet confirmed on chain", labels, registry=r)  # fmt: skip
        self._confirmed = Gauge("gridbalance_outbox_confirmed", "outbox rows confirmed on chain (meter: consumer-days)", labels, registry=r)  # fmt: skip
        self._last_block = Gauge("gridbalance_last_block_indexed", "the log index's checkpoint", labels, registry=r)  # fmt: skip
        self._reorgs = Gauge("gridbalance_reorgs_seen", "reorgs the log index undid (persisted)", labels, registry=r)  # fmt: skip
        self._logs = Gauge("gridbalance_indexed_logs", "protocol logs in the index, by event", [*labels, "event"], registry=r)  # fmt: skip

    def serve(self, port: int) -> None:
        start_http_server(port, addr="127.0.0.1", registry=self.registry)

    def batches(self, n: int = 1) -> None:
        self._batches.labels(self.daemon).inc(n)

    def readings(self, n: int) -> None:
        self._readings.labels(self.daemon).inc(n)

    def rejects(self, n: int) -> None:
        self._rejects.labels(self.daemon).inc(n)

    def rpc_error(self) -> None:
        self._rpc_errors.labels(self.daemon).inc()

    def passed(self) -> None:
        self._passes.labels(self.daemon).inc()

    def enrolled(self, n: int) -> None:
        self._enrolled.labels(self.daemon).inc(n)

    def settled(self, n: int) -> None:
        self._settled.labels(self.daemon).inc(n)

    def outbox(self, pending: int, confirmed: int) -> None:
        self._pending.labels(self.daemon).set(pending)
        self._confirmed.labels(self.daemon).set(confirmed)

    def index(self, last_block: int, reorgs: int, logs: dict[str, int]) -> None:
        self._last_block.labels(self.daemon).set(last_block)
        self._reorgs.labels(self.daemon).set(reorgs)
        for name, count in logs.items():
            self._logs.labels(self.daemon, name).set(count)
