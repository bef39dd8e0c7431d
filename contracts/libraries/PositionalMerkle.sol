// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Hashes} from "@openzeppelin/contracts/utils/cryptography/Hashes.sol";

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
    ) internal pure returns (bool) {
        bytes32 node = leaf;
        uint256 position = index;
        for (uint256 i; i < proof.length; ++i) {
            node = position & 1 == 0
                ? Hashes.efficientKeccak256(node, proof[i])
                : Hashes.efficientKeccak256(proof[i], node);
            position >>= 1;
        }
        return position == 0 && node == root;
    }

    /// @notice The depth of a tree with `count` positions in use: ceil(log2(count)), 0 for one entry.
    function depthFor(uint256 count) internal pure returns (uint8 depth) {
        while ((uint256(1) << depth) < count) ++depth;
    }
}
