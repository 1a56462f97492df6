"""What the predict endpoints take and return (docs/predict.md#api)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from outsidein.predict.versions import ModelVersion

TargetName = Literal["churn", "revenue_churn", "expansion"]


class TrainIn(BaseModel):
    """A training run: a new version of ``target``, published unless its backtest is worse
    than the published one's (``force`` publishes it anyway)."""

    model_config = ConfigDict(extra="forbid")

    target: TargetName = "churn"
    observations: int = Field(18, ge=3, le=60, description="Monthly observation days")
    folds: int = Field(4, ge=1, le=12, description="Backtest folds (the latest labelled days)")
    horizon_days: int = Field(90, ge=7, le=366)
    by_renewal: StrictBool = Field(
        False,
        description="Label each account by its next term renewal within horizon_days (the "
        "renewal's own outcome); month-to-month accounts then have no label",
    )
    static: list[str] = Field(
        default_factory=list,
        max_length=20,
        description="Fields without history to use with today's value",
    )
    force: StrictBool = False


class PublishIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    force: StrictBool = Field(False, description="Publish even when its backtest AUC is lower")


class ModelOut(BaseModel):
    """A stored model version (its report: ``report_url``)."""

    version: int
    target: str
    horizon_days: int
    by_renewal: bool
    horizon: str = Field(description="The label's horizon in words")
    window_first: dt.date
    window_last: dt.date
    rows: int
    positives: int
    auc: float | None
    pr_auc: float | None
    brier: float | None
    ece: float | None
    published: bool
    published_at: dt.datetime | None
    forced: bool
    trained_at: dt.datetime
    trained_by: str
    params: dict[str, Any]
    folds: list[dict[str, Any]]
    report_url: str

    @classmethod
    def of(cls, v: ModelVersion) -> ModelOut:
        return cls(
            version=v.version,
            target=v.target,
            horizon_days=v.horizon_days,
            by_renewal=v.by_renewal,
            horizon=v.horizon,
            window_first=v.window_first,
            window_last=v.window_last,
            rows=v.rows,
            positives=v.positives,
            auc=v.auc,
            pr_auc=v.pr_auc,
            brier=v.brier,
            ece=v.ece,
            published=v.published,
            published_at=v.published_at,
            forced=v.forced,
            trained_at=v.trained_at,
            trained_by=v.trained_by,
            params=v.params,
            folds=list(v.metrics.get("folds", [])),
            report_url=f"/api/v1/predict/models/{v.version}/report",
        )


class DriverOut(BaseModel):
    family: str
    contribution: float = Field(description="Added to the account's logit")
    words: str


class PredictionOut(BaseModel):
    account_id: str
    name: str | None = None
    csm_id: str | None = None
    segment: str | None = None
    day: dt.date
    version: int
    probability: float
    arr: float | None = None
    renewal_date: dt.date | None = None
    drivers: list[DriverOut]


class TargetPredictionOut(BaseModel):
    day: dt.date
    version: int
    probability: float
    drivers: list[DriverOut]


class TrendPointOut(BaseModel):
    target: str
    day: dt.date
    probability: float


class AccountPredictionOut(BaseModel):
    """An account's latest probability per target (none: not paying, or not scored yet)."""

    account_id: str
    targets: dict[str, TargetPredictionOut]
    trend: list[TrendPointOut]


class SummaryOut(BaseModel):
    """The portfolio: churn risk bands, ARR at risk by renewal month, drivers by segment."""

    day: dt.date | None
    accounts: int
    expected_churn_arr: float
    risk_bands: list[dict[str, Any]]
    arr_at_risk_by_month: list[dict[str, Any]]
    drivers_by_segment: list[dict[str, Any]]
    expansion_accounts: int
    expected_expansion_accounts: float
