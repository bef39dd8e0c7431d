"""Check a deployment against its manifest, on the chain itself (``scripts/verify_deployment.py``).

* **Code**: each contract's runtime code equals what its constructor returns when the build's
  creation code and the recorded arguments run again in an ``eth_call`` from the deployer, at the
  nonce it used. Immutables (the wiring between contracts) are therefore compared too.
* **Wiring**: the recorded constructor arguments equal those the manifest's own addresses and
  configuration call for; the forecasting link equals the last ``ForecastingSet`` event.
* **Roles**: the manifest's role table is the one the configuration calls for, every listed
  holder holds its role (``hasRole``), and no one else does: the holders are rebuilt from every
  ``RoleGranted``/``RoleRevoked`` event since the contract's deployment.
* **Configuration**: every configured region exists and every configured token is allowed.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from eth_utils.crypto import keccak
from pydantic import BaseModel, ConfigDict
from web3 import Web3
from web3.contract import Contract

from oracles.chain.reads import call_many, web3_batch
from oracles.chain.rpc import rpc_request
from oracles.ops.deploy import (
    TIMELOCK,
    DeployConfig,
    constructor_args,
    encode_constructor_args,
    planned_roles,
    timelock_args,
    timelock_roles,
)
from oracles.protocol.artifacts import Artifact, load_artifact
from oracles.protocol.manifest import PROTOCOL, DeployedContract, Manifest

ROLE_GRANTED = "0x" + keccak(text="RoleGranted(bytes32,address,address)").hex()
ROLE_REVOKED = "0x" + keccak(text="RoleRevoked(bytes32,address,address)").hex()
FORECASTING_SET = "0x" + keccak(text="ForecastingSet(address)").hex()
STABILITY_SET = "0x" + keccak(text="StabilitySet(address)").hex()
RESPONDER_SET = "0x" + keccak(text="ResponderSet(address)").hex()
LOG_CHUNK = 50_000  # blocks per eth_getLogs; halved while a node refuses the range


class Finding(BaseModel):
    model_config = ConfigDict(frozen=True)

    ok: bool
    what: str
    detail: str = ""

    def line(self) -> str:
        return f"{'ok  ' if self.ok else 'FAIL'} {self.what}{': ' + self.detail if self.detail else ''}"


def role_id(name: str) -> bytes:
    return b"\x00" * 32 if name == "DEFAULT_ADMIN_ROLE" else keccak(text=name)


def get_logs(
    w3: Web3, address: str, topic0: list[str], from_block: int, to_block: int
) -> list[dict[str, Any]]:
    """Every log of ``address`` with one of ``topic0``, in chain order, in ranges a node accepts."""
    out: list[dict[str, Any]] = []
    start, chunk = from_block, LOG_CHUNK
    while start <= to_block:
        end = min(start + chunk - 1, to_block)
        reply = rpc_request(
            w3,
            "eth_getLogs",
            [
                {
                    "address": address,
                    "topics": [topic0],
                    "fromBlock": hex(start),
                    "toBlock": hex(end),
                }
            ],
        )
        if "error" in reply:
            if chunk == 1:
                raise RuntimeError(f"eth_getLogs failed: {reply['error'].get('message', reply)}")
            chunk //= 2
            continue
        out += reply["result"]
        start = end + 1
    return out


def role_holders(w3: Web3, address: str, from_block: int, to_block: int) -> dict[bytes, set[str]]:
    """Who holds which role, rebuilt from the contract's RoleGranted/RoleRevoked events."""
    holders: dict[bytes, set[str]] = defaultdict(set)
    logs = get_logs(w3, address, [ROLE_GRANTED, ROLE_REVOKED], from_block, to_block)
    for log in sorted(logs, key=lambda x: (int(x["blockNumber"], 16), int(x["logIndex"], 16))):
        role = bytes.fromhex(log["topics"][1][2:])
        account = Web3.to_checksum_address("0x" + log["topics"][2][-40:])
        if log["topics"][0] == ROLE_GRANTED:
            holders[role].add(account)
        else:
            holders[role].discard(account)
    return {r: h for r, h in holders.items() if h}


class Verifier:
    def __init__(self, w3: Web3, manifest: Manifest, build_dir: Path) -> None:
        self.w3 = w3
        self.m = manifest
        self.build_dir = build_dir
        self.findings: list[Finding] = []
        self.artifacts: dict[str, Artifact] = {}
        self.batch = web3_batch(w3)
        self.config = DeployConfig.model_validate(manifest.config) if manifest.config else None

    def _add(self, ok: bool, what: str, detail: str = "") -> bool:
        self.findings.append(Finding(ok=ok, what=what, detail=detail))
        return ok

    def records(self) -> dict[str, DeployedContract]:
        out = dict(self.m.contracts)
        out.update(self.m.tokens)
        if self.m.timelock is not None:
            out[TIMELOCK] = self.m.timelock
        return out

    # ------------------------------------------------------------------ checks

    def run(self) -> list[Finding]:
        chain_id = self.w3.eth.chain_id
        if not self._add(
            chain_id == self.m.chain_id,
            "chain id",
            f"manifest {self.m.chain_id}, node {chain_id}",
        ):
            return self.findings
        if self.config is None:
            self._add(False, "configuration", "the manifest records no deployment configuration")
            return self.findings
        missing = [n for n in PROTOCOL if n not in self.m.contracts]
        if not self._add(not missing, "protocol contracts", ", ".join(missing) or "all 7 listed"):
            return self.findings
        latest = self.w3.eth.block_number
        records = self.records()
        for name in records:
            try:
                self.artifacts[name] = load_artifact(name, self.build_dir)
            except ValueError as exc:
                self._add(False, f"{name} build", str(exc))
        if any(not f.ok for f in self.findings):
            return self.findings
        for name, record in records.items():
            self.check_code(name, record)
            self.check_args(name, record)
        self.check_role_table()
        for name, record in records.items():
            self.check_roles(name, record, latest)
        self.check_link(latest)
        self.check_config()
        return self.findings

    def bound(self, name: str, address: str) -> Contract:
        return self.w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=self.artifacts[name].abi
        )

    def check_code(self, name: str, record: DeployedContract) -> None:
        address = Web3.to_checksum_address(record.address)
        code = bytes(self.w3.eth.get_code(address))
        if not code:
            self._add(False, f"{name} code", f"no code at {address}")
            return
        expected = self.rebuilt_code(self.artifacts[name], record)
        self._add(
            code == expected,
            f"{name} code",
            f"{len(code):,} bytes, as built in {self.build_dir}"
            if code == expected
            else f"{len(code):,} bytes on chain differ from the {len(expected):,} the build gives",
        )

    def rebuilt_code(self, artifact: Artifact, record: DeployedContract) -> bytes:
        """The runtime code the build's constructor returns for the recorded arguments."""
        call: dict[str, Any] = {
            "from": self.m.deployer,
            "data": "0x" + artifact.bytecode + record.args.removeprefix("0x"),
        }
        params: list[Any] = [call, "latest"]
        if record.nonce is not None:
            # same sender and nonce: address(this) in the constructor is the deployed address (EIP712
            # keeps it, and the domain separator, in immutables); that address is emptied for the
            # call, or the node refuses the creation (CreateCollision) and the code would differ
            params.append({
                self.m.deployer: {"nonce": hex(record.nonce)},
                Web3.to_checksum_address(record.address): {"code": "0x", "nonce": "0x0", "state": {}},
            })  # fmt: skip
        reply = rpc_request(self.w3, "eth_call", params)
        if "error" in reply and len(params) == 3:  # a node without state overrides
            reply = rpc_request(self.w3, "eth_call", params[:2])
        if "error" in reply:
            return b""
        return bytes.fromhex(str(reply["result"])[2:])

    def expected_args(self, name: str) -> tuple[Any, ...] | None:
        assert self.config is not None
        if name == TIMELOCK:
            return None if self.config.timelock is None else timelock_args(self.config.timelock)
        addresses = {n: r.address for n, r in self.m.contracts.items()}
        return constructor_args(name, addresses, self.m.deployer, self.config)

    def check_args(self, name: str, record: DeployedContract) -> None:
        args = self.expected_args(name)
        if args is None:
            self._add(False, f"{name} constructor", "the configuration has no timelock section")
            return
        expected = encode_constructor_args(self.w3, self.artifacts[name], args)
        self._add(
            record.args.lower() == expected.lower(),
            f"{name} constructor",
            "arguments match the manifest's addresses and configuration"
            if record.args.lower() == expected.lower()
            else f"recorded {record.args[:74]}..., expected {expected[:74]}...",
        )

    def check_role_table(self) -> None:
        assert self.config is not None
        addresses = {n: r.address for n, r in self.m.contracts.items()}
        plan = planned_roles(self.config, addresses, self.m.deployer, self.m.admin)
        if self.m.timelock is not None and self.config.timelock is not None:
            plan.update(timelock_roles(self.config.timelock, self.m.timelock.address))
        diff = sorted(
            k for k in {*plan, *self.m.roles} if plan.get(k, []) != self.m.roles.get(k, [])
        )
        self._add(
            not diff,
            "role table",
            "as the configuration calls for"
            if not diff
            else f"differs from the configuration at {', '.join(diff)}",
        )

    def check_roles(self, name: str, record: DeployedContract, latest: int) -> None:
        expected: dict[bytes, tuple[str, set[str]]] = {}
        for key, holders in self.m.roles.items():
            owner, role_name = key.split(".")
            if owner == name:
                expected[role_id(role_name)] = (role_name, set(holders))
        on_chain = role_holders(self.w3, record.address, record.block, latest)
        contract = self.bound(name, record.address)
        for role, (role_name, want) in sorted(expected.items(), key=lambda x: x[1][0]):
            got = on_chain.get(role, set())
            has = call_many(self.batch, contract, "hasRole", [(role, h) for h in sorted(want)])
            ok = got == want and all(has)
            detail = f"{len(want)} holder(s)" if ok else _holder_diff(want, got)
            self._add(ok, f"{name}.{role_name}", detail)
        for role in set(on_chain) - set(expected):
            self._add(False, f"{name} role 0x{role.hex()[:8]}", f"held by {sorted(on_chain[role])}")

    def check_link(self, latest: int) -> None:
        """The links without getters, by their last on-chain record (the setter's event)."""
        links = (
            (
                "ReductionRequests",
                "forecasting",
                FORECASTING_SET,
                "ForecastingSet",
                "LoadForecasting",
            ),
            ("LoadForecasting", "stability", STABILITY_SET, "StabilitySet", "GridStability"),
            ("GridStability", "responder", RESPONDER_SET, "ResponderSet", "BalancingActions"),
        )
        for owner, field, topic, event, target in links:
            record = self.m.contracts[owner]
            logs = get_logs(self.w3, record.address, [topic], record.block, latest)
            got = Web3.to_checksum_address("0x" + logs[-1]["topics"][1][-40:]) if logs else None
            want = self.m.contracts[target].address
            self._add(
                got == want and self.m.links.get(f"{owner}.{field}") == want,
                f"{owner}.{field}",
                f"last {event}: {got}, {target}: {want}",
            )

    def check_config(self) -> None:
        assert self.config is not None
        regions = self.bound("RegionRegistry", self.m.contracts["RegionRegistry"].address)
        escrow = self.bound("IncentiveEscrow", self.m.contracts["IncentiveEscrow"].address)
        ids = [r.id for r in self.config.regions]
        for region, exists in zip(
            ids, call_many(self.batch, regions, "regionExists", [(i,) for i in ids]), strict=True
        ):
            self._add(exists, f"region {region} exists")
        tokens = [*self.config.tokens, *(r.address for r in self.m.tokens.values())]
        for token, allowed in zip(
            tokens,
            call_many(self.batch, escrow, "isTokenAllowed", [(t,) for t in tokens]),
            strict=True,
        ):
            self._add(allowed, f"token {token} allowed")


def _holder_diff(want: set[str], got: set[str]) -> str:
    parts = []
    if want - got:
        parts.append(f"missing {sorted(want - got)}")
    if got - want:
        parts.append(f"unexpected {sorted(got - want)}")
    return "; ".join(parts) or "hasRole disagrees with the events"


def verify_deployment(w3: Web3, manifest: Manifest, build_dir: Path) -> list[Finding]:
    """Every check, in order; the deployment is sound when every finding is ok."""
    return Verifier(w3, manifest, build_dir).run()
