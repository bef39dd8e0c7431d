// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IGridStability} from "./IGridStability.sol";

/// @title IBalancingActions
/// @notice Balancing actions of grid operators (generation adjustment, reserve activation, DR
/// activation, load shed) through their lifecycle, the report a load shed owes, and automated
/// responses that fire on posted measurements (SPECIFICATION.md §15, G-13..G-17).
interface IBalancingActions {
    /// @notice What an action does (G-13).
    enum ActionKind {
        GenerationAdjustment, // targetKw < 0 lowers generation
        ReserveActivation,
        DrActivation, // creates an Emergency-tier event on a linked program (G-14)
        LoadShed // records its stage and share of load, owes a report (G-15)
    }

    /// @notice Where an action is in its lifecycle (G-13).
    enum ActionStatus {
        None,
        Proposed,
        Instructed,
        Completed,
        Failed
    }

    /// @notice What an automated response watches (G-16).
    enum Metric {
        FrequencyBelow, // mHz
        FrequencyAbove, // mHz
        VoltageBelow, // permille of nominal
        VoltageAbove, // permille of nominal
        LoadShareAbove, // bps of the region's capacity
        ReserveBelow, // kW
        ForecastAbove // kW, the next local hour's forecast (LoadForecasting)
    }

    /// @notice An operator's request for an action (G-13).
    struct ActionRequest {
        uint16 regionId;
        ActionKind kind;
        int32 targetKw; // non-zero; > 0 unless a generation adjustment
        uint8 priority; // 1 (first) .. 255
        uint40 windowStart; // UTC seconds
        uint40 windowEnd;
        uint32 programId; // DR activation: the linked program, else 0
        uint8 stage; // load shed: the UFLS stage it carries out (0 = a manual shed), else 0
        uint16 shareBps; // load shed: the share of load shed, 1..10_000, else 0
    }

    /// @notice A recorded action (three slots and the report hash).
    struct Action {
        address operator;
        uint16 regionId;
        ActionKind kind;
        ActionStatus status;
        uint8 priority;
        uint8 stage;
        uint16 shareBps;
        uint32 programId;
        int32 targetKw;
        uint40 windowStart;
        uint40 windowEnd;
        uint40 instructedAt;
        uint40 endedAt; // completed or failed
        uint32 deliveredKw;
        uint32 eventId; // DR activation: the event created
        uint40 reportDue; // load shed: endedAt + REPORT_PERIOD once completed
        uint32 responseId; // the automated response that created it (0: by hand)
        uint32 sequence; // the region's instruction order (1, 2, ...), 0 until instructed
        bytes32 reportHash; // load shed: the report, once submitted
    }

    /// @notice An automated response's configuration (G-16).
    struct ResponseConfig {
        uint16 regionId;
        Metric metric;
        uint32 threshold; // in the metric's unit
        ActionKind kind;
        int32 targetKw;
        uint8 priority;
        uint32 windowSeconds; // fires at most once per window (rate limit), 60..86_400
        uint32 durationSeconds; // the action's window length, 60..86_400 (whole hours for DR activation)
        uint32 programId; // DR activation: the linked program
        uint16 shareBps; // load shed: the share of load
    }

    /// @notice A configured response.
    struct Response {
        address operator;
        bool active;
        uint40 lastFired; // time of the measurement that last fired it (0: never)
        uint32 fired; // how often it fired
        ResponseConfig config;
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The caller is not an active operator of the region with the capability (G-4).
    error NotCapableOperator(address caller, uint16 regionId, uint16 capabilities);
    /// @notice The request breaks G-13 (field names the request's field, counted from 0).
    error InvalidActionRequest(uint8 field);
    /// @notice No action has this id.
    error UnknownAction(uint256 actionId);
    /// @notice Only the action's operator moves it.
    error NotActionOperator(uint256 actionId, address caller);
    /// @notice The step does not apply to the action's status (G-13).
    error ActionNotInStatus(uint256 actionId, ActionStatus status);
    /// @notice Completion comes once the window has begun.
    error WindowNotStarted(uint256 actionId, uint40 windowStart);
    /// @notice Only the program's active utility links or unlinks it.
    error NotProgramUtility(uint32 programId, address caller);
    /// @notice Only an emergency-response program is linked for DR activations (P-7, G-14).
    error NotEmergencyResponseProgram(uint32 programId);
    /// @notice A report is for a completed load shed, once, with a non-zero hash (G-15).
    error ReportNotOwed(uint256 actionId);
    /// @notice A report hash is non-zero.
    error MissingReport();
    /// @notice The response configuration breaks G-16 (field counted from 0).
    error InvalidResponseConfig(uint8 field);
    /// @notice The region has MAX_RESPONSES_PER_REGION active responses.
    error TooManyResponses(uint16 regionId);
    /// @notice No active response has this id, or the caller is not its operator.
    error NotResponseOperator(uint256 responseId, address caller);
    /// @notice Only GridStability hands measurements to the responses.
    error NotGridStability(address caller);
    /// @notice Only this contract fires a response's action (from `evaluate`).
    error NotSelf(address caller);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice An action was proposed (G-13).
    event ActionProposed(
        uint256 indexed actionId,
        uint16 indexed regionId,
        address indexed operator,
        ActionKind kind,
        int32 targetKw,
        uint8 priority,
        uint40 windowStart,
        uint40 windowEnd
    );
    /// @notice An action was instructed, `sequence`-th in its region; `eventId` for a DR activation.
    event ActionInstructed(uint256 indexed actionId, uint16 indexed regionId, uint32 sequence, uint256 eventId);
    /// @notice An action was completed with what it delivered.
    event ActionCompleted(uint256 indexed actionId, uint32 deliveredKw, uint40 reportDue);
    /// @notice An action failed or was withdrawn, with the reason's hash.
    event ActionFailed(uint256 indexed actionId, bytes32 reasonHash);
    /// @notice A load shed's report was submitted; `late` if after its due time (G-15).
    event ShedReportSubmitted(uint256 indexed actionId, bytes32 reportHash, bool late);
    /// @notice A utility linked (or unlinked) its program for operators' DR activations (G-14).
    event ProgramLinked(uint32 indexed programId, bool linked);
    /// @notice An automated response was configured (G-16).
    event ResponseConfigured(uint256 indexed responseId, address indexed operator, ResponseConfig config);
    /// @notice An automated response was disabled.
    event ResponseDisabled(uint256 indexed responseId);
    /// @notice A measurement met a response's condition and its action was instructed (G-16).
    event ResponseFired(uint256 indexed responseId, uint256 indexed actionId, uint40 measurementTime, uint256 value);
    /// @notice A response's condition was met but its action could not be created (G-16).
    event ResponseFailed(uint256 indexed responseId, uint40 measurementTime, bytes reason);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Propose an action (G-13). An active operator of the region with CAP_BALANCING, or
    /// CAP_LOAD_SHED for a load shed.
    function proposeAction(ActionRequest calldata request) external returns (uint256 actionId);

    /// @notice Instruct a proposed action; a DR activation creates its Emergency-tier event (G-14).
    /// The action's operator, still active with the capability.
    function instructAction(uint256 actionId) external;

    /// @notice Record an instructed action as completed, once its window has begun (G-13); a load
    /// shed then owes its report within REPORT_PERIOD (G-15). The action's operator.
    function completeAction(uint256 actionId, uint32 deliveredKw) external;

    /// @notice Record a proposed or instructed action as failed (or withdrawn). The action's operator.
    function failAction(uint256 actionId, bytes32 reasonHash) external;

    /// @notice Submit a completed load shed's report hash (G-15). The action's operator.
    function submitShedReport(uint256 actionId, bytes32 reportHash) external;

    /// @notice Link or unlink a program for operators' DR activations (G-14). The program's utility.
    function setProgramLinked(uint32 programId, bool linked) external;

    /// @notice Configure an automated response (G-16). An active operator of the region with
    /// CAP_AUTOMATION and the capability its action needs.
    function configureAutomatedResponse(ResponseConfig calldata config) external returns (uint256 responseId);

    /// @notice Disable an automated response. Its operator.
    function disableAutomatedResponse(uint256 responseId) external;

    /// @notice Run the region's responses on posted measurements (G-16). Only GridStability.
    function evaluate(uint16 regionId, IGridStability.Measurement[] calldata points) external;

    /// @notice An action; reverts UnknownAction.
    function action(uint256 actionId) external view returns (Action memory);

    /// @notice Number of actions so far (ids are 1..actionCount).
    function actionCount() external view returns (uint256);

    /// @notice Whether a completed load shed's report is past due and not submitted (G-15).
    function isReportOverdue(uint256 actionId) external view returns (bool);

    /// @notice Whether a program is linked for DR activations.
    function programLinked(uint32 programId) external view returns (bool);

    /// @notice A response (operator zero: none).
    function response(uint256 responseId) external view returns (Response memory);

    /// @notice How many active responses the region has (GridStability skips the hand-over at 0).
    function responseCount(uint16 regionId) external view returns (uint256);

    /// @notice The region's active responses, in configuration order.
    function regionResponses(uint16 regionId) external view returns (uint32[] memory);
}
