"""Touch tiers and advocates as the API returns them (docs/tiers.md#api): read from
outsidein.tiers.read and outsidein.tiers.advocates, never computed here."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from outsidein.tiers.advocates import Advocate
from outsidein.tiers.read import AccountTier, TierPage, TiersReport
from outsidein.web.schemas.types import Money, UtcDatetime


class TierOut(BaseModel):
    tier: str
    label: str
    accounts: int
    arr: Money = Field(description="ARR of its accounts, in the reporting currency")
    accounts_per_csm: float = Field(description="The configured accounts one CSM serves")
    actual_per_csm: float | None = Field(
        description="Assigned accounts of the tier per CSM holding some of it"
    )
    csms_needed: float = Field(description="accounts / accounts_per_csm")
    csms_holding: int = Field(description="CSMs with at least one account of the tier")
    unassigned: int = Field(description="Accounts of the tier with no CSM")


class CsmTierOut(BaseModel):
    tier: str
    accounts: int
    arr: Money


class CsmOut(BaseModel):
    csm_id: str
    name: str | None
    capacity: int | None
    accounts: int
    arr: Money
    load: float = Field(description="Sum over tiers of accounts / accounts_per_csm; 1 = full")
    tiers: list[CsmTierOut]


class TiersOut(BaseModel):
    as_of: date
    recorded_through: date | None = Field(description="The latest day tiers were recorded")
    currency: str
    notice: str | None
    csm: str | None
    accounts: int
    arr: Money
    csms_needed: int = Field(description="The book's need, rounded up")
    csms_actual: int = Field(description="CSMs holding customers of the book")
    tiers: list[TierOut]
    csms: list[CsmOut]

    @classmethod
    def of(cls, r: TiersReport, currency: str) -> TiersOut:
        c = r.coverage
        order = [t.tier for t in c.tiers]
        return cls(
            as_of=r.as_of, recorded_through=r.recorded_through, currency=currency,
            notice=r.notice, csm=r.csm, accounts=c.accounts, arr=c.arr,
            csms_needed=c.csms_needed, csms_actual=c.csms_actual,
            tiers=[TierOut(**vars(t), actual_per_csm=t.actual_per_csm) for t in c.tiers],
            csms=[
                CsmOut(
                    csm_id=p.csm_id, name=p.name, capacity=p.capacity,
                    accounts=p.total_accounts, arr=p.total_arr, load=round(p.load, 4),
                    tiers=[
                        CsmTierOut(tier=t, accounts=p.accounts[t], arr=p.arr[t])
                        for t in order if t in p.accounts
                    ],
                )
                for p in c.csms
            ],
        )  # fmt: skip


class TierAccountOut(BaseModel):
    account_id: str
    name: str | None
    tier: str
    arr: Money
    potential: float | None
    valid_from: date = Field(description="The day this row of its history was recorded")
    csm_id: str | None


class TierAccountList(BaseModel):
    as_of: date
    total: int
    page: int
    page_size: int
    accounts: list[TierAccountOut]

    @classmethod
    def of(cls, p: TierPage) -> TierAccountList:
        rows = [TierAccountOut(**{k: r[k] for k in TierAccountOut.model_fields}) for r in p.rows]
        return cls(as_of=p.as_of, total=p.total, page=p.page, page_size=p.page_size, accounts=rows)


class TierChangeOut(BaseModel):
    valid_from: date
    tier: str | None = Field(description="Null: not a customer from that day")
    arr: Money
    potential: float | None
    config_version: int | None


class AccountTierOut(BaseModel):
    account_id: str
    as_of: date
    tier: str | None
    since: date | None = Field(description="The day it entered its tier")
    arr: Money | None
    potential: float | None
    history: list[TierChangeOut]

    @classmethod
    def of(cls, a: AccountTier) -> AccountTierOut:
        return cls(
            account_id=a.account_id, as_of=a.as_of, tier=a.tier, since=a.since, arr=a.arr,
            potential=a.potential, history=[TierChangeOut(**vars(h)) for h in a.history],
        )  # fmt: skip


class AdvocateOut(BaseModel):
    account_id: str
    name: str
    csm_id: str | None
    health: float
    nps: float
    answered_at: UtcDatetime = Field(description="When the NPS answer was given")
    champion_id: str | None = Field(description="A contact id (a user id for the most active)")
    champion_name: str | None
    champion_email: str | None
    champion_source: str = Field(description="nps answer, champion contact or most active user")
    key_features_used: int
    key_features: int
    active_users: int
    reason: str


class AdvocateList(BaseModel):
    as_of: date
    csm: str | None
    total: int
    advocates: list[AdvocateOut]

    @classmethod
    def of(cls, as_of: date, csm: str | None, found: list[Advocate]) -> AdvocateList:
        rows = [AdvocateOut(**vars(a)) for a in found]
        return cls(as_of=as_of, csm=csm, total=len(rows), advocates=rows)
