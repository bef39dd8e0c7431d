"""Network presets for deployment, registered with Brownie's own network commands.

Brownie 1.22.2 cannot read a ``networks:`` section from brownie-config.yaml (see
../shared/TOOLCHAIN.md), so ``make networks`` (``python -m oracles.ops.networks``) runs
``brownie networks add`` (or ``modify``, when the id exists) for every preset. Each preset's host is
an environment variable (``$SEPOLIA_RPC_URL`` ...), written literally: Brownie expands it when it
connects, so no RPC key is ever stored in ``~/.brownie``.

Each preset also names its build profile: Energy Web chains run London rules (no PUSH0).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import yaml  # type: ignore[import-untyped]
from pydantic import BaseModel, ConfigDict, Field

from oracles.protocol.profiles import ProfileName


class NetworkPreset(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: str = Field(pattern=r"^[a-z0-9-]+$")
    environment: str
    name: str
    chain_id: int
    rpc_env: str = Field(pattern=r"^[A-Z][A-Z0-9_]*$")
    explorer: str
    profile: ProfileName = "cancun"

    def brownie_fields(self) -> list[str]:
        return [
            f"host=${self.rpc_env}",
            f"chainid={self.chain_id}",
            f"explorer={self.explorer}",
            f"name={self.name}",
        ]


PRESETS: tuple[NetworkPreset, ...] = (
    NetworkPreset(
        id="gb-sepolia",
        environment="Ethereum",
        name="Sepolia (GridBalance)",
        chain_id=11_155_111,
        rpc_env="SEPOLIA_RPC_URL",
        explorer="https://api-sepolia.etherscan.io/api",
    ),
    NetworkPreset(
        id="gb-arbitrum-sepolia",
        environment="Arbitrum",
        name="Arbitrum Sepolia (GridBalance)",
        chain_id=421_614,
        rpc_env="ARBITRUM_SEPOLIA_RPC_URL",
        explorer="https://api-sepolia.arbiscan.io/api",
    ),
    NetworkPreset(
        id="gb-base-sepolia",
        environment="Base",
        name="Base Sepolia (GridBalance)",
        chain_id=84_532,
        rpc_env="BASE_SEPOLIA_RPC_URL",
        explorer="https://api-sepolia.basescan.org/api",
    ),
    NetworkPreset(
        id="gb-volta",
        environment="EnergyWeb",
        name="Energy Web Volta (GridBalance)",
        chain_id=73_799,
        rpc_env="VOLTA_RPC_URL",
        explorer="https://volta-explorer.energyweb.org/api",
        profile="london",
    ),
)

# chains whose rules predate Shanghai (no PUSH0): Energy Web Chain (246) and Volta (73799)
_LONDON_CHAINS = {246, 73_799}


def profile_for_chain(chain_id: int) -> ProfileName:
    """The build profile a chain needs: ``london`` for the Energy Web chains, else ``cancun``."""
    return "london" if chain_id in _LONDON_CHAINS else "cancun"


class NetworkSetupError(RuntimeError):
    """``brownie networks`` failed."""


def brownie_data_folder(home: Path | None = None) -> Path:
    return (home or Path.home()) / ".brownie"


def registered_networks(home: Path | None = None) -> dict[str, dict[str, object]]:
    """Every live network in Brownie's network-config.yaml, by id."""
    path = brownie_data_folder(home) / "network-config.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text()) or {}
    return {net["id"]: net for env in data.get("live", []) for net in env.get("networks", [])}


_ENV_REFERENCE = re.compile(r"\$(?:\{([A-Za-z_][A-Za-z0-9_]*)\}|([A-Za-z_][A-Za-z0-9_]*))")


def network_rpc_url(name: str, home: Path | None = None) -> str:
    """The RPC URL of Brownie network ``name`` (live or development), its ``$VARIABLES`` expanded.

    The presets store ``host=$SEPOLIA_RPC_URL`` literally (no key in ``~/.brownie``); a variable
    that is not set is an error naming it, never a URL with a ``$`` in it."""
    path = brownie_data_folder(home) / "network-config.yaml"
    if not path.exists():
        raise NetworkSetupError(
            f"--network {name}: {path} not found (run `make networks`, or `brownie networks add`)"
        )
    config = yaml.safe_load(path.read_text()) or {}
    groups = [*(config.get("live") or []), {"networks": config.get("development") or []}]
    for net in (n for group in groups for n in group.get("networks") or []):
        if net.get("id") != name or not net.get("host"):
            continue
        host = str(net["host"])
        unset = [a or b for a, b in _ENV_REFERENCE.findall(host) if not os.environ.get(a or b)]
        if unset:
            raise NetworkSetupError(
                f"--network {name}: its host is {host} and ${unset[0]} is not set "
                f"(export {unset[0]}=https://...)"
            )
        host = _ENV_REFERENCE.sub(lambda m: os.environ[m.group(1) or m.group(2)], host)
        port = (net.get("cmd_settings") or {}).get("port")
        return f"{host}:{port}" if port and host.count(":") < 2 else host
    raise NetworkSetupError(f"--network {name}: no such network in {path}")


def install(brownie: str, presets: tuple[NetworkPreset, ...] = PRESETS) -> list[str]:
    """Add (or update) every preset with ``brownie networks``; return one line per preset."""
    lines = []
    # Brownie's first run creates network-config.yaml with its defaults; read the ids after that
    subprocess.run([brownie, "networks", "list"], capture_output=True, check=False)
    for preset in presets:
        exists = preset.id in registered_networks()
        cmd = (
            [brownie, "networks", "modify", preset.id]
            if exists
            else [brownie, "networks", "add", preset.environment, preset.id]
        ) + preset.brownie_fields()
        out = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if out.returncode != 0:
            last = (out.stderr or out.stdout).strip().splitlines()[-1:] or ["no output"]
            raise NetworkSetupError(f"brownie networks failed for {preset.id}: {last[0]}")
        got = registered_networks().get(preset.id, {})
        if got.get("chainid") != preset.chain_id or got.get("host") != f"${preset.rpc_env}":
            raise NetworkSetupError(f"{preset.id} is not registered as expected: {got}")
        lines.append(
            f"{'updated' if exists else 'added':<8} {preset.id:<20} chain {preset.chain_id:<9} "
            f"RPC ${preset.rpc_env}  profile {preset.profile}"
        )
    return lines


def main() -> int:
    brownie = str(Path(sys.executable).with_name("brownie"))
    try:
        for line in install(brownie):
            print(line)
    except NetworkSetupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
