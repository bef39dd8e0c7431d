// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IRegionRegistry
/// @notice Grid regions, defined once and shared by every GridBalance contract.
/// @dev A region's UTC offset defines its local days: meter data, events and baselines are all
/// counted in local days (SPECIFICATION.md, rules R-1 to R-4). Each region belongs to a synchronous
/// area whose band profile judges its frequency, voltage and reserves (§15, G-5).
interface IRegionRegistry {
    /// @notice Parameters of one region. Fits one storage slot (17 of 32 bytes).
    struct RegionParams {
        uint32 capacityKw; // nominal capacity of the region's grid, kW (> 0)
        uint32 nominalFrequencyMHz; // 50_000 or 60_000
        int16 utcOffsetMinutes; // local time = UTC + offset; -720..+840, a multiple of 15
        uint16 highLoadBps; // load share of capacity at which status is High (default 8_000)
        uint16 criticalLoadBps; // load share at which status is Critical (default 9_500)
        uint8 areaId; // synchronous area whose band profile judges the region (G-5; 4 = the seed profile)
        uint8 intervalMinutes; // meter interval: 15, 30 or 60 (default 60), fixed at addRegion (R-7, M-2)
    }

    /// @notice A synchronous area's band profile (G-5): deviations from nominal in mHz, voltage bands in
    /// bps of nominal, reserve levels in kW, up to 8 under-frequency load-shedding stages. Four slots.
    struct BandProfile {
        uint32 nominalFrequencyMHz; // 50_000, 60_000 or 0 (any nominal)
        uint16 deadbandMHz; // reserves insensitive within +-deadband
        uint16 normalMHz; // |df| <= normal: Normal
        uint16 alertMHz; // |df| <= alert: Alert
        uint16 emergencyMHz; // |df| <= emergency: Emergency, beyond: Critical (F-5)
        uint16 reserveFullMHz; // frequency containment reserve fully active
        uint16 voltageNormalBps;
        uint16 voltageAlertBps;
        uint16 voltageEmergencyBps;
        uint32 reserveAlertKw; // reserves below: Alert; all three 0: reserves not judged
        uint32 reserveEmergencyKw; // below: Emergency
        uint32 reserveShedKw; // below: Emergency (rotating outages)
        uint32 recoverySeconds; // Normal this long ends a measured emergency or a restoration (G-9)
        uint16 emergencyRateCapBps; // 0 = none, else 10_000..50_000 (G-12)
        uint16[8] stageMHz; // UFLS stage drops below nominal, strictly increasing, 0 = unused (after used)
        uint16[8] stageShareBps; // share of load each stage sheds, > 0 for used stages, sum <= 10_000
    }

    // ------------------------------------------------------------------ errors

    /// @notice The region id is already taken.
    error RegionAlreadyExists(uint16 regionId);
    /// @notice No region has this id.
    error UnknownRegion(uint16 regionId);
    /// @notice Region ids start at 1; 0 means "no region".
    error InvalidRegionId();
    /// @notice The name is empty or longer than 64 bytes.
    error InvalidRegionName(uint256 length);
    /// @notice Capacity must be positive.
    error InvalidCapacity();
    /// @notice Nominal frequency must be 50 Hz or 60 Hz.
    error InvalidNominalFrequency(uint32 nominalFrequencyMHz);
    /// @notice The offset is outside -12:00..+14:00 or not a multiple of 15 minutes.
    error InvalidUtcOffset(int16 utcOffsetMinutes);
    /// @notice Thresholds must satisfy 0 < high < critical <= 10_000 bps, tolerances > 0.
    error InvalidThresholds(uint16 highLoadBps, uint16 criticalLoadBps);
    /// @notice Area ids are 1..255.
    error InvalidAreaId();
    /// @notice No synchronous area has this id.
    error UnknownArea(uint8 areaId);
    /// @notice An area name is 1..64 bytes.
    error InvalidAreaName(uint256 length);
    /// @notice A band profile field breaks G-5's validity (`field` numbers the struct's fields from 0; a
    /// failed chain `a < b` names b).
    error InvalidBandProfile(uint8 field);
    /// @notice The region's nominal frequency is not its area's.
    error AreaFrequencyMismatch(uint8 areaId, uint32 nominalFrequencyMHz);
    /// @notice A region's UTC offset never changes: it defines every local day already counted (R-6).
    error UtcOffsetFixed(uint16 regionId, int16 utcOffsetMinutes);
    /// @notice A region's meter interval is 15, 30 or 60 minutes (R-7).
    error InvalidMeterInterval(uint8 intervalMinutes);
    /// @notice A region's meter interval never changes: it defines the shape of every record already
    /// posted for its days (R-7).
    error MeterIntervalFixed(uint16 regionId, uint8 intervalMinutes);
    /// @notice Holidays are set or cleared for today or later only (R-5): past days decide pending results.
    error HolidayInPast(uint16 regionId, uint32 day, uint32 today);
    /// @notice Local days are defined from 1970-01-02 UTC on (timestamp >= 86_400).
    error TimestampOutOfRange(uint256 timestamp);
    /// @notice A time zone name is 1..32 bytes (an IANA name such as "America/Los_Angeles", R-8).
    error InvalidTimeZone(uint256 length);

    // ------------------------------------------------------------------ events

    /// @notice A region was added.
    event RegionAdded(uint16 indexed regionId, string name, RegionParams params);
    /// @notice A local day was marked (or unmarked) as a holiday in a region (R-5).
    event HolidaySet(uint16 indexed regionId, uint32 indexed day, bool holiday);

    /// @notice A region's parameters were changed.
    event RegionUpdated(uint16 indexed regionId, RegionParams params);

    /// @notice A synchronous area was added or its band profile replaced (G-5).
    event AreaSet(uint8 indexed areaId, string name, BandProfile profile);

    /// @notice A region's IANA time zone name was set or changed (R-8). The protocol's days do not
    /// move: they stay in the region's standard time (`utcOffsetMinutes`, R-3, R-6).
    event TimeZoneSet(uint16 indexed regionId, string timeZone);

    // ------------------------------------------------------------------ functions

    /// @notice Add a region. Only REGION_ADMIN_ROLE.
    /// @param regionId The new region's id (>= 1, unused).
    /// @param name Human-readable name, 1..64 bytes.
    /// @param params The region's parameters (validated, see errors).
    function addRegion(uint16 regionId, string calldata name, RegionParams calldata params) external;

    /// @notice Replace a region's parameters. Only REGION_ADMIN_ROLE. The UTC offset and the meter
    /// interval cannot change (UtcOffsetFixed, R-6; MeterIntervalFixed, R-7).
    /// @param regionId An existing region.
    /// @param params The new parameters (validated as in addRegion).
    function updateRegion(uint16 regionId, RegionParams calldata params) external;

    /// @notice Set or change a region's IANA time zone name, for people and files only (R-8). Only
    /// REGION_ADMIN_ROLE. Nothing on chain reads it: the protocol's days stay in the region's
    /// standard time (`utcOffsetMinutes`), so a change moves no day; off-chain tools show dates and
    /// clock times in this zone (daylight saving time included) and refuse a zone whose standard
    /// offset is not the region's. See docs/time-zones.md.
    /// @param regionId An existing region.
    /// @param zone An IANA name, 1..32 bytes (InvalidTimeZone otherwise).
    function setTimeZone(uint16 regionId, string calldata zone) external;

    /// @notice Add a synchronous area or replace its band profile (G-5). Only REGION_ADMIN_ROLE. A
    /// replaced profile judges the measurements posted after it.
    /// @param areaId 1..255.
    /// @param name 1..64 bytes.
    /// @param profile Validated as G-5 (InvalidBandProfile names the first field that fails).
    function setArea(uint8 areaId, string calldata name, BandProfile calldata profile) external;

    /// @notice Mark or unmark a local day as a holiday. Only REGION_ADMIN_ROLE (R-5); today or later
    /// only (HolidayInPast).
    /// @param regionId An existing region.
    /// @param day The local day, today or later.
    /// @param holiday True to mark, false to unmark.
    function setHoliday(uint16 regionId, uint32 day, bool holiday) external;

    /// @notice Whether a local day is a holiday in a region (R-5).
    function isHoliday(uint16 regionId, uint32 day) external view returns (bool);

    /// @notice 256 holiday bits of a region: bit `d % 256` of word `d / 256` is day `d` (R-5).
    function holidayWord(uint16 regionId, uint256 word) external view returns (uint256);

    /// @notice Whether a region with this id exists.
    function regionExists(uint16 regionId) external view returns (bool);

    /// @notice A region's parameters; reverts with UnknownRegion for an unknown id.
    function region(uint16 regionId) external view returns (RegionParams memory);

    /// @notice A region's meter interval in minutes (15, 30 or 60, R-7); reverts with UnknownRegion for
    /// an unknown id.
    function meterInterval(uint16 regionId) external view returns (uint8);

    /// @notice A region's name; reverts with UnknownRegion for an unknown id.
    function regionName(uint16 regionId) external view returns (string memory);

    /// @notice A region's IANA time zone name (R-8), or "" if none was set (then off-chain tools show
    /// the fixed standard offset); reverts with UnknownRegion for an unknown id.
    function timeZone(uint16 regionId) external view returns (string memory);

    /// @notice A synchronous area's band profile; reverts UnknownArea.
    function area(uint8 areaId) external view returns (BandProfile memory);

    /// @notice A synchronous area's name; reverts UnknownArea.
    function areaName(uint8 areaId) external view returns (string memory);

    /// @notice The band profile of a region's area (G-5); reverts UnknownRegion.
    function bandProfile(uint16 regionId) external view returns (BandProfile memory);

    /// @notice Number of regions added so far.
    function regionCount() external view returns (uint256);

    /// @notice The local day (days since 1970-01-01 in the region's local time) of a timestamp.
    /// @dev floor((timestamp + utcOffsetMinutes * 60) / 86_400); see SPECIFICATION.md R-3.
    function localDay(uint16 regionId, uint256 timestamp) external view returns (uint32);

    /// @notice The UTC timestamp at which a local day begins in a region (R-4).
    function localDayStart(uint16 regionId, uint32 day) external view returns (uint256);
}
