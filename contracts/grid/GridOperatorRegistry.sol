// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IGridOperatorRegistry} from "../interfaces/IGridOperatorRegistry.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {CouncilRules} from "../libraries/CouncilRules.sol";

/// @title GridOperatorRegistry
/// @notice Grid operators (TSO, DSO, microgrid operator) verified by the protocol's one council: the
/// UtilityRegistry's VERIFIER_ROLE holders with its threshold M, validity period and epoch, through
/// the lifecycle utilities have (SPECIFICATION.md §14, G-1..G-4).
/// @dev Approvals are keyed by (operator, action, the operator's action nonce, the council epoch), as
/// for utilities (U-1): a change of the council or of M lapses pending approvals here too. The
/// contract holds no roles: who may approve is the council's business, in the UtilityRegistry.
contract GridOperatorRegistry is IGridOperatorRegistry {
    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice May declare the system state and an emergency.
    uint16 public constant CAP_SYSTEM_STATE = 1 << 0;
    /// @notice May create balancing actions: generation adjustment, reserve activation, DR activation.
    uint16 public constant CAP_BALANCING = 1 << 1;
    /// @notice May instruct a load shed.
    uint16 public constant CAP_LOAD_SHED = 1 << 2;
    /// @notice May configure automated responses.
    uint16 public constant CAP_AUTOMATION = 1 << 3;
    /// @notice Every defined capability bit.
    uint16 public constant CAP_ALL = CAP_SYSTEM_STATE | CAP_BALANCING | CAP_LOAD_SHED | CAP_AUTOMATION;

    /// @dev The council's role in the UtilityRegistry.
    bytes32 private constant _VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    uint256 private constant _MAX_NAME_BYTES = 64;
    uint256 private constant _MAX_REGIONS = 32;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IUtilityRegistry private immutable _council;
    IRegionRegistry private immutable _regions;

    mapping(address operator => Operator) private _operators;
    mapping(address operator => string) private _names;
    mapping(address operator => mapping(uint16 regionId => bool)) private _area;
    mapping(bytes32 proposal => uint256) private _approvalCount;
    mapping(bytes32 proposal => mapping(address verifier => bool)) private _approved;

    /// @param council_ The UtilityRegistry: its verifiers, threshold, validity period and epoch.
    /// @param regions The shared region registry.
    constructor(IUtilityRegistry council_, IRegionRegistry regions) {
        _council = council_;
        _regions = regions;
    }

    modifier onlyCouncil() {
        if (!IAccessControl(address(_council)).hasRole(_VERIFIER_ROLE, msg.sender)) revert NotCouncilMember(msg.sender);
        _;
    }

    /*//////////////////////////////////////////////////////////////
                               APPLICATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGridOperatorRegistry
    // slither: one view call per region the applicant names, to the protocol's RegionRegistry
    // slither-disable-next-line calls-loop
    function applyAsOperator(
        string calldata name,
        OperatorKind kind,
        uint16 capabilities,
        bytes32 credentialHash,
        uint16[] calldata regions
    ) external {
        Operator storage o = _operators[msg.sender];
        if (o.status != IUtilityRegistry.Status.None) revert OperatorAlreadyApplied(msg.sender, o.status);
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > _MAX_NAME_BYTES) revert InvalidOperatorName(nameLength);
        if (capabilities == 0 || capabilities & ~CAP_ALL != 0) revert InvalidCapabilities(capabilities);
        if (credentialHash == bytes32(0)) revert MissingOperatorCredential();
        uint256 n = regions.length;
        if (n == 0 || n > _MAX_REGIONS) revert InvalidControlArea(n);
        for (uint256 i; i < n; ++i) {
            uint16 r = regions[i];
            if (!_regions.regionExists(r) || _area[msg.sender][r]) revert InvalidControlAreaRegion(r);
            _area[msg.sender][r] = true;
        }
        o.status = IUtilityRegistry.Status.Pending;
        o.kind = kind;
        o.capabilities = capabilities;
        o.regionCount = uint8(n);
        o.credentialHash = credentialHash;
        _names[msg.sender] = name;
        emit OperatorApplied(msg.sender, kind, capabilities, name, credentialHash, regions);
    }

    /*//////////////////////////////////////////////////////////////
                                 COUNCIL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGridOperatorRegistry
    function approve(address operator_, IUtilityRegistry.Action action) external onlyCouncil {
        Operator storage o = _operators[operator_];
        if (!CouncilRules.allows(o.status, action)) revert OperatorActionNotAllowed(operator_, action, o.status);
        bytes32 proposal = _proposal(operator_, action, o.actionNonce);
        if (_approved[proposal][msg.sender]) revert OperatorAlreadyApproved(operator_, action, msg.sender);
        _approved[proposal][msg.sender] = true;
        uint256 count = ++_approvalCount[proposal];
        emit OperatorActionApproved(operator_, action, msg.sender, count);
        if (count >= _council.threshold()) {
            (o.status, o.expiresAt) = CouncilRules.executed(o.status, o.expiresAt, action, _council.validityPeriod());
            ++o.actionNonce;
            emit OperatorActionExecuted(operator_, action, o.status, o.expiresAt);
        }
    }

    /// @inheritdoc IGridOperatorRegistry
    function suspend(address operator_, bytes32 reasonHash) external onlyCouncil {
        Operator storage o = _operators[operator_];
        if (o.status != IUtilityRegistry.Status.Active) revert OperatorNotSuspendable(operator_, o.status);
        o.status = IUtilityRegistry.Status.Suspended;
        ++o.actionNonce;
        emit OperatorSuspended(operator_, msg.sender, reasonHash);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGridOperatorRegistry
    function isActiveOperator(address operator_, uint16 regionId, uint16 capabilities) external view returns (bool) {
        Operator storage o = _operators[operator_];
        return
            o.status == IUtilityRegistry.Status.Active &&
            block.timestamp < o.expiresAt &&
            _area[operator_][regionId] &&
            o.capabilities & capabilities == capabilities;
    }

    /// @inheritdoc IGridOperatorRegistry
    function operator(address operator_) external view returns (Operator memory) {
        return _operators[operator_];
    }

    /// @inheritdoc IGridOperatorRegistry
    function operatorName(address operator_) external view returns (string memory) {
        return _names[operator_];
    }

    /// @inheritdoc IGridOperatorRegistry
    function inControlArea(address operator_, uint16 regionId) external view returns (bool) {
        return _area[operator_][regionId];
    }

    /// @inheritdoc IGridOperatorRegistry
    function approvals(address operator_, IUtilityRegistry.Action action) external view returns (uint256) {
        return _approvalCount[_proposal(operator_, action, _operators[operator_].actionNonce)];
    }

    /// @inheritdoc IGridOperatorRegistry
    function hasApproved(
        address operator_,
        IUtilityRegistry.Action action,
        address verifier
    ) external view returns (bool) {
        return _approved[_proposal(operator_, action, _operators[operator_].actionNonce)][verifier];
    }

    /// @inheritdoc IGridOperatorRegistry
    function council() external view returns (IUtilityRegistry) {
        return _council;
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _proposal(address operator_, IUtilityRegistry.Action action, uint32 nonce) private view returns (bytes32) {
        return keccak256(abi.encode(operator_, action, nonce, _council.councilEpoch()));
    }
}
