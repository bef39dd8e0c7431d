"""The grid measurement oracle: measurements posted to GridStability (G-7) through the outbox.

Measurements are queued keyed by (region, time) and posted in time order, in batches of at most
96, each strictly after the region's latest time on chain (``regionGrid(region).latestTime``). The
chain is the checkpoint: every pass reads the latest time first, so a queued measurement at or
before it is marked posted without sending (a pass killed after sending, a restart with a fresh
outbox, or another sender's later batch: G-7 takes nothing at or before the latest), and one the
outbox says is posted but lies after it (a reorg took its batch back) is queued again. The
contract's refusals are kept off the chain: a measurement more than 7 days old is dropped and
counted, one ahead of the chain's clock waits, and the value ranges are checked when the file is
read (:func:`range_problem`), so one bad row never blocks the rows after it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from oracles.agents.outbox import Outbox
from oracles.chain.client import ChainClient
from oracles.chain.rpc import latest_timestamp
from oracles.ingest.measurement_files import MeasuredPoint
from oracles.protocol.bindings import Measurement, RegionGrid
from oracles.protocol.contracts import Protocol

log = logging.getLogger("gridbalance.grid")

MAX_BATCH = 96  # GridStability.MAX_BATCH
MAX_AGE_SECONDS = 7 * 86_400  # G-7: an older measurement reverts MeasurementTimeOutOfRange
AGE_MARGIN_SECONDS = 60  # the batch is mined a little after the pass reads the clock
MAX_VOLTAGE_PERMILLE = 1_500
MAX_PHASE_CENTIDEG = 18_000
MAX_FREQUENCY_DEVIATION_MHZ = 5_000
DEAD_BUS_PERMILLE = 100  # below: no voltage; the frequency may then be 0 (G-8)


def range_problem(m: MeasuredPoint, capacity_kw: int, nominal_mhz: int) -> str | None:
    """What GridStability._check would refuse in ``m``'s values (MeasurementOutOfRange, G-7), as
    ``field: message``; None when the contract takes them."""
    if m.load_kw > 2 * capacity_kw:
        return f"load_kw: {m.load_kw} is above twice the region's capacity ({2 * capacity_kw})"
    if m.voltage_permille > MAX_VOLTAGE_PERMILLE:
        return f"voltage_permille: {m.voltage_permille} is above {MAX_VOLTAGE_PERMILLE}"
    if abs(m.phase_centideg) > MAX_PHASE_CENTIDEG:
        return f"phase_centideg: {m.phase_centideg} is outside ±{MAX_PHASE_CENTIDEG}"
    dead_bus = m.voltage_permille < DEAD_BUS_PERMILLE
    if (not dead_bus or m.frequency_mhz != 0) and abs(
        m.frequency_mhz - nominal_mhz
    ) > MAX_FREQUENCY_DEVIATION_MHZ:
        zero = " (0 only on a dead bus, voltage below 100)" if m.frequency_mhz == 0 else ""
        return (f"frequency_mhz: {m.frequency_mhz} is more than {MAX_FREQUENCY_DEVIATION_MHZ} "
                f"from the region's nominal {nominal_mhz}{zero}")  # fmt: skip
    return None


def is_grid_oracle(protocol: Protocol, account: str) -> bool:
    """Whether ``account`` may post measurements (GridStability's GRID_ORACLE_ROLE, G-7)."""
    fns = protocol.stability.functions
    return bool(fns.hasRole(fns.GRID_ORACLE_ROLE().call(), account).call())


@dataclass
class MeasurementPass:
    """What one pass of the measurement oracle did (:meth:`MeasurementOracle.post_ready`)."""

    latest: int  # the region's latest measurement time on chain before the pass (0: none)
    now: int  # the chain's clock
    posted: int = 0  # measurements posted
    batches: int = 0  # transactions
    reconciled: int = 0  # queued at or before the chain's latest: marked posted, not sent
    requeued: int = 0  # marked posted but after the chain's latest (a reorg): queued again
    stale: int = 0  # more than 7 days old: dropped
    waiting: int = 0  # ahead of the chain's clock: kept for a later pass


class MeasurementOracle:
    """Posts a region's measurements (GridStability.GRID_ORACLE_ROLE) from the outbox."""

    def __init__(
        self, protocol: Protocol, client: ChainClient, outbox: Outbox, region: int
    ) -> None:
        self.p = protocol
        self.client = client
        self.outbox = outbox
        self.region = region

    def enqueue(self, points: Sequence[MeasuredPoint]) -> int:
        """Queue measurements; a time queued already is left alone. Returns how many were new."""
        return self.outbox.enqueue_measurements(
            self.region, [(m.time, json.dumps(_abi(m))) for m in points]
        )

    def latest(self) -> RegionGrid:
        return RegionGrid.model_validate(self.p.stability.functions.regionGrid(self.region).call())

    def post_ready(self) -> MeasurementPass:
        """One pass: reconcile the queue with the chain's latest time, drop what is too old, keep
        what is ahead of the clock, post the rest in time order, 96 a batch."""
        latest = self.latest().latest_time
        stats = MeasurementPass(latest=latest, now=latest_timestamp(self.client.w3))
        stats.requeued = self.outbox.requeue_measurements_after(self.region, latest)
        if stats.requeued:
            log.warning("region %d: %d measurements marked posted are after the chain's latest "
                        "(%d): queued again (a reorg?)", self.region, stats.requeued, latest)  # fmt: skip
        rows = self.outbox.pending_measurements(self.region)
        done = [(t, p) for t, p in rows if t <= latest]
        if done:
            self._check_latest(done, latest)
            self.outbox.confirm_measurements(self.region, [t for t, _ in done], "reconciled")
            stats.reconciled = len(done)
        rows = [(t, p) for t, p in rows if t > latest]
        oldest = stats.now - MAX_AGE_SECONDS + AGE_MARGIN_SECONDS
        stale = [t for t, _ in rows if t < oldest]
        if stale:
            self.outbox.drop_measurements(self.region, stale)
            stats.stale = len(stale)
            log.warning("region %d: %d measurements more than 7 days old dropped (times %d..%d)",
                        self.region, len(stale), stale[0], stale[-1])  # fmt: skip
        ready = [(t, p) for t, p in rows if oldest <= t <= stats.now]
        stats.waiting = sum(1 for t, _ in rows if t > stats.now)
        for i in range(0, len(ready), MAX_BATCH):
            self._post(ready[i : i + MAX_BATCH])
            stats.posted += len(ready[i : i + MAX_BATCH])
            stats.batches += 1
        return stats

    def _check_latest(self, done: list[tuple[int, str]], latest: int) -> None:
        """Warn when the chain's latest measurement is not the queued one of its time (another
        sender posted that time with other values); the queued one is never sent either way."""
        queued = dict(done).get(latest)
        if queued is None:
            return
        m = Measurement.model_validate(
            self.p.stability.functions.latestMeasurement(self.region).call()
        )
        on_chain = [m.time, m.load_kw, m.reserve_kw, m.frequency_mhz, m.voltage_permille,
                    m.phase_centideg]  # fmt: skip
        if json.loads(queued) != on_chain:
            log.warning("region %d: the chain's measurement at %d differs from the queued one "
                        "(kept the chain's)", self.region, latest)  # fmt: skip

    def _post(self, chunk: list[tuple[int, str]]) -> None:
        points = [tuple(json.loads(p)) for _, p in chunk]
        fn = self.p.stability.functions.postMeasurements(self.region, points)
        first, last = chunk[0][0], chunk[-1][0]
        receipt = self.client.transact(
            fn, f"post measurements (region {self.region}, times {first}..{last})"
        )
        self.outbox.confirm_measurements(
            self.region, [t for t, _ in chunk], str(receipt["transactionHash"])
        )
        log.info("region %d: %d measurements, times %d..%d, gas %d", self.region, len(chunk),
                 first, last, receipt["gasUsed"],
                 extra={"fields": {"kind": "measurement", "region": self.region,
                        "points": len(chunk), "first_time": first, "last_time": last,
                        "gas": receipt["gasUsed"]}})  # fmt: skip


def _abi(m: MeasuredPoint) -> list[int]:
    """IGridStability.Measurement's fields in order (the outbox's payload)."""
    return [m.time, m.load_kw, m.reserve_kw, m.frequency_mhz, m.voltage_permille, m.phase_centideg]
