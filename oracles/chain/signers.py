"""Who signs: an account the node holds unlocked (development chains only) or an encrypted keystore
signed locally. There is no way to give a plaintext private key (S-1)."""

from __future__ import annotations

import getpass
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from eth_account import Account
from eth_account.datastructures import SignedTransaction
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3

from oracles.chain.anvil import dev_accounts
from oracles.chain.errors import AccountError
from oracles.chain.rpc import hexify, rpc_error, rpc_request

DEV_CHAIN_IDS = frozenset({1337, 31337})


class Signer(Protocol):
    @property
    def address(self) -> str: ...

    def send(self, w3: Web3, tx: dict[str, Any]) -> HexBytes:
        """Submit ``tx`` and return its hash."""
        ...

    def tx_hash(self, tx: dict[str, Any]) -> HexBytes | None:
        """The hash ``tx`` will have, if it can be known before sending."""
        ...


@dataclass(frozen=True)
class NodeSigner:
    """An account the node signs for (unlocked or impersonated). Development chains only."""

    address: str

    def send(self, w3: Web3, tx: dict[str, Any]) -> HexBytes:
        reply = rpc_request(w3, "eth_sendTransaction", [hexify(tx)])
        if "error" in reply:
            raise rpc_error(reply["error"])
        return HexBytes(reply["result"])

    def tx_hash(self, tx: dict[str, Any]) -> HexBytes | None:
        return None


class KeystoreSigner:
    """An encrypted JSON keystore (EIP-2335 style, as geth and ``cast wallet`` write), signed locally.

    The decrypted key lives only inside the :class:`LocalAccount`; ``repr`` shows the address only.
    """

    def __init__(self, account: LocalAccount) -> None:
        self._account = account
        self._last: tuple[tuple[tuple[str, Any], ...], SignedTransaction] | None = None

    @property
    def address(self) -> str:
        return str(self._account.address)

    def __repr__(self) -> str:
        return f"KeystoreSigner({self.address})"

    @classmethod
    def from_file(
        cls, path: Path, password_env: str = "GRIDBALANCE_KEYSTORE_PASSWORD"
    ) -> KeystoreSigner:
        if not path.exists():
            raise AccountError(f"keystore {path} not found")
        try:
            blob = json.loads(path.read_text())
        except json.JSONDecodeError as exc:
            raise AccountError(f"keystore {path} is not JSON (line {exc.lineno})") from exc
        if not isinstance(blob, dict) or "crypto" not in {k.lower() for k in blob}:
            raise AccountError(f"{path} is not an encrypted keystore (no 'crypto' section)")
        password = os.environ.get(password_env)
        if password is None:
            if not sys.stdin.isatty():  # a service, a pipe: getpass would read the input or hang
                raise AccountError(
                    f"keystore {path}: no terminal to ask its password on: set ${password_env}"
                )
            password = getpass.getpass(f"password for keystore {path.name}: ")
        try:
            key = Account.decrypt(blob, password)
        except ValueError as exc:
            raise AccountError(
                f"keystore {path}: wrong password (from ${password_env} or the prompt)"
            ) from exc
        return cls(Account.from_key(key))

    def _sign(self, tx: dict[str, Any]) -> SignedTransaction:
        """Sign once per transaction: the hash (before sending) and every send reuse it."""
        key = tuple(sorted(tx.items()))
        if self._last is None or self._last[0] != key:
            self._last = (key, self._account.sign_transaction(tx))
        return self._last[1]

    def send(self, w3: Web3, tx: dict[str, Any]) -> HexBytes:
        raw = self._sign(tx).raw_transaction
        reply = rpc_request(w3, "eth_sendRawTransaction", ["0x" + raw.hex()])
        if "error" in reply:
            raise rpc_error(reply["error"])
        return HexBytes(reply["result"])

    def tx_hash(self, tx: dict[str, Any]) -> HexBytes | None:
        return HexBytes(self._sign(tx).hash)


def refuse_plaintext_key(config: dict[str, Any], source: str) -> None:
    """Raise if a configuration carries a private key in the clear."""
    for key, value in config.items():
        lowered = key.lower().replace("-", "_")
        if lowered in {"private_key", "privatekey", "key", "secret", "mnemonic"} and value:
            raise AccountError(
                f"{source}: '{key}' holds key material in plaintext; use an encrypted keystore "
                "(--keystore FILE, password from GRIDBALANCE_KEYSTORE_PASSWORD or a prompt)"
            )


def signer_for(w3: Web3, *, account: str | None, keystore: Path | None) -> Signer:
    """A keystore anywhere, unless it holds a well-known development key and the chain id is not a
    development one; an unlocked node account (by address or index) only on a dev chain."""
    chain_id = w3.eth.chain_id
    if keystore is not None:
        signer = KeystoreSigner.from_file(keystore)
        if chain_id not in DEV_CHAIN_IDS and signer.address in dev_accounts():
            raise AccountError(
                f"keystore {keystore} holds {signer.address}, a well-known development account "
                f"whose key is public; chain {chain_id} is not a development chain: use your own key"
            )
        return signer
    node_accounts = list(w3.eth.accounts)
    if not node_accounts or (chain_id not in DEV_CHAIN_IDS and not _is_anvil(w3)):
        raise AccountError(
            f"chain {chain_id} is not a development chain: pass --keystore FILE "
            "(unlocked node accounts are for local chains only)"
        )
    if account is None:
        return NodeSigner(node_accounts[0])
    if account.isdigit():
        index = int(account)
        if index >= len(node_accounts):
            raise AccountError(
                f"the node has {len(node_accounts)} accounts; index {index} is out of range"
            )
        return NodeSigner(node_accounts[index])
    if not Web3.is_address(account):
        raise AccountError(
            f"--account {account!r} is neither an address nor an index of the node's "
            f"{len(node_accounts)} accounts"
        )
    return NodeSigner(Web3.to_checksum_address(account))


def _is_anvil(w3: Web3) -> bool:
    try:
        return "anvil" in str(w3.client_version).lower()
    except Exception:
        return False
