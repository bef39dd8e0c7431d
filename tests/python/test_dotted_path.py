"""The operator scripts run from a clone whose path has a dot in it (``/Users/john.doe/...``).

eth-brownie 1.22.2's ``brownie run`` turns the script's absolute path into a dotted module name,
so it fails in such a folder (``No module named '...john'``); the README's operator commands go
through ``python -m oracles.ops.run`` instead (see oracles/ops/run.py). These tests copy the
working tree's files that a deployment needs (the ``oracles`` package, ``scripts/``, ``deploy/``,
``contracts/``, ``tests/contracts/``, ``brownie-config.yaml``, the cancun build, ``node_modules`` as a link) under a
dotted folder, import ``oracles`` from the copy, and deploy and verify from there on their own Anvil.
"""

from __future__ import annotations

import os
import random
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from web3 import Web3

from oracles.chain.anvil import PROJECT_ROOT, Anvil, start_anvil
from oracles.chain.rpc import connect
from oracles.ops.run import ScriptError, find_script, load_script, module_name
from oracles.protocol.manifest import PROTOCOL, Manifest

BIN = Path(sys.executable).parent
COPIED = (
    "oracles",
    "scripts",
    "deploy",
    "contracts",
    "tests/contracts",
    "build/contracts",
    "build/interfaces",
)
IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc")
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # Brownie colours its output even into a pipe


def _copy_project(dest: Path) -> Path:
    """The files a deployment needs, copied from this working tree (not a git clone: the test
    checks the code as it is now). Brownie writes into the copy's build/, never into ours."""
    dest.mkdir(parents=True)
    shutil.copy2(PROJECT_ROOT / "brownie-config.yaml", dest)
    for name in COPIED:
        shutil.copytree(PROJECT_ROOT / name, dest / name, ignore=IGNORED, symlinks=True)
    (dest / "node_modules").symlink_to(PROJECT_ROOT / "node_modules")  # read only: remappings
    return dest


@dataclass
class Clone:
    root: Path
    anvil: Anvil
    env: dict[str, str]

    def run(self, *command: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*command, "--network", "development"],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def operator(self, script: str) -> subprocess.CompletedProcess[str]:
        """The README's operator command."""
        return self.run(sys.executable, "-m", "oracles.ops.run", script)


@pytest.fixture(scope="module")
def anvil() -> Iterator[Anvil]:
    with start_anvil(chain_id=random.randint(100_000, 2**31 - 1), base_fee=0) as chain:
        yield chain


def _clone(base: Path, anvil: Anvil) -> Clone:
    root = _copy_project(base / "gb")
    home = base / "home"  # a private ~/.brownie whose development network is our Anvil
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "SOLCX_BINARY_PATH": os.environ.get("SOLCX_BINARY_PATH") or str(Path.home() / ".solcx"),
        "PATH": f"{BIN}:{PROJECT_ROOT / 'node_modules' / '.bin'}:{os.environ.get('PATH', '')}",
        "PYTHONPATH": str(root),  # `oracles` from the copy (ahead of the editable install)
    }
    for key in ("GRIDBALANCE_PROFILE", "GRIDBALANCE_KEYSTORE", "GRIDBALANCE_MANIFEST"):
        env.pop(key, None)
    env["GRIDBALANCE_DEPLOY_CONFIG"] = str(root / "deploy" / "development.json")
    modified = subprocess.run(
        [str(BIN / "brownie"), "networks", "modify", "development",
         f"host=http://{anvil.host}", f"port={anvil.port}"],
        cwd=base, env=env, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert modified.returncode == 0, modified.stdout + modified.stderr
    return Clone(root, anvil, env)


@pytest.fixture(scope="module")
def dotted(tmp_path_factory: pytest.TempPathFactory, anvil: Anvil) -> Clone:
    if not (PROJECT_ROOT / "build" / "contracts" / "RegionRegistry.json").exists():
        pytest.fail("the cancun build is missing: run 'make compile' (make test does)")
    return _clone(tmp_path_factory.mktemp("dotted") / "john.doe", anvil)


def _ok(run: subprocess.CompletedProcess[str]) -> str:
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return ANSI.sub("", run.stdout)


@pytest.fixture(scope="module")
def deployed(dotted: Clone) -> tuple[str, Path]:
    """`python -m oracles.ops.run scripts/deploy.py` from the dotted folder: output, manifest."""
    out = _ok(dotted.operator("scripts/deploy.py"))
    return out, dotted.root / "deployments" / f"{dotted.anvil.chain_id}.json"


def test_deploy__from_a_dotted_folder__writes_the_manifest_there_and_the_code_is_on_chain(
    dotted: Clone, deployed: tuple[str, Path]
) -> None:
    """OP-1 from /…/john.doe/gb: the copy's own package deploys and records the deployment."""
    assert "." in dotted.root.parent.name
    out, manifest_path = deployed
    assert "Running 'scripts/deploy.py::main'" in out
    assert f"deploying to development (chain {dotted.anvil.chain_id})" in out
    assert f"manifest: {manifest_path}" in out  # oracles ran from the dotted copy
    m = Manifest.load(manifest_path)
    assert m.chain_id == dotted.anvil.chain_id and m.profile == "cancun"
    assert set(m.contracts) == set(PROTOCOL)
    w3 = connect(dotted.anvil.url)
    for name, record in m.contracts.items():
        code = w3.eth.get_code(Web3.to_checksum_address(record.address))
        assert len(code) > 100, f"{name} has no code at {record.address}"


def test_verify__from_a_dotted_folder__every_check_passes(
    dotted: Clone, deployed: tuple[str, Path]
) -> None:
    """OP-4 from the same folder: bytecode, wiring and roles match the manifest."""
    out = _ok(dotted.operator("scripts/verify_deployment.py"))
    lines = [x for x in out.splitlines() if x.startswith(("ok  ", "FAIL"))]
    assert len(lines) > len(PROTOCOL) and all(x.startswith("ok  ") for x in lines), out
    assert f"{len(lines)} of {len(lines)} checks passed for {deployed[1]}" in out


def test_brownie_run__from_the_dotted_folder__is_the_bug_the_runner_avoids(dotted: Clone) -> None:
    """Why the README does not say `brownie run`. Should this fail after a Brownie upgrade,
    `brownie run` works from dotted folders again, and the README may say it again."""
    run = dotted.run(str(BIN / "brownie"), "run", "scripts/verify_deployment.py")
    assert run.returncode != 0
    assert "ModuleNotFoundError" in ANSI.sub("", run.stdout + run.stderr)


def test_brownie_run__from_a_folder_without_a_dot__still_runs_the_scripts(
    tmp_path_factory: pytest.TempPathFactory, anvil: Anvil, deployed: tuple[str, Path]
) -> None:
    """The scripts stay Brownie scripts: `brownie run` verifies the same deployment."""
    base = tmp_path_factory.mktemp("plain")
    if "." in str(base):
        pytest.skip(f"pytest's temporary folder {base} has a dot in it")
    plain = _clone(base, anvil)
    manifest = deployed[1]
    plain.env["GRIDBALANCE_MANIFEST"] = str(manifest)
    out = _ok(plain.run(str(BIN / "brownie"), "run", "scripts/verify_deployment.py"))
    assert "Running 'scripts/verify_deployment.py::main'" in out
    assert f"checks passed for {manifest}" in out and "FAIL" not in out


def test_runner__finds_and_loads_a_script_under_a_dotted_root(tmp_path: Path) -> None:
    """The script is found as `brownie run` finds it and imported from its file, as scripts.<name>."""
    root = tmp_path / "john.doe" / "gb"
    (root / "scripts").mkdir(parents=True)
    (root / "scripts" / "hello.py").write_text("def main(who='world'):\n    return f'hi {who}'\n")
    script = (root / "scripts" / "hello.py").resolve()
    assert find_script("scripts/hello.py", root) == find_script("hello", root) == script
    with pytest.raises(ScriptError, match="Cannot find nope"):
        find_script("nope", root)
    assert module_name(script, root) == "scripts.hello"
    assert module_name(script, None) == "_brownie_script_hello"
    module = load_script(script, "scripts.hello")
    try:
        assert module.main("john.doe") == "hi john.doe" and sys.modules["scripts.hello"] is module
    finally:
        del sys.modules["scripts.hello"]
