"""The team as the API returns it (docs/team.md#api): read from
:func:`outsidein.team.team_report`, never computed here."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from outsidein.team import CsmBook, Move, TeamReport, TierCapacity
from outsidein.team.books import Customer
from outsidein.web.schemas.types import Money


def _ratio(value: object) -> float:
    return round(float(value), 4)  # type: ignore[arg-type]


class BandCount(BaseModel):
    band: str | None = Field(description="A health band; null: no health score yet")
    accounts: int


class TierCount(BaseModel):
    tier: str | None = Field(description="A touch tier; null: no tier recorded")
    accounts: int
    arr: Money


class BookOut(BaseModel):
    csm_id: str
    name: str | None
    capacity: int | None = Field(description="The CSM's own capacity in accounts (csms)")
    accounts: int = Field(description="Customers in the book")
    mrr: Money
    arr: Money
    health: list[BandCount] = Field(description="Customers per health band, worst first")
    tiers: list[TierCount]
    load: float = Field(description="Sum over tiers of accounts / accounts_per_csm; 1 = full")
    utilisation: float = Field(description="max(load, accounts / capacity); above 1: over")
    over: bool
    after: float = Field(description="Utilisation once the suggested moves are made")
    open_tasks: int
    overdue_tasks: int
    renewals: int = Field(description="Term contracts renewing in the next renewal_days")
    renewal_arr: Money = Field(description="Their ARR")

    @classmethod
    def of(cls, b: CsmBook) -> BookOut:
        return cls(
            csm_id=b.csm_id, name=b.name, capacity=b.capacity, accounts=b.accounts, mrr=b.mrr,
            arr=b.arr, health=[BandCount(band=k, accounts=v) for k, v in b.health.items()],
            tiers=[TierCount(tier=k, accounts=v, arr=b.tier_arr[k]) for k, v in b.tiers.items()],
            load=_ratio(b.load), utilisation=_ratio(b.utilisation), over=b.over,
            after=_ratio(b.after), open_tasks=b.figures.open_tasks,
            overdue_tasks=b.figures.overdue_tasks, renewals=b.figures.renewals,
            renewal_arr=b.figures.renewal_arr,
        )  # fmt: skip


class TierCapacityOut(BaseModel):
    tier: str
    label: str
    accounts: int
    arr: Money
    accounts_per_csm: float = Field(description="The tier's coverage: accounts one CSM serves")
    actual_per_csm: float | None = Field(description="Its assigned accounts per CSM holding it")
    arr_per_csm: Money | None = Field(description="Its assigned ARR per CSM holding it")
    csms_needed: float
    csms_holding: int
    unassigned: int

    @classmethod
    def of(cls, t: TierCapacity) -> TierCapacityOut:
        f = t.figures
        return cls(
            tier=f.tier, label=f.label, accounts=f.accounts, arr=f.arr,
            accounts_per_csm=f.accounts_per_csm, actual_per_csm=f.actual_per_csm,
            arr_per_csm=t.arr_per_csm, csms_needed=round(f.csms_needed, 4),
            csms_holding=f.csms_holding, unassigned=f.unassigned,
        )  # fmt: skip


class MoveOut(BaseModel):
    account_id: str
    name: str | None
    tier: str | None
    arr: Money
    from_csm: str
    to_csm: str

    @classmethod
    def of(cls, m: Move) -> MoveOut:
        return cls(**vars(m))


class RebalanceOut(BaseModel):
    moves: list[MoveOut]
    arr_moved: Money
    over_before: list[str] = Field(description="CSMs over capacity before the moves")
    unresolved: list[str] = Field(description="CSMs still over: the team has no room left")


class CustomerOut(BaseModel):
    account_id: str
    name: str | None
    tier: str | None
    mrr: Money
    arr: Money
    score: float | None
    band: str | None
    renewal_date: date | None

    @classmethod
    def of(cls, c: Customer) -> CustomerOut:
        return cls(**{k: getattr(c, k) for k in cls.model_fields})


class TeamOut(BaseModel):
    as_of: date
    notice: str | None
    currency: str
    csm: str | None = Field(description="One CSM's book, or null: the whole team")
    renewal_days: int
    bands: list[str] = Field(description="The health bands, worst first")
    accounts: int
    arr: Money
    csms_holding: int = Field(description="CSMs holding at least one customer")
    arr_per_csm: Money | None = Field(description="Revenue per CSM: ARR over CSMs holding")
    csms_needed: int = Field(description="The whole book's need by the tiers, rounded up")
    unassigned: int = Field(description="Customers with no CSM")
    unassigned_arr: Money
    books: list[BookOut]
    tiers: list[TierCapacityOut]
    rebalancing: RebalanceOut
    customers: list[CustomerOut] = Field(description="One CSM's customers, highest ARR first")

    @classmethod
    def of(cls, r: TeamReport) -> TeamOut:
        p = r.plan
        return cls(
            as_of=r.as_of, notice=r.notice, currency=r.currency, csm=r.csm,
            renewal_days=r.renewal_days, bands=r.bands, accounts=r.accounts, arr=r.arr,
            csms_holding=r.holding, arr_per_csm=r.arr_per_csm, csms_needed=r.csms_needed,
            unassigned=r.unassigned, unassigned_arr=r.unassigned_arr,
            books=[BookOut.of(b) for b in r.books], tiers=[TierCapacityOut.of(t) for t in r.tiers],
            rebalancing=RebalanceOut(
                moves=[MoveOut.of(m) for m in p.moves], arr_moved=p.arr_moved,
                over_before=p.over_before, unresolved=p.unresolved,
            ),
            customers=[CustomerOut.of(c) for c in r.customers],
        )  # fmt: skip
