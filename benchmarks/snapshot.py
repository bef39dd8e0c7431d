"""`make snapshot`: the exact gas of the protocol's key calls and every contract's code size.

Like the gas snapshots Uniswap v4 commits, `benchmarks/snapshot.json` records what each key call
costs in one fixed scenario, so that every change in cost shows in review. `make test` runs the same
scenario again (`--check`) and fails on any difference.

The scenario is deterministic: Anvil starts at a fixed genesis time, the accounts come from its
fixed mnemonic, bench consumer wallets and meter readings from fixed seeds. One program, 101
consumers (ids 1..101) registered and activated, three weekday events E1 < E2 < E3 (16:00-20:00);
every day from activation to E3 has one 1,024-record meter batch (ids 1..1,024, proof depth 10).

- E1 is every consumer's first event: consumer 1 enrolls itself, the keeper batch-enrolls 2..101.
- E2 is the steady state (each consumer's day-bitmap word already written): the same again.
- consumer 1 is settled by proofs in E1 (its first payment) and in E2 (it holds the token).
- E3: the keeper batch-enrolls all 101; one optimistic root is proposed, its 101 entries posted in
  one postEntries (the contract computes the root, O-2), finalized; consumer 1 claims, and one
  payBatch pays the other 100 entries and writes the track records of all 101 (O-10).
- E4, on E2's day, is a net program's (N-1): consumer 102 (registered for it alone) enrolls itself,
  every day also has a one-record export batch of consumer 102 (rooftop solar at midday), and it is
  settled by proofs, two records a day (N-2): `settle_net` against `settle`.
- E5, on E2's day too, is a load-shifting program's (L-1..L-5; 4-hour rebound window after the event,
  +-50 % neutrality): consumer 103 (registered for it alone) enrolls itself, cuts its event hours
  like everyone and uses 4,100 Wh an hour 20:00-24:00; settled by proofs: `settle_load_shift`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
from pathlib import Path
from typing import Any

from tqdm import tqdm

from benchmarks.run import (
    DAY_SECONDS,
    REGION,
    Bench,
    _consumer,
    _enroll,
    _event_id,
    _records,
    _register_up_to,
    _set_meter_keys,
    post_interval_batch,
    program_params,
)
from oracles.agents.keeper import Keeper
from oracles.chain.anvil import set_time, start_anvil
from oracles.chain.logs import decode_events
from oracles.chain.rpc import connect
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.bindings import ProgramParams, RegionGrid, RootRecord
from oracles.protocol.enums import Basis, ProgramType, SystemState
from oracles.protocol.profiles import PROFILES
from oracles.reference import meter_signing
from oracles.reference import optimistic_root as opt
from oracles.reference.baseline_days import is_weekend
from oracles.reference.meter_leaf import Channel, ConsumerDay, encode_batch
from oracles.reference.meter_signing import MeterDomain

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT = ROOT / "benchmarks" / "snapshot.json"
GENESIS = 1_767_225_600  # 2026-01-01T00:00:00Z: the same days, so the same calldata, on every run
CONSUMERS = 101
BATCH_RECORDS = 1_024
COMMIT_WH = 1_000


def _sizes(build_dir: Path) -> dict[str, int]:
    """Runtime code bytes of every production contract in a build folder."""
    out: dict[str, int] = {}
    for path in sorted(build_dir.glob("*.json")):
        art = json.loads(path.read_text())
        source = str(art.get("sourcePath", ""))
        code = str(art.get("deployedBytecode", ""))
        if art.get("type") != "contract" or not code or not source.startswith("contracts/"):
            continue
        if not source.startswith("contracts/test/"):
            out[str(art["contractName"])] = len(code) // 2
    return out


def sizes() -> dict[str, dict[str, int]]:
    """Both build profiles (cancun in build/, london in build/profiles/london)."""
    return {p.name: _sizes(p.build_dir) for p in PROFILES.values()}


def _reduced(record: ConsumerDay) -> ConsumerDay:
    """The record with its event hours (16-20) at 100 Wh: a reduction on any baseline."""
    readings = tuple(100 if 16 <= h < 20 else wh for h, wh in enumerate(record.readings))
    return record.model_copy(update={"readings": readings})


def _keeper_enroll(b: Bench, keeper: str, event_id: int, ids: range) -> dict[str, Any]:
    requests = [(_consumer(i), COMMIT_WH) for i in ids]
    r = b.tx(keeper, b.p.requests.functions.enrollBatch(event_id, requests))
    refused = decode_events(b.p.requests, "EnrollmentRefused", r["logs"])
    if refused:
        raise RuntimeError(f"snapshot: enrollBatch of event {event_id} refused {refused}")
    return r


def _settle(b: Bench, event_id: int, consumer: int) -> dict[str, Any]:
    planned, mismatches = Keeper(b.p, b.clients[b.admin]).plan(event_id)
    mine = next(x for x in planned if x.account == _consumer(consumer))
    if mismatches or mine.proofs is None or not mine.sufficient or not mine.reward:
        raise RuntimeError(f"snapshot: the keeper cannot settle consumer {consumer} ({mine})")
    return b.tx(b.admin, b.p.proofs.functions.settle(event_id, mine.account, mine.proofs))


def _settle_batch(b: Bench, event_id: int, ids: range) -> dict[str, Any]:
    """settleBatch of bench consumers ``ids`` (S-11), as the keeper builds it; every one must pay."""
    keeper = Keeper(b.p, b.clients[b.admin])
    planned, mismatches = keeper.plan(event_id)
    wanted = {_consumer(i) for i in ids}
    part = sorted((x for x in planned if x.account in wanted), key=lambda x: x.consumer_id)
    if mismatches or len(part) != len(ids) or not all(x.sufficient and x.reward for x in part):
        raise RuntimeError(f"snapshot: the keeper cannot batch-settle event {event_id}")
    consumers, groups = keeper.batch_input(keeper.terms(event_id).event.region_id, part)
    r = b.tx(b.admin, b.p.proofs.functions.settleBatch(event_id, consumers, groups))
    paid = decode_events(b.p.requests, "Settled", r["logs"])
    if [(e["account"], e["reward"]) for e in paid] != [(x.account, x.reward) for x in part]:
        raise RuntimeError(f"snapshot: settleBatch of event {event_id} differs from the reference")
    return r


def _net_event(b: Bench, day: int) -> int:
    """A net program (N-1) and its event on ``day``, 16:00-20:00."""
    assert b.p.token is not None
    params = ProgramParams(
        token=b.p.token.address, base_rate=500_000, max_events_per_30_days=30, basis=Basis.Net
    )
    r = b.tx(b.utility, b.p.programs.functions.createProgram(REGION, params.abi(), 10**14))
    program_id = int(decode_events(b.p.programs, "ProgramCreated", r["logs"])[0]["programId"])
    return _event_id(
        b, b.tx(b.utility, b.p.requests.functions.createEvent(program_id, day, 16, 20, 50_000, 0))
    )


def _shift_event(b: Bench, day: int) -> int:
    """A load-shifting program (L-1) and its event on ``day``, 16:00-20:00, rebound 20:00-24:00."""
    assert b.p.token is not None
    params = ProgramParams(
        token=b.p.token.address, base_rate=500_000, max_events_per_30_days=30, adj_window_hours=0,
        program_type=ProgramType.LoadShifting, shift_hours=4, neutrality_bps=5_000,
    )  # fmt: skip
    r = b.tx(b.utility, b.p.programs.functions.createProgram(REGION, params.abi(), 10**14))
    program_id = int(decode_events(b.p.programs, "ProgramCreated", r["logs"])[0]["programId"])
    return _event_id(
        b, b.tx(b.utility, b.p.requests.functions.createEvent(program_id, day, 16, 20, 50_000, 0))
    )


def _shifted(record: ConsumerDay) -> ConsumerDay:
    """A reduced record whose consumer uses 4,100 Wh an hour 20:00-24:00: the energy it moved."""
    readings = tuple(4_100 if h >= 20 else wh for h, wh in enumerate(record.readings))
    return record.model_copy(update={"readings": readings})


def _solar(day: int, consumer_id: int) -> ConsumerDay:
    """A consumer's export day: 400 Wh an hour 10:00-15:00 (N-1: netted off its imports)."""
    readings = tuple(400 if 10 <= h < 15 else 0 for h in range(24))
    return ConsumerDay(
        channel=Channel.EXPORT,
        consumer_id=consumer_id,
        region_id=REGION,
        day=day,
        readings=readings,
    )


def _signed_program(b: Bench, consumers: int) -> int:
    """A second program, of meter-signed data (S-10), and a meter key for every bench consumer."""
    assert b.p.token is not None
    params = program_params(b.p.token.address, signed=True)
    r = b.tx(b.utility, b.p.programs.functions.createProgram(REGION, params, 10**14))
    program_id = int(decode_events(b.p.programs, "ProgramCreated", r["logs"])[0]["programId"])
    _set_meter_keys(b, range(1, consumers + 1))
    return program_id


def measure(signed: bool = False, consumers: int = CONSUMERS) -> dict[str, int]:
    """Run the scenario on a fresh Anvil; the gas of each key call. ``signed``: the same scenario
    in a program of meter-signed data, every record signed by its meter (S-10; make bench only:
    signing 26,624 records takes a while). ``consumers``: 1 + the batch size (keys name it)."""
    gas: dict[str, int] = {}
    n = consumers - 1  # the keeper's batches: consumers 2..consumers
    batch = range(2, consumers + 1)
    with (
        tempfile.TemporaryDirectory() as tmp,
        start_anvil(
            accounts=10, base_fee=0, gas_limit=2**30, extra_args=["--timestamp", str(GENESIS)]
        ) as chain,
    ):
        b = Bench(connect(chain.url), chain.url, Path(tmp))
        keeper = [str(a) for a in b.w3.eth.accounts][8]
        # a signed batch's every record needs its consumer's meter key (M-7): the whole batch exists
        # (unsigned: one more consumer, the net program's, N-1)
        _register_up_to(b, BATCH_RECORDS if signed else consumers + 2)
        net_consumer, shift_consumer = consumers + 1, consumers + 2
        program_id = _signed_program(b, BATCH_RECORDS) if signed else 1
        domain = MeterDomain(chain_id=b.w3.eth.chain_id, meter_data=b.p.meter.address)
        meter_keys = {cid: meter_signing.meter_key(0, cid) for cid in range(1, BATCH_RECORDS + 1)}
        set_time(b.url, (b.day0 + 18) * DAY_SECONDS)
        days = [d for d in range(b.day0 + 20, b.day0 + 30) if not is_weekend(d)][:3]
        created = [
            b.tx(b.utility, b.p.requests.functions.createEvent(program_id, d, 16, 20, 50_000, 0))
            for d in days
        ]
        gas["createEvent_first"] = created[0]["gasUsed"]
        gas["createEvent"] = created[1]["gasUsed"]
        e1, e2, e3 = [_event_id(b, r) for r in created]
        e4 = _net_event(b, days[1]) if not signed else 0
        e5 = _shift_event(b, days[1]) if not signed else 0

        gas["enroll_first"] = _enroll(b, 1, e1)["gasUsed"]
        gas[f"enrollBatch_{n}_first"] = _keeper_enroll(b, keeper, e1, batch)["gasUsed"]
        gas["enroll"] = _enroll(b, 1, e2)["gasUsed"]
        if e4:
            _enroll(b, net_consumer, e4)
            _enroll(b, shift_consumer, e5)
        gas[f"enrollBatch_{n}"] = _keeper_enroll(b, keeper, e2, batch)["gasUsed"]
        gas[f"enrollBatch_{n + 1}"] = _keeper_enroll(b, keeper, e3, range(1, consumers + 1))[
            "gasUsed"
        ]

        set_time(b.url, (days[-1] + 2) * DAY_SECONDS)  # every event is over
        rng = random.Random(7)
        for day in tqdm(range(b.day0 - 1, days[-1] + 1), desc="meter batches", unit="day"):
            records = _records(day, 1, BATCH_RECORDS, rng)
            if day in days:  # everyone reduces during the event hours, so every result pays
                records = [_reduced(r) for r in records]
                if e5 and day == days[1]:  # E5: the load-shift consumer moves its use (L-4)
                    records = [
                        _shifted(r) if r.consumer_id == shift_consumer else r for r in records
                    ]
            if signed:
                records = list(meter_signing.sign_days(domain, meter_keys, records))
                b.tx(
                    b.oracle,
                    b.p.meter.functions.postSignedBatch(REGION, day, encode_batch(records)),
                )
            else:
                b.tx(b.oracle, b.p.meter.functions.postBatch(REGION, day, encode_batch(records)))
            if e4:
                b.tx(
                    b.oracle,
                    b.p.meter.functions.postBatch(
                        REGION, day, encode_batch([_solar(day, net_consumer)])
                    ),
                )
        blob = encode_batch(_records(b.day0 - 5, 1, 1_000, rng))
        gas["postBatch_1000"] = b.tx(
            b.oracle, b.p.meter.functions.postBatch(REGION, b.day0 - 5, blob)
        )["gasUsed"]
        # the same 1,000 consumer-days as 96- and 48-reading records (M-2, R-7)
        for interval in (15, 30):
            receipt = post_interval_batch(b, b.day0 - 5, interval, rng)
            gas[f"postBatch_1000_{1_440 // interval}"] = receipt["gasUsed"]

        # M-9: the days are final FINALITY_DELAY after the last event day ended (anyone declares it)
        meter = b.p.meter.functions
        ends = int(b.p.regions.functions.localDayStart(REGION, days[-1] + 1).call())
        set_time(b.url, ends + int(meter.FINALITY_DELAY().call()) + 60)
        b.tx(b.admin, meter.finalize(REGION, days[-1]))

        gas["settle_first"] = _settle(b, e1, 1)["gasUsed"]
        gas[f"settleBatch_{n}_first"] = _settle_batch(b, e1, batch)["gasUsed"]
        gas["settle"] = _settle(b, e2, 1)["gasUsed"]
        gas[f"settleBatch_{n}"] = _settle_batch(b, e2, batch)["gasUsed"]
        if e4:
            gas["settle_net"] = _settle(b, e4, net_consumer)["gasUsed"]
            gas["settle_load_shift"] = _settle(b, e5, shift_consumer)["gasUsed"]

        planned, mismatches = Keeper(b.p, b.clients[keeper]).plan(e3)
        if mismatches or len(planned) != consumers:
            raise RuntimeError(f"snapshot: event {e3} plans {len(planned)} entries")
        tree = opt.RootTree.from_results(e3, [x.as_result() for x in planned])
        os_fns = b.p.optimistic.functions
        bond = int(os_fns.bond().call())
        assert b.p.token is not None
        token_bond = int(
            os_fns.tokenBondFor(tree.total).call()
        )  # O-3: the keeper holds and approves it
        b.tx(b.admin, b.p.token.functions.mint(keeper, token_bond))
        b.tx(keeper, b.p.token.functions.approve(b.p.optimistic.address, token_bond))
        gas["propose"] = b.clients[keeper].transact(
            os_fns.propose(e3, tree.count, tree.total), "propose", value=bond
        )["gasUsed"]
        gas[f"postEntries_{consumers}"] = b.tx(
            keeper, os_fns.postEntries(e3, opt.pack_entries(tree.entries))
        )["gasUsed"]
        if RootRecord.model_validate(os_fns.rootRecord(e3).call()).root != tree.root:
            raise RuntimeError(
                f"snapshot: the chain's root of event {e3} differs from the reference"
            )
        latest = int(b.w3.eth.get_block("latest")["timestamp"])
        set_time(b.url, latest + int(os_fns.challengeWindow().call()) + 1)
        gas["finalize"] = b.tx(b.admin, os_fns.finalize(e3))["gasUsed"]
        first = next(e for e in tree.entries if e.account == _consumer(1))
        others = [e for e in tree.entries if e.index != first.index]
        gas["claim"] = b.tx(b.admin, os_fns.claim(e3, first.as_tuple(), tree.proof(first.index)))[
            "gasUsed"
        ]
        gas[f"payBatch_{n}"] = b.tx(
            b.admin,
            os_fns.payBatch(e3, opt.pack_batch(others), tree.multiproof([e.index for e in others])),
        )["gasUsed"]
        if not signed:
            gas |= _operator_gas(b)
            gas |= _stability_gas(b)
            gas |= _balancing_gas(b)
    return gas


# the grid figures post timestamps in calldata (a zero byte costs 4 gas, another 16): they run at a
# fixed time, so that they are the same on any day
GRID_EPOCH = 2_208_988_800  # 2040-01-01 00:00 UTC


def _operator_gas(b: Bench) -> dict[str, int]:
    """A grid operator verified by the council (G-1..G-3): its application (one region), the first
    approval and the M-th, which executes Verify. The chain's clock moves to GRID_EPOCH first."""
    set_time(b.url, GRID_EPOCH)
    accounts = [str(a) for a in b.w3.eth.accounts]
    operator, council = accounts[9], accounts[1:3]
    fns = b.p.operators.functions
    apply = fns.applyAsOperator("Bench TSO", 0, 0b1111, b"\x0b" * 32, [REGION])
    gas = {"applyAsOperator": b.tx(operator, apply)["gasUsed"]}
    gas["approveOperator"] = b.tx(council[0], fns.approve(operator, 0))["gasUsed"]
    gas["approveOperator_executes"] = b.tx(council[1], fns.approve(operator, 0))["gasUsed"]
    if not fns.isActiveOperator(operator, REGION, 0b0111).call():
        raise RuntimeError("snapshot: the bench operator is not active after M approvals")
    return gas


def _stability_gas(b: Bench) -> dict[str, int]:
    """Grid measurements and emergency mode (G-7..G-11): a first batch of 15 one-minute Normal
    measurements, a second, a batch of 15 that crosses into Emergency and a shedding stage, the bench
    operator's declaration, the council's first exit approval and the M-th, which ends it."""
    accounts = [str(a) for a in b.w3.eth.accounts]
    operator, council = accounts[9], accounts[1:3]
    fns = b.p.stability.functions
    start = GRID_EPOCH - 3 * 3_600
    nominal = b.p.region(REGION).nominal_frequency_mhz

    def batch(first: int, drop: int = 0) -> list[tuple[int, ...]]:
        return [
            (start + 60 * (first + i), 3_000_000, 0, nominal - drop, 1_000, 120) for i in range(15)
        ]

    gas = {
        "postMeasurements_15_first": b.tx(b.oracle, fns.postMeasurements(REGION, batch(0)))[
            "gasUsed"
        ]
    }
    gas["postMeasurements_15"] = b.tx(b.oracle, fns.postMeasurements(REGION, batch(15)))["gasUsed"]
    gas["postMeasurements_15_to_emergency"] = b.tx(
        b.oracle, fns.postMeasurements(REGION, batch(30, drop=1_600))
    )["gasUsed"]
    gas["declareEmergency"] = b.tx(operator, fns.declareEmergency(REGION, b"\x0e" * 32, 0))[
        "gasUsed"
    ]
    gas["approveEmergencyExit"] = b.tx(council[0], fns.approveEmergencyExit(REGION))["gasUsed"]
    gas["approveEmergencyExit_ends"] = b.tx(council[1], fns.approveEmergencyExit(REGION))["gasUsed"]
    if RegionGrid.model_validate(fns.regionGrid(REGION).call()).state == SystemState.Emergency:
        raise RuntimeError("snapshot: the council's M-th approval did not end the emergency")
    return gas


def _balancing_gas(b: Bench) -> dict[str, int]:
    """Balancing actions (G-13..G-16): a reserve activation's lifecycle (propose, instruct,
    complete), a load shed's (the same and its report), an automated response's configuration, a
    batch of 15 measurements the response watches without firing, and one where it fires once."""
    operator = [str(a) for a in b.w3.eth.accounts][9]
    fns = b.p.balancing.functions
    now = GRID_EPOCH  # the windows' times in calldata: fixed (the chain's clock is a little later)
    gas: dict[str, int] = {}
    for name, kind, stage, share in (("", 1, 0, 0), ("Shed", 3, 1, 1_000)):
        request = (REGION, kind, 1_000, 1, now - 60, now + 3_600, 0, stage, share)
        receipt = b.tx(operator, fns.proposeAction(request))
        action_id = fns.actionCount().call()
        gas[f"propose{name}Action"] = receipt["gasUsed"]
        gas[f"instruct{name}Action"] = b.tx(operator, fns.instructAction(action_id))["gasUsed"]
        gas[f"complete{name}Action"] = b.tx(operator, fns.completeAction(action_id, 950))["gasUsed"]
    gas["submitShedReport"] = b.tx(operator, fns.submitShedReport(action_id, b"\x1e" * 32))[
        "gasUsed"
    ]
    nominal = b.p.region(REGION).nominal_frequency_mhz
    config = (REGION, 0, nominal - 1_000, 1, 2_000, 2, 600, 900, 0, 0)
    gas["configureAutomatedResponse"] = b.tx(operator, fns.configureAutomatedResponse(config))[
        "gasUsed"
    ]
    latest = RegionGrid.model_validate(
        b.p.stability.functions.regionGrid(REGION).call()
    ).latest_time

    def batch(first: int, drop: int) -> list[tuple[int, ...]]:
        t = latest + 60 * first
        return [
            (t + 60 * i, 3_000_000, 0, nominal - (drop if i == 7 else 0), 1_000, 0)
            for i in range(15)
        ]

    post = b.p.stability.functions.postMeasurements
    gas["postMeasurements_15_watched"] = b.tx(b.oracle, post(REGION, batch(1, 0)))["gasUsed"]
    gas["postMeasurements_15_response_fires"] = b.tx(b.oracle, post(REGION, batch(16, 1_000)))[
        "gasUsed"
    ]
    if fns.actionCount().call() != 3:
        raise RuntimeError("snapshot: the automated response did not fire exactly once")
    return gas


def snapshot() -> dict[str, Any]:
    gas = measure()
    per = {
        "enrollBatch_100_per_consumer": gas["enrollBatch_100"] // 100,
        "enrollBatch_100_first_per_consumer": gas["enrollBatch_100_first"] // 100,
        "payBatch_100_per_consumer": gas["payBatch_100"] // 100,
        "postEntries_101_per_consumer": gas["postEntries_101"] // 101,
        # issue 22's goal (<= 35,000): propose + postEntries + finalize + payBatch, per consumer, at
        # 100 consumers (the payBatch of 100; the root's 101 entries share the rest)
        "optimistic_payout_per_consumer": (
            gas["propose"] + gas["postEntries_101"] + gas["finalize"]
        )
        // 101
        + gas["payBatch_100"] // 100,
        "settleBatch_100_per_consumer": gas["settleBatch_100"] // 100,
        "postMeasurements_15_per_point": gas["postMeasurements_15"] // 15,
        "settleBatch_100_first_per_consumer": gas["settleBatch_100_first"] // 100,
    }
    return {"gas": {**gas, **per}, "sizes": sizes()}


def _diff(old: dict[str, Any], new: dict[str, Any], prefix: str = "") -> list[str]:
    out: list[str] = []
    for key in sorted({*old, *new}):
        a, b = old.get(key), new.get(key)
        if isinstance(a, dict) and isinstance(b, dict):
            out += _diff(a, b, f"{prefix}{key}.")
        elif a != b:
            delta = f" ({b - a:+,})" if isinstance(a, int) and isinstance(b, int) else ""
            out.append(f"  {prefix}{key}: {a} -> {b}{delta}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="snapshot", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--check",
        action="store_true",
        help=f"compare with the committed {SNAPSHOT.name} instead of writing it; exit 1 on a difference",
    )
    args = ap.parse_args(argv)
    if not (DEFAULT_BUILD_DIR / "ReductionRequests.json").exists():
        print("snapshot: no build artifacts; run 'make compile compile-london'", file=sys.stderr)
        return 2
    new = snapshot()
    text = json.dumps(new, indent=2, sort_keys=True) + "\n"
    if not args.check:
        SNAPSHOT.write_text(text)
        print(f"wrote {SNAPSHOT.relative_to(ROOT)}")
        for k, v in new["gas"].items():
            print(f"  {k:38} {v:>12,}")
        return 0
    if not SNAPSHOT.exists():
        print(
            f"snapshot: {SNAPSHOT.relative_to(ROOT)} is missing; run 'make snapshot'",
            file=sys.stderr,
        )
        return 1
    diff = _diff(json.loads(SNAPSHOT.read_text()), new)
    if diff:
        print(
            f"snapshot: the code's gas or sizes differ from {SNAPSHOT.relative_to(ROOT)}; "
            "run 'make snapshot' and commit it:\n" + "\n".join(diff),
            file=sys.stderr,
        )
        return 1
    print(f"snapshot: {len(new['gas'])} gas figures and every size match {SNAPSHOT.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
