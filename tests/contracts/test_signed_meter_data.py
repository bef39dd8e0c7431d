"""Device-signed meter data: meter keys (C-11), the EIP-712 MeterDay domain and signed batches that
anyone may post and MeterData checks against the day's meter key (M-7), and signed-data programs that
count only those records (S-10)."""

from __future__ import annotations

from collections.abc import Callable

import brownie
import pytest
from brownie import chain, web3
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from oracles.reference import baseline as ref
from oracles.reference import baseline_days as walk
from oracles.reference import meter_signing as signing
from oracles.reference import optimistic_root as opt_ref
from oracles.reference.meter_leaf import HOURS, ConsumerDay
from oracles.reference.meter_multiproof import settle_batch_args
from tests.contracts.helpers import err
from tests.contracts.suite import REGION, ROOT_BOND, local_day, now
from tests.contracts.test_optimistic import WRONG_RESULT, result_of
from tests.contracts.test_settlement import Scenario, activation, assert_result

SEED = 11
SETTLED, INSUFFICIENT = 2, 3


def key_of(cid: int) -> bytes:
    return signing.meter_key(SEED, cid)


def domain(world) -> signing.MeterDomain:
    return signing.MeterDomain(chain_id=web3.eth.chain_id, meter_data=world.suite.meter.address)


def signer_relay(world, alter: Callable[[ConsumerDay], ConsumerDay] | None = None):
    """The meters sign every present day; then the relaying oracle may alter records (`alter`). An
    altered record no longer carries its meter's signature: posted signed, it is refused (checked
    here, RecordNotMeterSigned, M-7), so the relay posts it unsigned."""
    dom = domain(world)
    keys = {cid: key_of(cid) for cid in range(1, 5)}
    meter, anyone = world.suite.meter, brownie.accounts[-1]

    def relay(records: list[ConsumerDay]) -> list[ConsumerDay]:
        out = []
        for r in signing.sign_days(dom, keys, records):
            changed = alter(r) if alter else r
            if changed != r:
                with brownie.reverts(err("RecordNotMeterSigned", 0, r.consumer_id)):
                    meter.postSignedBatch(REGION, r.day, changed.encode(), {"from": anyone})
                changed = changed.model_copy(update={"signature": None})
            out.append(changed)
        return out

    return relay


def one_wh_more(cid: int, day: int, hour: int = 17) -> Callable[[ConsumerDay], ConsumerDay]:
    def alter(r: ConsumerDay) -> ConsumerDay:
        if (r.consumer_id, r.day) != (cid, day):
            return r
        readings = list(r.readings)
        readings[hour] += 1
        return r.model_copy(update={"readings": tuple(readings)})

    return alter


def counted_by(sc: Scenario, who, world) -> Callable[[int], bool]:
    """S-10 reference: whether the consumer's posted record of a day counts (present and signed by
    the consumer's meter key for that day)."""
    s = world.suite
    dom, cid = domain(world), s.consumers.consumer(who)["id"]
    k = s.consumers.meterKey(who)

    def counted(day: int) -> bool:
        return signing.counts(
            dom,
            sc.book.record(REGION, day, cid),
            signing.key_for_day(k["key"], k["fromDay"], k["previousKey"], day),
        )

    return counted


def signed_days(sc: Scenario, who, world) -> list[int]:
    """The days whose records settlement requires (S-3, S-4): the event day, then every baseline day
    with data (an uncounted record is still required: it is a gap, B-9)."""
    required, _ = sc.required(who)
    return [sc.event_day, *required]


def signed_leaves(sc: Scenario, who, world) -> list[tuple[int, bytes, list[bytes]]]:
    """The records (with proofs) of `signed_days`, for settle."""
    cid = world.suite.consumers.consumer(who)["id"]
    return [sc.book.leaf_proof(REGION, d, cid) for d in signed_days(sc, who, world)]


def signed_batch_args(sc: Scenario, world, whos):  # type: ignore[no-untyped-def]
    """settleBatch's arguments for `whos` (ascending ids): each one's signed-data walk days, located."""
    located = []
    for who in whos:
        cid = world.suite.consumers.consumer(who)["id"]
        located.append(
            (who.address, [sc.book.locate(REGION, d, cid) for d in signed_days(sc, who, world)])
        )
    return settle_batch_args(located)


def assert_settled_as(ev, r: ref.BaselineResult, reward: int, n: int) -> None:
    """A Settled event equals the signed-data reference to the Wh (S-5, S-7)."""
    assert_result(ev, r)
    assert (ev["reward"], ev["baselineDays"]) == (reward, n)


def expected_signed(sc: Scenario, who, world) -> tuple[int, ref.BaselineResult | None, int]:
    """The reference of a signed-data settlement: a record counts only if present and signed by the
    consumer's key for its day (S-10). Returns (baseline days, result, reward)."""
    s = world.suite
    cid = s.consumers.consumer(who)["id"]
    counted = counted_by(sc, who, world)
    cands = list(s.proofs.candidateDays(sc.event, who))
    inputs = walk.baseline_inputs(
        cands, lambda d: sc.book.record(REGION, d, cid).readings if counted(d) else None
    )
    if not walk.sufficient(counted(sc.event_day), inputs):
        return inputs.usable, None, 0
    program = s.programs.program(sc.program_id).dict()
    p = ref.BaselineParams(
        method=program["method"], start_interval=16, end_interval=20,
        adj_window_hours=program["adjWindowHours"], adj_gap_hours=program["adjGapHours"],
        adj_cap_bps=program["adjCapBps"],
    )  # fmt: skip
    event_readings = list(sc.book.record(REGION, sc.event_day, cid).readings)
    r = ref.compute(inputs.days, event_readings, p, inputs.gapped)
    reward = ref.reward(r.reduction_wh, sc.committed[who.address], s.requests.drEvent(sc.event)["rate"],
                        program["minDeliveryBps"], program["bonusCapBps"])  # fmt: skip
    return inputs.usable, r, reward


def run(world, utility, oracle, program_id: int, relay) -> tuple[Scenario, object]:
    sc = Scenario(world, utility, oracle, program_id=program_id)
    a = world.consumers[0]
    # 3,000 Wh: a 60 % cut of consumer 1's ~3.6 kWh event use clears the 50 % minimum delivery on
    # every date the chain's clock may start at (4,000 Wh did not on some: the days are today's)
    sc.enroll(a, 3_000)
    sc.book.relay = relay
    sc.post(activation(world) + 1, sc.reducing({1: 0.4}))
    return sc, a


# ------------------------------------------------------------------ M-7: domain, digest, signer


@pytest.mark.both_profiles
def test_meter_day_digest_matches_eip712_reference(world):
    """M-7: the contract's digest equals the Python reference and eth-account's generic EIP-712
    encoder, and covers the flags (P2, f08).
    Mutation: in MeterLeaf.digest store 0 instead of the flags byte -> this test fails."""
    day = ConsumerDay(consumer_id=3, region_id=REGION, day=20_500, readings=tuple(range(100, 124)))
    dom = domain(world)
    typed = signing.typed_data(dom, day)
    msg = encode_typed_data(full_message=typed)
    generic = keccak(b"\x19" + msg.version + msg.header + msg.body)
    onchain = bytes(world.suite.meter.meterDayDigest(day.encode()))
    assert onchain == signing.digest(dom, day) == generic
    # the whole header is signed, flags included (P2, f08): flagging the day missing changes it
    flagged = day.model_copy(update={"missing": True})
    flagged_digest = bytes(world.suite.meter.meterDayDigest(flagged.encode()))
    assert flagged_digest != onchain and flagged_digest == signing.digest(dom, flagged)


@pytest.mark.both_profiles
def test_record_signer_recovers_the_meter_and_refuses_malformed(world):
    """M-7: recordSigner returns the signing meter; a malformed signature or length gives zero,
    exactly as the Python reference."""
    dom, meter = domain(world), world.suite.meter
    day = ConsumerDay(consumer_id=2, region_id=REGION, day=20_501, readings=(7,) * HOURS)
    signed = signing.sign_day(dom, key_of(2), day)
    assert (
        meter.recordSigner(signed.encode())
        == signing.address_of(key_of(2))
        == signing.recover(dom, signed)
    )
    sig = bytearray(signed.signature or b"")
    bad_v = bytes(sig[:64]) + bytes([29])
    high_s = (
        bytes(sig[:32])
        + (signing._SECP256K1_N - int.from_bytes(sig[32:64], "big")).to_bytes(32, "big")
        + bytes([55 - sig[64]])
    )
    for bad in (bad_v, high_s, b"\0" * 65):
        forged = day.model_copy(update={"signature": bad})
        assert meter.recordSigner(forged.encode()) == brownie.ZERO_ADDRESS
        assert signing.recover(dom, forged) is None
    assert meter.recordSigner(day.encode()) == brownie.ZERO_ADDRESS  # 110 bytes: unsigned


def _signed_day_records(dom, day: int, ids=(1, 2, 3), key=key_of) -> list[ConsumerDay]:
    return [
        signing.sign_day(
            dom,
            key(c),
            ConsumerDay(consumer_id=c, region_id=REGION, day=day, readings=(c,) * HOURS),
        )
        for c in ids
    ]


def _a_posted_day(world) -> int:
    chain.sleep(2 * 86_400)
    chain.mine()
    return world.suite.regions.localDay(REGION, chain.time()) - 1


@pytest.mark.both_profiles
def test_post_signed_batch__anyone__commits_175_byte_leaves(keyed, stranger):
    """M-7: anyone may post meter-signed records (no role: the signature is the authority); each
    signature is checked against the consumer's meter key for the day, and the leaf hashes all 175
    bytes (signature included)."""
    from oracles.reference import meter_leaf

    world = keyed
    day = _a_posted_day(world)
    recs = _signed_day_records(domain(world), day)
    assert not world.suite.meter.hasRole(world.suite.meter.METER_ORACLE_ROLE(), stranger)
    tx = world.suite.meter.postSignedBatch(
        REGION, day, meter_leaf.encode_batch(recs), {"from": stranger}
    )
    ev = tx.events["MeterBatchPosted"]
    assert bytes(ev["root"]) == meter_leaf.root([r.leaf() for r in recs])
    assert len(recs[0].encode()) == 175 and ev["count"] == 3
    assert all(world.suite.meter.recordPosted(REGION, day, c) for c in (1, 2, 3))


@pytest.mark.parametrize("fault", ["altered", "other meter", "no signature", "flagged", "no key"])
def test_post_signed_batch__record_its_meter_did_not_sign__reverts(keyed, stranger, fault):
    """M-7, C-11: a signed record whose signature does not recover to its consumer's meter key for the
    day (one Wh altered, another consumer's meter, a zero signature, a signed day flagged missing
    afterwards, a consumer with no key) reverts RecordNotMeterSigned with its index; nothing is posted,
    so nobody can take a consumer-day with a record its meter did not sign (M-4).
    Mutation: drop `_checkSignatures(day, records, n);` from MeterData.postSignedBatch -> every case
    of this test fails (the batch is posted)."""
    from oracles.reference import meter_leaf

    world = keyed
    s = world.suite
    day = _a_posted_day(world)
    recs = _signed_day_records(domain(world), day)
    bad = recs[1]
    if fault == "altered":
        bad = bad.model_copy(update={"readings": (bad.readings[0] + 1, *bad.readings[1:])})
    elif fault == "other meter":
        bad = signing.sign_day(domain(world), key_of(3), bad.model_copy(update={"signature": None}))
    elif fault == "no signature":
        bad = bad.model_copy(update={"signature": b"\0" * 65})
    elif fault == "flagged":
        bad = bad.model_copy(update={"missing": True})
    else:
        # consumer id 9 does not exist, so it has no key
        bad = signing.sign_day(
            domain(world), key_of(9), ConsumerDay(consumer_id=9, region_id=REGION, day=day)
        )
    if fault == "no key":
        recs, index = [*recs[:2], bad], 2
    else:
        recs[1], index = bad, 1
    with brownie.reverts(err("RecordNotMeterSigned", index, bad.consumer_id)):
        s.meter.postSignedBatch(REGION, day, meter_leaf.encode_batch(recs), {"from": stranger})
    assert s.meter.dayInfo(REGION, day)[0] == 0
    assert not any(s.meter.recordPosted(REGION, day, c) for c in (1, 2, 3, 9))


def test_post_signed_batch__through_a_contract__records_read_from_the_call_trace(
    keyed, stranger, CallBundler
):
    """M-7 and the readers of M-3: a consumer posts its meter-signed days through a contract (a smart
    wallet, a multicall, an ERC-4337 bundle): two batches and a refused one in one transaction. The
    records are in inner calls, not in the transaction's input; the chain reader finds them in the
    call trace (callTracer), skips the failed call, matches each MeterBatchPosted to its call, and
    rebuilds every root."""
    from oracles.protocol.meter_batches import day_batches
    from oracles.reference import meter_leaf

    world = keyed
    meter = world.suite.meter
    day = _a_posted_day(world)
    dom = domain(world)
    first, second = _signed_day_records(dom, day, (1, 3)), _signed_day_records(dom, day, (2, 4))
    forged = _signed_day_records(dom, day, (5,), key=lambda c: key_of(c + 1))  # another meter's key
    calls = [
        meter.postSignedBatch.encode_input(REGION, day, meter_leaf.encode_batch(recs))
        for recs in (first, forged, second)
    ]
    bundler = CallBundler.deploy({"from": stranger})
    tx = bundler.bundle(meter, calls, {"from": stranger})
    assert [e["ok"] for e in tx.events["Called"]] == [True, False, True]
    assert [e["batchIndex"] for e in tx.events["MeterBatchPosted"]] == [0, 1]
    reader = web3.eth.contract(address=meter.address, abi=meter.abi)
    batches = day_batches(reader, REGION, day)
    assert [list(b.records) for b in batches] == [first, second]
    assert [b.root for b in batches] == [
        meter_leaf.root([r.leaf() for r in x]) for x in (first, second)
    ]
    assert not meter.recordPosted(REGION, day, 5)


def test_post_signed_batch__unsigned_length__reverts(world, oracle):
    """M-5, M-7: a signed batch is whole 175-byte records."""
    day = _a_posted_day(world)
    blob = ConsumerDay(consumer_id=1, region_id=REGION, day=day).encode()  # 110 bytes
    with brownie.reverts(err("InvalidBatchLength", 110)):
        world.suite.meter.postSignedBatch(REGION, day, blob, {"from": oracle})


def test_day_signers__key_of_each_id_for_the_day(keyed, utility):
    """C-11, M-7: daySigners gives each id's key for the day: the previous key before a rotation's
    first day, the new key from it, zero for an id without a consumer."""
    world = keyed
    s, a = world.suite, world.consumers[0]
    today = local_day(now())
    new = signing.address_of(key_of(99))
    s.consumers.setMeterKey(a, new, today, {"from": utility})
    old1, key2 = signing.address_of(key_of(1)), signing.address_of(key_of(2))
    assert list(s.consumers.daySigners(today - 1, [1, 2, 77])) == [old1, key2, brownie.ZERO_ADDRESS]
    assert list(s.consumers.daySigners(today, [1, 2])) == [new, key2]


# ------------------------------------------------------------------ C-11: meter keys


def test_set_meter_key__utility__records_key_and_rotation(world, utility):
    """C-11: the region's utility registers a key; a later key keeps the earlier one for older days."""
    s, a = world.suite, world.consumers[0]
    first, second = signing.address_of(key_of(1)), signing.address_of(key_of(9))
    tx = s.consumers.setMeterKey(a, first, 100, {"from": utility})  # a first key may start any day
    ev = tx.events["MeterKeySet"]
    assert (ev["account"], ev["key"], ev["fromDay"], ev["previousKey"]) == (
        a,
        first,
        100,
        brownie.ZERO_ADDRESS,
    )
    today = local_day(now())
    s.consumers.setMeterKey(a, second, today, {"from": utility})  # a replacement: today or later
    assert tuple(s.consumers.meterKey(a)) == (second, today, first)
    # what MeterData checks a signed record of a day against (M-7)
    assert list(s.consumers.daySigners(today - 1, [1])) == [first]
    assert list(s.consumers.daySigners(today, [1])) == [second]


def test_set_meter_key__stranger_or_consumer__reverts(world, stranger):
    """C-11: only an attester (the region's active utility or KYC_ATTESTER_ROLE) registers meter keys."""
    a = world.consumers[0]
    for caller in (stranger, a):
        with brownie.reverts(err("NotAuthorizedAttester", caller, REGION)):
            world.suite.consumers.setMeterKey(a, a, 1, {"from": caller})


def test_set_meter_key__bad_key_or_day__reverts(world, utility, stranger):
    """C-11: a zero key, a replacement starting before today, or one not starting after the current
    key's first day, is refused; a consumer that is not active has no meter key."""
    s, a = world.suite, world.consumers[0]
    with brownie.reverts(err("InvalidMeterKey", brownie.ZERO_ADDRESS, 5)):
        s.consumers.setMeterKey(a, brownie.ZERO_ADDRESS, 5, {"from": utility})
    today = local_day(now())
    s.consumers.setMeterKey(a, stranger, today + 3, {"from": utility})
    with brownie.reverts(err("MeterKeyPastDated", today - 1, today)):
        s.consumers.setMeterKey(a, utility, today - 1, {"from": utility})
    with brownie.reverts(err("InvalidMeterKey", utility, today + 3)):
        s.consumers.setMeterKey(a, utility, today + 3, {"from": utility})
    with brownie.reverts(err("ConsumerNotInStatus", stranger, 2, 0)):
        s.consumers.setMeterKey(stranger, utility, 100, {"from": utility})


# ------------------------------------------------------------------ S-10: signed-data programs


def test_signed_program__signed_records__settle_exactly_as_reference(
    keyed, utility, oracle, signed_program
):
    """S-10: meter-signed records count; the result equals the reference to the Wh."""
    world = keyed
    sc, a = run(world, utility, oracle, signed_program, signer_relay(world))
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    n, r, reward = expected_signed(sc, a, world)
    assert r is not None and n >= walk.MIN_DAYS
    assert_settled_as(tx.events["Settled"], r, reward, n)


@pytest.mark.both_profiles
def test_signed_program__settle_batch__each_outcome_equals_the_reference(
    keyed, utility, oracle, signed_program
):
    """S-10, S-11: a batch of signed-data settlements counts records as settle does: a's records are
    all signed, b's most recent baseline day was altered by 1 Wh after signing, so the relay could
    post it only unsigned (not counted: a gap, B-9); each result equals the signed-data reference.
    Mutation: in ProofSettlement._counted return true instead of the length check -> this test fails."""
    world = keyed
    s = world.suite
    sc = Scenario(world, utility, oracle, program_id=signed_program)
    a, b = world.consumers[:2]
    sc.enroll(a, 4_000)
    sc.enroll(b, 20_000)
    victim = walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})[0]
    sc.book.relay = signer_relay(world, one_wh_more(2, victim, hour=18))
    sc.post(activation(world) + 1, sc.reducing({1: 0.4, 2: 0.8}))
    consumers, groups = signed_batch_args(sc, world, (a, b))
    lengths = {len(r) for who in (a, b) for _, r, _ in signed_leaves(sc, who, world)}
    assert lengths == {175, 110}  # b's altered day travels unsigned
    tx = s.proofs.settleBatch(sc.event, consumers, groups, {"from": a})
    settled = {e["account"]: e for e in tx.events["Settled"]}
    for who in (a, b):
        n, r, reward = expected_signed(sc, who, world)
        assert r is not None
        assert_settled_as(settled[who.address], r, reward, n)
    assert not counted_by(sc, b, world)(victim) and counted_by(sc, a, world)(victim)


def test_attack_oracle_alters_one_wh_of_event_day__record_not_counted(
    keyed, utility, oracle, signed_program
):
    """M-7, S-10: the relaying oracle adds 1 Wh to the signed event-day record. With the signature
    kept, MeterData refuses it (RecordNotMeterSigned); posted unsigned, the record does not count in
    a signed-data program: the event day is missing, insufficient data, nothing paid."""
    world = keyed
    sc = Scenario(world, utility, oracle, program_id=signed_program)
    a = world.consumers[0]
    sc.enroll(a, 4_000)
    sc.book.relay = signer_relay(world, one_wh_more(1, sc.event_day))
    sc.post(activation(world) + 1, sc.reducing({1: 0.4}))
    assert sc.book.record(REGION, sc.event_day, 1).signature is None
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    ev = tx.events["SettledInsufficientData"]
    assert ev["eventDayMissing"] is True and "Settled" not in tx.events
    assert world.suite.requests.enrollment(sc.event, a)["status"] == INSUFFICIENT
    assert expected_signed(sc, a, world)[1] is None


def test_attack_oracle_alters_one_wh_of_a_baseline_day__day_dropped(
    keyed, utility, oracle, signed_program
):
    """S-10, B-9: an altered baseline record is not used: the day is a gap (zeros, the day-of ratio at
    the cap's floor), never replaced by an older day; the result equals the reference."""
    world = keyed
    sc = Scenario(world, utility, oracle, program_id=signed_program)
    a = world.consumers[0]
    sc.enroll(a, 4_000)
    victim = walk.candidate_days(sc.event_day, activation(world), set(), {sc.event_day})[0]
    sc.book.relay = signer_relay(world, one_wh_more(1, victim, hour=18))
    sc.post(activation(world) + 1, sc.reducing({1: 0.4}))
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    n, r, reward = expected_signed(sc, a, world)
    ev = tx.events["Settled"]
    assert r is not None
    assert (ev["baselineWh"], ev["reductionWh"], ev["reward"], ev["baselineDays"]) == (
        r.baseline_wh,
        r.reduction_wh,
        reward,
        n,
    )
    # the victim day stays a baseline day (no older day replaces it), counted as a gap
    cands = list(world.suite.proofs.candidateDays(sc.event, a))
    assert victim in cands and n == len(cands) - 1 and ev["adjustmentBps"] == ref.BPS - 2_000


@pytest.mark.parametrize("elsewhere", ["another chain", "another deployment"])
def test_attack_signed_records_replayed_from_another_chain__not_counted(
    keyed, utility, oracle, admin, stranger, signed_program, MeterData, elsewhere
):
    """M-7, S-10: the meters signed their days for another chain id, or for another MeterData
    deployment (a second one on this chain, which accepts them). Relayed here byte for byte, the
    signatures do not recover the meter under this contract's domain: MeterData refuses them
    (RecordNotMeterSigned), the relay can post the days only unsigned, and no record counts:
    insufficient data, nothing paid."""
    from oracles.reference import meter_leaf

    world = keyed
    here = domain(world)
    if elsewhere == "another chain":
        there, other = here.model_copy(update={"chain_id": here.chain_id + 1}), None
    else:
        other = MeterData.deploy(admin, world.suite.regions, world.suite.consumers, {"from": admin})
        there = here.model_copy(update={"meter_data": other.address})
    sc, a = run(
        world, utility, oracle, signed_program,
        signer_relay(world, lambda r: signing.sign_day(there, key_of(r.consumer_id), r)),
    )  # fmt: skip
    rec = signing.sign_day(there, key_of(1), sc.book.record(REGION, sc.event_day, 1))
    meter = signing.address_of(key_of(1))
    assert signing.recover(there, rec) == meter  # genuinely the meter's signature, for elsewhere
    if other is not None:
        assert other.recordSigner(rec.encode()) == meter
        other.postSignedBatch(
            REGION, sc.event_day, meter_leaf.encode_batch([rec]), {"from": stranger}
        )
        assert other.recordPosted(REGION, sc.event_day, 1)
    assert world.suite.meter.recordSigner(rec.encode()) not in (meter, brownie.ZERO_ADDRESS)
    before = world.suite.token.balanceOf(a)
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    ev = tx.events["SettledInsufficientData"]
    assert (ev["baselineDays"], ev["eventDayMissing"]) == (0, True)
    assert world.suite.requests.enrollment(sc.event, a)["status"] == INSUFFICIENT
    assert world.suite.token.balanceOf(a) == before


def halve_event_window(cid: int, day: int) -> Callable[[ConsumerDay], ConsumerDay]:
    """The relay halves a signed record's 16:00-20:00 readings: a reduction the consumer never made."""

    def alter(r: ConsumerDay) -> ConsumerDay:
        if (r.consumer_id, r.day) != (cid, day):
            return r
        readings = [v // 2 if 16 <= h < 20 else v for h, v in enumerate(r.readings)]
        return r.model_copy(update={"readings": tuple(readings)})

    return alter


def test_attack_optimistic_root_pays_an_altered_record__challenge_voids_it(
    keyed, utility, oracle, keeper, stranger, signed_program
):
    """S-10, O-4, O-5: in a signed-data program the relay halves consumer 1's event-window readings
    after its meter signed them, and the keeper's root pays the reduction the altered record shows.
    A challenge recomputes through `settle`, where the altered record does not count: the entry is
    wrong, the root is voided, the bond goes to the challenger and the consumer is settled with
    insufficient data. The other entry, right under S-10, cannot be challenged."""
    world = keyed
    s, who = world.suite, world.consumers[:2]
    sc = Scenario(world, utility, oracle, program_id=signed_program)
    sc.enroll(who[0], 1_500)
    sc.enroll(who[1], 20_000)
    sc.book.relay = signer_relay(world, halve_event_window(1, sc.event_day))
    sc.post(activation(world) + 1, sc.reducing({1: 0.9, 2: 0.5}))
    program = s.programs.program(signed_program).dict()
    # the root that counts every record, and the S-10 results
    commit = (1_500, 20_000)
    blind = [result_of(w, c, *sc.expected(w, program)) for w, c in zip(who, commit, strict=True)]
    true = [
        result_of(w, c, *expected_signed(sc, w, world)[1:])
        for w, c in zip(who, commit, strict=True)
    ]
    assert blind[0].reward > 0 and not true[0].sufficient and blind[1] == true[1]
    tree = opt_ref.RootTree(sc.event, opt_ref.entries_for(blind))
    s.optimistic.propose(sc.event, tree.count, tree.total, {"from": keeper, "value": ROOT_BOND})
    s.optimistic.postEntries(sc.event, opt_ref.pack_entries(tree.entries), {"from": keeper})

    def challenge(i: int):
        e = tree.entries[i]
        return s.optimistic.challengeEntry(
            sc.event,
            e.as_tuple(),
            tree.proof(i),
            signed_leaves(sc, who[i], world),
            {"from": stranger},
        )

    with brownie.reverts(err("EntryCorrect", sc.event, 1)):
        challenge(1)
    ev = challenge(0).events["RootVoided"]
    assert (ev["challenger"], ev["fault"], ev["index"]) == (stranger, WRONG_RESULT, 0)
    assert s.optimistic.bondCredit(stranger) == ROOT_BOND
    en = s.requests.enrollment(sc.event, who[0])
    assert (en["status"], en["paid"]) == (INSUFFICIENT, 0)


def test_signed_program__unsigned_records__count_as_missing(keyed, utility, oracle, signed_program):
    """S-10: a signed-data program does not count records posted without signatures.
    Mutation: in ProofSettlement._verifyLeaf pass `signedOnly: false` -> this test fails (settled)."""
    world = keyed
    sc, a = run(world, utility, oracle, signed_program, None)
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    ev = tx.events["SettledInsufficientData"]
    assert (ev["baselineDays"], ev["eventDayMissing"]) == (0, True)


def test_signed_program__another_meters_signature__not_counted(
    keyed, utility, oracle, signed_program
):
    """M-7, S-10: a valid signature by the wrong meter (consumer 2's key on consumer 1's days) is
    refused when posted signed (RecordNotMeterSigned); posted unsigned it does not count."""
    world = keyed
    dom = domain(world)

    def wrong_meter(r: ConsumerDay) -> ConsumerDay:
        return signing.sign_day(dom, key_of(2), r) if r.consumer_id == 1 else r

    sc, a = run(world, utility, oracle, signed_program, signer_relay(world, wrong_meter))
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    assert tx.events["SettledInsufficientData"]["eventDayMissing"] is True


def rotated_key_scenario(world, utility, oracle, program_id: int) -> Scenario:  # type: ignore[no-untyped-def]
    """Consumer 1 enrolled; its meter replaced today, before the event (C-11: a replacement starts
    today or later): days from then on signed by the new key, older days by the previous one; the
    data posted."""
    s, a = world.suite, world.consumers[0]
    sc = Scenario(world, utility, oracle, program_id=program_id)
    sc.enroll(a, 4_000)
    switch = local_day(now())
    assert switch < sc.event_day
    s.consumers.setMeterKey(a, signing.address_of(key_of(99)), switch, {"from": utility})
    dom = domain(world)

    def relay(records: list[ConsumerDay]) -> list[ConsumerDay]:
        def key(r: ConsumerDay) -> bytes:
            return key_of(99) if r.consumer_id == 1 and r.day >= switch else key_of(r.consumer_id)

        return [signing.sign_day(dom, key(r), r) for r in records]

    sc.book.relay = relay
    sc.post(activation(world) + 1, sc.reducing({1: 0.4}))
    return sc


def test_signed_program__rotated_key__old_days_verify_with_previous_key(
    keyed, utility, oracle, signed_program
):
    """C-11, S-10: after a meter replacement, days before the new key's first day verify against the
    previous key, days from it against the new one."""
    world = keyed
    a = world.consumers[0]
    sc = rotated_key_scenario(world, utility, oracle, signed_program)
    tx = world.suite.proofs.settle(sc.event, a, signed_leaves(sc, a, world), {"from": a})
    n, r, reward = expected_signed(sc, a, world)
    assert r is not None and tx.events["Settled"]["baselineDays"] == n == walk.MAX_DAYS
    assert tx.events["Settled"]["reward"] == reward


def test_signed_program__rotated_key__batch_reads_both_keys(keyed, utility, oracle, signed_program):
    """C-11, M-7, S-11: days before the rotation were accepted against the previous key when posted
    (daySigners), so a batch counts the old days as settle does."""
    world = keyed
    a = world.consumers[0]
    sc = rotated_key_scenario(world, utility, oracle, signed_program)
    consumers, groups = signed_batch_args(sc, world, (a,))
    tx = world.suite.proofs.settleBatch(sc.event, consumers, groups, {"from": a})
    n, r, reward = expected_signed(sc, a, world)
    assert r is not None and tx.events["Settled"]["baselineDays"] == n == walk.MAX_DAYS
    assert tx.events["Settled"]["reward"] == reward


def test_unsigned_program__signed_records__settle_as_usual(keyed, utility, oracle):
    """M-7, S-10: signatures are ignored where a program does not require them; the 175-byte records
    prove and settle exactly as unsigned ones would."""
    world = keyed
    sc, a = run(world, utility, oracle, 1, signer_relay(world))
    tx = world.suite.proofs.settle(sc.event, a, sc.leaves(a), {"from": a})
    r, reward = sc.expected(a, world.suite.programs.program(1).dict())
    assert r is not None and tx.events["Settled"]["reward"] == reward
    assert tx.events["Settled"]["reductionWh"] == r.reduction_wh
