"""The protocol's custom errors, decoded by name from the build's ABIs (one-line messages)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak

from oracles.chain.revert import StandardReverts
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR, ArtifactError, load_artifact


class ErrorDecoder(StandardReverts):
    """Custom-error selectors of every contract in the build, decoded to ``Name(args)``."""

    def __init__(self, build_dir: Path = DEFAULT_BUILD_DIR) -> None:
        self.errors: dict[bytes, tuple[str, list[str]]] = {}
        for path in sorted(build_dir.glob("*.json")):
            try:
                abi = load_artifact(path.stem, build_dir).abi
            except ArtifactError:
                continue
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [abi_type(i) for i in item.get("inputs", [])]
                sig = f"{item['name']}({','.join(types)})"
                self.errors[keccak(text=sig)[:4]] = (item["name"], types)

    def custom(self, raw: bytes) -> str:
        known = self.errors.get(raw[:4])
        if known is None:
            return super().custom(raw)
        name, types = known
        try:
            args = abi_decode(types, raw[4:])
        except Exception:  # malformed arguments: show the name at least
            return f"{name}(?)"
        shown = ", ".join("0x" + a.hex() if isinstance(a, bytes) else str(a) for a in args)
        return f"{name}({shown})"


def abi_type(param: dict[str, Any]) -> str:
    """The canonical ABI type of a parameter (tuples spelled out, as in a signature)."""
    t = str(param["type"])
    if t.startswith("tuple"):
        inner = ",".join(abi_type(c) for c in param["components"])
        return f"({inner}){t[5:]}"
    return t
