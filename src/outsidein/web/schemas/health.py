"""Health as the API returns it (docs/health.md#api): read from outsidein.health.read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from outsidein.health.explain import Explanation, Move
from outsidein.health.history import HealthScore, Override, TrendPoint
from outsidein.health.read import AccountHealth, ScorePage
from outsidein.settings.health import HealthConfig
from outsidein.web.params import IsoDate, IsoDatetime
from outsidein.web.schemas.types import UtcDatetime as Utc


class ScoreRow(BaseModel):
    account_id: str
    name: str | None
    csm_id: str | None
    scorecard: str | None
    score: float | None = Field(description="0-100; an active override's when it gives one")
    band: str | None
    computed_score: float | None
    computed_band: str | None
    config_version: int | None = Field(description="The configuration version that scored it")
    valid_from: Utc | None = Field(description="When the computed score was recorded")
    override_id: str | None


class ScoreList(BaseModel):
    total: int
    page: int
    page_size: int
    at: Utc
    scores: list[ScoreRow]

    @classmethod
    def of(cls, page: ScorePage, at: Utc) -> ScoreList:
        rows = [ScoreRow(**r) for r in page.rows]
        return cls(total=page.total, page=page.page, page_size=page.page_size, at=at, scores=rows)


class OverrideOut(BaseModel):
    override_id: str
    account_id: str
    score: float | None
    band: str | None
    reason: str
    author: str = Field(description="The signed-in user who set it")
    expires_at: Utc
    created_at: Utc

    @classmethod
    def of(cls, o: Override) -> OverrideOut:
        return cls(**vars(o))


class OverrideIn(BaseModel):
    """A score and/or band by hand until ``expires_at`` (at most a year ahead)."""

    model_config = {"extra": "forbid"}
    score: float | None = Field(None, ge=0, le=100)
    band: str | None = Field(None, min_length=1, max_length=40)
    reason: str = Field(min_length=1, max_length=2000)
    expires_at: IsoDatetime = Field(description="UTC; after now, within 366 days")


class MeasureOut(BaseModel):
    measure: str
    label: str
    raw: float | None
    points: float | None
    weight: float
    contribution: float
    missing: bool
    set_score: bool = Field(description="Under worst-of: this measure set the score")


class MoveOut(BaseModel):
    measure: str
    label: str
    before: float | None
    after: float | None
    contribution_change: float
    text: str


class TrendPointOut(BaseModel):
    at: Utc
    score: float | None
    band: str | None
    kind: Literal["start", "computed", "override", "override_ended"]


class AccountHealthOut(BaseModel):
    account_id: str
    at: Utc
    scorecard: str | None
    score: float | None
    band: str | None
    computed_score: float | None
    computed_band: str | None
    config_version: int | None
    valid_from: Utc | None
    override: OverrideOut | None
    measures: list[MeasureOut] = Field(description="Largest contribution first")
    set_by: list[str] = Field(description="Measures that set a worst-of score")
    moved: list[MoveOut] = Field(description="What moved since the previous score")
    trend: list[TrendPointOut]

    @classmethod
    def of(cls, h: AccountHealth) -> AccountHealthOut:
        s: HealthScore = h.score
        e: Explanation | None = h.explanation
        moves: list[Move] = h.moves
        points: list[TrendPoint] = h.trend
        return cls(
            account_id=h.account_id,
            at=h.at,
            scorecard=s.scorecard,
            score=s.score,
            band=s.band,
            computed_score=s.computed_score,
            computed_band=s.computed_band,
            config_version=s.config_version,
            valid_from=s.valid_from,
            override=None if s.override is None else OverrideOut.of(s.override),
            measures=[] if e is None else [MeasureOut(**vars(m)) for m in e.measures],
            set_by=[] if e is None else e.set_by,
            moved=[MoveOut(**vars(m)) for m in moves],
            trend=[TrendPointOut(**vars(p)) for p in points],
        )


class ScorecardsOut(BaseModel):
    """The ``[health]`` section in force and the configuration version that holds it."""

    version: int | None
    health: HealthConfig


class ValidationOut(BaseModel):
    valid: bool
    errors: list[dict[str, Any]]


class BacktestIn(BaseModel):
    """A draft ``[health]`` section to backtest beside the published one."""

    model_config = {"extra": "forbid"}
    draft: HealthConfig | None = Field(None, description="Omitted: backtest the published one")
    as_of: IsoDate | None = Field(None, description="The last day whose outcome is known [today]")
    months: int = Field(12, ge=1, le=36)
    horizon_days: int = Field(90, ge=7, le=365)
