"""Opportunity scores, trends, needs segments and the catalog as the API returns them
(docs/jobs.md#api): read from outsidein.jobs, never computed here."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from outsidein.jobs.answers import Wave
from outsidein.jobs.business import MIN_ACCOUNTS, OutcomeLink
from outsidein.jobs.landscape import OutcomeScore, OutcomeTrend
from outsidein.jobs.scoring import MIN_RESPONDENTS, Interval
from outsidein.jobs.segments import NeedsSegment, Segmentation
from outsidein.jobs.service import Landscape
from outsidein.web.schemas.types import UtcDatetime


class IntervalOut(BaseModel):
    low: float
    high: float

    @classmethod
    def of(cls, i: Interval | None) -> IntervalOut | None:
        return None if i is None else cls(low=i.low, high=i.high)


class ScoreOut(BaseModel):
    outcome_id: str
    statement: str
    job: str
    step: str | None
    group: str
    respondents: int
    status: str = Field(description=f"scored, or 'too few respondents' (< {MIN_RESPONDENTS})")
    importance: float | None = Field(description="Top-two-box share x 10 (0-10), unrounded")
    satisfaction: float | None = Field(description="Top-two-box share x 10 (0-10), unrounded")
    opportunity: float | None = Field(description="importance + max(importance - satisfaction, 0)")
    band: str | None = Field(description="extreme, high, worth pursuing, not attractive")
    over_served: bool | None = Field(description="satisfaction above importance")
    importance_ci: IntervalOut | None = Field(description="95 % bootstrap interval")
    satisfaction_ci: IntervalOut | None
    opportunity_ci: IntervalOut | None

    @classmethod
    def of(cls, s: OutcomeScore) -> ScoreOut:
        c = s.score
        return cls(
            outcome_id=s.outcome_id,
            statement=s.statement,
            job=s.job,
            step=s.step,
            group=s.group,
            respondents=c.respondents,
            status=c.status,
            importance=c.importance,
            satisfaction=c.satisfaction,
            opportunity=c.opportunity,
            band=c.band,
            over_served=c.over_served,
            importance_ci=IntervalOut.of(c.importance_ci),
            satisfaction_ci=IntervalOut.of(c.satisfaction_ci),
            opportunity_ci=IntervalOut.of(c.opportunity_ci),
        )


class LandscapeOut(BaseModel):
    survey: str | None = Field(description="The outcome survey (wave) scored")
    by: str | None
    group: str | None
    groups: list[str] = Field(description="The groups of `by` there are")
    min_respondents: int = MIN_RESPONDENTS
    scores: list[ScoreOut]

    @classmethod
    def of(cls, found: Landscape) -> LandscapeOut:
        return cls(
            survey=found.survey,
            by=found.by,
            group=found.group,
            groups=found.groups,
            scores=[ScoreOut.of(s) for s in found.scores],
        )


class TrendOut(BaseModel):
    outcome_id: str
    statement: str
    before: str
    after: str
    respondents_before: int
    respondents_after: int
    satisfaction_change: float | None
    satisfaction_change_ci: IntervalOut | None
    importance_change: float | None
    opportunity_change: float | None
    opportunity_change_ci: IntervalOut | None
    significant: bool | None = Field(description="The satisfaction interval excludes zero")
    group: str = Field("all", description="The group of `by` (all respondents: `all`)")

    @classmethod
    def of(cls, t: OutcomeTrend) -> TrendOut:
        c = t.change
        return cls(
            group=t.group,
            outcome_id=t.outcome_id,
            statement=t.statement,
            before=t.before,
            after=t.after,
            respondents_before=c.before.respondents,
            respondents_after=c.after.respondents,
            satisfaction_change=c.satisfaction,
            satisfaction_change_ci=IntervalOut.of(c.satisfaction_ci),
            importance_change=c.importance,
            opportunity_change=c.opportunity,
            opportunity_change_ci=IntervalOut.of(c.opportunity_ci),
            significant=c.significant,
        )


class NeedsSegmentOut(BaseModel):
    segment: int
    respondents: int
    accounts: int
    stability: float = Field(description="Mean bootstrap Jaccard (>= 0.75 stable)")
    arr: float | None = Field(description="ARR of its accounts, reporting currency")
    health: float | None = Field(description="Mean health score of its accounts")
    churn_rate: float | None = Field(description="Share of its accounts churned")
    underserved: list[ScoreOut]
    overserved: list[ScoreOut]

    @classmethod
    def of(cls, s: NeedsSegment) -> NeedsSegmentOut:
        return cls(
            segment=s.segment,
            respondents=s.respondents,
            accounts=s.accounts,
            stability=s.stability,
            arr=s.arr,
            health=s.health,
            churn_rate=s.churn_rate,
            underserved=[ScoreOut.of(x) for x in s.underserved],
            overserved=[ScoreOut.of(x) for x in s.overserved],
        )


class SegmentationOut(BaseModel):
    survey: str
    k: int
    criterion: str = Field(description="How k was chosen (mean silhouette, k = 2..8)")
    silhouettes: dict[str, float]
    segments: list[NeedsSegmentOut]
    note: str | None = Field(description="Why ARR, health or churn are missing, if they are")

    @classmethod
    def of(cls, s: Segmentation) -> SegmentationOut:
        return cls(
            survey=s.survey,
            k=s.k,
            criterion=s.criterion,
            silhouettes={str(k): v for k, v in s.silhouettes.items()},
            segments=[NeedsSegmentOut.of(x) for x in s.segments],
            note=s.note,
        )


class WaveOut(BaseModel):
    survey: str
    first_answer: UtcDatetime
    last_answer: UtcDatetime
    respondents: int

    @classmethod
    def of(cls, w: Wave) -> WaveOut:
        return cls(
            survey=w.survey,
            first_answer=w.first_answer,
            last_answer=w.last_answer,
            respondents=w.respondents,
        )


class CatalogOut(BaseModel):
    jobs: list[dict[str, Any]] = Field(
        description="Jobs with parent, steps and outcomes (parts and lint warnings)"
    )


class OutcomeLinkOut(BaseModel):
    outcome_id: str
    statement: str
    satisfied: int = Field(description="Accounts whose respondents' mean satisfaction is 4+")
    unsatisfied: int
    churn_satisfied: float | None
    churn_unsatisfied: float | None
    churn_difference: float | None = Field(
        description=f"Unsatisfied minus satisfied churn rate; None below {MIN_ACCOUNTS} a side"
    )
    churn_difference_ci: IntervalOut | None = Field(description="95 % bootstrap interval")
    health_difference: float | None = Field(description="Mean health, unsatisfied - satisfied")
    health_difference_ci: IntervalOut | None = Field(description="95 % bootstrap interval")
    arr_unsatisfied: float | None = Field(description="ARR of unsatisfied accounts still paying")
    expansion_satisfied: float | None = Field(
        description="Share of satisfied accounts paying at the survey whose ARR grew 10 %+ since"
    )
    expansion_unsatisfied: float | None
    expansion_difference: float | None = Field(
        description=f"Unsatisfied minus satisfied expansion rate; None below {MIN_ACCOUNTS} a side"
    )
    expansion_difference_ci: IntervalOut | None = Field(description="95 % bootstrap interval")

    @classmethod
    def of(cls, x: OutcomeLink) -> OutcomeLinkOut:
        return cls(
            outcome_id=x.outcome_id,
            statement=x.statement,
            satisfied=x.satisfied,
            unsatisfied=x.unsatisfied,
            churn_satisfied=x.churn_satisfied,
            churn_unsatisfied=x.churn_unsatisfied,
            churn_difference=x.churn_difference,
            churn_difference_ci=IntervalOut.of(x.churn_difference_ci),
            health_difference=x.health_difference,
            health_difference_ci=IntervalOut.of(x.health_difference_ci),
            arr_unsatisfied=x.arr_unsatisfied,
            expansion_satisfied=x.expansion_satisfied,
            expansion_unsatisfied=x.expansion_unsatisfied,
            expansion_difference=x.expansion_difference,
            expansion_difference_ci=IntervalOut.of(x.expansion_difference_ci),
        )
