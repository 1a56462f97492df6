"""The coverage touch tiers imply: how many CSMs the book needs against how it is staffed.

Each tier says how many of its accounts one CSM serves (``accounts_per_csm``). A tier with
``n`` accounts needs ``n / accounts_per_csm`` CSMs; the book needs their sum, rounded up.
A CSM's **load** is the same sum over their own accounts: 1.0 is a full book, above it they
hold more than the tiers allow. :func:`coverage` is pure arithmetic over the stored tiers
(:func:`outsidein.tiers.read.book_at`), so a test can check it by hand.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from outsidein.settings.tiers import TiersConfig

__all__ = ["Coverage", "CsmCoverage", "TierFigures", "coverage"]


@dataclass(frozen=True)
class TierFigures:
    """One tier over the book: its accounts and ARR, and what it needs."""

    tier: str
    label: str
    accounts: int
    arr: Decimal
    accounts_per_csm: float
    csms_needed: float  # accounts / accounts_per_csm (a share of one CSM's time)
    csms_holding: int  # CSMs with at least one account of the tier
    unassigned: int  # accounts of the tier with no CSM

    @property
    def actual_per_csm(self) -> float | None:
        """Accounts of the tier per CSM holding some of it (None: nobody holds it)."""
        assigned = self.accounts - self.unassigned
        return assigned / self.csms_holding if self.csms_holding else None


@dataclass(frozen=True)
class CsmCoverage:
    """One CSM's book by tier, and its load against the tiers' targets."""

    csm_id: str
    name: str | None
    capacity: int | None
    accounts: dict[str, int] = field(default_factory=dict)  # tier -> accounts
    arr: dict[str, Decimal] = field(default_factory=dict)  # tier -> ARR
    load: float = 0.0  # sum over tiers of accounts / accounts_per_csm

    @property
    def total_accounts(self) -> int:
        return sum(self.accounts.values())

    @property
    def total_arr(self) -> Decimal:
        return sum(self.arr.values(), Decimal(0))

    @property
    def over(self) -> bool:
        return self.load > 1.0


@dataclass(frozen=True)
class Coverage:
    """Tiers and CSMs of a book; ``csms_needed`` is the whole book's need, rounded up."""

    tiers: list[TierFigures]
    csms: list[CsmCoverage]
    csms_needed: int
    csms_actual: int

    @property
    def accounts(self) -> int:
        return sum(t.accounts for t in self.tiers)

    @property
    def arr(self) -> Decimal:
        return sum((t.arr for t in self.tiers), Decimal(0))


def coverage(rows: list[dict[str, Any]], tiers: TiersConfig) -> Coverage:
    """Coverage of ``rows`` (one per customer: ``tier, arr, csm_id, csm_name,
    csm_capacity``); accounts of a tier no longer configured are left out."""
    known = {t.name: t for t in tiers.tiers}
    counts = {name: 0 for name in known}
    arr = {name: Decimal(0) for name in known}
    unassigned = {name: 0 for name in known}
    holding: dict[str, set[str]] = {name: set() for name in known}
    csms: dict[str, dict[str, Any]] = {}
    for row in rows:
        tier = row["tier"]
        if tier not in known:
            continue
        value = Decimal(row["arr"] or 0)
        counts[tier] += 1
        arr[tier] += value
        csm = row.get("csm_id")
        if csm is None:
            unassigned[tier] += 1
            continue
        holding[tier].add(csm)
        book = csms.setdefault(
            csm, {"name": row.get("csm_name"), "capacity": row.get("csm_capacity"),
                  "accounts": {}, "arr": {}},
        )  # fmt: skip
        book["accounts"][tier] = book["accounts"].get(tier, 0) + 1
        book["arr"][tier] = book["arr"].get(tier, Decimal(0)) + value
    figures = [
        TierFigures(
            tier=t.name, label=t.label, accounts=counts[t.name], arr=arr[t.name],
            accounts_per_csm=t.accounts_per_csm,
            csms_needed=counts[t.name] / t.accounts_per_csm,
            csms_holding=len(holding[t.name]), unassigned=unassigned[t.name],
        )
        for t in tiers.tiers
    ]  # fmt: skip
    people = [
        CsmCoverage(
            csm_id=csm, name=book["name"], capacity=book["capacity"],
            accounts=book["accounts"], arr=book["arr"],
            load=sum(n / known[t].accounts_per_csm for t, n in book["accounts"].items()),
        )
        for csm, book in sorted(csms.items())
    ]  # fmt: skip
    needed = sum(f.csms_needed for f in figures)
    # Rounded up, with a tolerance: 3 tiers of exactly 1/3 each need 1 CSM, not 2.
    return Coverage(figures, people, math.ceil(round(needed, 9)), len(people))
