"""Keys (issue 6, SPECIFICATION K-1..K-3): a well-known development key is refused on any chain that
is not a development chain, and an unlocked node account only works on a development chain."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account

from oracles.chain.anvil import Anvil, dev_accounts, dev_key, start_anvil
from oracles.chain.errors import AccountError
from oracles.chain.rpc import connect
from oracles.chain.signers import KeystoreSigner, NodeSigner, signer_for

PASSWORD = "correct horse battery staple"
VOLTA = 73799  # Energy Web Volta's chain id: an Anvil posing as a live chain


@pytest.fixture(scope="module")
def live() -> Iterator[Anvil]:
    with start_anvil(chain_id=VOLTA, accounts=2) as anvil:
        yield anvil


@pytest.fixture(scope="module")
def dev() -> Iterator[Anvil]:
    with start_anvil(accounts=2) as anvil:
        yield anvil


def _keystore(tmp_path: Path, key: bytes, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(Account.encrypt(key, PASSWORD, iterations=2)))
    monkeypatch.setenv("GRIDBALANCE_KEYSTORE_PASSWORD", PASSWORD)
    return path


def test_signer_for__dev_key_keystore_on_a_live_chain__refused(
    live: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-2: a keystore holding a development key is refused where the chain id is not 1337/31337."""
    path = _keystore(tmp_path, dev_key(3), monkeypatch)
    address = Account.from_key(dev_key(3)).address
    assert address in dev_accounts()
    with pytest.raises(AccountError) as info:
        signer_for(connect(live.url), account=None, keystore=path)
    message = str(info.value)
    assert f"holds {address}, a well-known development account" in message
    assert f"chain {VOLTA} is not a development chain" in message
    assert "\n" not in message


def test_signer_for__own_key_keystore_on_a_live_chain__signs(
    live: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-2: the operator's own key is accepted on the live chain."""
    own = Account.create()
    signer = signer_for(
        connect(live.url), account=None, keystore=_keystore(tmp_path, own.key, monkeypatch)
    )
    assert isinstance(signer, KeystoreSigner) and signer.address == own.address


def test_signer_for__dev_key_keystore_on_a_dev_chain__allowed(
    dev: Anvil, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-2: on a development chain the public keys are what the chain was started with."""
    signer = signer_for(
        connect(dev.url), account=None, keystore=_keystore(tmp_path, dev_key(3), monkeypatch)
    )
    assert signer.address == Account.from_key(dev_key(3)).address


def test_signer_for__node_account__only_on_a_dev_chain(dev: Anvil) -> None:
    """K-1: an unlocked node account by index on a development chain."""
    w3 = connect(dev.url)
    signer = signer_for(w3, account="1", keystore=None)
    assert isinstance(signer, NodeSigner) and signer.address == w3.eth.accounts[1]
    with pytest.raises(AccountError, match="index 2 is out of range"):
        signer_for(w3, account="2", keystore=None)
    for bad in ("0x12", "consumer4"):  # a typo, or a localnet name on another chain: one line
        with pytest.raises(
            AccountError, match=f"--account '{bad}' is neither an address nor an index"
        ):
            signer_for(w3, account=bad, keystore=None)


def test_keystore__wrong_password__one_line_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """K-1: the error names the keystore and where the password came from, never the password."""
    path = _keystore(tmp_path, Account.create().key, monkeypatch)
    monkeypatch.setenv("GRIDBALANCE_KEYSTORE_PASSWORD", "not-the-password")
    with pytest.raises(AccountError) as info:
        KeystoreSigner.from_file(path)
    assert "wrong password" in str(info.value)
    assert "not-the-password" not in str(info.value) and PASSWORD not in str(info.value)


def test_keystore__no_password_and_no_terminal__one_line_names_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 25 item 4: without the password variable and without a terminal (a service, a pipe)
    the keystore is refused in one line naming the variable, instead of a prompt that reads the
    input or waits forever."""
    path = _keystore(tmp_path, Account.create().key, monkeypatch)
    monkeypatch.delenv("GRIDBALANCE_KEYSTORE_PASSWORD")
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    with pytest.raises(AccountError) as info:
        KeystoreSigner.from_file(path)
    assert str(info.value) == (
        f"keystore {path}: no terminal to ask its password on: set $GRIDBALANCE_KEYSTORE_PASSWORD"
    )
