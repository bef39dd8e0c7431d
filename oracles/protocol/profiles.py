"""Build profiles: one compiled copy of the contracts per EVM target.

``cancun`` (the default) is what Ethereum, its testnets, Arbitrum and Base run. ``london`` is for
Energy Web Chain and Volta, which have no PUSH0 (EIP-3855). Each profile has its own Brownie
project folder and build folder, so switching never recompiles the other (Brownie 1.22.2 does not
notice an ``evm_version`` change on its own). ``make compile-london`` builds
``build/profiles/london``: a Brownie project whose sources are links to the project's own and whose
``brownie-config.yaml`` differs in ``evm_version`` and in its OpenZeppelin remapping (5.4.0).

``GRIDBALANCE_PROFILE`` selects the profile whose artifacts the Python tools load.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from oracles.chain.anvil import PROJECT_ROOT

ProfileName = Literal["cancun", "london"]
PROFILE_ENV = "GRIDBALANCE_PROFILE"


class ProfileError(ValueError):
    """An unknown profile, or artifacts that were not built for the profile."""


class BuildProfile(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: ProfileName
    project_dir: Path
    # the Anvil hardfork the tests run under; None: Anvil's newest rules (which run cancun code)
    hardfork: str | None
    # whether the code uses PUSH0 (Shanghai); deploy.py probes the chain for it first
    needs_push0: bool

    @property
    def evm_version(self) -> str:
        return self.name

    @property
    def build_dir(self) -> Path:
        return self.project_dir / "build" / "contracts"


PROFILES: dict[str, BuildProfile] = {
    "cancun": BuildProfile(
        name="cancun", project_dir=PROJECT_ROOT, hardfork=None, needs_push0=True
    ),
    "london": BuildProfile(
        name="london",
        project_dir=PROJECT_ROOT / "build" / "profiles" / "london",
        hardfork="london",
        needs_push0=False,
    ),
}


def profile(name: str) -> BuildProfile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(
            f"unknown build profile {name!r} (known: {', '.join(PROFILES)})"
        ) from None


def active_profile() -> BuildProfile:
    """The profile named by ``$GRIDBALANCE_PROFILE`` (default ``cancun``)."""
    return profile(os.environ.get(PROFILE_ENV, "cancun"))


def hardfork_for(evm_version: str) -> str | None:
    """The Anvil hardfork for code compiled for ``evm_version`` (None: Anvil's default)."""
    return profile(evm_version).hardfork
