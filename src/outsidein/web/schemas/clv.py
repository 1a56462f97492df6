"""Response models of ``/api/v1/clv``: each account's value and the family that gave it."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pandas as pd
from pydantic import BaseModel, Field


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
