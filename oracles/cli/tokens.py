"""Token amounts as people write them: ``1000.5`` in the token's own units, its decimals read from the
token (ERC-20 ``decimals()``), and the ``approve`` a pull of tokens needs first."""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from web3 import Web3
from web3.contract import Contract

from oracles.cli.actions import CliError, Tx

_ERC20_ABI: list[dict[str, Any]] = [
    {"type": "function", "name": name, "stateMutability": mut, "outputs": [{"type": out, "name": ""}],
     "inputs": [{"type": t, "name": n} for n, t in args]}
    for name, mut, out, args in (
        ("decimals", "view", "uint8", ()),
        ("symbol", "view", "string", ()),
        ("balanceOf", "view", "uint256", (("account", "address"),)),
        ("allowance", "view", "uint256", (("owner", "address"), ("spender", "address"))),
        ("approve", "nonpayable", "bool", (("spender", "address"), ("amount", "uint256"))),
    )
]  # fmt: skip


def amount(text: str) -> Decimal:
    """A non-negative token amount as written (``1000.5``, ``1_000``); its decimals are checked
    against the token's once the token is known (:meth:`Token.units`)."""
    try:
        value = Decimal(text.replace("_", ""))
    except InvalidOperation:
        raise argparse.ArgumentTypeError(f"{text!r} is not an amount (e.g. 1000.5)") from None
    if not value.is_finite() or value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not a non-negative amount")
    return value


@dataclass(frozen=True)
class Token:
    """An ERC-20 with its decimals and symbol."""

    contract: Contract
    decimals: int
    symbol: str

    @classmethod
    def at(cls, w3: Web3, address: str) -> Token:
        c = w3.eth.contract(address=Web3.to_checksum_address(address), abi=_ERC20_ABI)
        try:
            decimals = int(c.functions.decimals().call())
        except Exception as exc:  # no code, or no decimals()
            raise CliError(f"token {address} answers no decimals() ({type(exc).__name__})") from exc
        try:
            symbol = str(c.functions.symbol().call())
        except Exception:  # symbol() is optional in ERC-20
            symbol = "tokens"
        return cls(c, decimals, symbol)

    @property
    def address(self) -> str:
        return str(self.contract.address)

    def units(self, value: Decimal, what: str, *, positive: bool = True) -> int:
        """``value`` in the token's smallest units; more decimals than the token has is refused."""
        raw = value.scaleb(self.decimals)
        if raw != raw.to_integral_value():
            raise CliError(f"{what} {value:f}: {self.symbol} has only {self.decimals} decimals")
        if positive and raw <= 0:
            raise CliError(f"{what} must be more than 0")
        return int(raw)

    def text(self, units: int) -> str:
        """Smallest units as ``1,000.5 SYMBOL``."""
        whole = Decimal(units).scaleb(-self.decimals)
        shown = f"{whole:,f}"
        if "." in shown:
            shown = shown.rstrip("0").rstrip(".")
        return f"{shown} {self.symbol}"

    def balance(self, account: str) -> int:
        return int(self.contract.functions.balanceOf(Web3.to_checksum_address(account)).call())

    def approve_txs(self, owner: str, spender: str, units: int, what: str) -> list[Tx]:
        """An ``approve`` of ``spender`` for ``units`` unless ``owner`` allows it that much already."""
        allowed = int(self.contract.functions.allowance(owner, spender).call())
        if allowed >= units:
            return []
        fn = self.contract.functions.approve(spender, units)
        return [Tx(fn, f"approve {what} to pull {self.text(units)}", "token")]
