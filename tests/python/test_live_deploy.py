"""Deployment to a "live" network, end to end through the README's operator commands
(``python -m oracles.ops.run scripts/...``; SPECIFICATION.md §10, OP-1..OP-8).

A second Anvil plays Energy Web Volta: chain id 73799, London rules (no PUSH0), registered with
``brownie networks add`` as a non-development network in a private Brownie home. The deployer is
a fresh keystore account funded by a transfer. The tests run in order on one chain: deploy, verify,
re-run, tampering caught, handover to a timelock, the timelock in use, reads with ``cast``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from web3 import Web3

from oracles.chain.anvil import PROJECT_ROOT, Anvil, rpc_call, start_anvil
from oracles.chain.client import ChainClient
from oracles.chain.rpc import connect
from oracles.chain.signers import KeystoreSigner, NodeSigner
from oracles.ops.deploy import ADMIN_ROLES, TIMELOCK, ZERO_ADDRESS
from oracles.ops.verify import role_id
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.manifest import ACCESS_CONTROLLED, PROTOCOL, Manifest
from oracles.protocol.profiles import PROFILES

VOLTA = 73_799
NETWORK = "gb-live-test"
PASSWORD = "correct horse battery staple"
MIN_DELAY = 3_600
BIN = Path(sys.executable).parent
CAST = PROJECT_ROOT / "node_modules" / ".bin" / "cast"
# the operator commands of the README: `brownie run` itself fails in a folder with a dot in its
# path (eth-brownie 1.22.2; see oracles/ops/run.py)
RUN = [sys.executable, "-m", "oracles.ops.run"]
# the tests build on each other, in order, on one chain (the `live` fixture): under pytest-xdist
# (`make test-python`, --dist loadgroup) one worker runs them all, in this order
pytestmark = pytest.mark.xdist_group("live_deploy")


@dataclass
class Live:
    anvil: Anvil
    w3: Web3
    env: dict[str, str]
    tmp: Path
    deployer: LocalAccount
    proposer: LocalAccount
    config: dict[str, object]

    @property
    def manifest_path(self) -> Path:
        return self.tmp / "manifest.json"

    def manifest(self) -> Manifest:
        return Manifest.load(self.manifest_path)

    def run(self, script: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*RUN, script, *args, "--network", NETWORK],
            cwd=PROJECT_ROOT,
            env={**self.env, **env},
            stdin=subprocess.DEVNULL,  # no terminal: the handover's confirmation needs --yes
            capture_output=True,
            text=True,
            timeout=300,
        )

    def contract(self, name: str) -> object:
        from oracles.protocol.artifacts import load_artifact

        m = self.manifest()
        record = m.timelock if name == TIMELOCK else m.contracts[name]
        assert record is not None
        abi = load_artifact(name, PROFILES["london"].build_dir).abi
        return self.w3.eth.contract(address=Web3.to_checksum_address(record.address), abi=abi)


def _fresh_addresses(n: int) -> list[str]:
    return [Account.create().address for _ in range(n)]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    if not (PROFILES["london"].build_dir / "RegionRegistry.json").exists():
        pytest.fail("the london build is missing: run 'make compile-london' (make test does)")
    tmp = tmp_path_factory.mktemp("live")
    home = tmp / "home"
    home.mkdir()
    solcx = os.environ.get("SOLCX_BINARY_PATH") or str(Path.home() / ".solcx")
    env = {
        **os.environ,
        "HOME": str(home),  # a private ~/.brownie: the developer's network list is not touched
        "SOLCX_BINARY_PATH": solcx,
        "PATH": f"{BIN}:{PROJECT_ROOT / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}",
    }
    for key in ("GRIDBALANCE_PROFILE", "GRIDBALANCE_KEYSTORE", "GRIDBALANCE_MANIFEST"):
        env.pop(key, None)
    with start_anvil(chain_id=VOLTA, hardfork="london", accounts=2) as anvil:
        added = subprocess.run(
            [str(BIN / "brownie"), "networks", "add", "EnergyWeb", NETWORK,
             f"host={anvil.url}", f"chainid={VOLTA}"],
            env=env, capture_output=True, text=True, cwd=tmp,
        )  # fmt: skip
        assert added.returncode == 0, added.stdout + added.stderr
        deployer, proposer = Account.create(), Account.create()
        keystore = tmp / "deployer.json"
        keystore.write_text(json.dumps(Account.encrypt(deployer.key, PASSWORD, iterations=2)))
        w3 = connect(anvil.url)
        funder = w3.eth.accounts[0]
        for who in (deployer.address, proposer.address):  # a plain transfer, as on a testnet
            tx = w3.eth.send_transaction({"from": funder, "to": who, "value": 10**20})
            assert w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        verifiers = _fresh_addresses(3)
        config: dict[str, object] = {
            "regions": [
                {"id": 1, "name": "Volta test", "capacity_kw": 900_000, "utc_offset_minutes": 60}
            ],
            "verifiers": verifiers,
            "threshold": 2,
            "meter_oracles": _fresh_addresses(1),
            "weather_oracles": _fresh_addresses(1),
            "forecast_oracles": _fresh_addresses(1),
            "grid_oracles": _fresh_addresses(1),
            "keepers": _fresh_addresses(1),
            "root_proposers": _fresh_addresses(1),
            "challenge_window_seconds": 3_600,
            "arbiters": _fresh_addresses(1),
            "pausers": _fresh_addresses(1),
            "deploy_test_token": True,
            "timelock": {
                "min_delay_seconds": MIN_DELAY,
                "proposers": [proposer.address],
                "executors": [ZERO_ADDRESS],
            },
        }
        (tmp / "volta.json").write_text(json.dumps(config))
        env.update(
            GRIDBALANCE_DEPLOY_CONFIG=str(tmp / "volta.json"),
            GRIDBALANCE_KEYSTORE=str(keystore),
            GRIDBALANCE_KEYSTORE_PASSWORD=PASSWORD,
            GRIDBALANCE_MANIFEST=str(tmp / "manifest.json"),
        )
        yield Live(anvil, w3, env, tmp, deployer, proposer, config)


def _ok(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.stdout


def _error_line(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 1, run.stdout[-2000:] + run.stderr[-2000:]
    return run.stderr.strip().splitlines()[-1]


def test_deploy__keystore_account_on_a_london_chain__manifest_records_the_deployment(
    live: Live,
) -> None:
    """OP-1, OP-2, OP-3: deployed by the keystore account with the london build."""
    out = _ok(live.run("scripts/deploy.py"))
    assert f"chain {VOLTA}" in out and "london build" in out
    m = live.manifest()
    assert m.chain_id == VOLTA and m.profile == "london"
    assert m.compiler["evm_version"] == "london"
    assert m.deployer == m.admin == live.deployer.address
    assert set(m.contracts) == set(PROTOCOL) and set(m.tokens) == {"MockStablecoin"}
    for record in m.contracts.values():
        receipt = live.w3.eth.get_transaction_receipt(record.tx_hash)
        assert receipt["from"] == live.deployer.address
        assert (
            receipt["contractAddress"] == record.address and receipt["blockNumber"] == record.block
        )
    assert m.roles["ReductionRequests.KEEPER_ROLE"] == live.config["keepers"]
    assert m.roles["OptimisticSettlement.PROPOSER_ROLE"] == live.config["root_proposers"]
    assert m.roles["ReductionRequests.OPTIMISTIC_ROLE"] == [
        m.contracts["OptimisticSettlement"].address
    ]
    assert m.roles["IncentiveEscrow.PAUSER_ROLE"] == [
        live.deployer.address,
        *live.config["pausers"],
    ]  # type: ignore[misc]
    assert len(m.commit) == 40


def test_verify__a_fresh_deployment_passes_every_check(live: Live) -> None:
    """OP-4: bytecode, wiring and role holders match the manifest."""
    out = _ok(live.run("scripts/verify_deployment.py"))
    lines = [x for x in out.splitlines() if x.startswith(("ok  ", "FAIL"))]
    assert lines and all(x.startswith("ok  ") for x in lines), out
    for name in (*PROTOCOL, "MockStablecoin"):
        assert any(x.startswith(f"ok   {name} code: ") for x in lines)
        assert any(x.startswith(f"ok   {name} constructor: ") for x in lines)
    assert "ok   ReductionRequests.forecasting" in out
    assert f"{len(lines)} of {len(lines)} checks passed" in out


def test_rerun__deploys_and_sends_nothing(live: Live) -> None:
    """OP-2: a re-run confirms; no second copy, not one transaction."""
    before = live.manifest()
    nonce = live.w3.eth.get_transaction_count(live.deployer.address)
    out = _ok(live.run("scripts/deploy.py"))
    assert out.splitlines()[-1] == "already deployed, 0 transactions sent"
    after = live.manifest()
    assert after.contracts == before.contracts and after.roles == before.roles
    assert live.w3.eth.get_transaction_count(live.deployer.address) == nonce
    assert all(rec.address in out for rec in after.contracts.values())


def test_verify__an_unexpected_role_holder_or_a_wrong_address_fails(live: Live) -> None:
    """OP-4: verify exits non-zero on any mismatch, and names it."""
    deployer = ChainClient(live.w3, KeystoreSigner(live.deployer), decoder=ErrorDecoder())
    meter = live.contract("MeterData")
    stranger = Account.create().address
    role = role_id("METER_ORACLE_ROLE")
    deployer.transact(meter.functions.grantRole(role, stranger), "grant a stranger")  # type: ignore[attr-defined]
    run = live.run("scripts/verify_deployment.py")
    assert run.returncode == 1
    assert f"FAIL MeterData.METER_ORACLE_ROLE: unexpected ['{stranger}']" in run.stdout
    assert _error_line(run) == "error: 1 check(s) failed"
    deployer.transact(meter.functions.revokeRole(role, stranger), "revoke it")  # type: ignore[attr-defined]
    _ok(live.run("scripts/verify_deployment.py"))

    # a manifest that points MeterData at another contract's address
    tampered = live.manifest()
    real = tampered.contracts["MeterData"]
    tampered.contracts["MeterData"] = real.model_copy(
        update={"address": tampered.contracts["RegionRegistry"].address}
    )
    tampered.save(live.tmp / "tampered.json")
    run = live.run(
        "scripts/verify_deployment.py", GRIDBALANCE_MANIFEST=str(live.tmp / "tampered.json")
    )
    assert run.returncode == 1
    assert "FAIL MeterData code" in run.stdout
    assert "FAIL ReductionRequests constructor" in run.stdout  # wired to the real MeterData


def test_handover__without_a_terminal_or_yes__refused_and_nothing_sent(live: Live) -> None:
    """OP-5: the handover asks first; with no terminal to ask on it needs --yes."""
    nonce = live.w3.eth.get_transaction_count(live.deployer.address)
    before = live.manifest()
    run = live.run("scripts/handover.py", "main", "timelock")
    assert _error_line(run) == (
        "error: this needs a confirmation and there is no terminal to ask it on: pass --yes"
    )
    assert live.w3.eth.get_transaction_count(live.deployer.address) == nonce
    assert live.manifest() == before


def test_handover__to_a_timelock__the_deployer_keeps_no_role(live: Live) -> None:
    """OP-5: grant, verify, renounce; the timelock administers everything."""
    out = _ok(live.run("scripts/handover.py", "main", "timelock", "--yes"))
    m = live.manifest()
    assert m.timelock is not None and m.admin == m.timelock.address
    assert "holds no role on any protocol contract" in out
    me = live.deployer.address
    for name in ACCESS_CONTROLLED:
        c = live.contract(name)
        roles = [
            i["name"] for i in c.abi if i.get("type") == "function" and i["name"].endswith("_ROLE")
        ]  # type: ignore[attr-defined]
        assert "DEFAULT_ADMIN_ROLE" in roles
        for role_name in roles:
            assert not c.functions.hasRole(role_id(role_name), me).call(), f"{name}.{role_name}"  # type: ignore[attr-defined]
        for role_name in ADMIN_ROLES:
            if f"{name}.{role_name}" in m.roles:
                assert c.functions.hasRole(role_id(role_name), m.admin).call()  # type: ignore[attr-defined]
    assert m.roles["IncentiveEscrow.PAUSER_ROLE"] == live.config["pausers"]
    # the record is still true to the chain; a re-run is a check that sends nothing, and the
    # deployer cannot hand over a second time to someone else
    _ok(live.run("scripts/verify_deployment.py"))
    nonce = live.w3.eth.get_transaction_count(me)
    _ok(live.run("scripts/handover.py", "main", "timelock"))  # a check: nothing to confirm
    assert live.w3.eth.get_transaction_count(me) == nonce and live.manifest() == m
    other = Account.create().address
    again = live.run("scripts/handover.py", "main", other)
    assert _error_line(again) == f"error: the admin roles are already with {m.admin}"


def test_handover__the_timelock_acts_after_its_delay_and_the_deployer_cannot(live: Live) -> None:
    """OP-5: the new admin works; the old one is refused by the contract."""
    m = live.manifest()
    escrow, timelock = live.contract("IncentiveEscrow"), live.contract(TIMELOCK)
    newcomer = Account.create().address
    grant = escrow.functions.grantRole(role_id("PAUSER_ROLE"), newcomer)  # type: ignore[attr-defined]
    data = bytes.fromhex(grant._encode_transaction_data()[2:])
    salt = b"\x01" * 32
    deployer = ChainClient(live.w3, KeystoreSigner(live.deployer), decoder=ErrorDecoder())
    with pytest.raises(Exception, match="AccessControlUnauthorizedAccount"):
        deployer.transact(grant, "deployer grants")
    proposer = ChainClient(live.w3, KeystoreSigner(live.proposer), decoder=ErrorDecoder())
    args = (escrow.address, 0, data, b"\x00" * 32, salt)  # type: ignore[attr-defined]
    proposer.transact(timelock.functions.schedule(*args, MIN_DELAY), "schedule")  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="TimelockUnexpectedOperationState"):
        proposer.transact(timelock.functions.execute(*args), "execute too early")  # type: ignore[attr-defined]
    rpc_call(live.anvil.url, "evm_increaseTime", [MIN_DELAY])
    rpc_call(live.anvil.url, "evm_mine", [])
    anyone = ChainClient(live.w3, NodeSigner(live.w3.eth.accounts[1]))  # executor: the zero address
    anyone.transact(timelock.functions.execute(*args), "execute")  # type: ignore[attr-defined]
    assert escrow.functions.hasRole(role_id("PAUSER_ROLE"), newcomer).call()  # type: ignore[attr-defined]
    # the chain now has a holder the manifest does not list: verify says so
    run = live.run("scripts/verify_deployment.py")
    assert f"FAIL IncentiveEscrow.PAUSER_ROLE: unexpected ['{newcomer}']" in run.stdout
    assert m.timelock is not None


def test_cast__reads_the_deployment_outside_python(live: Live) -> None:
    """OP-8: the contracts are plain EVM contracts: Foundry's cast reads them."""
    m = live.manifest()

    def cast(*args: str) -> str:
        out = subprocess.run(
            [str(CAST), *args, "--rpc-url", live.anvil.url],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        return out.stdout.strip()

    assert cast("chain-id") == str(VOLTA)
    regions = m.contracts["RegionRegistry"].address
    assert cast("call", regions, "regionExists(uint16)(bool)", "1") == "true"
    assert cast("call", regions, "regionExists(uint16)(bool)", "2") == "false"
    utilities = m.contracts["UtilityRegistry"].address
    verifier = live.config["verifiers"][0]  # type: ignore[index]
    role = cast("call", utilities, "VERIFIER_ROLE()(bytes32)")
    assert role == "0x" + role_id("VERIFIER_ROLE").hex()
    assert cast("call", utilities, "hasRole(bytes32,address)(bool)", role, verifier) == "true"
    admin = "0x" + "00" * 32
    escrow = m.contracts["IncentiveEscrow"].address
    assert cast("call", escrow, "hasRole(bytes32,address)(bool)", admin, m.admin) == "true"
    assert cast("call", escrow, "hasRole(bytes32,address)(bool)", admin, m.deployer) == "false"
    assert cast("code", regions) == "0x" + bytes(live.w3.eth.get_code(regions)).hex()


def test_refusals__dev_key_missing_keystore_plaintext_key_and_cancun_build(live: Live) -> None:
    """OP-3, OP-6: what a live network refuses, each with one line and exit status 1."""
    dev = Account.from_key(
        "0x" + "ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80"
    )
    dev_keystore = live.tmp / "dev.json"
    dev_keystore.write_text(json.dumps(Account.encrypt(dev.key, PASSWORD, iterations=2)))
    fresh_manifest = str(live.tmp / "other.json")
    line = _error_line(
        live.run(
            "scripts/deploy.py",
            GRIDBALANCE_KEYSTORE=str(dev_keystore),
            GRIDBALANCE_MANIFEST=fresh_manifest,
        )
    )
    assert "well-known development account" in line and dev.address in line

    no_keystore = {k: v for k, v in live.env.items() if k != "GRIDBALANCE_KEYSTORE"}
    run = subprocess.run(
        [*RUN, "scripts/deploy.py", "--network", NETWORK],
        cwd=PROJECT_ROOT, env={**no_keystore, "GRIDBALANCE_MANIFEST": fresh_manifest},
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert "set GRIDBALANCE_KEYSTORE" in _error_line(run)

    plaintext = {**live.config, "private_key": "0x" + "11" * 32}
    (live.tmp / "plain.json").write_text(json.dumps(plaintext))
    line = _error_line(
        live.run(
            "scripts/deploy.py",
            GRIDBALANCE_DEPLOY_CONFIG=str(live.tmp / "plain.json"),
            GRIDBALANCE_MANIFEST=fresh_manifest,
        )
    )
    assert "'private_key' holds key material in plaintext" in line

    line = _error_line(
        live.run(
            "scripts/deploy.py", GRIDBALANCE_PROFILE="cancun", GRIDBALANCE_MANIFEST=fresh_manifest
        )
    )
    assert f"chain {VOLTA} has no PUSH0" in line
    assert not Path(fresh_manifest).exists()  # nothing was deployed by any refused run
