// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {IBalancingActions} from "../interfaces/IBalancingActions.sol";
import {IGridStability} from "../interfaces/IGridStability.sol";
import {IGridOperatorRegistry} from "../interfaces/IGridOperatorRegistry.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {Deviation} from "../libraries/Deviation.sol";

/// @title GridStability
/// @notice Sub-hourly measurements judged by the region's band profile, the system state they lead to,
/// emergencies declared by grid operators and ended by the council or by recovery; the grid status
/// new events read (SPECIFICATION.md §15, G-7..G-12).
/// @dev Council approvals are keyed by (region, exit nonce, the UtilityRegistry's council epoch), as
/// for operators (G-2): a change of the council or of M lapses pending exits.
contract GridStability is IGridStability, AccessControl {
    /// @notice Posts measurements (G-7).
    bytes32 public constant GRID_ORACLE_ROLE = keccak256("GRID_ORACLE_ROLE");
    /// @notice A measured state older than this reads Normal for events (G-12); a declared one does not expire.
    uint256 public constant STATUS_MAX_AGE = 2 hours;
    /// @notice Most measurements in one batch (G-7).
    uint256 public constant MAX_BATCH = 96;

    uint16 private constant _CAP_SYSTEM_STATE = 1; // GridOperatorRegistry.CAP_SYSTEM_STATE
    bytes32 private constant _VERIFIER_ROLE = keccak256("VERIFIER_ROLE");
    uint256 private constant _MAX_MEASUREMENT_AGE = 7 days;
    uint16 private constant _DEAD_BUS_PERMILLE = 100; // voltage below 10 % of nominal: no voltage (G-8)
    uint16 private constant _MAX_VOLTAGE_PERMILLE = 1_500;
    int16 private constant _MAX_PHASE = 18_000;
    uint256 private constant _MAX_FREQUENCY_DEVIATION = 5_000;
    uint256 private constant _BPS = 10_000;
    uint16 private constant _MIN_RATE_CAP = 10_000;
    uint16 private constant _MAX_RATE_CAP = 50_000;
    uint256 private constant _STAGES = 8;

    IRegionRegistry private immutable _regions;
    IGridOperatorRegistry private immutable _operators;
    IUtilityRegistry private immutable _council;

    mapping(uint16 regionId => RegionGrid) private _grid;
    mapping(uint16 regionId => Measurement) private _latest;
    mapping(bytes32 proposal => uint256) private _exitCount;
    mapping(bytes32 proposal => mapping(address member => bool)) private _exitApproved;
    IBalancingActions private _responder; // automated responses (G-16); zero: none run

    /// @param admin Receives DEFAULT_ADMIN_ROLE (grants GRID_ORACLE_ROLE).
    /// @param regions The shared region registry (regions and their band profiles).
    /// @param operators The grid operator registry (who may declare an emergency, G-10).
    /// @param council_ The UtilityRegistry: the council that ends an emergency (G-11).
    constructor(address admin, IRegionRegistry regions, IGridOperatorRegistry operators, IUtilityRegistry council_) {
        _regions = regions;
        _operators = operators;
        _council = council_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                               MEASUREMENTS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGridStability
    function postMeasurements(uint16 regionId, Measurement[] calldata points) external onlyRole(GRID_ORACLE_ROLE) {
        uint256 n = points.length;
        if (n == 0 || n > MAX_BATCH) revert InvalidMeasurementBatch(n);
        if (!_regions.regionExists(regionId)) revert UnknownGridRegion(regionId);
        IRegionRegistry.RegionParams memory rp = _regions.region(regionId);
        IRegionRegistry.BandProfile memory bp = _regions.bandProfile(regionId);
        RegionGrid memory g = _grid[regionId];
        for (uint256 i; i < n; ++i) {
            Measurement calldata m = points[i];
            _check(i, m, g.latestTime, rp);
            Level level = _level(bp, rp.nominalFrequencyMHz, m, g.referenceLoadKw);
            _step(regionId, bp, rp.nominalFrequencyMHz, g, m, level);
            emit Measured(
                regionId,
                m.time,
                m.loadKw,
                m.reserveKw,
                m.frequencyMHz,
                m.voltagePermille,
                m.phaseCentiDeg,
                level,
                g.state
            );
        }
        _grid[regionId] = g;
        _latest[regionId] = points[n - 1];
        if (address(_responder) != address(0)) _respond(regionId, points);
    }

    /// @inheritdoc IGridStability
    function setResponder(address responder) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _responder = IBalancingActions(responder);
        emit ResponderSet(responder);
    }

    /*//////////////////////////////////////////////////////////////
                              EMERGENCY MODE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGridStability
    function declareEmergency(uint16 regionId, bytes32 reasonHash, uint16 rateCapBps) external {
        if (!_operators.isActiveOperator(msg.sender, regionId, _CAP_SYSTEM_STATE)) {
            revert NotStateOperator(msg.sender, regionId);
        }
        if (reasonHash == bytes32(0)) revert MissingReason();
        if (rateCapBps != 0 && (rateCapBps < _MIN_RATE_CAP || rateCapBps > _MAX_RATE_CAP)) {
            revert InvalidRateCap(rateCapBps);
        }
        RegionGrid storage g = _grid[regionId];
        SystemState from = g.state;
        if (
            from == SystemState.Blackout ||
            from == SystemState.Restoration ||
            (from == SystemState.Emergency && g.declared)
        ) {
            revert EmergencyNotDeclarable(from);
        }
        g.state = SystemState.Emergency;
        g.declared = true;
        g.rateCapBps = rateCapBps;
        if (from != SystemState.Emergency) {
            g.stateSince = uint40(block.timestamp);
            emit SystemStateChanged(regionId, from, SystemState.Emergency, uint40(block.timestamp), Cause.Declared);
        }
        emit EmergencyDeclared(regionId, msg.sender, reasonHash, rateCapBps);
    }

    /// @inheritdoc IGridStability
    function approveEmergencyExit(uint16 regionId) external {
        if (!IAccessControl(address(_council)).hasRole(_VERIFIER_ROLE, msg.sender)) revert NotCouncilMember(msg.sender);
        RegionGrid storage g = _grid[regionId];
        if (g.state != SystemState.Emergency) revert NotInEmergency(g.state);
        bytes32 proposal = _exitProposal(regionId, g.exitNonce);
        if (_exitApproved[proposal][msg.sender]) revert ExitAlreadyApproved(regionId, msg.sender);
        _exitApproved[proposal][msg.sender] = true;
        uint256 count = ++_exitCount[proposal];
        emit EmergencyExitApproved(regionId, msg.sender, count);
        if (count < _council.threshold()) return;
        SystemState to = g.latestLevel == Level.Normal ? SystemState.Normal : SystemState.Alert;
        g.state = to;
        g.declared = false;
        g.rateCapBps = 0;
        g.stateSince = uint40(block.timestamp);
        if (to == SystemState.Normal) g.stage = 0;
        ++g.exitNonce;
        emit SystemStateChanged(regionId, SystemState.Emergency, to, uint40(block.timestamp), Cause.Council);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IGridStability
    function regionGrid(uint16 regionId) external view returns (RegionGrid memory) {
        return _grid[regionId];
    }

    /// @inheritdoc IGridStability
    function latestMeasurement(uint16 regionId) external view returns (Measurement memory) {
        return _latest[regionId];
    }

    /// @inheritdoc IGridStability
    function exitApproved(uint16 regionId, address member) external view returns (bool) {
        return _exitApproved[_exitProposal(regionId, _grid[regionId].exitNonce)][member];
    }

    /// @inheritdoc IGridStability
    function exitApprovals(uint16 regionId) external view returns (uint256) {
        return _exitCount[_exitProposal(regionId, _grid[regionId].exitNonce)];
    }

    /// @inheritdoc IGridStability
    function marketsPaused(uint16 regionId) external view returns (bool) {
        return _levelOf(_grid[regionId]) == GridLevel.Emergency;
    }

    /// @notice The region's level for events (G-12).
    function gridLevel(uint16 regionId) external view returns (GridLevel) {
        return _levelOf(_grid[regionId]);
    }

    /// @notice The region's level, stress multiplier and rate cap for a new event (G-12).
    function eventTerms(
        uint16 regionId
    ) external view returns (GridLevel level, uint256 stressBps, uint256 rateCapBps) {
        RegionGrid memory g = _grid[regionId];
        level = _levelOf(g);
        stressBps = _BPS + uint256(level) * 2_500;
        if (level == GridLevel.Emergency) {
            rateCapBps = g.rateCapBps != 0 ? g.rateCapBps : _regions.bandProfile(regionId).emergencyRateCapBps;
        }
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev G-16: the responses run on the batch if the region has any; a responder that cannot run
    /// never blocks the measurements.
    // slither: the callee is the protocol's BalancingActions, called after every write of the batch;
    // ResponsesFailed reports that call's own failure
    // slither-disable-next-line reentrancy-events
    function _respond(uint16 regionId, Measurement[] calldata points) private {
        try _responder.responseCount(regionId) returns (uint256 count) {
            if (count == 0) return;
        } catch (bytes memory reason) {
            emit ResponsesFailed(regionId, reason);
            return;
        }
        try _responder.evaluate(regionId, points) {} catch (bytes memory reason) {
            emit ResponsesFailed(regionId, reason);
        }
    }

    /// @dev G-7: times after the latest, within 7 days and not ahead of the block; values in range.
    function _check(
        uint256 i,
        Measurement calldata m,
        uint40 latest,
        IRegionRegistry.RegionParams memory rp
    ) private view {
        if (m.time <= latest) revert MeasurementNotAfter(i, m.time, latest);
        if (m.time > block.timestamp || uint256(m.time) + _MAX_MEASUREMENT_AGE < block.timestamp) {
            revert MeasurementTimeOutOfRange(i, m.time);
        }
        bool deadBus = m.voltagePermille < _DEAD_BUS_PERMILLE;
        if (
            m.loadKw > 2 * uint256(rp.capacityKw) ||
            m.voltagePermille > _MAX_VOLTAGE_PERMILLE ||
            m.phaseCentiDeg < -_MAX_PHASE ||
            m.phaseCentiDeg > _MAX_PHASE ||
            ((!deadBus || m.frequencyMHz != 0) &&
                Deviation.absDiff(m.frequencyMHz, rp.nominalFrequencyMHz) > _MAX_FREQUENCY_DEVIATION)
        ) revert MeasurementOutOfRange(i);
    }

    /// @dev G-8: Blackout on a dead bus or below half the reference load; else the worst of frequency,
    /// voltage and reserves (Emergency and Critical bands both Emergency).
    function _level(
        IRegionRegistry.BandProfile memory bp,
        uint32 nominal,
        Measurement calldata m,
        uint32 referenceLoadKw
    ) private pure returns (Level) {
        if (m.voltagePermille < _DEAD_BUS_PERMILLE || uint256(m.loadKw) * 2 < referenceLoadKw) return Level.Blackout;
        uint256 level = _band(Deviation.absDiff(m.frequencyMHz, nominal), bp.normalMHz, bp.alertMHz);
        uint256 v = _band(Deviation.absDiff(m.voltagePermille, 1_000) * 10, bp.voltageNormalBps, bp.voltageAlertBps);
        if (v > level) level = v;
        if (bp.reserveAlertKw != 0) {
            if (m.reserveKw < bp.reserveEmergencyKw) level = uint256(Level.Emergency);
            else if (m.reserveKw < bp.reserveAlertKw && level == 0) level = uint256(Level.Alert);
        }
        return Level(level);
    }

    /// @dev 0 within the normal band, 1 within the alert band, else 2.
    function _band(uint256 deviation, uint256 normal, uint256 alert) private pure returns (uint256) {
        if (deviation <= normal) return 0;
        return deviation <= alert ? 1 : 2;
    }

    /// @dev G-9's table, G-8's stage; updates `g` in memory and emits the changes.
    function _step(
        uint16 regionId,
        IRegionRegistry.BandProfile memory bp,
        uint32 nominal,
        RegionGrid memory g,
        Measurement calldata m,
        Level level
    ) private {
        if (level != Level.Normal) g.normalSince = 0;
        else if (g.normalSince == 0) g.normalSince = m.time;
        SystemState from = g.state;
        SystemState to = from;
        Cause cause = Cause.Measured;
        if (level == Level.Blackout) to = SystemState.Blackout;
        else if (from == SystemState.Blackout) to = SystemState.Restoration;
        else if (from == SystemState.Normal || from == SystemState.Alert) to = SystemState(uint8(level));
        else if (
            level == Level.Normal &&
            m.time - g.normalSince >= bp.recoverySeconds &&
            !(from == SystemState.Emergency && g.declared)
        ) {
            to = SystemState.Normal;
            cause = Cause.Recovered;
        }
        g.latestTime = m.time;
        g.latestLevel = level;
        if (to != from) {
            g.state = to;
            g.stateSince = m.time;
            if (to != SystemState.Emergency) {
                g.declared = false;
                g.rateCapBps = 0;
            }
            emit SystemStateChanged(regionId, from, to, m.time, cause);
        }
        if (to == SystemState.Normal) {
            g.stage = 0;
            g.referenceLoadKw = m.loadKw;
            return;
        }
        (uint8 stage, uint16 share) = _stage(bp, nominal, m.frequencyMHz);
        if (stage > g.stage) {
            g.stage = stage;
            emit SheddingStageReached(regionId, m.time, stage, share);
        }
    }

    /// @dev G-8: the UFLS stages whose drop below nominal the frequency reached, and their total share.
    function _stage(
        IRegionRegistry.BandProfile memory bp,
        uint32 nominal,
        uint32 frequencyMHz
    ) private pure returns (uint8 stage, uint16 share) {
        if (frequencyMHz == 0 || frequencyMHz >= nominal) return (0, 0);
        uint256 drop = nominal - frequencyMHz;
        while (stage < _STAGES && bp.stageMHz[stage] != 0 && drop >= bp.stageMHz[stage]) {
            share += bp.stageShareBps[stage];
            ++stage;
        }
    }

    /// @dev G-12: Emergency for Emergency, Blackout and Restoration; a measured state more than
    /// STATUS_MAX_AGE old reads Normal.
    function _levelOf(RegionGrid memory g) private view returns (GridLevel) {
        if (!g.declared && (g.latestTime == 0 || block.timestamp - g.latestTime > STATUS_MAX_AGE)) {
            return GridLevel.Normal;
        }
        if (g.state == SystemState.Normal) return GridLevel.Normal;
        return g.state == SystemState.Alert ? GridLevel.Alert : GridLevel.Emergency;
    }

    function _exitProposal(uint16 regionId, uint32 nonce) private view returns (bytes32) {
        return keccak256(abi.encode(regionId, nonce, _council.councilEpoch()));
    }
}
