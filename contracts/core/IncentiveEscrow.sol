// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IIncentiveEscrow} from "../interfaces/IIncentiveEscrow.sol";

/// @title IncentiveEscrow
/// @notice Holds every program's budget; only the protocol (ReductionRequests) reserves and pays,
/// only the program's utility withdraws unreserved funds (SPECIFICATION.md §8, E-1..E-9).
contract IncentiveEscrow is IIncentiveEscrow, AccessControl, Pausable, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /// @notice The protocol contract that opens accounts, reserves, releases and pays.
    bytes32 public constant PROTOCOL_ROLE = keccak256("PROTOCOL_ROLE");
    /// @notice May pause and unpause.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    mapping(uint256 programId => ProgramAccount) private _accounts;
    mapping(address token => bool) private _allowed;
    mapping(address account => mapping(address token => uint256)) private _owed;
    mapping(address token => uint256) private _totalOwed;
    // E-8 pause clock, one slot: seconds paused in finished pauses, and when the current pause began (0: none)
    uint64 private _pausedTotal;
    uint64 private _pausedSince;

    /// @param admin Receives DEFAULT_ADMIN_ROLE and PAUSER_ROLE.
    constructor(address admin) {
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PAUSER_ROLE, admin);
    }

    /// @inheritdoc IIncentiveEscrow
    function setTokenAllowed(address token, bool allowed) external onlyRole(DEFAULT_ADMIN_ROLE) {
        if (token == address(0)) revert InvalidAmount();
        _allowed[token] = allowed;
        emit TokenAllowed(token, allowed);
    }

    /// @inheritdoc IIncentiveEscrow
    function openProgram(
        uint256 programId,
        address token,
        address utility,
        uint256 budget
    ) external onlyRole(PROTOCOL_ROLE) nonReentrant {
        if (!_allowed[token]) revert TokenNotAllowed(token);
        ProgramAccount storage a = _accounts[programId];
        if (a.token != address(0)) revert ProgramAccountExists(programId);
        a.token = token;
        a.utility = utility;
        emit ProgramAccountOpened(programId, token, utility);
        if (budget != 0) _pull(programId, a, utility, budget);
    }

    /// @inheritdoc IIncentiveEscrow
    function deposit(uint256 programId, uint256 amount) external nonReentrant {
        ProgramAccount storage a = _utilityAccount(programId);
        if (amount == 0) revert InvalidAmount();
        _pull(programId, a, msg.sender, amount);
    }

    /// @inheritdoc IIncentiveEscrow
    function reserve(uint256 programId, uint256 amount) external onlyRole(PROTOCOL_ROLE) whenNotPaused {
        ProgramAccount storage a = _account(programId);
        _requireAvailable(programId, a, amount);
        // amount <= available <= deposited < 2^128
        a.reserved += uint128(amount);
        emit Reserved(programId, amount, a.reserved);
    }

    /// @inheritdoc IIncentiveEscrow
    function release(uint256 programId, uint256 amount) external onlyRole(PROTOCOL_ROLE) {
        ProgramAccount storage a = _account(programId);
        if (amount > a.reserved) revert ExceedsReservation(programId, amount, a.reserved);
        a.reserved -= uint128(amount);
        emit Released(programId, amount, a.reserved);
    }

    /// @inheritdoc IIncentiveEscrow
    function settle(
        uint256 programId,
        address consumer,
        uint256 reserved,
        uint256 reward
    ) external onlyRole(PROTOCOL_ROLE) whenNotPaused nonReentrant {
        ProgramAccount storage a = _account(programId);
        if (reserved > a.reserved || reward > reserved) revert ExceedsReservation(programId, reward, a.reserved);
        a.reserved -= uint128(reserved);
        emit Released(programId, reserved, a.reserved);
        if (reward != 0) _pay(programId, a, consumer, reward);
    }

    /// @inheritdoc IIncentiveEscrow
    // slither: at most MAX_SETTLE_BATCH transfers of the program's allowlisted token; a refused one is
    // owed (E-5), so one consumer cannot stop the batch
    // slither-disable-next-line calls-loop
    function settleBatch(
        uint256 programId,
        uint256 reserved,
        address[] calldata consumers,
        uint256[] calldata rewards
    ) external onlyRole(PROTOCOL_ROLE) whenNotPaused nonReentrant {
        uint256 n = consumers.length;
        if (n != rewards.length) revert PayoutLengthMismatch(n, rewards.length);
        ProgramAccount storage a = _account(programId);
        uint256 total = 0;
        for (uint256 i = 0; i < n; ++i) total += rewards[i];
        if (reserved > a.reserved || total > reserved) revert ExceedsReservation(programId, total, a.reserved);
        // total <= reserved <= a.reserved < 2^128
        a.reserved -= uint128(reserved);
        a.paid += uint128(total);
        emit Released(programId, reserved, a.reserved);
        emit BatchPaid(programId, n, total);
        address token = a.token;
        for (uint256 i = 0; i < n; ++i) {
            address consumer = consumers[i];
            uint256 amount = rewards[i];
            // E-5: a refused transfer is owed; a pushed one shows as the token's Transfer event
            if (!IERC20(token).trySafeTransfer(consumer, amount)) _owe(programId, token, consumer, amount);
        }
    }

    /// @inheritdoc IIncentiveEscrow
    function withdrawOwed(address token) external whenNotPaused nonReentrant {
        uint256 amount = _owed[msg.sender][token];
        if (amount == 0) revert NothingOwed(msg.sender, token);
        _owed[msg.sender][token] = 0;
        _totalOwed[token] -= amount;
        IERC20(token).safeTransfer(msg.sender, amount);
        emit OwedWithdrawn(msg.sender, token, amount);
    }

    /// @inheritdoc IIncentiveEscrow
    function withdrawUnreserved(uint256 programId, uint256 amount, address to) external whenNotPaused nonReentrant {
        ProgramAccount storage a = _utilityAccount(programId);
        if (amount == 0 || to == address(0)) revert InvalidAmount();
        _requireAvailable(programId, a, amount);
        a.withdrawn += uint128(amount);
        IERC20(a.token).safeTransfer(to, amount);
        emit Withdrawn(programId, to, amount);
    }

    /// @inheritdoc IIncentiveEscrow
    function pause() external onlyRole(PAUSER_ROLE) {
        _pausedSince = uint64(block.timestamp);
        _pause(); // reverts EnforcedPause when already paused, undoing the line above
    }

    /// @inheritdoc IIncentiveEscrow
    function unpause() external onlyRole(PAUSER_ROLE) {
        _pausedTotal += uint64(block.timestamp) - _pausedSince;
        _pausedSince = 0;
        _unpause(); // reverts ExpectedPause when not paused, undoing the lines above
    }

    /// @inheritdoc IIncentiveEscrow
    function pausedSeconds() external view returns (uint256) {
        uint256 since = _pausedSince; // in the slot of _pausedTotal: one read for both
        return since > 0 ? _pausedTotal + (block.timestamp - since) : _pausedTotal;
    }

    /// @inheritdoc IIncentiveEscrow
    function programAccount(uint256 programId) external view returns (ProgramAccount memory) {
        return _accounts[programId];
    }

    /// @inheritdoc IIncentiveEscrow
    function available(uint256 programId) external view returns (uint256) {
        return _available(_accounts[programId]);
    }

    /// @inheritdoc IIncentiveEscrow
    function owed(address account, address token) external view returns (uint256) {
        return _owed[account][token];
    }

    /// @inheritdoc IIncentiveEscrow
    function totalOwed(address token) external view returns (uint256) {
        return _totalOwed[token];
    }

    /// @inheritdoc IIncentiveEscrow
    function isTokenAllowed(address token) external view returns (bool) {
        return _allowed[token];
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    function _account(uint256 programId) private view returns (ProgramAccount storage a) {
        a = _accounts[programId];
        if (a.token == address(0)) revert UnknownProgramAccount(programId);
    }

    function _utilityAccount(uint256 programId) private view returns (ProgramAccount storage a) {
        a = _account(programId);
        if (a.utility != msg.sender) revert NotProgramUtility(programId, msg.sender);
    }

    function _available(ProgramAccount storage a) private view returns (uint256) {
        return a.deposited - a.paid - a.reserved - a.withdrawn;
    }

    /// @dev E-3, E-7: `amount` must fit the unreserved budget.
    function _requireAvailable(uint256 programId, ProgramAccount storage a, uint256 amount) private view {
        uint256 free = _available(a);
        if (amount > free) revert InsufficientBudget(programId, amount, free);
    }

    /// @dev Credit what actually arrived (fee-on-transfer tokens deliver less than `amount`).
    function _pull(uint256 programId, ProgramAccount storage a, address from, uint256 amount) private {
        IERC20 token = IERC20(a.token);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(from, address(this), amount);
        uint256 received = token.balanceOf(address(this)) - before;
        a.deposited += SafeCast.toUint128(received);
        emit Deposited(programId, from, received);
    }

    /// @dev Push; if the token refuses (blocklist, reverting hook), credit for pull (E-5).
    function _pay(uint256 programId, ProgramAccount storage a, address consumer, uint256 amount) private {
        a.paid += uint128(amount);
        _push(programId, a.token, consumer, amount);
    }

    /// @dev E-5: transfer, or owe what the token refuses to transfer (the amount is already counted as paid).
    function _push(uint256 programId, address token, address consumer, uint256 amount) private {
        if (IERC20(token).trySafeTransfer(consumer, amount)) emit Paid(programId, consumer, amount, true);
        else _owe(programId, token, consumer, amount);
    }

    /// @dev E-5: credit a refused transfer for withdrawal.
    function _owe(uint256 programId, address token, address consumer, uint256 amount) private {
        _owed[consumer][token] += amount;
        _totalOwed[token] += amount;
        emit Paid(programId, consumer, amount, false);
    }
}
