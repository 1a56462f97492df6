"""Success plans as the API takes and returns them (docs/plans.md#api): progress is read
from :mod:`outsidein.plans`, never computed here."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict, Field, model_validator

from outsidein.jsontypes import UtcDatetime
from outsidein.plans import STATUSES, AccountPlans, Milestone, Plan, Progress
from outsidein.plans.records import MeasureKind
from outsidein.web.params import IsoDate

Text = Field(min_length=1, max_length=500)
Finite = Field(allow_inf_nan=False, ge=-1e15, le=1e15)


class MilestoneIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str = Text
    due_date: IsoDate
    target: float | None = Field(None, allow_inf_nan=False, ge=-1e15, le=1e15)
    done: bool = Field(False, description="Marked done by hand")


class PlanIn(BaseModel):
    """A plan's terms. ``measure`` by ``measure_kind``: ``metric`` a daily-snapshot column
    (``active_users_28``); ``custom`` a number custom field of accounts; ``satisfaction`` a
    catalog outcome's id; ``formula`` an expression over the snapshot's columns
    (``events_28 * 0.5``)."""

    model_config = ConfigDict(extra="forbid")

    account_id: str = Field(min_length=1, max_length=200)
    title: str = Text
    outcome_id: str | None = Field(None, min_length=1, max_length=200)
    measure_kind: MeasureKind
    measure: str = Field(min_length=1, max_length=2000)
    unit: str | None = Field(None, min_length=1, max_length=100)
    baseline: float = Finite
    target: float = Finite
    start_date: IsoDate
    due_date: IsoDate
    owner: str | None = Field(None, min_length=1, max_length=200)
    milestones: list[MilestoneIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _dates(self) -> PlanIn:
        if self.due_date <= self.start_date:
            raise ValueError("due_date must be after start_date")
        if self.target == self.baseline:
            raise ValueError("target must differ from the baseline")
        return self

    def plan(self, plan_id: str = "") -> Plan:
        from datetime import UTC, datetime

        now = datetime.now(UTC).replace(tzinfo=None)
        return Plan(
            plan_id=plan_id, account_id=self.account_id, title=self.title,
            measure_kind=self.measure_kind, measure=self.measure, baseline=self.baseline,
            target=self.target, start_date=self.start_date, due_date=self.due_date,
            outcome_id=self.outcome_id, unit=self.unit, owner=self.owner,
            milestones=tuple(Milestone(m.title, m.due_date, m.target, now if m.done else None)
                             for m in self.milestones),
        )  # fmt: skip


class MilestoneOut(BaseModel):
    title: str
    due_date: date
    target: float | None
    done_at: UtcDatetime | None
    reached: bool = Field(description="The measure reached its target, or marked done")
    overdue: bool


class PlanOut(BaseModel):
    plan_id: str
    account_id: str
    title: str
    outcome_id: str | None
    measure_kind: str
    measure: str
    unit: str | None
    baseline: float
    target: float
    start_date: date
    due_date: date
    owner: str | None
    created_by: str | None
    created_at: UtcDatetime | None
    updated_at: UtcDatetime | None
    as_of: date
    value: float | None = Field(description="The measure on as_of; null: no data")
    progress: float | None = Field(description="0 at the baseline, 1 at the target")
    expected: float = Field(description="The straight line from start (0) to due date (1)")
    status: str = Field(description=f"One of {', '.join(STATUSES)} (docs/plans.md#status)")
    realised: float | None = Field(description="value minus baseline, in the unit")
    milestones: list[MilestoneOut]

    @classmethod
    def of(cls, r: Progress) -> PlanOut:
        p = r.plan
        return cls(
            plan_id=p.plan_id, account_id=p.account_id, title=p.title, outcome_id=p.outcome_id,
            measure_kind=p.measure_kind, measure=p.measure, unit=p.unit, baseline=p.baseline,
            target=p.target, start_date=p.start_date, due_date=p.due_date, owner=p.owner,
            created_by=p.created_by, created_at=p.created_at, updated_at=p.updated_at,
            as_of=r.as_of, value=r.value, progress=r.progress, expected=r.expected,
            status=r.status, realised=r.realised,
            milestones=[MilestoneOut(title=m.milestone.title, due_date=m.milestone.due_date,
                                     target=m.milestone.target, done_at=m.milestone.done_at,
                                     reached=m.reached, overdue=m.overdue)
                        for m in r.milestones],
        )  # fmt: skip


class PlanList(BaseModel):
    as_of: date
    plans: list[PlanOut] = Field(description="Worst status first, then soonest due")
    counts: dict[str, int] = Field(description="Plans per status")


class Realised(BaseModel):
    unit: str
    value: float


class AccountPlansOut(BaseModel):
    """An account's success plan: the business-review summary."""

    account_id: str
    as_of: date
    counts: dict[str, int]
    realised: list[Realised] = Field(description="Value realised so far, summed per unit")
    plans: list[PlanOut]

    @classmethod
    def of(cls, a: AccountPlans) -> AccountPlansOut:
        return cls(
            account_id=a.account_id, as_of=a.as_of, counts=a.counts,
            realised=[Realised(unit=k, value=v) for k, v in a.realised.items()],
            plans=[PlanOut.of(r) for r in a.plans],
        )  # fmt: skip
