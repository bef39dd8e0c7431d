"""Contract build artifacts written by `brownie compile` (build/contracts/<Name>.json)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from oracles.protocol.profiles import active_profile

# the active build profile's artifacts (build/contracts unless $GRIDBALANCE_PROFILE says otherwise)
DEFAULT_BUILD_DIR = active_profile().build_dir
M = TypeVar("M", bound=BaseModel)


class ArtifactError(ValueError):
    """A build artifact is missing or malformed."""


class Artifact(BaseModel):
    """The fields of a Brownie build artifact that deployment and clients need."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)

    contract_name: str = Field(alias="contractName", min_length=1)
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str = Field(alias="deployedBytecode")
    compiler: dict[str, Any] = Field(default_factory=dict)

    @field_validator("bytecode", "deployed_bytecode")
    @classmethod
    def _hex(cls, value: str) -> str:
        body = value.removeprefix("0x")
        if len(body) % 2 or any(c not in "0123456789abcdefABCDEF" for c in body):
            raise ValueError("not a hex string (unlinked library placeholder?)")
        return body

    @property
    def deployable(self) -> bool:
        return bool(self.bytecode)


def load_json_model(path: Path, model: type[M], error: type[Exception], missing: str) -> M:
    """Load ``path`` as JSON into ``model``; raise ``error`` with one line naming the file and field."""
    if not path.exists():
        raise error(f"{path}: {missing}")
    try:
        return model.model_validate(json.loads(path.read_text()))
    except json.JSONDecodeError as exc:
        raise error(f"{path}: invalid JSON at line {exc.lineno}: {exc.msg}") from exc
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "<root>"
        raise error(f"{path}: field '{field}': {first['msg']}") from exc


# artifacts already read in this process, by file and its (mtime, size): a process that opens the
# protocol many times (the CLI commands run in-process by the tests) parses each file once
_LOADED: dict[tuple[Path, int, int], Artifact] = {}


def load_artifact(name: str, build_dir: Path = DEFAULT_BUILD_DIR) -> Artifact:
    """Load and validate ``<build_dir>/<name>.json``; raise :class:`ArtifactError` with the reason.
    A file unchanged since it was last read here is not parsed again."""
    path = build_dir / f"{name}.json"
    try:
        st = path.stat()
    except OSError:
        st = None
    key = (path.resolve(), st.st_mtime_ns, st.st_size) if st is not None else None
    if key is not None and key in _LOADED:
        return _LOADED[key]
    artifact = load_json_model(
        path, Artifact, ArtifactError, "not found (run 'make compile' / 'brownie compile')"
    )
    if key is not None:
        _LOADED[key] = artifact
    return artifact
