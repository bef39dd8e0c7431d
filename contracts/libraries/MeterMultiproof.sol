// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MeterMultiproof
/// @notice Many records of one meter batch proved together against its root (SPECIFICATION.md S-11).
/// The tree is MeterLeaf's: pairs hashed in sorted order, level by level, the last node of an odd level
/// carried up unhashed. Records that share a batch share the hashes above them, so k records cost
/// about k + k·log2(n/k) hashes instead of k·log2(n). `oracles/multiproof.py` is the reference.
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
        uint256 k = nodes.length;
        if (k == 0 || k != positions.length || positions[k - 1] >= width) return false;
        for (uint256 i = 1; i < k; ++i) if (positions[i] <= positions[i - 1]) return false;
        uint256 p = 0;
        while (width > 1) {
            uint256 m = 0;
            uint256 i = 0;
            while (i < k) {
                uint256 pos = positions[i];
                bytes32 node = nodes[i];
                bytes32 sibling;
                ++i;
                if (pos & 1 == 0 && pos + 1 == width) {
                    // the last node of an odd level goes up unhashed
                    positions[m] = pos >> 1;
                    nodes[m] = node;
                    ++m;
                    continue;
                }
                if (pos & 1 == 0 && i < k && positions[i] == pos + 1) {
                    sibling = nodes[i];
                    ++i;
                } else {
                    if (p == proof.length) return false;
                    sibling = proof[p];
                    ++p;
                }
                positions[m] = pos >> 1;
                nodes[m] = _pair(node, sibling);
                ++m;
            }
            k = m;
            width = (width + 1) >> 1;
        }
        return p == proof.length && nodes[0] == root;
    }

    function _pair(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        (a, b) = a < b ? (a, b) : (b, a);
        // scratch-space hashing of two words, as MeterLeaf hashes the tree
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            mstore(0x00, a)
            mstore(0x20, b)
            h := keccak256(0x00, 0x40)
        }
    }
}
