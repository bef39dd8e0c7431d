// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IShedCompensation
/// @notice Compensation for the consumers a completed load shed cut off (SPECIFICATION.md §15, G-17):
/// the action's operator funds a pool at a rate per kWh; each consumer of the region whose metered
/// load went to about zero over the shed's whole meter intervals claims what it lost, proved from
/// its final meter record of the day; after the claim period the operator takes back the rest.
interface IShedCompensation {
    /// @notice One action's pool: its terms (fixed by the first fund) and the shed's window in meter
    /// intervals. Three slots.
    struct Pool {
        address token; // slot 1: the payment token, allowed by the IncentiveEscrow
        uint96 rateWeiPerKwh; // token units per kWh
        uint128 deposited; // slot 2: what arrived (balance deltas)
        uint128 paid; // paid to consumers
        uint128 withdrawn; // slot 3: the remainder the operator took back
        uint32 day; // the shed's local day
        uint8 startInterval; // the first whole meter interval of the shed, >= 1
        uint8 endInterval; // one past the last whole interval, > startInterval
        uint8 intervalMinutes; // the region's meter interval (R-7)
        uint16 regionId; // the action's region
        uint40 claimsClose; // the action's endedAt + CLAIM_PERIOD
        bool closed; // the remainder was withdrawn
    }

    /// @notice What a consumer was paid for one action. One slot.
    struct Claim {
        uint128 amount; // token units paid
        uint64 wh; // the compensated energy, Wh
        uint40 claimedAt; // 0: not claimed
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice Only the action's operator funds its pool or withdraws its remainder.
    error NotShedOperator(uint256 actionId, address caller);
    /// @notice A pool is for a load shed in status Completed (G-13, G-15).
    error NotCompletedLoadShed(uint256 actionId);
    /// @notice The token is not allowed by the IncentiveEscrow (E-1).
    error TokenNotAllowed(address token);
    /// @notice The rate is zero.
    error InvalidRate();
    /// @notice The amount is zero.
    error ZeroAmount();
    /// @notice A top-up repeats the pool's token and rate.
    error PoolTermsMismatch(address token, uint96 rateWeiPerKwh);
    /// @notice The shed's window [windowStart, windowEnd) does not lie within one local day of its region.
    error WindowCrossesDays(uint256 actionId, uint40 windowStart, uint40 windowEnd);
    /// @notice The window holds no whole meter interval of its day.
    error NoWholeInterval(uint256 actionId);
    /// @notice The window's first whole interval is the day's first: there is no interval before the
    /// shed to measure the load from.
    error NoIntervalBeforeShed(uint256 actionId);
    /// @notice The action has no pool yet.
    error PoolNotFunded(uint256 actionId);
    /// @notice Claims (and top-ups) end CLAIM_PERIOD after the action's completion.
    error ClaimPeriodOver(uint256 actionId, uint40 claimsClose);
    /// @notice The remainder is withdrawn only once the claim period is over.
    error ClaimPeriodNotOver(uint256 actionId, uint40 claimsClose);
    /// @notice The remainder was withdrawn already.
    error PoolClosed(uint256 actionId);
    /// @notice The recipient is the zero address.
    error InvalidRecipient();
    /// @notice The caller is not an active consumer of the action's region (C-7).
    error NotActiveConsumer(address account, uint16 regionId);
    /// @notice The consumer has claimed for this action already.
    error AlreadyClaimed(uint256 actionId, uint32 consumerId);
    /// @notice The shed's day is not final yet (M-9): its records may still change.
    error DayNotFinal(uint16 regionId, uint32 day);
    /// @notice The record is flagged missing: it proves no load (M-2).
    error RecordNotCounted(uint32 consumerId, uint32 day);
    /// @notice The consumer's load did not go to about zero: the interval before the shed read
    /// `preWh` (0: no load to shed), and interval `interval` read `readingWh`, above `limitWh`.
    error NotShed(uint32 consumerId, uint32 preWh, uint8 interval, uint32 readingWh, uint32 limitWh);
    /// @notice The pool holds less than the compensation: nothing is paid, the claim stays open.
    error CompensationUnderfunded(uint256 needed, uint256 available);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice The operator funded (or topped up) an action's pool; `received` is what arrived.
    event CompensationFunded(
        uint256 indexed actionId,
        address indexed token,
        uint96 rateWeiPerKwh,
        uint256 received,
        uint256 deposited
    );
    /// @notice A shed consumer was paid its compensation.
    event CompensationClaimed(
        uint256 indexed actionId,
        address indexed account,
        uint32 indexed consumerId,
        uint256 wh,
        uint256 amount
    );
    /// @notice The operator took back what remained after the claim period.
    event RemainderWithdrawn(uint256 indexed actionId, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Fund (or top up) a completed load shed's compensation pool (G-17). The action's
    /// operator only. The first fund fixes token and rate and the shed's window in meter intervals;
    /// a top-up repeats them (else PoolTermsMismatch). Credits the balance delta actually received.
    /// @param actionId A LoadShed action of BalancingActions in status Completed.
    /// @param token A token allowed by the IncentiveEscrow.
    /// @param amount Token units to transfer from the caller (approved beforehand), > 0.
    /// @param rateWeiPerKwh Token units paid per kWh not consumed, > 0.
    function fund(uint256 actionId, address token, uint256 amount, uint96 rateWeiPerKwh) external;

    /// @notice Claim the caller's compensation for a load shed (G-17): the caller is an active
    /// consumer of the action's region, the shed's day is final, and its import record of the day
    /// shows the load went to about zero over the shed's whole intervals. Pays at once; once per
    /// (action, consumer); reverts CompensationUnderfunded if the pool holds less than owed.
    /// @param actionId The funded load shed.
    /// @param batchIndex The batch of the shed's day whose root proves the record.
    /// @param record The consumer's import record of the day, exactly as posted.
    /// @param proof Sibling hashes, leaf to root.
    /// @return amount Token units paid.
    function claim(
        uint256 actionId,
        uint16 batchIndex,
        bytes calldata record,
        bytes32[] calldata proof
    ) external returns (uint256 amount);

    /// @notice Withdraw what remains of a pool once the claim period is over, once (G-17). The
    /// action's operator only.
    /// @param actionId The funded load shed.
    /// @param to The recipient (non-zero).
    /// @return amount Token units withdrawn.
    function withdrawRemainder(uint256 actionId, address to) external returns (uint256 amount);

    /// @notice An action's pool (token zero: not funded).
    /// @param actionId The action.
    function pool(uint256 actionId) external view returns (Pool memory);

    /// @notice What a consumer account was paid for an action (claimedAt 0: not claimed). Claims are
    /// recorded by consumer id; an account that is no consumer reads an empty claim.
    /// @param actionId The action.
    /// @param account The consumer's account.
    function claimed(uint256 actionId, address account) external view returns (Claim memory);

    /// @notice The shed's window in whole meter intervals of its local day (G-17), computed from the
    /// action's window and region; reverts as `fund` does for a window it refuses.
    /// @param actionId An action of BalancingActions (UnknownAction otherwise).
    /// @return day The local day.
    /// @return startInterval The first whole interval in the window (>= 1).
    /// @return endInterval One past the last whole interval in the window.
    function shedWindow(uint256 actionId) external view returns (uint32 day, uint8 startInterval, uint8 endInterval);

    /// @notice What a pool can still pay: deposited − paid − withdrawn.
    /// @param actionId The action.
    function available(uint256 actionId) external view returns (uint256);
}
