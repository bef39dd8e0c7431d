"""`gridbalance demo`: a full simulated DR cycle on a local Anvil it starts (and always stops).

1. Start Anvil on a free port; deploy and wire the protocol (oracles.ops.deploy, the code
   ``scripts/deploy.py`` runs under ``brownie run``); write the manifest into the run's folder.
2. A utility is verified by 2 of 3 council members; N simulated consumers register (their wallets
   are addresses Anvil impersonates); the utility activates them and registers each meter's signing
   key. The program requires meter-signed data (S-10): every simulated meter signs its days (M-7).
3. 14 days of history and a Monday event day with a heat wave. The chain clock follows the
   simulation through Anvil's time controls, so every time rule holds as in real time: weather is
   posted the day before, forecasts 12-36 h ahead, actual load and meter data after each day ends.
4. The forecaster fits TOWT on the posted history; its forecast for the heat-wave day crosses the
   utility's threshold and the contract creates the event (F-6). The keeper enrolls, the consumers
   respond (or game the baseline), the meter oracle posts the event day, the keeper settles from
   calldata and checks every result against the Python reference. The escrow pays.

``--interval 15`` (or ``30``) runs the same cycle in a region of 15- (30-) minute meter data (R-7):
every meter record holds 96 (48) readings, the simulator splitting its hourly profile into intervals.
The auto-trigger creates hour-aligned events only, so the forecast still decides the day by the
trigger's rule (its forecast crossing the utility's threshold, as on hourly data), and the utility
then calls ``createEvent`` with an interval window: 17:15-18:45 (intervals 69..75) on 15-minute
data, 17:30-19:00 on 30-minute data (``oracles/sim/utility_event.py``). The demo says so as it runs.

The report (``reports/<run>/report.json``) and the chart (``reports/<run>/chart.png``) follow.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import numpy as np
from eth_utils.crypto import keccak
from tqdm import tqdm
from web3 import Web3
from web3.contract.contract import ContractFunction

from oracles.agents.grid_oracles import ActualPoint, Forecaster, GridOracle, WeatherPoint
from oracles.agents.keeper import (
    Keeper,
    Outcome,
    Progress,
    SettleStats,
    event_terms,
    max_commitment_wh,
)
from oracles.agents.meter_oracle import MeterOracle
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import PROJECT_ROOT, rpc_call, set_automine, set_time, start_anvil
from oracles.chain.client import ChainClient, GasLedger, Pending
from oracles.chain.logs import decode_events
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol, load_suite
from oracles.ops.localnet import GENESIS_TIMESTAMP
from oracles.protocol.bindings import Activation, Eligibility, Enrollment, Preferences
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import Consent, EnrollmentStatus, Ineligibility
from oracles.protocol.errors import ErrorDecoder
from oracles.reference import baseline as ref
from oracles.reference.baseline_days import weekday
from oracles.reference.meter_signing import MeterDomain, address_of
from oracles.sim.chart import draw_chart
from oracles.sim.context import (
    PIPELINE,
    REGION_ID,
    REGION_NAME,
    SETTLE_BATCH,
    TIME_ZONE,
    TRIGGER_MAX_HOURS,
    TRIGGER_MIN_HOURS,
    UTC_OFFSET_MINUTES,
    DemoConfig,
    DemoError,
    Run,
    consumer_address,
    day_start,
    local_day,
    program_params,
)
from oracles.sim.report import build_report, print_report
from oracles.sim.simulator import SimConfig, Simulator
from oracles.sim.utility_event import EventPlan, event_window, plan_event

log = logging.getLogger("gridbalance.demo")


def _bar(cfg: DemoConfig, total: int, desc: str) -> tqdm[Any]:
    return tqdm(total=total, desc=f"{desc:<28}", disable=not cfg.progress, leave=True, file=sys.stderr,
                bar_format="{l_bar}{bar:30}{r_bar}")  # fmt: skip


@contextmanager
def _progress(cfg: DemoConfig, desc: str) -> Iterator[Progress]:
    """A bar for work whose size the callee learns: ``progress(done, total)``."""
    bar = _bar(cfg, 0, desc)

    def update(done: int, total: int) -> None:
        bar.total = total
        bar.update(done - bar.n)

    try:
        yield update
    finally:
        bar.close()


def run_demo(cfg: DemoConfig | None = None, out: TextIO = sys.stdout) -> dict[str, Any]:
    """Run the whole cycle; return the report (also written to ``<out_dir>/report.json``)."""
    cfg = cfg or DemoConfig()
    load_suite(with_test_tokens=True, build_dir=cfg.build_dir)  # fail before starting a chain
    started = time.monotonic()
    run_name = datetime.now(UTC).strftime("%Y%m%d-%H%M%S") + f"-n{cfg.consumers}"
    out_dir = cfg.out_dir or PROJECT_ROOT / "reports" / run_name
    out_dir.mkdir(parents=True, exist_ok=True)
    for stale in (
        "deployment.json",
        "outbox.sqlite",
        "outbox.sqlite-wal",
        "outbox.sqlite-shm",
        "rejects.jsonl",
    ):
        (out_dir / stale).unlink(missing_ok=True)  # a demo always starts on a fresh chain
    # The block gas limit holds a whole pipeline (PIPELINE transactions of up to EIP-7825's 2^24 gas
    # each): with automine off, a transaction that does not fit a block makes Anvil drop the same
    # sender's next ones as nonce gaps.
    # The chain starts at the local network's genesis (2026-06-01 00:00 UTC, docs/localnet.md), not
    # at the wall clock: the same seed gives the same days, readings and gas on any date, which
    # is what lets the README's sample output be checked by a test (tests/python/test_readme.py).
    with start_anvil(
        accounts=10, gas_limit=PIPELINE * 2**24, base_fee=0,
        extra_args=["--prune-history", "64", "--timestamp", str(GENESIS_TIMESTAMP)],
    ) as chain:  # fmt: skip
        print(
            f"Started Anvil (pid {chain.pid}) at {chain.url}, chain id {chain.chain_id}", file=out
        )
        w3 = connect(chain.url)
        try:
            report = _cycle(cfg, w3, chain.url, out_dir, out)
        finally:
            print(f"Stopped Anvil (pid {chain.pid}).", file=out)
    report["wall_seconds"] = round(time.monotonic() - started, 1)
    (out_dir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    print(
        f"Wall time {report['wall_seconds']} s. Report: {out_dir / 'report.json'}, chart: {out_dir / 'chart.png'}",
        file=out,
    )
    return report


def _cycle(cfg: DemoConfig, w3: Web3, url: str, out_dir: Path, out: TextIO) -> dict[str, Any]:
    accounts = list(w3.eth.accounts)
    ledger, decoder = GasLedger(), ErrorDecoder(cfg.build_dir)
    roles = {"admin": 0, "verifier1": 1, "verifier2": 2, "verifier3": 3, "utility": 4,
             "meter_oracle": 5, "grid_oracle": 6, "forecaster": 7, "keeper": 8, "arbiter": 9}  # fmt: skip
    clients = {
        r: ChainClient(
            w3, NodeSigner(accounts[i]), decoder=decoder, ledger=ledger, mine_on_wait=True
        )
        for r, i in roles.items()
    }

    # Blocks as on a busy real chain: many transactions each. With automine on, Anvil slows to ~10 tx/s
    # after ~7,000 one-transaction blocks; here every wait mines one block with all pending transactions.
    set_automine(url, False)

    # ---- time plan: day L0 (set-up), history L0+1 .. L0+H, event on the Monday L0+H+1
    now = int(w3.eth.get_block("latest")["timestamp"])
    l0 = local_day(now) + 1
    while weekday(l0 + cfg.history_days + 1) != 0:
        l0 += 1
    first_day, event_day = l0 + 1, l0 + cfg.history_days + 1
    set_time(url, day_start(l0) + 9 * 3600)
    sim = Simulator(
        SimConfig(consumers=cfg.consumers, seed=cfg.seed, first_day=first_day, event_day=event_day,
                  interval_minutes=cfg.interval_minutes)
    )  # fmt: skip
    planning_peak = max(
        float(sim.expected_region_kw(d).max()) for d in range(first_day, event_day - 2)
    )
    capacity_kw = int(planning_peak * 1.25) + 1

    # ---- 1. deploy
    with ledger.staged("deploy"):

        def a(role: str) -> str:
            return str(accounts[roles[role]])

        region = RegionConfig(
            id=REGION_ID,
            name=REGION_NAME,
            capacity_kw=capacity_kw,
            utc_offset_minutes=UTC_OFFSET_MINUTES,
            interval_minutes=cfg.interval_minutes,
            time_zone=TIME_ZONE,
        )
        config = DeployConfig(
            regions=[region],
            verifiers=[a("verifier1"), a("verifier2"), a("verifier3")], threshold=2,
            meter_oracles=[a("meter_oracle")], weather_oracles=[a("grid_oracle")], grid_oracles=[a("grid_oracle")],
            forecast_oracles=[a("forecaster")], keepers=[a("keeper")], root_proposers=[a("keeper")], arbiters=[a("arbiter")], pausers=[a("admin")],
            deploy_test_token=True,
        )  # fmt: skip
        manifest = deploy_protocol(
            clients["admin"], config, out_dir / "deployment.json", cfg.build_dir
        )
    p = Protocol.connect(w3, manifest, cfg.build_dir)
    print(
        f"Deployed {len(manifest.contracts)} contracts and {'MockStablecoin (mUSD)' if p.token is not None else 'no token'}; manifest {out_dir / 'deployment.json'}",
        file=out,
    )
    run = Run(cfg, w3, url, p, ledger, decoder, sim, first_day, event_day, clients, [], out_dir)

    # ---- 2. council, consumers, program
    _verify_utility(run)
    _register_consumers(run)
    program_id = _create_program(run)
    print(
        f"Utility verified by 2 of 3; {cfg.consumers} consumers active; program {program_id} funded",
        file=out,
    )

    # ---- 3-5. the days
    hourly = cfg.interval_minutes == 60
    utility_window = None if hourly else event_window(cfg.interval_minutes)
    if utility_window is not None:
        print(
            f"Region of {cfg.interval_minutes}-minute meter data: {24 * 60 // cfg.interval_minutes} "
            "readings per record. The auto-trigger creates hour-aligned events only, so the forecast "
            "decides the day (crossing the utility's threshold) and the utility creates the event "
            f"{utility_window.label} (intervals {utility_window.start_interval}.."
            f"{utility_window.end_interval})",
            file=out,
        )
    forecaster, grid, meter_oracle = _daemons(run)
    keeper = Keeper(p, clients["keeper"])
    actuals: dict[int, float] = {}
    event_id: int | None = None
    window: tuple[int, int] | None = None  # the event's hours, once it exists
    commitments: dict[int, int] = {}
    enroll_stats = None
    threshold = 0
    plan: EventPlan | None = None
    with ledger.staged("weather"):
        grid.post_weather(REGION_ID, _weather_points(sim, first_day))
    bar = _bar(cfg, event_day - first_day + 2, "simulated days")
    for d in range(first_day, event_day + 2):
        set_time(url, day_start(d) + 300)
        if d - 1 >= first_day:  # the previous day has ended: actual load and meter data
            _post_day(run, grid, meter_oracle, d - 1, actuals,
                      event=window if d - 1 == event_day else None, commitments=commitments)  # fmt: skip
        if (
            d == event_day - 1
        ):  # Sunday: the utility's weekly threshold update, then the trigger is live
            threshold = int(max(actuals.values()))
            if hourly:  # on sub-hourly data the utility applies the trigger's rule itself
                with ledger.staged("program"):
                    clients["utility"].transact(
                        p.forecasting.functions.setAutoTrigger(
                            program_id, threshold, TRIGGER_MIN_HOURS, TRIGGER_MAX_HOURS
                        ),
                        "setAutoTrigger",
                    )
        if d <= event_day - 1:
            set_time(url, day_start(d) + 12 * 3600)
            with ledger.staged("weather"):
                grid.post_weather(REGION_ID, _weather_points(sim, d + 1))
            if d + 1 - first_day >= 7:
                with ledger.staged("forecast"):
                    points = forecaster.forecast(REGION_ID, list(range((d + 1) * 24, (d + 2) * 24)))
                    receipt = forecaster.post(REGION_ID, points)
                triggered = decode_events(p.forecasting, "PeakForecast", receipt["logs"])  # type: ignore[arg-type]
                failed = decode_events(p.forecasting, "AutoTriggerFailed", receipt["logs"])  # type: ignore[arg-type]
                if failed:
                    raise DemoError(f"auto-trigger failed: {decoder.decode(failed[0]['reason'])}")
                if triggered:
                    event_id = int(triggered[0]["eventId"])
                elif utility_window is not None and threshold and event_id is None:
                    plan = plan_event(points, threshold, utility_window, min_hours=TRIGGER_MIN_HOURS,
                                      max_hours=TRIGGER_MAX_HOURS, capacity_kw=region.capacity_kw,
                                      high_load_bps=region.high_load_bps)  # fmt: skip
                    if plan is not None:
                        event_id = _create_utility_event(run, program_id, plan)
                        print(
                            f"Forecast {plan.start_hour:02d}:00-{plan.end_hour:02d}:00 of day {plan.day} at or above "
                            f"the threshold of {threshold:,} kW: the utility created event {event_id}, "
                            f"{plan.window.label}, target {plan.target_wh / 1_000:,.1f} kWh",
                            file=out,
                        )
                if event_id is not None and enroll_stats is None:
                    with ledger.staged("enroll"):
                        with _progress(cfg, "keeper enrollment") as progress:
                            enroll_stats = keeper.enroll(event_id, progress=progress)
                        _self_enroll(run, keeper, event_id)
                    commitments = _commitments(run, event_id)
                    ev = keeper.terms(event_id).event
                    window = (ev.start_interval, ev.end_interval)
        bar.update(1)
    bar.close()
    if event_id is None:
        raise DemoError(
            "the heat-wave forecast did not cross the utility's threshold: no event was triggered"
        )

    # M-9: the event day's data is final FINALITY_DELAY after the day ended; the keeper declares it
    finality = int(p.meter.functions.FINALITY_DELAY().call())
    set_time(url, day_start(event_day + 1) + finality + 300)
    with ledger.staged("finality"):
        if not keeper.finalize_day(event_id):
            raise DemoError(f"event {event_id}: its day could not be made final (M-9)")
    if cfg.settlement == "optimistic":
        stats = _settle_optimistic(run, keeper, event_id)
    else:
        with ledger.staged("settle"), _progress(cfg, "keeper settlement") as progress:
            batch = SETTLE_BATCH if cfg.settlement == "batch" else 0
            stats = keeper.settle(event_id, progress=progress, batch=batch)
    # the report stage reads the event once (its counters after settlement) and its program
    event, program = p.dr_event(event_id), keeper.terms(event_id).program
    report = build_report(
        run, event_id, event, program, forecaster, actuals, stats, enroll_stats, keeper
    )
    report["event"]["threshold_kw"] = threshold
    report["event"]["created_by"] = "auto-trigger" if plan is None else "utility"
    draw_chart(run, report, event, program, forecaster, actuals, stats, keeper)
    print_report(report, out)
    return report


# ------------------------------------------------------------------ stages


def _settle_optimistic(run: Run, keeper: Keeper, event_id: int) -> SettleStats:
    """O-3..O-8: the keeper proposes the root of every result (published next to the report), the
    challenge window passes, anyone finalizes, and the keeper pays every entry in batches. The
    outcomes are the reference's, which the root commits to."""
    planned, mismatches = keeper.plan(event_id)
    # the token part of the bond (O-3), from the demo's test token; returned at finalization
    assert run.p.token is not None
    bond = int(
        run.p.optimistic.functions.tokenBondFor(sum(x.as_result().reward for x in planned)).call()
    )
    if bond:
        run.clients["admin"].transact(
            run.p.token.functions.mint(keeper.client.address, bond), "mint"
        )
    with run.ledger.staged("root"):
        tree = keeper.propose_root(event_id, run.out_dir / "root.json", planned=planned)
    challenge_window = int(run.p.optimistic.functions.challengeWindow().call())
    set_time(run.url, int(run.w3.eth.get_block("latest")["timestamp"]) + challenge_window + 1)
    with run.ledger.staged("root"):
        keeper.finalize_root(event_id)
    with run.ledger.staged("root payout"), _progress(run.cfg, "root payout") as progress:
        keeper.pay_root(tree, progress=progress)
    stats = SettleStats(event_id, mismatches=mismatches)
    for x, entry in zip(planned, tree.entries, strict=True):
        r = x.result
        stats.outcomes.append(
            Outcome(
                x.account,
                x.consumer_id,
                x.committed_wh,
                x.sufficient,
                *(r.as_tuple() if r is not None and x.sufficient else (0, 0, 0, 0)),
                reward=entry.reward,
            )
        )
    return stats


def _create_utility_event(run: Run, program_id: int, plan: EventPlan) -> int:
    """The utility's ``createEvent`` with the plan's interval window (P-3): the event id."""
    w = plan.window
    fn = run.p.requests.functions.createEvent(
        program_id, plan.day, w.start_interval, w.end_interval, plan.target_wh, int(plan.tier)
    )
    with run.ledger.staged("event"):
        receipt = run.clients["utility"].transact(fn, f"createEvent({w.label})")
    created = decode_events(run.p.requests, "EventCreated", receipt["logs"])
    if not created:
        raise DemoError("createEvent by the utility emitted no EventCreated")
    return int(created[0]["eventId"])


def _verify_utility(run: Run) -> None:
    c = run.clients
    with run.ledger.staged("council"):
        c["utility"].transact(
            run.p.utilities.functions.applyForVerification(
                "Demo Valley Power", keccak(text="license #DV-2026"), [REGION_ID]
            ),
            "applyForVerification",
        )
        for v in ("verifier1", "verifier2"):
            c[v].transact(
                run.p.utilities.functions.approve(c["utility"].address, 0), f"approve by {v}"
            )
    if not run.p.utilities.functions.isActiveUtility(c["utility"].address, REGION_ID).call():
        raise DemoError("the utility is not active after 2 approvals")


def _register_consumers(run: Run) -> None:
    cfg, w3 = run.cfg, run.w3
    rpc_call(run.url, "anvil_autoImpersonateAccount", [True])
    consumers = run.sim.consumers
    bar = _bar(
        cfg, (3 if cfg.signed_data else 2) * len(consumers), "register + activate + meter keys"
    )
    pending: list[tuple[ChainClient, Pending]] = []
    admin = run.clients["admin"]
    # one chain, one fee market: every consumer wallet uses the same fee fields
    fees = admin.fee_fields()
    admin.retrying("fund wallets", lambda: admin.batch(
        [("anvil_setBalance", [consumer_address(cfg.seed, sc.index), hex(10**18)]) for sc in consumers]
    ))  # fmt: skip
    with run.ledger.staged("register"):
        for sc in consumers:
            addr = consumer_address(cfg.seed, sc.index)
            client = ChainClient(w3, NodeSigner(addr), decoder=run.decoder, ledger=run.ledger, nonce=0,
                                 mine_on_wait=True, fees=fees)  # fmt: skip
            consent = Consent.DataUse | (Consent.AutoEnroll if sc.keeper_consent else 0)
            prefs = Preferences(min_rate=sc.min_rate, max_events_per_30_days=10,
                                available_hours=sc.available_hours)  # fmt: skip
            fn = run.p.consumers.functions.register(
                int(sc.cls),
                REGION_ID,
                keccak(text=sc.meter_id),
                sc.capacity_w,
                consent,
                prefs.abi(),
            )
            _pipelined(pending, bar, client, fn, f"register consumer {sc.index}", gas=250_000)
            run.clients[f"consumer{sc.index}"] = client
        _drain(pending, bar)
    utility = run.clients["utility"]
    with run.ledger.staged("activate"):
        for sc in consumers:
            addr = consumer_address(cfg.seed, sc.index)
            fn = run.p.consumers.functions.activate(
                addr, keccak(text=f"kyc:{sc.meter_id}"), keccak(text=f"meter:{sc.meter_id}")
            )
            _pipelined(pending, bar, utility, fn, f"activate consumer {sc.index}", gas=300_000)
            if not cfg.signed_data:
                continue
            # the utility installs the meter and registers its signing key (C-11): the program
            # counts only meter-signed data (S-10); the same sender's nonce order runs it after activate
            key = address_of(run.sim.meter_key(sc.index))
            fn = run.p.consumers.functions.setMeterKey(addr, key, 0)
            _pipelined(pending, bar, utility, fn, f"meter key of consumer {sc.index}", gas=120_000)
        _drain(pending, bar)
    bar.close()
    activations = Activation.many(utility.call_many(
        run.p.consumers, "activation", [(consumer_address(cfg.seed, sc.index),) for sc in consumers]
    ))  # fmt: skip
    ids = [a.id for a in activations]
    if sorted(ids) != list(range(1, len(consumers) + 1)):
        raise DemoError("consumer ids are not 1..N after activation")
    run.consumer_ids = ids


def _pipelined(
    pending: list[tuple[ChainClient, Pending]], bar: tqdm[Any], client: ChainClient,
    fn: ContractFunction, what: str, gas: int | None = None,
) -> None:  # fmt: skip
    """Send ``fn`` from ``client``; with PIPELINE transactions in flight, wait for them all first."""
    pending.append((client, client.submit(fn, what, gas)))
    if len(pending) == PIPELINE:  # bounded pipelining: never more in flight than this
        _drain(pending, bar)


def _drain(pending: list[tuple[ChainClient, Pending]], bar: tqdm[Any]) -> None:
    for client, tx in pending:
        client.wait(tx)
        bar.update(1)
    pending.clear()


def _create_program(run: Run) -> int:
    p, utility = run.p, run.clients["utility"]
    assert p.token is not None
    params = program_params(p.token.address, signed_data=run.cfg.signed_data)
    # enough for every consumer committing its full capacity for the longest event at the top rate
    max_rate = params.base_rate * params.emergency_bps // 10_000 * 15_000 // 10_000
    budget = sum(
        ref.max_reward(sc.capacity_w * TRIGGER_MAX_HOURS, max_rate, params.bonus_cap_bps)
        for sc in run.sim.consumers
    )
    with run.ledger.staged("program"):
        run.clients["admin"].transact(p.token.functions.mint(utility.address, budget), "mint")
        utility.transact(p.token.functions.approve(p.escrow.address, budget), "approve")
        receipt = utility.transact(
            p.programs.functions.createProgram(REGION_ID, params.abi(), budget), "createProgram"
        )
    created = decode_events(p.programs, "ProgramCreated", receipt["logs"])
    return int(created[0]["programId"])


def _daemons(run: Run) -> tuple[Forecaster, GridOracle, MeterOracle]:
    outbox = Outbox(run.out_dir / "outbox.sqlite")
    # 2,000 hourly consumer-days a batch; as many readings a batch on 15- or 30-minute data
    batch_size = 2_000 * run.cfg.interval_minutes // 60
    meter = MeterOracle(run.p, run.clients["meter_oracle"], outbox, rejects_path=run.out_dir / "rejects.jsonl",
                        batch_size=batch_size)  # fmt: skip
    grid = GridOracle(run.p, run.clients["grid_oracle"], outbox)
    forecaster = Forecaster(run.p, run.clients["forecaster"], outbox)
    return forecaster, grid, meter


def _weather_points(sim: Simulator, day: int) -> list[WeatherPoint]:
    w = sim.weather(day)
    return [
        WeatherPoint(hour=day * 24 + h, temperature_c=round(float(w.temperature_c[h]), 1),
                     humidity_pct=round(float(w.humidity_pct[h]), 1), irradiance_wm2=round(float(w.irradiance_wm2[h])))
        for h in range(24)
    ]  # fmt: skip


def _post_day(
    run: Run, grid: GridOracle, meter: MeterOracle, day: int, actuals: dict[int, float],
    *, event: tuple[int, int] | None, commitments: dict[int, int],
) -> None:  # fmt: skip
    sim = run.sim
    wh = sim.loads_wh(day, event=event, commitments=commitments if event else None)
    region_kw = sim.region_load_kw(wh)
    rng = np.random.default_rng([run.cfg.seed, 9, day - run.first_day])
    points = [
        ActualPoint(hour=day * 24 + h, load_kw=region_kw[h], frequency_mhz=60_000 + int(rng.integers(-40, 41)),
                    voltage_permille=1_000 + int(rng.integers(-8, 9)))
        for h in range(24)
    ]  # fmt: skip
    for pt in points:
        actuals[pt.hour] = float(pt.load_kw)
    with run.ledger.staged("actuals"):
        grid.post_actuals(REGION_ID, points)
    if run.cfg.signed_data:
        domain = MeterDomain(chain_id=run.w3.eth.chain_id, meter_data=run.p.meter.address)
        records = sim.signed_records(day, REGION_ID, run.consumer_ids, wh, domain)
    else:
        records = sim.records(day, REGION_ID, run.consumer_ids, wh)
    with run.ledger.staged("meter data"):
        meter.enqueue(records)
        meter.flush()


def _self_enroll(run: Run, keeper: Keeper, event_id: int) -> None:
    """Consumers without keeper consent enroll themselves if the event suits them (their app asks
    the chain's eligibility check, V-2, without the keeper-consent condition)."""
    t = keeper.terms(event_id)
    event, program, window = t.event, t.program, t.window
    share_wh = event.target_wh * program.max_share_bps // 10_000
    own = [sc for sc in run.sim.consumers if not sc.keeper_consent]
    terms = event_terms(keeper.terms(event_id), by_keeper=False).abi()
    eligible = Eligibility.many(run.clients["keeper"].call_many(
        run.p.consumers, "eligibility", [(consumer_address(run.cfg.seed, sc.index), terms) for sc in own]
    ))  # fmt: skip
    pending: list[tuple[ChainClient, Pending]] = []
    bar = _bar(run.cfg, len(own), "self-enrollment")
    fns = run.p.requests.functions
    for sc, el in zip(own, eligible, strict=True):
        if el.reason == Ineligibility.None_:
            # 80 % of its attested capacity, at most the program's share of the event's target (V-1)
            committed = min(max_commitment_wh(sc.capacity_w, window) * 8 // 10, share_wh)
            client = run.clients[f"consumer{sc.index}"]
            _pipelined(
                pending, bar, client, fns.enroll(event_id, committed), f"enroll consumer {sc.index}"
            )
        else:
            bar.update(1)
    _drain(pending, bar)
    bar.close()


def _commitments(run: Run, event_id: int) -> dict[int, int]:
    """Simulator index -> committed Wh, from the chain's enrollments."""
    sims = run.sim.consumers
    enrollments = Enrollment.many(run.clients["keeper"].call_many(
        run.p.requests, "enrollment", [(event_id, consumer_address(run.cfg.seed, sc.index)) for sc in sims]
    ))  # fmt: skip
    return {
        sc.index: e.committed_wh
        for sc, e in zip(sims, enrollments, strict=True)
        if e.status != EnrollmentStatus.None_
    }
