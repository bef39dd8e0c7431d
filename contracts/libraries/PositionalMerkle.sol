// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PositionalMerkle
/// @notice A Merkle tree whose proofs fix the leaf's position (SPECIFICATION.md O-2).
/// `oracles/optimistic.py` is the Python reference.
/// @dev The tree has 2^depth positions; positions past the last entry hold bytes32(0). A node is
/// keccak256(left ‖ right) in position order. OpenZeppelin's MerkleProof sorts each pair
/// (commutative hashing), so a proof there does not say where its leaf sits; here it must, because an
/// entry's position is its claim index and a root commits to exactly `count` indices.
library PositionalMerkle {
    /// @notice Whether `leaf` sits at `index` under `root`, given the sibling hashes from leaf to root.
    /// The proof's length is the tree's depth, so `index` must be below 2^proof.length.
    function verifyCalldata(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 index,
        bytes32 leaf
    ) internal pure returns (bool ok) {
        // one claim hashes one node per level: scratch-space hashing, no bounds checks on the walk
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let node := leaf
            let position := index
            let end := add(proof.offset, shl(5, proof.length))
            for {
                let p := proof.offset
            } lt(p, end) {
                p := add(p, 0x20)
            } {
                // branchless: the node goes left (0x00) at an even position, right (0x20) at an odd one
                let at := shl(5, and(position, 1))
                mstore(at, node)
                mstore(xor(at, 0x20), calldataload(p))
                node := keccak256(0x00, 0x40)
                position := shr(1, position)
            }
            ok := and(iszero(position), eq(node, root))
        }
    }

    /// @notice The depth of a tree with `count` positions in use: ceil(log2(count)), 0 for one entry.
    function depthFor(uint256 count) internal pure returns (uint8 depth) {
        while ((uint256(1) << depth) < count) ++depth;
    }
}
