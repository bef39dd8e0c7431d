"""The keeper's enrollment against a real Anvil (SPECIFICATION.md V-1, V-5, V-7): it enrolls before
the gate, commits at most the program's share of the target, opts out the consumers it enrolled
that withdrew their consent, and sends nothing once the gate has passed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_utils.crypto import keccak
from web3 import Web3

from oracles.agents.keeper import Keeper
from oracles.chain.anvil import Anvil, rpc_call, set_time, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.logs import decode_events
from oracles.chain.rpc import connect
from oracles.chain.signers import NodeSigner
from oracles.indexer.indexer import LogIndexer
from oracles.ops.deploy import DeployConfig, RegionConfig, deploy_protocol
from oracles.protocol.bindings import Enrollment, ProgramParams
from oracles.protocol.contracts import Protocol
from oracles.protocol.enums import EnrollmentStatus

pytestmark = pytest.mark.xdist_group("keeper_enrollment")

REGION, OFFSET, N = 1, -480, 4
TARGET_WH = 10_000
SHARE_BPS = 2_500  # one consumer commits at most 2,500 Wh of the 10,000 Wh target


@dataclass
class World:
    anvil: Anvil
    w3: Web3
    p: Protocol
    keeper: Keeper
    consumers: list[str]
    event_id: int


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with start_anvil(accounts=4, gas_limit=30_000_000, base_fee=0) as anvil:
        w3 = connect(anvil.url)
        admin, verifier, utility, keeper = (str(a) for a in w3.eth.accounts[:4])
        cfg = DeployConfig(
            regions=[RegionConfig(id=REGION, name="Test", capacity_kw=10_000, utc_offset_minutes=OFFSET)],
            verifiers=[verifier], threshold=1, keepers=[keeper], kyc_attesters=[admin],
            deploy_test_token=True,
        )  # fmt: skip
        admin_c, utility_c = (
            ChainClient(w3, NodeSigner(admin)),
            ChainClient(w3, NodeSigner(utility)),
        )
        manifest = deploy_protocol(admin_c, cfg, tmp_path_factory.mktemp("k") / "deployment.json")
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
        params = ProgramParams(token=p.token.address, base_rate=500_000, max_share_bps=SHARE_BPS)
        utility_c.transact(
            p.programs.functions.createProgram(REGION, params.abi(), 10**12), "createProgram"
        )
        rpc_call(anvil.url, "anvil_autoImpersonateAccount", [True])
        consumers: list[str] = []
        for i in range(N):
            account = Web3.to_checksum_address(keccak(text=f"keeper-consumer-{i}")[12:])
            rpc_call(anvil.url, "anvil_setBalance", [account, hex(10**18)])
            ChainClient(w3, NodeSigner(account)).transact(
                p.consumers.functions.register(
                    0, REGION, keccak(text=f"km{i}"), 5_000, 3, (0, 10, 2**24 - 1)
                ),
                "register",
            )
            admin_c.transact(
                p.consumers.functions.activate(account, b"\x01" * 32, b"\x02" * 32), "activate"
            )
            consumers.append(account)
        now = int(w3.eth.get_block("latest")["timestamp"])
        day = (now + 60 * OFFSET) // 86_400 + 3
        receipt = utility_c.transact(
            p.requests.functions.createEvent(1, day, 16, 20, TARGET_WH, 0), "createEvent"
        )
        event_id = int(decode_events(p.requests, "EventCreated", receipt["logs"])[0]["eventId"])
        yield World(
            anvil, w3, p, Keeper(p, ChainClient(w3, NodeSigner(keeper))), consumers, event_id
        )


def _enrollment(world: World, account: str) -> Enrollment:
    call = world.p.requests.functions.enrollment(world.event_id, account).call()
    return Enrollment.model_validate(call)


def test_keeper__enrolls_within_the_share_then_opts_out_withdrawn_consent(world: World) -> None:
    """V-1, V-5, V-7: 80 % of 5 kW x 4 h is 16,000 Wh, above the program's share of the target
    (2,500 Wh): the keeper commits the share. A consumer that withdraws its automated-enrollment
    consent is opted out on the next pass, its reservation released; the others stay."""
    stats = world.keeper.enroll(world.event_id, world.consumers)
    assert sorted(stats.enrolled) == sorted(world.consumers) and not stats.closed
    for a in world.consumers:
        assert _enrollment(world, a).committed_wh == TARGET_WH * SHARE_BPS // 10_000
    leaver = world.consumers[0]
    ChainClient(world.w3, NodeSigner(leaver)).transact(
        world.p.consumers.functions.updateProfile(5_000, 1, (0, 10, 2**24 - 1)), "updateProfile"
    )
    stats = world.keeper.enroll(world.event_id, world.consumers)
    assert stats.opted_out == [leaver] and stats.enrolled == []
    statuses = [_enrollment(world, a).status for a in world.consumers]
    assert statuses == [EnrollmentStatus.None_] + [EnrollmentStatus.Enrolled] * (N - 1)
    assert world.p.dr_event(world.event_id).enrolled == N - 1


def test_keeper__with_the_log_index__reads_the_same_as_from_block_0(
    world: World, tmp_path: Path
) -> None:
    """The keeper's discovery from the shared index equals its reads of every log from block 0,
    and the index reports the event open (live enrollments not yet settled)."""
    index = LogIndexer(world.p, tmp_path / "index.sqlite")
    index.sync()
    indexed = Keeper(world.p, world.keeper.client, index=index)
    assert indexed.active_accounts() == world.keeper.active_accounts() == world.consumers
    assert indexed.enrolled_accounts(world.event_id) == world.keeper.enrolled_accounts(
        world.event_id
    )
    assert indexed.keeper_enrolled(world.event_id) == world.keeper.keeper_enrolled(world.event_id)
    assert indexed.keeper_enrolled(world.event_id) == set(world.consumers)  # all by the keeper
    [(created, unsettled)] = index.view.open_events()
    assert created.event_id == world.event_id and unsettled


def test_keeper__after_the_gate__sends_nothing(world: World) -> None:
    """V-1: from the gate on the keeper neither enrolls nor opts out."""
    gate = int(world.p.requests.functions.enrollmentGate(world.event_id).call())
    set_time(world.anvil.url, gate)
    before = world.w3.eth.block_number
    stats = world.keeper.enroll(world.event_id, world.consumers)
    assert stats.closed and stats.enrolled == [] and stats.opted_out == []
    assert world.w3.eth.block_number == before
