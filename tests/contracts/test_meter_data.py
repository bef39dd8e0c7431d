"""MeterData: batches of consumer-day records committed as Merkle roots (SPECIFICATION.md §6, M-1..M-6)."""

from __future__ import annotations

import random

import brownie
import pytest

from oracles.reference import meter_leaf
from oracles.reference.meter_leaf import RECORD_BYTES, ConsumerDay
from tests.contracts.helpers import err
from tests.contracts.suite import REGION, MeterBook, day_start, local_day, now


@pytest.fixture
def meter(suite):
    return suite.meter


@pytest.fixture
def yesterday():
    return local_day(now()) - 1


def records(
    day: int, ids: range | list[int], region: int = REGION, seed: int = 1
) -> list[ConsumerDay]:
    rng = random.Random(seed)
    return [
        ConsumerDay(
            consumer_id=i,
            region_id=region,
            day=day,
            readings=tuple(rng.randrange(0, 5_000) for _ in range(24)),
        )
        for i in ids
    ]


def test_post_batch__root_equals_reference(meter, oracle, yesterday):
    """M-2, M-3: the contract's root equals the Python reference for odd and even sizes."""
    book = MeterBook(meter, oracle)
    first = records(yesterday, range(1, 8))
    tx = book.post(REGION, yesterday, first)
    ev = tx.events["MeterBatchPosted"]
    expected = meter_leaf.root([r.leaf() for r in first])
    assert ev["root"] == "0x" + expected.hex()
    assert (ev["batchIndex"], ev["count"], ev["firstConsumerId"], ev["lastConsumerId"]) == (
        0,
        7,
        1,
        7,
    )
    assert meter.batchRoot(REGION, yesterday, 0) == "0x" + expected.hex()
    second = records(yesterday, range(8, 16), seed=2)
    tx = book.post(REGION, yesterday, second)
    assert tx.return_value == 1
    assert (
        meter.batchRoot(REGION, yesterday, 1)
        == "0x" + meter_leaf.root([r.leaf() for r in second]).hex()
    )
    info = meter.dayInfo(REGION, yesterday)
    assert (info["batchCount"], info["lastConsumerId"], info["consumerDays"]) == (2, 15, 15)
    # M-9: hasData is true once the day with data is final
    assert not meter.hasData(REGION, yesterday)
    from brownie import chain

    chain.sleep(day_start(yesterday + 1) + meter.FINALITY_DELAY() - now() + 1)
    chain.mine()
    meter.finalize(REGION, yesterday, {"from": oracle})
    assert meter.hasData(REGION, yesterday) and meter.isFinal(REGION, yesterday - 1)
    assert not meter.hasData(REGION, yesterday - 1)


def test_post_batch__stranger__reverts(meter, stranger, yesterday):
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, meter.METER_ORACLE_ROLE())
    ):
        meter.postBatch(
            REGION, yesterday, meter_leaf.encode_batch(records(yesterday, [1])), {"from": stranger}
        )


def test_post_batch__day_not_ended__reverts(meter, oracle):
    """M-1: a local day's data can be posted only once that day has ended."""
    today = local_day(now())
    data = meter_leaf.encode_batch(records(today, [1]))
    with brownie.reverts(err("DayNotEnded", REGION, today, day_start(today + 1))):
        meter.postBatch(REGION, today, data, {"from": oracle})


@pytest.mark.parametrize("length", [0, RECORD_BYTES - 1, RECORD_BYTES + 1])
def test_post_batch__bad_length__reverts(meter, oracle, yesterday, length):
    """M-5: a batch is a whole, non-zero number of records of the region's shape (110 bytes in an
    hourly region); the first record's shape is checked first (M-2), so the bytes start as one."""
    data = (records(yesterday, [1])[0].encode() + b"\x01")[:length]
    with brownie.reverts(err("InvalidBatchLength", length)):
        meter.postBatch(REGION, yesterday, data, {"from": oracle})


def test_post_batch__unknown_region__reverts(meter, oracle, yesterday):
    data = meter_leaf.encode_batch(records(yesterday, [1], region=7))
    with brownie.reverts(err("UnknownMeterRegion", 7)):
        meter.postBatch(7, yesterday, data, {"from": oracle})


def test_post_batch__record_of_other_day_or_region__reverts(meter, oracle, yesterday):
    """M-3: every record carries the batch's region and day."""
    bad_day = records(yesterday, [1]) + records(yesterday - 1, [2])
    with brownie.reverts(err("RecordOutOfBatch", 1, REGION, yesterday - 1)):
        meter.postBatch(REGION, yesterday, meter_leaf.encode_batch(bad_day), {"from": oracle})
    bad_region = records(yesterday, [1]) + records(yesterday, [2], region=2)
    with brownie.reverts(err("RecordOutOfBatch", 1, 2, yesterday)):
        meter.postBatch(REGION, yesterday, meter_leaf.encode_batch(bad_region), {"from": oracle})


def test_post_batch__bad_flags__reverts(meter, oracle, yesterday):
    """M-2: only flag bit 0 (missing) exists."""
    rec = bytearray(records(yesterday, [1])[0].encode())
    rec[13] = 2
    with brownie.reverts(err("InvalidRecordFlags", 0, 2)):
        meter.postBatch(REGION, yesterday, bytes(rec), {"from": oracle})


@pytest.mark.parametrize(
    "shape", [(2, 60, 0), (0, 60, 0), (1, 15, 0), (1, 30, 0), (1, 60, 1), (1, 60, 2)]
)
def test_post_batch__record_of_another_shape__reverts(meter, oracle, yesterday, shape):
    """M-2, R-7: a record's versioned header names its shape (format version, interval minutes,
    channel); a batch takes version 1, the region's interval (60 here) and the first record's
    channel, and refuses any other with its own error, nothing posted.
    Mutation: drop the shape part of the `BATCH_FIELDS` check in MeterData._checkHeader -> this
    test fails."""
    good = records(yesterday, [1])[0].encode()
    assert good[:3] == bytes([1, 60, 0])
    data = good + bytes(shape) + records(yesterday, [2])[0].encode()[3:]
    with brownie.reverts(err("RecordShapeUnsupported", 1, *shape)):
        meter.postBatch(REGION, yesterday, data, {"from": oracle})
    assert meter.dayInfo(REGION, yesterday)[0] == 0 and not meter.recordPosted(REGION, yesterday, 1)


def test_post_batch__ids_not_increasing__reverts(meter, oracle, yesterday):
    """M-4: ids are >= 1 and strictly increase within a batch; a consumer-day already posted by an
    earlier batch of the day reverts RecordAlreadyPosted: one leaf per consumer-day."""
    dup = records(yesterday, [3, 3])
    with brownie.reverts(err("ConsumerIdNotIncreasing", 1, 3, 3)):
        meter.postBatch(REGION, yesterday, meter_leaf.encode_batch(dup), {"from": oracle})
    meter.postBatch(
        REGION, yesterday, meter_leaf.encode_batch(records(yesterday, [1, 5])), {"from": oracle}
    )
    with brownie.reverts(err("RecordAlreadyPosted", REGION, yesterday, 5)):
        meter.postBatch(
            REGION, yesterday, meter_leaf.encode_batch(records(yesterday, [5])), {"from": oracle}
        )
    with brownie.reverts(err("RecordAlreadyPosted", REGION, yesterday, 1)):
        meter.postBatch(
            REGION, yesterday, meter_leaf.encode_batch(records(yesterday, [0x101 - 0x100, 300])),
            {"from": oracle},
        )  # fmt: skip
    zero = bytearray(records(yesterday, [1])[0].encode())
    zero[3:7] = b"\x00\x00\x00\x00"
    with brownie.reverts(err("ConsumerIdNotIncreasing", 0, 0, 0)):
        meter.postBatch(REGION, yesterday + 0, bytes(zero), {"from": oracle})


def test_post_batch__any_order__left_out_record_added_later(meter, oracle, yesterday):
    """M-4, M-8: batches of a day come in any order; a consumer-day left out of the day's first
    batches is posted later; the posted bits prove every other consumer-day absent."""
    meter.postBatch(
        REGION, yesterday, meter_leaf.encode_batch(records(yesterday, [2, 300, 600])),
        {"from": oracle},
    )  # fmt: skip
    tx = meter.postBatch(
        REGION, yesterday, meter_leaf.encode_batch(records(yesterday, [1, 299])), {"from": oracle}
    )
    assert tx.events["MeterBatchPosted"]["batchIndex"] == 1
    info = meter.dayInfo(REGION, yesterday)
    assert (info["batchCount"], info["lastConsumerId"], info["consumerDays"]) == (2, 600, 5)
    posted = {1, 2, 299, 300, 600}
    for cid in (1, 2, 3, 255, 256, 299, 300, 301, 600, 601):
        assert meter.recordPosted(REGION, yesterday, cid) == (cid in posted)
    words = [int(x) for x in meter.postedWords(REGION, [yesterday, yesterday - 1], 1, 0)]
    assert words == [(1 << (299 - 256)) | (1 << (300 - 256)), 0]
    # each channel has its own bits (M-4, M-8): nothing was posted on export
    assert [int(x) for x in meter.postedWords(REGION, [yesterday], 1, 1)] == [0]


def test_post_batch__1000_consumer_days_in_one_transaction(meter, oracle, yesterday):
    """M-5: at least 1,000 consumer-days fit one transaction; the gas is reported by `make bench` later."""
    batch = records(yesterday, range(1, 1_001), seed=3)
    tx = meter.postBatch(REGION, yesterday, meter_leaf.encode_batch(batch), {"from": oracle})
    assert tx.events["MeterBatchPosted"]["count"] == 1_000
    assert (
        tx.events["MeterBatchPosted"]["root"]
        == "0x" + meter_leaf.root([r.leaf() for r in batch]).hex()
    )
    assert tx.gas_used < 16_777_216  # the per-transaction cap of EIP-7825
    print(
        f"\nGAS postBatch 1000 consumer-days: {tx.gas_used} ({tx.gas_used / 24_000:.1f} per reading)"
    )
