"""The Python reference of device-signed meter data (SPECIFICATION.md M-7, S-10), checked against
eth-account's general EIP-712 encoder and signer. The contract side: tests/contracts/test_signed_meter_data.py."""

from __future__ import annotations

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils.crypto import keccak

from oracles.reference import meter_signing as signing
from oracles.reference.meter_leaf import SIGNED_RECORD_BYTES, ConsumerDay, encode_batch

DOMAIN = signing.MeterDomain(chain_id=246, meter_data="0x" + "ab" * 20)
DAY = ConsumerDay(
    consumer_id=42, region_id=3, day=20_600, readings=tuple(1_000 + 7 * h for h in range(24))
)


def typed(day: ConsumerDay, domain: signing.MeterDomain) -> dict[str, object]:
    return signing.typed_data(domain, day)


def test_digest_equals_eth_account_eip712() -> None:
    msg = encode_typed_data(full_message=typed(DAY, DOMAIN))
    assert signing.digest(DOMAIN, DAY) == keccak(b"\x19" + msg.version + msg.header + msg.body)


def test_signature_equals_eth_account_and_recovers_the_meter() -> None:
    key = signing.meter_key(1, 42)
    signed = signing.sign_day(DOMAIN, key, DAY)
    theirs = Account.sign_typed_data(key, full_message=typed(DAY, DOMAIN))
    assert signed.signature == bytes(theirs.signature)  # RFC 6979: deterministic, same bytes
    assert signing.recover(DOMAIN, signed) == Account.from_key(key).address
    assert len(signed.encode()) == SIGNED_RECORD_BYTES
    assert ConsumerDay.decode(signed.encode()) == signed


@pytest.mark.parametrize(
    "change",
    [
        {"readings": (*DAY.readings[:17], DAY.readings[17] + 1, *DAY.readings[18:])},  # one Wh
        {"day": DAY.day + 1},  # replayed on another day
        {"region_id": 4},  # another region
        {"consumer_id": 43},  # another consumer
    ],
)
def test_any_change_to_a_signed_day__does_not_recover_the_meter(change: dict[str, object]) -> None:
    key = signing.meter_key(1, 42)
    meter = signing.address_of(key)
    signed = signing.sign_day(DOMAIN, key, DAY)
    assert signing.counts(DOMAIN, signed, meter)
    assert not signing.counts(DOMAIN, signed.model_copy(update=change), meter)


def test_flags_are_signed__a_signed_day_flagged_missing_no_longer_recovers_the_meter() -> None:
    """M-7, P2 (f08): the header, flags included, is under the meter's signature, so a relayer that
    flags a signed day missing holds a record its meter did not sign (MeterData refuses it)."""
    key = signing.meter_key(1, 42)
    meter = signing.address_of(key)
    signed = signing.sign_day(DOMAIN, key, DAY)
    flagged = signed.model_copy(update={"missing": True})
    assert flagged.encode()[13] == 1 and signed.encode()[13] == 0
    assert signing.recover(DOMAIN, signed) == meter
    assert signing.recover(DOMAIN, flagged) != meter
    # a meter that itself reports a day missing signs that, and it recovers (but never counts, S-10)
    own = signing.sign_day(DOMAIN, key, DAY.model_copy(update={"missing": True}))
    assert signing.recover(DOMAIN, own) == meter and not signing.counts(DOMAIN, own, meter)


def test_replay_on_another_chain_or_contract__does_not_recover_the_meter() -> None:
    key = signing.meter_key(1, 42)
    signed = signing.sign_day(DOMAIN, key, DAY)
    for other in (
        DOMAIN.model_copy(update={"chain_id": 73_799}),
        DOMAIN.model_copy(update={"meter_data": "0x" + "cd" * 20}),
    ):
        assert not signing.counts(other, signed, signing.address_of(key))


def test_counts__missing_unsigned_or_keyless__false() -> None:
    key = signing.meter_key(1, 42)
    meter = signing.address_of(key)
    assert not signing.counts(DOMAIN, DAY, meter)  # unsigned
    assert not signing.counts(DOMAIN, signing.sign_day(DOMAIN, key, DAY), None)  # no key
    assert not signing.counts(DOMAIN, signing.sign_day(DOMAIN, key, DAY), "0x" + "00" * 20)
    # a day the oracle found incomplete was not sent by its meter: it stays unsigned (postBatch)
    missing = next(signing.sign_days(DOMAIN, {42: key}, [DAY.model_copy(update={"missing": True})]))
    assert missing.signature is None and not signing.counts(DOMAIN, missing, meter)


def test_a_batch_is_all_signed_or_all_unsigned() -> None:
    signed = signing.sign_day(DOMAIN, signing.meter_key(1, 42), DAY)
    other = DAY.model_copy(update={"consumer_id": 43})
    with pytest.raises(ValueError, match="all signed or all unsigned"):
        encode_batch([signed, other])
