"""What an impact estimate says: the number, its interval, and what it rests on.

Plain dataclasses, so the page, the API and the CLI show the same numbers from one
computation (:func:`outsidein.impact.estimate.estimate_play`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["OUTCOMES", "AccountRow", "Estimate", "EventPoint", "PlayImpact"]

#: Outcomes in the order they are shown: the snapshot's measures, health, retention.
OUTCOMES: dict[str, str] = {
    "active_users_28": "Active users (28 days)",
    "key_features_used_28": "Key features used (28 days)",
    "health_score": "Health score",
    "churn_90d": "Churned within 90 days",
}


@dataclass(frozen=True)
class Estimate:
    """One play's effect on one outcome, with a 95 % interval (None: not estimable)."""

    outcome: str
    effect: float | None
    ci_low: float | None
    ci_high: float | None
    std_error: float | None
    treated: int
    control: int
    note: str | None = None


@dataclass(frozen=True)
class EventPoint:
    """The effect ``event_time`` months from the firing (-1 is the reference, 0 by design)."""

    event_time: int
    effect: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class AccountRow:
    """An account the estimate used: treated, held out, or a control."""

    account_id: str
    group: str  # treated | held_out | control
    fired_at: str | None  # ISO date of its first firing
    score: float | None  # the running variable (threshold designs)


@dataclass(frozen=True)
class PlayImpact:
    """A playbook's measured effect: the design, the estimates and what to trust them for."""

    playbook: str
    design: str  # holdout | threshold | did
    method: str
    firings: int
    treated: int
    held_out: int
    controls: int
    first_fired: str | None
    last_fired: str | None
    estimates: list[Estimate]
    event_study: list[EventPoint]
    pretrend_p: float | None
    assumptions: list[str]
    warnings: list[str]
    accounts: list[AccountRow] = field(default_factory=list)

    def estimate(self, outcome: str) -> Estimate | None:
        return next((e for e in self.estimates if e.outcome == outcome), None)
