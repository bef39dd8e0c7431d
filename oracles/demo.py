"""`gridbalance demo`: the main job, on a local chain it starts itself.

Today (Foundation issue) it starts a fresh Anvil, deploys the contracts built so far, defines one
demo region, funds a demo utility with the mock stablecoin and prints every address. The full
simulated DR cycle replaces this when the oracle/demo issue lands.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TextIO

from web3 import Web3

from oracles.artifacts import DEFAULT_BUILD_DIR
from oracles.deploy import deploy_suite, load_suite, wait
from oracles.devchain import start_anvil

DEMO_REGION_ID = 1
DEMO_REGION_NAME = "Demo Valley (CAISO-like)"
# capacityKw, nominalFrequencyMHz, utcOffsetMinutes, highLoadBps, criticalLoadBps,
# frequencyToleranceMHz, voltageToleranceBps
DEMO_REGION = (2_500_000, 60_000, -480, 8_000, 9_500, 500, 500)
DEMO_FUNDING = 1_000_000 * 10**6  # 1,000,000 mUSD (6 decimals)


def run_demo(out: TextIO = sys.stdout, build_dir: Path = DEFAULT_BUILD_DIR) -> dict[str, str]:
    """Run the demo and return {contract name: address}."""
    # fails before a chain is started if the build is missing or malformed
    artifacts = load_suite(with_test_tokens=True, build_dir=build_dir)
    with start_anvil() as chain:
        w3 = Web3(Web3.HTTPProvider(chain.url, request_kwargs={"timeout": 30}))
        admin, utility = list(w3.eth.accounts)[:2]
        print(
            f"Started Anvil (pid {chain.pid}) at {chain.url}, chain id {chain.chain_id}", file=out
        )

        suite = deploy_suite(w3, admin, artifacts)
        registry = suite["RegionRegistry"][0]
        wait(
            w3,
            registry.functions.addRegion(DEMO_REGION_ID, DEMO_REGION_NAME, DEMO_REGION).transact(
                {"from": admin}
            ),
            "addRegion",
        )
        token = suite["MockStablecoin"][0]
        wait(w3, token.functions.mint(utility, DEMO_FUNDING).transact({"from": admin}), "mint")

        print("\nDeployed contracts", file=out)
        print(f"  {'contract':<16} {'address':<42} {'block':>5} {'gas used':>10}", file=out)
        for _, rec in suite.values():
            print(
                f"  {rec.name:<16} {rec.address:<42} {rec.block:>5} {rec.gas_used:>10,}", file=out
            )
        name = registry.functions.regionName(DEMO_REGION_ID).call()
        params = registry.functions.region(DEMO_REGION_ID).call()
        balance = token.functions.balanceOf(utility).call()
        print(f"\nRegion {DEMO_REGION_ID}: {name!r}, capacity {params[0]:,} kW, "
              f"UTC offset {params[2] / 60:+.0f} h", file=out)  # fmt: skip
        print(f"Utility {utility} holds {balance / 10**6:,.2f} mUSD", file=out)
        print("\nThe full DR cycle (forecast -> event -> meter data -> settlement) is not built "
              "yet; see the open issues.", file=out)  # fmt: skip
        print(f"Stopped Anvil (pid {chain.pid}).", file=out)
        return {rec.name: rec.address for _, rec in suite.values()}
