"""The frequency incident's chart (``incident_chart.png``), drawn with matplotlib's Agg backend from
the report: the frequency trace against the profile's bands and UFLS stages, the system state under
it, and markers for the automated response and the load shed."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from oracles.protocol.region_time import RegionClock
from oracles.sim.incident_context import TIME_ZONE, UTC_OFFSET_MINUTES

STATE_COLOURS = {
    "Normal": "tab:green",
    "Alert": "gold",
    "Emergency": "tab:red",
    "Blackout": "black",
    "Restoration": "tab:purple",
}


def _segments(report: dict[str, Any]) -> list[tuple[float, float, str]]:
    """(start, end, state) in minutes from the first point: the state before the first change is
    the first change's ``from``, each change starts a segment at its measurement."""
    first, last = report["incident"]["first_time"], report["incident"]["last_time"]
    states = report["states"]
    current, since = (states[0]["from"] if states else report["final_record"]["state"]), first
    out: list[tuple[float, float, str]] = []
    for row in states:
        out.append(((since - first) / 60, (row["time"] - first) / 60, current))
        current, since = row["to"], row["time"]
    out.append(((since - first) / 60, (last - first) / 60 + 1, current))
    return out


def draw_incident_chart(report: dict[str, Any], path: Path) -> None:
    """Write the chart to ``path`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    clock = RegionClock.of(UTC_OFFSET_MINUTES, TIME_ZONE, 60)
    first = report["incident"]["first_time"]
    nominal = report["region"]["nominal_frequency_mhz"] / 1_000
    prof = report["profile"]
    trace = report["trace"]
    x = [(p["time"] - first) / 60 for p in trace]
    hz = [p["frequency_mhz"] / 1_000 for p in trace]

    fig, (ax, res, band) = plt.subplots(3, 1, figsize=(14, 8), sharex=True,
                                        gridspec_kw={"height_ratios": [5, 2, 1]})  # fmt: skip
    edges = (
        ("normal", prof["normal_mhz"], "tab:green", "--"),
        ("alert", prof["alert_mhz"], "goldenrod", "--"),
        ("emergency", prof["emergency_mhz"], "tab:red", "--"),
    )
    ax.axhline(nominal, color="gray", linewidth=0.8)
    for name, mhz, colour, style in edges:
        ax.axhline(nominal - mhz / 1_000, color=colour, linestyle=style, linewidth=1,
                   label=f"{name} band edge (-{mhz} mHz)")  # fmt: skip
        ax.axhline(nominal + mhz / 1_000, color=colour, linestyle=style, linewidth=0.6, alpha=0.5)
    for k, (drop, share) in enumerate(prof["stages"], start=1):
        ax.axhline(nominal - drop / 1_000, color="tab:brown", linestyle=":", linewidth=1.2)
        ax.text(x[-1], nominal - drop / 1_000, f"UFLS stage {k}: -{drop:,} mHz, {share / 100:g} % of load",
                ha="right", va="bottom", fontsize=8, color="tab:brown")  # fmt: skip
    ax.plot(x, hz, color="black", marker=".", markersize=3, linewidth=1, label="frequency (posted)")
    for f in report["responses_fired"]:
        fx = (f["measurement_time"] - first) / 60
        ax.plot(fx, f["value"] / 1_000, marker="v", color="tab:blue", markersize=11, linestyle="",
                label=f"response {f['response_id']} fired: reserve activation (action {f['action_id']})")  # fmt: skip
    for a in report["actions"]:
        if a["kind"] == "LoadShed":
            start, end = (a["window_start"] - first) / 60, (a["window_end"] - first) / 60
            ax.axvspan(start, end, color="tab:brown", alpha=0.12,
                       label=f"load shed action {a['id']}: stage {a['stage']}, {a['status']}")  # fmt: skip
    for s in report["shedding"]:
        sx = (s["time"] - first) / 60
        at = next(p["frequency_mhz"] for p in trace if p["time"] == s["time"]) / 1_000
        ax.plot(sx, at, marker="X", color="tab:brown", markersize=10, linestyle="",
                label=f"SheddingStageReached: stage {s['stage']}")  # fmt: skip
    lowest = min(min(hz), nominal - prof["stages"][-1][0] / 1_000)
    ax.set_ylim(lowest - 0.1, nominal + prof["normal_mhz"] / 1_000 + 0.15)
    ax.set_ylabel("Hz")
    i = report["incident"]
    ax.set_title(
        f"{report['region']['name']}: a {i['trip_kw'] / 1_000:,.0f} MW trip at {i['trip_local'][11:]}, "
        f"nadir {i['nadir_frequency_mhz'] / 1_000:.3f} Hz"
    )
    ax.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))

    res.plot(
        x, [p["reserve_kw"] / 1_000 for p in trace], color="tab:blue", label="reserves (posted)"
    )
    levels = (("alert", "reserve_alert_kw", "goldenrod"), ("emergency", "reserve_emergency_kw", "tab:red"),
              ("shed", "reserve_shed_kw", "tab:brown"))  # fmt: skip
    for name, key, colour in levels:
        if prof[key]:
            res.axhline(prof[key] / 1_000, color=colour, linestyle="--", linewidth=1,
                        label=f"reserve {name} level ({prof[key] / 1_000:,.0f} MW)")  # fmt: skip
    res.set_ylabel("MW")
    res.legend(fontsize=7.5, loc="upper left", bbox_to_anchor=(1.01, 1.0))

    for start, end, state in _segments(report):
        band.axvspan(start, end, color=STATE_COLOURS[state], alpha=0.7)
        if end - start >= 4:
            band.text((start + end) / 2, 0.5, state, ha="center", va="center", fontsize=8)
    band.set_yticks([])
    band.set_ylabel("state", fontsize=8)
    ticks = list(range(0, int(x[-1]) + 1, 10))
    labels = [f"{clock.local(datetime.fromtimestamp(first + 60 * t, tz=UTC)):%H:%M}" for t in ticks]
    band.set_xticks(ticks, labels, fontsize=8)
    band.set_xlim(x[0], x[-1] + 1)
    band.set_xlabel(f"local time, {clock.zone_label} (one measurement a minute)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
