// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IUtilityRegistry
/// @notice Utilities verified by an M-of-N council of verifiers, for their own regions
/// (SPECIFICATION.md §4, rules U-1..U-9).
interface IUtilityRegistry {
    /// @notice Lifecycle of a utility. Revoked is final.
    enum Status {
        None,
        Pending,
        Active,
        Suspended,
        Revoked
    }

    /// @notice Actions that need M approvals.
    enum Action {
        Verify,
        Renew,
        Reinstate,
        Revoke
    }

    /// @notice One utility. Slot 1 packs status, expiry, action nonce, region count and reputation.
    struct Utility {
        Status status; // 1 byte
        uint64 expiresAt; // verified until (UTC seconds); 0 before verification
        uint32 actionNonce; // bumped by every executed action and suspension: pending approvals lapse
        uint8 regionCount; // size of the jurisdiction
        uint32 eventsRun; // reputation, written by protocol contracts only (U-9)
        uint32 consumersPaid;
        uint32 disputesLost;
        bytes32 credentialHash; // hash of the credential document (kept off-chain)
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The threshold must satisfy 1 <= M <= number of verifiers.
    error InvalidThreshold(uint256 threshold, uint256 verifierCount);
    /// @notice Removing this verifier would leave fewer verifiers than the threshold.
    error ThresholdExceedsVerifiers(uint256 threshold, uint256 verifierCount);
    /// @notice The validity period must be between 1 day and 5 years.
    error InvalidValidityPeriod(uint64 period);
    /// @notice This address already applied (or was revoked, which is final).
    error AlreadyApplied(address utility, Status status);
    /// @notice The name is empty or longer than 64 bytes.
    error InvalidUtilityName(uint256 length);
    /// @notice The credential hash is zero.
    error MissingCredential();
    /// @notice The jurisdiction must list 1..32 distinct regions.
    error InvalidJurisdiction(uint256 count);
    /// @notice A listed region does not exist or is listed twice.
    error InvalidJurisdictionRegion(uint16 regionId);
    /// @notice The action does not apply to a utility in this status.
    error ActionNotAllowed(address utility, Action action, Status status);
    /// @notice This verifier already approved this action for this utility.
    error AlreadyApproved(address utility, Action action, address verifier);
    /// @notice Only an active (verified, unexpired) utility can be suspended.
    error NotSuspendable(address utility, Status status);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The approval threshold changed.
    event ThresholdChanged(uint256 threshold);
    /// @notice The validity period of a verification changed.
    event ValidityPeriodChanged(uint64 period);
    /// @notice A utility applied for verification.
    event UtilityApplied(address indexed utility, string name, bytes32 credentialHash, uint16[] regions);
    /// @notice A verifier approved an action; `approvals` counts the distinct approvals so far.
    event ActionApproved(address indexed utility, Action indexed action, address indexed verifier, uint256 approvals);
    /// @notice The M-th approval executed an action.
    event ActionExecuted(address indexed utility, Action indexed action, Status status, uint64 expiresAt);
    /// @notice A verifier suspended a utility.
    event UtilitySuspended(address indexed utility, address indexed verifier, bytes32 reasonHash);
    /// @notice A protocol contract updated a reputation counter.
    event ReputationUpdated(address indexed utility, uint32 eventsRun, uint32 consumersPaid, uint32 disputesLost);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Set the approval threshold M. Only DEFAULT_ADMIN_ROLE (U-1).
    /// @param threshold_ 1 <= M <= current number of verifiers.
    function setThreshold(uint256 threshold_) external;

    /// @notice Set how long a verification or renewal lasts. Only DEFAULT_ADMIN_ROLE (U-3).
    /// @param period Seconds, 1 day .. 5 years.
    function setValidityPeriod(uint64 period) external;

    /// @notice Apply for verification as msg.sender (U-2).
    /// @param name Display name, 1..64 bytes.
    /// @param credentialHash Hash of the credential document (licence, registration), non-zero.
    /// @param regions Jurisdiction: 1..32 distinct existing region ids.
    function applyForVerification(string calldata name, bytes32 credentialHash, uint16[] calldata regions) external;

    /// @notice Approve an action for a utility; the M-th distinct approval executes it. Only VERIFIER_ROLE (U-3..U-6).
    /// @param utility_ The utility.
    /// @param action Verify, Renew, Reinstate or Revoke.
    function approve(address utility_, Action action) external;

    /// @notice Suspend an active utility at once. Any single VERIFIER_ROLE holder (U-5).
    /// @param utility_ The utility.
    /// @param reasonHash Hash of the reason document.
    function suspend(address utility_, bytes32 reasonHash) external;

    /// @notice Count an event run by a utility. Only PROTOCOL_ROLE (U-9).
    function recordEventRun(address utility_) external;

    /// @notice Count consumers paid by a utility's program. Only PROTOCOL_ROLE (U-9).
    function recordConsumersPaid(address utility_, uint256 count) external;

    /// @notice Count a dispute lost by a utility. Only PROTOCOL_ROLE (U-9).
    function recordDisputeLost(address utility_) external;

    /// @notice Whether `utility_` is verified, unexpired, not suspended or revoked, and has `regionId`
    /// in its jurisdiction (U-7). Gates everything a utility does.
    function isActiveUtility(address utility_, uint16 regionId) external view returns (bool);

    /// @notice A utility's record.
    function utility(address utility_) external view returns (Utility memory);

    /// @notice A utility's display name.
    function utilityName(address utility_) external view returns (string memory);

    /// @notice Whether a region is in a utility's jurisdiction.
    function inJurisdiction(address utility_, uint16 regionId) external view returns (bool);

    /// @notice Distinct approvals so far for the pending `action` on `utility_`.
    function approvals(address utility_, Action action) external view returns (uint256);

    /// @notice Whether `verifier` approved the pending `action` on `utility_`.
    function hasApproved(address utility_, Action action, address verifier) external view returns (bool);

    /// @notice The approval threshold M.
    function threshold() external view returns (uint256);

    /// @notice The number of verifiers N.
    function verifierCount() external view returns (uint256);

    /// @notice How long a verification or renewal lasts, in seconds.
    function validityPeriod() external view returns (uint64);

    /// @notice The council epoch: bumped by every change of the council or of M (U-1). Other
    /// registries the council verifies key their approvals by it too (G-2), so they lapse alike.
    function councilEpoch() external view returns (uint64);
}
