"""A CSM's capacity: the touch tiers' coverage and the person's own limit, in one number.

Two limits apply to a book of customers, and a book is **within capacity** when both hold:

* **tier coverage** — each tier says how many of its accounts one CSM serves
  (``accounts_per_csm``, docs/tiers.md#coverage); the book's **load** is, per tier, its
  accounts over that number, summed (:func:`outsidein.tiers.coverage`'s definition). A load of
  1 is a full book;
* **the person's capacity** — ``csms.capacity``, the accounts this CSM can hold (a part-time
  or ramping CSM holds fewer); none given: only the tiers limit them.

The **utilisation** is the larger of the load and accounts / capacity: above 1 the book is
over capacity. Loads are exact fractions here, so 15 high-touch accounts at 15 per CSM are
exactly a full book (never 1.0000000002 over). Pure arithmetic, so a test can check it by hand.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

from outsidein.settings.tiers import TiersConfig

__all__ = ["FULL", "Limits", "costs", "load_of", "utilisation"]

FULL = Fraction(1)  # a full book


def costs(tiers: TiersConfig) -> dict[str, Fraction]:
    """Each tier's share of one CSM's book per account: 1 / ``accounts_per_csm``."""
    return {t.name: 1 / Fraction(t.accounts_per_csm) for t in tiers.tiers}


def load_of(counts: Mapping[str | None, int], cost: Mapping[str, Fraction]) -> Fraction:
    """The tiers' load of a book with ``counts`` accounts per tier (no tier, or a tier no
    longer configured, costs nothing: the tiers page leaves them out too)."""
    return sum((n * cost[t] for t, n in counts.items() if t is not None and t in cost), Fraction(0))


@dataclass(frozen=True)
class Limits:
    """What one CSM may hold: a full tier load, and ``capacity`` accounts when given."""

    capacity: int | None = None

    def utilisation(self, load: Fraction, accounts: int) -> Fraction:
        """max(load, accounts / capacity); a capacity of 0 with accounts is infinitely over."""
        if self.capacity is None:
            return load
        if self.capacity <= 0:
            return load if accounts == 0 else max(load, Fraction(accounts + 1))
        return max(load, Fraction(accounts, self.capacity))


def utilisation(
    tiers_held: Iterable[str | None], cost: Mapping[str, Fraction], limits: Limits
) -> Fraction:
    """The utilisation of a book holding accounts of ``tiers_held`` (one item per account)."""
    counts: dict[str | None, int] = {}
    for tier in tiers_held:
        counts[tier] = counts.get(tier, 0) + 1
    return limits.utilisation(load_of(counts, cost), sum(counts.values()))
