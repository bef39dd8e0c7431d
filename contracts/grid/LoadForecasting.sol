// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ILoadForecasting} from "../interfaces/ILoadForecasting.sol";
import {IGridStatus} from "../interfaces/IGridStatus.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {Deviation} from "../libraries/Deviation.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title LoadForecasting
/// @notice Weather, forecasts, actual load and stability per region and local hour; forecast error,
/// rolling MAPE, grid status (IGridStatus); auto-triggered events, one trigger per program
/// (SPECIFICATION.md §9, F-1..F-9).
contract LoadForecasting is ILoadForecasting, AccessControl {
    /// @notice Posts weather.
    bytes32 public constant WEATHER_ORACLE_ROLE = keccak256("WEATHER_ORACLE_ROLE");
    /// @notice Posts load forecasts.
    bytes32 public constant FORECAST_ORACLE_ROLE = keccak256("FORECAST_ORACLE_ROLE");
    /// @notice Posts actual load and stability metrics.
    bytes32 public constant GRID_ORACLE_ROLE = keccak256("GRID_ORACLE_ROLE");

    uint256 private constant _MAX_BATCH = 168;
    uint32 private constant _HORIZON_HOURS = 48;
    uint32 private constant _HISTORY_HOURS = 168;
    uint256 private constant _MAX_FORECAST_AGE = 1 hours;
    uint256 private constant _BPS = 10_000;
    uint256 private constant _LOW_LOAD_BPS = 3_000;
    uint8 private constant _HAS_WEATHER = 1;
    uint8 private constant _HAS_FORECAST = 2;
    uint8 private constant _HAS_ACTUAL = 4;
    uint8 private constant _HAS_ERROR = 8;
    /// @notice Most auto-triggers linked in one region (F-6), one per utility: a post's trigger loop stays bounded.
    uint256 public constant MAX_TRIGGERS_PER_REGION = 8;
    /// @notice A grid status older than this many hours reads Normal (F-9).
    uint32 public constant GRID_STATUS_MAX_AGE_HOURS = 2;

    IRegionRegistry private immutable _regions;
    IUtilityRegistry private immutable _utilities;
    IReductionRequests private immutable _requests;
    IProgramRegistry private immutable _programs;

    mapping(uint16 regionId => mapping(uint32 hour => HourRecord)) private _hours;
    mapping(uint16 regionId => GridState) private _grid;
    mapping(uint32 programId => AutoTrigger) private _triggers;
    // slither: written with push and pop in _link and clearAutoTrigger (dynamic arrays start empty)
    // slither-disable-next-line uninitialized-state
    mapping(uint16 regionId => uint32[] programIds) private _regionTriggers; // at most MAX_TRIGGERS_PER_REGION
    IGridStatus private _stability; // GridStability (G-12); zero: F-9's hourly status alone

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param requests The ledger that creates triggered events (it grants this contract TRIGGER_ROLE).
    /// @param programs The program registry (a trigger belongs to its program's utility).
    constructor(
        address admin,
        IRegionRegistry regions,
        IUtilityRegistry utilities,
        IReductionRequests requests,
        IProgramRegistry programs
    ) {
        _regions = regions;
        _utilities = utilities;
        _requests = requests;
        _programs = programs;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                                 POSTING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILoadForecasting
    function postWeather(uint16 regionId, WeatherPoint[] calldata points) external onlyRole(WEATHER_ORACLE_ROLE) {
        (, uint32 nowHour) = _regionAndHour(regionId, points.length);
        uint32 prev = 0;
        for (uint256 i; i < points.length; ++i) {
            WeatherPoint calldata p = points[i];
            prev = _checkHour(i, p.hour, prev, nowHour);
            if (p.hour > nowHour + _HORIZON_HOURS) revert FutureHour(i, p.hour, nowHour);
            if (
                p.temperatureDeciC < -600 ||
                p.temperatureDeciC > 600 ||
                p.humidityPermille > 1_000 ||
                p.irradianceWm2 > 1_500
            ) revert ValueOutOfRange(i);
            HourRecord storage r = _hours[regionId][p.hour];
            r.temperatureDeciC = p.temperatureDeciC;
            r.humidityPermille = p.humidityPermille;
            r.irradianceWm2 = p.irradianceWm2;
            r.flags |= _HAS_WEATHER;
        }
        emit WeatherPosted(regionId, points[0].hour, points[points.length - 1].hour, points.length);
    }

    /// @inheritdoc ILoadForecasting
    function postForecasts(
        uint16 regionId,
        uint32 modelId,
        uint64 issuedAt,
        ForecastPoint[] calldata points
    ) external onlyRole(FORECAST_ORACLE_ROLE) {
        (IRegionRegistry.RegionParams memory rp, uint32 nowHour) = _regionAndHour(regionId, points.length);
        if (modelId == 0) revert InvalidModelId();
        if (issuedAt > block.timestamp || block.timestamp - issuedAt > _MAX_FORECAST_AGE)
            revert StaleForecast(issuedAt);
        uint32 prev = 0;
        for (uint256 i; i < points.length; ++i) {
            ForecastPoint calldata p = points[i];
            if (i != 0 && p.hour <= prev) revert HoursNotIncreasing(i);
            prev = p.hour;
            if (p.hour <= nowHour) revert PastHour(i, p.hour, nowHour);
            if (p.hour > nowHour + _HORIZON_HOURS) revert FutureHour(i, p.hour, nowHour);
            if (p.lowKw > p.loadKw || p.loadKw > p.highKw || p.highKw > 2 * uint256(rp.capacityKw)) {
                revert ValueOutOfRange(i);
            }
            HourRecord storage r = _hours[regionId][p.hour];
            r.forecastKw = p.loadKw;
            r.lowKw = p.lowKw;
            r.highKw = p.highKw;
            r.modelId = modelId;
            r.flags |= _HAS_FORECAST;
        }
        emit ForecastPosted(regionId, modelId, points[0].hour, points[points.length - 1].hour, points.length);
        uint32[] storage linked = _regionTriggers[regionId];
        // slither: at most MAX_TRIGGERS_PER_REGION triggers (setAutoTrigger refuses more)
        // slither-disable-next-line calls-loop
        for (uint256 k = 0; k < linked.length; ++k) _autoTrigger(regionId, rp, linked[k], points);
    }

    /// @inheritdoc ILoadForecasting
    function postActuals(uint16 regionId, ActualPoint[] calldata points) external onlyRole(GRID_ORACLE_ROLE) {
        (IRegionRegistry.RegionParams memory rp, uint32 nowHour) = _regionAndHour(regionId, points.length);
        uint32 prev = 0;
        for (uint256 i; i < points.length; ++i) {
            ActualPoint calldata p = points[i];
            prev = _checkHour(i, p.hour, prev, nowHour);
            // an hour is measured once it has ended
            if (p.hour >= nowHour) revert FutureHour(i, p.hour, nowHour);
            if (
                p.loadKw > 2 * uint256(rp.capacityKw) ||
                Deviation.absDiff(p.frequencyMHz, rp.nominalFrequencyMHz) > 5_000 ||
                p.voltagePermille < 500 ||
                p.voltagePermille > 1_500
            ) revert ValueOutOfRange(i);
            HourRecord storage r = _hours[regionId][p.hour];
            if (r.flags & _HAS_ACTUAL != 0) revert DuplicateActual(p.hour);
            r.actualKw = p.loadKw;
            r.flags |= _HAS_ACTUAL;
            if (r.flags & _HAS_FORECAST != 0 && p.loadKw != 0) {
                uint256 e = (Deviation.absDiff(r.forecastKw, p.loadKw) * _BPS) / p.loadKw;
                r.errorBps = e > type(uint16).max ? type(uint16).max : uint16(e);
                r.flags |= _HAS_ERROR;
                emit ForecastErrorRecorded(regionId, p.hour, r.forecastKw, p.loadKw, r.errorBps);
            }
        }
        emit ActualPosted(regionId, points[0].hour, points[points.length - 1].hour, points.length);
        ActualPoint calldata last = points[points.length - 1];
        if (last.hour >= _grid[regionId].hour) _updateGrid(regionId, rp, last);
    }

    /*//////////////////////////////////////////////////////////////
                               AUTO-TRIGGER
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILoadForecasting
    function setAutoTrigger(uint32 programId, uint32 thresholdKw, uint8 minHours, uint8 maxHours) external {
        IProgramRegistry.Program memory p = _programs.program(programId);
        if (p.utility != msg.sender || !_utilities.isActiveUtility(msg.sender, p.regionId)) {
            revert NotTriggerOwner(msg.sender);
        }
        if (thresholdKw == 0 || minHours == 0 || minHours > maxHours || maxHours > 12) revert InvalidAutoTrigger();
        AutoTrigger storage t = _triggers[programId];
        if (t.programId == 0) _link(p.regionId, programId);
        t.programId = programId;
        t.thresholdKw = thresholdKw;
        t.minHours = minHours;
        t.maxHours = maxHours;
        emit AutoTriggerSet(p.regionId, programId, thresholdKw, minHours, maxHours);
    }

    /// @inheritdoc ILoadForecasting
    function clearAutoTrigger(uint32 programId) external {
        AutoTrigger storage t = _triggers[programId];
        if (t.programId == 0) revert InvalidAutoTrigger();
        IProgramRegistry.Program memory p = _programs.program(programId);
        if (p.utility != msg.sender && !hasRole(DEFAULT_ADMIN_ROLE, msg.sender)) revert NotTriggerOwner(msg.sender);
        uint32[] storage linked = _regionTriggers[p.regionId];
        uint256 last = linked.length - 1;
        for (uint256 k = 0; k < last; ++k) {
            if (linked[k] == programId) {
                linked[k] = linked[last];
                break;
            }
        }
        linked.pop();
        delete _triggers[programId];
        emit AutoTriggerSet(p.regionId, programId, 0, 0, 0);
    }

    /// @inheritdoc ILoadForecasting
    function setStability(address stability) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _stability = IGridStatus(stability);
        emit StabilitySet(stability);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ILoadForecasting
    function hourRecord(uint16 regionId, uint32 hour) external view returns (HourRecord memory) {
        return _hours[regionId][hour];
    }

    /// @inheritdoc ILoadForecasting
    function gridState(uint16 regionId) external view returns (GridState memory) {
        return _grid[regionId];
    }

    /// @inheritdoc ILoadForecasting
    function autoTrigger(uint32 programId) external view returns (AutoTrigger memory) {
        return _triggers[programId];
    }

    /// @inheritdoc ILoadForecasting
    function regionTriggers(uint16 regionId) external view returns (uint32[] memory) {
        return _regionTriggers[regionId];
    }

    /// @inheritdoc IGridStatus
    function gridLevel(uint16 regionId) external view returns (GridLevel level) {
        (level, , ) = _terms(regionId, _regions.region(regionId));
    }

    /// @inheritdoc IGridStatus
    function eventTerms(
        uint16 regionId
    ) external view returns (GridLevel level, uint256 stressBps, uint256 rateCapBps) {
        return _terms(regionId, _regions.region(regionId));
    }

    /// @inheritdoc ILoadForecasting
    function rollingMape(
        uint16 regionId,
        uint32 endHour,
        uint32 windowHours
    ) external view returns (uint256 mapeBps, uint256 samples) {
        if (windowHours == 0 || windowHours > _HISTORY_HOURS || windowHours > endHour)
            revert InvalidBatchSize(windowHours);
        uint256 sum = 0;
        for (uint32 h = endHour - windowHours + 1; h <= endHour; ++h) {
            HourRecord storage r = _hours[regionId][h];
            if (r.flags & _HAS_ERROR != 0) {
                sum += r.errorBps;
                ++samples;
            }
        }
        if (samples != 0) mapeBps = sum / samples;
    }

    /// @inheritdoc ILoadForecasting
    function stressMultiplierBps(uint16 regionId) external view returns (uint256 stressBps) {
        (, stressBps, ) = _terms(regionId, _regions.region(regionId));
    }

    /// @inheritdoc ILoadForecasting
    function currentHour(uint16 regionId) external view returns (uint32) {
        return LocalTime.hourOf(_regions.region(regionId).utcOffsetMinutes, block.timestamp);
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _regionAndHour(
        uint16 regionId,
        uint256 size
    ) private view returns (IRegionRegistry.RegionParams memory rp, uint32 nowHour) {
        if (size == 0 || size > _MAX_BATCH) revert InvalidBatchSize(size);
        if (!_regions.regionExists(regionId)) revert UnknownForecastRegion(regionId);
        rp = _regions.region(regionId);
        nowHour = LocalTime.hourOf(rp.utcOffsetMinutes, block.timestamp);
    }

    /// @dev Increasing hours, not older than 7 days (F-1, F-3).
    function _checkHour(uint256 i, uint32 hour, uint32 prev, uint32 nowHour) private pure returns (uint32) {
        if (i != 0 && hour <= prev) revert HoursNotIncreasing(i);
        if (hour + _HISTORY_HOURS < nowHour) revert PastHour(i, hour, nowHour);
        return hour;
    }

    /// @dev F-5: load share and stability bands from the latest measured hour.
    function _updateGrid(uint16 regionId, IRegionRegistry.RegionParams memory rp, ActualPoint calldata p) private {
        uint256 share = (uint256(p.loadKw) * _BPS) / rp.capacityKw;
        LoadStatus load;
        if (share <= _LOW_LOAD_BPS) load = LoadStatus.Low;
        else if (share < rp.highLoadBps) load = LoadStatus.Normal;
        else if (share < rp.criticalLoadBps) load = LoadStatus.High;
        else load = LoadStatus.Critical;
        IRegionRegistry.BandProfile memory bp = _regions.bandProfile(regionId);
        StabilityStatus f = _band(
            Deviation.absDiff(p.frequencyMHz, rp.nominalFrequencyMHz),
            bp.normalMHz,
            bp.alertMHz,
            bp.emergencyMHz
        );
        // voltage deviation in permille -> bps (10 bps per permille)
        StabilityStatus v = _band(
            Deviation.absDiff(p.voltagePermille, 1_000) * 10,
            bp.voltageNormalBps,
            bp.voltageAlertBps,
            bp.voltageEmergencyBps
        );
        StabilityStatus stability = f > v ? f : v;

        GridState storage g = _grid[regionId];
        bool changed = g.load != load || g.stability != stability || g.hour == 0;
        g.hour = p.hour;
        g.loadKw = p.loadKw;
        g.frequencyMHz = p.frequencyMHz;
        g.voltagePermille = p.voltagePermille;
        g.load = load;
        g.stability = stability;
        if (changed) emit GridStatusChanged(regionId, p.hour, load, stability);
    }

    /// @dev F-5, G-6: Normal within the area's normal band, Alert within its alert band, Emergency
    /// within its emergency band, else Critical.
    function _band(
        uint256 deviation,
        uint256 normal,
        uint256 alert,
        uint256 emergency
    ) private pure returns (StabilityStatus) {
        if (deviation <= normal) return StabilityStatus.Normal;
        if (deviation <= alert) return StabilityStatus.Alert;
        if (deviation <= emergency) return StabilityStatus.Emergency;
        return StabilityStatus.Critical;
    }

    /// @dev G-12: the worse of F-9's hourly level and the linked GridStability's; stress (F-7) from the
    /// hourly load and stability, raised by the system state's level; the rate cap is GridStability's.
    // slither: one view call to the protocol's GridStability
    // slither-disable-next-line calls-loop
    function _terms(
        uint16 regionId,
        IRegionRegistry.RegionParams memory rp
    ) private view returns (GridLevel level, uint256 stressBps, uint256 rateCapBps) {
        level = _gridLevel(regionId, rp);
        GridState storage g = _grid[regionId];
        uint256 stress = g.load == LoadStatus.Critical ? 2 : (g.load == LoadStatus.High ? 1 : 0);
        uint256 s = g.stability >= StabilityStatus.Emergency ? 2 : (g.stability == StabilityStatus.Alert ? 1 : 0);
        if (s > stress) stress = s;
        stressBps = _BPS + stress * 2_500;
        if (address(_stability) != address(0)) {
            (GridLevel measured, uint256 stateStressBps, uint256 cap) = _stability.eventTerms(regionId);
            if (measured > level) level = measured;
            if (stateStressBps > stressBps) stressBps = stateStressBps;
            rateCapBps = cap;
        }
    }

    /// @dev F-6: a program's trigger is linked in its region, one per utility, at most MAX_TRIGGERS_PER_REGION.
    // slither: at most MAX_TRIGGERS_PER_REGION program reads, in the trigger owner's own transaction
    // slither-disable-next-line calls-loop
    function _link(uint16 regionId, uint32 programId) private {
        uint32[] storage linked = _regionTriggers[regionId];
        uint256 n = linked.length;
        if (n >= MAX_TRIGGERS_PER_REGION) revert TooManyTriggers(regionId);
        for (uint256 k = 0; k < n; ++k) {
            if (_programs.program(linked[k]).utility == msg.sender) revert TriggerAlreadyLinked(msg.sender, linked[k]);
        }
        linked.push(programId);
    }

    /// @dev F-9: level 2 if load is Critical or stability Emergency/Critical, 1 if load High or stability
    /// Alert, else 0; Normal when the latest measured hour is more than GRID_STATUS_MAX_AGE_HOURS old.
    function _gridLevel(uint16 regionId, IRegionRegistry.RegionParams memory rp) private view returns (GridLevel) {
        GridState storage g = _grid[regionId];
        uint32 nowHour = LocalTime.hourOf(rp.utcOffsetMinutes, block.timestamp);
        if (g.hour == 0 || uint256(g.hour) + GRID_STATUS_MAX_AGE_HOURS < nowHour) return GridLevel.Normal;
        if (g.load == LoadStatus.Critical || g.stability >= StabilityStatus.Emergency) return GridLevel.Emergency;
        if (g.load == LoadStatus.High || g.stability == StabilityStatus.Alert) return GridLevel.Alert;
        return GridLevel.Normal;
    }

    /// @dev F-6: each maximal run of consecutive hours of one local day at or above the program's
    /// threshold, at least minHours long, creates one event (its first maxHours hours), at most one
    /// per program and local day.
    function _autoTrigger(
        uint16 regionId,
        IRegionRegistry.RegionParams memory rp,
        uint32 programId,
        ForecastPoint[] calldata points
    ) private {
        AutoTrigger memory t = _triggers[programId];
        uint256 n = points.length;
        for (uint256 i = 0; i < n;) {
            // the run starting at i ends before j; a point below the threshold is a run of none
            uint256 j = i + 1;
            if (points[i].loadKw >= t.thresholdKw) {
                while (
                    j < n &&
                    points[j].loadKw >= t.thresholdKw &&
                    points[j].hour == points[j - 1].hour + 1 &&
                    points[j].hour / 24 == points[i].hour / 24
                ) ++j;
                if (j - i >= t.minHours) _fire(regionId, rp, t, points[i:j]);
            }
            i = j;
        }
    }

    // slither: the callee is the protocol's ReductionRequests; lastTriggeredDay is written before the call and only
    // restored in the catch
    // slither-disable-next-line reentrancy-no-eth,reentrancy-events,calls-loop
    function _fire(
        uint16 regionId,
        IRegionRegistry.RegionParams memory rp,
        AutoTrigger memory t,
        ForecastPoint[] calldata run
    ) private {
        uint32 day = run[0].hour / 24;
        AutoTrigger storage stored = _triggers[t.programId];
        if (stored.lastTriggeredDay == day) return;
        uint256 len = run.length < t.maxHours ? run.length : t.maxHours;
        uint256 targetWh = 0;
        uint32 peak = 0;
        for (uint256 k; k < len; ++k) {
            targetWh += uint256(run[k].loadKw - t.thresholdKw) * 1_000;
            if (run[k].loadKw > peak) peak = run[k].loadKw;
        }
        IReductionRequests.Tier tier = _triggerTier(regionId, rp, peak);
        uint8 startHour = uint8(run[0].hour % 24);
        uint8 endHour = uint8(startHour + len);
        stored.lastTriggeredDay = day;
        try _requests.createTriggeredEvent(t.programId, day, startHour, endHour, uint48(targetWh), tier) returns (
            uint256 eventId
        ) {
            emit PeakForecast(regionId, day, startHour, endHour, peak, eventId);
        } catch (bytes memory reason) {
            stored.lastTriggeredDay = t.lastTriggeredDay;
            emit AutoTriggerFailed(regionId, day, reason);
        }
    }

    /// @dev F-6, G-12: Economic if the peak is at least highLoadBps of capacity, else Voluntary; Emergency
    /// when the measured level is Emergency (a forecast alone never makes one, and in emergency only
    /// Emergency-tier events are allowed).
    function _triggerTier(
        uint16 regionId,
        IRegionRegistry.RegionParams memory rp,
        uint32 peakKw
    ) private view returns (IReductionRequests.Tier) {
        (GridLevel level, , ) = _terms(regionId, rp);
        if (level == GridLevel.Emergency) return IReductionRequests.Tier.Emergency;
        uint256 share = (uint256(peakKw) * _BPS) / rp.capacityKw;
        return share >= rp.highLoadBps ? IReductionRequests.Tier.Economic : IReductionRequests.Tier.Voluntary;
    }
}
