"""Move every admin role to a multisig or a timelock:
``python -m oracles.ops.run scripts/handover.py main <address | timelock> --network <net>``
(or ``brownie run``, the same arguments).

``timelock`` deploys GridBalanceTimelock (OpenZeppelin's TimelockController) from the deployment
configuration's ``timelock`` section and hands over to it. Steps: grant, verify, renounce; the
deployer keeps no role (see ``oracles/ops/handover.py``). Run it with the deployer's account.
It asks for confirmation on the terminal first; ``--yes`` answers for you (needed without a
terminal; with ``brownie run``, set ``GRIDBALANCE_YES=1``).
"""

from __future__ import annotations

from web3 import Web3

from oracles.ops.handover import HandoverError, deploy_timelock, handover
from oracles.ops.operator import Operator, confirm, run_script
from oracles.protocol.manifest import Manifest


def main(target: str = "") -> None:
    def body(op: Operator) -> None:
        if target != "timelock" and not Web3.is_address(target):
            raise HandoverError(
                f"give the new admin: an address or 'timelock' (got {target or 'nothing'})"
            )
        manifest = Manifest.load(op.manifest_path)
        if manifest.admin in ("", manifest.deployer):  # a finished handover re-runs as a check
            confirm(
                f"Hand every admin role of {op.manifest_path} (chain {op.chain_id}, {op.network}) "
                f"to {'a new GridBalanceTimelock' if target == 'timelock' else target}, then the deployer {manifest.deployer} renounces all its roles. "
                "This cannot be undone."
            )
        client = op.client()
        build_dir = op.profile.build_dir
        to = (
            deploy_timelock(client, manifest, op.manifest_path, build_dir)
            if target == "timelock"
            else target
        )
        handover(client, manifest, op.manifest_path, to, build_dir)
        print(f"admin: {to}; manifest: {op.manifest_path}")

    run_script(body)
