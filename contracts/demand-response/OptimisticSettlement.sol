// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
import {BitMaps} from "@openzeppelin/contracts/utils/structs/BitMaps.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {IOptimisticSettlement} from "../interfaces/IOptimisticSettlement.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IProofSettlement} from "../interfaces/IProofSettlement.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";
import {PositionalMerkle} from "../libraries/PositionalMerkle.sol";

/// @title OptimisticSettlement
/// @notice Settles a whole event with one Merkle root of every enrollment's result (SPECIFICATION.md
/// §11). A bonded proposer posts the root; during the challenge window anyone can prove one entry
/// wrong, and the judge is the proof-carrying path itself: the challenged consumer is settled by
/// ReductionRequests.settle and the outcome compared with the entry. A wrong root is voided, its bond
/// goes to the challenger, and the event returns to proof-carrying settlement. After the window the
/// root's total moves from the escrow into this contract and each entry is claimable once.
contract OptimisticSettlement is IOptimisticSettlement, AccessControl, ReentrancyGuard {
    using BitMaps for BitMaps.BitMap;
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Keepers propose roots.
    bytes32 public constant PROPOSER_ROLE = keccak256("PROPOSER_ROLE");
    /// @notice The longest challenge window: a root leaves twice its window before the settlement
    /// deadline (O-3), and that deadline is 14 days after the event day.
    uint256 public constant MAX_CHALLENGE_WINDOW = 3 days;

    // where `remaining` and `depth` sit in slot 1 of a RootRecord (after the 160-bit token)
    uint256 private constant _REMAINING_SHIFT = 160;
    uint256 private constant _DEPTH_SHIFT = 248;

    /*//////////////////////////////////////////////////////////////
                                 STORAGE
    //////////////////////////////////////////////////////////////*/

    IReductionRequests private immutable _requests;
    IConsumerRegistry private immutable _consumers;
    IMeterData private immutable _meterData;
    IProofSettlement private immutable _proofs;
    IProgramRegistry private immutable _programs;
    uint256 private immutable _bond;
    uint256 private immutable _challengeWindow;

    // internal, not private: contracts/test/OptimisticSettlementHarness.sol seeds roots for the claim
    // benchmark at up to 2^20 entries
    mapping(uint256 eventId => RootRecord) internal _roots;
    mapping(uint256 eventId => BitMaps.BitMap) internal _claimed;
    mapping(address account => uint256) private _bondCredit;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param requests ReductionRequests, which must grant this contract OPTIMISTIC_ROLE.
    /// @param consumers The consumer registry (a challenge reads the verified Wh it records).
    /// @param meterData Meter data (a root needs the event day committed).
    /// @param proofs Proof-carrying settlement, the judge of a challenged entry (O-4).
    /// @param programs The program registry (the payment token of a finalized root).
    /// @param bond_ The bond of a proposal, in native currency.
    /// @param challengeWindow_ Seconds during which a root can be challenged.
    constructor(
        address admin,
        IReductionRequests requests,
        IConsumerRegistry consumers,
        IMeterData meterData,
        IProofSettlement proofs,
        IProgramRegistry programs,
        uint256 bond_,
        uint256 challengeWindow_
    ) {
        if (challengeWindow_ == 0 || challengeWindow_ > MAX_CHALLENGE_WINDOW) {
            revert InvalidChallengeWindow(challengeWindow_);
        }
        _requests = requests;
        _consumers = consumers;
        _proofs = proofs;
        _programs = programs;
        _meterData = meterData;
        _bond = bond_;
        _challengeWindow = challengeWindow_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
    }

    /*//////////////////////////////////////////////////////////////
                                 PROPOSAL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOptimisticSettlement
    function propose(
        uint256 eventId,
        bytes32 root,
        uint32 count,
        uint88 total
    ) external payable onlyRole(PROPOSER_ROLE) nonReentrant {
        if (msg.value != _bond) revert WrongBond(msg.value, _bond);
        RootRecord storage r = _roots[eventId];
        if (r.status == RootStatus.Pending || r.status == RootStatus.Finalized) revert RootExists(eventId, r.status);
        IReductionRequests.DrEvent memory e = _requests.drEvent(eventId);
        // O-2: one entry per enrollment, paying no more than the event reserves
        if (count == 0 || count != e.enrolled) revert WrongCount(eventId, count, e.enrolled);
        if (total > e.reservedOutstanding) revert TotalExceedsReservations(eventId, total, e.reservedOutstanding);
        if (!_meterData.hasData(e.regionId, e.day)) revert IReductionRequests.EventDataNotCommitted(eventId, e.day);
        // O-3: a voided root must leave a whole window for proof-carrying settlement
        uint256 latest = _requests.settlementDeadline(eventId) - 2 * _challengeWindow;
        if (block.timestamp > latest) revert TooLateForRoot(eventId, latest);

        uint40 ends = SafeCast.toUint40(block.timestamp + _challengeWindow);
        r.root = root;
        r.total = total;
        r.challengeEnds = ends;
        r.count = count;
        r.depth = PositionalMerkle.depthFor(count);
        r.status = RootStatus.Pending;
        r.proposer = msg.sender;
        r.bond = SafeCast.toUint96(msg.value);
        emit RootProposed(eventId, root, count, total, msg.sender, ends);
        // reverts unless the event is Scheduled with nothing settled (O-3)
        _requests.lockForRoot(eventId);
    }

    /*//////////////////////////////////////////////////////////////
                                CHALLENGES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOptimisticSettlement
    function challengeEntry(
        uint256 eventId,
        Entry calldata entry,
        bytes32[] calldata proof,
        IProofSettlement.LeafProof[] calldata leaves
    ) external nonReentrant {
        RootRecord storage r = _challengeable(eventId);
        _requireEntry(eventId, r, entry, proof);
        uint256 last = uint256(r.count) - 1;
        Fault fault;
        if (entry.index > last) fault = Fault.IndexOutOfRange;
        else if (entry.index == 0 && entry.rewardBefore != 0) fault = Fault.FirstPrefix;
        else if (entry.index == last && uint256(entry.rewardBefore) + entry.reward != r.total) fault = Fault.LastPrefix;
        else if (_requests.enrollment(eventId, entry.account).status != IReductionRequests.EnrollmentStatus.Enrolled) {
            fault = Fault.NotEnrolled;
        } else {
            // O-4: recompute by settling the consumer through the proof-carrying path
            _requests.unlockRoot(eventId);
            if (_matchesSettlement(eventId, entry, leaves)) revert EntryCorrect(eventId, entry.index);
            _void(eventId, r, Fault.WrongResult, entry.index, false);
            return;
        }
        _void(eventId, r, fault, entry.index, true);
    }

    /// @inheritdoc IOptimisticSettlement
    function challengePair(
        uint256 eventId,
        Entry calldata a,
        bytes32[] calldata proofA,
        Entry calldata b,
        bytes32[] calldata proofB
    ) external nonReentrant {
        RootRecord storage r = _challengeable(eventId);
        _requireEntry(eventId, r, a, proofA);
        _requireEntry(eventId, r, b, proofB);
        if (a.index != b.index && a.account == b.account) {
            _void(eventId, r, Fault.DuplicateAccount, b.index, true);
        } else if (uint256(b.index) == uint256(a.index) + 1 && b.rewardBefore != uint256(a.rewardBefore) + a.reward) {
            _void(eventId, r, Fault.BrokenPrefix, b.index, true);
        } else {
            revert EntryCorrect(eventId, b.index);
        }
    }

    /*//////////////////////////////////////////////////////////////
                              FINALIZATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOptimisticSettlement
    // slither: the balance difference is the guard: a transfer out during the call lowers it and reverts finalize
    // slither-disable-next-line reentrancy-balance
    function finalize(uint256 eventId) external nonReentrant {
        RootRecord storage r = _roots[eventId];
        if (r.status != RootStatus.Pending) revert RootNotInStatus(eventId, r.status);
        if (block.timestamp <= r.challengeEnds) revert ChallengeWindowOpen(eventId, r.challengeEnds);
        r.status = RootStatus.Finalized;
        uint88 total = r.total;
        address token_ = _programs.program(_requests.drEvent(eventId).programId).token;
        r.token = token_;
        r.remaining = total;
        _bondCredit[r.proposer] += r.bond;
        emit RootFinalized(eventId, total);
        IERC20 token = IERC20(token_);
        uint256 before = token.balanceOf(address(this));
        // O-6: the escrow pays `total` here and releases the rest of the event's reservations
        _requests.payRoot(eventId, total);
        uint256 received = token.balanceOf(address(this)) - before;
        if (received != total) revert FundsNotReceived(eventId, total, received);
    }

    /// @inheritdoc IOptimisticSettlement
    function expire(uint256 eventId) external nonReentrant {
        RootRecord storage r = _roots[eventId];
        if (r.status != RootStatus.Pending) revert RootNotInStatus(eventId, r.status);
        // O-3 leaves a whole window between challengeEnds and the settlement deadline: half of it for
        // finalizing, at least half for proof-carrying settlement after an expiry
        uint256 expiresAt = uint256(r.challengeEnds) + _challengeWindow / 2;
        if (block.timestamp <= expiresAt) revert TooEarlyToExpire(eventId, expiresAt);
        r.status = RootStatus.Expired;
        address proposer = r.proposer;
        _bondCredit[proposer] += r.bond;
        emit RootExpired(eventId, proposer);
        _requests.unlockRoot(eventId);
    }

    /// @inheritdoc IOptimisticSettlement
    /// @dev The hot path of the protocol, so it reads the root's two slots once each and writes the
    /// claim word and `remaining` once each. No reentrancy lock: both writes happen before the one
    /// external call, so a reentrant call sees this entry paid (checks-effects-interactions), and the
    /// lock would cost a cold slot on every claim.
    function claim(uint256 eventId, Entry calldata entry, bytes32[] calldata proof) external {
        uint256 reward = entry.reward;
        RootRecord storage r = _roots[eventId];
        uint256 head = _head(r);
        address token = address(uint160(head));
        if (token == address(0)) revert RootNotInStatus(eventId, r.status); // set on finalization only
        if (!_testAndSet(_claimed[eventId], entry.index)) revert AlreadyClaimed(eventId, entry.index);
        if (
            proof.length != head >> _DEPTH_SHIFT ||
            !PositionalMerkle.verifyCalldata(proof, r.root, entry.index, _leaf(eventId, entry))
        ) {
            revert InvalidEntryProof(eventId, entry.index);
        }
        uint256 remaining = uint88(head >> _REMAINING_SHIFT);
        if (reward > remaining) revert TotalExceeded(eventId, reward, remaining);
        _setHead(r, head - (reward << _REMAINING_SHIFT)); // remaining -= reward, nothing else changes
        emit Claimed(eventId, entry.index, entry.account, uint96(reward));
        if (reward != 0) IERC20(token).safeTransfer(entry.account, reward);
    }

    /// @inheritdoc IOptimisticSettlement
    function payBatch(uint256 eventId, Entry[] calldata entries, bytes32[] calldata proof) external nonReentrant {
        RootRecord storage r = _finalized(eventId);
        _requireEntries(eventId, r, entries, proof);
        IERC20 token = IERC20(r.token);
        BitMaps.BitMap storage claimed = _claimed[eventId];
        uint256 paid = 0;
        uint256 total = 0;
        for (uint256 i; i < entries.length; ++i) {
            Entry calldata entry = entries[i];
            if (claimed.get(entry.index)) continue;
            _markPaid(eventId, r, entry);
            if (entry.reward == 0 || token.trySafeTransfer(entry.account, entry.reward)) {
                ++paid;
                total += entry.reward;
            } else {
                // O-8: a refused push leaves the entry claimable; nothing is lost
                claimed.unset(entry.index);
                r.remaining += uint88(entry.reward); // subtracted just above, so it fits
                emit PaymentDeferred(eventId, entry.index, entry.account);
            }
        }
        emit BatchClaimed(eventId, paid, total);
    }

    /// @inheritdoc IOptimisticSettlement
    function withdrawBond(address payable to) external nonReentrant {
        if (to == address(0)) revert InvalidBondRecipient();
        uint256 amount = _bondCredit[msg.sender];
        if (amount == 0) revert NoBondCredit(msg.sender);
        _bondCredit[msg.sender] = 0;
        emit BondWithdrawn(msg.sender, to, amount);
        Address.sendValue(to, amount);
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc IOptimisticSettlement
    function rootRecord(uint256 eventId) external view returns (RootRecord memory) {
        return _roots[eventId];
    }

    /// @inheritdoc IOptimisticSettlement
    function isClaimed(uint256 eventId, uint32 index) external view returns (bool) {
        return _claimed[eventId].get(index);
    }

    /// @inheritdoc IOptimisticSettlement
    function bondCredit(address account) external view returns (uint256) {
        return _bondCredit[account];
    }

    /// @inheritdoc IOptimisticSettlement
    function leafHash(uint256 eventId, Entry calldata entry) external pure returns (bytes32) {
        return _leaf(eventId, entry);
    }

    /// @inheritdoc IOptimisticSettlement
    function bond() external view returns (uint256) {
        return _bond;
    }

    /// @inheritdoc IOptimisticSettlement
    function challengeWindow() external view returns (uint256) {
        return _challengeWindow;
    }

    /*//////////////////////////////////////////////////////////////
                                 INTERNAL
    //////////////////////////////////////////////////////////////*/

    /// @dev O-4: settle the consumer for real and compare status, reward and the verified Wh the
    /// consumer registry recorded with the entry.
    function _matchesSettlement(
        uint256 eventId,
        Entry calldata entry,
        IProofSettlement.LeafProof[] calldata leaves
    ) private returns (bool) {
        uint256 before = _consumers.trackRecord(entry.account).verifiedWh;
        _proofs.settle(eventId, entry.account, leaves);
        IReductionRequests.Enrollment memory en = _requests.enrollment(eventId, entry.account);
        uint256 verified = _consumers.trackRecord(entry.account).verifiedWh - before;
        bool sufficient = en.status == IReductionRequests.EnrollmentStatus.Settled;
        return sufficient == entry.sufficient && en.paid == entry.reward && verified == entry.verifiedWh;
    }

    /// @dev O-5: void the root, credit the bond to the challenger and, unless the challenge already
    /// did, hand the event back to proof-carrying settlement.
    function _void(uint256 eventId, RootRecord storage r, Fault fault, uint32 index, bool unlock) private {
        r.status = RootStatus.Voided;
        _bondCredit[msg.sender] += r.bond;
        emit RootVoided(eventId, msg.sender, fault, index);
        if (unlock) _requests.unlockRoot(eventId);
    }

    /// @dev O-7: set the claim bit and take the reward from what is left of the root's total.
    function _markPaid(uint256 eventId, RootRecord storage r, Entry calldata entry) private {
        _claimed[eventId].set(entry.index);
        uint256 remaining = r.remaining;
        if (entry.reward > remaining) revert TotalExceeded(eventId, entry.reward, remaining);
        r.remaining = uint88(remaining - entry.reward); // below `remaining`, a uint88
    }

    /// @dev Slot 1 of a RootRecord, whole: token (bits 0-159), remaining (160-247), depth (248-255).
    function _head(RootRecord storage r) private view returns (uint256 head) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            head := sload(add(r.slot, 1))
        }
    }

    function _setHead(RootRecord storage r, uint256 head) private {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            sstore(add(r.slot, 1), head)
        }
    }

    /// @dev Set the claim bit of `index`, reading and writing its word once; false if it was set.
    function _testAndSet(BitMaps.BitMap storage claimed, uint256 index) private returns (bool) {
        mapping(uint256 => uint256) storage words = claimed._data;
        uint256 word = words[index >> 8];
        uint256 mask = 1 << (index & 0xff);
        if (word & mask != 0) return false;
        words[index >> 8] = word | mask;
        return true;
    }

    function _requireEntry(
        uint256 eventId,
        RootRecord storage r,
        Entry calldata entry,
        bytes32[] calldata proof
    ) private view {
        if (
            proof.length != r.depth ||
            !PositionalMerkle.verifyCalldata(proof, r.root, entry.index, _leaf(eventId, entry))
        ) {
            revert InvalidEntryProof(eventId, entry.index);
        }
    }

    /// @dev O-8: every entry of a batch under the root, by one multiproof (strictly increasing indices).
    function _requireEntries(
        uint256 eventId,
        RootRecord storage r,
        Entry[] calldata entries,
        bytes32[] calldata proof
    ) private view {
        uint256 n = entries.length;
        uint256[] memory positions = new uint256[](n);
        bytes32[] memory leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            positions[i] = entries[i].index;
            leaves[i] = _leaf(eventId, entries[i]);
        }
        if (!PositionalMerkle.verifyMulti(proof, r.root, r.depth, positions, leaves)) {
            revert InvalidBatchProof(eventId);
        }
    }

    function _challengeable(uint256 eventId) private view returns (RootRecord storage r) {
        r = _roots[eventId];
        if (r.status != RootStatus.Pending) revert RootNotInStatus(eventId, r.status);
        if (block.timestamp > r.challengeEnds) revert ChallengeWindowClosed(eventId, r.challengeEnds);
    }

    function _finalized(uint256 eventId) private view returns (RootRecord storage r) {
        r = _roots[eventId];
        if (r.status != RootStatus.Finalized) revert RootNotInStatus(eventId, r.status);
    }

    /// @dev O-2: keccak256(keccak256(abi.encode(eventId, entry))); double hashing keeps a leaf from
    /// ever equalling an inner node. Entry is a static struct, so its ABI encoding is its six calldata
    /// words, copied as they are: a dirty word hashes to a leaf no honest tree holds.
    function _leaf(uint256 eventId, Entry calldata entry) private pure returns (bytes32 leaf) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, eventId)
            calldatacopy(add(m, 0x20), entry, 0xc0)
            mstore(0x00, keccak256(m, 0xe0))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
