"""The ``[playbooks]`` section of ``outsidein.toml``: rules that turn a signal into action.

A playbook has one trigger (a *kind* of signal: health below a threshold or dropping, a
renewal coming, a detractor or low CSAT answer, a usage drop, a schedule, or any condition in
the expression language), an optional ``where`` filter, and actions (open a task, set a
field, request a touch through the outbox). ``variants`` pick other actions by the value of
``variant_field`` (the touch tier, the segment, the lifecycle status or the band).
``cooldown_days`` and the open-task rule keep it from firing again too soon; ``holdout``
leaves a random share of accounts untreated (recorded, for the estimate of its effect).

Trigger kinds are a registry: each kind is a model here (:data:`TRIGGER_MODELS`) and an
evaluator in :mod:`outsidein.playbooks.triggers`; adding a kind is one model added to the
tuple and one evaluator registered there. A leaf module (pydantic, the stdlib, the stdlib-only
:mod:`outsidein.expr`): reading settings loads no engine. docs/playbooks.md is the reference.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from outsidein.expr import Type, compile_expression
from outsidein.expr.errors import ExpressionError
from outsidein.settings.health import INPUT_FIELDS
from outsidein.settings.journey import InterruptionKind

__all__ = [
    "CATALOGUE_FIELDS",
    "TRIGGER_MODELS",
    "Action",
    "AddToSegmentAction",
    "Playbook",
    "PlaybooksConfig",
    "SetFieldAction",
    "TaskAction",
    "TouchAction",
    "Trigger",
]

#: What a condition, a ``where`` filter or a variant may read: every health input (one
#: definition: :mod:`outsidein.health.inputs`), the effective health score and band, and the
#: account's CSM; ``custom.<name>`` reads an account's custom field.
CATALOGUE_FIELDS: dict[str, Type] = {
    **INPUT_FIELDS,
    "health_score": Type.NUMBER,
    "health_band": Type.TEXT,
    "csm_id": Type.TEXT,
}
CATALOGUE_FIELDS.pop("tier", None)  # not computed yet: the variant field is the segment
TaskType = Literal["risk", "opportunity", "lifecycle", "activity"]
Priority = Literal["low", "normal", "high", "urgent"]


def check_expression(text: str) -> str:
    """``text`` if it is a true/false expression over the catalogue (else a ValueError)."""
    from outsidein.expr import Catalogue

    try:
        compile_expression(text, Catalogue(CATALOGUE_FIELDS, open_custom=True), want=Type.BOOL)
    except ExpressionError as exc:
        hint = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise ValueError(f"{text!r} at column {exc.position + 1}: {exc.problem}{hint}") from None
    return text


def _not_bool(value: object) -> object:
    """JSON's true and false are not numbers (pydantic alone reads true as 1)."""
    if isinstance(value, bool):
        raise PydanticCustomError("number_type", "Input should be a number, not true or false")
    return value


Num = Annotated[float, BeforeValidator(_not_bool)]
Int = Annotated[int, BeforeValidator(_not_bool)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


# -- triggers ---------------------------------------------------------------------------------


class HealthBelow(_Model):
    """The effective health score is below ``threshold``."""

    kind: Literal["health_below"]
    threshold: Num = Field(gt=0, le=100)


class HealthDrop(_Model):
    """The score fell by at least ``points`` over the last ``days`` days."""

    kind: Literal["health_drop"]
    points: Num = Field(gt=0, le=100)
    days: Int = Field(7, ge=1, le=90)


class RenewalIn(_Model):
    """The next renewal of a term contract is within ``days`` days (once per renewal date)."""

    kind: Literal["renewal_in"]
    days: Int = Field(ge=0, le=730)


class SurveyAnswer(_Model):
    """An answer of ``survey`` kind at or below ``at_most`` (NPS 0-6 is a detractor; CSAT 1-2
    low), answered in the last ``within_days`` days: once per answer, which it carries."""

    kind: Literal["survey_answer"]
    survey: Literal["nps", "csat", "ces"] = "nps"
    at_most: Num = 6
    within_days: Int = Field(7, ge=1, le=365)


class UsageDrop(_Model):
    """``metric`` in the last ``window`` days fell by at least ``drop`` (0.5: by half) against
    the ``window`` days before (the daily snapshot's ``events_trend_<window>``)."""

    kind: Literal["usage_drop"]
    drop: Num = Field(gt=0, le=1)
    window: Literal[7, 28, 90] = 28


class Schedule(_Model):
    """Every account (that passes ``where``) once every ``every_days`` days."""

    kind: Literal["schedule"]
    every_days: Int = Field(ge=1, le=366)


class Condition(_Model):
    """Any true/false expression over the catalogue (docs/health.md has the language)."""

    kind: Literal["condition"]
    expression: str = Field(min_length=1, max_length=2000)

    @field_validator("expression")
    @classmethod
    def _valid(cls, text: str) -> str:
        return check_expression(text)


#: The trigger kinds: a new kind is a model added here and to ``Trigger``, and its evaluator
#: registered in outsidein.playbooks.triggers.
class SegmentEntered(_Model):
    """The account entered the saved segment ``segment`` (its id) in the last
    ``within_days`` days: once per entry, which it carries."""

    kind: Literal["segment_entered"]
    segment: str = Field(min_length=1, max_length=200)
    within_days: Int = Field(7, ge=1, le=365)


class SegmentLeft(_Model):
    """The account left the saved segment ``segment`` in the last ``within_days`` days."""

    kind: Literal["segment_left"]
    segment: str = Field(min_length=1, max_length=200)
    within_days: Int = Field(7, ge=1, le=365)


class PlanOffTrack(_Model):
    """A success plan of the account is off track on the day (docs/plans.md#status); with
    ``at_risk``, at risk too. Its reason names the plan: one open task per plan."""

    kind: Literal["plan_off_track"]
    at_risk: StrictBool = False


class OutcomeSatisfaction(_Model):
    """The account's satisfaction with ``outcome`` (top-two-box x 10 over the latest outcome
    survey in which it rated it; without ``outcome``: over every outcome) is at most
    ``at_most``."""

    kind: Literal["outcome_satisfaction"]
    outcome: str | None = Field(None, min_length=1, max_length=200)
    at_most: Num = Field(ge=0, le=10)


class JourneyInterruption(_Model):
    """A journey interruption of the account (docs/journey.md) dated in the last
    ``within_days`` days, of one of ``kinds`` (empty: any): once per interruption."""

    kind: Literal["journey_interruption"]
    kinds: list[InterruptionKind] = Field(default_factory=list, max_length=8)
    within_days: Int = Field(7, ge=1, le=365)


class ChurnRiskAbove(_Model):
    """The account's latest churn risk (the published model's probability, 0 to 1) is above
    ``threshold`` (docs/predict.md)."""

    kind: Literal["churn_risk_above"]
    threshold: Num = Field(gt=0, lt=1)


TRIGGER_MODELS = (
    HealthBelow, HealthDrop, RenewalIn, SurveyAnswer, UsageDrop, Schedule, Condition,
    SegmentEntered, SegmentLeft, PlanOffTrack, OutcomeSatisfaction, JourneyInterruption,
    ChurnRiskAbove,
)  # fmt: skip
Trigger = Annotated[
    HealthBelow
    | HealthDrop
    | RenewalIn
    | SurveyAnswer
    | UsageDrop
    | Schedule
    | Condition
    | SegmentEntered
    | SegmentLeft
    | PlanOffTrack
    | OutcomeSatisfaction
    | JourneyInterruption
    | ChurnRiskAbove,
    Field(discriminator="kind"),
]


# -- actions ----------------------------------------------------------------------------------


class TaskAction(_Model):
    """Open a task. ``owner``: ``csm`` (the account's CSM; the account's team's round robin when
    it has none), ``team:<name>`` (round robin over its members) or ``queue:<function>``."""

    kind: Literal["task"]
    type: TaskType = "risk"
    title: str = Field(min_length=1, max_length=200)
    owner: str = Field("csm", pattern=r"^(csm|team:[A-Za-z0-9_ -]{1,60}|queue:[a-z_]{1,40})$")
    due_days: Int = Field(3, ge=0, le=365)
    priority: Priority = "normal"
    template: str | None = Field(None, description="Steps from [playbooks.templates]")
    steps: list[str] = Field(default_factory=list, max_length=50)


class SetFieldAction(_Model):
    """Set a custom field of the account (``custom.<field>`` in expressions)."""

    kind: Literal["set_field"]
    field: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]{0,59}$")
    value: str | float | bool


class TouchAction(_Model):
    """Ask the outbox for an automated touch: ``template`` sent by ``channel`` to ``to`` (a
    contact role such as ``champion``, ``csm``, an address, or a webhook name/URL)."""

    kind: Literal["touch"]
    channel: Literal["email", "webhook"]
    template: str = Field(min_length=1, max_length=100)
    to: str = Field("champion", min_length=1, max_length=300)


class AddToSegmentAction(_Model):
    """Put the account in a hand-kept segment: the flag ``custom.in_<segment>`` is set true,
    which a saved segment with the filter ``custom.in_<segment>`` turns into membership over
    time (docs/playbooks.md#adding-to-a-segment)."""

    kind: Literal["add_to_segment"]
    segment: str = Field(pattern=r"^[a-z][a-z0-9_]{0,56}$")

    @property
    def field(self) -> str:
        """The custom field that holds the membership."""
        return f"in_{self.segment}"


Action = Annotated[
    TaskAction | SetFieldAction | TouchAction | AddToSegmentAction, Field(discriminator="kind")
]


class Playbook(_Model):
    """One rule: when ``trigger`` fires for an account that passes ``where``, take ``actions``
    (or its variant's), unless held out, cooling down, or a task for it is still open."""

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]{0,59}$", description="Lower-case letters, digits, - and _"
    )
    description: str = Field("", max_length=500)
    enabled: StrictBool = True  # 0/1 or "yes" is not a switch: say true or false
    trigger: Trigger
    where: str | None = Field(None, max_length=2000)
    actions: list[Action] = Field(min_length=1, max_length=10)
    variants: dict[str, list[Action]] = Field(
        default_factory=dict, description="Actions by the value of variant_field"
    )
    cooldown_days: Num = Field(14, ge=0, le=366)
    holdout: Num = Field(0, ge=0, le=0.9, description="Share of accounts left untreated")

    @field_validator("where")
    @classmethod
    def _where(cls, text: str | None) -> str | None:
        return None if text is None or not text.strip() else check_expression(text)


class PlaybooksConfig(_Model):
    """The playbooks, the step templates their tasks use, and how tasks escalate."""

    playbooks: list[Playbook] = Field(default_factory=list, max_length=500)
    templates: dict[str, list[str]] = Field(
        default_factory=dict, description="Named lists of task steps"
    )
    variant_field: Literal["tier", "segment", "lifecycle_status", "health_band"] = Field(
        "segment",
        description="The account field whose value picks a playbook's variant: `tier` (the "
        "touch tier in force, docs/tiers.md), the segment, the lifecycle status, the band",
    )
    escalate_after_hours: Num = Field(
        24, ge=0, le=24 * 90, description="Overdue this long, a task goes to the team lead"
    )

    @model_validator(mode="after")
    def _consistent(self) -> PlaybooksConfig:
        names = [p.name for p in self.playbooks]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"playbook names must be unique: {', '.join(twice)}")
        for book in self.playbooks:
            every = [*book.actions, *(a for acts in book.variants.values() for a in acts)]
            for action in every:
                if (
                    isinstance(action, TaskAction)
                    and action.template is not None
                    and action.template not in self.templates
                ):
                    known = ", ".join(self.templates) or "none"
                    raise ValueError(
                        f"playbook {book.name!r}: no task template {action.template!r} "
                        f"(templates: {known})"
                    )
        return self

    def get(self, name: str) -> Playbook | None:
        return next((p for p in self.playbooks if p.name == name), None)
