// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {CouncilRules} from "../libraries/CouncilRules.sol";

/// @title UtilityRegistry
/// @notice Utilities verified by an M-of-N council of verifiers (SPECIFICATION.md §4, U-1..U-9).
/// @dev Approvals are keyed by (utility, action, the utility's action nonce, the council epoch).
/// Executing an action or suspending bumps the nonce; any change of the council or of M bumps the
/// epoch. Either way, approvals given under the old state lapse and can never be counted again.
contract UtilityRegistry is IUtilityRegistry, AccessControl {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Council members: approve actions, suspend.
    bytes32 public constant VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    /// @notice The protocol's own contracts: update reputation.
    bytes32 public constant PROTOCOL_ROLE = keccak256("PROTOCOL_ROLE");

    uint256 private constant _MAX_NAME_BYTES = 64;
    uint256 private constant _MAX_REGIONS = 32;
    uint64 private constant _MIN_VALIDITY = 1 days;
    uint64 private constant _MAX_VALIDITY = 5 * 365 days;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IRegionRegistry private immutable _regions;

    /// @dev Packed: threshold (8 bytes), verifier count (8), council epoch (8), validity period (8).
    uint64 private _threshold;
    uint64 private _verifierCount;
    uint64 private _councilEpoch;
    uint64 private _validityPeriod;

    mapping(address utility => Utility) private _utilities;
    mapping(address utility => string) private _names;
    mapping(address utility => mapping(uint16 regionId => bool)) private _jurisdiction;
    mapping(bytes32 proposal => uint256) private _approvalCount;
    mapping(bytes32 proposal => mapping(address verifier => bool)) private _approved;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param regions The shared region registry.
    /// @param verifiers The initial council; the threshold starts at `threshold_`.
    /// @param threshold_ The initial M (1 <= M <= verifiers.length).
    constructor(address admin, IRegionRegistry regions, address[] memory verifiers, uint256 threshold_) {
        _regions = regions;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        for (uint256 i; i < verifiers.length; ++i) _grantRole(VERIFIER_ROLE, verifiers[i]);
        _setThreshold(threshold_);
        _validityPeriod = 365 days;
    }

    /*//////////////////////////////////////////////////////////////
                              ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityRegistry
    function setThreshold(uint256 threshold_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setThreshold(threshold_);
    }

    /// @inheritdoc IUtilityRegistry
    function setValidityPeriod(uint64 period) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (period < _MIN_VALIDITY || period > _MAX_VALIDITY) revert InvalidValidityPeriod(period);
        _validityPeriod = period;
        emit ValidityPeriodChanged(period);
    }

    /*//////////////////////////////////////////////////////////////
                               APPLICATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityRegistry
    // slither: one view call per region the applicant names, to the protocol's RegionRegistry
    // slither-disable-next-line calls-loop
    function applyForVerification(string calldata name, bytes32 credentialHash, uint16[] calldata regions) external {
        Utility storage u = _utilities[msg.sender];
        if (u.status != Status.None) revert AlreadyApplied(msg.sender, u.status);
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > _MAX_NAME_BYTES) revert InvalidUtilityName(nameLength);
        if (credentialHash == bytes32(0)) revert MissingCredential();
        uint256 n = regions.length;
        if (n == 0 || n > _MAX_REGIONS) revert InvalidJurisdiction(n);
        for (uint256 i; i < n; ++i) {
            uint16 r = regions[i];
            if (!_regions.regionExists(r) || _jurisdiction[msg.sender][r]) revert InvalidJurisdictionRegion(r);
            _jurisdiction[msg.sender][r] = true;
        }
        u.status = Status.Pending;
        u.regionCount = uint8(n);
        u.credentialHash = credentialHash;
        _names[msg.sender] = name;
        emit UtilityApplied(msg.sender, name, credentialHash, regions);
    }

    /*//////////////////////////////////////////////////////////////
                                 COUNCIL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityRegistry
    function approve(address utility_, Action action) external onlyRole(VERIFIER_ROLE) {
        Utility storage u = _utilities[utility_];
        _checkAction(utility_, u.status, action);
        bytes32 proposal = _proposal(utility_, action, u.actionNonce);
        if (_approved[proposal][msg.sender]) revert AlreadyApproved(utility_, action, msg.sender);
        _approved[proposal][msg.sender] = true;
        uint256 count = ++_approvalCount[proposal];
        emit ActionApproved(utility_, action, msg.sender, count);
        if (count >= _threshold) _execute(utility_, u, action);
    }

    /// @inheritdoc IUtilityRegistry
    function suspend(address utility_, bytes32 reasonHash) external onlyRole(VERIFIER_ROLE) {
        Utility storage u = _utilities[utility_];
        if (u.status != Status.Active) revert NotSuspendable(utility_, u.status);
        u.status = Status.Suspended;
        ++u.actionNonce;
        emit UtilitySuspended(utility_, msg.sender, reasonHash);
    }

    /*//////////////////////////////////////////////////////////////
                                REPUTATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityRegistry
    function recordEventRun(address utility_) external onlyRole(PROTOCOL_ROLE) {
        Utility storage u = _utilities[utility_];
        ++u.eventsRun;
        emit ReputationUpdated(utility_, u.eventsRun, u.consumersPaid, u.disputesLost);
    }

    /// @inheritdoc IUtilityRegistry
    function recordConsumersPaid(address utility_, uint256 count) external onlyRole(PROTOCOL_ROLE) {
        Utility storage u = _utilities[utility_];
        u.consumersPaid += SafeCast.toUint32(count);
        emit ReputationUpdated(utility_, u.eventsRun, u.consumersPaid, u.disputesLost);
    }

    /// @inheritdoc IUtilityRegistry
    function recordDisputeLost(address utility_) external onlyRole(PROTOCOL_ROLE) {
        Utility storage u = _utilities[utility_];
        ++u.disputesLost;
        emit ReputationUpdated(utility_, u.eventsRun, u.consumersPaid, u.disputesLost);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IUtilityRegistry
    function isActiveUtility(address utility_, uint16 regionId) external view returns (bool) {
        Utility storage u = _utilities[utility_];
        return u.status == Status.Active && block.timestamp < u.expiresAt && _jurisdiction[utility_][regionId];
    }

    /// @inheritdoc IUtilityRegistry
    function utility(address utility_) external view returns (Utility memory) {
        return _utilities[utility_];
    }

    /// @inheritdoc IUtilityRegistry
    function utilityName(address utility_) external view returns (string memory) {
        return _names[utility_];
    }

    /// @inheritdoc IUtilityRegistry
    function inJurisdiction(address utility_, uint16 regionId) external view returns (bool) {
        return _jurisdiction[utility_][regionId];
    }

    /// @inheritdoc IUtilityRegistry
    function approvals(address utility_, Action action) external view returns (uint256) {
        return _approvalCount[_proposal(utility_, action, _utilities[utility_].actionNonce)];
    }

    /// @inheritdoc IUtilityRegistry
    function hasApproved(address utility_, Action action, address verifier) external view returns (bool) {
        return _approved[_proposal(utility_, action, _utilities[utility_].actionNonce)][verifier];
    }

    /// @inheritdoc IUtilityRegistry
    function threshold() external view returns (uint256) {
        return _threshold;
    }

    /// @inheritdoc IUtilityRegistry
    function verifierCount() external view returns (uint256) {
        return _verifierCount;
    }

    /// @inheritdoc IUtilityRegistry
    function validityPeriod() external view returns (uint64) {
        return _validityPeriod;
    }

    /// @inheritdoc IUtilityRegistry
    function councilEpoch() external view returns (uint64) {
        return _councilEpoch;
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev Keep the verifier count; a change of the council lets pending approvals lapse (U-1).
    // slither: the counters change once per verifier granted; the constructor's loop is bounded by its argument
    // slither-disable-next-line costly-loop
    function _grantRole(bytes32 role, address account) internal override returns (bool granted) {
        granted = super._grantRole(role, account);
        if (granted && role == VERIFIER_ROLE) {
            ++_verifierCount;
            ++_councilEpoch;
        }
    }

    /// @dev Refuse to drop below M verifiers (U-1).
    function _revokeRole(bytes32 role, address account) internal override returns (bool revoked) {
        revoked = super._revokeRole(role, account);
        if (revoked && role == VERIFIER_ROLE) {
            if (_verifierCount - 1 < _threshold) revert ThresholdExceedsVerifiers(_threshold, _verifierCount - 1);
            --_verifierCount;
            ++_councilEpoch;
        }
    }

    function _setThreshold(uint256 threshold_) private {
        if (threshold_ == 0 || threshold_ > _verifierCount) revert InvalidThreshold(threshold_, _verifierCount);
        _threshold = uint64(threshold_);
        ++_councilEpoch;
        emit ThresholdChanged(threshold_);
    }

    function _proposal(address utility_, Action action, uint32 nonce) private view returns (bytes32) {
        return keccak256(abi.encode(utility_, action, nonce, _councilEpoch));
    }

    /// @dev Which status each action starts from (U-3..U-6).
    function _checkAction(address utility_, Status status, Action action) private pure {
        if (!CouncilRules.allows(status, action)) revert ActionNotAllowed(utility_, action, status);
    }

    function _execute(address utility_, Utility storage u, Action action) private {
        (u.status, u.expiresAt) = CouncilRules.executed(u.status, u.expiresAt, action, _validityPeriod);
        ++u.actionNonce;
        emit ActionExecuted(utility_, action, u.status, u.expiresAt);
    }
}
