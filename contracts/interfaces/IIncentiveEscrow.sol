// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IIncentiveEscrow
/// @notice Per-program escrow of DR budgets in allowlisted ERC-20 tokens: deposits, reservations,
/// payouts (push, with pull fallback) and withdrawals (SPECIFICATION.md §8, rules E-1..E-9).
interface IIncentiveEscrow {
    /// @notice One program's account. Invariant (E-9): paid + reserved + withdrawn + available == deposited.
    struct ProgramAccount {
        address token; // slot 1
        address utility; // slot 2
        uint128 deposited; // slot 3
        uint128 reserved;
        uint128 paid; // slot 4: pushed or credited for pull
        uint128 withdrawn;
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The token is not on the allowlist.
    error TokenNotAllowed(address token);
    /// @notice The program already has an escrow account.
    error ProgramAccountExists(uint256 programId);
    /// @notice The program has no escrow account.
    error UnknownProgramAccount(uint256 programId);
    /// @notice Only the program's utility may do this.
    error NotProgramUtility(uint256 programId, address caller);
    /// @notice The unreserved budget cannot cover the amount.
    error InsufficientBudget(uint256 programId, uint256 needed, uint256 available);
    /// @notice More would be released or paid than is reserved.
    error ExceedsReservation(uint256 programId, uint256 amount, uint256 reserved);
    /// @notice Nothing is owed to the caller in this token.
    error NothingOwed(address account, address token);
    /// @notice Amount must be positive, recipient non-zero.
    error InvalidAmount();
    /// @notice A batch lists a different number of consumers and rewards.
    error PayoutLengthMismatch(uint256 consumers, uint256 rewards);

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A token was added to or removed from the allowlist.
    event TokenAllowed(address indexed token, bool allowed);
    /// @notice A program's escrow account was opened.
    event ProgramAccountOpened(uint256 indexed programId, address indexed token, address indexed utility);
    /// @notice Tokens were deposited into a program's budget (the amount actually received).
    event Deposited(uint256 indexed programId, address indexed from, uint256 amount);
    /// @notice Budget was reserved for an enrollment.
    event Reserved(uint256 indexed programId, uint256 amount, uint256 reserved);
    /// @notice A reservation was released back to the available budget.
    event Released(uint256 indexed programId, uint256 amount, uint256 reserved);
    /// @notice A consumer was paid; `pushed` is false when the transfer failed and the amount was credited.
    event Paid(uint256 indexed programId, address indexed consumer, uint256 amount, bool pushed);
    /// @notice A batch of settlements paid `total` to `consumers` consumers (S-11). Each transfer shows as
    /// the token's own Transfer event and each reward in the ledger's Settled event; only a refused
    /// transfer, credited instead, also emits Paid (pushed = false).
    event BatchPaid(uint256 indexed programId, uint256 consumers, uint256 total);
    /// @notice A consumer withdrew amounts credited after failed pushes.
    event OwedWithdrawn(address indexed account, address indexed token, uint256 amount);
    /// @notice The utility withdrew unreserved budget.
    event Withdrawn(uint256 indexed programId, address indexed to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Allow or disallow a payment token for new programs. Only DEFAULT_ADMIN_ROLE (E-1).
    function setTokenAllowed(address token, bool allowed) external;

    /// @notice Open a program's account and pull its initial budget from the utility. Only PROTOCOL_ROLE (E-2).
    /// @param programId The program.
    /// @param token Payment token (allowlisted).
    /// @param utility The program's utility; must have approved this contract for `budget`.
    /// @param budget Initial deposit (may be 0).
    function openProgram(uint256 programId, address token, address utility, uint256 budget) external;

    /// @notice Add budget to a program. Only the program's utility (E-2).
    function deposit(uint256 programId, uint256 amount) external;

    /// @notice Reserve budget for an enrollment. Only PROTOCOL_ROLE; not while paused (E-3).
    function reserve(uint256 programId, uint256 amount) external;

    /// @notice Release a reservation. Only PROTOCOL_ROLE (E-4).
    function release(uint256 programId, uint256 amount) external;

    /// @notice Release a settled enrollment's reservation and pay its reward (push, else credit).
    /// Only PROTOCOL_ROLE; not while paused (E-4, E-5).
    /// @param reserved The enrollment's reservation (released whole).
    /// @param reward The reward (<= reserved).
    function settle(uint256 programId, address consumer, uint256 reserved, uint256 reward) external;

    /// @notice Settle many enrollments of one program at once (E-4, E-5, S-11): release `reserved`, the sum
    /// of their reservations, and pay each reward (a refused transfer is owed, E-5). Only
    /// PROTOCOL_ROLE. Reverts with ExceedsReservation when `reserved` exceeds the program's
    /// reservations or the rewards add up to more than `reserved`.
    /// @param programId The program.
    /// @param reserved What the settled enrollments had reserved, together.
    /// @param consumers The consumers paid.
    /// @param rewards Their rewards, in the same order.
    function settleBatch(
        uint256 programId,
        uint256 reserved,
        address[] calldata consumers,
        uint256[] calldata rewards
    ) external;

    /// @notice Withdraw what was credited to msg.sender after failed pushes. Not while paused (E-5).
    function withdrawOwed(address token) external;

    /// @notice Withdraw unreserved budget. Only the program's utility; not while paused (E-7).
    function withdrawUnreserved(uint256 programId, uint256 amount, address to) external;

    /// @notice Stop reservations, payouts and withdrawals. Only PAUSER_ROLE (E-8).
    function pause() external;

    /// @notice Resume. Only PAUSER_ROLE (E-8).
    function unpause() external;

    /// @notice Every second the escrow has spent paused since its deployment, the current pause
    /// included (E-8): deadlines that a pause would otherwise run out extend by it (S-1, S-9, O-4).
    function pausedSeconds() external view returns (uint256);

    /// @notice A program's account.
    function programAccount(uint256 programId) external view returns (ProgramAccount memory);

    /// @notice deposited − paid − reserved − withdrawn.
    function available(uint256 programId) external view returns (uint256);

    /// @notice Credited to `account` in `token` after failed pushes, not yet withdrawn.
    function owed(address account, address token) external view returns (uint256);

    /// @notice Sum of `owed` over all accounts in `token`.
    function totalOwed(address token) external view returns (uint256);

    /// @notice Whether a token is allowlisted.
    function isTokenAllowed(address token) external view returns (bool);
}
