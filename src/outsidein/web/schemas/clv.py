"""Response models of ``/api/v1/clv``: each account's value and the family that gave it."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError

from outsidein.web.params import IsoDate


def _num(v: Any) -> float | None:
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else float(v)


class ClvScoreOut(BaseModel):
    """One account's CLV as of the scoring day (docs/clv.md)."""

    account_id: str
    scored: bool = Field(True, description="False: the account has no CLV (not scored yet)")
    family: str | None = Field(None, description="The model family chosen for the account")
    clv: float | None = Field(None, description="Discounted value, reporting currency")
    p_alive: float | None = Field(None, description="Transactional: P(still a customer)")
    p_renew: float | None = Field(None, description="Contractual: P(renews at next billing)")
    expected_transactions: float | None = Field(None, description="Next 52 weeks")
    expected_spend: float | None = Field(None, description="Per transaction")
    arr: float | None = Field(None, description="Contractual: the ARR valued (analytics)")
    rfm_segment: str | None = None

    @classmethod
    def of(cls, row: dict[str, Any]) -> ClvScoreOut:
        seg = row.get("rfm_segment")
        return cls(
            account_id=str(row["account_id"]),
            family=str(row["family"]),
            clv=float(row["clv"]),
            p_alive=_num(row.get("p_alive")),
            p_renew=_num(row.get("p_renew")),
            expected_transactions=_num(row.get("expected_transactions")),
            expected_spend=_num(row.get("expected_spend")),
            arr=_num(row.get("arr")),
            rfm_segment=None
            if seg is None or (isinstance(seg, float) and math.isnan(seg))
            else str(seg),
        )


class ClvList(BaseModel):
    """A page of accounts by CLV, highest first."""

    as_of: dt.date | None
    total: int
    accounts: list[ClvScoreOut]

    @classmethod
    def of(cls, frame: pd.DataFrame, page: int, page_size: int) -> ClvList:
        if frame.empty:
            return cls(as_of=None, total=0, accounts=[])
        chunk = frame.iloc[(page - 1) * page_size : page * page_size]
        return cls(
            as_of=pd.Timestamp(frame["as_of"].iloc[0]).date(),
            total=len(frame),
            accounts=[ClvScoreOut.of(r) for r in chunk.to_dict("records")],
        )


class FamilyOut(BaseModel):
    family: str
    accounts: int
    clv: float


class BandOut(BaseModel):
    band: str = Field(description="CLV band, reporting currency")
    low: float
    high: float | None = Field(None, description="None: no upper bound")
    kind: str = Field(description="transactional or contractual")
    accounts: int


class TopOut(BaseModel):
    account_id: str
    family: str
    clv: float
    p_alive: float | None = None
    p_renew: float | None = None
    rfm_segment: str | None = None


class CellOut(BaseModel):
    frequency: str = Field(description="Repeat purchases (0..6, 7+)")
    recency: str = Field(description="Weeks since the last purchase")
    customers: int
    p_alive: float = Field(description="Mean P(alive) of the cell's buyers")


class GroupOut(BaseModel):
    group: str
    accounts: int
    clv: float


class RetentionPointOut(BaseModel):
    period: int
    survival: float
    retention: float | None = None


class RetentionOut(BaseModel):
    model: str = Field(description="sbg_<months>m: the sBG of one billing period")
    periods: list[RetentionPointOut]


class ClvOverviewOut(BaseModel):
    """What the CLV page shows (``outsidein.clv.report.overview``)."""

    as_of: dt.date | None
    accounts: int
    total: float
    families: list[FamilyOut]
    distribution: list[BandOut]
    top: list[TopOut]
    heatmap: list[CellOut]
    rfm_groups: list[GroupOut]
    models: list[dict[str, Any]] = Field(description="Each fit: estimates, SE, log-likelihood")
    retention: list[RetentionOut]


class HoldoutRowOut(BaseModel):
    frequency: float
    customers: float
    actual_mean: float
    predicted_mean: float


class ClvHoldoutOut(BaseModel):
    """BG/NBD calibrated before the holdout weeks, against the purchases made in them."""

    weeks: int
    as_of: dt.date
    customers: int
    actual: float
    predicted: float
    predicted_low: float | None = Field(
        None, description="The predicted total's 90 % interval (the estimates' uncertainty)"
    )
    predicted_high: float | None = None
    error: float | None = Field(None, description="(predicted - actual) / actual")
    by_frequency: list[HoldoutRowOut]


class ClvFitIn(BaseModel):
    """A CLV fit to run as a job."""

    model_config = {"extra": "forbid"}
    as_of: IsoDate | None = Field(None, description="Fit on the data up to this day [today]")
    discount: float = Field(0.10, ge=0.0, le=1.0, description="Annual discount rate")
    months: int = Field(36, ge=1, le=120, description="Transactional CLV horizon, months")
    write: StrictBool = Field(True, description="Write the scores back to the store")

    @field_validator("discount", "months", mode="before")
    @classmethod
    def _numbers_only(cls, value: object) -> object:
        """JSON true/false is no number (pydantic alone reads false as 0)."""
        if isinstance(value, bool):  # a wrong type: 400, as the schema's own refusals
            raise PydanticCustomError("number_type", "a number is required, not true/false")
        return value
