"""The demo's report: per-class results, gamers, forecast quality, gas by stage, and the checks of
every total against the contracts (``reports/<run>/report.json``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any, TextIO

from oracles.agents.grid_oracles import Forecaster
from oracles.agents.keeper import (
    EnrollStats,
    Keeper,
    Outcome,
    SettleStats,
    baseline_params,
    event_reward,
)
from oracles.forecasting.models import mape_percent, naive_last_week
from oracles.protocol.bindings import DrEvent, Program
from oracles.protocol.enums import ConsumerClass, EventStatus
from oracles.reference import baseline as ref
from oracles.sim.context import DECIMALS, REGION_ID, TIME_ZONE, Run
from oracles.sim.simulator import Behavior


def build_report(
    run: Run, event_id: int, event: DrEvent, program: Program, fc: Forecaster,
    actuals: dict[int, float], stats: SettleStats, enroll_stats: EnrollStats | None, keeper: Keeper,
) -> dict[str, Any]:  # fmt: skip
    """The demo's report of event ``event_id`` (``event`` read after settlement, its ``program``)."""
    p, sim = run.p, run.sim
    assert p.token is not None
    by_id = {cid: sim.consumers[i] for i, cid in enumerate(run.consumer_ids)}
    cap = 10_000 + program.adj_cap_bps
    classes: dict[str, dict[str, float]] = {
        c.name.lower(): {"enrolled": 0, "committed_kwh": 0.0, "verified_kwh": 0.0, "paid_musd": 0.0,
                         "insufficient_data": 0} for c in ConsumerClass
    }  # fmt: skip
    gamers = {"enrolled": 0, "caught_by_cap": 0, "cap_percent": program.adj_cap_bps // 100, "reward_musd": 0.0,
              "reward_without_cap_musd": 0.0}  # fmt: skip
    behaviors: Counter[str] = Counter()
    for o in stats.outcomes:
        sc = by_id[o.consumer_id]
        row = classes[sc.cls.name.lower()]
        row["enrolled"] += 1
        row["committed_kwh"] += o.committed_wh / 1_000
        row["verified_kwh"] += o.reduction_wh / 1_000
        row["paid_musd"] += o.reward / 10**DECIMALS
        row["insufficient_data"] += 0 if o.sufficient else 1
        behaviors[sc.behavior.value] += 1
        if sc.behavior == Behavior.GAMER:
            gamers["enrolled"] += 1
            gamers["reward_musd"] += o.reward / 10**DECIMALS
            if o.adjustment_bps == cap:
                gamers["caught_by_cap"] += 1
            gamers["reward_without_cap_musd"] += (
                _uncapped_reward(keeper, event_id, event, program, o) / 10**DECIMALS
            )
    for row in classes.values():
        for k in ("committed_kwh", "verified_kwh", "paid_musd"):
            row[k] = round(row[k], 3)
    for k in ("reward_musd", "reward_without_cap_musd"):
        gamers[k] = round(gamers[k], 6)

    # forecast quality on the days forecast before they happened (held out of each fit)
    hours = sorted(h for h in fc.posted if h in actuals)
    pre_event = [h for h in hours if h // 24 < run.event_day]
    towt = mape_percent([fc.posted[h][0] for h in pre_event], [actuals[h] for h in pre_event])
    naive = mape_percent(naive_last_week(actuals, pre_event), [actuals[h] for h in pre_event])
    last_hour = max(actuals)
    chain_mape = p.rolling_mape(REGION_ID, last_hour, 168)

    # totals checked against the contracts
    paid_total = sum(o.reward for o in stats.outcomes)
    reader = run.clients["keeper"]
    on_chain_paid = sum(
        reader.call_many(p.token, "balanceOf", [(o.account,) for o in stats.outcomes])
    ) + sum(
        reader.call_many(p.escrow, "owed", [(o.account, p.token.address) for o in stats.outcomes])
    )
    checks = {
        "paid_equals_consumer_balances": paid_total == on_chain_paid,
        "committed_equals_event_total": sum(o.committed_wh for o in stats.outcomes)
        == event.committed_wh,
        **(
            {"root_paid_out": _root_paid_out(run, event_id, event)}
            if run.cfg.settlement == "optimistic"
            else {"settled_equals_event_count": len(stats.outcomes) == event.settled}
        ),
        "results_match_reference": stats.mismatches == 0,
    }
    return {
        "run": run.out_dir.name,
        "chain": {"chain_id": run.w3.eth.chain_id, "blocks": run.w3.eth.block_number},
        "consumers": run.cfg.consumers,
        "seed": run.cfg.seed,
        "history_days": run.cfg.history_days,
        "event": {
            "id": event_id,
            "day": event.day,
            "date": run.clock.date_of_day(event.day).isoformat(),
            "time_zone": TIME_ZONE,
            # the window in the region's zone: "2026-06-15 13:00-17:00 PDT (12:00-16:00 standard)"
            "local_window": run.clock.window_text(
                event.day, event.start_interval, event.end_interval
            ),
            "interval_minutes": keeper.terms(event_id).window.interval_minutes,
            "start_interval": event.start_interval,
            "end_interval": event.end_interval,
            "window": keeper.terms(event_id).window.label,
            "tier": event.tier.name.lower(),
            "rate_musd_per_kwh": event.rate / 10**DECIMALS,
            "target_kwh": event.target_wh / 1_000,
            "committed_kwh": event.committed_wh / 1_000,
            "enrolled": event.enrolled,
            "settled": event.settled,
            "triggered_by_forecast": True,
        },
        "enrollment": {
            "by_keeper": len(enroll_stats.enrolled) if enroll_stats else 0,
            "skipped_by_reason": enroll_stats.skipped if enroll_stats else {},
        },
        "by_class": classes,
        "behaviors_enrolled": dict(behaviors),
        "gamers": gamers,
        "forecast": {
            "model": "TOWT (time of week + piecewise temperature, least squares)",
            "held_out_days": len({h // 24 for h in pre_event}),
            "mape_percent": round(towt or 0.0, 2),
            "naive_same_hour_last_week_mape_percent": round(naive or 0.0, 2),
            "beats_naive": towt is not None and naive is not None and towt < naive,
            "on_chain_rolling_mape_bps_168h": chain_mape.mape_bps,
            "on_chain_mape_samples": chain_mape.samples,
        },
        "gas_by_stage": dict(run.ledger.by_stage),
        "txs_by_stage": dict(run.ledger.txs_by_stage),
        "gas_total": sum(run.ledger.by_stage.values()),
        "checks": checks,
        "reference_mismatches": stats.mismatches,
    }


def _root_paid_out(run: Run, event_id: int, event: DrEvent) -> bool:
    """O-6..O-8: the event is RootSettled and the root paid its whole total: nothing left here but
    the proposer's token bond, credited back at finalization (O-3, O-9)."""
    record = run.p.root_record(event_id)
    token = run.p.token
    assert token is not None
    held = int(token.functions.balanceOf(run.p.optimistic.address).call())
    fns = run.p.optimistic.functions
    bond = int(fns.tokenBondCredit(record.proposer, token.address).call())
    return event.status == EventStatus.RootSettled and record.remaining == 0 and held == bond


def _uncapped_reward(
    keeper: Keeper, event_id: int, event: DrEvent, program: Program, o: Outcome
) -> int:
    """What the consumer would have earned if the day-of adjustment had no cap (B-5 unclamped),
    recomputed with the reference from the same leaves the keeper settled with."""
    inputs = keeper.inputs.get((event_id, o.account))
    if not o.sufficient or inputs is None:
        return 0
    used, event_day = inputs
    result = ref.compute(used, event_day, baseline_params(keeper.terms(event_id), cap_bps=ref.BPS))
    return event_reward(result, o.committed_wh, event, program)


def print_report(r: dict[str, Any], out: TextIO) -> None:
    """The report as the demo prints it (also ``gridbalance report RUN``)."""
    e, f, g = r["event"], r["forecast"], r["gamers"]
    how = (
        "created by the utility, the forecast having crossed its threshold"
        if e.get("created_by") == "utility"
        else "auto-triggered by the forecast"
    )
    # reports written before R-8 have no local window: their day number and standard-time window
    when = e.get("local_window") or f"local day {e['day']}, {e['window']}"
    print(f"\nEvent {e['id']} ({how}): {when}, "
          f"{e['tier']} tier, {e['rate_musd_per_kwh']:.3f} mUSD/kWh", file=out)  # fmt: skip
    print(
        f"\n  {'class':<12} {'enrolled':>8} {'committed kWh':>14} {'verified kWh':>13} {'paid mUSD':>11} {'no data':>8}",
        file=out,
    )
    tot: defaultdict[str, float] = defaultdict(float)
    for name, row in r["by_class"].items():
        print(f"  {name:<12} {row['enrolled']:>8.0f} {row['committed_kwh']:>14,.1f} {row['verified_kwh']:>13,.1f} "
              f"{row['paid_musd']:>11,.2f} {row['insufficient_data']:>8.0f}", file=out)  # fmt: skip
        for k, v in row.items():
            tot[k] += v
    print(f"  {'total':<12} {tot['enrolled']:>8.0f} {tot['committed_kwh']:>14,.1f} {tot['verified_kwh']:>13,.1f} "
          f"{tot['paid_musd']:>11,.2f} {tot['insufficient_data']:>8.0f}", file=out)  # fmt: skip
    print(f"\nGamers (inflated use before the event): {g['enrolled']} enrolled, {g['caught_by_cap']} hit the "
          f"+{g['cap_percent']} % adjustment cap; paid {g['reward_musd']:.2f} mUSD, would have been {g['reward_without_cap_musd']:.2f} "
          "without the cap", file=out)  # fmt: skip
    print(f"Forecast MAPE over {f['held_out_days']} held-out days: TOWT {f['mape_percent']:.2f} % vs naive "
          f"(same hour last week) {f['naive_same_hour_last_week_mape_percent']:.2f} %; on-chain rolling MAPE "
          f"{f['on_chain_rolling_mape_bps_168h'] / 100:.2f} % ({f['on_chain_mape_samples']} h)", file=out)  # fmt: skip
    print("\n  gas by stage", file=out)
    for stage, gas in r["gas_by_stage"].items():
        print(f"  {stage:<12} {gas:>14,} gas in {r['txs_by_stage'][stage]:>6,} txs", file=out)
    print(f"  {'total':<12} {r['gas_total']:>14,} gas", file=out)
    bad = [k for k, ok in r["checks"].items() if not ok]
    print(
        f"\nChecks against the contracts: {'all passed' if not bad else 'FAILED: ' + ', '.join(bad)}",
        file=out,
    )
