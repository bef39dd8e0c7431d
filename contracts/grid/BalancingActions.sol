// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IBalancingActions} from "../interfaces/IBalancingActions.sol";
import {IGridOperatorRegistry} from "../interfaces/IGridOperatorRegistry.sol";
import {IGridStability} from "../interfaces/IGridStability.sol";
import {ILoadForecasting} from "../interfaces/ILoadForecasting.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title BalancingActions
/// @notice Balancing actions of grid operators through their lifecycle (proposed, instructed,
/// completed or failed), DR activations as Emergency-tier events on linked programs, the report a
/// load shed owes, and automated responses on posted measurements (SPECIFICATION.md §15, G-13..G-17).
/// @dev Holds no roles: operators are the GridOperatorRegistry's, programs the ProgramRegistry's, and
/// only GridStability hands it measurements.
contract BalancingActions is IBalancingActions {
    /// @notice A completed load shed owes its report within this period (G-15).
    uint256 public constant REPORT_PERIOD = 30 days;
    /// @notice Most active automated responses per region: a measurement batch's loop stays bounded (G-16).
    uint256 public constant MAX_RESPONSES_PER_REGION = 8;

    uint16 private constant _CAP_BALANCING = 2; // GridOperatorRegistry.CAP_BALANCING
    uint16 private constant _CAP_LOAD_SHED = 4;
    uint16 private constant _CAP_AUTOMATION = 8;
    uint256 private constant _MAX_WINDOW = 1 days;
    uint256 private constant _MAX_PAST = 7 days;
    uint256 private constant _MAX_AHEAD = 30 days;
    uint256 private constant _BPS = 10_000;
    uint32 private constant _MIN_RESPONSE_SECONDS = 60;
    uint32 private constant _MAX_RESPONSE_SECONDS = 1 days;

    IRegionRegistry private immutable _regions;
    IGridOperatorRegistry private immutable _operators;
    IProgramRegistry private immutable _programs;
    IUtilityRegistry private immutable _utilities;
    IReductionRequests private immutable _requests;
    ILoadForecasting private immutable _forecasting;
    address private immutable _stability;

    mapping(uint256 actionId => Action) private _actions;
    uint256 private _actionCount;
    mapping(uint16 regionId => uint32) private _sequence;
    mapping(uint32 programId => bool) private _linked;
    mapping(uint256 responseId => Response) private _responses;
    uint256 private _responseCount;
    // slither: written with push and pop in configureAutomatedResponse and disableAutomatedResponse
    // slither-disable-next-line uninitialized-state
    mapping(uint16 regionId => uint32[] responseIds) private _regionResponses; // at most MAX_RESPONSES_PER_REGION

    /// @param regions Regions (offsets, capacities).
    /// @param operators Who may act (G-4).
    /// @param programs Programs a DR activation names.
    /// @param utilities Whether a program's utility is active.
    /// @param requests Creates DR activations' events (grants this contract TRIGGER_ROLE).
    /// @param forecasting The next hour's forecast for ForecastAbove responses.
    /// @param stability The only caller of `evaluate`.
    constructor(
        IRegionRegistry regions,
        IGridOperatorRegistry operators,
        IProgramRegistry programs,
        IUtilityRegistry utilities,
        IReductionRequests requests,
        ILoadForecasting forecasting,
        address stability
    ) {
        _regions = regions;
        _operators = operators;
        _programs = programs;
        _utilities = utilities;
        _requests = requests;
        _forecasting = forecasting;
        if (stability == address(0)) revert NotGridStability(address(0));
        _stability = stability;
    }

    /*//////////////////////////////////////////////////////////////
                                 ACTIONS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBalancingActions
    function proposeAction(ActionRequest calldata request) external returns (uint256 actionId) {
        _requireCapable(msg.sender, request.regionId, _capabilityOf(request.kind));
        _checkRequest(request);
        actionId = _record(msg.sender, request, 0);
    }

    /// @inheritdoc IBalancingActions
    function instructAction(uint256 actionId) external {
        Action storage a = _ownAction(actionId, ActionStatus.Proposed);
        _requireCapable(msg.sender, a.regionId, _capabilityOf(a.kind));
        _instruct(actionId, a);
    }

    /// @inheritdoc IBalancingActions
    function completeAction(uint256 actionId, uint32 deliveredKw) external {
        Action storage a = _ownAction(actionId, ActionStatus.Instructed);
        if (block.timestamp < a.windowStart) revert WindowNotStarted(actionId, a.windowStart);
        a.status = ActionStatus.Completed;
        a.endedAt = uint40(block.timestamp);
        a.deliveredKw = deliveredKw;
        // slither: an enum compared, not a balance
        // slither-disable-next-line incorrect-equality
        if (a.kind == ActionKind.LoadShed) a.reportDue = uint40(block.timestamp + REPORT_PERIOD);
        emit ActionCompleted(actionId, deliveredKw, a.reportDue);
    }

    /// @inheritdoc IBalancingActions
    function failAction(uint256 actionId, bytes32 reasonHash) external {
        Action storage a = _action(actionId);
        if (a.operator != msg.sender) revert NotActionOperator(actionId, msg.sender);
        if (a.status != ActionStatus.Proposed && a.status != ActionStatus.Instructed) {
            revert ActionNotInStatus(actionId, a.status);
        }
        a.status = ActionStatus.Failed;
        a.endedAt = uint40(block.timestamp);
        emit ActionFailed(actionId, reasonHash);
    }

    /// @inheritdoc IBalancingActions
    function submitShedReport(uint256 actionId, bytes32 reportHash) external {
        Action storage a = _action(actionId);
        if (a.operator != msg.sender) revert NotActionOperator(actionId, msg.sender);
        if (a.kind != ActionKind.LoadShed || a.status != ActionStatus.Completed || a.reportHash != bytes32(0)) {
            revert ReportNotOwed(actionId);
        }
        if (reportHash == bytes32(0)) revert MissingReport();
        a.reportHash = reportHash;
        emit ShedReportSubmitted(actionId, reportHash, block.timestamp > a.reportDue);
    }

    /// @inheritdoc IBalancingActions
    function setProgramLinked(uint32 programId, bool linked) external {
        IProgramRegistry.Program memory p = _programs.program(programId);
        if (p.utility != msg.sender || !_utilities.isActiveUtility(msg.sender, p.regionId)) {
            revert NotProgramUtility(programId, msg.sender);
        }
        // P-7: only an emergency-response program takes the DR activations' Emergency-tier events
        if (linked && _programs.programKind(programId).programType != IProgramRegistry.ProgramType.EmergencyResponse) {
            revert NotEmergencyResponseProgram(programId);
        }
        _linked[programId] = linked;
        emit ProgramLinked(programId, linked);
    }

    /*//////////////////////////////////////////////////////////////
                           AUTOMATED RESPONSES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBalancingActions
    function configureAutomatedResponse(ResponseConfig calldata config) external returns (uint256 responseId) {
        _requireCapable(msg.sender, config.regionId, _CAP_AUTOMATION | _capabilityOf(config.kind));
        _checkResponse(config);
        uint32[] storage ids = _regionResponses[config.regionId];
        if (ids.length >= MAX_RESPONSES_PER_REGION) revert TooManyResponses(config.regionId);
        responseId = ++_responseCount;
        Response storage r = _responses[responseId];
        r.operator = msg.sender;
        r.active = true;
        r.config = config;
        ids.push(uint32(responseId));
        emit ResponseConfigured(responseId, msg.sender, config);
    }

    /// @inheritdoc IBalancingActions
    function disableAutomatedResponse(uint256 responseId) external {
        Response storage r = _responses[responseId];
        if (!r.active || r.operator != msg.sender) revert NotResponseOperator(responseId, msg.sender);
        r.active = false;
        uint32[] storage ids = _regionResponses[r.config.regionId];
        uint256 last = ids.length - 1;
        for (uint256 k = 0; k < last; ++k) {
            if (ids[k] == responseId) {
                ids[k] = ids[last];
                break;
            }
        }
        ids.pop();
        emit ResponseDisabled(responseId);
    }

    /// @inheritdoc IBalancingActions
    // slither: at most MAX_RESPONSES_PER_REGION responses x 96 points; the callees are the protocol's
    // slither-disable-next-line calls-loop
    function evaluate(uint16 regionId, IGridStability.Measurement[] calldata points) external {
        if (msg.sender != _stability) revert NotGridStability(msg.sender);
        uint32[] memory ids = _regionResponses[regionId];
        if (ids.length == 0) return;
        uint32 capacity = _regions.region(regionId).capacityKw;
        for (uint256 k = 0; k < ids.length; ++k) {
            Response storage r = _responses[ids[k]];
            ResponseConfig memory c = r.config;
            uint256 n = points.length;
            // a forecast does not change within a batch: judged on its last measurement only
            uint256 first = c.metric == Metric.ForecastAbove ? n - 1 : 0;
            for (uint256 i = first; i < n; ++i) {
                IGridStability.Measurement calldata m = points[i];
                if (r.lastFired != 0 && uint256(m.time) < uint256(r.lastFired) + c.windowSeconds) continue;
                (bool met, uint256 value) = _condition(c, m, capacity);
                if (met) _fire(ids[k], r, c, m, value);
            }
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IBalancingActions
    function action(uint256 actionId) external view returns (Action memory) {
        if (actionId == 0 || actionId > _actionCount) revert UnknownAction(actionId);
        return _actions[actionId];
    }

    /// @inheritdoc IBalancingActions
    function actionCount() external view returns (uint256) {
        return _actionCount;
    }

    /// @inheritdoc IBalancingActions
    function isReportOverdue(uint256 actionId) external view returns (bool) {
        Action storage a = _actions[actionId];
        return
            a.kind == ActionKind.LoadShed &&
            a.status == ActionStatus.Completed &&
            a.reportHash == bytes32(0) &&
            block.timestamp > a.reportDue;
    }

    /// @inheritdoc IBalancingActions
    function programLinked(uint32 programId) external view returns (bool) {
        return _linked[programId];
    }

    /// @inheritdoc IBalancingActions
    function response(uint256 responseId) external view returns (Response memory) {
        return _responses[responseId];
    }

    /// @inheritdoc IBalancingActions
    function responseCount(uint16 regionId) external view returns (uint256) {
        return _regionResponses[regionId].length;
    }

    /// @inheritdoc IBalancingActions
    function regionResponses(uint16 regionId) external view returns (uint32[] memory) {
        return _regionResponses[regionId];
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _capabilityOf(ActionKind kind) private pure returns (uint16) {
        return kind == ActionKind.LoadShed ? _CAP_LOAD_SHED : _CAP_BALANCING;
    }

    function _requireCapable(address who, uint16 regionId, uint16 capabilities) private view {
        if (!_operators.isActiveOperator(who, regionId, capabilities)) {
            revert NotCapableOperator(who, regionId, capabilities);
        }
    }

    function _action(uint256 actionId) private view returns (Action storage a) {
        a = _actions[actionId];
        if (a.status == ActionStatus.None) revert UnknownAction(actionId);
    }

    function _ownAction(uint256 actionId, ActionStatus status) private view returns (Action storage a) {
        a = _action(actionId);
        if (a.operator != msg.sender) revert NotActionOperator(actionId, msg.sender);
        if (a.status != status) revert ActionNotInStatus(actionId, a.status);
    }

    /// @dev G-13: fields numbered as ActionRequest's (1 kind is never wrong: the ABI checks it).
    function _checkRequest(ActionRequest calldata q) private view {
        if (q.targetKw == 0 || (q.targetKw < 0 && q.kind != ActionKind.GenerationAdjustment)) {
            revert InvalidActionRequest(2);
        }
        if (q.priority == 0) revert InvalidActionRequest(3);
        if (
            uint256(q.windowStart) + _MAX_PAST < block.timestamp ||
            uint256(q.windowStart) > block.timestamp + _MAX_AHEAD
        ) revert InvalidActionRequest(4);
        if (q.windowEnd <= q.windowStart || q.windowEnd - q.windowStart > _MAX_WINDOW) revert InvalidActionRequest(5);
        _checkKindFields(q);
    }

    /// @dev G-13, G-14: the fields only some kinds take (6 program, 7 stage, 8 share), and a DR
    /// activation's window in whole local hours of one day.
    function _checkKindFields(ActionRequest calldata q) private view {
        // slither: an enum compared, not a balance
        // slither-disable-next-line incorrect-equality
        bool dr = q.kind == ActionKind.DrActivation;
        if (dr ? !_programOfRegion(q.programId, q.regionId) : q.programId != 0) revert InvalidActionRequest(6);
        bool shed = q.kind == ActionKind.LoadShed;
        if (shed ? q.stage > 8 : q.stage != 0) revert InvalidActionRequest(7);
        if (shed ? q.shareBps == 0 || q.shareBps > _BPS : q.shareBps != 0) revert InvalidActionRequest(8);
        if (dr) _hourWindow(q.regionId, q.windowStart, q.windowEnd); // whole local hours of one day
    }

    /// @dev G-16: fields numbered as ResponseConfig's.
    function _checkResponse(ResponseConfig calldata c) private view {
        if (c.threshold == 0) revert InvalidResponseConfig(2);
        if (c.targetKw == 0 || (c.targetKw < 0 && c.kind != ActionKind.GenerationAdjustment)) {
            revert InvalidResponseConfig(4);
        }
        if (c.priority == 0) revert InvalidResponseConfig(5);
        if (c.windowSeconds < _MIN_RESPONSE_SECONDS || c.windowSeconds > _MAX_RESPONSE_SECONDS) {
            revert InvalidResponseConfig(6);
        }
        bool dr = c.kind == ActionKind.DrActivation;
        if (
            c.durationSeconds < _MIN_RESPONSE_SECONDS ||
            c.durationSeconds > _MAX_RESPONSE_SECONDS ||
            (dr && c.durationSeconds % LocalTime.SECONDS_PER_HOUR != 0)
        ) revert InvalidResponseConfig(7);
        if (dr ? !_programOfRegion(c.programId, c.regionId) : c.programId != 0) revert InvalidResponseConfig(8);
        bool shed = c.kind == ActionKind.LoadShed;
        if (shed ? c.shareBps == 0 || c.shareBps > _BPS : c.shareBps != 0) revert InvalidResponseConfig(9);
    }

    function _programOfRegion(uint32 programId, uint16 regionId) private view returns (bool) {
        return _linked[programId] && _programs.program(programId).regionId == regionId;
    }

    /// @dev A DR activation's window in whole local hours of one local day: (day, startHour, endHour).
    function _hourWindow(
        uint16 regionId,
        uint40 windowStart,
        uint40 windowEnd
    ) private view returns (uint32 day, uint8 startHour, uint8 endHour) {
        int16 offset = _regions.region(regionId).utcOffsetMinutes;
        uint32 first = LocalTime.hourOf(offset, windowStart);
        uint32 last = LocalTime.hourOf(offset, windowEnd); // the window ends where this hour starts
        day = LocalTime.dayOf(offset, windowStart);
        if (
            LocalTime.hourStart(offset, first) != windowStart ||
            LocalTime.hourStart(offset, last) != windowEnd ||
            LocalTime.dayOf(offset, windowEnd - 1) != day
        ) revert InvalidActionRequest(5);
        startHour = LocalTime.hourOfDay(first);
        endHour = uint8(startHour + (last - first));
    }

    function _record(address operator, ActionRequest memory q, uint32 responseId) private returns (uint256 actionId) {
        actionId = ++_actionCount;
        Action storage a = _actions[actionId];
        a.operator = operator;
        a.regionId = q.regionId;
        a.kind = q.kind;
        a.status = ActionStatus.Proposed;
        a.priority = q.priority;
        a.stage = q.stage;
        a.shareBps = q.shareBps;
        a.programId = q.programId;
        a.targetKw = q.targetKw;
        a.windowStart = q.windowStart;
        a.windowEnd = q.windowEnd;
        a.responseId = responseId;
        emit ActionProposed(actionId, q.regionId, operator, q.kind, q.targetKw, q.priority, q.windowStart, q.windowEnd);
    }

    /// @dev G-13, G-14: the region's next sequence number; a DR activation's Emergency-tier event
    /// (target = targetKw × window hours, in Wh).
    // slither: the callee is the protocol's ReductionRequests; the action is written before the call
    // slither-disable-next-line reentrancy-no-eth,reentrancy-events,calls-loop
    function _instruct(uint256 actionId, Action storage a) private {
        a.status = ActionStatus.Instructed;
        a.instructedAt = uint40(block.timestamp);
        a.sequence = ++_sequence[a.regionId];
        uint256 eventId = 0;
        // slither: an enum compared, not a balance
        // slither-disable-next-line incorrect-equality
        if (a.kind == ActionKind.DrActivation) {
            (uint32 day, uint8 startHour, uint8 endHour) = _hourWindow(a.regionId, a.windowStart, a.windowEnd);
            uint256 targetWh = uint256(uint32(a.targetKw)) * 1_000 * (endHour - startHour);
            eventId = _requests.createTriggeredEvent(
                a.programId,
                day,
                startHour,
                endHour,
                uint48(targetWh),
                IReductionRequests.Tier.Emergency
            );
            a.eventId = uint32(eventId);
        }
        emit ActionInstructed(actionId, a.regionId, a.sequence, eventId);
    }

    /// @dev G-16: whether the measurement meets the condition, and the value it was judged on.
    // slither: one view call to the protocol's LoadForecasting, for ForecastAbove responses only
    // slither-disable-next-line calls-loop
    function _condition(
        ResponseConfig memory c,
        IGridStability.Measurement calldata m,
        uint32 capacityKw
    ) private view returns (bool, uint256) {
        Metric metric = c.metric;
        uint256 t = c.threshold;
        if (metric == Metric.FrequencyBelow) return (m.frequencyMHz != 0 && m.frequencyMHz <= t, m.frequencyMHz);
        if (metric == Metric.FrequencyAbove) return (m.frequencyMHz >= t, m.frequencyMHz);
        if (metric == Metric.VoltageBelow) return (m.voltagePermille <= t, m.voltagePermille);
        if (metric == Metric.VoltageAbove) return (m.voltagePermille >= t, m.voltagePermille);
        if (metric == Metric.LoadShareAbove) {
            uint256 share = (uint256(m.loadKw) * _BPS) / capacityKw;
            return (share >= t, share);
        }
        if (metric == Metric.ReserveBelow) return (m.reserveKw <= t, m.reserveKw);
        uint32 next = _forecasting.currentHour(c.regionId) + 1;
        uint256 forecast = _forecasting.hourRecord(c.regionId, next).forecastKw;
        return (forecast >= t, forecast);
    }

    /// @dev G-16: the response's action, proposed and instructed at once with the window starting at
    /// the measurement (a DR activation: the first whole local hours after the program's gate lead);
    /// a failure to create it is logged and leaves the rate limit untouched.
    // slither: the call is to this contract's own fireResponse (so that a failure undoes the action);
    // the response's bookkeeping after it is deliberate and only this contract calls back
    // slither-disable-next-line reentrancy-no-eth,reentrancy-events,calls-loop
    function _fire(
        uint32 responseId,
        Response storage r,
        ResponseConfig memory c,
        IGridStability.Measurement calldata m,
        uint256 value
    ) private {
        ActionRequest memory q = ActionRequest({
            regionId: c.regionId,
            kind: c.kind,
            targetKw: c.targetKw,
            priority: c.priority,
            windowStart: m.time,
            windowEnd: m.time + c.durationSeconds,
            programId: c.programId,
            stage: 0,
            shareBps: c.shareBps
        });
        if (c.kind == ActionKind.DrActivation) (q.windowStart, q.windowEnd) = _drWindow(c);
        try this.fireResponse(r.operator, q, responseId) returns (uint256 actionId) {
            r.lastFired = m.time;
            ++r.fired;
            emit ResponseFired(responseId, actionId, m.time, value);
        } catch (bytes memory reason) {
            emit ResponseFailed(responseId, m.time, reason);
        }
    }

    /// @notice Records and instructs an automated response's action in one step, so that a failure
    /// undoes both (G-16). Only this contract (from `evaluate`).
    function fireResponse(
        address operator,
        ActionRequest calldata q,
        uint32 responseId
    ) external returns (uint256 actionId) {
        if (msg.sender != address(this)) revert NotSelf(msg.sender);
        _requireCapable(operator, q.regionId, _CAP_AUTOMATION | _capabilityOf(q.kind));
        actionId = _record(operator, q, responseId);
        _instruct(actionId, _actions[actionId]);
    }

    /// @dev G-16: a DR activation starts at the first whole local hour more than the program's gate
    /// lead after the posting (the block's time: a measurement may be posted late), for
    /// durationSeconds, cut at the local day's end.
    // slither: two view calls to the protocol's registries, at most once per firing (the loop is bounded)
    // slither-disable-next-line calls-loop
    function _drWindow(ResponseConfig memory c) private view returns (uint40 start, uint40 end) {
        int16 offset = _regions.region(c.regionId).utcOffsetMinutes;
        uint32 lead = uint32(_programs.program(c.programId).gateLeadHours) + 1;
        uint256 startsAt = LocalTime.hourStart(offset, LocalTime.hourOf(offset, block.timestamp) + lead);
        uint256 dayEnd = LocalTime.dayStart(offset, LocalTime.dayOf(offset, startsAt) + 1);
        uint256 endsAt = startsAt + c.durationSeconds;
        if (endsAt > dayEnd) endsAt = dayEnd;
        start = uint40(startsAt);
        end = uint40(endsAt);
    }
}
