// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ReentrancyGuard} from "@openzeppelin/contracts/utils/ReentrancyGuard.sol";
import {Address} from "@openzeppelin/contracts/utils/Address.sol";
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
/// §11). A bonded proposer sends every entry in calldata and the contract computes the root itself
/// (O-2), so no paid entry can be hidden; during the challenge window anyone can prove one entry
/// wrong, and the judge is the proof-carrying path itself: the challenged consumer is settled by
/// ReductionRequests.settle and the outcome compared with the entry. A wrong root is voided, its bonds
/// go to the challenger, and the event returns to proof-carrying settlement. After the window the
/// root's total moves from the escrow into this contract, each entry is payable once, and batch
/// payments write the consumers' track records (O-10).
contract OptimisticSettlement is IOptimisticSettlement, AccessControl, ReentrancyGuard {
    using SafeERC20 for IERC20;

    /*//////////////////////////////////////////////////////////////
                                CONSTANTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Keepers propose roots.
    bytes32 public constant PROPOSER_ROLE = keccak256("PROPOSER_ROLE");
    /// @notice The longest challenge window: a root leaves twice its window before the settlement
    /// deadline (O-3), and that deadline is 14 days after the event day.
    uint256 public constant MAX_CHALLENGE_WINDOW = 3 days;
    /// @notice Bytes of one packed entry in postEntries: account (20), sufficient (1), verifiedWh (8),
    /// reward (12), committedWh (6).
    uint256 public constant ENTRY_BYTES = 47;
    /// @notice Bytes of one packed entry in payBatch: index (4), account (20), sufficient (1),
    /// verifiedWh (8), reward (12), rewardBefore (11), committedWh (6).
    uint256 public constant BATCH_ENTRY_BYTES = 62;
    uint256 private constant _BPS = 10_000;

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
    uint256 private immutable _bondBps;
    uint256 private immutable _challengeWindow;

    // internal, not private: contracts/test/OptimisticSettlementHarness.sol seeds roots for the claim
    // benchmark at up to 2^20 entries
    mapping(uint256 eventId => RootRecord) internal _roots;
    // two bits per entry, 128 entries per word: bit 2*(index % 128) paid (O-7), the next one its
    // track record written (O-10), so a batch reads and writes one word for both
    mapping(uint256 eventId => mapping(uint256 word => uint256)) internal _flags;
    mapping(address account => uint256) private _bondCredit;
    mapping(address account => mapping(address token => uint256)) private _tokenBondCredit;
    // O-2: the left subtree hashes of a proposal still Posting, by level (at most depth + 1 slots)
    mapping(uint256 eventId => mapping(uint256 level => bytes32)) private _frontier;

    /// @param admin Receives DEFAULT_ADMIN_ROLE.
    /// @param requests ReductionRequests, which must grant this contract OPTIMISTIC_ROLE.
    /// @param consumers The consumer registry (a challenge reads the verified Wh it records).
    /// @param meterData Meter data (a root needs the event day committed).
    /// @param proofs Proof-carrying settlement, the judge of a challenged entry (O-4).
    /// @param programs The program registry (the payment token of a finalized root).
    /// @param bond_ The fixed part of a proposal's bond, in native currency.
    /// @param bondBps_ The token part of a proposal's bond, in basis points of its total (<= 10,000).
    /// @param challengeWindow_ Seconds during which a root can be challenged.
    constructor(
        address admin,
        IReductionRequests requests,
        IConsumerRegistry consumers,
        IMeterData meterData,
        IProofSettlement proofs,
        IProgramRegistry programs,
        uint256 bond_,
        uint256 bondBps_,
        uint256 challengeWindow_
    ) {
        if (challengeWindow_ == 0 || challengeWindow_ > MAX_CHALLENGE_WINDOW) {
            revert InvalidChallengeWindow(challengeWindow_);
        }
        if (bondBps_ > _BPS) revert InvalidBondBps(bondBps_);
        _bondBps = bondBps_;
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
    // slither: the calls go to the protocol's ReductionRequests and the event's allowlisted token, under
    // the lock; the token bond written after the pull is what arrived, and a Posting root pays nothing
    // slither-disable-next-line reentrancy-no-eth
    function propose(
        uint256 eventId,
        uint32 count,
        uint88 total
    ) external payable onlyRole(PROPOSER_ROLE) nonReentrant {
        if (msg.value != _bond) revert WrongBond(msg.value, _bond);
        RootRecord storage r = _roots[eventId];
        RootStatus status = r.status;
        if (status == RootStatus.Pending || status == RootStatus.Finalized || status == RootStatus.Posting) {
            revert RootExists(eventId, status);
        }
        IReductionRequests.DrEvent memory e = _requests.drEvent(eventId);
        // O-2: one entry per enrollment, paying no more than the event reserves
        if (count == 0 || count != e.enrolled) revert WrongCount(eventId, count, e.enrolled);
        if (total > e.reservedOutstanding) revert TotalExceedsReservations(eventId, total, e.reservedOutstanding);
        if (!_meterData.hasData(e.regionId, e.day)) revert IReductionRequests.EventDataNotCommitted(eventId, e.day);
        // O-3: a voided root must leave a whole window for proof-carrying settlement, so the last
        // entry must be posted by `latest`, and at most one window after the proposal
        uint256 latest = _deadline(eventId) - 2 * _challengeWindow;
        if (block.timestamp > latest) revert TooLateForRoot(eventId, latest);
        uint256 postBy = block.timestamp + _challengeWindow;
        if (postBy > latest) postBy = latest;

        uint256 tokenBond = _tokenBondFor(total);
        r.root = bytes32(0);
        r.total = total;
        r.challengeEnds = uint40(postBy); // <= latest, a timestamp
        r.count = count;
        r.depth = PositionalMerkle.depthFor(count);
        r.status = RootStatus.Posting;
        r.proposer = msg.sender;
        r.bond = SafeCast.toUint96(msg.value);
        r.tokenBond = uint96(tokenBond); // <= total, a uint88
        r.postedTotal = 0;
        r.posted = 0;
        emit RootProposed(eventId, count, total, msg.sender, uint96(msg.value), uint96(tokenBond), uint40(postBy));
        // reverts unless the event is Scheduled with nothing settled (O-3)
        _requests.lockForRoot(eventId);
        if (tokenBond != 0) {
            // slither: the token bond is taken in the program's token; its minimum delivery is read at finalize
            // slither-disable-next-line unused-return
            (address token, ) = _programs.paymentTerms(e.programId);
            _takeTokenBond(r, IERC20(token), tokenBond);
        }
    }

    /// @inheritdoc IOptimisticSettlement
    function postEntries(uint256 eventId, bytes calldata entries) external nonReentrant {
        RootRecord storage r = _roots[eventId];
        if (msg.sender != r.proposer) revert NotProposer(eventId, msg.sender);
        if (r.status != RootStatus.Posting) revert RootNotInStatus(eventId, r.status);
        if (block.timestamp > r.challengeEnds) revert PostingClosed(eventId, r.challengeEnds);
        uint256 n = entries.length / ENTRY_BYTES;
        if (n == 0 || entries.length % ENTRY_BYTES != 0) revert InvalidEntriesLength(entries.length);
        uint256 first = r.posted;
        uint256 count = r.count;
        if (first + n > count) revert TooManyEntries(eventId, count, first + n);
        uint256 total = r.total;
        uint256 sum = r.postedTotal;
        uint256 depth = r.depth;

        // O-2: the tree is built here, entry by entry, in position order; between transactions only
        // the left subtree hashes of the positions posted so far are kept (bit h of `first` set)
        bytes32[] memory frontier = new bytes32[](depth + 1);
        mapping(uint256 => bytes32) storage stored = _frontier[eventId];
        for (uint256 h = 0; first >> h != 0; ++h) if ((first >> h) & 1 == 1) frontier[h] = stored[h];
        sum = _addEntries(eventId, entries, first, total, sum, frontier);
        uint256 posted = first + n;
        r.posted = uint32(posted); // <= count, a uint32
        r.postedTotal = uint88(sum); // <= total, a uint88
        if (posted < count) {
            for (uint256 h = 0; posted >> h != 0; ++h) if ((posted >> h) & 1 == 1) stored[h] = frontier[h];
            emit EntriesPosted(eventId, uint32(first), uint32(n));
            return;
        }
        if (sum != total) revert WrongTotal(eventId, total, sum);
        emit EntriesPosted(eventId, uint32(first), uint32(n));
        _startWindow(eventId, r, _rootOf(frontier, count, depth));
    }

    /// @dev O-4: the last entry is in: the root is complete and its challenge window begins, with the
    /// settlement deadline of that moment kept to move the window by any later pause (E-8).
    function _startWindow(uint256 eventId, RootRecord storage r, bytes32 root) private {
        uint40 ends = SafeCast.toUint40(block.timestamp + _challengeWindow);
        r.root = root;
        r.challengeEnds = ends;
        r.status = RootStatus.Pending;
        r.deadlineAtPost = uint40(_deadline(eventId)); // a timestamp
        emit RootPosted(eventId, root, ends);
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
        // index, prefix and total cannot be wrong: the contract numbered and summed the entries (O-2)
        IReductionRequests.Enrollment memory en = _requests.enrollment(eventId, entry.account);
        if (en.status != IReductionRequests.EnrollmentStatus.Enrolled) {
            _void(eventId, r, Fault.NotEnrolled, entry.index, true);
        } else if (en.committedWh != entry.committedWh) {
            _void(eventId, r, Fault.WrongResult, entry.index, true);
        } else {
            // O-4: recompute by settling the consumer through the proof-carrying path
            _requests.unlockRoot(eventId);
            if (_matchesSettlement(eventId, entry, leaves)) revert EntryCorrect(eventId, entry.index);
            _void(eventId, r, Fault.WrongResult, entry.index, false);
        }
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
        if (a.index == b.index || a.account != b.account) revert EntryCorrect(eventId, b.index);
        _void(eventId, r, Fault.DuplicateAccount, b.index, true);
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
        uint256 ends = _ends(eventId, r);
        if (block.timestamp <= ends) revert ChallengeWindowOpen(eventId, ends);
        r.status = RootStatus.Finalized;
        uint88 total = r.total;
        (address token_, uint16 minDeliveryBps) = _paymentTerms(eventId);
        r.token = token_;
        r.remaining = total;
        r.minDeliveryBps = minDeliveryBps;
        address proposer = r.proposer;
        _bondCredit[proposer] += r.bond;
        _tokenBondCredit[proposer][token_] += r.tokenBond;
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
        RootStatus status = r.status;
        if (status != RootStatus.Pending && status != RootStatus.Posting) revert RootNotInStatus(eventId, status);
        // O-3 leaves a whole window between challengeEnds and the settlement deadline: half of it for
        // finalizing, at least half for proof-carrying settlement after an expiry. A proposal still
        // Posting expires as soon as its postBy (kept in challengeEnds) has passed.
        uint256 expiresAt = uint256(r.challengeEnds);
        if (status == RootStatus.Pending) expiresAt = _ends(eventId, r) + _challengeWindow / 2;
        if (block.timestamp <= expiresAt) revert TooEarlyToExpire(eventId, expiresAt);
        r.status = RootStatus.Expired;
        address proposer = r.proposer;
        _bondCredit[proposer] += r.bond;
        _tokenBondCredit[proposer][_eventToken(eventId)] += r.tokenBond;
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
        if (!_testAndSet(_flags[eventId], entry.index)) revert AlreadyClaimed(eventId, entry.index);
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
    // slither: every bit and `remaining` are written before the calls; only a refused push clears its
    // paid bit afterwards, so that entry stays claimable and is never paid twice
    // slither-disable-next-line reentrancy-no-eth
    function payBatch(uint256 eventId, bytes calldata entries, bytes32[] calldata proof) external nonReentrant {
        RootRecord storage r = _finalized(eventId);
        uint256 n = entries.length / BATCH_ENTRY_BYTES;
        if (n == 0 || entries.length % BATCH_ENTRY_BYTES != 0) revert InvalidBatchProof(eventId);
        _requireEntries(eventId, r, entries, n, proof);
        // effects first: every bit and `remaining` are written before the registry call and the transfers
        (IConsumerRegistry.SettlementReport[] memory reports, bool[] memory toPay) = _markBatch(eventId, r, entries, n);
        // O-10: the track records, as proof-carrying settlement writes them (C-9, C-10)
        if (reports.length != 0) _consumers.recordSettlements(r.token, r.minDeliveryBps, reports);
        (uint256 paid, uint256 total) = _pushPayments(eventId, r, entries, toPay);
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

    /// @inheritdoc IOptimisticSettlement
    function withdrawTokenBond(address token, address to) external nonReentrant {
        if (to == address(0)) revert InvalidBondRecipient();
        uint256 amount = _tokenBondCredit[msg.sender][token];
        if (amount == 0) revert NoTokenBondCredit(msg.sender, token);
        _tokenBondCredit[msg.sender][token] = 0;
        emit TokenBondWithdrawn(msg.sender, token, to, amount);
        IERC20(token).safeTransfer(to, amount);
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
        return (_flags[eventId][uint256(index) >> 7] >> _paidBit(index)) & 1 == 1;
    }

    /// @inheritdoc IOptimisticSettlement
    function isRecorded(uint256 eventId, uint32 index) external view returns (bool) {
        return (_flags[eventId][uint256(index) >> 7] >> (_paidBit(index) + 1)) & 1 == 1;
    }

    /// @inheritdoc IOptimisticSettlement
    function bondCredit(address account) external view returns (uint256) {
        return _bondCredit[account];
    }

    /// @inheritdoc IOptimisticSettlement
    function tokenBondCredit(address account, address token) external view returns (uint256) {
        return _tokenBondCredit[account][token];
    }

    /// @inheritdoc IOptimisticSettlement
    function tokenBondFor(uint256 total) external view returns (uint256) {
        return _tokenBondFor(total);
    }

    /// @inheritdoc IOptimisticSettlement
    function bondBps() external view returns (uint256) {
        return _bondBps;
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

    /// @dev O-5: void the root, credit both bonds to the challenger and, unless the challenge already
    /// did, hand the event back to proof-carrying settlement.
    function _void(uint256 eventId, RootRecord storage r, Fault fault, uint32 index, bool unlock) private {
        r.status = RootStatus.Voided;
        _bondCredit[msg.sender] += r.bond;
        _tokenBondCredit[msg.sender][_eventToken(eventId)] += r.tokenBond;
        emit RootVoided(eventId, msg.sender, fault, index);
        if (unlock) _requests.unlockRoot(eventId);
    }

    /// @dev O-8, O-10: set the recorded bit of every entry not yet recorded, with its track-record
    /// report, and the paid bit of every one not yet paid (to pay), whose rewards leave `remaining`
    /// (O-7). Entries come in increasing index order, so each flag word is read and written once.
    function _markBatch(
        uint256 eventId,
        RootRecord storage r,
        bytes calldata entries,
        uint256 n
    ) private returns (IConsumerRegistry.SettlementReport[] memory reports, bool[] memory toPay) {
        mapping(uint256 => uint256) storage flags = _flags[eventId];
        reports = new IConsumerRegistry.SettlementReport[](n);
        toPay = new bool[](n);
        uint256 k = 0;
        uint256 owed = 0;
        uint256 wordIndex = type(uint256).max; // the index of the flag word held in `word`
        uint256 word = 0;
        uint256 was = 0;
        for (uint256 i; i < n; ++i) {
            (uint256 index, IConsumerRegistry.SettlementReport memory report) = _batchEntry(entries, i);
            if (index >> 7 != wordIndex) {
                if (word != was) flags[wordIndex] = word;
                wordIndex = index >> 7;
                word = was = flags[wordIndex];
            }
            uint256 bit = _paidBit(index);
            if ((word >> (bit + 1)) & 1 == 1) continue; // recorded: nothing to do
            word |= 2 << bit;
            reports[k] = report;
            ++k;
            if ((word >> bit) & 1 == 1) continue; // paid by claim: recorded now, not paid again
            word |= 1 << bit;
            owed += report.reward;
            toPay[i] = true;
        }
        if (word != was) flags[wordIndex] = word;
        uint256 remaining = r.remaining;
        if (owed > remaining) revert TotalExceeded(eventId, owed, remaining);
        r.remaining = uint88(remaining - owed); // below `remaining`, a uint88
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(reports, k) // shrink in place to the k reports written (k <= n)
        }
    }

    /// @dev O-8: push each marked entry's reward; a refused push leaves the entry claimable.
    function _pushPayments(
        uint256 eventId,
        RootRecord storage r,
        bytes calldata entries,
        bool[] memory toPay
    ) private returns (uint256 paid, uint256 total) {
        IERC20 token = IERC20(r.token);
        for (uint256 i; i < toPay.length; ++i) {
            if (!toPay[i]) continue;
            (uint256 index, IConsumerRegistry.SettlementReport memory e) = _batchEntry(entries, i);
            if (e.reward == 0 || token.trySafeTransfer(e.account, e.reward)) {
                ++paid;
                total += e.reward;
            } else {
                // nothing is lost: the paid bit is cleared and the reward goes back to `remaining`
                _flags[eventId][index >> 7] &= ~(1 << _paidBit(index));
                r.remaining += uint88(e.reward); // subtracted by payBatch, so it fits
                emit PaymentDeferred(eventId, uint32(index), e.account);
            }
        }
    }

    /// @dev Packed batch entry `i` (BATCH_ENTRY_BYTES; the length was checked): its index and its
    /// fields as a track-record report.
    function _batchEntry(
        bytes calldata entries,
        uint256 i
    ) private pure returns (uint256 index, IConsumerRegistry.SettlementReport memory e) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let o := add(entries.offset, mul(i, 62)) // BATCH_ENTRY_BYTES
            index := shr(224, calldataload(o))
            mstore(e, shr(96, calldataload(add(o, 4)))) // account
            mstore(add(e, 0x20), shr(208, calldataload(add(o, 56)))) // committedWh
            mstore(add(e, 0x40), shr(192, calldataload(add(o, 25)))) // verifiedWh
            mstore(add(e, 0x60), shr(160, calldataload(add(o, 33)))) // reward
            mstore(add(e, 0x80), iszero(iszero(shr(248, calldataload(add(o, 24)))))) // sufficientData
        }
    }

    /// @dev O-3: pull the token bond; only what arrived is kept as the bond (a token charging a
    /// transfer fee delivers less), so returning or forfeiting it never reaches other funds.
    function _takeTokenBond(RootRecord storage r, IERC20 token, uint256 amount) private {
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        r.tokenBond = uint96(token.balanceOf(address(this)) - before); // <= amount, a uint96
    }

    /// @dev O-3: the token part of the bond, ceil(total * bondBps / 10,000) (<= total).
    function _tokenBondFor(uint256 total) private view returns (uint256) {
        // a proposal's total is a uint88 and bondBps <= 10,000, so the product fits; only an absurd
        // argument to the view could overflow, and `total` itself bounds its bond from above
        if (total > type(uint256).max / _BPS) return total;
        return (total * _bondBps + _BPS - 1) / _BPS;
    }

    /// @dev The event's payment token (a void or an expiry credits the token bond in it).
    function _eventToken(uint256 eventId) private view returns (address) {
        (address token, ) = _paymentTerms(eventId);
        return token;
    }

    /// @dev The event's program's payment token and minimum delivery.
    function _paymentTerms(uint256 eventId) private view returns (address, uint16) {
        return _programs.paymentTerms(_requests.drEvent(eventId).programId);
    }

    /// @dev O-2: add every packed entry to the frontier, numbered from `first` with running prefix
    /// sums from `sum`; the new sum, which may not pass `total`.
    function _addEntries(
        uint256 eventId,
        bytes calldata entries,
        uint256 first,
        uint256 total,
        uint256 sum,
        bytes32[] memory frontier
    ) private pure returns (uint256) {
        uint256 n = entries.length / ENTRY_BYTES;
        for (uint256 i = 0; i < n; ++i) {
            (bytes32 leaf, uint256 reward) = _packedLeaf(eventId, entries, i, first + i, sum);
            sum += reward;
            if (sum > total) revert EntriesExceedTotal(eventId, total, sum);
            _insert(frontier, first + i, leaf);
        }
        return sum;
    }

    /// @dev O-2: the leaf of packed entry `i` of `entries`, numbered `index` with prefix `before`, and
    /// its reward. The leaf hashes the same eight words as _leaf hashes for the Entry a claim sends.
    function _packedLeaf(
        uint256 eventId,
        bytes calldata entries,
        uint256 i,
        uint256 index,
        uint256 before
    ) private pure returns (bytes32 leaf, uint256 reward) {
        uint256 flag;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let o := add(entries.offset, mul(i, 47)) // ENTRY_BYTES; the length was checked
            let w := calldataload(o) // account (bytes 0-19), sufficient (20), verifiedWh (21-28)
            reward := shr(160, calldataload(add(o, 29))) // 12 bytes
            flag := and(shr(88, w), 0xff)
            let m := mload(0x40)
            mstore(m, eventId)
            mstore(add(m, 0x20), index)
            mstore(add(m, 0x40), shr(96, w))
            mstore(add(m, 0x60), flag)
            mstore(add(m, 0x80), and(shr(24, w), 0xffffffffffffffff))
            mstore(add(m, 0xa0), reward)
            mstore(add(m, 0xc0), before)
            mstore(add(m, 0xe0), shr(208, calldataload(add(o, 41)))) // committedWh, 6 bytes
            mstore(0x00, keccak256(m, 0x100))
            leaf := keccak256(0x00, 0x20)
        }
        // a bool other than 0 or 1 would make an entry that no challenge can decode
        if (flag > 1) revert InvalidEntryFlag(eventId, index);
    }

    /// @dev Add the leaf at `index` (the next position) to the frontier: carry it up while it is a
    /// right child, then keep it as the left subtree of its level.
    function _insert(bytes32[] memory frontier, uint256 index, bytes32 leaf) private pure {
        bytes32 node = leaf;
        uint256 h = 0;
        while (index & 1 == 1) {
            node = _hashPair(frontier[h], node);
            index >>= 1;
            ++h;
        }
        frontier[h] = node;
    }

    /// @dev The root of `count` leaves in a tree of depth `depth`, positions past the last holding
    /// bytes32(0) (PositionalMerkle): each level pairs the frontier's left subtree, or an empty
    /// subtree, with the node built so far.
    function _rootOf(bytes32[] memory frontier, uint256 count, uint256 depth) private pure returns (bytes32 node) {
        if (count == 1 << depth) return frontier[depth]; // a full tree carried its root to the top
        bytes32 empty = bytes32(0); // the root of an empty subtree of height h
        for (uint256 h = 0; h < depth; ++h) {
            node = (count >> h) & 1 == 1 ? _hashPair(frontier[h], node) : _hashPair(node, empty);
            empty = _hashPair(empty, empty);
        }
    }

    function _hashPair(bytes32 left, bytes32 right) private pure returns (bytes32 node) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, left)
            mstore(0x20, right)
            node := keccak256(0x00, 0x40)
        }
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
    function _testAndSet(mapping(uint256 => uint256) storage words, uint256 index) private returns (bool) {
        uint256 word = words[index >> 7];
        uint256 mask = 1 << _paidBit(index);
        if (word & mask != 0) return false;
        words[index >> 7] = word | mask;
        return true;
    }

    /// @dev The paid bit of `index` in its flag word; the recorded bit is the next one.
    function _paidBit(uint256 index) private pure returns (uint256) {
        return (index & 127) << 1;
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
    /// A packed entry's leaf hashes the same eight words as the Entry it packs (_leaf).
    function _requireEntries(
        uint256 eventId,
        RootRecord storage r,
        bytes calldata entries,
        uint256 n,
        bytes32[] calldata proof
    ) private view {
        uint256[] memory positions = new uint256[](n);
        bytes32[] memory leaves = new bytes32[](n);
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, eventId)
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                let o := add(entries.offset, mul(i, 62)) // BATCH_ENTRY_BYTES
                let index := shr(224, calldataload(o))
                mstore(add(m, 0x20), index)
                mstore(add(m, 0x40), shr(96, calldataload(add(o, 4)))) // account
                mstore(add(m, 0x60), shr(248, calldataload(add(o, 24)))) // sufficient
                mstore(add(m, 0x80), shr(192, calldataload(add(o, 25)))) // verifiedWh
                mstore(add(m, 0xa0), shr(160, calldataload(add(o, 33)))) // reward
                mstore(add(m, 0xc0), shr(168, calldataload(add(o, 45)))) // rewardBefore
                mstore(add(m, 0xe0), shr(208, calldataload(add(o, 56)))) // committedWh
                mstore(0x00, keccak256(m, 0x100))
                mstore(add(add(positions, 0x20), shl(5, i)), index)
                mstore(add(add(leaves, 0x20), shl(5, i)), keccak256(0x00, 0x20))
            }
        }
        if (!PositionalMerkle.verifyMulti(proof, r.root, r.depth, positions, leaves)) {
            revert InvalidBatchProof(eventId);
        }
    }

    function _challengeable(uint256 eventId) private view returns (RootRecord storage r) {
        r = _roots[eventId];
        if (r.status != RootStatus.Pending) revert RootNotInStatus(eventId, r.status);
        uint256 ends = _ends(eventId, r);
        if (block.timestamp > ends) revert ChallengeWindowClosed(eventId, ends);
    }

    /// @dev O-4, E-8: the challenge window's end, moved by every second the escrow spent paused since
    /// it began (a pause blocks the judge, which settles through the escrow, and finalization): the
    /// settlement deadline has moved by exactly that much since (S-1).
    function _ends(uint256 eventId, RootRecord storage r) private view returns (uint256) {
        return uint256(r.challengeEnds) + (_deadline(eventId) - r.deadlineAtPost);
    }

    function _deadline(uint256 eventId) private view returns (uint256) {
        return _requests.settlementDeadline(eventId);
    }

    function _finalized(uint256 eventId) private view returns (RootRecord storage r) {
        r = _roots[eventId];
        if (r.status != RootStatus.Finalized) revert RootNotInStatus(eventId, r.status);
    }

    /// @dev O-2: keccak256(keccak256(abi.encode(eventId, entry))); double hashing keeps a leaf from
    /// ever equalling an inner node. Entry is a static struct, so its ABI encoding is its seven
    /// calldata words, copied as they are: a dirty word hashes to a leaf no honest tree holds.
    function _leaf(uint256 eventId, Entry calldata entry) private pure returns (bytes32 leaf) {
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let m := mload(0x40)
            mstore(m, eventId)
            calldatacopy(add(m, 0x20), entry, 0xe0)
            mstore(0x00, keccak256(m, 0x100))
            leaf := keccak256(0x00, 0x20)
        }
    }
}
