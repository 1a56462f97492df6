"""Money as people read it: symbol after the sign, half-up rounding."""

from __future__ import annotations

from outsidein.web.templating import money


def test_money() -> None:
    assert money(12400) == "$12,400.00"
    assert money(-61504.2) == "\u2212$61,504.20"
    assert money(0.005) == "$0.01"
    assert money(99.5, cents=False) == "$100"
    assert money(None) == "—"
