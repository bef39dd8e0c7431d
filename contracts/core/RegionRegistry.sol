// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {DayBitmap} from "../libraries/DayBitmap.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title RegionRegistry
/// @notice The one list of grid regions that every GridBalance contract reads (SPECIFICATION.md §2),
/// and the synchronous areas whose band profiles judge their grids (§15, G-5).
contract RegionRegistry is IRegionRegistry, AccessControl {
    using DayBitmap for mapping(uint256 => uint256);

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Role allowed to add and update regions.
    bytes32 public constant REGION_ADMIN_ROLE = keccak256("REGION_ADMIN_ROLE");

    uint256 private constant _MAX_NAME_BYTES = 64;
    uint256 private constant _MAX_TIME_ZONE_BYTES = 32; // the longest IANA name is 32 bytes
    int16 private constant _MIN_UTC_OFFSET = -720; // UTC-12:00
    int16 private constant _MAX_UTC_OFFSET = 840; // UTC+14:00
    uint16 private constant _BPS = 10_000;
    uint16 private constant _MAX_DEVIATION = 5_000; // mHz of frequency, bps of voltage
    uint16 private constant _MIN_RATE_CAP = 10_000;
    uint16 private constant _MAX_RATE_CAP = 50_000;
    uint32 private constant _MIN_RECOVERY = 60;
    uint32 private constant _MAX_RECOVERY = 86_400;
    uint256 private constant _STAGES = 8;

    /// @notice Preset area: Continental Europe (ENTSO-E), 50 Hz.
    uint8 public constant CONTINENTAL_EUROPE = 1;
    /// @notice Preset area: Great Britain, 50 Hz.
    uint8 public constant GREAT_BRITAIN = 2;
    /// @notice Preset area: an ERCOT-like 60 Hz interconnection.
    uint8 public constant ERCOT_LIKE = 3;
    /// @notice Preset area: the first version's bands (+-500 mHz, +-5 %), any nominal frequency.
    uint8 public constant SEED = 4;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    /// @dev One slot per region: the params struct packs into 20 bytes.
    mapping(uint16 regionId => RegionParams) private _params;
    mapping(uint16 regionId => string) private _names;
    uint256 private _count;
    mapping(uint16 regionId => mapping(uint256 word => uint256 bits)) private _holidays;
    /// @dev IANA names of <= 31 bytes take one slot (Solidity's short-string layout).
    mapping(uint16 regionId => string) private _timeZones;
    /// @dev Three slots per area (G-5).
    mapping(uint8 areaId => BandProfile) private _areas;
    mapping(uint8 areaId => string) private _areaNames;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and REGION_ADMIN_ROLE.
    /// @dev Adds the four preset areas of G-5's table.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGION_ADMIN_ROLE, admin);
        uint16[8] memory stages = [uint16(1_000), 1_200, 1_400, 1_600, 1_800, 2_000, 0, 0];
        uint16[8] memory shares = [uint16(750), 750, 750, 750, 750, 750, 0, 0];
        _storeArea(CONTINENTAL_EUROPE, "Continental Europe", _preset(50_000, 20, 200, 800, 1_000, 200, stages, shares));
        stages = [uint16(1_200), 1_250, 1_300, 1_400, 1_500, 1_600, 1_800, 2_000];
        shares = [uint16(500), 500, 1_000, 750, 750, 750, 500, 500];
        _storeArea(GREAT_BRITAIN, "Great Britain", _preset(50_000, 15, 200, 500, 1_200, 500, stages, shares));
        stages = [uint16(700), 1_100, 1_500, 0, 0, 0, 0, 0];
        shares = [uint16(500), 1_000, 1_000, 0, 0, 0, 0, 0];
        BandProfile memory ercot = _preset(60_000, 17, 100, 300, 700, 300, stages, shares);
        (ercot.reserveAlertKw, ercot.reserveEmergencyKw, ercot.reserveShedKw) = (2_300_000, 1_750_000, 1_430_000);
        _storeArea(ERCOT_LIKE, "ERCOT-like", ercot);
        stages = [uint16(1_500), 2_000, 0, 0, 0, 0, 0, 0];
        shares = [uint16(1_000), 1_000, 0, 0, 0, 0, 0, 0];
        _storeArea(SEED, "GridBalance seed", _preset(0, 20, 500, 1_000, 1_500, 500, stages, shares));
    }

    /*//////////////////////////////////////////////////////////////
                              ADMINISTRATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRegionRegistry
    function addRegion(
        uint16 regionId,
        string calldata name,
        RegionParams calldata params
    ) external onlyRole(REGION_ADMIN_ROLE) {
        if (regionId == 0) revert InvalidRegionId();
        if (_params[regionId].capacityKw != 0) revert RegionAlreadyExists(regionId);
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > _MAX_NAME_BYTES) revert InvalidRegionName(nameLength);
        _validate(params);
        _params[regionId] = params;
        _names[regionId] = name;
        ++_count;
        emit RegionAdded(regionId, name, params);
    }

    /// @inheritdoc IRegionRegistry
    function updateRegion(uint16 regionId, RegionParams calldata params) external onlyRole(REGION_ADMIN_ROLE) {
        _requireRegion(regionId);
        _validate(params);
        int16 offset = _params[regionId].utcOffsetMinutes;
        if (params.utcOffsetMinutes != offset) revert UtcOffsetFixed(regionId, offset);
        uint8 interval = _params[regionId].intervalMinutes;
        if (params.intervalMinutes != interval) revert MeterIntervalFixed(regionId, interval);
        _params[regionId] = params;
        emit RegionUpdated(regionId, params);
    }

    /// @inheritdoc IRegionRegistry
    function setTimeZone(uint16 regionId, string calldata zone) external onlyRole(REGION_ADMIN_ROLE) {
        _requireRegion(regionId);
        uint256 length = bytes(zone).length;
        if (length == 0 || length > _MAX_TIME_ZONE_BYTES) revert InvalidTimeZone(length);
        _timeZones[regionId] = zone;
        emit TimeZoneSet(regionId, zone);
    }

    /// @inheritdoc IRegionRegistry
    function setArea(
        uint8 areaId,
        string calldata name,
        BandProfile calldata profile
    ) external onlyRole(REGION_ADMIN_ROLE) {
        if (areaId == 0) revert InvalidAreaId();
        uint256 nameLength = bytes(name).length;
        if (nameLength == 0 || nameLength > _MAX_NAME_BYTES) revert InvalidAreaName(nameLength);
        _storeArea(areaId, name, profile);
    }

    /// @inheritdoc IRegionRegistry
    function setHoliday(uint16 regionId, uint32 day, bool holiday) external onlyRole(REGION_ADMIN_ROLE) {
        _requireRegion(regionId);
        uint32 today = LocalTime.dayOf(_params[regionId].utcOffsetMinutes, block.timestamp);
        if (day < today) revert HolidayInPast(regionId, day, today);
        if (holiday) _holidays[regionId].set(day);
        else _holidays[regionId].unset(day);
        emit HolidaySet(regionId, day, holiday);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IRegionRegistry
    function regionExists(uint16 regionId) external view returns (bool) {
        return _params[regionId].capacityKw != 0;
    }

    /// @inheritdoc IRegionRegistry
    function region(uint16 regionId) external view returns (RegionParams memory) {
        _requireRegion(regionId);
        return _params[regionId];
    }

    /// @inheritdoc IRegionRegistry
    function meterInterval(uint16 regionId) external view returns (uint8) {
        _requireRegion(regionId);
        return _params[regionId].intervalMinutes;
    }

    /// @inheritdoc IRegionRegistry
    function regionName(uint16 regionId) external view returns (string memory) {
        _requireRegion(regionId);
        return _names[regionId];
    }

    /// @inheritdoc IRegionRegistry
    function timeZone(uint16 regionId) external view returns (string memory) {
        _requireRegion(regionId);
        return _timeZones[regionId];
    }

    /// @inheritdoc IRegionRegistry
    function isHoliday(uint16 regionId, uint32 day) external view returns (bool) {
        return _holidays[regionId].get(day);
    }

    /// @inheritdoc IRegionRegistry
    function holidayWord(uint16 regionId, uint256 word) external view returns (uint256) {
        return _holidays[regionId][word];
    }

    /// @inheritdoc IRegionRegistry
    function area(uint8 areaId) external view returns (BandProfile memory) {
        _requireArea(areaId);
        return _areas[areaId];
    }

    /// @inheritdoc IRegionRegistry
    function areaName(uint8 areaId) external view returns (string memory) {
        _requireArea(areaId);
        return _areaNames[areaId];
    }

    /// @inheritdoc IRegionRegistry
    function bandProfile(uint16 regionId) external view returns (BandProfile memory) {
        _requireRegion(regionId);
        return _areas[_params[regionId].areaId];
    }

    /// @inheritdoc IRegionRegistry
    function regionCount() external view returns (uint256) {
        return _count;
    }

    /// @inheritdoc IRegionRegistry
    function localDay(uint16 regionId, uint256 timestamp) external view returns (uint32) {
        _requireRegion(regionId);
        // timestamp >= 86_400 > |offset| (at most 50_400 s), so the local time is positive.
        if (timestamp < LocalTime.SECONDS_PER_DAY) revert TimestampOutOfRange(timestamp);
        return LocalTime.dayOf(_params[regionId].utcOffsetMinutes, timestamp);
    }

    /// @inheritdoc IRegionRegistry
    function localDayStart(uint16 regionId, uint32 day) external view returns (uint256) {
        _requireRegion(regionId);
        int16 offset = _params[regionId].utcOffsetMinutes;
        // the start is negative only for day 0 east of UTC (|offset| < one day)
        if (day == 0 && offset > 0) revert TimestampOutOfRange(0);
        return LocalTime.dayStart(offset, day);
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _requireRegion(uint16 regionId) private view {
        if (_params[regionId].capacityKw == 0) revert UnknownRegion(regionId);
    }

    function _requireArea(uint8 areaId) private view {
        if (bytes(_areaNames[areaId]).length == 0) revert UnknownArea(areaId);
    }

    function _storeArea(uint8 areaId, string memory name, BandProfile memory profile) private {
        _validateProfile(profile);
        _areas[areaId] = profile;
        _areaNames[areaId] = name;
        emit AreaSet(areaId, name, profile);
    }

    function _preset(
        uint32 nominal,
        uint16 deadband,
        uint16 normal,
        uint16 alert,
        uint16 emergency,
        uint16 reserveFull,
        uint16[8] memory stages,
        uint16[8] memory shares
    ) private pure returns (BandProfile memory p) {
        (p.nominalFrequencyMHz, p.deadbandMHz, p.normalMHz, p.alertMHz) = (nominal, deadband, normal, alert);
        (p.emergencyMHz, p.reserveFullMHz, p.recoverySeconds) = (emergency, reserveFull, 900);
        (p.voltageNormalBps, p.voltageAlertBps, p.voltageEmergencyBps) = (500, 1_000, 1_500);
        (p.stageMHz, p.stageShareBps) = (stages, shares);
    }

    /// @dev G-5: reverts InvalidBandProfile(field) with the first failing field, numbered in struct
    /// order; a failed chain `a < b` names b (oracles/reference/grid_state.py, first_invalid_field).
    function _validateProfile(BandProfile memory p) private pure {
        uint32 f = p.nominalFrequencyMHz;
        if (f != 0 && f != 50_000 && f != 60_000) revert InvalidBandProfile(0);
        if (p.deadbandMHz >= p.normalMHz) revert InvalidBandProfile(2);
        if (p.normalMHz >= p.alertMHz) revert InvalidBandProfile(3);
        if (p.alertMHz >= p.emergencyMHz || p.emergencyMHz > _MAX_DEVIATION) revert InvalidBandProfile(4);
        if (p.reserveFullMHz <= p.deadbandMHz || p.reserveFullMHz > _MAX_DEVIATION) revert InvalidBandProfile(5);
        _validateLimits(p);
        _validateStages(p);
    }

    /// @dev G-5's voltage bands, reserve levels, recovery and rate cap (fields 6..13).
    function _validateLimits(BandProfile memory p) private pure {
        if (p.voltageNormalBps == 0) revert InvalidBandProfile(6);
        if (p.voltageNormalBps >= p.voltageAlertBps) revert InvalidBandProfile(7);
        if (p.voltageAlertBps >= p.voltageEmergencyBps || p.voltageEmergencyBps > _MAX_DEVIATION) {
            revert InvalidBandProfile(8);
        }
        if (p.reserveAlertKw < p.reserveEmergencyKw) revert InvalidBandProfile(10);
        if (p.reserveEmergencyKw < p.reserveShedKw) revert InvalidBandProfile(11);
        if (p.recoverySeconds < _MIN_RECOVERY || p.recoverySeconds > _MAX_RECOVERY) revert InvalidBandProfile(12);
        uint16 cap = p.emergencyRateCapBps;
        if (cap != 0 && (cap < _MIN_RATE_CAP || cap > _MAX_RATE_CAP)) revert InvalidBandProfile(13);
    }

    /// @dev G-5's stages, one by one, drop before share, with the running total.
    function _validateStages(BandProfile memory p) private pure {
        uint256 total = 0;
        uint256 previous = p.normalMHz; // every used stage lies beyond the normal band
        bool ended = false;
        for (uint256 k = 0; k < _STAGES; ++k) {
            uint256 drop = p.stageMHz[k];
            uint256 share = p.stageShareBps[k];
            if (drop == 0) {
                ended = true;
                if (share != 0) revert InvalidBandProfile(15);
                continue;
            }
            if (ended || drop <= previous) revert InvalidBandProfile(14);
            total += share;
            if (share == 0 || total > _BPS) revert InvalidBandProfile(15);
            previous = drop;
        }
    }

    function _validate(RegionParams calldata p) private view {
        if (p.capacityKw == 0) revert InvalidCapacity();
        if (p.nominalFrequencyMHz != 50_000 && p.nominalFrequencyMHz != 60_000) {
            revert InvalidNominalFrequency(p.nominalFrequencyMHz);
        }
        if (
            p.utcOffsetMinutes < _MIN_UTC_OFFSET || p.utcOffsetMinutes > _MAX_UTC_OFFSET || p.utcOffsetMinutes % 15 != 0
        ) {
            revert InvalidUtcOffset(p.utcOffsetMinutes);
        }
        if (p.highLoadBps == 0 || p.highLoadBps >= p.criticalLoadBps || p.criticalLoadBps > _BPS) {
            revert InvalidThresholds(p.highLoadBps, p.criticalLoadBps);
        }
        _requireArea(p.areaId);
        uint32 areaNominal = _areas[p.areaId].nominalFrequencyMHz;
        if (areaNominal != 0 && areaNominal != p.nominalFrequencyMHz) {
            revert AreaFrequencyMismatch(p.areaId, p.nominalFrequencyMHz);
        }
        // R-7: a whole number of intervals in an hour and a day (96, 48 or 24 readings per record)
        if (p.intervalMinutes != 15 && p.intervalMinutes != 30 && p.intervalMinutes != 60) {
            revert InvalidMeterInterval(p.intervalMinutes);
        }
    }
}
