// SPDX-License-Identifier: MIT
pragma solidity 0.8.37;

import {OptimisticSettlement} from "../demand-response/OptimisticSettlement.sol";
import {PositionalMerkle} from "../libraries/PositionalMerkle.sol";
import {IReductionRequests} from "../interfaces/IReductionRequests.sol";
import {IProofSettlement} from "../interfaces/IProofSettlement.sol";
import {IProgramRegistry} from "../interfaces/IProgramRegistry.sol";
import {IConsumerRegistry} from "../interfaces/IConsumerRegistry.sol";
import {IMeterData} from "../interfaces/IMeterData.sol";

/// @title OptimisticSettlementHarness
/// @notice Test only: the real OptimisticSettlement plus a way to seed a finalized root of any size, so
/// `make bench` can measure `claim` at 2^10 .. 2^20 entries without enrolling a million consumers. The
/// claim path it measures is the parent's code, unchanged.
contract OptimisticSettlementHarness is OptimisticSettlement {
    constructor(
        address admin,
        IReductionRequests requests,
        IConsumerRegistry consumers,
        IMeterData meterData,
        IProgramRegistry programs
    )
        OptimisticSettlement(
            admin,
            requests,
            consumers,
            meterData,
            IProofSettlement(address(0)),
            programs,
            0,
            0,
            1 days
        )
    {}

    /// @notice Seed a finalized root (the tokens must be sent to this contract separately).
    function seedFinalized(uint256 eventId, bytes32 root, uint32 count, uint88 total, address token) external {
        RootRecord storage r = _roots[eventId];
        r.root = root;
        r.token = token;
        r.total = total;
        r.remaining = total;
        r.count = count;
        r.depth = PositionalMerkle.depthFor(count);
        r.status = RootStatus.Finalized;
    }
}
