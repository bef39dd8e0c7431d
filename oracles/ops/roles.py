"""Who holds which role, by name: every AccessControl role of every contract of a deployment, its
holders rebuilt from the RoleGranted/RoleRevoked logs, and revert reasons that name roles and their
holders instead of showing a role hash.

Role names come from the ABIs (the contracts' ``*_ROLE`` constants); holders from the logs since
each contract's deployment block (``ops.verify.role_holders``), read once per :class:`RoleBook`
and only when asked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eth_abi.abi import decode as abi_decode
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract import Contract

from oracles.ops.deploy import TIMELOCK
from oracles.ops.verify import role_holders
from oracles.protocol.artifacts import DEFAULT_BUILD_DIR
from oracles.protocol.contracts import Protocol
from oracles.protocol.errors import ErrorDecoder
from oracles.protocol.manifest import ACCESS_CONTROLLED

UNAUTHORIZED = keccak(text="AccessControlUnauthorizedAccount(address,bytes32)")[:4]
ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"


def role_id(name: str) -> bytes:
    return b"\x00" * 32 if name == ADMIN_ROLE else keccak(text=name)


def role_names(contract: Contract) -> list[str]:
    """The contract's role constants (view functions named ``*_ROLE`` without inputs), ABI order."""
    out = []
    for item in contract.abi:
        entry: dict[str, Any] = dict(item)
        name = str(entry.get("name", ""))
        if entry.get("type") == "function" and name.endswith("_ROLE") and not entry.get("inputs"):
            out.append(name)
    return out


@dataclass
class RoleBook:
    """The roles of a deployment's access-controlled contracts and who holds them now."""

    p: Protocol
    # contract name -> role names (ABI order)
    roles: dict[str, list[str]] = field(default_factory=dict)
    # checksummed address -> a name for it (the localnet's role table: consumer1, keeper, ...)
    names: dict[str, str] = field(default_factory=dict)
    _holders: dict[str, dict[bytes, set[str]]] | None = None
    _labels: dict[str, str] | None = None

    def __post_init__(self) -> None:
        for name in ACCESS_CONTROLLED:
            self.roles[name] = role_names(self.p.by_name[name])

    def name_of(self, role: bytes, contract: str | None = None) -> str:
        """A role hash as its name (``Contract.ROLE`` when ``contract`` is known)."""
        for name, roles in self.roles.items():
            if contract is not None and name != contract:
                continue
            for r in roles:
                if role_id(r) == role:
                    return f"{contract}.{r}" if contract else r
        return "0x" + role.hex()

    def holders(self, contract: str, role: str) -> list[str]:
        """The accounts holding ``contract``'s ``role`` now, in address order."""
        return sorted(self._all().get(contract, {}).get(role_id(role), set()))

    def holders_of(self, role: bytes) -> dict[str, list[str]]:
        """Every contract having role hash ``role``, with its holders."""
        return {
            c: sorted(h.get(role, set()))
            for c, h in self._all().items()
            if any(role_id(r) == role for r in self.roles[c])
        }

    def table(self) -> list[tuple[str, str, list[str]]]:
        """(contract, role, holders) for every role of every contract."""
        return [(c, r, self.holders(c, r)) for c, roles in self.roles.items() for r in roles]

    def _all(self) -> dict[str, dict[bytes, set[str]]]:
        if self._holders is None:
            w3 = self.p.w3
            latest = w3.eth.block_number
            self._holders = {}
            for name in self.roles:
                record = self.p.manifest.contracts[name]
                self._holders[name] = role_holders(w3, record.address, record.block, latest)
        return self._holders

    def labels(self) -> dict[str, str]:
        """Readable names of known addresses: the deployment's contracts and tokens, the node's
        accounts (by :attr:`names` where it has them), the deployer and the admin."""
        if self._labels is None:
            m = self.p.manifest
            out: dict[str, str] = {str(Web3.to_checksum_address(r.address)): n
                   for n, r in [*m.contracts.items(), *m.tokens.items()]}  # fmt: skip
            if m.timelock is not None:
                out[Web3.to_checksum_address(m.timelock.address)] = TIMELOCK
            for i, a in enumerate(node_accounts(self.p.w3)):
                key = Web3.to_checksum_address(a)
                out.setdefault(key, self.names.get(key) or f"node account {i}")
            for who, addr in (("deployer", m.deployer), ("admin", m.admin)):
                if addr and Web3.is_address(addr):
                    key = Web3.to_checksum_address(addr)
                    if key not in out:
                        out[key] = who
                    elif who not in out[key].split(", "):
                        out[key] = f"{out[key]}, {who}"
            self._labels = out
        return out if self._labels is None else self._labels

    def label(self, account: str) -> str:
        known = self.labels().get(Web3.to_checksum_address(account))
        return f"{account} ({known})" if known else account

    def node_holders(
        self, node: list[str], contract: str, role: str, skip: Callable[[str], bool] | None = None
    ) -> list[str]:
        """The node accounts holding ``contract``'s ``role`` (less those ``skip`` drops), in the
        node's order: the first is the default sender of a call that needs the role."""
        held = set(self.holders(contract, role))
        return [a for a in node if a in held and not (skip and skip(a))]

    def holder_text(self, holders: list[str]) -> str:
        return ", ".join(self.label(h) for h in holders) if holders else "no one"


def node_accounts(w3: Web3) -> list[str]:
    """The accounts the node signs for (none on a public node)."""
    try:
        return [Web3.to_checksum_address(a) for a in w3.eth.accounts]
    except Exception:  # a node without eth_accounts
        return []


class RoleErrors(ErrorDecoder):
    """The protocol's custom errors by name; ``AccessControlUnauthorizedAccount`` with the role's
    name and who holds it. ``contract`` names the contract called, when the caller knows it."""

    def __init__(self, book: RoleBook, build_dir: Path = DEFAULT_BUILD_DIR) -> None:
        super().__init__(build_dir)
        self.book = book
        self.contract: str | None = None

    def custom(self, raw: bytes) -> str:
        if raw[:4] != UNAUTHORIZED:
            return super().custom(raw)
        try:
            account, role = abi_decode(["address", "bytes32"], raw[4:])
        except Exception:
            return super().custom(raw)
        account = Web3.to_checksum_address(account)
        if self.contract is not None and self.contract in self.book.roles:
            name = self.book.name_of(role, self.contract)
            held = self.book.holder_text(self.book.holders(self.contract, name.split(".")[-1]))
        else:
            name = self.book.name_of(role)
            held = "; ".join(
                f"{c}: {self.book.holder_text(h)}" for c, h in self.book.holders_of(role).items()
            )
        return f"AccessControlUnauthorizedAccount: {account} lacks {name}, held by {held}"
