// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

/// @title CallBundler
/// @notice Test only: a contract account that sends several calls in one transaction, as a smart
/// wallet, a multicall or an ERC-4337 bundle does; a failing call is skipped, as a bundle skips a
/// failed operation. Posting meter data through it puts the records in inner calls (M-7: anyone
/// may post signed records), which readers must find in the call trace.
contract CallBundler {
    /// @notice Call `i` to `target` succeeded or failed (its revert data).
    event Called(uint256 indexed i, bool ok, bytes result);

    /// @notice Make each call to `target` in order; failures are logged, not propagated.
    /// @param target The contract called.
    /// @param calls The calldata of each call.
    function bundle(address target, bytes[] calldata calls) external {
        for (uint256 i; i < calls.length; ++i) {
            // a test bundler: the raw call and its failures are its point
            // slither-disable-next-line low-level-calls
            // solhint-disable-next-line avoid-low-level-calls
            (bool ok, bytes memory result) = target.call(calls[i]);
            emit Called(i, ok, result);
        }
    }
}
