"""The health portfolio as the API returns it: :func:`outsidein.web.queries.health.portfolio`,
the reading the /health page draws (docs/health.md#api)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, Field

from outsidein.web.queries.health import Portfolio
from outsidein.web.schemas.types import Money, UtcDatetime

__all__ = ["PortfolioOut"]


class BandFigures(BaseModel):
    band: str | None = Field(description="None: customers without a score")
    accounts: int
    arr: Money


class SegmentBand(BaseModel):
    segment: str | None
    band: str | None
    accounts: int


class TierBand(BaseModel):
    tier: str | None = Field(description="The touch tier on as_of; None: not recorded yet")
    band: str | None
    accounts: int
    arr: Money


class WindowBand(BaseModel):
    band: str | None
    window: int | None = Field(description="Renewal within this many days; None: later/none")
    accounts: int
    arr: Money


class MoverOut(BaseModel):
    account_id: str
    name: str
    before: float
    after: float
    change: float
    band: str | None
    why: str = Field(description="The input that moved most, in words")


class PortfolioOut(BaseModel):
    at: UtcDatetime
    as_of: date
    notice: str | None
    currency: str
    bands: list[str] = Field(description="Every band, worst first")
    risk: list[str] = Field(description="The bands that mean at risk")
    customers: int
    arr_at_risk: Money
    by_band: list[BandFigures]
    by_segment: list[SegmentBand]
    by_tier: list[TierBand]
    at_risk_arr: list[WindowBand]
    movers: list[MoverOut] = Field(description="The week's biggest movers of the score")

    @classmethod
    def of(cls, p: Portfolio) -> PortfolioOut:
        def money(rows: list[dict[str, object]]) -> list[dict[str, object]]:
            return [{**r, "arr": Decimal(str(r["arr"]))} for r in rows]

        return cls(
            at=p.at,
            as_of=p.as_of,
            notice=p.notice,
            currency=p.currency,
            bands=p.bands,
            risk=p.risk,
            customers=p.customers,
            arr_at_risk=p.arr_at_risk,
            by_band=[BandFigures.model_validate(r) for r in money(p.by_band)],
            by_segment=[SegmentBand.model_validate(r) for r in p.by_segment],
            by_tier=[TierBand.model_validate(r) for r in money(p.by_tier)],
            at_risk_arr=[WindowBand.model_validate(r) for r in money(p.at_risk_arr)],
            movers=[MoverOut(**vars(m), change=m.change) for m in p.movers],
        )
