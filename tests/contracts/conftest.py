"""Shared fixtures for the contract tests (run with `brownie test`).

The chain: this conftest starts its own Anvil on a port that is free at that moment and points
Brownie's `development` network at it *before* Brownie connects, so Brownie attaches to our chain
and never to whatever else may listen on 8545. The chain's random chain id is checked once
connected. Anvil is stopped at the end of the session, on SIGTERM/Ctrl-C, and by the kernel if this
process dies (see oracles/chain/anvil.py).
"""

from __future__ import annotations

import random

import pytest

from oracles.chain.anvil import Anvil, install_sigterm_handler, start_anvil
from oracles.protocol.profiles import hardfork_for

# Brownie modules are imported inside the hooks: Brownie hashes the source of every module a
# conftest imports at top level from inside the project, and with the virtualenv in the project
# that includes Brownie's own compiled (binary) modules, which it cannot read.

_CHAIN: Anvil | None = None


def _wants_local_chain(config: pytest.Config) -> bool:
    from brownie._config import CONFIG

    requested = CONFIG.argv.get("network") or CONFIG.settings["networks"]["default"]
    return requested == "development" and not config.getoption("collectonly", False)


# `make test` runs the whole suite on the cancun build and only the tests marked with this on the
# london build (`brownie test -m both_profiles`); `make test-full` runs every test on both
BOTH_PROFILES = (
    "both_profiles: also run under the london build by `make test` (sizes, deployment, lifecycle, "
    "signed and batch settlement: where the EVM targets and OpenZeppelin versions differ)"
)


def pytest_configure(config: pytest.Config) -> None:
    global _CHAIN
    config.addinivalue_line("markers", BOTH_PROFILES)
    if not _wants_local_chain(config):
        return
    from brownie._config import CONFIG

    install_sigterm_handler()
    # a random chain id identifies *this* chain: brownie must end up connected to it; the chain runs
    # the rules the contracts were compiled for (london under `make test-contracts-london`)
    _CHAIN = start_anvil(
        chain_id=random.randint(100_000, 2**31 - 1),
        accounts=20,
        gas_limit=30_000_000,
        base_fee=0,
        hardfork=hardfork_for(CONFIG.settings["compiler"]["evm_version"]),
    )
    dev = CONFIG.networks["development"]
    dev["host"] = f"http://{_CHAIN.host}"
    dev["cmd_settings"]["port"] = _CHAIN.port


def pytest_unconfigure(config: pytest.Config) -> None:
    if _CHAIN is not None:
        from brownie import network

        if network.is_connected():
            network.disconnect(kill_rpc=False)
        _CHAIN.stop()


@pytest.fixture(scope="session", autouse=True)
def _own_chain() -> Anvil | None:
    """Fail fast unless the connected chain is the one this session started."""
    if _CHAIN is None:
        return None
    from brownie import web3

    _CHAIN.check_ownership()
    assert web3.eth.chain_id == _CHAIN.chain_id, "connected to a chain this session did not start"
    return _CHAIN


@pytest.fixture(scope="session", autouse=True)
def _receipts_after_their_nonce() -> None:
    """Brownie 1.22 marks a transaction dropped ("Tx dropped without known replacement") when the
    sender's nonce has passed it and the node has no receipt for it yet; Anvil, under load, shows the
    new nonce a moment before the mined transaction's receipt (two fresh-clone runs of 873 tests each
    lost one transaction that way, in different tests). Each confirmation first waits up to 10 s for
    the receipt, then runs brownie's own logic: a transaction that really was dropped still is."""
    import time

    from brownie.network.transaction import TransactionReceipt
    from brownie.network.web3 import web3
    from web3.exceptions import TransactionNotFound

    original = TransactionReceipt._await_confirmation
    if getattr(original, "_waits_for_receipt", False):
        return

    def await_confirmation(self, block_number=None, required_confs=1):  # type: ignore[no-untyped-def]
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                receipt = web3.eth.get_transaction_receipt(self.txid)
            except TransactionNotFound:
                receipt = None
            if receipt is not None and receipt["blockHash"] is not None:
                break
            time.sleep(0.02)
        return original(self, block_number, required_confs)

    await_confirmation._waits_for_receipt = True  # type: ignore[attr-defined]
    TransactionReceipt._await_confirmation = await_confirmation  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def isolation(fn_isolation: None) -> None:
    """Every test starts from the same chain state (brownie snapshot/revert)."""


# ---------------------------------------------------------------- role fixtures (one per role)


@pytest.fixture(scope="session")
def admin(accounts):  # type: ignore[no-untyped-def]
    """Deployer and holder of every admin role in the tests."""
    return accounts[0]


@pytest.fixture(scope="session")
def region_admin(accounts):  # type: ignore[no-untyped-def]
    """Holds REGION_ADMIN_ROLE only."""
    return accounts[1]


@pytest.fixture(scope="session")
def verifiers(accounts):  # type: ignore[no-untyped-def]
    """The utility council: three VERIFIER_ROLE holders, threshold 2."""
    return [accounts[2], accounts[3], accounts[4]]


@pytest.fixture(scope="session")
def utility(accounts):  # type: ignore[no-untyped-def]
    """A utility (verified for region 1 by the `suite` fixture)."""
    return accounts[5]


@pytest.fixture(scope="session")
def oracle(accounts):  # type: ignore[no-untyped-def]
    """Holds every oracle role: meter, weather, forecast, grid."""
    return accounts[6]


@pytest.fixture(scope="session")
def keeper(accounts):  # type: ignore[no-untyped-def]
    """Holds KEEPER_ROLE (automated enrollment)."""
    return accounts[7]


@pytest.fixture(scope="session")
def arbiter(accounts):  # type: ignore[no-untyped-def]
    """Holds ARBITER_ROLE (disputes)."""
    return accounts[8]


@pytest.fixture(scope="session")
def stranger(accounts):  # type: ignore[no-untyped-def]
    """Holds no role at all."""
    return accounts[9]


@pytest.fixture(scope="session")
def consumer_accounts(accounts):  # type: ignore[no-untyped-def]
    """Ten consumer accounts (no role)."""
    return [accounts[i] for i in range(10, 20)]


# ---------------------------------------------------------------- deployments


@pytest.fixture(scope="module")
def registry(RegionRegistry, admin, region_admin):  # type: ignore[no-untyped-def]
    r = RegionRegistry.deploy(admin, {"from": admin})
    r.grantRole(r.REGION_ADMIN_ROLE(), region_admin, {"from": admin})
    return r


@pytest.fixture(scope="module")
def stablecoin(MockStablecoin, admin):  # type: ignore[no-untyped-def]
    return MockStablecoin.deploy({"from": admin})


@pytest.fixture(scope="module")
def suite(admin, region_admin, verifiers, utility, oracle, keeper, arbiter, stablecoin):  # type: ignore[no-untyped-def]
    """The whole protocol, wired, with regions 1 and 2 and `utility` verified for region 1."""
    from tests.contracts.suite import deploy_suite

    return deploy_suite(
        admin=admin,
        region_admin=region_admin,
        verifiers=verifiers,
        utility=utility,
        oracle=oracle,
        keeper=keeper,
        arbiter=arbiter,
        token=stablecoin,
    )


@pytest.fixture(scope="module")
def world(suite, utility, consumer_accounts):  # type: ignore[no-untyped-def]
    """`suite` plus a funded program (id 1) and four active consumers, 20 days after activation.

    Consumers: 0 residential 5 kW, 1 commercial 50 kW, 2 industrial 500 kW (all consent to data
    use and automated enrollment), 3 residential 5 kW with data-use consent only.
    """
    from brownie import chain

    from tests.contracts.suite import REGION, World, prefs, program_tuple

    token = suite.token
    token.approve(suite.escrow, 2**255, {"from": utility})
    suite.programs.createProgram(REGION, program_tuple(token), 10**9, {"from": utility})
    people = []
    for i, (cls, watts, consent) in enumerate(
        [(0, 5_000, 3), (1, 50_000, 3), (2, 500_000, 3), (0, 5_000, 1)]
    ):
        a = consumer_accounts[i]
        suite.consumers.register(
            cls, REGION, bytes([0x50 + i]) * 32, watts, consent, prefs(), {"from": a}
        )
        suite.consumers.activate(a, b"\x01" * 32, b"\x02" * 32, {"from": utility})
        people.append(a)
    chain.sleep(20 * 86_400)
    chain.mine()
    return World(suite=suite, program_id=1, consumers=people)


@pytest.fixture
def keyed(world, utility):  # type: ignore[no-untyped-def]
    """`world` with every consumer's meter key registered from its activation day (C-11)."""
    from oracles.reference import meter_signing as signing
    from tests.contracts.test_settlement import activation
    from tests.contracts.test_signed_meter_data import key_of

    for who in world.consumers:
        cid = world.suite.consumers.consumer(who)["id"]
        world.suite.consumers.setMeterKey(
            who, signing.address_of(key_of(cid)), activation(world), {"from": utility}
        )
    return world


@pytest.fixture
def signed_program(keyed, utility) -> int:  # type: ignore[no-untyped-def]
    """A funded program of meter-signed data (S-10) in `keyed`'s world."""
    from tests.contracts.suite import REGION, program_tuple

    s = keyed.suite
    return int(
        s.programs.createProgram(
            REGION, program_tuple(s.token, signedData=1), 10**9, {"from": utility}
        ).return_value
    )
