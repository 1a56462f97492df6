"""The response shape of an impact estimate: what the API returns and the CLI reads back.

Built from :class:`~outsidein.impact.models.PlayImpact` by :func:`play_out` and
:func:`summary_out`, so the API, the page and the CLI show the same numbers.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from outsidein.impact.models import OUTCOMES, Estimate, PlayImpact

__all__ = [
    "AccountOut",
    "EstimateOut",
    "EventPointOut",
    "ImpactList",
    "PlayImpactOut",
    "PlaySummary",
    "play_out",
    "summary_out",
]


class EstimateOut(BaseModel):
    outcome: str = Field(
        description="active_users_28, key_features_used_28, health_score, churn_90d"
    )
    label: str
    effect: float | None = Field(description="Treated minus untreated; null when not estimable")
    ci_low: float | None = Field(description="95 % interval, low end")
    ci_high: float | None = Field(description="95 % interval, high end")
    std_error: float | None
    treated: int
    control: int
    note: str | None = Field(None, description="Why there is no estimate")


class EventPointOut(BaseModel):
    event_time: int = Field(description="Months from the firing (-1: the reference month)")
    effect: float
    ci_low: float
    ci_high: float


class AccountOut(BaseModel):
    account_id: str
    group: str = Field(description="treated or held_out")
    fired_at: date | None
    score: float | None = Field(description="The score it fired on (threshold designs)")


class PlaySummary(BaseModel):
    playbook: str
    design: str = Field(description="holdout, threshold or did")
    method: str
    firings: int
    treated: int
    held_out: int
    controls: int
    first_fired: date | None
    last_fired: date | None
    estimates: list[EstimateOut]
    pretrend_p: float | None = Field(description="Joint test of the months before (did only)")
    warnings: list[str]


class PlayImpactOut(PlaySummary):
    assumptions: list[str]
    event_study: list[EventPointOut]
    accounts: list[AccountOut]
    accounts_total: int


class ImpactList(BaseModel):
    ranked_by: str = Field(description="The outcome the plays are ranked by, largest effect first")
    plays: list[PlaySummary]


def _estimate(e: Estimate) -> EstimateOut:
    return EstimateOut(
        outcome=e.outcome,
        label=OUTCOMES.get(e.outcome, e.outcome),
        effect=e.effect,
        ci_low=e.ci_low,
        ci_high=e.ci_high,
        std_error=e.std_error,
        treated=e.treated,
        control=e.control,
        note=e.note,
    )


def _fields(p: PlayImpact) -> dict[str, object]:
    return {
        "playbook": p.playbook,
        "design": p.design,
        "method": p.method,
        "firings": p.firings,
        "treated": p.treated,
        "held_out": p.held_out,
        "controls": p.controls,
        "first_fired": p.first_fired,
        "last_fired": p.last_fired,
        "estimates": [_estimate(e) for e in p.estimates],
        "pretrend_p": p.pretrend_p,
        "warnings": p.warnings,
    }


def summary_out(p: PlayImpact) -> PlaySummary:
    return PlaySummary.model_validate(_fields(p))


def play_out(p: PlayImpact, *, accounts: set[str] | None = None, limit: int = 500) -> PlayImpactOut:
    """The drill-in; ``accounts`` keeps only those (a CSM's book), ``limit`` caps the list."""
    rows = [a for a in p.accounts if accounts is None or a.account_id in accounts]
    return PlayImpactOut.model_validate(
        {
            **_fields(p),
            "assumptions": p.assumptions,
            "event_study": [
                EventPointOut(
                    event_time=e.event_time, effect=e.effect, ci_low=e.ci_low, ci_high=e.ci_high
                )
                for e in p.event_study
            ],
            "accounts": [
                AccountOut(
                    account_id=a.account_id, group=a.group, fired_at=a.fired_at, score=a.score
                )
                for a in rows[:limit]
            ],
            "accounts_total": len(rows),
        }
    )
