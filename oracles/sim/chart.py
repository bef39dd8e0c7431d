"""The demo's chart (``reports/<run>/chart.png``), drawn with matplotlib's Agg backend."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import numpy as np

from oracles.agents.grid_oracles import Forecaster
from oracles.agents.keeper import Keeper, SettleStats, baseline_params
from oracles.protocol.bindings import DrEvent, Program
from oracles.protocol.region_time import RegionClock
from oracles.reference import baseline as ref
from oracles.sim.context import Run


def local_hour_ticks(
    clock: RegionClock, first_hour: int, count: int
) -> tuple[list[int], list[str]]:
    """Ticks of a chart whose x is ``0..count`` hours from standard-time hour index ``first_hour``
    (T-1): one at every local 00h, 06h, 12h and 18h of the region's zone (daylight saving time
    included), the date at local midnight (``Jun 15``), the hour otherwise (``06h``)."""
    ticks: list[int] = []
    labels: list[str] = []
    for x in range(count + 1):
        instant = datetime.fromtimestamp(
            (first_hour + x) * 3_600 - 60 * clock.offset_minutes, tz=UTC
        )
        local = clock.local(instant)
        if local.minute == 0 and local.hour % 6 == 0:
            ticks.append(x)
            labels.append(f"{local:%b %d}" if local.hour == 0 else f"{local:%H}h")
    return ticks, labels


def draw_chart(
    run: Run, report: dict[str, Any], event: DrEvent, program: Program, fc: Forecaster,
    actuals: dict[int, float], stats: SettleStats, keeper: Keeper,
) -> None:  # fmt: skip
    """``reports/<run>/chart.png``: the last three days' load, forecast and settlement baseline, and
    the verified reductions' histogram."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    days = range(run.event_day - 2, run.event_day + 1)
    hours = [h for d in days for h in range(d * 24, d * 24 + 24)]
    x = [(h - hours[0]) for h in hours]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    ax1.plot(x, [actuals.get(h, np.nan) for h in hours], label="actual region load", color="black")
    ax1.plot(
        x,
        [fc.posted[h][0] if h in fc.posted else np.nan for h in hours],
        label="forecast (TOWT)",
        color="tab:blue",
    )
    ax1.fill_between(x, [fc.posted[h][1] if h in fc.posted else np.nan for h in hours],
                     [fc.posted[h][2] if h in fc.posted else np.nan for h in hours], color="tab:blue", alpha=0.15,
                     label="90 % band")  # fmt: skip
    expected = [float(run.sim.expected_region_kw(h // 24)[h % 24]) for h in hours]
    baseline_added = sum(o.reduction_wh for o in stats.outcomes if o.sufficient) / 1_000
    ax1.plot(
        x,
        expected,
        label="counterfactual load (simulator, no event)",
        color="tab:orange",
        linestyle="--",
    )
    # settlement baseline: region actual + sum over settled consumers of (adjusted baseline - actual), per hour
    lift = np.zeros(24)
    event_id = report["event"]["id"]
    terms = keeper.terms(event_id)
    params = baseline_params(terms)
    per_hour = params.per_hour  # intervals an hour: the chart's points are hourly sums
    for o in stats.outcomes:
        inputs = keeper.inputs.get((event_id, o.account))
        if not o.sufficient or inputs is None:
            continue
        used, day_readings = inputs
        selected = ref.select_days(used, params)
        for k in range(event.start_interval, event.end_interval):
            lift[k // per_hour] += (
                ref.interval_baseline(used, selected, k) * o.adjustment_bps // ref.BPS
                - day_readings[k]
            )
    first_hour, end_hour = terms.window.hours
    ev_hours = [run.event_day * 24 + h for h in range(first_hour, end_hour)]
    ax1.plot([h - hours[0] for h in ev_hours], [actuals[h] + lift[h % 24] / 1_000 for h in ev_hours],
             label="settlement baseline (10-in-10, adjusted)", color="tab:purple", marker="o")  # fmt: skip
    ax1.axhline(
        report["event"]["threshold_kw"], color="gray", linestyle=":", label="trigger threshold"
    )
    start = run.event_day * 24 + terms.window.start_minute / 60 - hours[0]
    end = run.event_day * 24 + terms.window.end_minute / 60 - hours[0]
    ax1.axvspan(
        start,
        end,
        color="tab:red",
        alpha=0.15,
        label=f"event {run.clock.window_text(event.day, event.start_interval, event.end_interval)}",
    )
    ticks, labels = local_hour_ticks(run.clock, hours[0], len(hours))
    ax1.set_xticks(ticks, labels, fontsize=8)
    ax1.set_xlabel(f"local time, {run.clock.zone_label} (the protocol's days: standard time)")
    ax1.set_ylabel("kW")
    ax1.set_title(
        f"Region load, forecast and baseline; verified reduction {baseline_added:,.0f} kWh"
    )
    ax1.legend(fontsize=8, loc="upper left")
    reductions = [o.reduction_wh / 1_000 for o in stats.outcomes if o.sufficient]
    ax2.hist(reductions, bins=30, color="tab:green")
    ax2.set_xlabel("verified reduction per consumer (kWh)")
    ax2.set_ylabel("consumers")
    ax2.set_title(f"Event {event_id}: {len(reductions)} settled with data")
    fig.tight_layout()
    fig.savefig(run.out_dir / "chart.png", dpi=110)
    plt.close(fig)
