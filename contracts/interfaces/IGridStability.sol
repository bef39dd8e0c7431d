// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGridStatus} from "./IGridStatus.sol";

/// @title IGridStability
/// @notice Sub-hourly grid measurements (frequency, voltage, phase angle, load, reserves) judged by the
/// region's band profile; the system state that follows from them (normal, alert, emergency, blackout,
/// restoration); emergencies declared by grid operators and ended by the council
/// (SPECIFICATION.md §15, G-7..G-12).
interface IGridStability is IGridStatus {
    /// @notice The system state of a region (SO GL art. 18).
    enum SystemState {
        Normal,
        Alert,
        Emergency,
        Blackout,
        Restoration
    }

    /// @notice One measurement's level (G-8).
    enum Level {
        Normal,
        Alert,
        Emergency,
        Blackout
    }

    /// @notice Why the state changed (G-9..G-11).
    enum Cause {
        Measured, // a measurement's level
        Declared, // an operator declared an emergency
        Council, // the council ended an emergency
        Recovered // recoverySeconds of Normal measurements
    }

    /// @notice One measurement, as the grid oracle posts it (G-7).
    struct Measurement {
        uint40 time; // UTC seconds, end of the averaging period
        uint32 loadKw;
        uint32 reserveKw; // operating reserves available
        uint32 frequencyMHz; // 0 only on a de-energized bus (voltage < 100 permille)
        uint16 voltagePermille; // 0.1 % of nominal, 0..1_500
        int16 phaseCentiDeg; // voltage phase angle against the area's reference bus, 0.01 degree
    }

    /// @notice A region's state record (one slot).
    struct RegionGrid {
        SystemState state;
        bool declared; // an operator declared the emergency (G-10): measurements do not end it
        uint16 rateCapBps; // the declared emergency's rate cap (0 = the area's)
        uint40 latestTime; // time of the latest measurement (0 = none)
        uint40 normalSince; // first time of the unbroken run of Normal measurements (0 = not in one)
        uint40 stateSince; // when the state was entered
        uint32 referenceLoadKw; // load of the latest measurement after which the state was Normal
        uint32 exitNonce; // bumped by every council exit (G-11)
        Level latestLevel;
        uint8 stage; // deepest UFLS stage reached since the state was last Normal
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A batch holds 1..96 measurements.
    error InvalidMeasurementBatch(uint256 size);
    /// @notice The region does not exist.
    error UnknownGridRegion(uint16 regionId);
    /// @notice Times strictly increase within a batch and follow the region's latest measurement.
    error MeasurementNotAfter(uint256 index, uint40 time, uint40 latest);
    /// @notice A measurement is in the future or more than 7 days old.
    error MeasurementTimeOutOfRange(uint256 index, uint40 time);
    /// @notice A value is outside its range (G-7).
    error MeasurementOutOfRange(uint256 index);
    /// @notice The caller is not an active operator with CAP_SYSTEM_STATE in the region (G-4, G-10).
    error NotStateOperator(address caller, uint16 regionId);
    /// @notice A declaration needs a non-zero reason hash.
    error MissingReason();
    /// @notice A rate cap is 0 or 10_000..50_000 bps.
    error InvalidRateCap(uint16 rateCapBps);
    /// @notice An emergency is declared from Normal, Alert or a measured Emergency (G-10).
    error EmergencyNotDeclarable(SystemState state);
    /// @notice Only the UtilityRegistry's VERIFIER_ROLE holders approve an exit (G-11).
    error NotCouncilMember(address account);
    /// @notice This member already approved this exit.
    error ExitAlreadyApproved(uint16 regionId, address member);
    /// @notice The region is not in Emergency (G-11).
    error NotInEmergency(SystemState state);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A measurement was recorded, with its level and the state after it (G-7).
    event Measured(
        uint16 indexed regionId,
        uint40 time,
        uint32 loadKw,
        uint32 reserveKw,
        uint32 frequencyMHz,
        uint16 voltagePermille,
        int16 phaseCentiDeg,
        Level level,
        SystemState state
    );
    /// @notice The system state changed (G-9..G-11).
    event SystemStateChanged(uint16 indexed regionId, SystemState from, SystemState to, uint40 time, Cause cause);
    /// @notice A measurement reached a deeper under-frequency shedding stage (G-9).
    event SheddingStageReached(uint16 indexed regionId, uint40 time, uint8 stage, uint16 cumulativeShareBps);
    /// @notice An operator declared an emergency (G-10).
    event EmergencyDeclared(uint16 indexed regionId, address indexed operator, bytes32 reasonHash, uint16 rateCapBps);
    /// @notice The automated responses' contract was linked (G-16); zero unlinks it.
    event ResponderSet(address indexed responder);
    /// @notice The automated responses could not run on a batch; the measurements are kept (G-16).
    event ResponsesFailed(uint16 indexed regionId, bytes reason);
    /// @notice A council member approved ending the emergency, `count` so far (G-11).
    event EmergencyExitApproved(uint16 indexed regionId, address indexed member, uint256 count);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Post measurements (G-7); each moves the system state (G-8, G-9). Only GRID_ORACLE_ROLE.
    /// @param regionId An existing region.
    /// @param points 1..96 measurements, times strictly increasing after the region's latest.
    function postMeasurements(uint16 regionId, Measurement[] calldata points) external;

    /// @notice Declare an emergency (G-10). An active operator with CAP_SYSTEM_STATE in the region.
    /// @param reasonHash Non-zero hash of the published reason.
    /// @param rateCapBps 0 (the area's cap) or 10_000..50_000 bps of a program's base rate.
    function declareEmergency(uint16 regionId, bytes32 reasonHash, uint16 rateCapBps) external;

    /// @notice Approve ending the region's emergency; the M-th council approval ends it (G-11). Only
    /// the UtilityRegistry's VERIFIER_ROLE holders.
    function approveEmergencyExit(uint16 regionId) external;

    /// @notice Link the contract whose automated responses run on every posted batch (G-16). Only
    /// DEFAULT_ADMIN_ROLE.
    function setResponder(address responder) external;

    /// @notice A region's state record.
    function regionGrid(uint16 regionId) external view returns (RegionGrid memory);

    /// @notice A region's latest measurement (time 0: none).
    function latestMeasurement(uint16 regionId) external view returns (Measurement memory);

    /// @notice Whether a council member approved the region's pending exit (this nonce and epoch).
    function exitApproved(uint16 regionId, address member) external view returns (bool);

    /// @notice Approvals so far of the region's pending exit (this nonce and council epoch).
    function exitApprovals(uint16 regionId) external view returns (uint256);

    /// @notice Whether markets built on the protocol must pause in the region: level Emergency (G-12).
    function marketsPaused(uint16 regionId) external view returns (bool);
}
