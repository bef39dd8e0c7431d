// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MockStablecoin
/// @notice TEST ONLY: a 6-decimal dollar token anyone can mint, for tests and the local demo.
/// Never deploy it to a public network.
contract MockStablecoin is ERC20 {
    constructor() ERC20("Mock USD", "mUSD") {}

    /// @notice Mint `amount` (6 decimals) to `to`. Unrestricted: this is a test token.
    /// @param to Recipient.
    /// @param amount Amount in the token's smallest unit.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @inheritdoc ERC20
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
