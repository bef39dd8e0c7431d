"""UtilityRegistry: the M-of-N council (SPECIFICATION.md §4, rules U-1..U-9)."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain

from tests.contracts.helpers import err
from tests.contracts.suite import REGION

VERIFY, RENEW, REINSTATE, REVOKE = 0, 1, 2, 3
NONE, PENDING, ACTIVE, SUSPENDED, REVOKED = 0, 1, 2, 3, 4
CRED = b"\x07" * 32


@pytest.fixture
def utils(suite):
    return suite.utilities


@pytest.fixture
def applicant(accounts, utils):
    a = accounts[19]
    utils.applyForVerification("Valley Power", CRED, [1, 2], {"from": a})
    return a


def test_constructor_sets_council(utils, verifiers):
    """U-1: three verifiers, threshold 2."""
    assert utils.verifierCount() == 3
    assert utils.threshold() == 2
    assert all(utils.hasRole(utils.VERIFIER_ROLE(), v) for v in verifiers)


def test_set_threshold__admin(utils, admin):
    """U-1: admin sets M within 1..N."""
    tx = utils.setThreshold(3, {"from": admin})
    assert utils.threshold() == 3
    assert tx.events["ThresholdChanged"]["threshold"] == 3


def test_set_threshold__stranger__reverts(utils, stranger):
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, utils.DEFAULT_ADMIN_ROLE())
    ):
        utils.setThreshold(1, {"from": stranger})


@pytest.mark.parametrize("m", [0, 4])
def test_set_threshold__out_of_range__reverts(utils, admin, m):
    """U-1: 1 <= M <= N."""
    with brownie.reverts(err("InvalidThreshold", m, 3)):
        utils.setThreshold(m, {"from": admin})


def test_revoke_verifier_below_threshold__reverts(utils, admin, verifiers):
    """U-1: the council cannot shrink below M."""
    utils.setThreshold(3, {"from": admin})
    with brownie.reverts(err("ThresholdExceedsVerifiers", 3, 2)):
        utils.revokeRole(utils.VERIFIER_ROLE(), verifiers[0], {"from": admin})


def test_set_validity_period__admin_and_stranger(utils, admin, stranger):
    """U-3: admin sets the validity period (1 day .. 5 years)."""
    tx = utils.setValidityPeriod(30 * 86400, {"from": admin})
    assert utils.validityPeriod() == 30 * 86400
    assert tx.events["ValidityPeriodChanged"]["period"] == 30 * 86400
    with brownie.reverts(err("InvalidValidityPeriod", 60)):
        utils.setValidityPeriod(60, {"from": admin})
    with brownie.reverts(
        err("AccessControlUnauthorizedAccount", stranger, utils.DEFAULT_ADMIN_ROLE())
    ):
        utils.setValidityPeriod(30 * 86400, {"from": stranger})


def test_apply(utils, applicant):
    """U-2: an application is pending with its jurisdiction."""
    u = utils.utility(applicant)
    assert u["status"] == PENDING
    assert u["credentialHash"] == "0x" + CRED.hex()
    assert u["regionCount"] == 2
    assert utils.inJurisdiction(applicant, 1) and utils.inJurisdiction(applicant, 2)
    assert utils.utilityName(applicant) == "Valley Power"
    assert not utils.isActiveUtility(applicant, 1)


def test_apply__twice__reverts(utils, applicant):
    with brownie.reverts(err("AlreadyApplied", applicant, PENDING)):
        utils.applyForVerification("Again", CRED, [1], {"from": applicant})


@pytest.mark.parametrize(
    "name,cred,regions,error",
    [
        ("", CRED, [1], err("InvalidUtilityName", 0)),
        ("x" * 65, CRED, [1], err("InvalidUtilityName", 65)),
        ("Ok", b"\x00" * 32, [1], err("MissingCredential")),
        ("Ok", CRED, [], err("InvalidJurisdiction", 0)),
        ("Ok", CRED, [9], err("InvalidJurisdictionRegion", 9)),
        ("Ok", CRED, [1, 1], err("InvalidJurisdictionRegion", 1)),
    ],
)
def test_apply__bad_input__reverts(utils, stranger, name, cred, regions, error):
    """U-2: each bad application has its own error."""
    with brownie.reverts(error):
        utils.applyForVerification(name, cred, regions, {"from": stranger})


def test_verify_needs_m_distinct_approvals(utils, applicant, verifiers):
    """U-3: one approval is not enough; the second distinct one verifies, valid for the period."""
    tx = utils.approve(applicant, VERIFY, {"from": verifiers[0]})
    assert tx.events["ActionApproved"]["approvals"] == 1
    assert utils.utility(applicant)["status"] == PENDING
    with brownie.reverts(err("AlreadyApproved", applicant, VERIFY, verifiers[0])):
        utils.approve(applicant, VERIFY, {"from": verifiers[0]})
    tx = utils.approve(applicant, VERIFY, {"from": verifiers[1]})
    ev = tx.events["ActionExecuted"]
    assert ev["status"] == ACTIVE
    assert ev["expiresAt"] == tx.timestamp + utils.validityPeriod()
    assert utils.isActiveUtility(applicant, 1)
    assert utils.isActiveUtility(applicant, 2)
    assert not utils.isActiveUtility(applicant, 3)


def test_approve__stranger__reverts(utils, applicant, stranger):
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, utils.VERIFIER_ROLE())):
        utils.approve(applicant, VERIFY, {"from": stranger})


def test_approve__wrong_status__reverts(utils, applicant, verifiers):
    """U-4..U-6: renew needs Active, reinstate needs Suspended."""
    with brownie.reverts(err("ActionNotAllowed", applicant, RENEW, PENDING)):
        utils.approve(applicant, RENEW, {"from": verifiers[0]})
    with brownie.reverts(err("ActionNotAllowed", applicant, REINSTATE, PENDING)):
        utils.approve(applicant, REINSTATE, {"from": verifiers[0]})


def test_council_change_lapses_pending_approvals(utils, applicant, verifiers, admin, accounts):
    """U-1: a change of the council or of M lets pending approvals lapse."""
    utils.approve(applicant, VERIFY, {"from": verifiers[0]})
    assert utils.approvals(applicant, VERIFY) == 1
    utils.grantRole(utils.VERIFIER_ROLE(), accounts[18], {"from": admin})
    assert utils.approvals(applicant, VERIFY) == 0
    assert not utils.hasApproved(applicant, VERIFY, verifiers[0])


def test_expiry_and_renewal(utils, utility, verifiers):
    """U-3, U-4: an expired utility is inactive; renewal (M approvals) extends from now."""
    assert utils.isActiveUtility(utility, REGION)
    chain.sleep(utils.validityPeriod() + 1)
    chain.mine()
    assert not utils.isActiveUtility(utility, REGION)
    utils.approve(utility, RENEW, {"from": verifiers[0]})
    assert not utils.isActiveUtility(utility, REGION)
    tx = utils.approve(utility, RENEW, {"from": verifiers[2]})
    assert tx.events["ActionExecuted"]["expiresAt"] == tx.timestamp + utils.validityPeriod()
    assert utils.isActiveUtility(utility, REGION)


def test_suspend_by_one_verifier_and_reinstate_by_m(utils, utility, verifiers):
    """U-5: any single verifier suspends at once; reinstating needs M approvals."""
    tx = utils.suspend(utility, b"\x09" * 32, {"from": verifiers[2]})
    assert tx.events["UtilitySuspended"]["verifier"] == verifiers[2]
    assert utils.utility(utility)["status"] == SUSPENDED
    assert not utils.isActiveUtility(utility, REGION)
    utils.approve(utility, REINSTATE, {"from": verifiers[0]})
    assert utils.utility(utility)["status"] == SUSPENDED
    utils.approve(utility, REINSTATE, {"from": verifiers[1]})
    assert utils.isActiveUtility(utility, REGION)


def test_suspend__stranger_and_not_active__reverts(utils, utility, applicant, verifiers, stranger):
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, utils.VERIFIER_ROLE())):
        utils.suspend(utility, b"\x00" * 32, {"from": stranger})
    with brownie.reverts(err("NotSuspendable", applicant, PENDING)):
        utils.suspend(applicant, b"\x00" * 32, {"from": verifiers[0]})


def test_suspension_lapses_pending_renewal(utils, utility, verifiers):
    """U-5: suspending bumps the action nonce; an earlier renewal approval no longer counts."""
    utils.approve(utility, RENEW, {"from": verifiers[0]})
    utils.suspend(utility, b"\x00" * 32, {"from": verifiers[1]})
    assert utils.approvals(utility, RENEW) == 0


def test_revocation_is_final(utils, utility, verifiers):
    """U-6: M approvals revoke; nothing brings a revoked utility back, not even a new application."""
    utils.approve(utility, REVOKE, {"from": verifiers[0]})
    utils.approve(utility, REVOKE, {"from": verifiers[1]})
    assert utils.utility(utility)["status"] == REVOKED
    assert not utils.isActiveUtility(utility, REGION)
    for action in (VERIFY, RENEW, REINSTATE, REVOKE):
        with brownie.reverts(err("ActionNotAllowed", utility, action, REVOKED)):
            utils.approve(utility, action, {"from": verifiers[2]})
    with brownie.reverts(err("AlreadyApplied", utility, REVOKED)):
        utils.applyForVerification("Again", CRED, [1], {"from": utility})


def test_reputation__protocol_only(utils, utility, admin, stranger):
    """U-9: only PROTOCOL_ROLE holders (the protocol's contracts) update reputation."""
    for fn in ("recordEventRun", "recordDisputeLost"):
        with brownie.reverts(
            err("AccessControlUnauthorizedAccount", stranger, utils.PROTOCOL_ROLE())
        ):
            getattr(utils, fn)(utility, {"from": stranger})
    with brownie.reverts(err("AccessControlUnauthorizedAccount", stranger, utils.PROTOCOL_ROLE())):
        utils.recordConsumersPaid(utility, 1, {"from": stranger})
    utils.grantRole(utils.PROTOCOL_ROLE(), admin, {"from": admin})
    tx = utils.recordEventRun(utility, {"from": admin})
    paid = utils.recordConsumersPaid(utility, 3, {"from": admin})
    utils.recordDisputeLost(utility, {"from": admin})
    assert tx.events["ReputationUpdated"]["eventsRun"] == 1
    assert paid.events["ReputationUpdated"]["consumersPaid"] == 3
    u = utils.utility(utility)
    assert (u["eventsRun"], u["consumersPaid"], u["disputesLost"]) == (1, 3, 1)
