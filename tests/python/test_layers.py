"""The package's layout shows its architecture: imports point one way (Off-chain v2 issue, item 1).

reference <- chain <- protocol <- indexer <- agents/ops <- sim/gateway <- cli, with forecasting and ingest
beside chain (pure, on the reference only) and daemon (the watch loop, logs, metrics) beside protocol. A module may import from its own subpackage and from any lower rank;
two subpackages of the same rank never import each other.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "oracles"
RANK = {
    "reference": 0,
    "forecasting": 1,
    "ingest": 1,
    "chain": 1,
    "protocol": 2,
    "daemon": 2,
    "indexer": 3,
    "agents": 4,
    "ops": 4,
    "sim": 5,
    "gateway": 5,  # the OpenADR 3 gateway (issue 27): reads the index, served by the cli
    "cli": 6,
}


def _modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def _subpackage(path: Path) -> str:
    return path.relative_to(PACKAGE).parts[0]


def _imported_subpackages(path: Path) -> set[tuple[str, int]]:
    """Every ``oracles.<sub>`` this module imports, anywhere in it (also inside functions)."""
    found: set[tuple[str, int]] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = (
                [node.module]
                if node.module != "oracles"
                else [f"oracles.{a.name}" for a in node.names]
            )
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        for name in names:
            parts = name.split(".")
            if parts[0] == "oracles" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def test_every_module_sits_in_a_ranked_subpackage() -> None:
    top_level = [p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py"]
    assert top_level == [], "modules belong in a subpackage by concern"
    subpackages = {p.name for p in PACKAGE.iterdir() if p.is_dir() and p.name != "__pycache__"}
    assert subpackages == set(RANK)
    for sub in subpackages:
        assert (PACKAGE / sub / "__init__.py").is_file(), f"oracles/{sub} has no __init__.py"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_one_way(path: Path) -> None:
    if path.parent == PACKAGE:
        return
    own = _subpackage(path)
    for sub, line in sorted(_imported_subpackages(path)):
        assert sub in RANK, f"{path.name}:{line} imports oracles.{sub}, which is no subpackage"
        if sub == own:
            continue
        assert RANK[sub] < RANK[own], (
            f"oracles/{own}/{path.name}:{line} imports oracles.{sub}: "
            f"{own} (rank {RANK[own]}) may import only lower ranks, {sub} is rank {RANK[sub]}"
        )


def test_the_check_sees_a_wrong_import(tmp_path: Path) -> None:
    """The rule is not vacuous: an upward import in a reference module is found."""
    module = tmp_path / "bad.py"
    module.write_text("def f():\n    from oracles.chain.client import ChainClient\n")
    assert _imported_subpackages(module) == {("chain", 2)}
