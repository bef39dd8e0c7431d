"""GridOperatorRegistry: grid operators verified by the protocol's one council (SPECIFICATION.md
§14, rules G-1..G-4), with the lifecycle rules utilities have (library CouncilRules, U-3..U-6)."""

from __future__ import annotations

import brownie
import pytest
from brownie import chain

from tests.contracts.helpers import err
from tests.contracts.suite import OTHER_REGION, REGION

VERIFY, RENEW, REINSTATE, REVOKE = 0, 1, 2, 3
NONE, PENDING, ACTIVE, SUSPENDED, REVOKED = 0, 1, 2, 3, 4
TSO, DSO, MICROGRID = 0, 1, 2
STATE, BALANCING, LOAD_SHED, AUTOMATION = 1, 2, 4, 8
CRED = b"\x0b" * 32


@pytest.fixture
def ops(suite):
    return suite.operators


@pytest.fixture
def tso(accounts, ops):
    """A transmission system operator of region 1 applying for state, balancing and load shed."""
    a = accounts[18]
    ops.applyAsOperator(
        "North Grid TSO", TSO, STATE | BALANCING | LOAD_SHED, CRED, [REGION], {"from": a}
    )
    return a


def verify(ops, operator, council):
    for v in council[:2]:
        tx = ops.approve(operator, VERIFY, {"from": v})
    return tx


def test_constructor__the_utility_registrys_council(ops, suite):
    """G-2: the council is the UtilityRegistry's; the contract holds no roles of its own."""
    assert ops.council() == suite.utilities
    assert ops.CAP_ALL() == STATE | BALANCING | LOAD_SHED | AUTOMATION


def test_apply__pending_with_kind_capabilities_and_area(ops, accounts):
    """G-1: an application is pending, with its kind, capabilities, control area and credential."""
    a = accounts[18]
    tx = ops.applyAsOperator(
        "Valley DSO", DSO, BALANCING, CRED, [REGION, OTHER_REGION], {"from": a}
    )
    o = ops.operator(a)
    assert (o["status"], o["kind"], o["capabilities"], o["regionCount"], o["credentialHash"]) == (
        PENDING, DSO, BALANCING, 2, "0x" + CRED.hex(),
    )  # fmt: skip
    assert o["expiresAt"] == 0 and ops.operatorName(a) == "Valley DSO"
    assert ops.inControlArea(a, REGION) and ops.inControlArea(a, OTHER_REGION)
    e = tx.events["OperatorApplied"]
    assert (e["operator"], e["kind"], e["capabilities"], e["name"]) == (
        a,
        DSO,
        BALANCING,
        "Valley DSO",
    )
    assert [int(r) for r in e["regions"]] == [REGION, OTHER_REGION]


@pytest.mark.parametrize(
    ("name", "caps", "cred", "regions", "error"),
    [
        ("", STATE, CRED, [REGION], err("InvalidOperatorName", 0)),
        ("x" * 65, STATE, CRED, [REGION], err("InvalidOperatorName", 65)),
        ("Op", 0, CRED, [REGION], err("InvalidCapabilities", 0)),
        ("Op", 16, CRED, [REGION], err("InvalidCapabilities", 16)),
        ("Op", STATE, b"\x00" * 32, [REGION], err("MissingOperatorCredential")),
        ("Op", STATE, CRED, [], err("InvalidControlArea", 0)),
        ("Op", STATE, CRED, list(range(1, 34)), err("InvalidControlArea", 33)),
        ("Op", STATE, CRED, [9], err("InvalidControlAreaRegion", 9)),
        ("Op", STATE, CRED, [REGION, REGION], err("InvalidControlAreaRegion", REGION)),
    ],
    ids=[
        "empty name",
        "long name",
        "no capability",
        "undefined bit",
        "no credential",
        "empty area",
        "33 regions",
        "unknown region",
        "region twice",
    ],
)
def test_apply__bad_input__reverts(ops, accounts, name, caps, cred, regions, error):
    """G-1: each bad field its own error; nothing is recorded."""
    with brownie.reverts(error):
        ops.applyAsOperator(name, MICROGRID, caps, cred, regions, {"from": accounts[18]})
    assert ops.operator(accounts[18])["status"] == NONE


def test_apply__twice__reverts(ops, tso):
    """G-1: one application per address."""
    with brownie.reverts(err("OperatorAlreadyApplied", tso, PENDING)):
        ops.applyAsOperator("Again", TSO, STATE, CRED, [REGION], {"from": tso})


def test_approve__m_of_n_council__active_until_now_plus_validity(ops, suite, tso, verifiers):
    """G-2, U-3: M (2 of 3) distinct council members verify; the M-th executes."""
    first = ops.approve(tso, VERIFY, {"from": verifiers[0]})
    assert first.events["OperatorActionApproved"]["approvals"] == 1
    assert "OperatorActionExecuted" not in first.events
    assert ops.operator(tso)["status"] == PENDING and ops.approvals(tso, VERIFY) == 1
    assert ops.hasApproved(tso, VERIFY, verifiers[0])
    second = ops.approve(tso, VERIFY, {"from": verifiers[1]})
    o = ops.operator(tso)
    stamp = chain[second.block_number].timestamp
    assert o["status"] == ACTIVE and o["expiresAt"] == stamp + suite.utilities.validityPeriod()
    e = second.events["OperatorActionExecuted"]
    assert (e["operator"], e["action"], e["status"], e["expiresAt"]) == (
        tso,
        VERIFY,
        ACTIVE,
        o["expiresAt"],
    )
    assert o["actionNonce"] == 1 and ops.approvals(tso, VERIFY) == 0  # the next proposal is fresh


@pytest.mark.parametrize("who", ["stranger", "admin", "utility"])
def test_approve__not_a_council_member__reverts(ops, tso, request, who):
    """G-2: only the UtilityRegistry's VERIFIER_ROLE holders; not its admin, not a utility."""
    caller = request.getfixturevalue(who)
    with brownie.reverts(err("NotCouncilMember", caller)):
        ops.approve(tso, VERIFY, {"from": caller})
    with brownie.reverts(err("NotCouncilMember", caller)):
        ops.suspend(tso, b"\x01" * 32, {"from": caller})


def test_approve__same_member_twice__reverts(ops, tso, verifiers):
    ops.approve(tso, VERIFY, {"from": verifiers[0]})
    with brownie.reverts(err("OperatorAlreadyApproved", tso, VERIFY, verifiers[0])):
        ops.approve(tso, VERIFY, {"from": verifiers[0]})


@pytest.mark.parametrize(
    ("status_setup", "action", "status"),
    [
        ("pending", RENEW, PENDING),
        ("pending", REINSTATE, PENDING),
        ("active", VERIFY, ACTIVE),
        ("active", REINSTATE, ACTIVE),
        ("revoked", REVOKE, REVOKED),
        ("none", VERIFY, NONE),
    ],
)
def test_approve__action_of_another_status__reverts(
    ops, tso, verifiers, accounts, status_setup, action, status
):
    """G-3, U-6: an action on a status it does not apply to reverts, as for utilities."""
    target = tso
    if status_setup in ("active", "revoked"):
        verify(ops, tso, verifiers)
    if status_setup == "revoked":
        for v in verifiers[:2]:
            ops.approve(tso, REVOKE, {"from": v})
    if status_setup == "none":
        target = accounts[17]
    with brownie.reverts(err("OperatorActionNotAllowed", target, action, status)):
        ops.approve(target, action, {"from": verifiers[2]})


def test_suspend__one_member_at_once__reinstate_needs_m(ops, tso, verifiers):
    """G-3, U-5: any one member suspends an active operator; reinstating needs M; expiry unchanged."""
    verify(ops, tso, verifiers)
    expires = ops.operator(tso)["expiresAt"]
    ops.approve(tso, RENEW, {"from": verifiers[2]})  # pending renewal: lapses with the suspension
    tx = ops.suspend(tso, b"\x05" * 32, {"from": verifiers[2]})
    e = tx.events["OperatorSuspended"]
    assert (e["operator"], e["verifier"], e["reasonHash"]) == (tso, verifiers[2], "0x" + "05" * 32)
    assert ops.operator(tso)["status"] == SUSPENDED
    assert not ops.isActiveOperator(tso, REGION, STATE)
    with brownie.reverts(err("OperatorNotSuspendable", tso, SUSPENDED)):
        ops.suspend(tso, b"\x05" * 32, {"from": verifiers[0]})
    for v in verifiers[:2]:
        ops.approve(tso, REINSTATE, {"from": v})
    o = ops.operator(tso)
    assert o["status"] == ACTIVE and o["expiresAt"] == expires
    assert ops.approvals(tso, RENEW) == 0  # the renewal approval given before suspension lapsed


def test_suspend__pending__reverts(ops, tso, verifiers):
    with brownie.reverts(err("OperatorNotSuspendable", tso, PENDING)):
        ops.suspend(tso, b"\x05" * 32, {"from": verifiers[0]})


def test_renew__extends_from_expiry_or_from_now(ops, suite, tso, verifiers):
    """G-3, U-4: renewal adds the council's validity period to max(expiry, now)."""
    verify(ops, tso, verifiers)
    validity = suite.utilities.validityPeriod()
    expires = ops.operator(tso)["expiresAt"]
    for v in verifiers[:2]:
        ops.approve(tso, RENEW, {"from": v})
    assert ops.operator(tso)["expiresAt"] == expires + validity
    chain.sleep(3 * validity)
    chain.mine()
    assert not ops.isActiveOperator(tso, REGION, STATE)  # expired (G-4)
    for v in verifiers[:2]:
        tx = ops.approve(tso, RENEW, {"from": v})
    assert ops.operator(tso)["expiresAt"] == chain[tx.block_number].timestamp + validity
    assert ops.isActiveOperator(tso, REGION, STATE)


def test_revoke__final__no_second_application(ops, tso, verifiers):
    """G-3, U-6: revocation is final, also for a new application from the same address."""
    verify(ops, tso, verifiers)
    for v in verifiers[:2]:
        ops.approve(tso, REVOKE, {"from": v})
    assert ops.operator(tso)["status"] == REVOKED and not ops.isActiveOperator(tso, REGION, STATE)
    with brownie.reverts(err("OperatorAlreadyApplied", tso, REVOKED)):
        ops.applyAsOperator("Again", TSO, STATE, CRED, [REGION], {"from": tso})


def test_council_change__pending_approvals_lapse(ops, suite, tso, verifiers, admin, accounts):
    """G-2, U-1: a change of the council or of M (the UtilityRegistry's epoch) lapses approvals."""
    u = suite.utilities
    ops.approve(tso, VERIFY, {"from": verifiers[0]})
    epoch = u.councilEpoch()
    u.grantRole(u.VERIFIER_ROLE(), accounts[17], {"from": admin})
    assert u.councilEpoch() == epoch + 1
    assert ops.approvals(tso, VERIFY) == 0 and not ops.hasApproved(tso, VERIFY, verifiers[0])
    ops.approve(tso, VERIFY, {"from": verifiers[0]})  # may approve again, counted once
    ops.approve(tso, VERIFY, {"from": accounts[17]})  # the new member counts
    assert ops.operator(tso)["status"] == ACTIVE


def test_threshold__the_councils_m(ops, suite, tso, verifiers, admin):
    """G-2: the threshold is the UtilityRegistry's M: with M = 3, two approvals do not verify."""
    suite.utilities.setThreshold(3, {"from": admin})
    verify(ops, tso, verifiers)
    assert ops.operator(tso)["status"] == PENDING
    ops.approve(tso, VERIFY, {"from": verifiers[2]})
    assert ops.operator(tso)["status"] == ACTIVE


def test_is_active_operator__status_expiry_area_and_every_capability(ops, tso, verifiers):
    """G-4: active, unexpired, in the control area and holding every bit asked for."""
    assert not ops.isActiveOperator(tso, REGION, STATE)  # pending
    verify(ops, tso, verifiers)
    assert ops.isActiveOperator(tso, REGION, STATE)
    assert ops.isActiveOperator(tso, REGION, STATE | BALANCING | LOAD_SHED)
    assert ops.isActiveOperator(tso, REGION, 0)  # no capability asked: verified in the area
    assert not ops.isActiveOperator(tso, REGION, AUTOMATION)
    assert not ops.isActiveOperator(tso, REGION, STATE | AUTOMATION)
    assert not ops.isActiveOperator(tso, OTHER_REGION, STATE)  # outside its control area


def test_operator_and_utility__one_address_both__independent(ops, suite, utility, verifiers):
    """G-1: a utility that also operates a grid applies here too; the two records are separate."""
    ops.applyAsOperator(
        "Pacific Grid Microgrid", MICROGRID, AUTOMATION, CRED, [REGION], {"from": utility}
    )
    verify(ops, utility, verifiers)
    assert ops.isActiveOperator(utility, REGION, AUTOMATION)
    assert suite.utilities.isActiveUtility(utility, REGION)
    suite.utilities.suspend(utility, b"\x01" * 32, {"from": verifiers[0]})
    assert ops.isActiveOperator(
        utility, REGION, AUTOMATION
    )  # a utility suspension is not an operator's
