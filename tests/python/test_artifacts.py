"""Build artifacts are validated at the boundary, with the file and field named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from oracles.protocol.artifacts import ArtifactError, load_artifact

GOOD = {"contractName": "X", "abi": [], "bytecode": "6080", "deployedBytecode": "6080"}


def write(tmp_path: Path, name: str, body: object) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(body if isinstance(body, str) else json.dumps(body))
    return path


def test_load_artifact__valid() -> None:
    artifact = load_artifact("RegionRegistry")  # built by `make compile`
    assert artifact.contract_name == "RegionRegistry"
    assert artifact.deployable
    assert any(item.get("name") == "addRegion" for item in artifact.abi)


def test_load_artifact__missing__says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(ArtifactError, match=r"Nope.json: not found \(run 'make compile'"):
        load_artifact("Nope", tmp_path)


def test_load_artifact__invalid_json__line_reported(tmp_path: Path) -> None:
    write(tmp_path, "X", '{\n  "abi": [,\n}')
    with pytest.raises(ArtifactError, match=r"X.json: invalid JSON at line 2"):
        load_artifact("X", tmp_path)


@pytest.mark.parametrize(
    "change, field",
    [
        ({"bytecode": "60__$lib$__"}, "bytecode"),
        ({"abi": "not a list"}, "abi"),
        ({"contractName": ""}, "contractName"),
    ],
)
def test_load_artifact__bad_field__named(
    tmp_path: Path, change: dict[str, object], field: str
) -> None:
    write(tmp_path, "X", {**GOOD, **change})
    with pytest.raises(ArtifactError, match=rf"X.json: field '{field}'"):
        load_artifact("X", tmp_path)
