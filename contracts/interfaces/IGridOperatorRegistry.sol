// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IUtilityRegistry} from "./IUtilityRegistry.sol";

/// @title IGridOperatorRegistry
/// @notice Grid operators (TSO, DSO, microgrid operator) verified by the protocol's council, the
/// UtilityRegistry's verifiers and threshold, through the same M-of-N lifecycle as utilities
/// (SPECIFICATION.md §14, rules G-1..G-4).
interface IGridOperatorRegistry {
    /// @notice What kind of operator (G-1).
    enum OperatorKind {
        TransmissionSystemOperator,
        DistributionSystemOperator,
        MicrogridOperator
    }

    /// @notice One operator. Slot 1 packs status, kind, capabilities, expiry, nonce and region count.
    struct Operator {
        IUtilityRegistry.Status status; // the council's lifecycle (U-3..U-6, G-3)
        OperatorKind kind;
        uint16 capabilities; // CAP_* bits the council verified with the operator (G-1)
        uint64 expiresAt; // verified until (UTC seconds); 0 before verification
        uint32 actionNonce; // bumped by every executed action and suspension: pending approvals lapse
        uint8 regionCount; // size of its control area
        bytes32 credentialHash; // hash of the licence or grid-code designation (kept off-chain)
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not a member of the council (UtilityRegistry VERIFIER_ROLE).
    error NotCouncilMember(address account);
    /// @notice This address already applied (or was revoked, which is final).
    error OperatorAlreadyApplied(address operator, IUtilityRegistry.Status status);
    /// @notice The name is empty or longer than 64 bytes.
    error InvalidOperatorName(uint256 length);
    /// @notice The credential hash is zero.
    error MissingOperatorCredential();
    /// @notice The capabilities are empty or hold bits no capability defines.
    error InvalidCapabilities(uint16 capabilities);
    /// @notice The control area must list 1..32 distinct regions.
    error InvalidControlArea(uint256 count);
    /// @notice A listed region does not exist or is listed twice.
    error InvalidControlAreaRegion(uint16 regionId);
    /// @notice The action does not apply to an operator in this status.
    error OperatorActionNotAllowed(address operator, IUtilityRegistry.Action action, IUtilityRegistry.Status status);
    /// @notice This council member already approved this action for this operator.
    error OperatorAlreadyApproved(address operator, IUtilityRegistry.Action action, address verifier);
    /// @notice Only an active operator can be suspended.
    error OperatorNotSuspendable(address operator, IUtilityRegistry.Status status);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An operator applied for verification.
    event OperatorApplied(
        address indexed operator,
        OperatorKind kind,
        uint16 capabilities,
        string name,
        bytes32 credentialHash,
        uint16[] regions
    );
    /// @notice A council member approved an action; `approvals` counts the distinct approvals so far.
    event OperatorActionApproved(
        address indexed operator,
        IUtilityRegistry.Action indexed action,
        address indexed verifier,
        uint256 approvals
    );
    /// @notice The M-th approval executed an action.
    event OperatorActionExecuted(
        address indexed operator,
        IUtilityRegistry.Action indexed action,
        IUtilityRegistry.Status status,
        uint64 expiresAt
    );
    /// @notice A council member suspended an operator.
    event OperatorSuspended(address indexed operator, address indexed verifier, bytes32 reasonHash);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Apply for verification as msg.sender (G-1).
    /// @param name Display name, 1..64 bytes.
    /// @param kind TSO, DSO or microgrid operator.
    /// @param capabilities CAP_* bits applied for (non-empty, defined bits only); fixed once verified.
    /// @param credentialHash Hash of the licence or designation document, non-zero.
    /// @param regions Control area: 1..32 distinct existing region ids.
    function applyAsOperator(
        string calldata name,
        OperatorKind kind,
        uint16 capabilities,
        bytes32 credentialHash,
        uint16[] calldata regions
    ) external;

    /// @notice Approve an action for an operator; the M-th distinct approval executes it. Only a
    /// council member (G-2, G-3).
    /// @param operator_ The operator.
    /// @param action Verify, Renew, Reinstate or Revoke.
    function approve(address operator_, IUtilityRegistry.Action action) external;

    /// @notice Suspend an active operator at once. Any single council member (G-3).
    /// @param operator_ The operator.
    /// @param reasonHash Hash of the reason document.
    function suspend(address operator_, bytes32 reasonHash) external;

    /// @notice Whether `operator_` is verified, unexpired, not suspended or revoked, has `regionId` in
    /// its control area and holds every bit of `capabilities` (G-4). Gates everything an operator does.
    function isActiveOperator(address operator_, uint16 regionId, uint16 capabilities) external view returns (bool);

    /// @notice An operator's record.
    function operator(address operator_) external view returns (Operator memory);

    /// @notice An operator's display name.
    function operatorName(address operator_) external view returns (string memory);

    /// @notice Whether a region is in an operator's control area.
    function inControlArea(address operator_, uint16 regionId) external view returns (bool);

    /// @notice Distinct approvals so far for the pending `action` on `operator_`.
    function approvals(address operator_, IUtilityRegistry.Action action) external view returns (uint256);

    /// @notice Whether `verifier` approved the pending `action` on `operator_`.
    function hasApproved(
        address operator_,
        IUtilityRegistry.Action action,
        address verifier
    ) external view returns (bool);

    /// @notice The council whose members and threshold verify operators (the UtilityRegistry).
    function council() external view returns (IUtilityRegistry);
}
