"""ConsumerRegistry: registration, activation, soulbound token, track record (SPECIFICATION.md §5, C-1..C-10)."""

from __future__ import annotations

import brownie
import pytest

from oracles.reference.baseline_days import reliability
from tests.contracts.helpers import err
from tests.contracts.suite import OTHER_REGION, REGION, prefs

RESIDENTIAL, COMMERCIAL, INDUSTRIAL = 0, 1, 2
NONE, REGISTERED, ACTIVE, DEREGISTERED = 0, 1, 2, 3
METER = b"\x11" * 32
KYC = b"\x22" * 32
OWNERSHIP = b"\x33" * 32


@pytest.fixture
def reg(suite):
    return suite.consumers


@pytest.fixture
def alice(consumer_accounts, reg):
    a = consumer_accounts[0]
    reg.register(RESIDENTIAL, REGION, METER, 3_000, 3, prefs(100, 5, 0xFF0000), {"from": a})
    return a


@pytest.fixture
def kyc_attester(accounts, reg, admin):
    a = accounts[18]
    reg.grantRole(reg.KYC_ATTESTER_ROLE(), a, {"from": admin})
    return a


def test_register(reg, consumer_accounts):
    """C-1: the registration is stored, pending activation, with no token yet."""
    a = consumer_accounts[1]
    tx = reg.register(COMMERCIAL, REGION, METER, 50_000, 1, prefs(7, 4, 0x00FF00), {"from": a})
    c = reg.consumer(a)
    assert c["status"] == REGISTERED and c["id"] == 0
    assert (c["class"], c["regionId"], c["capacityW"], c["consent"]) == (
        COMMERCIAL,
        REGION,
        50_000,
        1,
    )
    assert (c["minRate"], c["maxEventsPer30Days"], c["availableHours"]) == (7, 4, 0x00FF00)
    assert (
        reg.meterOwner(METER) == brownie.ZERO_ADDRESS
    )  # a claim: the meter binds at activation (C-2)
    assert c["meterIdHash"] == "0x" + METER.hex()
    assert tx.events["ConsumerRegistered"]["meterIdHash"] == "0x" + METER.hex()
    assert reg.balanceOf(a) == 0


def test_activate__meter_bound_to_another__reverts(reg, alice, utility, consumer_accounts):
    """C-2: a meter binds to one active consumer, at activation; a second claim of it registers
    (a claim reserves nothing) but cannot be activated while the meter is bound."""
    other = consumer_accounts[1]
    reg.register(RESIDENTIAL, REGION, METER, 1_000, 1, prefs(), {"from": other})
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    assert reg.meterOwner(METER) == alice
    with brownie.reverts(err("MeterAlreadyRegistered", METER)):
        reg.activate(other, KYC, OWNERSHIP, {"from": utility})
    with brownie.reverts(err("MeterAlreadyRegistered", "0x" + "00" * 32)):
        reg.register(
            RESIDENTIAL, REGION, bytes(32), 1_000, 1, prefs(), {"from": consumer_accounts[2]}
        )


def test_clear_registration__consumer_or_attester__clears(
    reg, alice, utility, kyc_attester, consumer_accounts
):
    """C-2: a registration never activated is withdrawn by the consumer or cleared by an attester of
    its region; the account may register again."""
    tx = reg.clearRegistration(alice, {"from": alice})
    assert tx.events["RegistrationCleared"]["by"] == alice
    assert reg.consumer(alice)["status"] == NONE
    reg.register(RESIDENTIAL, REGION, METER, 1_000, 1, prefs(), {"from": alice})
    for attester in (utility, kyc_attester):
        tx = reg.clearRegistration(alice, {"from": attester})
        assert tx.events["RegistrationCleared"]["by"] == attester
        assert reg.consumer(alice)["meterIdHash"] == "0x" + "00" * 32
        reg.register(RESIDENTIAL, REGION, METER, 1_000, 1, prefs(), {"from": alice})


def test_clear_registration__stranger_or_active__reverts(reg, alice, utility, stranger):
    """C-2: nobody else clears a registration, and an active consumer deregisters instead (C-7)."""
    with brownie.reverts(err("NotAuthorizedAttester", stranger, REGION)):
        reg.clearRegistration(alice, {"from": stranger})
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    with brownie.reverts(err("ConsumerNotInStatus", alice, REGISTERED, ACTIVE)):
        reg.clearRegistration(alice, {"from": alice})


@pytest.mark.parametrize(
    "region,capacity,consent,p,error",
    [
        (9, 1_000, 1, prefs(), err("UnknownConsumerRegion", 9)),
        (REGION, 0, 1, prefs(), err("InvalidCapacity", 0)),
        (REGION, 100_000_001, 1, prefs(), err("InvalidCapacity", 100_000_001)),
        (REGION, 1_000, 4, prefs(), err("InvalidConsent", 4)),
        (REGION, 1_000, 1, prefs(max_events=0), err("InvalidPreferences")),
        (REGION, 1_000, 1, prefs(max_events=31), err("InvalidPreferences")),
        (REGION, 1_000, 1, prefs(hours=0), err("InvalidPreferences")),
    ],
)
def test_register__bad_input__reverts(reg, consumer_accounts, region, capacity, consent, p, error):
    """C-1: each bad registration has its own error."""
    with brownie.reverts(error):
        reg.register(
            RESIDENTIAL, region, b"\x44" * 32, capacity, consent, p, {"from": consumer_accounts[2]}
        )


def test_register__twice__reverts(reg, alice):
    with brownie.reverts(err("AlreadyRegistered", alice, REGISTERED)):
        reg.register(RESIDENTIAL, REGION, b"\x45" * 32, 1_000, 1, prefs(), {"from": alice})


def test_activate__by_region_utility(reg, alice, utility):
    """C-3: an active utility of the region activates; token id = dense consumer id; ERC-5192 locked."""
    assert [int(x) for x in reg.activation(alice)] == [0, 0]
    tx = reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    c = reg.consumer(alice)
    assert [int(x) for x in reg.activation(alice)] == [1, c["activationDay"]] > [1, 0]
    assert c["status"] == ACTIVE and c["id"] == 1
    assert reg.ownerOf(1) == alice and reg.accountOf(1) == alice
    assert reg.locked(1) is True
    assert tx.events["Locked"]["tokenId"] == 1
    ev = tx.events["ConsumerActivated"]
    assert (ev["account"], ev["consumerId"], ev["attester"]) == (alice, 1, utility)
    assert reg.trackRecord(alice)["reliabilityBps"] == 5_000
    assert reg.supportsInterface("0xb45a3c0e") and reg.supportsInterface("0x80ac58cd")


def test_activate__by_kyc_attester(reg, alice, kyc_attester):
    reg.activate(alice, KYC, OWNERSHIP, {"from": kyc_attester})
    assert reg.consumer(alice)["status"] == ACTIVE


def test_attack_utility_outside_jurisdiction_activates__reverts(
    reg, alice, stranger, accounts, suite, verifiers
):
    """C-3: a utility without the consumer's region in its jurisdiction cannot activate."""
    with brownie.reverts(err("NotAuthorizedAttester", stranger, REGION)):
        reg.activate(alice, KYC, OWNERSHIP, {"from": stranger})
    other = accounts[17]
    suite.utilities.applyForVerification("Texan", b"\x05" * 32, [OTHER_REGION], {"from": other})
    for v in verifiers[:2]:
        suite.utilities.approve(other, 0, {"from": v})
    with brownie.reverts(err("NotAuthorizedAttester", other, REGION)):
        reg.activate(alice, KYC, OWNERSHIP, {"from": other})


def test_activate__missing_attestation_or_twice__reverts(reg, alice, utility):
    with brownie.reverts(err("MissingAttestation")):
        reg.activate(alice, b"\x00" * 32, OWNERSHIP, {"from": utility})
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    with brownie.reverts(err("ConsumerNotInStatus", alice, REGISTERED, ACTIVE)):
        reg.activate(alice, KYC, OWNERSHIP, {"from": utility})


def test_token_is_soulbound(reg, alice, utility, stranger):
    """C-4: every transfer and approval reverts."""
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    with brownie.reverts(err("Soulbound", 1)):
        reg.transferFrom(alice, stranger, 1, {"from": alice})
    with brownie.reverts(err("Soulbound", 1)):
        reg.safeTransferFrom(alice, stranger, 1, {"from": alice})
    with brownie.reverts(err("Soulbound", 1)):
        reg.approve(stranger, 1, {"from": alice})
    with brownie.reverts(err("Soulbound", 0)):
        reg.setApprovalForAll(stranger, True, {"from": alice})
    assert reg.ownerOf(1) == alice


def test_update_profile(reg, alice):
    """C-5, C-12: the consumer changes consent and preferences, and lowers its capacity."""
    tx = reg.updateProfile(2_000, 1, prefs(5, 2, 0xFF), {"from": alice})
    c = reg.consumer(alice)
    assert (c["capacityW"], c["consent"], c["minRate"], c["availableHours"]) == (2_000, 1, 5, 0xFF)
    assert tx.events["ProfileUpdated"]["capacityW"] == 2_000


def test_update_profile__unregistered__reverts(reg, stranger):
    with brownie.reverts(err("ConsumerNotInStatus", stranger, ACTIVE, NONE)):
        reg.updateProfile(4_000, 1, prefs(), {"from": stranger})


def test_pause(reg, alice, utility, stranger):
    """C-6: an active consumer pauses and resumes; others cannot."""
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    tx = reg.setPaused(True, {"from": alice})
    assert reg.consumer(alice)["paused"] is True
    assert tx.events["ParticipationPaused"]["paused"] is True
    with brownie.reverts(err("ConsumerNotInStatus", stranger, ACTIVE, NONE)):
        reg.setPaused(True, {"from": stranger})


def test_deregister(reg, alice, utility, consumer_accounts):
    """C-7: the token is burned, the meter freed, the account cannot come back."""
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    tx = reg.deregister({"from": alice})
    assert tx.events["ConsumerDeregistered"]["consumerId"] == 1
    assert reg.balanceOf(alice) == 0
    assert reg.accountOf(1) == alice
    assert reg.meterOwner(METER) == "0x" + "00" * 20
    with brownie.reverts(err("ERC721NonexistentToken", 1)):
        reg.locked(1)
    with brownie.reverts(err("AlreadyRegistered", alice, DEREGISTERED)):
        reg.register(RESIDENTIAL, REGION, METER, 1_000, 1, prefs(), {"from": alice})
    reg.register(RESIDENTIAL, REGION, METER, 1_000, 1, prefs(), {"from": consumer_accounts[3]})


def test_deregister__not_active__reverts(reg, alice):
    with brownie.reverts(err("ConsumerNotInStatus", alice, ACTIVE, REGISTERED)):
        reg.deregister({"from": alice})


def test_record_settlement__settlement_role_only(reg, alice, utility, stranger, admin, stablecoin):
    """C-9, C-10: only SETTLEMENT_ROLE writes the record; reliability follows the reference formula."""
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, reg.SETTLEMENT_ROLE())):
        reg.recordSettlements(stablecoin, 5_000, [(alice, 1_000, 900, 5, True)], {"from": stranger})
    reg.grantRole(reg.SETTLEMENT_ROLE(), admin, {"from": admin})
    score = 5_000
    cases = [
        (1_000, 900, 5, True),
        (1_000, 300, 0, True),
        (1_000, 2_000, 9, True),
        (1_000, 0, 0, False),
    ]
    for committed, verified, reward, sufficient in cases[:2]:  # one call each
        tx = reg.recordSettlements(
            stablecoin, 5_000, [(alice, committed, verified, reward, sufficient)], {"from": admin}
        )
        score = reliability(score, committed, verified, 5_000, sufficient)
        assert tx.events["TrackRecordUpdated"]["reliabilityBps"] == score
    # then two in one call, each applied in turn
    tx = reg.recordSettlements(
        stablecoin, 5_000, [(alice, *case) for case in cases[2:]], {"from": admin}
    )
    for i, (committed, verified, _reward, sufficient) in enumerate(cases[2:]):
        score = reliability(score, committed, verified, 5_000, sufficient)
        assert tx.events["TrackRecordUpdated"][i]["reliabilityBps"] == score
    r = reg.trackRecord(alice)
    assert (r["eventsSettled"], r["eventsDelivered"], r["eventsInsufficient"]) == (4, 2, 1)
    assert r["verifiedWh"] == 900 + 300 + 2_000
    assert r["reliabilityBps"] == score
    assert reg.rewardsOf(alice, stablecoin) == 14


def test_record_settlement__zero_reduction_is_never_delivered(
    reg, alice, utility, admin, stablecoin
):
    """C-9: with a minimum delivery of 0 a zero verified reduction does not count as delivered (and
    performs 0, C-10); one Wh does."""
    reg.activate(alice, KYC, OWNERSHIP, {"from": utility})
    reg.grantRole(reg.SETTLEMENT_ROLE(), admin, {"from": admin})
    reg.recordSettlements(stablecoin, 0, [(alice, 1_000, 0, 0, True)], {"from": admin})
    assert reg.trackRecord(alice)["eventsDelivered"] == 0
    reg.recordSettlements(stablecoin, 0, [(alice, 1_000, 1, 0, True)], {"from": admin})
    assert reg.trackRecord(alice)["eventsDelivered"] == 1
