"""Meter data v2 shapes (issue 23): 15-, 30- and 60-minute records, import and export channels
(SPECIFICATION.md M-2, M-4, M-7, R-7, S-13). A record is 14 + 4·n bytes (398, 206, 110), a signed one
65 more; a region's interval is fixed at addRegion and a batch takes that interval and one channel.
Settlement reads the hourly import shape only, and refuses every other with its own error."""

from __future__ import annotations

import random

import brownie
import pytest
from brownie import chain, web3
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from oracles.reference import meter_leaf
from oracles.reference import meter_signing as signing
from oracles.reference.meter_leaf import Channel, ConsumerDay
from tests.contracts.helpers import err, region_tuple
from tests.contracts.suite import REGION, local_day, now, program_tuple

QUARTER, HALF = 3, 4  # the regions this module adds: 15- and 30-minute meter data
REGION_OF = {15: QUARTER, 30: HALF, 60: REGION}
SEED = 23


@pytest.fixture
def regions(suite, region_admin):
    """Regions 3 (15-minute) and 4 (30-minute), in the suite's time zone (so its local days)."""
    for rid, interval in ((QUARTER, 15), (HALF, 30)):
        suite.regions.addRegion(
            rid,
            f"{interval}-minute",
            region_tuple(intervalMinutes=interval),
            {"from": region_admin},
        )
    return suite


@pytest.fixture
def yesterday():
    return local_day(now()) - 1


def days_of(
    interval: int,
    day: int,
    ids: list[int] | range,
    channel: Channel = Channel.IMPORT,
    seed: int = 1,
) -> list[ConsumerDay]:
    rng = random.Random(seed)
    n = meter_leaf.readings_per_day(interval)
    return [
        ConsumerDay(
            interval_minutes=interval,  # type: ignore[arg-type]
            channel=channel,
            consumer_id=i,
            region_id=REGION_OF[interval],
            day=day,
            readings=tuple(rng.randrange(0, 2**32) for _ in range(n)),
        )
        for i in ids
    ]


# M-2, R-7: every interval's records are taken where the region uses it ------------------------


@pytest.mark.parametrize(
    ("interval", "size"), [(15, 398), (30, 206), (60, 110)], ids=["15min", "30min", "60min"]
)
@pytest.mark.parametrize("channel", [Channel.IMPORT, Channel.EXPORT], ids=["import", "export"])
def test_post_batch__region_interval__root_equals_reference(
    regions, oracle, yesterday, interval, size, channel
):
    """M-2, M-3, R-7: a batch of the region's interval (96, 48 or 24 readings: 398, 206 or 110
    bytes) on either channel commits the root the Python reference computes; the posted bits are
    the channel's (M-8)."""
    recs = days_of(interval, yesterday, [1, 2, 3, 300], channel)
    assert len(recs[0].encode()) == size
    region = REGION_OF[interval]
    tx = regions.meter.postBatch(region, yesterday, meter_leaf.encode_batch(recs), {"from": oracle})
    ev = tx.events["MeterBatchPosted"]
    assert bytes(ev["root"]) == meter_leaf.root([r.leaf() for r in recs])
    assert (ev["count"], ev["firstConsumerId"], ev["lastConsumerId"]) == (4, 1, 300)
    for cid in (1, 2, 3, 300):
        assert regions.meter.channelRecordPosted(region, yesterday, int(channel), cid)
        assert not regions.meter.channelRecordPosted(region, yesterday, 1 - int(channel), cid)
        assert regions.meter.recordPosted(region, yesterday, cid) == (channel == Channel.IMPORT)


def test_post_batch__sub_hourly_region_by_stranger__reverts(regions, stranger, yesterday):
    """M-1: the unauthorized twin: unsigned 15-minute records need METER_ORACLE_ROLE too."""
    role = regions.meter.METER_ORACLE_ROLE()
    blob = meter_leaf.encode_batch(days_of(15, yesterday, [1]))
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, role)):
        regions.meter.postBatch(QUARTER, yesterday, blob, {"from": stranger})
    assert not regions.meter.channelRecordPosted(QUARTER, yesterday, 0, 1)


@pytest.mark.parametrize(
    ("region", "interval"),
    [(QUARTER, 60), (QUARTER, 30), (HALF, 15), (HALF, 60), (REGION, 15), (REGION, 30)],
)
def test_post_batch__records_of_another_interval__reverts(
    regions, oracle, yesterday, region, interval
):
    """R-7, M-2: a region takes records of its own interval only; a batch of another interval's
    records (whole records of that other length) reverts with the shape error of record 0, not a
    length error, and nothing is posted.
    Mutation: drop the first-record shape check in MeterData._checkBatch -> this test fails."""
    recs = [
        r.model_copy(update={"region_id": region}) for r in days_of(interval, yesterday, [1, 2])
    ]
    with brownie.reverts(err("RecordShapeUnsupported", 0, 1, interval, 0)):
        regions.meter.postBatch(region, yesterday, meter_leaf.encode_batch(recs), {"from": oracle})
    assert regions.meter.dayInfo(region, yesterday)[0] == 0


@pytest.mark.parametrize(
    ("at", "shape"),
    [(0, (1, 15, 2)), (0, (1, 15, 255)), (0, (2, 15, 0)), (1, (1, 15, 1)), (2, (1, 30, 0))],
)
def test_post_batch__record_of_another_shape_in_a_15_minute_batch__reverts(
    regions, oracle, yesterday, at, shape
):
    """M-2: channel 0 or 1 only (room for more later), version 1 only, and every record of a batch
    has the first record's shape: an export record in an import batch is record `at`'s error."""
    recs = [r.encode() for r in days_of(15, yesterday, [1, 2, 3])]
    recs[at] = bytes(shape) + recs[at][3:]
    with brownie.reverts(err("RecordShapeUnsupported", at, *shape)):
        regions.meter.postBatch(QUARTER, yesterday, b"".join(recs), {"from": oracle})
    assert regions.meter.dayInfo(QUARTER, yesterday)[0] == 0


@pytest.mark.parametrize("length", [0, 397, 399, 398 * 2 + 110])
def test_post_batch__15_minute_batch_of_bad_length__reverts(regions, oracle, yesterday, length):
    """M-5: a 15-minute batch is a whole, non-zero number of 398-byte records."""
    blob = (meter_leaf.encode_batch(days_of(15, yesterday, [1, 2, 3])))[:length]
    with brownie.reverts(err("InvalidBatchLength", length)):
        regions.meter.postBatch(QUARTER, yesterday, blob, {"from": oracle})


def test_post_batch__import_and_export_of_one_consumer_day__one_record_each(
    regions, oracle, yesterday
):
    """M-4, M-8: one record per consumer-day *and channel*: a consumer's import and export records
    of a day are both posted (separate batches, separate posted bits), a second export record of
    the day reverts RecordAlreadyPosted and changes nothing."""
    meter = regions.meter
    imp = days_of(15, yesterday, [1, 2, 3])
    exp = days_of(15, yesterday, [2, 3], Channel.EXPORT, seed=2)
    meter.postBatch(QUARTER, yesterday, meter_leaf.encode_batch(imp), {"from": oracle})
    tx = meter.postBatch(QUARTER, yesterday, meter_leaf.encode_batch(exp), {"from": oracle})
    assert tx.return_value == 1
    again = days_of(15, yesterday, [1, 2], Channel.EXPORT, seed=3)
    with brownie.reverts(err("RecordAlreadyPosted", QUARTER, yesterday, 2)):
        meter.postBatch(QUARTER, yesterday, meter_leaf.encode_batch(again), {"from": oracle})
    assert not meter.channelRecordPosted(QUARTER, yesterday, 1, 1)
    assert [meter.channelRecordPosted(QUARTER, yesterday, 1, c) for c in (2, 3)] == [True, True]
    assert [int(x) for x in meter.dayInfo(QUARTER, yesterday)] == [2, 3, 5]


def test_post_batch__region_interval_fixed__old_days_keep_their_shape(regions, region_admin):
    """R-7: the interval never changes, so a region's posted days all have one shape."""
    with brownie.reverts(err("MeterIntervalFixed", QUARTER, 15)):
        regions.regions.updateRegion(
            QUARTER, region_tuple(intervalMinutes=60), {"from": region_admin}
        )


# M-7: signatures cover every shape ---------------------------------------------------------------


def _domain(suite) -> signing.MeterDomain:
    return signing.MeterDomain(chain_id=web3.eth.chain_id, meter_data=suite.meter.address)


@pytest.mark.parametrize("interval", [15, 30, 60])
@pytest.mark.parametrize("channel", [Channel.IMPORT, Channel.EXPORT], ids=["import", "export"])
def test_meter_day_digest__every_shape__equals_eip712_reference(regions, interval, channel):
    """M-7: the digest hashes the record's readings whatever their count (384, 192 or 96 bytes)
    and equals the Python reference and eth-account's generic EIP-712 encoder; the signed record's
    signer is recovered on chain as in the reference."""
    (day,) = days_of(interval, 20_500, [3], channel)
    dom = _domain(regions)
    msg = encode_typed_data(full_message=signing.typed_data(dom, day))
    generic = keccak(b"\x19" + msg.version + msg.header + msg.body)
    assert bytes(regions.meter.meterDayDigest(day.encode())) == signing.digest(dom, day) == generic
    signed = signing.sign_day(dom, signing.meter_key(SEED, 3), day)
    assert len(signed.encode()) == meter_leaf.record_bytes(interval) + 65
    assert (
        regions.meter.recordSigner(signed.encode())
        == signing.recover(dom, signed)
        == signing.address_of(signing.meter_key(SEED, 3))
    )
    # one reading more (the relay's edit) is another digest: the signature no longer recovers
    altered = signed.model_copy(update={"readings": (day.readings[0] ^ 1, *day.readings[1:])})
    assert regions.meter.recordSigner(altered.encode()) != signing.address_of(
        signing.meter_key(SEED, 3)
    )
    # a signed record cut to another interval's length recovers no one
    assert regions.meter.recordSigner(signed.encode()[:-1]) == brownie.ZERO_ADDRESS


def test_meter_day_digest__unknown_interval_or_short_record__reverts(regions):
    """M-7: the digest needs a known interval and the readings it implies."""
    raw = days_of(15, 20_500, [1])[0].encode()
    with brownie.reverts(err("RecordShapeUnsupported", 0, 1, 45, 0)):
        regions.meter.meterDayDigest(bytes([1, 45, 0]) + raw[3:])
    with brownie.reverts(err("InvalidRecordLength", 397)):
        regions.meter.meterDayDigest(raw[:397])


@pytest.fixture
def keyed_ids(world, utility):
    """Meter keys (C-11) for the world's consumers, from their activation day: their ids."""
    from tests.contracts.test_settlement import activation

    ids = []
    for who in world.consumers:
        cid = world.suite.consumers.consumer(who)["id"]
        world.suite.consumers.setMeterKey(
            who,
            signing.address_of(signing.meter_key(SEED, cid)),
            activation(world),
            {"from": utility},
        )
        ids.append(cid)
    return ids


@pytest.mark.parametrize("interval", [15, 30])
def test_post_signed_batch__sub_hourly__anyone_posts_checked_records(
    world, keyed_ids, region_admin, stranger, interval
):
    """M-7: anyone posts meter-signed 15- or 30-minute records (463 or 271 bytes); each signature
    is checked against the consumer's meter key for the day when posted; the leaf hashes the whole
    signed record; a record altered after signing reverts RecordNotMeterSigned, nothing posted."""
    s = world.suite
    s.regions.addRegion(
        REGION_OF[interval],
        "sub-hourly",
        region_tuple(intervalMinutes=interval),
        {"from": region_admin},
    )
    chain.sleep(2 * 86_400)
    chain.mine()
    day = local_day(now()) - 1
    dom = _domain(s)
    keys = {cid: signing.meter_key(SEED, cid) for cid in keyed_ids}
    recs = list(signing.sign_days(dom, keys, days_of(interval, day, sorted(keyed_ids))))
    bad = list(recs)
    bad[1] = bad[1].model_copy(update={"readings": (bad[1].readings[0] ^ 1, *bad[1].readings[1:])})
    region = REGION_OF[interval]
    with brownie.reverts(err("RecordNotMeterSigned", 1, bad[1].consumer_id)):
        s.meter.postSignedBatch(region, day, meter_leaf.encode_batch(bad), {"from": stranger})
    assert s.meter.dayInfo(region, day)[0] == 0
    tx = s.meter.postSignedBatch(region, day, meter_leaf.encode_batch(recs), {"from": stranger})
    assert bytes(tx.events["MeterBatchPosted"]["root"]) == meter_leaf.root([r.leaf() for r in recs])
    assert len(recs[0].encode()) == meter_leaf.record_bytes(interval, signed=True)
    # a signed batch of the region's unsigned length is refused (M-5)
    unsigned = meter_leaf.encode_batch(days_of(interval, day, [99]))
    with brownie.reverts(err("InvalidBatchLength", len(unsigned))):
        s.meter.postSignedBatch(region, day, unsigned, {"from": stranger})


def test_post_signed_batch__record_of_another_shape__shape_error_before_signature(
    regions, stranger, yesterday
):
    """M-2, M-7: in a signed batch a record of another shape gets the shape error (checked before
    any signature), not RecordNotMeterSigned."""
    dom = _domain(regions)
    recs = [
        signing.sign_day(dom, signing.meter_key(SEED, c), d)
        for c, d in zip((1, 2), days_of(15, yesterday, [1, 2]), strict=True)
    ]
    raw = [r.encode() for r in recs]
    raw[1] = bytes([1, 15, 1]) + raw[1][3:]
    with brownie.reverts(err("RecordShapeUnsupported", 1, 1, 15, 1)):
        regions.meter.postSignedBatch(QUARTER, yesterday, b"".join(raw), {"from": stranger})


# S-13: settlement reads import records of the region's interval -----------------------------------


@pytest.mark.parametrize(
    ("interval", "channel", "asked"),
    [(15, 1, 15), (30, 1, 30), (60, 1, 60), (15, 0, 60), (30, 0, 15)],
)
def test_verified_readings__other_shape__refused_not_misread(
    regions, oracle, yesterday, interval, channel, asked
):
    """S-13: MeterData.verifiedReadings (what proof settlement and challenges read) refuses an export
    record, or a record of another interval than the one settlement asks for (the region's), with its
    own error, even with a valid proof, rather than misreading its readings.
    Mutation: drop the shape check in MeterData._checkQueryHeader -> this test fails."""
    recs = days_of(interval, yesterday, [1, 2], Channel(channel))
    region = REGION_OF[interval]
    regions.meter.postBatch(region, yesterday, meter_leaf.encode_batch(recs), {"from": oracle})
    tree = meter_leaf.levels([r.leaf() for r in recs])
    query = (region, asked, 0, 1, yesterday, 0, False, False)  # asks for import (channel 0)
    with brownie.reverts(err("RecordShapeNotSettleable", 1, interval, channel)):
        regions.meter.verifiedReadings(query, recs[0].encode(), meter_leaf.proof(tree, 0))


@pytest.mark.parametrize("interval", [15, 30, 60])
@pytest.mark.parametrize("channel", [Channel.IMPORT, Channel.EXPORT], ids=["import", "export"])
def test_verified_readings__channel_of_the_region_interval__read(
    regions, oracle, yesterday, interval, channel
):
    """S-13, N-2: a record of the region's interval on the channel asked for (import; export for a
    net program) is read exactly: its 96, 48 or 24 readings."""
    recs = days_of(interval, yesterday, [1, 2], channel)
    region = REGION_OF[interval]
    regions.meter.postBatch(region, yesterday, meter_leaf.encode_batch(recs), {"from": oracle})
    tree = meter_leaf.levels([r.leaf() for r in recs])
    counted, readings = regions.meter.verifiedReadings(
        (region, interval, int(channel), 2, yesterday, 0, False, False),
        recs[1].encode(),
        meter_leaf.proof(tree, 1),
    )
    assert counted and tuple(readings) == recs[1].readings
    assert len(readings) == 1_440 // interval


def _quarter_program(s, verifiers, other, region):  # type: ignore[no-untyped-def]
    s.utilities.applyForVerification("Quarter Co", b"\x07" * 32, [region], {"from": other})
    for v in verifiers[:2]:
        s.utilities.approve(other, 0, {"from": v})
    s.token.mint(other, 10**12, {"from": other})
    s.token.approve(s.escrow, 2**255, {"from": other})
    return s.programs.createProgram(
        region, program_tuple(s.token), 10**9, {"from": other}
    ).return_value


@pytest.mark.parametrize(("interval", "start", "end"), [(15, 69, 75), (30, 35, 37)])
def test_create_event__sub_hourly_window__created_on_interval_boundaries(
    regions, verifiers, accounts, yesterday, interval, start, end
):
    """P-3, S-13: in a 15- or 30-minute region an event's window is counted in the region's intervals:
    17:15-18:45 is intervals 69..75 on 15-minute data, 17:30-18:30 is 35..37 on 30-minute data. The
    event starts at the window's first minute (its enrollment gate counts back from there)."""
    s, other = regions, accounts[17]
    region = REGION_OF[interval]
    program = _quarter_program(s, verifiers, other, region)
    day = yesterday + 3
    tx = s.requests.createEvent(program, day, start, end, 50_000, 0, {"from": other})
    ev = tx.events["EventCreated"]
    assert (ev["startInterval"], ev["endInterval"]) == (start, end)
    e = s.requests.drEvent(tx.return_value)
    assert (e["startInterval"], e["endInterval"]) == (start, end)
    starts = s.regions.localDayStart(region, day) + start * interval * 60
    lead = s.programs.program(program)["gateLeadHours"] * 3_600
    assert s.requests.enrollmentGate(tx.return_value) == starts - lead


@pytest.mark.parametrize(
    ("interval", "start", "end"), [(15, 75, 69), (15, 90, 97), (30, 40, 49), (15, 0, 0)]
)
def test_create_event__window_outside_the_day__refused(
    regions, verifiers, accounts, yesterday, interval, start, end
):
    """P-3: a window must be start < end <= intervals a day (96 or 48): else InvalidEventWindow and
    nothing is created."""
    s, other = regions, accounts[17]
    program = _quarter_program(s, verifiers, other, REGION_OF[interval])
    before = s.requests.eventCount()
    with brownie.reverts(err("InvalidEventWindow", start, end)):
        s.requests.createEvent(program, yesterday + 3, start, end, 50_000, 0, {"from": other})
    assert s.requests.eventCount() == before


def test_create_event__hourly_region__created(world, utility):
    """S-13: the authorized twin: an event of the hourly region is created as before."""
    s = world.suite
    assert s.regions.meterInterval(REGION) == 60
    day = local_day(now()) + 3
    tx = s.requests.createEvent(world.program_id, day, 17, 19, 50_000, 0, {"from": utility})
    assert tx.events["EventCreated"]["eventId"] >= 1
