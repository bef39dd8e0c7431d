"""What the operator scripts (``python -m oracles.ops.run scripts/...`` or ``brownie run``) share:
the network Brownie connected to, the signing account, the build profile and the manifest path.
Errors become one line (exit 1).

* **Account**: on a development network the node's first unlocked account; anywhere else only an
  encrypted keystore (``GRIDBALANCE_KEYSTORE``; password from ``GRIDBALANCE_KEYSTORE_PASSWORD`` or a
  prompt), and never a well-known development key.
* **Profile**: ``GRIDBALANCE_PROFILE`` if set, else what the chain needs (london on Energy Web).
* **Manifest**: ``GRIDBALANCE_MANIFEST`` if set, else ``deployments/<chainId>.json``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from web3 import Web3

from oracles.chain.anvil import dev_accounts
from oracles.chain.client import ChainClient
from oracles.chain.errors import ChainError
from oracles.chain.signers import KeystoreSigner, NodeSigner, Signer
from oracles.ops.deploy import DeploymentError
from oracles.ops.networks import profile_for_chain
from oracles.protocol.artifacts import ArtifactError
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.manifest import ManifestError, default_manifest_path
from oracles.protocol.profiles import PROFILE_ENV, BuildProfile, ProfileError, profile

OPERATOR_ERRORS = (
    ArtifactError,
    ChainError,
    DeploymentError,
    ManifestError,
    ProfileError,
    OSError,
    ValueError,
)


@dataclass(frozen=True)
class Operator:
    network: str
    development: bool
    w3: Web3
    chain_id: int
    profile: BuildProfile
    manifest_path: Path

    def client(self) -> ChainClient:
        return ChainClient(self.w3, self.signer(), decoder=ErrorDecoder(self.profile.build_dir))

    def signer(self) -> Signer:
        if self.development:
            return NodeSigner(self.w3.eth.accounts[0])
        keystore = os.environ.get("GRIDBALANCE_KEYSTORE")
        if not keystore:
            raise DeploymentError(
                f"network {self.network} is not a development network: set GRIDBALANCE_KEYSTORE "
                "to an encrypted keystore file (unlocked node accounts are refused)"
            )
        signer = KeystoreSigner.from_file(Path(keystore))
        if signer.address in dev_accounts():
            raise DeploymentError(
                f"{keystore} holds {signer.address}, a well-known development account whose key "
                f"is public; use your own key on {self.network}"
            )
        return signer


def brownie_operator() -> Operator:
    """The network ``--network`` connected to (either runner), checked against its configuration."""
    from brownie import network, web3
    from brownie._config import CONFIG

    net = network.show_active() or "development"  # type: ignore[attr-defined]
    development = CONFIG.network_type == "development"
    w3: Web3 = web3
    chain_id = w3.eth.chain_id
    configured = CONFIG.networks.get(net, {}).get("chainid")
    if not development and configured is not None and int(configured) != chain_id:
        raise DeploymentError(
            f"network {net} is configured for chain {configured}, but its RPC serves chain {chain_id}"
        )
    name = os.environ.get(PROFILE_ENV) or profile_for_chain(chain_id)
    manifest = os.environ.get("GRIDBALANCE_MANIFEST")
    return Operator(
        network=net,
        development=development,
        w3=w3,
        chain_id=chain_id,
        profile=profile(name),
        manifest_path=Path(manifest) if manifest else default_manifest_path(chain_id),
    )


YES_ENV = "GRIDBALANCE_YES"  # set by `python -m oracles.ops.run --yes`


def confirm(question: str, stdin: TextIO | None = None, out: TextIO | None = None) -> None:
    """Ask ``question`` on the terminal; anything but ``yes`` stops with one line.

    ``--yes`` (``$GRIDBALANCE_YES=1``) answers for the operator; without a terminal and without
    ``--yes`` nothing is asked and nothing is done."""
    if os.environ.get(YES_ENV) == "1":
        return
    stdin, out = stdin or sys.stdin, out or sys.stdout
    if not stdin.isatty():
        raise DeploymentError(
            "this needs a confirmation and there is no terminal to ask it on: pass --yes"
        )
    out.write(f"{question} Type 'yes' to go on: ")
    out.flush()
    if stdin.readline().strip().lower() != "yes":
        raise DeploymentError("not confirmed: nothing was sent")


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn the errors an operator can fix into a one-line message and exit status 1."""
    try:
        yield
    except OPERATOR_ERRORS as exc:
        # pydantic's report spans lines: one line, as every operator error
        raise SystemExit("error: " + " ".join(str(exc).split())) from None


def run_script(body: Callable[[Operator], None]) -> None:
    with one_line_errors():
        body(brownie_operator())
