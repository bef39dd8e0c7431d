"""The regions' grid status and load against forecast, for the dashboard's home page.

What the grid oracles post lives in storage, not in logs (``ForecastPosted`` and ``ActualPosted``
carry hour ranges only), so this is the one part of the dashboard read by view calls: per region
``gridState``, ``regionGrid``, ``stressMultiplierBps``, ``currentHour`` and ``region`` (its
capacity may have changed since ``RegionAdded``), and the ``hourRecord`` of every hour from
:data:`PAST_HOURS` before the latest measured hour (the current hour before any) to
:data:`AHEAD_HOURS` after it. All of them go in one
JSON-RPC batch (:func:`oracles.chain.reads.call_many`), once per indexed block."""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from oracles.chain.reads import call_many, web3_batch
from oracles.gateway.chain_view import Region
from oracles.gateway.dashboard.models import GridRow, LoadPoint
from oracles.gateway.mapping import clock
from oracles.protocol.bindings import GridState, HourRecord, RegionGrid, RegionParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.region_time import RegionClock

PAST_HOURS, AHEAD_HOURS = 48, 24
HAS_FORECAST, HAS_ACTUAL = 2, 4  # HourRecord.flags bits (ILoadForecasting)
NONE = "\u2013"  # an en dash: no measurement yet


@dataclass(frozen=True)
class RegionGridData:
    grid: GridRow
    capacity_kw: int
    load: list[LoadPoint]


def read_grid(p: Protocol, regions: list[Region]) -> dict[int, RegionGridData]:
    """Each region's grid row and load chart points, from one batch of view calls."""
    if not regions:
        return {}
    batch = web3_batch(p.w3)
    ids = [(r.region_id,) for r in regions]
    states = call_many(batch, p.forecasting, "gridState", ids)
    grids = call_many(batch, p.stability, "regionGrid", ids)
    stress = call_many(batch, p.forecasting, "stressMultiplierBps", ids)
    hours = call_many(batch, p.forecasting, "currentHour", ids)
    params = call_many(batch, p.regions, "region", ids)
    # the chart ends AHEAD_HOURS after the latest measured hour (the current hour before any):
    # a chain whose clock ran on past its data (days of settlement) still shows the data
    anchors = [
        GridState.model_validate(st).hour or int(now) for st, now in zip(states, hours, strict=True)
    ]
    wanted = [
        (r.region_id, h)
        for r, anchor in zip(regions, anchors, strict=True)
        for h in range(anchor - PAST_HOURS, anchor + AHEAD_HOURS)
    ]
    records = call_many(batch, p.forecasting, "hourRecord", wanted)
    by_region: dict[int, list[tuple[int, HourRecord]]] = {}
    for (rid, h), rec in zip(wanted, records, strict=True):
        by_region.setdefault(rid, []).append((h, HourRecord.model_validate(rec)))
    out: dict[int, RegionGridData] = {}
    for r, st, g, bps, rp in zip(regions, states, grids, stress, params, strict=True):
        state, grid = GridState.model_validate(st), RegionGrid.model_validate(g)
        region_params = RegionParams.model_validate(rp)
        c = clock(r)
        label = partial(_label, c)
        row = GridRow(
            hour=state.hour,
            hour_label=label(state.hour) if state.hour else "no measurement yet",
            load_kw=state.load_kw,
            frequency_hz=f"{state.frequency_mhz / 1000:.3f}" if state.hour else NONE,
            voltage_percent=f"{state.voltage_permille / 10:.1f}" if state.hour else NONE,
            load_status=state.load.name,
            stability_status=state.stability.name,
            system_state=grid.state.name,
            declared=grid.declared,
            stress_bps=int(bps),
        )
        points = [
            LoadPoint(
                hour=h,
                label=label(h),
                forecast_kw=rec.forecast_kw if rec.flags & HAS_FORECAST else None,
                low_kw=rec.low_kw if rec.flags & HAS_FORECAST else None,
                high_kw=rec.high_kw if rec.flags & HAS_FORECAST else None,
                actual_kw=rec.actual_kw if rec.flags & HAS_ACTUAL else None,
            )
            for h, rec in by_region.get(r.region_id, [])
        ]
        out[r.region_id] = RegionGridData(row, region_params.capacity_kw, points)
    return out


def _label(c: RegionClock, hour: int) -> str:
    """A standard-time hour index (T-1) on the zone's clock: ``Mar 26 17:00``."""
    return f"{c.local(c.hour_start(hour)):%b %d %H:%M}"
