"""Deploy and wire the GridBalance protocol: ``brownie run scripts/deploy.py --network <net>``.

The roles and regions come from a JSON file (``GRIDBALANCE_DEPLOY_CONFIG``, default
``deploy/<network>.json``; see ``deploy/example.json`` and ``oracles.deploy.DeployConfig``). The
manifest is written to ``deployments/<chainId>.json``; a re-run resumes or confirms and never deploys
a second copy. On a development network the first unlocked account deploys; anywhere else an
encrypted keystore is required (``GRIDBALANCE_KEYSTORE``, password from
``GRIDBALANCE_KEYSTORE_PASSWORD`` or a prompt).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from oracles.chain import ChainClient, KeystoreSigner, NodeSigner, refuse_plaintext_key
from oracles.contracts import default_manifest_path
from oracles.deploy import DeployConfig, deploy_protocol


def main() -> None:
    from brownie import network, web3

    net = network.show_active()
    path = Path(os.environ.get("GRIDBALANCE_DEPLOY_CONFIG", f"deploy/{net}.json"))
    if not path.exists():
        raise SystemExit(f"deploy config {path} not found (copy deploy/example.json)")
    raw = json.loads(path.read_text())
    refuse_plaintext_key(raw, str(path))
    config = DeployConfig.model_validate(raw)
    if net.startswith("development") or net == "anvil":
        signer: KeystoreSigner | NodeSigner = NodeSigner(web3.eth.accounts[0])
    else:
        keystore = os.environ.get("GRIDBALANCE_KEYSTORE")
        if not keystore:
            raise SystemExit(
                f"network {net} is not a development network: set GRIDBALANCE_KEYSTORE to a keystore file"
            )
        signer = KeystoreSigner.from_file(Path(keystore))
    client = ChainClient(web3, signer)
    manifest_path = default_manifest_path(client.chain_id)
    manifest = deploy_protocol(client, config, manifest_path)
    for name, rec in manifest.contracts.items():
        print(f"  {name:<18} {rec.address}  block {rec.block}")
    print(f"manifest: {manifest_path}")
