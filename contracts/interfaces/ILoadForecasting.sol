// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGridStatus} from "./IGridStatus.sol";

/// @title ILoadForecasting
/// @notice Oracle-posted weather, load forecasts, actual load and stability metrics per region and
/// local hour; forecast error and rolling MAPE; grid status; auto-triggered DR events
/// (SPECIFICATION.md §9, rules F-1..F-9). Its grid status is the protocol's IGridStatus today (F-9).
interface ILoadForecasting is IGridStatus {
    /// @notice Load as a share of capacity (F-5).
    enum LoadStatus {
        Low,
        Normal,
        High,
        Critical
    }

    /// @notice Frequency/voltage condition (F-5).
    enum StabilityStatus {
        Normal,
        Alert,
        Emergency,
        Critical
    }

    /// @notice One weather observation or forecast for a local hour.
    struct WeatherPoint {
        uint32 hour; // local hour index (T-1)
        int16 temperatureDeciC; // 0.1 °C, -600..600
        uint16 humidityPermille; // 0.1 %, 0..1000
        uint16 irradianceWm2; // W/m², 0..1500
    }

    /// @notice One load forecast for a local hour.
    struct ForecastPoint {
        uint32 hour;
        uint32 loadKw; // point forecast
        uint32 lowKw; // confidence band, lowKw <= loadKw <= highKw
        uint32 highKw;
    }

    /// @notice One measured hour: load and stability metrics.
    struct ActualPoint {
        uint32 hour;
        uint32 loadKw;
        uint32 frequencyMHz; // mean frequency, mHz
        uint16 voltagePermille; // mean voltage, 0.1 % of nominal (1_000 = nominal)
    }

    /// @notice Everything known of one (region, hour). One slot.
    struct HourRecord {
        int16 temperatureDeciC;
        uint16 humidityPermille;
        uint16 irradianceWm2;
        uint32 forecastKw;
        uint32 lowKw;
        uint32 highKw;
        uint32 modelId;
        uint32 actualKw;
        uint16 errorBps; // F-4, when both forecast and actual (> 0) exist
        uint8 flags; // bit 0 weather, bit 1 forecast, bit 2 actual, bit 3 error
    }

    /// @notice A region's latest measured state (F-5).
    struct GridState {
        uint32 hour; // latest actual hour
        uint32 loadKw;
        uint32 frequencyMHz;
        uint16 voltagePermille;
        LoadStatus load;
        StabilityStatus stability;
    }

    /// @notice A program's auto-trigger (F-6).
    struct AutoTrigger {
        uint32 programId; // 0 = none
        uint32 thresholdKw; // forecasts at or above this count
        uint8 minHours; // shortest run of consecutive hours that triggers
        uint8 maxHours; // longest event created
        uint32 lastTriggeredDay; // local day of the program's last triggered event
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A batch must hold 1..168 points.
    error InvalidBatchSize(uint256 size);
    /// @notice The region does not exist.
    error UnknownForecastRegion(uint16 regionId);
    /// @notice Hours must strictly increase within a batch.
    error HoursNotIncreasing(uint256 index);
    /// @notice The hour is too far in the future for this kind of data.
    error FutureHour(uint256 index, uint32 hour, uint32 currentHour);
    /// @notice The hour is in the past (forecasts) or more than 7 days old (weather, actuals).
    error PastHour(uint256 index, uint32 hour, uint32 currentHour);
    /// @notice A value is outside its documented range.
    error ValueOutOfRange(uint256 index);
    /// @notice The forecast was issued more than an hour ago, or in the future.
    error StaleForecast(uint64 issuedAt);
    /// @notice Model id must be non-zero.
    error InvalidModelId();
    /// @notice The actual for this hour was already posted.
    error DuplicateActual(uint32 hour);
    /// @notice The auto-trigger configuration is invalid (threshold > 0, 1 <= min <= max <= 12).
    error InvalidAutoTrigger();
    /// @notice Only the program's active utility may link its program to the region.
    error NotTriggerOwner(address caller);
    /// @notice The region already has MAX_TRIGGERS_PER_REGION auto-triggers (F-6).
    error TooManyTriggers(uint16 regionId);
    /// @notice The utility already links another program's trigger in this region (one per utility, F-6).
    error TriggerAlreadyLinked(address utility, uint32 programId);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A weather batch was stored.
    event WeatherPosted(uint16 indexed regionId, uint32 firstHour, uint32 lastHour, uint256 count);
    /// @notice A forecast batch was stored.
    event ForecastPosted(
        uint16 indexed regionId,
        uint32 indexed modelId,
        uint32 firstHour,
        uint32 lastHour,
        uint256 count
    );
    /// @notice An actual-load batch was stored.
    event ActualPosted(uint16 indexed regionId, uint32 firstHour, uint32 lastHour, uint256 count);
    /// @notice Forecast error of one hour (F-4).
    event ForecastErrorRecorded(
        uint16 indexed regionId,
        uint32 indexed hour,
        uint32 forecastKw,
        uint32 actualKw,
        uint16 errorBps
    );
    /// @notice The grid status of a region changed (F-5).
    event GridStatusChanged(uint16 indexed regionId, uint32 hour, LoadStatus load, StabilityStatus stability);
    /// @notice The GridStability whose system state joins the grid status was linked (G-12).
    event StabilitySet(address indexed stability);
    /// @notice A program's auto-trigger was set, or cleared (threshold 0) (F-6).
    event AutoTriggerSet(uint16 indexed regionId, uint32 programId, uint32 thresholdKw, uint8 minHours, uint8 maxHours);
    /// @notice Forecasts crossed the threshold and an event was created (F-6).
    event PeakForecast(
        uint16 indexed regionId,
        uint32 indexed day,
        uint8 startHour,
        uint8 endHour,
        uint32 peakKw,
        uint256 eventId
    );
    /// @notice Forecasts crossed the threshold but the event could not be created; the forecasts are kept.
    event AutoTriggerFailed(uint16 indexed regionId, uint32 indexed day, bytes reason);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Post weather points. Only WEATHER_ORACLE_ROLE (F-1).
    function postWeather(uint16 regionId, WeatherPoint[] calldata points) external;

    /// @notice Post load forecasts; may auto-trigger events. Only FORECAST_ORACLE_ROLE (F-2, F-6).
    /// @param modelId Non-zero id of the forecasting model.
    /// @param issuedAt When the forecast was made (UTC seconds), at most 1 hour ago.
    function postForecasts(uint16 regionId, uint32 modelId, uint64 issuedAt, ForecastPoint[] calldata points) external;

    /// @notice Post measured load and stability; records forecast errors and grid status.
    /// Only GRID_ORACLE_ROLE (F-3..F-5).
    function postActuals(uint16 regionId, ActualPoint[] calldata points) external;

    /// @notice Set a program's auto-trigger (threshold and run lengths), linked in the program's region.
    /// The program's active utility; one program per utility and region, at most
    /// MAX_TRIGGERS_PER_REGION per region (F-6).
    function setAutoTrigger(uint32 programId, uint32 thresholdKw, uint8 minHours, uint8 maxHours) external;

    /// @notice Link the GridStability whose system state, stress and rate cap join the grid status
    /// (G-12); the zero address unlinks it. Only DEFAULT_ADMIN_ROLE.
    function setStability(address stability) external;

    /// @notice Remove a program's auto-trigger. The program's utility or DEFAULT_ADMIN_ROLE (F-6).
    function clearAutoTrigger(uint32 programId) external;

    /// @notice One (region, hour) record.
    function hourRecord(uint16 regionId, uint32 hour) external view returns (HourRecord memory);

    /// @notice A region's latest measured state.
    function gridState(uint16 regionId) external view returns (GridState memory);

    /// @notice A program's auto-trigger (programId 0: none).
    function autoTrigger(uint32 programId) external view returns (AutoTrigger memory);

    /// @notice The programs whose triggers a region's forecasts fire, in link order (F-6).
    function regionTriggers(uint16 regionId) external view returns (uint32[] memory);

    /// @notice Mean error (bps) over hours in (endHour − windowHours, endHour] that have one; window <= 168 (F-4).
    function rollingMape(
        uint16 regionId,
        uint32 endHour,
        uint32 windowHours
    ) external view returns (uint256 mapeBps, uint256 samples);

    /// @notice Rate multiplier for new events from the grid status: 10_000, 12_500 or 15_000 (F-7, G-12).
    function stressMultiplierBps(uint16 regionId) external view returns (uint256);

    /// @notice The current local hour index of a region (T-1).
    function currentHour(uint16 regionId) external view returns (uint32);
}
