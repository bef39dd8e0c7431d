// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {DayBitmap} from "../libraries/DayBitmap.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title RegionRegistry
/// @notice The one list of grid regions that every GridBalance contract reads (SPECIFICATION.md §2).
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

    /// @param admin Receives DEFAULT_ADMIN_ROLE and REGION_ADMIN_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(REGION_ADMIN_ROLE, admin);
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

    function _validate(RegionParams calldata p) private pure {
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
        if (
            p.frequencyToleranceMHz == 0 ||
            p.frequencyToleranceMHz >= p.nominalFrequencyMHz ||
            p.voltageToleranceBps == 0 ||
            p.voltageToleranceBps >= _BPS
        ) {
            revert InvalidTolerances(p.frequencyToleranceMHz, p.voltageToleranceBps);
        }
        // R-7: a whole number of intervals in an hour and a day (96, 48 or 24 readings per record)
        if (p.intervalMinutes != 15 && p.intervalMinutes != 30 && p.intervalMinutes != 60) {
            revert InvalidMeterInterval(p.intervalMinutes);
        }
    }
}
