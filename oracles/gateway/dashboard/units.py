"""Numbers as the dashboard shows them: token amounts in the token's units, energy in kWh."""

from __future__ import annotations

from decimal import Decimal


def amount(base_units: int, decimals: int) -> str:
    """Token base units in whole tokens, thousands separated, at least 2 decimals and no
    trailing zeros beyond them: ``1,234.50``, ``0.000125``."""
    value = Decimal(base_units).scaleb(-decimals)
    text = f"{value:,.{max(decimals, 2)}f}"
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0").ljust(2, "0")
        text = f"{whole}.{frac}"
    return text


def kwh(wh: int) -> str:
    """Watt-hours as kWh with 3 decimals: ``2.000``, ``1,250.125``."""
    return f"{Decimal(wh).scaleb(-3):,.3f}"
