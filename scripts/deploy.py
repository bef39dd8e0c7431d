"""Deploy and wire the GridBalance protocol:
``python -m oracles.ops.run scripts/deploy.py --network <net>`` (or ``brownie run``, the same
arguments, from a folder without a dot in its path: see ``oracles/ops/run.py``).

The roles and regions come from a JSON file (``GRIDBALANCE_DEPLOY_CONFIG``, default
``deploy/<network>.json``; see ``deploy/example.json`` and ``oracles.ops.deploy.DeployConfig``). The
manifest goes to ``deployments/<chainId>.json``; a re-run resumes or confirms and never deploys a
second copy. On a development network the node's first unlocked account deploys; anywhere else an
encrypted keystore is required (``GRIDBALANCE_KEYSTORE``, password from
``GRIDBALANCE_KEYSTORE_PASSWORD`` or a prompt) and well-known development keys are refused.
Energy Web chains get the london build (``make compile-london``); see ``oracles/ops/operator.py``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from web3 import Web3

from oracles.chain.anvil import PROJECT_ROOT
from oracles.chain.signers import refuse_plaintext_key
from oracles.ops.deploy import DeployConfig, check_profile, deploy_protocol, refuse_dev_accounts
from oracles.ops.operator import Operator, run_script
from oracles.protocol.artifacts import load_artifact


def deploy(op: Operator) -> None:
    path = Path(
        os.environ.get("GRIDBALANCE_DEPLOY_CONFIG", PROJECT_ROOT / "deploy" / f"{op.network}.json")
    )
    if not path.exists():
        raise FileNotFoundError(f"deploy config {path} not found (copy deploy/example.json)")
    raw = json.loads(path.read_text())
    refuse_plaintext_key(raw, str(path))
    config = DeployConfig.model_validate(raw)
    client = op.client()
    if not op.development:
        refuse_dev_accounts(client.address, config, op.network)
    check_profile(op.w3, op.profile, load_artifact("RegionRegistry", op.profile.build_dir))
    print(
        f"deploying to {op.network} (chain {op.chain_id}) as {client.address}, {op.profile.name} build"
    )
    me = Web3.to_checksum_address(client.address)
    nonce = op.w3.eth.get_transaction_count(me)
    manifest = deploy_protocol(
        client, config, op.manifest_path, op.profile.build_dir, op.profile.name
    )
    sent = op.w3.eth.get_transaction_count(me) - nonce
    for name, rec in manifest.contracts.items():
        print(f"  {name:<18} {rec.address}  block {rec.block}")
    print(f"manifest: {op.manifest_path}")
    # OP-2: a complete deployment re-runs as a check
    print("already deployed, 0 transactions sent" if sent == 0 else f"{sent} transactions sent")


def main() -> None:
    run_script(deploy)
