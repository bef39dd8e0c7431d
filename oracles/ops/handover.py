"""Move the protocol's admin roles from the deployer to a multisig or a timelock (``scripts/handover.py``).

Two steps, with a check between them, so a mistake cannot leave the protocol without an admin:

1. **grant**: the new admin receives every admin role (:data:`oracles.ops.deploy.ADMIN_ROLES`) on every
   protocol contract;
2. **verify**: every grant is read back with ``hasRole``; any gap stops the handover here;
3. **renounce**: the deployer gives up every role it holds, admin or not (the escrow's pauser role
   from its constructor included). It keeps no power.

The manifest's role table and ``admin`` follow each step, so a re-run resumes and a finished
handover re-runs as a check. ``timelock`` as the target deploys a :data:`oracles.ops.deploy.TIMELOCK`
(OpenZeppelin's TimelockController) from the configuration's ``timelock`` section first.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from web3 import Web3
from web3.contract import Contract

from oracles.chain.client import ChainClient
from oracles.ops.deploy import (
    ADMIN_ROLES,
    TIMELOCK,
    DeployConfig,
    DeploymentError,
    deploy_contract,
    timelock_args,
    timelock_roles,
)
from oracles.ops.verify import role_id
from oracles.protocol.artifacts import load_artifact
from oracles.protocol.contracts import Protocol
from oracles.protocol.manifest import PROTOCOL, Manifest


class HandoverError(DeploymentError):
    """The handover cannot start or could not be confirmed."""


def deploy_timelock(client: ChainClient, manifest: Manifest, path: Path, build_dir: Path) -> str:
    """The manifest's timelock, deployed from the configuration on first use."""
    if manifest.timelock is not None:
        if not client.w3.eth.get_code(Web3.to_checksum_address(manifest.timelock.address)):
            raise HandoverError(
                f"{path} lists a timelock at {manifest.timelock.address} with no code"
            )
        return manifest.timelock.address
    cfg = DeployConfig.model_validate(manifest.config)
    if cfg.timelock is None:
        raise HandoverError(
            "the deployment configuration has no 'timelock' section (min_delay_seconds, "
            "proposers, executors)"
        )
    record = deploy_contract(
        client,
        load_artifact(TIMELOCK, build_dir),
        timelock_args(cfg.timelock),
        f"deploy {TIMELOCK}",
    )
    manifest.timelock = record
    manifest.roles.update(timelock_roles(cfg.timelock, record.address))
    manifest.save(path)
    return record.address


def handover(
    client: ChainClient,
    manifest: Manifest,
    path: Path,
    target: str,
    build_dir: Path,
    log: Callable[[str], None] = print,
) -> Manifest:
    """Grant the admin roles to ``target``, verify, renounce all of the deployer's roles."""
    me = client.address
    target = Web3.to_checksum_address(target)
    if target == me:
        raise HandoverError("the new admin must not be the deployer")
    if manifest.deployer != me:
        raise HandoverError(
            f"{path} was deployed by {manifest.deployer}; run the handover with that account"
        )
    if manifest.admin not in (me, target):
        raise HandoverError(f"the admin roles are already with {manifest.admin}")
    contracts = Protocol.connect(client.w3, manifest, build_dir).by_name
    admin_keys = [(n, r) for n in PROTOCOL for r in ADMIN_ROLES if f"{n}.{r}" in manifest.roles]

    # 1. grant
    for name, role_name in admin_keys:
        c = contracts[name]
        if not c.functions.hasRole(role_id(role_name), target).call():
            client.transact(
                c.functions.grantRole(role_id(role_name), target), f"{name} grant {role_name}"
            )
            log(f"granted  {name}.{role_name} to {target}")
    # 2. verify
    gaps = [
        f"{n}.{r}"
        for n, r in admin_keys
        if not contracts[n].functions.hasRole(role_id(r), target).call()
    ]
    if gaps:
        raise HandoverError(f"{target} lacks {', '.join(gaps)}: the deployer renounces nothing")
    for name, role_name in admin_keys:
        manifest.roles[f"{name}.{role_name}"] = [target]
    manifest.admin = target
    manifest.save(path)
    log(f"verified {target} holds all {len(admin_keys)} admin roles")
    # 3. renounce every role the deployer still holds (admin roles last)
    for name, c in contracts.items():
        for role_name in sorted(role_names(c), key=lambda r: r in ADMIN_ROLES):
            role = role_id(role_name)
            if c.functions.hasRole(role, me).call():
                client.transact(c.functions.renounceRole(role, me), f"{name} renounce {role_name}")
                log(f"renounced {name}.{role_name}")
    left = [
        f"{n}.{r}"
        for n, c in contracts.items()
        for r in role_names(c)
        if c.functions.hasRole(role_id(r), me).call()
    ]
    if left:
        raise HandoverError(f"the deployer still holds {', '.join(left)}")
    for key, holders in manifest.roles.items():
        manifest.roles[key] = [h for h in holders if h != me]
    manifest.save(path)
    log(f"the deployer {me} holds no role on any protocol contract")
    return manifest


def role_names(contract: Contract) -> list[str]:
    """Every role constant the contract's ABI exposes (``*_ROLE()`` getters)."""
    abi: list[dict[str, Any]] = [dict(item) for item in contract.abi]
    return [
        str(item["name"])
        for item in abi
        if item.get("type") == "function"
        and str(item.get("name", "")).endswith("_ROLE")
        and not item.get("inputs")
    ]
