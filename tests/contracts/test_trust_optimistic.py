"""Trust layer f01 and property P1 (issue 22): every entry of an optimistic root is sent to the
contract, which computes the root itself, so no paid entry can be hidden; any enrolled consumer left
out and any payee not enrolled is caught by a challenge; the bond has a part sized to the root's
total; batch payments write track records like proof-carrying settlement (SPECIFICATION.md §11,
O-2, O-3, O-4, O-10, O-13; §12 threat table)."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain

from oracles.reference import optimistic_root as ref
from oracles.reference.baseline_days import reliability
from tests.contracts.helpers import err
from tests.contracts.suite import CHALLENGE_WINDOW, ROOT_BOND, ROOT_BOND_BPS
from tests.contracts.test_optimistic import (
    EXPIRED,
    NOT_ENROLLED,
    PENDING,
    POSTING,
    ROOT_PENDING,
    SCHEDULED,
    VOIDED,
    Optimistic,
)


@pytest.fixture
def opt(world, utility, oracle):
    return Optimistic(world, utility, oracle)


def _open(opt: Optimistic, keeper, count: int = 3, total: int | None = None):
    total = opt.tree().total if total is None else total
    return opt.os.propose(opt.event, count, total, {"from": keeper, "value": ROOT_BOND})


def _thief_entries(opt: Optimistic, thief) -> tuple[list[ref.Entry], int]:
    """The f01 root: the honest consumer with the largest reward replaced by a fresh address paid
    almost all of the event's reservations; the other entries honest. Returns the entries and the
    thief's index."""
    reserved = opt.rr.drEvent(opt.event)["reservedOutstanding"]
    victim = max(range(3), key=lambda i: opt.results[i].reward)
    others = sum(r.reward for i, r in enumerate(opt.results) if i != victim)
    results = list(opt.results)
    results[victim] = ref.Result(
        account=thief.address,
        sufficient=True,
        verified_wh=results[victim].verified_wh,
        reward=reserved - others - 1,
        committed_wh=results[victim].committed_wh,
    )
    return ref.entries_for(results), victim


def test_attack_f01_hidden_entry__every_entry_posted__thief_caught_honest_paid(
    opt, keeper, stranger, consumer_accounts
):
    """f01 (O-2, O-3, O-4): the attack of the audit, step by step, against the new rules.

    1. Leaving the honest consumer out by proposing fewer entries: `WrongCount`.
    2. Keeping the thief's entry unpublished: impossible, the contract takes no root, only entries;
       with the thief's entry not sent the proposal stays Posting and never finalizes or pays.
    3. Sending it: anyone reads it from the calldata, one challenge voids the root (`NotEnrolled`),
       both bonds go to the challenger, and the honest consumer settles by proofs and is paid.
    """
    thief = consumer_accounts[9]  # a fresh address, never registered
    entries, victim = _thief_entries(opt, thief)
    bad = ref.RootTree(opt.event, entries)
    honest = opt.tree()
    assert bad.entries[victim].reward > 10 * honest.total  # almost all of the reservations

    # 1. one entry fewer than the enrollments
    with brownie.reverts(err("WrongCount", opt.event, 2, 3)):
        _open(opt, keeper, count=2, total=bad.total)

    # 2. the thief's entry withheld: the published two are correct, but no root exists
    _open(opt, keeper, total=bad.total)
    if victim:  # the entries before the thief's; posting is in index order
        opt.os.postEntries(opt.event, ref.pack_entries(bad.entries[:victim]), {"from": keeper})
    record = opt.os.rootRecord(opt.event).dict()
    assert record["status"] == POSTING and record["root"] == "0x" + "00" * 32
    opt.after_window()
    with brownie.reverts(err("RootNotInStatus", opt.event, POSTING)):
        opt.os.finalize(opt.event, {"from": stranger})
    with brownie.reverts(err("RootNotInStatus", opt.event, POSTING)):
        opt.os.claim(opt.event, bad.entries[victim].as_tuple(), bad.proof(victim), {"from": thief})
    opt.os.expire(opt.event, {"from": stranger})
    assert opt.os.rootRecord(opt.event)["status"] == EXPIRED
    assert opt.rr.drEvent(opt.event)["status"] == SCHEDULED

    # 3. every entry sent: the thief's entry is in the calldata, for anyone to read and challenge
    _open(opt, keeper, total=bad.total)
    tx = opt.os.postEntries(opt.event, ref.pack_entries(bad.entries), {"from": keeper})
    assert tx.events["RootPosted"]["root"] == "0x" + bad.root.hex()
    _, args = opt.os.decode_input(tx.input)
    read = ref.unpack_entries(bytes(args[1]))
    assert read == bad.entries
    tx = opt.os.challengeEntry(
        opt.event, read[victim].as_tuple(), bad.proof(victim), [], {"from": stranger}
    )
    ev = tx.events["RootVoided"]
    assert (ev["challenger"], ev["fault"], ev["index"]) == (stranger, NOT_ENROLLED, victim)
    assert opt.os.bondCredit(stranger) == ROOT_BOND
    assert opt.os.tokenBondCredit(stranger, opt.s.token) == opt.os.tokenBondFor(bad.total)
    # the honest consumer settles by proofs and gets exactly its reference reward; the thief nothing
    who = opt.who[victim]
    before = opt.s.token.balanceOf(who)
    opt.s.proofs.settle(opt.event, who, opt.sc.leaves(who), {"from": stranger})
    assert opt.s.token.balanceOf(who) - before == opt.results[victim].reward > 0
    assert opt.s.token.balanceOf(thief) == 0


@pytest.mark.parametrize("filler", ["duplicate", "not enrolled"])
def test_attack_f01_left_out_consumer__its_slot_holds_a_duplicate_or_a_stranger__caught(
    opt, keeper, stranger, consumer_accounts, filler
):
    """O-2, O-4: `count` = the enrollments and every entry is on chain, so a root that leaves an
    enrolled consumer out fills its slot with an account paid twice (`DuplicateAccount`) or with an
    account that is not enrolled (`NotEnrolled`); either is one challenge away, and voids the root."""
    left_out = 1
    results = list(opt.results)
    other = consumer_accounts[8] if filler == "not enrolled" else opt.who[0]
    results[left_out] = results[left_out].model_copy(update={"account": other.address})
    tree = opt.tree(ref.entries_for(results))
    opt.propose(tree, keeper)
    if filler == "duplicate":
        a, b = tree.entries[0], tree.entries[left_out]
        tx = opt.os.challengePair(
            opt.event, a.as_tuple(), tree.proof(0), b.as_tuple(), tree.proof(1), {"from": stranger}
        )
    else:
        e = tree.entries[left_out]
        tx = opt.os.challengeEntry(opt.event, e.as_tuple(), tree.proof(1), [], {"from": stranger})
    assert tx.events["RootVoided"]["index"] == left_out
    assert opt.os.rootRecord(opt.event)["status"] == VOIDED
    who = opt.who[left_out]
    opt.s.proofs.settle(opt.event, who, opt.sc.leaves(who), {"from": stranger})
    assert opt.rr.enrollment(opt.event, who)["paid"] == opt.results[left_out].reward


@pytest.mark.parametrize("chunks", [(3,), (1, 2), (2, 1), (1, 1, 1)])
def test_p1_root_is_computed_by_the_contract_from_the_posted_entries(opt, keeper, chunks):
    """P1, O-2: whatever the chunking, the contract numbers the entries, sums them, and computes the
    reference's root (a three-entry tree: one padded position); the window starts with the last."""
    tree = opt.tree()
    _open(opt, keeper)
    first = 0
    for n in chunks:
        part = tree.entries[first : first + n]
        tx = opt.os.postEntries(opt.event, ref.pack_entries(part), {"from": keeper})
        first += n
        ev = tx.events["EntriesPosted"]
        assert (ev["eventId"], ev["firstIndex"], ev["entries"]) == (opt.event, first - n, n)
        record = opt.os.rootRecord(opt.event).dict()
        assert (record["posted"], record["postedTotal"]) == (
            first,
            part[-1].reward_before + part[-1].reward,
        )
        if first < tree.count:
            assert record["status"] == POSTING and "RootPosted" not in tx.events
    assert record["status"] == PENDING
    assert record["root"] == "0x" + tree.root.hex()
    assert (
        tx.events["RootPosted"]["challengeEnds"]
        == record["challengeEnds"]
        == tx.timestamp + CHALLENGE_WINDOW
    )


def test_p1_unsent_entries__never_finalized__expire_at_post_by(opt, keeper, stranger):
    """P1, O-3, O-12: a proposal whose entries were not all sent has no root: it cannot be
    challenged, finalized or claimed. It must complete within one challenge window
    (`PostingClosed` after); then anyone expires it, both bonds go back to the proposer (no fault was
    proven), and the event returns to proof-carrying settlement."""
    tree = opt.tree()
    tx = _open(opt, keeper)
    post_by = tx.events["RootProposed"]["postBy"]
    assert post_by == tx.timestamp + CHALLENGE_WINDOW
    opt.os.postEntries(opt.event, ref.pack_entries(tree.entries[:2]), {"from": keeper})
    e = tree.entries[0]
    with brownie.reverts(err("RootNotInStatus", opt.event, POSTING)):
        opt.os.challengeEntry(opt.event, e.as_tuple(), tree.proof(0), [], {"from": stranger})
    with brownie.reverts(err("RootNotInStatus", opt.event, POSTING)):
        opt.os.finalize(opt.event, {"from": stranger})
    with brownie.reverts(err("TooEarlyToExpire", opt.event, post_by)):
        opt.os.expire(opt.event, {"from": stranger})
    with brownie.reverts(err("RootExists", opt.event, POSTING)):
        _open(opt, keeper)
    chain.sleep(post_by - chain.time() + 1)
    chain.mine()
    with brownie.reverts(err("PostingClosed", opt.event, post_by)):
        opt.os.postEntries(opt.event, ref.pack_entries(tree.entries[2:]), {"from": keeper})
    tx = opt.os.expire(opt.event, {"from": stranger})
    assert tx.events["RootExpired"]["proposer"] == keeper
    assert opt.os.rootRecord(opt.event)["status"] == EXPIRED
    assert opt.rr.drEvent(opt.event)["status"] == SCHEDULED
    assert opt.os.bondCredit(keeper) == ROOT_BOND
    assert opt.os.tokenBondCredit(keeper, opt.s.token) == opt.os.tokenBondFor(tree.total)
    for who, result in zip(opt.who, opt.results, strict=True):
        opt.s.proofs.settle(opt.event, who, opt.sc.leaves(who), {"from": stranger})
        assert opt.rr.enrollment(opt.event, who)["paid"] == result.reward


def test_propose__bond_sized_to_the_total__pulled_and_recorded(opt, keeper):
    """O-3: the bond is `bond()` in native currency plus ceil(total * bondBps / 10,000) of the
    event's token, pulled at propose; RootProposed carries both and the posting deadline."""
    tree = opt.tree()
    token_bond = opt.os.tokenBondFor(tree.total)
    assert (
        token_bond == -(-tree.total * ROOT_BOND_BPS // 10_000) and opt.os.bondBps() == ROOT_BOND_BPS
    )
    before = opt.s.token.balanceOf(keeper)
    tx = _open(opt, keeper)
    assert before - opt.s.token.balanceOf(keeper) == token_bond
    ev = tx.events["RootProposed"]
    assert (
        ev["eventId"],
        ev["count"],
        ev["total"],
        ev["proposer"],
        ev["bond"],
        ev["tokenBond"],
    ) == (opt.event, 3, tree.total, keeper, ROOT_BOND, token_bond)
    record = opt.os.rootRecord(opt.event).dict()
    assert (record["status"], record["tokenBond"], record["bond"]) == (
        POSTING,
        token_bond,
        ROOT_BOND,
    )
    assert opt.rr.drEvent(opt.event)["status"] == ROOT_PENDING


def test_post_entries__proposer__posted(opt, keeper, stranger, admin):
    """O-3, the authorized/unauthorized pair of postEntries: only the proposal's proposer posts
    (another PROPOSER_ROLE holder too gets NotProposer); its posting is recorded and emitted."""
    tree = opt.tree()
    _open(opt, keeper)
    opt.os.grantRole(opt.os.PROPOSER_ROLE(), stranger, {"from": admin})
    for who in (stranger, admin):
        with brownie.reverts(err("NotProposer", opt.event, who)):
            opt.os.postEntries(opt.event, ref.pack_entries(tree.entries), {"from": who})
    tx = opt.os.postEntries(opt.event, ref.pack_entries(tree.entries[:1]), {"from": keeper})
    assert tuple(tx.events["EntriesPosted"].values()) == (opt.event, 0, 1)
    assert opt.os.rootRecord(opt.event)["posted"] == 1


def test_post_entries__malformed__reverts(opt, keeper):
    """O-2: packed entries of a wrong length, more entries than `count`, rewards past the total, a
    last entry whose sum is not the total, a `sufficient` byte other than 0 or 1, and posting to a
    root already complete each revert with their error."""
    tree = opt.tree()
    packed = ref.pack_entries(tree.entries)
    _open(opt, keeper)
    for data in (b"", packed[:46], packed + b"\x00"):
        with brownie.reverts(err("InvalidEntriesLength", len(data))):
            opt.os.postEntries(opt.event, data, {"from": keeper})
    with brownie.reverts(err("TooManyEntries", opt.event, 3, 4)):
        opt.os.postEntries(opt.event, packed + packed[:47], {"from": keeper})
    flagged = packed[:20] + b"\x02" + packed[21:]
    with brownie.reverts(err("InvalidEntryFlag", opt.event, 0)):
        opt.os.postEntries(opt.event, flagged, {"from": keeper})
    paid = next(e for e in tree.entries if e.reward > 0)
    raised = ref.pack_entries([e.model_copy(update={"reward": e.reward + tree.total}) if e == paid else e
                               for e in tree.entries])  # fmt: skip
    over = paid.reward_before + paid.reward + tree.total
    with brownie.reverts(err("EntriesExceedTotal", opt.event, tree.total, over)):
        opt.os.postEntries(opt.event, raised, {"from": keeper})
    short = ref.pack_entries([e.model_copy(update={"reward": e.reward - 1}) if e == paid else e
                              for e in tree.entries])  # fmt: skip
    with brownie.reverts(err("WrongTotal", opt.event, tree.total, tree.total - 1)):
        opt.os.postEntries(opt.event, short, {"from": keeper})
    opt.os.postEntries(opt.event, packed, {"from": keeper})
    with brownie.reverts(err("RootNotInStatus", opt.event, PENDING)):
        opt.os.postEntries(opt.event, packed, {"from": keeper})


def test_constructor_rejects_a_token_bond_above_the_total(admin, suite):
    """O-1, O-3: the token part of the bond is at most 100 % of a root's total."""
    from brownie import OptimisticSettlement

    with brownie.reverts(err("InvalidBondBps", 10_001)):
        OptimisticSettlement.deploy(admin, suite.requests, suite.consumers, suite.meter, suite.proofs,
                                    suite.programs, ROOT_BOND, 10_001, CHALLENGE_WINDOW, {"from": admin})  # fmt: skip


def test_withdraw_token_bond__own_credit_only(opt, keeper, stranger):
    """O-9, the pair of withdrawTokenBond: no credit reverts NoTokenBondCredit, the zero address
    InvalidBondRecipient; the proposer's credit, after finalization, goes whole to `to`."""
    with brownie.reverts(err("NoTokenBondCredit", stranger, opt.s.token)):
        opt.os.withdrawTokenBond(opt.s.token, stranger, {"from": stranger})
    tree = opt.tree()
    opt.propose(tree, keeper)
    opt.after_window()
    opt.os.finalize(opt.event, {"from": stranger})
    with brownie.reverts(err("InvalidBondRecipient")):
        opt.os.withdrawTokenBond(opt.s.token, brownie.ZERO_ADDRESS, {"from": keeper})
    bond = opt.os.tokenBondFor(tree.total)
    tx = opt.os.withdrawTokenBond(opt.s.token, stranger, {"from": keeper})
    assert tuple(tx.events["TokenBondWithdrawn"].values()) == (keeper, opt.s.token, stranger, bond)
    assert opt.os.tokenBondCredit(keeper, opt.s.token) == 0


def test_p1_pay_batch_writes_track_records_like_proof_settlement(opt, keeper, stranger):
    """P1, O-10 (C-9, C-10): a batch writes each entry's track record once, as settlement would: one
    more event settled, delivered or insufficient, the verified Wh, the reliability of the C-10
    reference and the rewards per token; an entry first paid by claim is recorded by the next batch
    and not paid again; a second batch records nothing."""
    tree = opt.tree()
    opt.propose(tree, keeper)
    opt.after_window()
    opt.os.finalize(opt.event, {"from": stranger})
    min_delivery = opt.s.programs.program(1)["minDeliveryBps"]
    assert opt.os.rootRecord(opt.event)["minDeliveryBps"] == min_delivery
    before = {w.address: opt.s.consumers.trackRecord(w).dict() for w in opt.who}
    rewards = {w.address: opt.s.consumers.rewardsOf(w, opt.s.token) for w in opt.who}
    opt.os.claim(opt.event, tree.entries[0].as_tuple(), tree.proof(0), {"from": stranger})
    assert not opt.os.isRecorded(opt.event, 0)
    indices = [e.index for e in tree.entries]
    tx = opt.os.payBatch(
        opt.event, ref.pack_batch(tree.entries), tree.multiproof(indices), {"from": stranger}
    )
    assert tx.events["BatchClaimed"]["entries"] == 2  # entry 0 was claimed: recorded, not paid
    assert len(tx.events["TrackRecordUpdated"]) == 3
    for e in tree.entries:
        assert opt.os.isRecorded(opt.event, e.index) and opt.os.isClaimed(opt.event, e.index)
        b, a = before[e.account], opt.s.consumers.trackRecord(e.account).dict()
        delivered = e.sufficient and e.verified_wh * 10_000 >= e.committed_wh * min_delivery
        assert a["eventsSettled"] == b["eventsSettled"] + 1
        assert a["eventsInsufficient"] == b["eventsInsufficient"] + (not e.sufficient)
        assert a["eventsDelivered"] == b["eventsDelivered"] + delivered
        assert a["verifiedWh"] == b["verifiedWh"] + e.verified_wh
        assert a["reliabilityBps"] == reliability(
            b["reliabilityBps"], e.committed_wh, e.verified_wh, min_delivery, e.sufficient
        )
        assert opt.s.consumers.rewardsOf(e.account, opt.s.token) == rewards[e.account] + e.reward
    tx = opt.os.payBatch(
        opt.event, ref.pack_batch(tree.entries), tree.multiproof(indices), {"from": stranger}
    )
    assert tx.events["BatchClaimed"]["entries"] == 0 and "TrackRecordUpdated" not in tx.events
