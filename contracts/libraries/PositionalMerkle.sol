// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title PositionalMerkle
/// @notice A Merkle tree whose proofs fix the leaf's position (SPECIFICATION.md O-2).
/// `oracles/reference/optimistic_root.py` is the Python reference.
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

    /// @notice Whether `nodes` (leaf hashes at strictly increasing `positions`, each below 2^depth) hash
    /// up to `root` with the sibling hashes `proof`, consumed level by level in position order: a
    /// multiproof, so leaves that share subtrees share their hashes (O-8). `positions` and `nodes`
    /// are overwritten.
    function verifyMulti(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 depth,
        uint256[] memory positions,
        bytes32[] memory nodes
    ) internal pure returns (bool ok) {
        uint256 k = nodes.length;
        if (k == 0 || k != positions.length || depth > 32 || positions[k - 1] >> depth != 0) return false;
        for (uint256 i = 1; i < k; ++i) if (positions[i] <= positions[i - 1]) return false;
        uint256 used = 0;
        for (uint256 level = 0; level < depth; ++level) {
            (ok, k, used) = _level(proof, used, k, positions, nodes);
            if (!ok) return false;
        }
        return used == proof.length && nodes[0] == root;
    }

    /// @dev One level up, in place: each node pairs with its right neighbour in `nodes` when that is
    /// its sibling, else with the next proof hash (from hash `used` on). False when the proof runs out.
    function _level(
        bytes32[] calldata proof,
        uint256 used,
        uint256 k,
        uint256[] memory positions,
        bytes32[] memory nodes
    ) private pure returns (bool ok, uint256 m, uint256) {
        // raw memory words and scratch-space hashing, hot path of every batch payment
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let pos0 := add(positions, 0x20)
            let node0 := add(nodes, 0x20)
            let p := add(proof.offset, shl(5, used))
            let pEnd := add(proof.offset, shl(5, proof.length))
            ok := 1
            for {
                let i := 0
            } lt(i, k) {} {
                let pos := mload(add(pos0, shl(5, i)))
                let node := mload(add(node0, shl(5, i)))
                i := add(i, 1)
                let odd := and(pos, 1)
                switch and(iszero(odd), and(lt(i, k), eq(mload(add(pos0, shl(5, i))), add(pos, 1))))
                case 1 {
                    mstore(0x00, node)
                    mstore(0x20, mload(add(node0, shl(5, i))))
                    i := add(i, 1)
                }
                default {
                    if eq(p, pEnd) {
                        ok := 0
                        break
                    }
                    // the node goes left (0x00) at an even position, right (0x20) at an odd one
                    let at := shl(5, odd)
                    mstore(at, node)
                    mstore(xor(at, 0x20), calldataload(p))
                    p := add(p, 0x20)
                }
                mstore(add(pos0, shl(5, m)), shr(1, pos))
                mstore(add(node0, shl(5, m)), keccak256(0x00, 0x40))
                m := add(m, 1)
            }
            used := shr(5, sub(p, proof.offset))
        }
        return (ok, m, used);
    }

    /// @notice The depth of a tree with `count` positions in use: ceil(log2(count)), 0 for one entry.
    function depthFor(uint256 count) internal pure returns (uint8 depth) {
        while ((uint256(1) << depth) < count) ++depth;
    }
}
