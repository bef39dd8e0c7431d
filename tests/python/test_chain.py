"""The fast call-data encoder gives exactly web3's bytes (it replaces web3's encoder on every send)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from web3 import Web3

from oracles.chain.client import calldata
from oracles.protocol.artifacts import load_artifact

W3 = Web3()
ADDRESS = "0x" + "ab" * 20
REQUESTS = W3.eth.contract(
    address=Web3.to_checksum_address(ADDRESS), abi=load_artifact("ReductionRequests").abi
)
PROOFS = W3.eth.contract(
    address=Web3.to_checksum_address(ADDRESS), abi=load_artifact("ProofSettlement").abi
)
CONSUMERS = W3.eth.contract(
    address=Web3.to_checksum_address(ADDRESS), abi=load_artifact("ConsumerRegistry").abi
)

accounts = st.binary(min_size=20, max_size=20).map(lambda b: Web3.to_checksum_address(b))
words = st.binary(min_size=32, max_size=32)
leaves = st.tuples(st.integers(0, 2**16 - 1), st.binary(max_size=120), st.lists(words, max_size=20))


@settings(max_examples=60, deadline=None)
@given(event=st.integers(0, 2**256 - 1), account=accounts, proofs=st.lists(leaves, max_size=12))
def test_calldata__settle__equals_web3(
    event: int, account: str, proofs: list[tuple[int, bytes, list[bytes]]]
) -> None:
    fn = PROOFS.functions.settle(event, account, proofs)
    assert calldata(fn) == fn._encode_transaction_data()


@settings(max_examples=60, deadline=None)
@given(
    cls=st.integers(0, 2),
    region=st.integers(0, 2**16 - 1),
    meter=words,
    capacity=st.integers(0, 2**32 - 1),
    consent=st.integers(0, 255),
    prefs=st.tuples(st.integers(0, 2**80 - 1), st.integers(0, 255), st.integers(0, 2**24 - 1)),
)
def test_calldata__register_with_struct_tuple__equals_web3(
    cls: int, region: int, meter: bytes, capacity: int, consent: int, prefs: tuple[int, int, int]
) -> None:
    fn = CONSUMERS.functions.register(cls, region, meter, capacity, consent, prefs)
    assert calldata(fn) == fn._encode_transaction_data()


def test_calldata__keyword_arguments__take_web3s_path() -> None:
    fn = REQUESTS.functions.enroll(eventId=7, committedWh=1_234)
    assert (
        calldata(fn)
        == fn._encode_transaction_data()
        == calldata(REQUESTS.functions.enroll(7, 1_234))
    )
