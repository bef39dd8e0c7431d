"""The keeper settles a net program against a real Anvil (SPECIFICATION.md N-1..N-3): it proves each
day's import and export records, its reference nets them, max(import - export, 0), and the chain
agrees to the Wh; asked for batch settlement it settles one by one (settleBatch reads one channel)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.agents.keeper import Keeper
from oracles.chain.anvil import Anvil, rpc_call, set_time, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.logs import decode_events
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.bindings import ProgramParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import Basis
from oracles.reference import baseline as ref
from oracles.reference.baseline_days import baseline_inputs, candidate_days, is_weekend
from oracles.reference.meter_leaf import Channel, ConsumerDay, encode_batch

pytestmark = pytest.mark.xdist_group("keeper_net")

REGION, OFFSET, N, DAY = 1, -480, 3, 86_400
CUT = {1: 0.4, 2: 0.7, 3: 1.0}  # each consumer's use 16:00-20:00 on the event day


def imports(cid: int, day: int, event_day: int) -> tuple[int, ...]:
    rng = random.Random(cid * 100_003 + day)
    r = [
        400 + 900 * (16 <= h < 20) + 300 * (10 <= h < 15) + rng.randrange(0, 150) for h in range(24)
    ]
    if day == event_day:
        r = [int(x * CUT[cid]) if 16 <= h < 20 else x for h, x in enumerate(r)]
    return tuple(r)


def exports(cid: int, day: int) -> tuple[int, ...]:
    """Consumers 1 and 2 have rooftop solar (2 exports past its import at midday); 3 has none."""
    if cid == 3:
        return (0,) * 24
    peak = 500 if cid == 1 else 2_000
    return tuple(peak if 10 <= h < 15 else 150 if h == 16 else 0 for h in range(24))


@dataclass
class World:
    anvil: Anvil
    p: Protocol
    keeper: Keeper
    consumers: list[str]
    event_id: int
    event_day: int
    activation_day: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with start_anvil(accounts=5, gas_limit=30_000_000, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        admin, verifier, utility, keeper, oracle = (str(a) for a in w3.eth.accounts[:5])
        cfg = DeployConfig(
            regions=[RegionConfig(id=REGION, name="Solar", capacity_kw=10_000, utc_offset_minutes=OFFSET)],
            verifiers=[verifier], threshold=1, keepers=[keeper], meter_oracles=[oracle],
            kyc_attesters=[admin], deploy_test_token=True,
        )  # fmt: skip
        admin_c, utility_c = (
            ChainClient(w3, NodeSigner(admin)),
            ChainClient(w3, NodeSigner(utility)),
        )
        manifest = deploy_protocol(admin_c, cfg, tmp_path_factory.mktemp("n") / "deployment.json")
        p = Protocol.connect(w3, manifest)
        assert p.token is not None
        utility_c.transact(
            p.utilities.functions.applyForVerification("U", b"\x01" * 32, [REGION]), "apply"
        )
        ChainClient(w3, NodeSigner(verifier)).transact(
            p.utilities.functions.approve(utility, 0), "approve"
        )
        admin_c.transact(p.token.functions.mint(utility, 10**12), "mint")
        utility_c.transact(p.token.functions.approve(p.escrow.address, 10**12), "approve")
        params = ProgramParams(token=p.token.address, base_rate=500_000, basis=Basis.Net)
        utility_c.transact(
            p.programs.functions.createProgram(REGION, params.abi(), 10**12), "createProgram"
        )
        rpc_call(anvil.url, "anvil_autoImpersonateAccount", [True])
        consumers: list[str] = []
        for i in range(N):
            account = Web3.to_checksum_address(keccak(text=f"net-consumer-{i}")[12:])
            rpc_call(anvil.url, "anvil_setBalance", [account, hex(10**18)])
            ChainClient(w3, NodeSigner(account)).transact(
                p.consumers.functions.register(
                    0, REGION, keccak(text=f"nm{i}"), 5_000, 3, (0, 10, 2**24 - 1)
                ),
                "register",
            )
            admin_c.transact(
                p.consumers.functions.activate(account, b"\x01" * 32, b"\x02" * 32), "activate"
            )
            consumers.append(account)
        now = int(w3.eth.get_block("latest")["timestamp"])
        activation = (now + 60 * OFFSET) // DAY
        event_day = activation + 16
        while is_weekend(event_day):
            event_day += 1
        receipt = utility_c.transact(
            p.requests.functions.createEvent(1, event_day, 16, 20, 4_000, 0), "createEvent"
        )  # fmt: skip
        event_id = int(decode_events(p.requests, "EventCreated", receipt["logs"])[0]["eventId"])
        k = Keeper(p, ChainClient(w3, NodeSigner(keeper)))
        k.enroll(event_id, consumers)
        # every day has ended: post each day's import batch and export batch (one channel each, M-2)
        start = event_day * DAY - 60 * OFFSET
        set_time(anvil.url, start + DAY + 60)
        oracle_c = ChainClient(w3, NodeSigner(oracle))
        for d in range(activation + 1, event_day + 1):
            for channel in (Channel.IMPORT, Channel.EXPORT):
                recs = [
                    ConsumerDay(channel=channel, consumer_id=cid, region_id=REGION, day=d,
                                readings=imports(cid, d, event_day) if channel == Channel.IMPORT else exports(cid, d))
                    for cid in range(1, N + 1)
                ]  # fmt: skip
                oracle_c.transact(
                    p.meter.functions.postBatch(REGION, d, encode_batch(recs)), "postBatch"
                )
        set_time(anvil.url, start + DAY + int(p.meter.functions.FINALITY_DELAY().call()) + 60)
        yield World(anvil, p, k, consumers, event_id, event_day, activation)


def _net_expected(world: World, cid: int, committed: int) -> tuple[ref.BaselineResult, int]:
    """The test's own recomputation: net readings from the generated days, the walk, the math."""
    days = candidate_days(world.event_day, world.activation_day, set(), set())

    def net(d: int) -> tuple[int, ...]:
        return ref.net_readings(imports(cid, d, world.event_day), exports(cid, d))

    inputs = baseline_inputs(days, net)
    params = ref.BaselineParams(method=ref.Method.TEN_IN_TEN, start_interval=16, end_interval=20)
    result = ref.compute(inputs.days, net(world.event_day), params, inputs.gapped)
    rate = world.p.dr_event(world.event_id).rate
    return result, ref.reward(result.reduction_wh, committed, rate, 5_000, 2_000)


def test_keeper__net_program__settles_one_by_one_equal_to_the_reference(world: World) -> None:
    """N-1..N-3: asked for batches, the keeper settles the net program's enrollments one by one;
    each outcome equals the reference and the test's own net recomputation, to the Wh; consumer 2's
    midday export beyond its import counts as zero, not as a negative load."""
    stats = world.keeper.settle(world.event_id, batch=100)
    assert stats.mismatches == 0 and len(stats.outcomes) == N
    for o in stats.outcomes:
        assert o.sufficient and o.matches_reference
        result, reward = _net_expected(world, o.consumer_id, o.committed_wh)
        assert (o.baseline_wh, o.actual_wh, o.reduction_wh, o.adjustment_bps) == result.as_tuple()
        assert o.reward == reward
    paid = {o.consumer_id: o.reward for o in stats.outcomes}
    assert paid[1] > 0 and paid[3] == 0  # consumer 3 did not reduce: below minimum delivery
    # consumer 1's import-only result differs: its exports are netted off (N-1)
    days = candidate_days(world.event_day, world.activation_day, set(), set())
    only = baseline_inputs(days, lambda d: imports(1, d, world.event_day))
    params = ref.BaselineParams(method=ref.Method.TEN_IN_TEN, start_interval=16, end_interval=20)
    import_only = ref.compute(
        only.days, imports(1, world.event_day, world.event_day), params, only.gapped
    )
    one = next(o for o in stats.outcomes if o.consumer_id == 1)
    assert one.actual_wh == import_only.actual_wh - 150  # its 150 Wh export at 16:00
    assert one.baseline_wh != import_only.baseline_wh
