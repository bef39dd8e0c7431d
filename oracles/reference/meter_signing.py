"""Device-signed meter data: the Python reference of MeterData's EIP-712 `MeterDay` (SPECIFICATION.md M-7).

A meter signs each consumer-day it measured: the typed struct :data:`METER_DAY_TYPE` (every header
field of the record, flags included, and the readings, 96, 48 or 24 of them) in the domain
``("GridBalance MeterData", "1", chainId, MeterData's address)``. The signature travels after the
record (a 175-byte signed hourly record, 271 or 463 bytes for 30 or 15 minutes, posted with
``postSignedBatch`` by anyone); MeterData accepts it only if the signature recovers to the consumer's registered meter key for that day (M-7,
C-11), and a program that requires signed data counts only such records (S-10), so no relayer can
change one Wh or one flag unnoticed.

The digest is computed here with eth-abi and keccak (the test suite checks it against eth-account's
general EIP-712 encoder), and signatures use eth-keys (with coincurve, ~0.1 ms each).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_keys.datatypes import PrivateKey, Signature
from eth_keys.exceptions import BadSignature
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError
from pydantic import BaseModel, ConfigDict, Field

from oracles.reference.meter_leaf import ConsumerDay

DOMAIN_NAME = "GridBalance MeterData"
DOMAIN_VERSION = "1"
SIGNATURE_BYTES = 65
METER_DAY_TYPE = (
    "MeterDay(uint8 version,uint8 intervalMinutes,uint8 channel,uint32 consumerId,uint16 regionId,"
    "uint32 day,uint8 flags,bytes readings)"
)
METER_DAY_TYPEHASH = keccak(text=METER_DAY_TYPE)
_DOMAIN_TYPEHASH = keccak(
    text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
)
_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


class MeterDomain(BaseModel):
    """The EIP-712 domain meters sign in: one MeterData contract on one chain."""

    model_config = ConfigDict(frozen=True)

    chain_id: int = Field(ge=1)
    meter_data: str = Field(pattern=r"^0x[0-9a-fA-F]{40}$")

    def separator(self) -> bytes:
        return keccak(
            abi_encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    _DOMAIN_TYPEHASH,
                    keccak(text=DOMAIN_NAME),
                    keccak(text=DOMAIN_VERSION),
                    self.chain_id,
                    self.meter_data,
                ],
            )
        )


def typed_data(domain: MeterDomain, day: ConsumerDay) -> dict[str, Any]:
    """The day as EIP-712 typed data (the JSON a wallet or eth-account's ``encode_typed_data`` and
    ``sign_typed_data`` take): the same type as :data:`METER_DAY_TYPE`, for meters and tests that
    sign with a general EIP-712 implementation."""
    return {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"},
            ],
            "MeterDay": [
                {"name": "version", "type": "uint8"}, {"name": "intervalMinutes", "type": "uint8"},
                {"name": "channel", "type": "uint8"}, {"name": "consumerId", "type": "uint32"},
                {"name": "regionId", "type": "uint16"}, {"name": "day", "type": "uint32"},
                {"name": "flags", "type": "uint8"}, {"name": "readings", "type": "bytes"},
            ],
        },
        "primaryType": "MeterDay",
        "domain": {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": domain.chain_id,
                   "verifyingContract": domain.meter_data},
        "message": {"version": day.version, "intervalMinutes": day.interval_minutes,
                    "channel": int(day.channel), "consumerId": day.consumer_id,
                    "regionId": day.region_id, "day": day.day, "flags": day.flags,
                    "readings": packed_readings(day)},
    }  # fmt: skip


def packed_readings(day: ConsumerDay) -> bytes:
    """The `readings` field of MeterDay: the readings as the record carries them, 4 big-endian bytes
    each (384, 192 or 96 bytes for 15-, 30- or 60-minute days): one shape as another (M-7)."""
    return b"".join(r.to_bytes(4, "big") for r in day.readings)


def struct_hash(day: ConsumerDay) -> bytes:
    """hashStruct(MeterDay), flags included (M-7). Every field is one big-endian 32-byte word (EIP-712
    encodeData; `bytes` as its keccak256), written directly: eth-abi's encoder is ~20x slower and this
    runs for every consumer-day."""
    readings_hash = keccak(packed_readings(day))
    words = (
        day.version, day.interval_minutes, int(day.channel), day.consumer_id, day.region_id,
        day.day, day.flags,
    )  # fmt: skip
    return keccak(
        METER_DAY_TYPEHASH + b"".join(w.to_bytes(32, "big") for w in words) + readings_hash
    )


def digest(domain: MeterDomain, day: ConsumerDay, separator: bytes | None = None) -> bytes:
    """The EIP-712 digest of a consumer-day (MeterData.meterDayDigest)."""
    sep = domain.separator() if separator is None else separator
    return keccak(b"\x19\x01" + sep + struct_hash(day))


def meter_key(seed: int, consumer_index: int) -> bytes:
    """A simulated meter's private key, derived from the simulation seed (never a real device key)."""
    return keccak(
        abi_encode(
            ["string", "uint256", "uint256"], ["gridbalance-sim-meter", seed, consumer_index]
        )
    )


def address_of(private_key: bytes) -> str:
    return PrivateKey(private_key).public_key.to_checksum_address()


def sign_day(
    domain: MeterDomain, private_key: bytes, day: ConsumerDay, separator: bytes | None = None
) -> ConsumerDay:
    """The consumer-day with its meter's signature (r ‖ s ‖ v, v = 27 or 28)."""
    sig = PrivateKey(private_key).sign_msg_hash(digest(domain, day, separator))
    raw = sig.r.to_bytes(32, "big") + sig.s.to_bytes(32, "big") + bytes([sig.v + 27])
    return day.model_copy(update={"signature": raw})


def sign_days(
    domain: MeterDomain, key_of: dict[int, bytes], days: Iterable[ConsumerDay]
) -> Iterator[ConsumerDay]:
    """Sign every present day whose consumer has a key in ``key_of`` (consumer id -> private key).

    A day flagged missing is one the oracle found incomplete, so its meter did not send it: it stays
    an unsigned record (posted with ``postBatch``; it counts as missing either way, S-10)."""
    sep = domain.separator()
    for d in days:
        key = key_of.get(d.consumer_id)
        yield d if key is None or d.missing else sign_day(domain, key, d, sep)


def recover(domain: MeterDomain, day: ConsumerDay, separator: bytes | None = None) -> str | None:
    """The address that signed the day (MeterData.recordSigner); None if unsigned or malformed.

    Mirrors OpenZeppelin's ECDSA.tryRecover: v must be 27 or 28 and s in the lower half order."""
    sig = day.signature
    if sig is None or len(sig) != SIGNATURE_BYTES:
        return None
    r, s, v = int.from_bytes(sig[:32], "big"), int.from_bytes(sig[32:64], "big"), sig[64]
    if v not in (27, 28) or s > _SECP256K1_N // 2 or r == 0 or s == 0 or r >= _SECP256K1_N:
        return None
    try:
        signature = Signature(vrs=(v - 27, r, s))
        pub = signature.recover_public_key_from_msg_hash(digest(domain, day, separator))
    except (BadSignature, ValidationError):
        return None
    return str(pub.to_checksum_address())


def key_for_day(key: str, from_day: int, previous_key: str, day: int) -> str:
    """The key that signs ``day`` (C-11), from a ConsumerRegistry ``MeterKey``: the current key
    from its first day on, the previous key before."""
    return key if day >= from_day else previous_key


def signed_by(
    domain: MeterDomain, day: ConsumerDay, key: str | None, separator: bytes | None = None
) -> bool:
    """M-7: whether the record carries ``key``'s signature (what MeterData checks when a signed
    record is posted); never for a zero or absent key."""
    if key is None or int(key, 16) == 0:
        return False
    signer = recover(domain, day, separator)
    return signer is not None and signer.lower() == key.lower()


def counts(
    domain: MeterDomain, day: ConsumerDay, key: str | None, separator: bytes | None = None
) -> bool:
    """S-10: whether a record counts in a signed-data program (present and signed by ``key``)."""
    return not day.missing and signed_by(domain, day, key, separator)
