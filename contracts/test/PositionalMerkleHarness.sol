// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {PositionalMerkle} from "../libraries/PositionalMerkle.sol";

/// @title PositionalMerkleHarness
/// @notice TEST ONLY: exposes PositionalMerkle.verifyMulti for the differential test against the reference.
contract PositionalMerkleHarness {
    /// @notice PositionalMerkle.verifyMulti on the given arguments.
    function verifyMulti(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 depth,
        uint256[] calldata positions,
        bytes32[] calldata nodes
    ) external pure returns (bool) {
        return PositionalMerkle.verifyMulti(proof, root, depth, positions, nodes);
    }
}
