// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {MeterMultiproof} from "../libraries/MeterMultiproof.sol";

/// @title MeterMultiproofHarness
/// @notice TEST ONLY: exposes MeterMultiproof.verify for the differential test against the reference.
contract MeterMultiproofHarness {
    /// @notice MeterMultiproof.verify on the given arguments.
    function verify(
        bytes32[] calldata proof,
        bytes32 root,
        uint256 width,
        uint256[] calldata positions,
        bytes32[] calldata nodes
    ) external pure returns (bool) {
        return MeterMultiproof.verify(proof, root, width, positions, nodes);
    }
}
