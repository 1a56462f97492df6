"""How people read money: the currency's symbol, thousands separators, cents rounded half up.

One formatter for the pages and the CLI, so "$31,969.08" reads the same everywhere; and
CSV cells that a spreadsheet would take for a formula, neutralised.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

_SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def currency_symbol(currency: str) -> str | None:
    """The symbol put before an amount (``$``), or None for a code written after it."""
    return _SYMBOLS.get(currency.upper())


def money(value: float | Decimal | None, currency: str = "USD", cents: bool = True) -> str:
    """``$12,400.00``, rounded half up as people round money; other currencies go after."""
    if value is None:
        return "—"
    exact = Decimal(str(value)).quantize(Decimal("0.01" if cents else "1"), ROUND_HALF_UP)
    sign = "\u2212" if exact < 0 else ""  # a true minus sign
    amount = f"{abs(exact):,}"
    symbol = currency_symbol(currency)
    return f"{sign}{symbol}{amount}" if symbol else f"{sign}{amount} {currency}"


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """A cell a spreadsheet shows as text: one starting like a formula gets a leading ``'``.

    The OWASP advice for CSV injection: ``=cmd|...`` from a customer's file must not run when
    someone opens an export.
    """
    return "'" + text if text.startswith(_FORMULA_STARTS) else text
