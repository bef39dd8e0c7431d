// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MeterMultiproof
/// @notice Many records of one meter batch proved together against its root (SPECIFICATION.md S-11).
/// The tree is MeterLeaf's: pairs hashed in sorted order, level by level, the last node of an odd level
/// carried up unhashed. Records that share a batch share the hashes above them, so k records cost
/// about k + k·log2(n/k) hashes instead of k·log2(n). `oracles/reference/meter_multiproof.py` is the reference.
/// @dev Any record that verifies is committed in the batch whatever positions or width the caller
/// claims: every node computed here is either a record's hash (a 107- or 172-byte preimage) or a pair
/// hash (a 64-byte preimage), so equality with the committed root forces, level by level, each
/// computed node to be a node of the real tree, and each record hash to be one of its leaves.
library MeterMultiproof {
    /// @notice Whether `nodes` (leaf hashes at strictly increasing `positions` of a batch of `width`
    /// records) hash up to `root` with the sibling hashes `proof`, consumed level by level in position
    /// order. `positions` and `nodes` are overwritten.
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 width,
        uint256[] memory positions,
        bytes32[] memory nodes
    ) internal pure returns (bool) {
        if (!_ordered(width, positions, nodes)) return false;
        uint256 k = nodes.length;
        uint256 used = 0; // proof hashes consumed
        bool ok;
        while (width > 1) {
            (ok, k, used) = _level(proof, used, width, k, positions, nodes);
            if (!ok) return false;
            width = (width + 1) >> 1;
        }
        return used == proof.length && nodes[0] == root;
    }

    /// @dev At least one node, as many positions, strictly increasing and below `width`.
    function _ordered(
        uint256 width,
        uint256[] memory positions,
        bytes32[] memory nodes
    ) private pure returns (bool ok) {
        uint256 k = nodes.length;
        if (k == 0 || k != positions.length || positions[k - 1] >= width) return false;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            let pos0 := add(positions, 0x20)
            ok := 1
            for {
                let i := 1
            } and(ok, lt(i, k)) {
                i := add(i, 1)
            } {
                ok := gt(mload(add(pos0, shl(5, i))), mload(add(pos0, shl(5, sub(i, 1)))))
            }
        }
    }

    /// @dev One level up, in place: the first `k` nodes at `positions` of a level of `width` become the
    /// returned count of parents. Siblings come from the level itself or, in order, from the proof (from
    /// hash `used` on). False when the proof runs out.
    function _level(
        bytes32[] calldata proof,
        uint256 used,
        uint256 width,
        uint256 k,
        uint256[] memory positions,
        bytes32[] memory nodes
    ) private pure returns (bool ok, uint256 m, uint256) {
        // raw memory words and scratch-space hashing: hot path of every batch settlement (S-11)
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
                let up := node // the last node of an odd level goes up unhashed
                if iszero(and(iszero(and(pos, 1)), eq(add(pos, 1), width))) {
                    let sibling
                    switch and(iszero(and(pos, 1)), and(lt(i, k), eq(mload(add(pos0, shl(5, i))), add(pos, 1))))
                    case 1 {
                        sibling := mload(add(node0, shl(5, i)))
                        i := add(i, 1)
                    }
                    default {
                        if eq(p, pEnd) {
                            ok := 0
                            break
                        }
                        sibling := calldataload(p)
                        p := add(p, 0x20)
                    }
                    // pairs hash in sorted order (MeterLeaf), branchless: the smaller word first
                    let low := xor(node, mul(xor(node, sibling), lt(sibling, node)))
                    mstore(0x00, low)
                    mstore(0x20, xor(xor(node, sibling), low))
                    up := keccak256(0x00, 0x40)
                }
                mstore(add(pos0, shl(5, m)), shr(1, pos))
                mstore(add(node0, shl(5, m)), up)
                m := add(m, 1)
            }
            used := shr(5, sub(p, proof.offset))
        }
        return (ok, m, used);
    }
}
