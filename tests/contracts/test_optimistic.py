"""Optimistic settlement: a bonded root of every enrollment's result, challenged by recomputation
through the proof-carrying path, then claimed (SPECIFICATION.md §11, rules O-1..O-12)."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain
from eth_abi.abi import encode
from eth_utils.crypto import keccak

from oracles.reference import optimistic_root as ref
from oracles.reference.baseline import BaselineResult
from tests.contracts.helpers import err, held_for_disputes
from tests.contracts.suite import (
    CHALLENGE_WINDOW,
    REGION,
    ROOT_BOND,
    ROOT_BOND_BPS,
    program_tuple,
)
from tests.contracts.test_settlement import Scenario, activation

SCHEDULED, ROOT_PENDING, ROOT_SETTLED = 1, 4, 5
PENDING, VOIDED, FINALIZED, EXPIRED, POSTING = 1, 2, 3, 4, 5
NOT_ENROLLED, WRONG_RESULT, DUPLICATE_ACCOUNT = 0, 1, 2
SETTLED = 2


def result_of(who, committed_wh: int, r: BaselineResult | None, reward: int) -> ref.Result:
    """The root entry of a reference settlement: insufficient data (None) is 0 Wh (O-2)."""
    return ref.Result(
        account=who.address,
        sufficient=r is not None,
        verified_wh=r.reduction_wh if r else 0,
        reward=reward,
        committed_wh=committed_wh,
    )


class Optimistic:
    """A scenario whose three enrollments have meter data posted, and their true results."""

    def __init__(self, world, utility, oracle, program_id: int = 1) -> None:
        self.sc = Scenario(world, utility, oracle, program_id)
        self.s, self.os, self.rr = world.suite, world.suite.optimistic, world.suite.requests
        self.who = world.consumers[:3]
        commitments = (4_000, 20_000, 400_000)
        for who, wh in zip(self.who, commitments, strict=True):
            self.sc.enroll(who, wh)
        self.sc.post(activation(world) + 1, self.sc.reducing({1: 0.3, 2: 0.8, 3: 1.0}))
        program = self.s.programs.program(program_id).dict()
        self.results = [
            result_of(who, wh, *self.sc.expected(who, program))
            for who, wh in zip(self.who, commitments, strict=True)
        ]

    @property
    def event(self) -> int:
        return self.sc.event

    def tree(self, entries: list[ref.Entry] | None = None) -> ref.RootTree:
        return ref.RootTree(self.event, entries or ref.entries_for(self.results))

    def propose(
        self, tree: ref.RootTree, keeper, count: int | None = None, total: int | None = None
    ):
        """Open the proposal and post every entry of ``tree`` in one transaction (O-2, O-3); the
        postEntries transaction, whose RootPosted event holds the root the contract computed."""
        self.os.propose(
            self.event,
            tree.count if count is None else count,
            tree.total if total is None else total,
            {"from": keeper, "value": ROOT_BOND},
        )
        tx = self.os.postEntries(self.event, ref.pack_entries(tree.entries), {"from": keeper})
        assert tx.events["RootPosted"]["root"] == "0x" + tree.root.hex()
        return tx

    def propose_inflated(self, keeper) -> tuple[ref.RootTree, ref.RootTree, int]:
        """Propose a root with one paid entry's reward inflated by 1 (prefix sums kept consistent).
        Returns the honest tree, the proposed one and the inflated entry's index."""
        honest = self.tree()
        paid = next(i for i, e in enumerate(honest.entries) if e.reward > 0)
        results = list(self.results)
        results[paid] = results[paid].model_copy(update={"reward": results[paid].reward + 1})
        tree = self.tree(ref.entries_for(results))
        self.propose(tree, keeper)
        return honest, tree, paid

    def challenge(self, tree: ref.RootTree, i: int, by, entry: ref.Entry | None = None):
        e = entry or tree.entries[i]
        who = self.who[i] if i < len(self.who) else self.who[0]
        return self.os.challengeEntry(
            self.event, e.as_tuple(), tree.proof(e.index), self.sc.leaves(who), {"from": by}
        )

    def after_window(self) -> None:
        chain.sleep(CHALLENGE_WINDOW + 1)
        chain.mine()


@pytest.fixture
def opt(world, utility, oracle):
    return Optimistic(world, utility, oracle)


def test_leaf_hash_matches_reference(opt):
    """O-2: the contract's leaf of an entry equals the Python reference's, and the reference's proofs
    verify under its root (at their own index only)."""
    tree = opt.tree()
    for e in tree.entries:
        leaf = bytes(opt.os.leafHash(opt.event, e.as_tuple()))
        assert leaf == ref.leaf(opt.event, e)
        assert ref.verify(tree.root, e.index, leaf, tree.proof(e.index))
        assert not ref.verify(tree.root, e.index ^ 1, leaf, tree.proof(e.index))


@pytest.mark.both_profiles
def test_honest_root_is_paid_out_exactly(opt, keeper, stranger, utility):
    """O-3, O-6, O-7: an honest root locks the event, finalizes after the window, pays every entry its
    reference reward exactly once, and releases the rest of the event's reservations."""
    s, tree = opt.s, opt.tree()
    assert tree.total > 0
    reserved = opt.rr.drEvent(opt.event)["reservedOutstanding"]
    program_before = s.escrow.programAccount(1).dict()

    tx = opt.propose(tree, keeper)
    assert opt.os.rootRecord(opt.event)["total"] == tree.total
    assert opt.rr.drEvent(opt.event)["status"] == ROOT_PENDING
    # proof-carrying settlement is closed while the root is pending (O-3)
    with brownie.reverts(err("EventNotSettleable", opt.event, ROOT_PENDING)):
        opt.s.proofs.settle(opt.event, opt.who[0], opt.sc.leaves(opt.who[0]), {"from": stranger})
    with brownie.reverts(
        err("ChallengeWindowOpen", opt.event, tx.events["RootPosted"]["challengeEnds"])
    ):
        opt.os.finalize(opt.event, {"from": stranger})

    opt.after_window()
    tx = opt.os.finalize(opt.event, {"from": stranger})
    assert tx.events["RootFinalized"]["total"] == tree.total
    assert opt.rr.drEvent(opt.event)["status"] == ROOT_SETTLED
    bond = opt.os.tokenBondFor(tree.total)
    assert bond == -(-tree.total * ROOT_BOND_BPS // 10_000) > 0  # ceil(total * bps / 10,000), O-3
    assert s.token.balanceOf(opt.os) == tree.total + bond  # the token bond waits as credit (O-9)
    assert opt.os.tokenBondCredit(keeper, s.token) == bond
    record = opt.os.rootRecord(opt.event).dict()
    assert record["token"] == s.token and record["remaining"] == tree.total
    after = s.escrow.programAccount(1).dict()
    assert after["reserved"] == program_before["reserved"] - reserved
    assert after["paid"] == program_before["paid"] + tree.total
    assert opt.os.bondCredit(keeper) == ROOT_BOND

    for e in tree.entries:
        before = s.token.balanceOf(e.account)
        tx = opt.os.claim(opt.event, e.as_tuple(), tree.proof(e.index), {"from": stranger})
        assert s.token.balanceOf(e.account) - before == e.reward
        assert tx.events["Claimed"]["reward"] == e.reward
        assert opt.os.isClaimed(opt.event, e.index)
        with brownie.reverts(err("AlreadyClaimed", opt.event, e.index)):
            opt.os.claim(opt.event, e.as_tuple(), tree.proof(e.index), {"from": stranger})
    assert s.token.balanceOf(opt.os) == bond
    assert opt.os.rootRecord(opt.event)["remaining"] == 0
    # the event is paid: proof-carrying settlement stays closed (no double payment)
    with brownie.reverts(err("EventNotSettleable", opt.event, ROOT_SETTLED)):
        opt.s.proofs.settle(opt.event, opt.who[0], opt.sc.leaves(opt.who[0]), {"from": stranger})
    before = keeper.balance()
    opt.os.withdrawBond(keeper, {"from": keeper, "gas_price": 0})
    assert keeper.balance() - before == ROOT_BOND
    before = s.token.balanceOf(keeper)
    tx = opt.os.withdrawTokenBond(s.token, keeper, {"from": keeper})
    assert s.token.balanceOf(keeper) - before == bond and s.token.balanceOf(opt.os) == 0
    assert tuple(tx.events["TokenBondWithdrawn"].values()) == (keeper, s.token, keeper, bond)


def test_challenging_an_honest_entry_fails(opt, keeper, stranger):
    """O-4: recomputing a correct entry reverts EntryCorrect and changes nothing."""
    tree = opt.tree()
    opt.propose(tree, keeper)
    for i in range(3):
        with brownie.reverts(err("EntryCorrect", opt.event, i)):
            opt.challenge(tree, i, stranger)
    assert opt.os.rootRecord(opt.event)["status"] == PENDING
    assert opt.rr.drEvent(opt.event)["status"] == ROOT_PENDING
    assert opt.rr.enrollment(opt.event, opt.who[0])["status"] == 1  # still enrolled, not settled
    assert opt.os.bondCredit(stranger) == 0


def test_inflated_entry_is_caught_and_slashed(opt, keeper, stranger):
    """O-4, O-5: one entry's reward inflated (prefix sums kept consistent) is caught by recomputation;
    the bond goes to the challenger, the challenged consumer is settled correctly, and the event returns
    to proof-carrying settlement."""
    honest, tree, paid = opt.propose_inflated(keeper)
    tx = opt.challenge(tree, paid, stranger)
    ev = tx.events["RootVoided"]
    assert (ev["challenger"], ev["fault"], ev["index"]) == (stranger, WRONG_RESULT, paid)
    assert opt.os.rootRecord(opt.event)["status"] == VOIDED
    assert opt.os.bondCredit(stranger) == ROOT_BOND
    assert opt.rr.drEvent(opt.event)["status"] == SCHEDULED
    # the challenge settled the consumer through the proof-carrying path, at the true reward
    en = opt.rr.enrollment(opt.event, opt.who[paid])
    assert (en["status"], en["paid"]) == (SETTLED, honest.entries[paid].reward)
    # everyone else falls back to proof-carrying settlement
    for i, who in enumerate(opt.who):
        if i != paid:
            opt.s.proofs.settle(opt.event, who, opt.sc.leaves(who), {"from": stranger})
            assert opt.rr.enrollment(opt.event, who)["paid"] == honest.entries[i].reward
    before = stranger.balance()
    opt.os.withdrawBond(stranger, {"from": stranger, "gas_price": 0})
    assert stranger.balance() - before == ROOT_BOND


def test_claim_after_void_reverts(opt, keeper, stranger):
    """O-5, O-7: a voided root pays nothing, even after its window."""
    results = list(opt.results)
    results[0] = results[0].model_copy(update={"verified_wh": results[0].verified_wh + 1})
    tree = opt.tree(ref.entries_for(results))
    opt.propose(tree, keeper)
    opt.challenge(tree, 0, stranger)
    opt.after_window()
    with brownie.reverts(err("RootNotInStatus", opt.event, VOIDED)):
        opt.os.claim(opt.event, tree.entries[1].as_tuple(), tree.proof(1), {"from": stranger})
    with brownie.reverts(err("RootNotInStatus", opt.event, VOIDED)):
        opt.os.finalize(opt.event, {"from": stranger})


def _with(entries: list[ref.Entry], i: int, **update: object) -> list[ref.Entry]:
    out = list(entries)
    out[i] = out[i].model_copy(update=update)
    return out


@pytest.mark.parametrize("fault", ["not enrolled", "commitment"])
def test_structural_faults_void_the_root(opt, keeper, stranger, world, fault):
    """O-4, O-5: an entry for an account that is not enrolled (NotEnrolled), or one stating another
    commitment than the enrollment's (WrongResult): voided without recomputation. The index, the
    prefixes and the total are the contract's own (O-2) and cannot be wrong."""
    entries = ref.entries_for(opt.results)
    if fault == "not enrolled":
        entries = _with(entries, 1, account=world.consumers[3].address)
    else:
        entries = _with(entries, 1, committed_wh=entries[1].committed_wh + 1)
    tree = opt.tree(entries)
    opt.propose(tree, keeper)
    tx = opt.challenge(tree, 1, stranger, entry=tree.entries[1])
    assert tx.events["RootVoided"]["fault"] == (
        NOT_ENROLLED if fault == "not enrolled" else WRONG_RESULT
    )
    assert opt.rr.drEvent(opt.event)["status"] == SCHEDULED
    assert opt.os.bondCredit(stranger) == ROOT_BOND
    assert opt.os.tokenBondCredit(stranger, opt.s.token) == opt.os.tokenBondFor(tree.total)
    # nobody was settled by the challenge: everyone settles by proofs
    assert opt.rr.enrollment(opt.event, opt.who[1])["status"] == 1


def test_pair_faults_void_the_root(opt, keeper, stranger):
    """O-4, O-5: one account at two indices."""
    entries = _with(ref.entries_for(opt.results), 2, account=opt.results[0].account)
    tree = opt.tree(entries)
    opt.propose(tree, keeper)
    ea, eb = tree.entries[0], tree.entries[2]
    tx = opt.os.challengePair(
        opt.event, ea.as_tuple(), tree.proof(0), eb.as_tuple(), tree.proof(2), {"from": stranger}
    )
    assert tx.events["RootVoided"]["fault"] == DUPLICATE_ACCOUNT
    assert opt.os.rootRecord(opt.event)["status"] == VOIDED


def test_consistent_pair_challenge_fails(opt, keeper, stranger):
    """O-4: two entries of two accounts prove nothing."""
    tree = opt.tree()
    opt.propose(tree, keeper)
    with brownie.reverts(err("EntryCorrect", opt.event, 1)):
        opt.os.challengePair(
            opt.event,
            tree.entries[0].as_tuple(),
            tree.proof(0),
            tree.entries[1].as_tuple(),
            tree.proof(1),
            {"from": stranger},
        )


def test_propose_guards(opt, keeper, stranger):
    """O-2, O-3: the bond, the proposer role, one entry per enrollment, a total within the event's
    reservations, and one live root per event."""
    tree = opt.tree()
    reserved = opt.rr.drEvent(opt.event)["reservedOutstanding"]
    role = opt.os.PROPOSER_ROLE()
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        opt.os.propose(opt.event, 3, tree.total, {"from": stranger, "value": ROOT_BOND})
    with brownie.reverts(err("WrongBond", 1, ROOT_BOND)):
        opt.os.propose(opt.event, 3, tree.total, {"from": keeper, "value": 1})
    with brownie.reverts(err("WrongCount", opt.event, 2, 3)):
        opt.propose(tree, keeper, count=2)
    with brownie.reverts(err("TotalExceedsReservations", opt.event, reserved + 1, reserved)):
        opt.propose(tree, keeper, total=reserved + 1)
    opt.propose(tree, keeper)
    with brownie.reverts(err("RootExists", opt.event, PENDING)):
        opt.propose(tree, keeper)


def test_propose_too_late_reverts(opt, keeper):
    """O-3: a root must leave two challenge windows before the settlement deadline."""
    deadline = opt.rr.settlementDeadline(opt.event)
    latest = deadline - 2 * CHALLENGE_WINDOW
    chain.sleep(latest - chain.time() + 10)
    chain.mine()
    with brownie.reverts(err("TooLateForRoot", opt.event, latest)):
        opt.propose(opt.tree(), keeper)


def test_challenge_after_window_reverts(opt, keeper, stranger):
    """O-4: the window is the only time a root can be challenged."""
    results = list(opt.results)
    results[0] = results[0].model_copy(update={"reward": results[0].reward + 1})
    tree = opt.tree(ref.entries_for(results))
    tx = opt.propose(tree, keeper)
    opt.after_window()
    with brownie.reverts(
        err("ChallengeWindowClosed", opt.event, tx.events["RootPosted"]["challengeEnds"])
    ):
        opt.challenge(tree, 0, stranger)


def test_claim_with_a_wrong_proof_reverts(opt, keeper, stranger):
    """O-7: an entry must be at its index under the root."""
    tree = opt.tree()
    opt.propose(tree, keeper)
    opt.after_window()
    opt.os.finalize(opt.event, {"from": stranger})
    forged = tree.entries[0].model_copy(update={"reward": tree.entries[0].reward + 1})
    with brownie.reverts(err("InvalidEntryProof", opt.event, 0)):
        opt.os.claim(opt.event, forged.as_tuple(), tree.proof(0), {"from": stranger})
    with brownie.reverts(err("InvalidEntryProof", opt.event, 1)):
        opt.os.claim(opt.event, tree.entries[1].as_tuple(), tree.proof(0), {"from": stranger})


def test_pay_batch_pays_each_entry_once(opt, keeper, stranger):
    """O-8: a batch pays every unpaid entry and skips paid ones."""
    tree = opt.tree()
    opt.propose(tree, keeper)
    opt.after_window()
    opt.os.finalize(opt.event, {"from": stranger})
    e0 = tree.entries[0]
    opt.os.claim(opt.event, e0.as_tuple(), tree.proof(0), {"from": stranger})
    before = [opt.s.token.balanceOf(e.account) for e in tree.entries]
    indices = [e.index for e in tree.entries]
    # attack: one entry's reward raised by 1; the multiproof no longer reaches the root
    raised = tree.entries[-1].model_copy(update={"reward": tree.entries[-1].reward + 1})
    forged = ref.pack_batch([*tree.entries[:-1], raised])
    with brownie.reverts(err("InvalidBatchProof", opt.event)):
        opt.os.payBatch(opt.event, forged, tree.multiproof(indices), {"from": keeper})
    tx = opt.os.payBatch(
        opt.event, ref.pack_batch(tree.entries), tree.multiproof(indices), {"from": keeper}
    )
    paid = [e for e in tree.entries if e.index != 0]
    assert tuple(tx.events["BatchClaimed"].values()) == (opt.event, 2, sum(e.reward for e in paid))
    for e, b in zip(tree.entries, before, strict=True):
        assert opt.s.token.balanceOf(e.account) - b == (0 if e.index == 0 else e.reward)
        assert opt.os.isClaimed(opt.event, e.index)
    assert opt.s.token.balanceOf(opt.os) == opt.os.tokenBondCredit(keeper, opt.s.token)


def test_attack_double_claim__every_entry_paid_once(opt, keeper, stranger):
    """O-6..O-8: every way of being paid twice fails. A second claim reverts; the same entry twice in
    one batch is paid once; a batch after claims skips them; a claim after the batch reverts; the
    batch again pays nothing. Each account ends with exactly its reward."""
    s, tree = opt.s, opt.tree()
    opt.propose(tree, keeper)
    opt.after_window()
    opt.os.finalize(opt.event, {"from": stranger})
    before = {e.account: s.token.balanceOf(e.account) for e in tree.entries}
    e0, e1 = tree.entries[0], tree.entries[1]

    opt.os.claim(opt.event, e0.as_tuple(), tree.proof(0), {"from": opt.who[0]})
    with brownie.reverts(err("AlreadyClaimed", opt.event, 0)):
        opt.os.claim(opt.event, e0.as_tuple(), tree.proof(0), {"from": stranger})
    # the same entry twice in one batch: indices must strictly increase, so the batch is refused
    with brownie.reverts(err("InvalidBatchProof", opt.event)):
        opt.os.payBatch(opt.event, ref.pack_batch([e1, e1]), tree.proof(1) * 2, {"from": keeper})
    tx = opt.os.payBatch(opt.event, ref.pack_batch([e1]), tree.multiproof([1]), {"from": keeper})
    assert (tx.events["BatchClaimed"]["entries"], tx.events["BatchClaimed"]["total"]) == (
        1,
        e1.reward,
    )
    everyone = (
        ref.pack_batch(tree.entries),
        tree.multiproof([e.index for e in tree.entries]),
    )
    tx = opt.os.payBatch(opt.event, *everyone, {"from": keeper})
    e2 = tree.entries[2]
    assert (tx.events["BatchClaimed"]["entries"], tx.events["BatchClaimed"]["total"]) == (
        1,
        e2.reward,
    )
    assert s.token.balanceOf(e2.account) - before[e2.account] == e2.reward
    with brownie.reverts(err("AlreadyClaimed", opt.event, 1)):
        opt.os.claim(opt.event, e1.as_tuple(), tree.proof(1), {"from": opt.who[1]})
    tx = opt.os.payBatch(opt.event, *everyone, {"from": keeper})
    assert tx.events["BatchClaimed"]["entries"] == 0

    for e in tree.entries:
        assert s.token.balanceOf(e.account) - before[e.account] == e.reward
    assert s.token.balanceOf(opt.os) == opt.os.tokenBondCredit(keeper, s.token)
    assert opt.os.rootRecord(opt.event)["remaining"] == 0


def test_root_transitions__only_optimistic_role(opt, stranger):
    """O-3, O-5, O-6: only OPTIMISTIC_ROLE locks, unlocks or pays an event by root (the authorized
    path is the contract itself, exercised by every test above, and the holder test below)."""
    role = opt.rr.OPTIMISTIC_ROLE()
    for fn, args in (
        ("lockForRoot", (opt.event,)),
        ("unlockRoot", (opt.event,)),
        ("payRoot", (opt.event, 0)),
    ):
        with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
            getattr(opt.rr, fn)(*args, {"from": stranger})


def test_root_transitions__each_from_its_status(opt, admin, stranger):
    """O-3: lock only a Scheduled event with nothing settled; O-5: unlock and O-6: pay only a locked
    one. Each transition emits its event; a payment above the reservations is refused by the escrow."""
    rr, e = opt.rr, opt.event
    rr.grantRole(rr.OPTIMISTIC_ROLE(), stranger, {"from": admin})
    for fn, args in (("unlockRoot", (e,)), ("payRoot", (e, 0))):
        with brownie.reverts(err("EventNotSettleable", e, SCHEDULED)):
            getattr(rr, fn)(*args, {"from": stranger})
    tx = rr.lockForRoot(e, {"from": stranger})
    assert tx.events["RootLocked"]["eventId"] == e and rr.drEvent(e)["status"] == ROOT_PENDING
    with brownie.reverts(err("EventNotSettleable", e, ROOT_PENDING)):
        rr.lockForRoot(e, {"from": stranger})
    tx = rr.unlockRoot(e, {"from": stranger})
    assert tx.events["RootUnlocked"]["eventId"] == e and rr.drEvent(e)["status"] == SCHEDULED
    rr.lockForRoot(e, {"from": stranger})
    ev = rr.drEvent(e)
    pid, reserved = ev["programId"], ev["reservedOutstanding"]
    held = opt.s.escrow.programAccount(pid)["reserved"]
    with brownie.reverts(err("ExceedsReservation", pid, reserved + 1, held)):
        rr.payRoot(e, reserved + 1, {"from": stranger})
    before = opt.s.token.balanceOf(stranger)
    tx = rr.payRoot(e, reserved, {"from": stranger})
    assert tx.events["RootPaid"]["total"] == reserved
    ev = rr.drEvent(e)
    assert ev["status"] == ROOT_SETTLED and ev["reservedOutstanding"] == 0
    assert ev["settled"] == ev["enrolled"]
    assert opt.s.token.balanceOf(stranger) - before == reserved


def test_constructor_rejects_bad_window(admin, suite):
    """O-1: the challenge window is between 1 second and 3 days."""
    from brownie import OptimisticSettlement

    for window in (0, 3 * 86_400 + 1):
        with brownie.reverts(err("InvalidChallengeWindow", window)):
            OptimisticSettlement.deploy(
                admin,
                suite.requests,
                suite.consumers,
                suite.meter,
                suite.proofs,
                suite.programs,
                ROOT_BOND,
                ROOT_BOND_BPS,
                window,
                {"from": admin},
            )


@pytest.fixture
def harness(OptimisticSettlementHarness, suite, admin):
    h = OptimisticSettlementHarness.deploy(
        admin, suite.requests, suite.consumers, suite.meter, suite.programs, {"from": admin}
    )
    suite.consumers.grantRole(suite.consumers.SETTLEMENT_ROLE(), h, {"from": admin})  # O-10
    return h


def _seeded(harness, token, admin, accounts, total_short_by: int) -> ref.RootTree:
    results = [
        ref.Result(
            account=a.address,
            sufficient=True,
            verified_wh=1_000 * (i + 1),
            reward=10**6 * (i + 1),
            committed_wh=2_000,
        )
        for i, a in enumerate(accounts)
    ]
    tree = ref.RootTree(77, ref.entries_for(results))
    total = tree.total - total_short_by
    harness.seedFinalized(tree.event_id, tree.root, tree.count, total, token, {"from": admin})
    token.mint(harness, total, {"from": admin})
    return tree


def test_claims_never_exceed_the_root_total(
    harness, stablecoin, admin, stranger, consumer_accounts
):
    """O-7: a finalized root whose entries add up to more than its total (one no challenge caught)
    pays until `remaining` runs out; the entry that would overdraw reverts TotalExceeded, so the
    contract never pays one event's root from another event's funds."""
    tree = _seeded(harness, stablecoin, admin, consumer_accounts[:4], total_short_by=1)
    for e in tree.entries[:-1]:
        harness.claim(tree.event_id, e.as_tuple(), tree.proof(e.index), {"from": stranger})
    last = tree.entries[-1]
    with brownie.reverts(err("TotalExceeded", tree.event_id, last.reward, last.reward - 1)):
        harness.claim(tree.event_id, last.as_tuple(), tree.proof(last.index), {"from": stranger})
    assert not harness.isClaimed(tree.event_id, last.index)
    assert harness.rootRecord(tree.event_id)["remaining"] == last.reward - 1
    assert stablecoin.balanceOf(harness) == last.reward - 1


def test_claim_before_finalization_reverts(opt, keeper, stranger):
    """O-7: a pending root pays nothing (its token is set on finalization only)."""
    tree = opt.tree()
    opt.propose(tree, keeper)
    with brownie.reverts(err("RootNotInStatus", opt.event, PENDING)):
        opt.os.claim(opt.event, tree.entries[0].as_tuple(), tree.proof(0), {"from": stranger})
    assert opt.os.rootRecord(opt.event)["token"] == "0x" + "00" * 20


def test_pay_batch_defers_a_refused_transfer(
    harness, BlocklistToken, admin, keeper, consumer_accounts
):
    """O-8: a transfer the token refuses leaves that entry unpaid and claimable, with its reward back
    in `remaining`; the other entries are paid; the entry is claimed once the recipient can receive."""
    token = BlocklistToken.deploy({"from": admin})
    tree = _seeded(harness, token, admin, consumer_accounts[:3], total_short_by=0)
    blocked = tree.entries[1]
    token.setBlocked(blocked.account, True, {"from": admin})
    tx = harness.payBatch(
        tree.event_id,
        ref.pack_batch(tree.entries),
        tree.multiproof([e.index for e in tree.entries]),
        {"from": keeper},
    )
    assert tx.events["PaymentDeferred"]["index"] == blocked.index
    assert tx.events["BatchClaimed"]["entries"] == 2
    assert not harness.isClaimed(tree.event_id, blocked.index)
    assert harness.rootRecord(tree.event_id)["remaining"] == blocked.reward
    token.setBlocked(blocked.account, False, {"from": admin})
    harness.claim(tree.event_id, blocked.as_tuple(), tree.proof(blocked.index), {"from": keeper})
    assert token.balanceOf(blocked.account) == blocked.reward
    assert harness.rootRecord(tree.event_id)["remaining"] == 0
    assert token.balanceOf(harness) == 0


def test_reentrant_token_cannot_claim_twice(
    harness, ReentrantToken, admin, stranger, consumer_accounts
):
    """O-7 without a lock: a token that re-enters `claim` with the same entry during the transfer
    finds the claim bit already set (AlreadyClaimed), so the entry is paid exactly once."""
    token = ReentrantToken.deploy({"from": admin})
    tree = _seeded(harness, token, admin, consumer_accounts[:2], total_short_by=0)
    e = tree.entries[0]
    args = (tree.event_id, e.as_tuple(), tree.proof(e.index))
    token.arm(harness, harness, harness.claim.encode_input(*args), {"from": admin})
    harness.claim(*args, {"from": stranger})
    assert token.attacked() and not token.reentrySucceeded()
    selector = keccak(b"AlreadyClaimed(uint256,uint32)")[:4]
    expected = selector + encode(["uint256", "uint32"], [tree.event_id, e.index])
    assert bytes(token.reentryRevertData()) == expected
    assert token.balanceOf(e.account) == e.reward
    assert harness.rootRecord(tree.event_id)["remaining"] == tree.total - e.reward


# ------------------------------------------------------------------ attacks on the payout paths


def _bond_held_by_contract(opt, AttackReceiver, admin, keeper):
    """An inflated root, caught by a challenge sent from an AttackReceiver: the contract account
    holds the bond credit (O-5)."""
    _, tree, paid = opt.propose_inflated(keeper)
    receiver = AttackReceiver.deploy({"from": admin})
    e = tree.entries[paid]
    challenge = opt.os.challengeEntry.encode_input(
        opt.event, e.as_tuple(), tree.proof(e.index), opt.sc.leaves(opt.who[paid])
    )
    receiver.execute(opt.os, challenge, {"from": admin})
    assert opt.os.bondCredit(receiver) == ROOT_BOND
    return receiver


def test_attack_reentrant_receiver__withdraw_bond__paid_once(opt, AttackReceiver, admin, keeper):
    """O-9: a challenger contract that re-enters withdrawBond when the ether arrives is refused by the
    lock (the credit is already zero as well); the bond is paid exactly once."""
    receiver = _bond_held_by_contract(opt, AttackReceiver, admin, keeper)
    withdraw = opt.os.withdrawBond.encode_input(receiver)
    receiver.arm(opt.os, withdraw, {"from": admin})
    before = receiver.balance()
    receiver.execute(opt.os, withdraw, {"from": admin})
    assert receiver.attacked() and not receiver.reentrySucceeded()
    assert bytes(receiver.reentryRevertData()) == keccak(b"ReentrancyGuardReentrantCall()")[:4]
    assert receiver.balance() - before == ROOT_BOND
    assert opt.os.bondCredit(receiver) == 0


def test_attack_reverting_receiver__withdraw_bond__credit_kept_then_sent_elsewhere(
    opt, AttackReceiver, admin, keeper, stranger
):
    """O-9: a challenger contract that refuses ether cannot lose its bond: the push reverts and the
    credit stays; the contract then names another recipient. Zero address and no credit are refused."""
    receiver = _bond_held_by_contract(opt, AttackReceiver, admin, keeper)
    receiver.setRejecting(True, {"from": admin})
    with brownie.reverts(err("Rejected")):
        receiver.execute(opt.os, opt.os.withdrawBond.encode_input(receiver), {"from": admin})
    assert opt.os.bondCredit(receiver) == ROOT_BOND
    with brownie.reverts(err("InvalidBondRecipient")):
        receiver.execute(
            opt.os, opt.os.withdrawBond.encode_input(brownie.ZERO_ADDRESS), {"from": admin}
        )
    before = stranger.balance()
    tx = receiver.execute(opt.os, opt.os.withdrawBond.encode_input(stranger), {"from": admin})
    assert stranger.balance() - before == ROOT_BOND
    assert opt.os.bondCredit(receiver) == 0
    ev = tx.events["BondWithdrawn"]
    assert (ev["account"], ev["to"], ev["amount"]) == (receiver, stranger, ROOT_BOND)
    with brownie.reverts(err("NoBondCredit", stranger)):
        opt.os.withdrawBond(stranger, {"from": stranger})


def test_attack_reentrant_token__pay_batch_reenters_claim__each_entry_paid_once(
    harness, ReentrantToken, admin, stranger, consumer_accounts
):
    """O-7, O-8: while payBatch pays entry 0, the token claims entry 1 (claim takes no lock). The
    batch set every claim bit before its first transfer, so the claim reverts AlreadyClaimed and the
    batch pays entry 1 itself: every entry is paid exactly once and `remaining` falls by exactly the
    rewards paid."""
    token = ReentrantToken.deploy({"from": admin})
    tree = _seeded(harness, token, admin, consumer_accounts[:3], total_short_by=0)
    e0, e1 = tree.entries[0], tree.entries[1]
    token.arm(
        harness,
        harness,
        harness.claim.encode_input(tree.event_id, e1.as_tuple(), tree.proof(e1.index)),
        {"from": admin},
    )
    proof = tree.multiproof([e.index for e in tree.entries])
    tx = harness.payBatch(tree.event_id, ref.pack_batch(tree.entries), proof, {"from": stranger})
    assert token.attacked() and not token.reentrySucceeded()
    assert bytes(token.reentryRevertData())[:4] == keccak(b"AlreadyClaimed(uint256,uint32)")[:4]
    assert "Claimed" not in tx.events
    e2 = tree.entries[2]
    assert (tx.events["BatchClaimed"]["entries"], tx.events["BatchClaimed"]["total"]) == (
        3,
        e0.reward + e1.reward + e2.reward,
    )
    for e in tree.entries:
        assert token.balanceOf(e.account) == e.reward
    assert harness.rootRecord(tree.event_id)["remaining"] == 0
    assert token.balanceOf(harness) == 0


def _token_program(world, utility, admin, Token) -> tuple[object, int]:
    """A new test token of contract ``Token``, allowlisted, minted to the utility and approved to the
    escrow; a program paying in it (its id)."""
    s = world.suite
    token = Token.deploy({"from": admin})
    s.escrow.setTokenAllowed(token, True, {"from": admin})
    token.mint(utility, 10**15, {"from": utility})
    token.approve(s.escrow, 2**255, {"from": utility})
    keeper = next(
        a for a in brownie.accounts if s.optimistic.hasRole(s.optimistic.PROPOSER_ROLE(), a)
    )
    token.mint(keeper, 10**15, {"from": keeper})  # the token part of root bonds (O-3)
    token.approve(s.optimistic, 2**255, {"from": keeper})
    pid = s.programs.createProgram(
        REGION, program_tuple(token), 10**9, {"from": utility}
    ).return_value
    return token, pid


@pytest.mark.parametrize("reenters", ["claim", "finalize"])
def test_attack_reentrant_program_token__finalize_reentered__nothing_paid_twice(
    world, utility, oracle, keeper, stranger, admin, ReentrantToken, reenters
):
    """O-6, O-7: a program whose token calls back while the escrow pays the root's total into this
    contract, which already holds other events' funds in that token.

    * Re-entering `claim`: the root is already Finalized, so the claim pays an entry from the other
      events' funds, but `finalize` then finds total - reward received and reverts FundsNotReceived:
      the whole call unwinds, nothing is paid, the root stays Pending and the other funds stay.
    * Re-entering `finalize`: ReentrancyGuardReentrantCall; the outer call finalizes once.
    """
    s = world.suite
    token, pid = _token_program(world, utility, admin, ReentrantToken)
    opt = Optimistic(world, utility, oracle, program_id=pid)
    tree = opt.tree()
    opt.propose(tree, keeper)
    opt.after_window()
    # what other finalized events of this token left to claim, and this root's token bond (O-3)
    other_funds = 10**12 + opt.os.tokenBondFor(tree.total)
    token.mint(s.optimistic, 10**12, {"from": admin})
    e = next(x for x in tree.entries if x.reward > 0)
    args = (opt.event, e.as_tuple(), tree.proof(e.index))
    payload = (
        s.optimistic.claim.encode_input(*args)
        if reenters == "claim"
        else s.optimistic.finalize.encode_input(opt.event)
    )
    token.arm(s.escrow, s.optimistic, payload, {"from": admin})
    if reenters == "claim":
        with brownie.reverts(err("FundsNotReceived", opt.event, tree.total, tree.total - e.reward)):
            s.optimistic.finalize(opt.event, {"from": stranger})
        assert opt.os.rootRecord(opt.event)["status"] == PENDING
        assert token.balanceOf(e.account) == 0 and not opt.os.isClaimed(opt.event, e.index)
        assert token.balanceOf(s.optimistic) == other_funds
        assert opt.os.bondCredit(keeper) == 0
        return
    opt.os.finalize(opt.event, {"from": stranger})
    assert token.attacked() and not token.reentrySucceeded()
    assert bytes(token.reentryRevertData()) == keccak(b"ReentrancyGuardReentrantCall()")[:4]
    assert opt.os.rootRecord(opt.event)["status"] == FINALIZED
    assert token.balanceOf(s.optimistic) == other_funds + tree.total
    assert opt.os.bondCredit(keeper) == ROOT_BOND  # credited once
    opt.os.claim(*args, {"from": stranger})
    assert token.balanceOf(e.account) == e.reward


def test_fee_on_transfer_root_cannot_finalize__expires_and_consumers_settle(
    world, utility, oracle, keeper, stranger, admin, FeeOnTransferToken
):
    """O-6, O-12: with a token that charges a transfer fee, the escrow's payment of `total` arrives
    short, so `finalize` reverts FundsNotReceived every time. Half a window after the challenge
    window anyone expires the root: the proposer's bond comes back, the event returns to Scheduled,
    and proof-carrying settlement pays the consumers (the reservations are not locked for good)."""
    token, pid = _token_program(world, utility, admin, FeeOnTransferToken)
    opt = Optimistic(world, utility, oracle, program_id=pid)
    tree = opt.tree()
    assert tree.total > 0
    ends = opt.propose(tree, keeper).events["RootPosted"]["challengeEnds"]
    opt.after_window()
    fee = tree.total * token.FEE_BPS() // 10_000
    with brownie.reverts(err("FundsNotReceived", opt.event, tree.total, tree.total - fee)):
        opt.os.finalize(opt.event, {"from": stranger})
    expires_at = ends + CHALLENGE_WINDOW // 2
    with brownie.reverts(err("TooEarlyToExpire", opt.event, expires_at)):
        opt.os.expire(opt.event, {"from": stranger})

    chain.sleep(CHALLENGE_WINDOW // 2)
    chain.mine()
    tx = opt.os.expire(opt.event, {"from": stranger})
    assert tx.events["RootExpired"]["proposer"] == keeper
    assert opt.os.rootRecord(opt.event)["status"] == EXPIRED
    assert opt.rr.drEvent(opt.event)["status"] == SCHEDULED
    assert opt.os.bondCredit(keeper) == ROOT_BOND and opt.os.bondCredit(stranger) == 0
    # the expired root pays nothing and cannot be finalized or expired again
    paid = next(e for e in tree.entries if e.reward > 0)
    with brownie.reverts(err("RootNotInStatus", opt.event, EXPIRED)):
        opt.os.claim(opt.event, paid.as_tuple(), tree.proof(paid.index), {"from": stranger})
    for fn in (opt.os.finalize, opt.os.expire):
        with brownie.reverts(err("RootNotInStatus", opt.event, EXPIRED)):
            fn(opt.event, {"from": stranger})

    # proof-carrying settlement pays each consumer its reference reward (less the token's own fee)
    for who, result in zip(opt.who, opt.results, strict=True):
        tx = opt.s.proofs.settle(opt.event, who, opt.sc.leaves(who), {"from": stranger})
        reward = tx.events["Settled"]["reward"] if result.sufficient else 0
        assert reward == result.reward
        assert token.balanceOf(who) == reward - reward * token.FEE_BPS() // 10_000
    # D-4: only the unpaid parts stay reserved, for disputes, until the event closes
    held = held_for_disputes(opt.rr, opt.event, opt.who)
    assert opt.rr.drEvent(opt.event)["reservedOutstanding"] == held


def test_expire__only_a_pending_root_and_only_after_its_time(opt, keeper, stranger):
    """O-12, the pair for `expire` (anyone may call it, so what it refuses is the state): no root,
    a pending root before half a window past its challenge window, and a finalized root all revert;
    an honest root nobody finalized in time expires, and the consumers then settle as the
    reference says."""
    with brownie.reverts(err("RootNotInStatus", opt.event, 0)):
        opt.os.expire(opt.event, {"from": stranger})
    tree = opt.tree()
    ends = opt.propose(tree, keeper).events["RootPosted"]["challengeEnds"]
    with brownie.reverts(err("TooEarlyToExpire", opt.event, ends + CHALLENGE_WINDOW // 2)):
        opt.os.expire(opt.event, {"from": stranger})
    chain.sleep(CHALLENGE_WINDOW + CHALLENGE_WINDOW // 2 + 1)
    chain.mine()
    opt.os.expire(opt.event, {"from": stranger})
    assert opt.os.rootRecord(opt.event)["status"] == EXPIRED
    for who, result in zip(opt.who, opt.results, strict=True):
        opt.s.proofs.settle(opt.event, who, opt.sc.leaves(who), {"from": stranger})
        en = opt.rr.enrollment(opt.event, who)
        assert (en["status"] == SETTLED, en["paid"]) == (result.sufficient, result.reward)


def test_expire_refused_for_a_finalized_root(opt, keeper, stranger):
    """O-12: a finalized root is paid into this contract; it never expires."""
    opt.propose(opt.tree(), keeper)
    opt.after_window()
    opt.os.finalize(opt.event, {"from": stranger})
    chain.sleep(CHALLENGE_WINDOW)
    chain.mine()
    with brownie.reverts(err("RootNotInStatus", opt.event, FINALIZED)):
        opt.os.expire(opt.event, {"from": stranger})
