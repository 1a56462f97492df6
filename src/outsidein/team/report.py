"""The team page: each CSM's book of business, capacity by tier, revenue per CSM and the
rebalancing suggestions — one function every interface shows (docs/team.md).

:func:`team_report` puts the store's reading (:mod:`outsidein.team.books`) together: per CSM
the customers, MRR and ARR, health mix by band, customers per tier, open and overdue tasks,
renewals in the next 90 days, the tier load and utilisation (:mod:`outsidein.team.capacity`);
per tier the touch tiers' coverage (:func:`outsidein.tiers.coverage`) over the day's ARR; and
the moves of :func:`outsidein.team.rebalance.rebalance` over the whole team.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction

import duckdb
import pyarrow as pa

from outsidein.config import OutsideInConfig
from outsidein.errors import NotFoundError
from outsidein.team.books import RENEWAL_DAYS, Customer, Figures, Reading, read_books
from outsidein.team.capacity import FULL, Limits, costs, load_of
from outsidein.team.rebalance import Held, Plan, rebalance
from outsidein.tiers.coverage import TierFigures, coverage

__all__ = ["CsmBook", "TeamReport", "TierCapacity", "team_report"]


@dataclass(frozen=True)
class CsmBook:
    """One CSM's book of business on the day, and where it stands against capacity."""

    csm_id: str
    name: str | None
    capacity: int | None  # the person's own limit in accounts (csms.capacity)
    accounts: int
    mrr: Decimal
    arr: Decimal
    health: dict[str | None, int]  # band (None: no score yet) -> customers, worst band first
    tiers: dict[str | None, int]  # tier (None: none recorded) -> customers
    tier_arr: dict[str | None, Decimal]
    load: Fraction  # the tiers' load: 1 is a full book
    utilisation: Fraction  # max(load, accounts / capacity)
    figures: Figures
    after: Fraction  # utilisation once the suggested moves are made

    @property
    def over(self) -> bool:
        return self.utilisation > FULL


@dataclass(frozen=True)
class TierCapacity:
    """One tier across the team: the coverage it implies against how it is held."""

    figures: TierFigures  # accounts, ARR, target accounts per CSM, CSMs needed and holding
    assigned_arr: Decimal  # ARR of its customers that have a CSM

    @property
    def arr_per_csm(self) -> Decimal | None:
        """ARR of the tier per CSM holding some of it (None: nobody holds it)."""
        held = self.figures.csms_holding
        return (self.assigned_arr / held).quantize(Decimal("0.01")) if held else None


@dataclass(frozen=True)
class TeamReport:
    as_of: date
    at: datetime  # when health scores were read
    notice: str | None
    currency: str
    csm: str | None  # one CSM's book, or the whole team (None)
    renewal_days: int
    bands: list[str]
    tier_labels: dict[str, str]
    books: list[CsmBook]
    tiers: list[TierCapacity]
    csms_needed: int  # the whole book's need by the tiers' coverage, rounded up
    unassigned: int  # customers with no CSM
    unassigned_arr: Decimal
    plan: Plan
    customers: list[Customer] = field(default_factory=list)  # one CSM's, highest ARR first

    @property
    def accounts(self) -> int:
        return sum(b.accounts for b in self.books)

    @property
    def arr(self) -> Decimal:
        return sum((b.arr for b in self.books), Decimal(0))

    @property
    def holding(self) -> int:
        """CSMs holding at least one customer."""
        return sum(1 for b in self.books if b.accounts)

    @property
    def arr_per_csm(self) -> Decimal | None:
        """Revenue per CSM: ARR held over the CSMs holding a book."""
        return (self.arr / self.holding).quantize(Decimal("0.01")) if self.holding else None

    @property
    def over(self) -> list[CsmBook]:
        return [b for b in self.books if b.over]


def team_report(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    as_of: date | None = None,
    *,
    csm: str | None = None,
    statuses: Callable[[date], pa.Table] | None = None,
) -> TeamReport:
    """Every CSM's book on ``as_of`` (the data's last day), or ``csm``'s alone: its figures,
    its customers, the tiers over its book and the suggested moves into or out of it (the
    plan is always made over the whole team). NotFoundError for an unknown CSM."""
    reading = read_books(con, config.analytics, config.health, as_of, statuses=statuses)
    if csm is not None:
        known = {c.lower(): c for c in reading.csms}
        if csm.strip().lower() not in known:
            raise NotFoundError(f"no CSM {csm!r}: `outsidein team show` lists them", csm_id=csm)
        csm = known[csm.strip().lower()]
    cost = costs(config.tiers)
    held: dict[str, list[Customer]] = {c: [] for c in reading.csms}
    for customer in reading.customers:
        if customer.csm_id is not None:
            held[customer.csm_id].append(customer)
    limits = {c: Limits(capacity) for c, (_, capacity) in reading.csms.items()}
    plan = rebalance(
        {c: [Held(x.account_id, x.tier, x.arr, x.name) for x in book] for c, book in held.items()},
        limits,
        cost,
    )
    order = {b: i for i, b in enumerate(reading.bands)}
    books = [_book(c, reading, book, cost, limits[c], plan, order) for c, book in held.items()]
    scope = [x for x in reading.customers if csm is None or x.csm_id == csm]
    found = coverage(
        [{"tier": x.tier, "arr": x.arr, "csm_id": x.csm_id} for x in scope
         if x.tier is not None],
        config.tiers,
    )  # fmt: skip
    tiers = [
        TierCapacity(t, sum((x.arr for x in scope if x.tier == t.tier and x.csm_id is not None),
                            Decimal(0)))
        for t in found.tiers
    ]  # fmt: skip
    no_csm = [x for x in scope if x.csm_id is None]
    if csm is not None:
        books = [b for b in books if b.csm_id == csm]
        plan = Plan(
            [m for m in plan.moves if csm in (m.from_csm, m.to_csm)],
            {csm: plan.before[csm]}, {csm: plan.after[csm]},
            [c for c in plan.unresolved if c == csm],
        )  # fmt: skip
    mine = sorted(held[csm], key=lambda x: (-x.arr, x.account_id)) if csm is not None else []
    return TeamReport(
        as_of=reading.as_of, at=reading.at, notice=reading.notice,
        currency=config.analytics.reporting_currency, csm=csm, renewal_days=RENEWAL_DAYS,
        bands=reading.bands, tier_labels={t.name: t.label for t in config.tiers.tiers},
        books=books, tiers=tiers, csms_needed=found.csms_needed,
        unassigned=len(no_csm), unassigned_arr=sum((x.arr for x in no_csm), Decimal(0)),
        plan=plan, customers=mine,
    )  # fmt: skip


def _book(
    csm: str,
    reading: Reading,
    book: list[Customer],
    cost: dict[str, Fraction],
    limits: Limits,
    plan: Plan,
    order: dict[str, int],
) -> CsmBook:
    """One CSM's figures from their customers."""
    name, capacity = reading.csms[csm]
    bands = Counter(x.band for x in book)
    health = dict(sorted(bands.items(), key=lambda kv: order.get(kv[0], len(order)) if kv[0]
                         is not None else len(order) + 1))  # fmt: skip
    tiers = Counter(x.tier for x in book)
    tier_arr: dict[str | None, Decimal] = {}
    for x in book:
        tier_arr[x.tier] = tier_arr.get(x.tier, Decimal(0)) + x.arr
    load = load_of(tiers, cost)
    return CsmBook(
        csm_id=csm, name=name, capacity=capacity, accounts=len(book),
        mrr=sum((x.mrr for x in book), Decimal(0)), arr=sum((x.arr for x in book), Decimal(0)),
        health=health, tiers=dict(tiers), tier_arr=tier_arr, load=load,
        utilisation=limits.utilisation(load, len(book)),
        figures=reading.figures.get(csm, Figures()), after=plan.after[csm],
    )  # fmt: skip
