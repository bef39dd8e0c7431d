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

The report (``reports/<run>/report.json``) and the chart (``reports/<run>/chart.png``) follow.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TextIO

import numpy as np
from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict, Field
from tqdm import tqdm
from web3 import Web3
from web3.contract.contract import ContractFunction

from oracles.agents.grid_oracles import ActualPoint, Forecaster, GridOracle, WeatherPoint
from oracles.agents.keeper import (
    EV_COMMITTED,
    EV_ENROLLED,
    EV_SETTLED,
    EV_STATUS,
    Keeper,
    Outcome,
    Progress,
    SettleStats,
    baseline_params,
)
from oracles.agents.meter_oracle import MeterOracle
from oracles.agents.outbox import Outbox
from oracles.chain.anvil import PROJECT_ROOT, rpc_call, set_automine, set_time, start_anvil
from oracles.chain.client import ChainClient, GasLedger, NodeSigner, Pending, connect
from oracles.chain.logs import decode_events
from oracles.forecasting.models import mape_percent, naive_last_week
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol, load_suite
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.contracts import Protocol
from oracles.protocol.errors import ErrorDecoder
from oracles.reference import baseline as ref
from oracles.reference.baseline_days import weekday
from oracles.reference.meter_signing import MeterDomain, address_of
from oracles.sim.simulator import Behavior, ConsumerClass, SimConfig, Simulator

log = logging.getLogger("gridbalance.demo")

REGION_ID = 1
REGION_NAME = "Demo Valley (CAISO-like)"
UTC_OFFSET_MINUTES = -480
DAY = 86_400
DECIMALS = 6
BASE_RATE = 500_000  # 0.50 mUSD per kWh
PROGRAM = {  # ProgramRegistry.ProgramParams after the token
    "baseRate": BASE_RATE, "method": 0, "adjWindowHours": 3, "adjGapHours": 1, "adjCapBps": 4_000,
    "minDeliveryBps": 5_000, "bonusCapBps": 2_000, "classMask": 7, "maxEventsPer30Days": 10,
    "economicBps": 15_000, "emergencyBps": 20_000, "signedData": True,
}  # fmt: skip
TRIGGER_MIN_HOURS, TRIGGER_MAX_HOURS = 2, 4
PIPELINE = 256  # transactions in flight before waiting for their receipts


class DemoError(RuntimeError):
    """The demo could not complete (the message says which stage and why)."""


SETTLE_BATCH = 100  # enrollments per settleBatch transaction (settlement="batch")


class DemoConfig(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    consumers: int = Field(default=200, ge=10, le=100_000)
    seed: int = 7
    history_days: int = Field(default=14, ge=8, le=40)
    out_dir: Path | None = None
    build_dir: Path = DEFAULT_BUILD_DIR
    progress: bool = True
    # "proof": the keeper settles each enrollment with its meter proofs (ProofSettlement.settle);
    # "optimistic": it proposes one root of every result, finalizes it after the challenge window
    # and pays the entries in batches (OptimisticSettlement, SPECIFICATION.md §11)
    # "batch": settleBatch of up to SETTLE_BATCH enrollments per transaction (S-11)
    settlement: Literal["proof", "batch", "optimistic"] = "proof"
    # the program requires meter-signed data (S-10): keys registered, every meter signs its days;
    # False runs the same simulation unsigned (the benchmark measures the difference)
    signed_data: bool = True


def local_day(ts: int) -> int:
    return (ts + 60 * UTC_OFFSET_MINUTES) // DAY


def day_start(day: int) -> int:
    return day * DAY - 60 * UTC_OFFSET_MINUTES


def consumer_address(seed: int, index: int) -> str:
    return Web3.to_checksum_address(keccak(text=f"gridbalance-demo-{seed}-{index}")[12:])


@dataclass
class Run:
    """Everything the stages share."""

    cfg: DemoConfig
    w3: Web3
    url: str
    p: Protocol
    ledger: GasLedger
    decoder: ErrorDecoder
    sim: Simulator
    first_day: int
    event_day: int
    clients: dict[str, ChainClient]
    consumer_ids: list[int]
    out_dir: Path


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
    with start_anvil(
        accounts=10, gas_limit=PIPELINE * 2**24, base_fee=0, extra_args=["--prune-history", "64"]
    ) as chain:
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
        SimConfig(consumers=cfg.consumers, seed=cfg.seed, first_day=first_day, event_day=event_day)
    )
    planning_peak = max(
        float(sim.expected_region_kw(d).max()) for d in range(first_day, event_day - 2)
    )
    capacity_kw = int(planning_peak * 1.25) + 1

    # ---- 1. deploy
    with ledger.staged("deploy"):

        def a(role: str) -> str:
            return str(accounts[roles[role]])

        config = DeployConfig(
            regions=[RegionConfig(id=REGION_ID, name=REGION_NAME, capacity_kw=capacity_kw, utc_offset_minutes=UTC_OFFSET_MINUTES)],
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
    forecaster, grid, meter_oracle = _daemons(run)
    keeper = Keeper(p, clients["keeper"])
    actuals: dict[int, float] = {}
    event_id: int | None = None
    commitments: dict[int, int] = {}
    enroll_stats = None
    threshold = 0
    with ledger.staged("weather"):
        grid.post_weather(REGION_ID, _weather_points(sim, first_day))
    bar = _bar(cfg, event_day - first_day + 2, "simulated days")
    for d in range(first_day, event_day + 2):
        set_time(url, day_start(d) + 300)
        if d - 1 >= first_day:  # the previous day has ended: actual load and meter data
            _post_day(run, grid, meter_oracle, d - 1, actuals,
                      event=_window(p, event_id) if d - 1 == event_day else None, commitments=commitments)  # fmt: skip
        if (
            d == event_day - 1
        ):  # Sunday: the utility's weekly threshold update, then the trigger is live
            threshold = int(max(actuals.values()))
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
                    with ledger.staged("enroll"):
                        with _progress(cfg, "keeper enrollment") as progress:
                            enroll_stats = keeper.enroll(event_id, progress=progress)
                        _self_enroll(run, event_id)
                    commitments = _commitments(run, event_id)
        bar.update(1)
    bar.close()
    if event_id is None:
        raise DemoError(
            "the heat-wave forecast did not cross the utility's threshold: no event was triggered"
        )

    if cfg.settlement == "optimistic":
        stats = _settle_optimistic(run, keeper, event_id)
    else:
        with ledger.staged("settle"), _progress(cfg, "keeper settlement") as progress:
            batch = SETTLE_BATCH if cfg.settlement == "batch" else 0
            stats = keeper.settle(event_id, progress=progress, batch=batch)
    report = _report(run, program_id, event_id, forecaster, actuals, stats, enroll_stats, keeper)
    report["event"]["threshold_kw"] = threshold
    _chart(run, report, forecaster, actuals, stats, event_id, keeper)
    _print_report(report, out)
    return report


# ------------------------------------------------------------------ stages


def _settle_optimistic(run: Run, keeper: Keeper, event_id: int) -> SettleStats:
    """O-3..O-8: the keeper proposes the root of every result (published next to the report), the
    challenge window passes, anyone finalizes, and the keeper pays every entry in batches. The
    outcomes are the reference's, which the root commits to."""
    with run.ledger.staged("root"):
        planned, mismatches = keeper.plan(event_id)
        tree = keeper.propose_root(event_id, run.out_dir / "root.json", planned=planned)
    window = int(run.p.optimistic.functions.challengeWindow().call())
    set_time(run.url, int(run.w3.eth.get_block("latest")["timestamp"]) + window + 1)
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
            consent = 1 | (2 if sc.keeper_consent else 0)
            fn = run.p.consumers.functions.register(
                int(sc.cls), REGION_ID, keccak(text=sc.meter_id), sc.capacity_w, consent,
                (sc.min_rate, 10, sc.available_hours),
            )  # fmt: skip
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
    records = utility.call_many(
        run.p.consumers, "consumer", [(consumer_address(cfg.seed, sc.index),) for sc in consumers]
    )
    ids = [int(r[0]) for r in records]
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
    # enough for every consumer committing its full capacity for the longest event at the top rate
    max_rate = BASE_RATE * PROGRAM["emergencyBps"] // 10_000 * 15_000 // 10_000
    budget = sum(
        ref.max_reward(sc.capacity_w * TRIGGER_MAX_HOURS, max_rate, PROGRAM["bonusCapBps"])
        for sc in run.sim.consumers
    )
    with run.ledger.staged("program"):
        run.clients["admin"].transact(p.token.functions.mint(utility.address, budget), "mint")
        utility.transact(p.token.functions.approve(p.escrow.address, budget), "approve")
        params = (p.token.address, *{**PROGRAM, "signedData": run.cfg.signed_data}.values())
        receipt = utility.transact(
            p.programs.functions.createProgram(REGION_ID, params, budget), "createProgram"
        )
    created = decode_events(p.programs, "ProgramCreated", receipt["logs"])
    return int(created[0]["programId"])


def _daemons(run: Run) -> tuple[Forecaster, GridOracle, MeterOracle]:
    outbox = Outbox(run.out_dir / "outbox.sqlite")
    meter = MeterOracle(run.p, run.clients["meter_oracle"], outbox, rejects_path=run.out_dir / "rejects.jsonl",
                        batch_size=2_000)  # fmt: skip
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


def _window(p: Protocol, event_id: int | None) -> tuple[int, int] | None:
    if event_id is None:
        return None
    e = p.requests.functions.drEvent(event_id).call()
    return int(e[2]), int(e[3])


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


def _self_enroll(run: Run, event_id: int) -> None:
    """Consumers without keeper consent enroll themselves if the event suits them (their app)."""
    from oracles.agents.keeper import CONSENT_KEEPER, ineligibility

    fns = run.p.requests.functions
    event = fns.drEvent(event_id).call()
    program = run.p.programs.functions.program(event[0]).call()
    hours = event[3] - event[2]
    own = [sc for sc in run.sim.consumers if not sc.keeper_consent]
    records = run.clients["keeper"].call_many(
        run.p.consumers, "consumer", [(consumer_address(run.cfg.seed, sc.index),) for sc in own]
    )
    pending: list[tuple[ChainClient, Pending]] = []
    bar = _bar(run.cfg, len(own), "self-enrollment")
    for sc, record in zip(own, records, strict=True):
        consumer = list(record)
        consumer[5] |= CONSENT_KEEPER  # the keeper-consent check does not apply to self-enrollment
        if ineligibility(consumer, event, program) is None:
            committed = sc.capacity_w * hours * 8 // 10
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
    enrollments = run.clients["keeper"].call_many(
        run.p.requests,
        "enrollment",
        [(event_id, consumer_address(run.cfg.seed, sc.index)) for sc in sims],
    )
    return {sc.index: int(e[0]) for sc, e in zip(sims, enrollments, strict=True) if e[3] != 0}


# ------------------------------------------------------------------ report


def _report(
    run: Run, program_id: int, event_id: int, fc: Forecaster, actuals: dict[int, float],
    stats: SettleStats, enroll_stats: Any, keeper: Keeper,
) -> dict[str, Any]:  # fmt: skip
    p, sim = run.p, run.sim
    assert p.token is not None
    by_id = {cid: sim.consumers[i] for i, cid in enumerate(run.consumer_ids)}
    event = p.requests.functions.drEvent(event_id).call()
    program = p.programs.functions.program(program_id).call()
    cap = 10_000 + program[6]
    classes: dict[str, dict[str, float]] = {
        c.name.lower(): {"enrolled": 0, "committed_kwh": 0.0, "verified_kwh": 0.0, "paid_musd": 0.0,
                         "insufficient_data": 0} for c in ConsumerClass
    }  # fmt: skip
    gamers = {"enrolled": 0, "caught_by_cap": 0, "cap_percent": program[6] // 100, "reward_musd": 0.0,
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
    chain_mape = p.forecasting.functions.rollingMape(REGION_ID, last_hour, 168).call()

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
        == int(event[EV_COMMITTED]),
        **(
            {"root_paid_out": _root_paid_out(run, event_id, event)}
            if run.cfg.settlement == "optimistic"
            else {"settled_equals_event_count": len(stats.outcomes) == int(event[EV_SETTLED])}
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
            "day": int(event[1]),
            "start_hour": int(event[2]),
            "end_hour": int(event[3]),
            "tier": ["voluntary", "economic", "emergency"][int(event[4])],
            "rate_musd_per_kwh": int(event[6]) / 10**DECIMALS,
            "target_kwh": int(event[7]) / 1_000,
            "committed_kwh": int(event[EV_COMMITTED]) / 1_000,
            "enrolled": int(event[EV_ENROLLED]),
            "settled": int(event[EV_SETTLED]),
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
            "on_chain_rolling_mape_bps_168h": int(chain_mape[0]),
            "on_chain_mape_samples": int(chain_mape[1]),
        },
        "gas_by_stage": dict(run.ledger.by_stage),
        "txs_by_stage": dict(run.ledger.txs_by_stage),
        "gas_total": sum(run.ledger.by_stage.values()),
        "checks": checks,
        "reference_mismatches": stats.mismatches,
    }


ROOT_SETTLED = 5  # IReductionRequests.EventStatus.RootSettled


def _root_paid_out(run: Run, event_id: int, event: Any) -> bool:
    """O-6..O-8: the event is RootSettled and the root paid its whole total (nothing left here)."""
    record = run.p.optimistic.functions.rootRecord(event_id).call()
    assert run.p.token is not None
    held = int(run.p.token.functions.balanceOf(run.p.optimistic.address).call())
    return int(event[EV_STATUS]) == ROOT_SETTLED and int(record[2]) == 0 and held == 0


def _uncapped_reward(keeper: Keeper, event_id: int, event: Any, program: Any, o: Any) -> int:
    """What the consumer would have earned if the day-of adjustment had no cap (B-5 unclamped),
    recomputed with the reference from the same leaves the keeper settled with."""
    inputs = keeper.inputs.get((event_id, o.account))
    if not o.sufficient or inputs is None:
        return 0
    used, event_day = inputs
    result = ref.compute(used, event_day, baseline_params(event, program, cap_bps=ref.BPS))
    return ref.reward(result.reduction_wh, o.committed_wh, event[6], program[7], program[8])


def _chart(
    run: Run, report: dict[str, Any], fc: Forecaster, actuals: dict[int, float], stats: SettleStats, event_id: int,
    keeper: Keeper,
) -> None:  # fmt: skip
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    e = report["event"]
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
    event = run.p.requests.functions.drEvent(event_id).call()
    params = baseline_params(event, run.p.programs.functions.program(event[0]).call())
    for o in stats.outcomes:
        inputs = keeper.inputs.get((event_id, o.account))
        if not o.sufficient or inputs is None:
            continue
        used, day_readings = inputs
        selected = ref.select_days(used, params)
        for h in range(e["start_hour"], e["end_hour"]):
            lift[h] += (
                ref.hour_baseline(used, selected, h) * o.adjustment_bps // ref.BPS - day_readings[h]
            )
    ev_hours = [run.event_day * 24 + h for h in range(e["start_hour"], e["end_hour"])]
    ax1.plot([h - hours[0] for h in ev_hours], [actuals[h] + lift[h % 24] / 1_000 for h in ev_hours],
             label="settlement baseline (10-in-10, adjusted)", color="tab:purple", marker="o")  # fmt: skip
    ax1.axhline(
        report["event"]["threshold_kw"], color="gray", linestyle=":", label="trigger threshold"
    )
    start = (run.event_day * 24 + e["start_hour"]) - hours[0]
    end = (run.event_day * 24 + e["end_hour"]) - hours[0]
    ax1.axvspan(
        start,
        end,
        color="tab:red",
        alpha=0.15,
        label=f"event {e['start_hour']}:00-{e['end_hour']}:00",
    )
    ax1.set_xlabel("hour (last three local days)")
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


def _print_report(r: dict[str, Any], out: TextIO) -> None:
    e, f, g = r["event"], r["forecast"], r["gamers"]
    print(f"\nEvent {e['id']} (auto-triggered by the forecast): local day {e['day']}, {e['start_hour']}:00-{e['end_hour']}:00, "
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
