// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IDisputes
/// @notice A consumer's dispute of its own settled enrollment, resolved by an arbiter (SPECIFICATION.md
/// §7, D-1..D-4). Opening one keeps the enrollment's unpaid reservation reserved; an upheld dispute pays
/// its adjustment from it and the rest is released, as it is when the dispute is rejected.
interface IDisputes {
    /// @notice Dispute lifecycle; Upheld and Rejected are final.
    enum DisputeStatus {
        None,
        Open,
        Upheld,
        Rejected
    }

    /// @notice One enrollment's dispute. One slot.
    struct Dispute {
        DisputeStatus status;
        uint80 adjustment; // paid when upheld
    }

    /// @notice Disputes open within 7 days of settlement (D-1).
    error DisputeWindowClosed(uint256 eventId, address account);
    /// @notice The enrollment already has a dispute, or the dispute is not open (D-1..D-3).
    error DisputeNotInStatus(uint256 eventId, address account, DisputeStatus status);
    /// @notice The adjustment exceeds the enrollment's maximum reward minus what was paid (D-2).
    error AdjustmentTooLarge(uint256 amount, uint256 max);

    /// @notice A consumer opened a dispute.
    event DisputeOpened(uint256 indexed eventId, address indexed account, bytes32 reasonHash);
    /// @notice An arbiter resolved a dispute.
    event DisputeResolved(uint256 indexed eventId, address indexed account, bool upheld, uint256 adjustment);

    /// @notice Open a dispute on one's own enrollment, settled (paid or insufficient data) by proofs,
    /// within 7 days of its settlement; one per enrollment (D-1). The ledger holds the enrollment's
    /// `reserved − paid` for the ruling (D-4).
    /// @param eventId The event.
    /// @param reasonHash Hash of the consumer's evidence, kept off-chain.
    function openDispute(uint256 eventId, bytes32 reasonHash) external;

    /// @notice Uphold a dispute, paying `adjustment` from the held reservation and releasing the rest.
    /// Only ARBITER_ROLE (D-2, D-4).
    /// @param adjustment At most the enrollment's reservation minus its reward.
    function upholdDispute(uint256 eventId, address account, uint256 adjustment) external;

    /// @notice Reject a dispute, releasing the held reservation. Only ARBITER_ROLE (D-3, D-4).
    function rejectDispute(uint256 eventId, address account) external;

    /// @notice An enrollment's dispute.
    function dispute(uint256 eventId, address account) external view returns (Dispute memory);
}
