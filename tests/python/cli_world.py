"""One deployed world for the protocol-action command tests (tests/python/test_cli_<group>.py): a
verified utility with a funded program, two active consumers, a fixed clock; and, for settlement and
disputes, an event with both consumers enrolled, its day and the baseline days posted.

Each test module builds its own world once (``world_fixture``) and reverts it to a snapshot after
every test (``w``). Commands run in-process through ``main([...])``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.chain.anvil import Anvil, rpc_call, set_time, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.cli.main import main
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.bindings import ProgramParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import UtilityAction
from oracles.reference.meter_leaf import ConsumerDay, encode_batch

REGION, QUARTER = 1, 2  # an hourly region and a 15-minute one, both UTC-08:00
OFFSET = -480
ZONE = (
    "America/Los_Angeles"  # region 1's time zone (R-8); region 2 has none: the fixed offset shows
)
EPOCH = date(1970, 1, 1)
START = date(2027, 3, 1)  # a Monday: the world's clock starts at 10:00 local that day
EVENT_DAY = date(2027, 3, 24)  # a Wednesday, 23 days later (an event starts within 30 days)
UNIT = 10**6  # the test token has 6 decimals
# node accounts by role
ADMIN, VERIFIER, UTILITY, ORACLE, KEEPER, ARBITER, A, B, OUTSIDER = range(9)


def day_number(d: date) -> int:
    return (d - EPOCH).days


def local_ts(d: date, hour: int = 0, minute: int = 0) -> int:
    """A local clock time (UTC-08:00) of day ``d`` as a timestamp."""
    t = datetime(d.year, d.month, d.day, hour, minute, tzinfo=UTC) - timedelta(minutes=OFFSET)
    return int(t.timestamp())


@dataclass
class World:
    anvil: Anvil
    w3: Web3
    p: Protocol
    manifest: Path
    accounts: list[str]
    snapshot: str = ""

    def args(self, *argv: str) -> list[str]:
        """``argv`` with this world's chain and manifest (options after the subcommand)."""
        return [*argv, "--rpc", self.anvil.url, "--manifest", str(self.manifest)]

    def client(self, who: int) -> ChainClient:
        return ChainClient(self.w3, NodeSigner(self.accounts[who]))

    def warp(self, ts: int) -> None:
        set_time(self.anvil.url, ts)

    def now(self) -> int:
        return int(self.w3.eth.get_block("latest")["timestamp"])

    def take_snapshot(self) -> None:
        self.snapshot = str(rpc_call(self.anvil.url, "evm_snapshot"))

    def revert(self) -> None:
        rpc_call(self.anvil.url, "evm_revert", [self.snapshot])
        self.take_snapshot()


def build_world(tmp: Path) -> Iterator[World]:
    """The base world: program 1 of the utility in region 1 (0.5 token per kWh, 10,000 tokens),
    consumers A and B active in region 1 (5,000 W, consent data+keeper)."""
    with start_anvil(accounts=10, gas_limit=30_000_000, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        acc = [str(a) for a in w3.eth.accounts]
        set_time(anvil.url, local_ts(START, 10))
        cfg = DeployConfig(
            regions=[RegionConfig(id=REGION, name="Valley", capacity_kw=10_000, utc_offset_minutes=OFFSET,
                                  time_zone=ZONE),
                     RegionConfig(id=QUARTER, name="Quarter", capacity_kw=10_000, utc_offset_minutes=OFFSET,
                                  interval_minutes=15)],
            verifiers=[acc[VERIFIER]], threshold=1, meter_oracles=[acc[ORACLE]], keepers=[acc[KEEPER]],
            arbiters=[acc[ARBITER]], kyc_attesters=[acc[ADMIN]], deploy_test_token=True,
        )  # fmt: skip
        path = tmp / "deployment.json"
        manifest = deploy_protocol(ChainClient(w3, NodeSigner(acc[ADMIN])), cfg, path)
        p = Protocol.connect(w3, manifest)
        assert p.token is not None
        w = World(anvil, w3, p, path, acc)
        u = w.client(UTILITY)
        u.transact(p.utilities.functions.applyForVerification("Valley Power", b"\x01" * 32,
                                                              [REGION, QUARTER]), "apply")  # fmt: skip
        w.client(VERIFIER).transact(
            p.utilities.functions.approve(acc[UTILITY], int(UtilityAction.Verify)), "approve"
        )
        w.client(ADMIN).transact(p.token.functions.mint(acc[UTILITY], 1_000_000 * UNIT), "mint")
        for who, meter in ((A, "meter-A"), (B, "meter-B")):
            w.client(who).transact(p.consumers.functions.register(
                0, REGION, keccak(text=meter), 5_000, 3, (0, 10, 2**24 - 1)), "register")  # fmt: skip
            w.client(ADMIN).transact(
                p.consumers.functions.activate(acc[who], b"\x01" * 32, b"\x02" * 32), "activate"
            )
        budget = 10_000 * UNIT
        u.transact(p.token.functions.approve(p.escrow.address, budget), "approve")
        params = ProgramParams(token=p.token.address, base_rate=UNIT // 2)
        u.transact(p.programs.functions.createProgram(REGION, params.abi(), budget), "program")
        w.take_snapshot()
        yield w


def create_event(w: World, d: date = EVENT_DAY, start: int = 17, end: int = 19) -> int:
    """An event of program 1 on ``d``, ``start``..``end`` local hours, target 10 kWh."""
    r = w.client(UTILITY).transact(
        w.p.requests.functions.createEvent(1, day_number(d), start, end, 10_000, 0), "event"
    )
    from oracles.chain.logs import decode_events

    return int(decode_events(w.p.requests, "EventCreated", r["logs"])[0]["eventId"])


def reading(d: date, hour: int, event_day: bool) -> int:
    """Consumer A's load: 1,000 Wh an hour, nothing in the event's hours 17-18 of the event day."""
    return 0 if event_day and hour in (17, 18) else 1_000


def post_history(w: World) -> None:
    """Meter data of every day from START+1 to EVENT_DAY: consumer A (id 1) each day, consumer B
    (id 2) each day but the event day; then the clock just after the event day's end."""
    w.warp(local_ts(EVENT_DAY + timedelta(days=1), 0, 10))
    oracle = w.client(ORACLE)
    d = START + timedelta(days=1)
    while d <= EVENT_DAY:
        n, event_day = day_number(d), d == EVENT_DAY
        days = [ConsumerDay(consumer_id=1, region_id=REGION, day=n,
                            readings=tuple(reading(d, h, event_day) for h in range(24)))]  # fmt: skip
        if not event_day:
            days.append(ConsumerDay(consumer_id=2, region_id=REGION, day=n, readings=(1_000,) * 24))
        oracle.transact(w.p.meter.functions.postBatch(REGION, n, encode_batch(days)), f"day {d}")
        d += timedelta(days=1)


def enrolled_event(w: World) -> int:
    """Event 1 on EVENT_DAY 17:00-19:00 with A committing 2 kWh and B 1 kWh."""
    event = create_event(w)
    w.client(A).transact(w.p.requests.functions.enroll(event, 2_000), "enroll A")
    w.client(B).transact(w.p.requests.functions.enroll(event, 1_000), "enroll B")
    return event


def enrolled_world(w: World) -> int:
    """:func:`enrolled_event` with its data posted; the day not final yet (its finality delay has
    not passed)."""
    event = enrolled_event(w)
    post_history(w)
    return event


def final_ts() -> int:
    """When the event day is final (its end + MeterData.FINALITY_DELAY, 2 days) plus a minute."""
    return local_ts(EVENT_DAY + timedelta(days=3), 0, 1)


def run(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """``gridbalance argv`` in-process: its exit code, stdout and stderr."""
    try:
        code = main(argv)
    except SystemExit as exc:  # argparse
        code = int(exc.code or 0)
    out, err = capsys.readouterr()
    return code, out, err


def one_line(err: str) -> bool:
    return err.count("\n") == 1 and "Traceback" not in err and err.startswith("gridbalance")
