// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDisputes} from "../interfaces/IDisputes.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";

/// @title Disputes
/// @notice Disputes of proof-carrying settlements (SPECIFICATION.md §7, D-1..D-3). It reads the
/// enrollment from the ledger and keeps its own record; an upheld dispute is paid by the escrow
/// (PROTOCOL_ROLE there) and counts against the program's utility (PROTOCOL_ROLE in UtilityRegistry).
contract Disputes is IDisputes, AccessControl, ReentrancyGuard {
    /// @notice Arbiters resolve disputes.
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @notice Disputes open this long after settlement (D-1).
    uint256 public constant DISPUTE_WINDOW = 7 days;

    IReductionRequests private immutable _requests;
    IProgramRegistry private immutable _programs;
    IUtilityRegistry private immutable _utilities;
    IIncentiveEscrow private immutable _escrow;

    mapping(uint256 eventId => mapping(address account => Dispute)) private _disputes;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param requests The ledger whose enrollments are disputed.
    /// @param programs The program registry (the utility that loses a dispute).
    /// @param utilities The utility registry (U-9 reputation).
    /// @param escrow The escrow that pays adjustments.
    constructor(
        address admin,
        IReductionRequests requests,
        IProgramRegistry programs,
        IUtilityRegistry utilities,
        IIncentiveEscrow escrow
    ) {
        _requests = requests;
        _programs = programs;
        _utilities = utilities;
        _escrow = escrow;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /// @inheritdoc IDisputes
    function openDispute(uint256 eventId, bytes32 reasonHash) external {
        IReductionRequests.Enrollment memory en = _requests.enrollment(eventId, msg.sender);
        if (en.status != IReductionRequests.EnrollmentStatus.Settled) {
            if (en.status != IReductionRequests.EnrollmentStatus.InsufficientData) {
                revert IReductionRequests.EnrollmentNotInStatus(eventId, msg.sender, en.status);
            }
        }
        Dispute storage d = _disputes[eventId][msg.sender];
        if (d.status != DisputeStatus.None) revert DisputeNotInStatus(eventId, msg.sender, d.status);
        if (block.timestamp > uint256(en.settledAt) + DISPUTE_WINDOW) revert DisputeWindowClosed(eventId, msg.sender);
        d.status = DisputeStatus.Open;
        emit DisputeOpened(eventId, msg.sender, reasonHash);
    }

    /// @inheritdoc IDisputes
    function upholdDispute(
        uint256 eventId,
        address account,
        uint256 adjustment
    ) external onlyRole(ARBITER_ROLE) nonReentrant {
        Dispute storage d = _open(eventId, account);
        IReductionRequests.Enrollment memory en = _requests.enrollment(eventId, account);
        uint256 max = uint256(en.reserved) - en.paid;
        if (adjustment > max) revert AdjustmentTooLarge(adjustment, max);
        d.status = DisputeStatus.Upheld;
        d.adjustment = uint80(adjustment); // <= reserved, a uint80
        emit DisputeResolved(eventId, account, true, adjustment);
        uint32 programId = _requests.drEvent(eventId).programId;
        _utilities.recordDisputeLost(_programs.program(programId).utility);
        if (adjustment != 0) _escrow.payAdjustment(programId, account, adjustment);
    }

    /// @inheritdoc IDisputes
    function rejectDispute(uint256 eventId, address account) external onlyRole(ARBITER_ROLE) {
        Dispute storage d = _open(eventId, account);
        d.status = DisputeStatus.Rejected;
        emit DisputeResolved(eventId, account, false, 0);
    }

    /// @inheritdoc IDisputes
    function dispute(uint256 eventId, address account) external view returns (Dispute memory) {
        return _disputes[eventId][account];
    }

    function _open(uint256 eventId, address account) private view returns (Dispute storage d) {
        d = _disputes[eventId][account];
        if (d.status != DisputeStatus.Open) revert DisputeNotInStatus(eventId, account, d.status);
    }
}
