// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IProofSettlement} from "./IProofSettlement.sol";

/// @title IOptimisticSettlement
/// @notice Optimistic settlement of a whole event by one Merkle root, judged by the proof-carrying
/// path of ReductionRequests (SPECIFICATION.md §11, O-1..O-13).
interface IOptimisticSettlement {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    enum RootStatus {
        None,
        Pending, // every entry posted, in its challenge window
        Voided, // proven wrong; the event went back to proof-carrying settlement
        Finalized, // paid into this contract; entries are claimable
        Expired, // never finalized (or never completed); the event went back to proof-carrying settlement (O-12)
        Posting // proposed, its entries not all posted yet: no root exists yet (O-3)
    }

    /// @notice One enrolled consumer's result in a root (O-2). Its position in the tree is `index`.
    struct Entry {
        uint32 index; // position in the tree, 0 .. count-1; the claim bit
        address account; // the enrolled consumer
        bool sufficient; // false: insufficient data (S-6), then verifiedWh and reward are 0
        uint64 verifiedWh; // the verified reduction (S-5)
        uint96 reward; // the reward `settle` would pay (B-7)
        uint128 rewardBefore; // sum of the rewards of entries 0 .. index-1 (binds the total)
        uint48 committedWh; // the enrollment's commitment, for the track record (C-10)
    }

    /// @notice A root and its state, in five slots. A claim reads slots 0 and 1 only: `token` is set on
    /// finalization, so a non-zero token means Finalized, and `remaining` caps the payments (O-7).
    struct RootRecord {
        bytes32 root; // slot 0: computed by the contract from the posted entries (O-2)
        address token; // slot 1: the event's payment token, set on finalization
        uint88 remaining; // total not yet paid out, set on finalization
        uint8 depth; // proof length: ceil(log2(count))
        uint88 total; // slot 2: sum of all rewards, <= the event's reservations
        uint40 challengeEnds; // Posting: last second to post entries; Pending: last second of a challenge
        uint32 count; // entries: the event's enrollments
        RootStatus status;
        uint40 deadlineAtPost; // the event's settlement deadline when the window began (E-8, O-4)
        address proposer; // slot 3
        uint96 bond; // native currency, returned on finalization, the challenger's on voiding
        uint96 tokenBond; // slot 4: in the event's token, ceil(total * bondBps / 10,000) (O-3)
        uint88 postedTotal; // sum of the rewards posted so far (the next entry's rewardBefore)
        uint32 posted; // entries posted so far (the next entry's index)
        uint16 minDeliveryBps; // the program's, set on finalization, for the track records (C-10)
    }

    /// @notice Why a root was voided.
    enum Fault {
        NotEnrolled, // an entry for an account that is not enrolled
        WrongResult, // the recomputed result, or the commitment, differs from the entry
        DuplicateAccount // two indices for one account
    }

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The challenge window is 0 or above MAX_CHALLENGE_WINDOW.
    error InvalidChallengeWindow(uint256 challengeWindow);
    /// @notice The token part of the bond is above 100 % of the root's total.
    error InvalidBondBps(uint256 bondBps);
    /// @notice The bond must be exactly `required`.
    error WrongBond(uint256 sent, uint256 required);
    /// @notice The event already has a pending or finalized root.
    error RootExists(uint256 eventId, RootStatus status);
    /// @notice A root must have one entry per enrollment (O-2).
    error WrongCount(uint256 eventId, uint32 count, uint32 enrolled);
    /// @notice A root's total may not exceed the event's reservations (O-2).
    error TotalExceedsReservations(uint256 eventId, uint256 total, uint256 reserved);
    /// @notice Too close to the settlement deadline to leave time for a fallback (O-3).
    error TooLateForRoot(uint256 eventId, uint256 latest);
    /// @notice Only the root's proposer posts its entries (O-3).
    error NotProposer(uint256 eventId, address caller);
    /// @notice The entries were not all posted by `postBy`; the proposal can only expire (O-3, O-12).
    error PostingClosed(uint256 eventId, uint256 postBy);
    /// @notice Packed entries must be a non-zero multiple of ENTRY_BYTES long (O-2).
    error InvalidEntriesLength(uint256 length);
    /// @notice A packed entry's `sufficient` byte is neither 0 nor 1 (O-2).
    error InvalidEntryFlag(uint256 eventId, uint256 index);
    /// @notice More entries than the proposal's `count` (O-2).
    error TooManyEntries(uint256 eventId, uint256 count, uint256 posted);
    /// @notice The rewards posted exceed the proposal's total (O-2).
    error EntriesExceedTotal(uint256 eventId, uint256 total, uint256 posted);
    /// @notice The last entry is posted and the rewards do not sum to the proposal's total (O-2).
    error WrongTotal(uint256 eventId, uint256 total, uint256 posted);
    /// @notice The root is not in the status the call needs.
    error RootNotInStatus(uint256 eventId, RootStatus status);
    /// @notice The challenge window has closed.
    error ChallengeWindowClosed(uint256 eventId, uint256 challengeEnds);
    /// @notice The challenge window is still open.
    error ChallengeWindowOpen(uint256 eventId, uint256 challengeEnds);
    /// @notice The entry is not at its index under the root.
    error InvalidEntryProof(uint256 eventId, uint32 index);
    /// @notice The challenged entry (or pair) is correct; nothing changed.
    error EntryCorrect(uint256 eventId, uint32 index);
    /// @notice The entry was already paid.
    error AlreadyClaimed(uint256 eventId, uint32 index);
    /// @notice Paying this entry would exceed what is left of the root's total (O-7).
    error TotalExceeded(uint256 eventId, uint256 reward, uint256 remaining);
    /// @notice A batch's entries are empty, not a multiple of BATCH_ENTRY_BYTES, not at strictly
    /// increasing indices, or not proved by its multiproof under the event's root.
    error InvalidBatchProof(uint256 eventId);
    /// @notice The escrow did not deliver the root's total.
    error FundsNotReceived(uint256 eventId, uint256 expected, uint256 received);
    /// @notice A pending root can be expired only after `expiresAt` (O-12).
    error TooEarlyToExpire(uint256 eventId, uint256 expiresAt);
    /// @notice No bond credit to withdraw.
    error NoBondCredit(address account);
    /// @notice No token bond credit in `token` to withdraw.
    error NoTokenBondCredit(address account, address token);
    /// @notice A bond cannot be sent to the zero address.
    error InvalidBondRecipient();

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice A root was proposed with its bond; its entries follow by `postBy` (O-3).
    event RootProposed(
        uint256 indexed eventId,
        uint32 count,
        uint88 total,
        address indexed proposer,
        uint96 bond,
        uint96 tokenBond,
        uint40 postBy
    );
    /// @notice Entries `firstIndex .. firstIndex + entries - 1` were posted in this transaction's
    /// calldata (O-2): anyone reads them there to claim or to challenge.
    event EntriesPosted(uint256 indexed eventId, uint32 firstIndex, uint32 entries);
    /// @notice The last entry was posted: the contract computed `root` and the challenge window runs
    /// until `challengeEnds` (O-3, O-4).
    event RootPosted(uint256 indexed eventId, bytes32 root, uint40 challengeEnds);
    /// @notice A root was proven wrong; the bond is credited to the challenger (O-5).
    event RootVoided(uint256 indexed eventId, address indexed challenger, Fault fault, uint32 index);
    /// @notice A root was finalized and its total paid into this contract (O-6).
    event RootFinalized(uint256 indexed eventId, uint88 total);
    /// @notice A root that was never finalized was expired; its bond is credited back to `proposer`.
    event RootExpired(uint256 indexed eventId, address indexed proposer);
    /// @notice An entry was paid (O-7).
    event Claimed(uint256 indexed eventId, uint32 index, address indexed account, uint96 reward);
    /// @notice A batch paid `entries` entries, `total` together (O-8). Each transfer shows as the token's
    /// Transfer event and each paid entry in isClaimed; a refused one emits PaymentDeferred instead.
    event BatchClaimed(uint256 indexed eventId, uint256 entries, uint256 total);
    /// @notice A batch payment's transfer was refused; the entry stays claimable (O-8).
    event PaymentDeferred(uint256 indexed eventId, uint32 index, address indexed account);
    /// @notice A bond credit was withdrawn and sent to `to`.
    event BondWithdrawn(address indexed account, address indexed to, uint256 amount);
    /// @notice A token bond credit was withdrawn and sent to `to` (O-9).
    event TokenBondWithdrawn(address indexed account, address indexed token, address to, uint256 amount);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Open a proposal for an event's results with the bond: exactly `bond()` in native
    /// currency, and `tokenBondFor(total)` of the event's token pulled from the caller (it must have
    /// approved this contract). The entries follow with postEntries. Only PROPOSER_ROLE (O-3).
    /// @param count The number of entries: the event's enrollments.
    /// @param total The sum of all rewards.
    function propose(uint256 eventId, uint32 count, uint88 total) external payable;

    /// @notice Post the next entries of a proposal, in order; the last one completes it: the
    /// contract computes the root from every entry posted and the challenge window starts. Each
    /// entry is ENTRY_BYTES packed bytes `account (20) ‖ sufficient (1) ‖ verifiedWh (8) ‖ reward (12)
    /// ‖ committedWh (6)`, big-endian; its index and rewardBefore are the running position and sum.
    /// Only the proposal's proposer, until its `postBy` (O-2, O-3).
    function postEntries(uint256 eventId, bytes calldata entries) external;

    /// @notice Challenge one entry: its index, its prefix at either end, its enrollment, or its result,
    /// which is recomputed by settling the consumer through the proof-carrying path. Anyone (O-4, O-5).
    /// @param leaves The meter records and proofs, as for ReductionRequests.settle.
    function challengeEntry(
        uint256 eventId,
        Entry calldata entry,
        bytes32[] calldata proof,
        IProofSettlement.LeafProof[] calldata leaves
    ) external;

    /// @notice Challenge two entries: one account at two indices, or adjacent entries whose prefix sums
    /// disagree. Anyone (O-4, O-5).
    function challengePair(
        uint256 eventId,
        Entry calldata a,
        bytes32[] calldata proofA,
        Entry calldata b,
        bytes32[] calldata proofB
    ) external;

    /// @notice After the challenge window, take the root's total from the escrow and release the rest of
    /// the event's reservations. Anyone (O-6).
    function finalize(uint256 eventId) external;

    /// @notice Expire a root still pending half a challenge window after its window closed (it could
    /// not be finalized, e.g. a token charging a transfer fee makes `finalize` revert `FundsNotReceived`),
    /// or a proposal whose entries were not all posted by its `postBy`. The bonds are credited back to
    /// the proposer and the event returns to proof-carrying settlement. Anyone (O-12).
    function expire(uint256 eventId) external;

    /// @notice Pay one entry of a finalized root to its account. Anyone (O-7).
    function claim(uint256 eventId, Entry calldata entry, bytes32[] calldata proof) external;

    /// @notice Pay many entries, at strictly increasing indices, proved together by one positional
    /// multiproof, and write their track records (one `recordSettlements` call); an entry already
    /// recorded is skipped, one already claimed is recorded but not paid again, and one whose
    /// transfer is refused stays claimable. Anyone (O-8, O-10).
    /// @param entries BATCH_ENTRY_BYTES packed bytes per entry: `index (4) ‖ account (20) ‖ sufficient (1)
    /// ‖ verifiedWh (8) ‖ reward (12) ‖ rewardBefore (11) ‖ committedWh (6)`, big-endian (the Entry).
    /// @param proof The sibling hashes the entries need, level by level from the leaves, in index order.
    function payBatch(uint256 eventId, bytes calldata entries, bytes32[] calldata proof) external;

    /// @notice Send the caller's whole bond credit (bonds returned or won) to `to` (O-9). A caller
    /// that cannot receive ether names another address, so no credit is ever stuck.
    /// @param to Receives the ether; not the zero address.
    function withdrawBond(address payable to) external;

    /// @notice Send the caller's whole token bond credit in `token` (bonds returned or won) to `to`
    /// (O-9). Not the zero address.
    function withdrawTokenBond(address token, address to) external;

    /// @notice The root of an event.
    function rootRecord(uint256 eventId) external view returns (RootRecord memory);

    /// @notice Whether an entry was paid.
    function isClaimed(uint256 eventId, uint32 index) external view returns (bool);

    /// @notice Whether an entry's track record was written (O-10).
    function isRecorded(uint256 eventId, uint32 index) external view returns (bool);

    /// @notice Bond credit waiting for `account`.
    function bondCredit(address account) external view returns (uint256);

    /// @notice Token bond credit in `token` waiting for `account`.
    function tokenBondCredit(address account, address token) external view returns (uint256);

    /// @notice The token part of a proposal's bond: ceil(total * bondBps / 10,000) (O-3).
    function tokenBondFor(uint256 total) external view returns (uint256);

    /// @notice The token part of the bond, in basis points of a root's total.
    function bondBps() external view returns (uint256);

    /// @notice The leaf of an entry: keccak256(keccak256(abi.encode(eventId, entry))) (O-2).
    function leafHash(uint256 eventId, Entry calldata entry) external pure returns (bytes32);

    /// @notice The fixed part of a proposal's bond, in native currency (a challenger's gas).
    function bond() external view returns (uint256);

    /// @notice How long a root can be challenged, in seconds.
    function challengeWindow() external view returns (uint256);
}
