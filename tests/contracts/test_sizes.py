"""Every deployed contract keeps room to grow (issue 20 item 3, SPECIFICATION.md A-4).

EIP-170 caps runtime code at 24,576 bytes. GridBalance holds each production contract to at most
20,000 bytes under the build profile this run compiled (cancun, or london for Energy Web Chain), so
that every one keeps at least 4.5 KB for the next rules. The table is printed on every run.
"""

from __future__ import annotations

from typing import Any

import pytest

# run under both build profiles by `make test` (tests/contracts/conftest.py)
pytestmark = pytest.mark.both_profiles

EIP170_LIMIT = 24_576
SIZE_BOUND = 20_000


def _production_sizes() -> dict[str, int]:
    from brownie import project

    sizes: dict[str, int] = {}
    for container in project.get_loaded_projects()[0]:
        build: dict[str, Any] = container._build
        source = str(build.get("sourcePath", ""))
        code = str(build.get("deployedBytecode", ""))
        if build.get("type") != "contract" or not source.startswith("contracts/") or not code:
            continue
        if source.startswith("contracts/test/"):
            continue  # test-only contracts are never deployed to a network
        sizes[container._name] = len(code) // 2
    return sizes


def test_every_production_contract_is_at_most_20000_bytes(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from brownie import project

    evm = project.get_loaded_projects()[0]._compiler_config["evm_version"]
    sizes = _production_sizes()
    assert {"ReductionRequests", "ProofSettlement", "ProgramRegistry", "Disputes"} <= set(sizes)
    with capsys.disabled():
        print(f"\nruntime code size ({evm}), bound {SIZE_BOUND:,}, EIP-170 {EIP170_LIMIT:,}")
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1]):
            print(f"  {name:28} {size:6,}  room {SIZE_BOUND - size:6,}")
    over = {n: s for n, s in sizes.items() if s > SIZE_BOUND}
    assert not over, f"above {SIZE_BOUND:,} bytes under {evm}: {over}"
