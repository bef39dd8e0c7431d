// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IUtilityRegistry} from "../interfaces/IUtilityRegistry.sol";

/// @title CouncilRules
/// @notice The council's lifecycle rules (SPECIFICATION.md U-3..U-6), shared by every registry the
/// council verifies: utilities (UtilityRegistry) and grid operators (GridOperatorRegistry, G-1..G-4).
library CouncilRules {
    /// @notice Whether `action` applies to a subject in `status` (U-3..U-6): Verify from Pending,
    /// Renew from Active, Reinstate from Suspended, Revoke from Pending, Active or Suspended.
    function allows(IUtilityRegistry.Status status, IUtilityRegistry.Action action) internal pure returns (bool) {
        if (action == IUtilityRegistry.Action.Verify) return status == IUtilityRegistry.Status.Pending;
        if (action == IUtilityRegistry.Action.Renew) return status == IUtilityRegistry.Status.Active;
        if (action == IUtilityRegistry.Action.Reinstate) return status == IUtilityRegistry.Status.Suspended;
        return
            status == IUtilityRegistry.Status.Pending ||
            status == IUtilityRegistry.Status.Active ||
            status == IUtilityRegistry.Status.Suspended;
    }

    /// @notice The status and expiry after the M-th approval of `action` executes it (U-3..U-6):
    /// Verify: Active until now + validity; Renew: max(expiry, now) + validity; Reinstate: Active,
    /// expiry unchanged; Revoke: Revoked (final).
    function executed(
        IUtilityRegistry.Status status,
        uint64 expiresAt,
        IUtilityRegistry.Action action,
        uint64 validity
    ) internal view returns (IUtilityRegistry.Status, uint64) {
        uint64 nowTs = uint64(block.timestamp);
        if (action == IUtilityRegistry.Action.Verify) return (IUtilityRegistry.Status.Active, nowTs + validity);
        if (action == IUtilityRegistry.Action.Renew) {
            // extend from the current expiry while valid, from now once expired
            return (status, (expiresAt > nowTs ? expiresAt : nowTs) + validity);
        }
        if (action == IUtilityRegistry.Action.Reinstate) return (IUtilityRegistry.Status.Active, expiresAt);
        return (IUtilityRegistry.Status.Revoked, expiresAt);
    }
}
