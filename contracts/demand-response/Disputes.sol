// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IDisputes} from "../interfaces/IDisputes.sol";
import {IReductionRequests, DISPUTE_WINDOW_SECONDS} from "../interfaces/IReductionRequests.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";

/// @title Disputes
/// @notice Disputes of proof-carrying settlements (SPECIFICATION.md §7, D-1..D-4). It reads the
/// enrollment from the ledger and keeps its own record. Opening a dispute has the ledger hold the
/// enrollment's unpaid reservation (DISPUTES_ROLE there), so the ruling is always funded; the escrow
/// pays an upheld adjustment from it and releases the rest (PROTOCOL_ROLE there), and an upheld
/// dispute counts against the program's utility (PROTOCOL_ROLE in UtilityRegistry).
contract Disputes is IDisputes, AccessControl, ReentrancyGuard {
    /// @notice Arbiters resolve disputes.
    bytes32 public constant ARBITER_ROLE = keccak256("ARBITER_ROLE");
    /// @notice Disputes open this long after settlement (D-1); the ledger closes events that long after
    /// their deadline (S-9), so an unpaid reservation is still there to hold (D-4).
    uint256 public constant DISPUTE_WINDOW = DISPUTE_WINDOW_SECONDS;

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
    function openDispute(uint256 eventId, bytes32 reasonHash) external nonReentrant {
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
        _requests.holdForDispute(eventId, msg.sender); // D-4: `reserved - paid` stays reserved for the ruling
    }

    /// @inheritdoc IDisputes
    function upholdDispute(
        uint256 eventId,
        address account,
        uint256 adjustment
    ) external onlyRole(ARBITER_ROLE) nonReentrant {
        Dispute storage d = _open(eventId, account);
        uint256 held = _held(eventId, account);
        if (adjustment > held) revert AdjustmentTooLarge(adjustment, held);
        d.status = DisputeStatus.Upheld;
        d.adjustment = uint80(adjustment); // <= reserved, a uint80
        emit DisputeResolved(eventId, account, true, adjustment);
        uint32 programId = _requests.drEvent(eventId).programId;
        _utilities.recordDisputeLost(_programs.program(programId).utility);
        // D-4: pay from the held reservation, release the rest
        _escrow.settle(programId, account, held, adjustment);
    }

    /// @inheritdoc IDisputes
    function rejectDispute(uint256 eventId, address account) external onlyRole(ARBITER_ROLE) nonReentrant {
        Dispute storage d = _open(eventId, account);
        d.status = DisputeStatus.Rejected;
        emit DisputeResolved(eventId, account, false, 0);
        uint256 held = _held(eventId, account);
        if (held != 0) _escrow.release(_requests.drEvent(eventId).programId, held); // D-4
    }

    /// @inheritdoc IDisputes
    function dispute(uint256 eventId, address account) external view returns (Dispute memory) {
        return _disputes[eventId][account];
    }

    /// @dev D-4: what the ledger held when the dispute opened, the enrollment's `reserved - paid`.
    function _held(uint256 eventId, address account) private view returns (uint256) {
        IReductionRequests.Enrollment memory en = _requests.enrollment(eventId, account);
        return uint256(en.reserved) - en.paid;
    }

    function _open(uint256 eventId, address account) private view returns (Dispute storage d) {
        d = _disputes[eventId][account];
        if (d.status != DisputeStatus.Open) revert DisputeNotInStatus(eventId, account, d.status);
    }
}
