// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IBalancingActions} from "../interfaces/IBalancingActions.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {IRegionRegistry} from "../interfaces/IRegionRegistry.sol";
import {IShedCompensation} from "../interfaces/IShedCompensation.sol";
import {LocalTime} from "../libraries/LocalTime.sol";

/// @title ShedCompensation
/// @notice Compensation for consumers cut off by a completed load shed (SPECIFICATION.md §15, G-17):
/// the action's operator funds a pool; each shed consumer proves from its final meter record that its
/// load went to about zero over the shed's whole intervals and is paid at once for the energy it did
/// not get; after CLAIM_PERIOD the operator withdraws the remainder.
/// @dev Holds no roles: the action and its operator are BalancingActions', consumers the
/// ConsumerRegistry's, records MeterData's, the token allowlist the IncentiveEscrow's. Every loop runs
/// over the shed's intervals of one day (at most 96).
contract ShedCompensation is IShedCompensation, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice Claims are open this long after the action's completion (`endedAt`); then the operator
    /// withdraws what remains (G-17).
    uint256 public constant CLAIM_PERIOD = 60 days;
    /// @notice A shed interval's reading may be at most this share of the interval before the shed,
    /// rounded down (G-17): "the load went to about zero".
    uint256 public constant SHED_RESIDUAL_BPS = 500;

    uint256 private constant _BPS = 10_000;
    uint256 private constant _WH_PER_KWH = 1_000;
    uint8 private constant _IMPORT = 0; // MeterLeaf channel 0 (M-2)

    IBalancingActions private immutable _actions;
    IRegionRegistry private immutable _regions;
    IConsumerRegistry private immutable _consumers;
    IMeterData private immutable _meter;
    IIncentiveEscrow private immutable _escrow;

    mapping(uint256 actionId => Pool) private _pools;
    mapping(uint256 actionId => mapping(uint32 consumerId => Claim)) private _claims;

    /// @param actions The load sheds and their operators (G-13, G-15).
    /// @param regions Offsets and meter intervals of the regions (R-3, R-7).
    /// @param consumers Who may claim: active consumers of the action's region (C-7).
    /// @param meter Final meter records and their proofs (M-9).
    /// @param escrow The protocol's token allowlist (E-1).
    constructor(
        IBalancingActions actions,
        IRegionRegistry regions,
        IConsumerRegistry consumers,
        IMeterData meter,
        IIncentiveEscrow escrow
    ) {
        _actions = actions;
        _regions = regions;
        _consumers = consumers;
        _meter = meter;
        _escrow = escrow;
    }

    /*//////////////////////////////////////////////////////////////
                                 FUNDING
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IShedCompensation
    // slither: the balance delta needs the transfer first; nonReentrant, and the token is allowlisted
    // slither-disable-next-line reentrancy-no-eth,reentrancy-benign,reentrancy-events
    function fund(uint256 actionId, address token, uint256 amount, uint96 rateWeiPerKwh) external nonReentrant {
        IBalancingActions.Action memory a = _actions.action(actionId);
        if (a.operator != msg.sender) revert NotShedOperator(actionId, msg.sender);
        if (a.kind != IBalancingActions.ActionKind.LoadShed || a.status != IBalancingActions.ActionStatus.Completed) {
            revert NotCompletedLoadShed(actionId);
        }
        if (amount == 0) revert ZeroAmount();
        Pool storage p = _pools[actionId];
        if (p.token == address(0)) {
            if (rateWeiPerKwh == 0) revert InvalidRate();
            if (!_escrow.isTokenAllowed(token)) revert TokenNotAllowed(token);
            (uint32 day, uint8 startInterval, uint8 endInterval, uint8 intervalMinutes) = _window(actionId, a);
            p.token = token;
            p.rateWeiPerKwh = rateWeiPerKwh;
            p.day = day;
            p.startInterval = startInterval;
            p.endInterval = endInterval;
            p.intervalMinutes = intervalMinutes;
            p.regionId = a.regionId;
            p.claimsClose = uint40(uint256(a.endedAt) + CLAIM_PERIOD);
        } else {
            if (token != p.token || rateWeiPerKwh != p.rateWeiPerKwh) {
                revert PoolTermsMismatch(p.token, p.rateWeiPerKwh);
            }
            if (!_escrow.isTokenAllowed(token)) revert TokenNotAllowed(token);
        }
        if (block.timestamp > p.claimsClose) revert ClaimPeriodOver(actionId, p.claimsClose);
        IERC20 t = IERC20(token);
        uint256 before = t.balanceOf(address(this));
        t.safeTransferFrom(msg.sender, address(this), amount);
        uint256 received = t.balanceOf(address(this)) - before;
        uint128 deposited = SafeCast.toUint128(uint256(p.deposited) + received);
        p.deposited = deposited;
        emit CompensationFunded(actionId, token, rateWeiPerKwh, received, deposited);
    }

    /*//////////////////////////////////////////////////////////////
                                 CLAIMS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IShedCompensation
    function claim(
        uint256 actionId,
        uint16 batchIndex,
        bytes calldata record,
        bytes32[] calldata proof
    ) external nonReentrant returns (uint256 amount) {
        Pool storage p = _pools[actionId];
        if (p.token == address(0)) revert PoolNotFunded(actionId);
        if (block.timestamp > p.claimsClose) revert ClaimPeriodOver(actionId, p.claimsClose);
        uint32 consumerId = _claimant(p.regionId);
        Claim storage cl = _claims[actionId][consumerId];
        if (cl.claimedAt != 0) revert AlreadyClaimed(actionId, consumerId);
        uint256 wh = _provedWh(p, consumerId, batchIndex, record, proof);
        amount = (wh * p.rateWeiPerKwh) / _WH_PER_KWH;
        uint256 free = uint256(p.deposited) - p.paid - p.withdrawn;
        if (amount > free) revert CompensationUnderfunded(amount, free);
        // amount <= free <= deposited, a uint128; wh <= 96 · (2^32 − 1) fits 64 bits
        p.paid += uint128(amount);
        cl.amount = uint128(amount);
        cl.wh = uint64(wh);
        cl.claimedAt = uint40(block.timestamp);
        emit CompensationClaimed(actionId, msg.sender, consumerId, wh, amount);
        if (amount != 0) IERC20(p.token).safeTransfer(msg.sender, amount);
    }

    /// @inheritdoc IShedCompensation
    function withdrawRemainder(uint256 actionId, address to) external nonReentrant returns (uint256 amount) {
        if (_actions.action(actionId).operator != msg.sender) revert NotShedOperator(actionId, msg.sender);
        Pool storage p = _pools[actionId];
        address token = p.token;
        if (token == address(0)) revert PoolNotFunded(actionId);
        if (block.timestamp <= p.claimsClose) revert ClaimPeriodNotOver(actionId, p.claimsClose);
        if (p.closed) revert PoolClosed(actionId);
        if (to == address(0)) revert InvalidRecipient();
        amount = uint256(p.deposited) - p.paid - p.withdrawn;
        p.withdrawn += uint128(amount); // amount <= deposited, a uint128
        p.closed = true;
        emit RemainderWithdrawn(actionId, to, amount);
        if (amount != 0) IERC20(token).safeTransfer(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IShedCompensation
    function pool(uint256 actionId) external view returns (Pool memory) {
        return _pools[actionId];
    }

    /// @inheritdoc IShedCompensation
    function claimed(uint256 actionId, address account) external view returns (Claim memory) {
        uint32 id = _consumers.consumer(account).id;
        if (id == 0) return Claim(0, 0, 0);
        return _claims[actionId][id];
    }

    /// @inheritdoc IShedCompensation
    function shedWindow(uint256 actionId) external view returns (uint32 day, uint8 startInterval, uint8 endInterval) {
        (day, startInterval, endInterval, ) = _window(actionId, _actions.action(actionId));
    }

    /// @inheritdoc IShedCompensation
    function available(uint256 actionId) external view returns (uint256) {
        Pool storage p = _pools[actionId];
        return uint256(p.deposited) - p.paid - p.withdrawn;
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev G-17: the whole meter intervals of the window's local day inside [windowStart, windowEnd):
    /// start = ceil(local start / interval), end = floor(local end / interval), seconds since the
    /// day's local midnight; the window lies within one local day, holds an interval, and one
    /// interval precedes it.
    function _window(
        uint256 actionId,
        IBalancingActions.Action memory a
    ) private view returns (uint32 day, uint8 startInterval, uint8 endInterval, uint8 intervalMinutes) {
        IRegionRegistry.RegionParams memory r = _regions.region(a.regionId);
        // BalancingActions keeps windowStart within 7 days of a block time, and windowEnd > windowStart
        day = LocalTime.dayOf(r.utcOffsetMinutes, a.windowStart);
        if (LocalTime.dayOf(r.utcOffsetMinutes, a.windowEnd - 1) != day) {
            revert WindowCrossesDays(actionId, a.windowStart, a.windowEnd);
        }
        uint256 midnight = LocalTime.dayStart(r.utcOffsetMinutes, day); // the local midnight, in UTC
        uint256 interval = uint256(r.intervalMinutes) * LocalTime.SECONDS_PER_MINUTE;
        uint256 first = (a.windowStart - midnight + interval - 1) / interval;
        uint256 last = (a.windowEnd - midnight) / interval; // <= 86_400 / interval <= 96
        if (last <= first) revert NoWholeInterval(actionId);
        if (first == 0) revert NoIntervalBeforeShed(actionId);
        startInterval = uint8(first);
        endInterval = uint8(last);
        intervalMinutes = r.intervalMinutes;
    }

    /// @dev G-17: the consumer's import record of the final shed day, proved (flagged missing: refused),
    /// and the Wh its shed intervals did not draw.
    function _provedWh(
        Pool storage p,
        uint32 consumerId,
        uint16 batchIndex,
        bytes calldata record,
        bytes32[] calldata proof
    ) private view returns (uint256) {
        IMeterData.RecordQuery memory q = _query(p, consumerId, batchIndex);
        if (!_meter.isFinal(q.regionId, q.day)) revert DayNotFinal(q.regionId, q.day);
        (bool counted, uint32[] memory readings) = _meter.verifiedReadings(q, record, proof);
        if (!counted) revert RecordNotCounted(consumerId, q.day);
        return _shedWh(consumerId, readings, p);
    }

    /// @dev G-17: the query of the consumer's import record of the shed's day (the event day's rules:
    /// not a baseline day, signed or unsigned records alike).
    function _query(
        Pool storage p,
        uint32 consumerId,
        uint16 batchIndex
    ) private view returns (IMeterData.RecordQuery memory) {
        return
            IMeterData.RecordQuery({
                regionId: p.regionId,
                intervalMinutes: p.intervalMinutes,
                channel: _IMPORT,
                consumerId: consumerId,
                day: p.day,
                batchIndex: batchIndex,
                baselineDay: false,
                signedOnly: false
            });
    }

    /// @dev The caller's consumer id: an active consumer of the region (C-7), else NotActiveConsumer.
    function _claimant(uint16 regionId) private view returns (uint32) {
        IConsumerRegistry.Consumer memory c = _consumers.consumer(msg.sender);
        if (c.status != IConsumerRegistry.ConsumerStatus.Active || c.regionId != regionId) {
            revert NotActiveConsumer(msg.sender, regionId);
        }
        return c.id;
    }

    /// @dev G-17: with pre the reading of the interval before the shed, pre > 0 and every reading of
    /// [start, end) at most floor(pre · SHED_RESIDUAL_BPS / 10_000), else NotShed; the compensated Wh
    /// are Σ (pre − r_i).
    function _shedWh(uint32 consumerId, uint32[] memory readings, Pool storage p) private view returns (uint256 wh) {
        uint8 startInterval = p.startInterval;
        uint8 endInterval = p.endInterval;
        uint32 pre = readings[startInterval - 1];
        uint32 limit = uint32((uint256(pre) * SHED_RESIDUAL_BPS) / _BPS);
        if (pre == 0) revert NotShed(consumerId, 0, startInterval - 1, 0, 0);
        for (uint256 i = startInterval; i < endInterval; ++i) {
            uint32 r = readings[i];
            if (r > limit) revert NotShed(consumerId, pre, uint8(i), r, limit);
            // r <= limit < pre: no underflow; at most 96 terms of < 2^32
            unchecked {
                wh += pre - r;
            }
        }
    }
}
