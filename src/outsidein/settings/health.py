"""The ``[health]`` section of ``outsidein.toml``: scorecards, their bands, groups and measures.

A scorecard is a tree: groups nest to any depth, each with its roll-up (``weighted`` average,
``additive`` points clamped to 0-100, ``worst`` of its children), and measures are its leaves.
A measure reads one input (a field of the input catalogue below, or an expression over it),
scores it 0-100 (``linear`` between bounds, ``bands``, or points per ``conditions``), and says
how a missing input counts: ``skip`` (the other weights are renormalised) or a stated score,
never silently zero. Several scorecards are assigned by rules (``assign``: a list, so its
order survives the store's sorted JSON copy; each an expression over tier, lifecycle status,
segment...), the first that holds wins, else ``default_scorecard``.

A leaf module (pydantic, the stdlib and the stdlib-only :mod:`outsidein.expr`): reading
settings loads no engine. docs/health.md is the reference, with a full example.
"""

from __future__ import annotations

import difflib
import itertools
import re
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from outsidein.expr import Catalogue, ExpressionError, Type, compile_expression

WINDOWS = (7, 28, 90)
#: Inputs of the daily snapshot that exist per trailing window: ``active_users`` + window 28
#: reads ``active_users_28``.
WINDOWED = (
    "active_users",
    "events",
    "events_per_active_user",
    "key_features_used",
    "breadth",
    "stickiness",
    "events_prev",
    "events_trend",
)
_N, _T, _D = Type.NUMBER, Type.TEXT, Type.DATE
#: Every input a measure, condition or assignment rule may read, and its type. The inputs
#: table per account (health.inputs) has one column for each; ``custom.<name>`` fields are
#: accepted too and typed when the data is seen.
INPUT_FIELDS: dict[str, Type] = {
    **{f"{base}_{w}": _N for base in WINDOWED for w in WINDOWS},
    "mrr": _N,
    "arr": _N,
    "seats_bought": _N,
    "seats_used": _N,
    "seat_utilization": _N,
    "days_since_last_activity": _N,
    "time_to_first_value_days": _N,
    "last_activity_date": _D,
    "first_value_date": _D,
    "nps": _N,
    "csat": _N,
    "ces": _N,
    "open_cases": _N,
    "urgent_cases": _N,
    "breached_slas": _N,
    "days_to_renewal": _N,
    "lifecycle_status": _T,
    "segment": _T,
    "tier": _T,
    "outcome_satisfaction": _N,
    "plans_off_track": _N,
    "journey_stage": _T,
    "days_in_stage": _N,
    "interruptions_30d": _N,
    "open_interruptions": _N,
    # customer lifetime value (outsidein.clv), the last scoring on or before the day
    "clv": _N,
    "p_alive": _N,
    "p_renew": _N,
    "expected_transactions": _N,
    "rfm_segment": _T,
}
#: Words for the explanation ("active users (28 days) fell from 41 to 18").
FIELD_LABELS: dict[str, str] = {
    "active_users": "active users",
    "events": "events",
    "events_per_active_user": "events per active user",
    "key_features_used": "key features used",
    "breadth": "breadth of key-feature use",
    "stickiness": "stickiness",
    "events_prev": "events in the window before",
    "events_trend": "events trend",
    "mrr": "MRR",
    "seat_utilization": "seat utilization",
    "days_since_last_activity": "days since last activity",
    "time_to_first_value_days": "days to first value",
    "nps": "NPS",
    "csat": "CSAT",
    "ces": "customer effort (CES)",
    "open_cases": "open cases",
    "urgent_cases": "urgent cases",
    "breached_slas": "breached SLAs",
    "days_to_renewal": "days to renewal",
    "outcome_satisfaction": "outcome satisfaction",
    "plans_off_track": "success plans off track",
    "days_in_stage": "days in the journey stage",
    "interruptions_30d": "journey interruptions (30 days)",
    "open_interruptions": "open journey interruptions",
    "clv": "lifetime value",
    "p_alive": "P(alive)",
    "p_renew": "P(renew)",
    "expected_transactions": "expected purchases (52 weeks)",
}
CATALOGUE = Catalogue(INPUT_FIELDS, open_custom=True)
_NAME = re.compile(r"^[A-Za-z0-9_-]+$")
Rollup = Literal["weighted", "additive", "worst"]
Points = Annotated[float, Field(ge=0, le=100)]
Missing = Literal["skip"] | Points


def _checked(text: str, want: Type, extra: dict[str, Type] | None = None) -> str:
    """``text`` if it parses and types against the input catalogue (pydantic adds the path)."""
    catalogue = CATALOGUE.with_fields(extra) if extra else CATALOGUE
    try:
        compile_expression(text, catalogue, want=want)
    except ExpressionError as exc:
        hint = f" (did you mean {exc.suggestion}?)" if exc.suggestion else ""
        raise ValueError(f"{text!r} at column {exc.position + 1}: {exc.problem}{hint}") from None
    return text


class Band(BaseModel):
    """A label for scores below ``below`` (the last band has no bound: everything above)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    label: str = Field(min_length=1, max_length=40)
    below: float | None = Field(None, gt=0, le=100)


def default_bands() -> list[Band]:
    return [Band(label="red", below=40), Band(label="amber", below=70), Band(label="green")]


class Linear(BaseModel):
    """0 points at ``low`` and 100 at ``high`` (reversed when lower is better), straight between."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["linear"]
    low: float
    high: float

    @model_validator(mode="after")
    def _ordered(self) -> Linear:
        if not self.low < self.high:
            raise ValueError(f"low ({self.low}) must be below high ({self.high})")
        return self


class Bands(BaseModel):
    """Points by band of the raw value: below ``thresholds[0]`` scores ``points[0]``, from
    ``thresholds[i-1]`` up to ``thresholds[i]`` scores ``points[i]``, from the last threshold on
    the last points (so ``points`` has one more entry than ``thresholds``)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["bands"]
    thresholds: list[float] = Field(min_length=1)
    points: list[Points]

    @model_validator(mode="after")
    def _shape(self) -> Bands:
        if any(b <= a for a, b in zip(self.thresholds, self.thresholds[1:], strict=False)):
            raise ValueError(f"thresholds must increase: {self.thresholds}")
        if len(self.points) != len(self.thresholds) + 1:
            raise ValueError(
                f"give {len(self.thresholds) + 1} points for {len(self.thresholds)} thresholds "
                f"(one per band), not {len(self.points)}"
            )
        return self


class Condition(BaseModel):
    """``points`` (may be negative) added when ``when`` holds; ``value`` is the measure's input."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    when: str
    points: float = Field(ge=-100, le=100)

    @field_validator("when")
    @classmethod
    def _valid(cls, text: str) -> str:
        return _checked(text, Type.BOOL, {"value": Type.NUMBER})


class Conditions(BaseModel):
    """``base`` plus the points of every condition that holds, clamped to 0-100."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    kind: Literal["conditions"]
    base: Points = 0.0
    conditions: list[Condition] = Field(min_length=1)


Scoring = Annotated[Linear | Bands | Conditions, Field(discriminator="kind")]


class Measure(BaseModel):
    """One input scored 0-100."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    label: str | None = Field(None, description="Words for the explanation; default: the field's.")
    field: str | None = Field(None, description="An input of the catalogue (docs/health.md).")
    expr: str | None = Field(None, description="Or an expression over the inputs.")
    window: Literal[7, 28, 90] | None = Field(
        None, description="Trailing window in days, for inputs that have one."
    )
    scoring: Scoring
    weight: float = Field(1.0, ge=0, le=1000)
    direction: Literal["higher", "lower"] = Field(
        "higher", description="Whether a higher input is better (linear scoring's slope)."
    )
    missing: Missing | None = Field(
        None, description="`skip`, or the score a missing input counts as; default: the card's."
    )

    @field_validator("expr")
    @classmethod
    def _valid_expr(cls, text: str | None) -> str | None:
        return None if text is None else _checked(text, Type.NUMBER)

    @model_validator(mode="after")
    def _one_input(self) -> Measure:
        if self.field is not None and self.expr is not None:
            raise ValueError("give `field` or `expr`, not both")
        if self.field is None and self.expr is None and self.scoring.kind != "conditions":
            raise ValueError('give the input: `field` (e.g. "nps") or `expr`')
        if self.field is not None:
            known = self.field in WINDOWED or self.field in INPUT_FIELDS
            if not known and not self.field.startswith("custom."):
                names = [f for f in INPUT_FIELDS if f.rsplit("_", 1)[0] not in WINDOWED]
                close = difflib.get_close_matches(self.field, names + list(WINDOWED), n=1)
                hint = f" (did you mean `{close[0]}`?)" if close else ""
                raise ValueError(f"unknown field `{self.field}`{hint}")
            if self.field in WINDOWED:
                if self.window is None:
                    raise ValueError(f"`{self.field}` has windows: give window = 7, 28 or 90")
            elif self.window is not None:
                raise ValueError(f"`{self.field}` has no windows: remove window")
        elif self.window is not None:
            raise ValueError("window applies to a `field` with windows, not to an expression")
        return self

    def column(self) -> str | None:
        """The input column read, or None for an expression or a conditions-only measure."""
        if self.field is None:
            return None
        return f"{self.field}_{self.window}" if self.window else self.field

    def title(self, name: str) -> str:
        """Words naming this measure in an explanation."""
        if self.label:
            return self.label
        if self.field is not None:
            words = FIELD_LABELS.get(
                self.field, self.field.removeprefix("custom.").replace("_", " ")
            )
            return f"{words} ({self.window} days)" if self.window else words
        return name.replace("_", " ")


class Group(BaseModel):
    """Measures and groups combined by one roll-up."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    label: str | None = None
    weight: float = Field(1.0, ge=0, le=1000)
    rollup: Rollup = "weighted"
    groups: dict[str, Group] = Field(default_factory=dict)
    measures: dict[str, Measure] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _children(self) -> Group:
        if not self.groups and not self.measures:
            raise ValueError("a group needs at least one measure or group")
        for name in [*self.groups, *self.measures]:
            if not _NAME.match(name):
                raise ValueError(f"name `{name}`: use letters, digits, `_` and `-` only")
        both = set(self.groups) & set(self.measures)
        if both:
            raise ValueError(f"`{sorted(both)[0]}` is both a group and a measure")
        return self


class Scorecard(Group):
    """The root group of a card, with its bands and its default for missing inputs."""

    bands: list[Band] = Field(default_factory=default_bands)
    missing: Missing = Field("skip", description="Default for measures that do not say.")

    @field_validator("bands")
    @classmethod
    def _bands(cls, bands: list[Band]) -> list[Band]:
        if not bands or bands[-1].below is not None:
            raise ValueError("the last band has no `below`: it holds every score above the others")
        bounds = [b.below for b in bands[:-1]]
        if any(b is None for b in bounds):
            raise ValueError("every band but the last needs `below`")
        if any(b2 <= b1 for b1, b2 in itertools.pairwise(bounds)):  # type: ignore[operator]
            raise ValueError(f"band bounds must increase: {bounds}")
        return bands


def default_scorecards() -> dict[str, Scorecard]:
    """The shipped scorecard: adoption, voice of the customer, support and renewal."""
    return {"default": Scorecard.model_validate(DEFAULT_SCORECARD)}


#: The shipped card. Its bounds are what a CS team reads off its own book (utilization of
#: 10-60 % of seats, NPS by its detractor / passive / promoter categories); renewal timing is
#: left out on purpose: it says when an account may leave, not how healthy it is.
DEFAULT_SCORECARD: dict[str, object] = {
    "label": "Default health",
    "rollup": "weighted",
    "groups": {
        "usage": {
            "label": "Product usage",
            "weight": 60,
            "measures": {
                "seat_utilization": {
                    "field": "seat_utilization",
                    "weight": 2,
                    "scoring": {"kind": "linear", "low": 0.1, "high": 0.6},
                },
                "active_users": {
                    "field": "active_users",
                    "window": 28,
                    "scoring": {"kind": "linear", "low": 0, "high": 20},
                },
                "breadth": {
                    "field": "breadth",
                    "window": 28,
                    "scoring": {"kind": "linear", "low": 0, "high": 0.8},
                },
                "recency": {
                    "field": "days_since_last_activity",
                    "direction": "lower",
                    "scoring": {
                        "kind": "bands",
                        "thresholds": [3, 8, 15, 31],
                        "points": [100, 80, 50, 20, 0],
                    },
                    "missing": 0,
                },
                "trend": {
                    "field": "events_trend",
                    "window": 28,
                    "scoring": {"kind": "linear", "low": -0.5, "high": 0.5},
                },
            },
        },
        "voice": {
            "label": "Voice of the customer",
            "weight": 25,
            "measures": {
                "nps": {
                    "field": "nps",
                    "scoring": {"kind": "bands", "thresholds": [7, 9], "points": [0, 50, 100]},
                },
                "csat": {"field": "csat", "scoring": {"kind": "linear", "low": 1, "high": 5}},
                "ces": {
                    "field": "ces",
                    "direction": "lower",
                    "scoring": {"kind": "linear", "low": 1, "high": 7},
                },
            },
        },
        "support": {
            "label": "Support",
            "weight": 15,
            "rollup": "worst",
            "measures": {
                "urgent_cases": {
                    "field": "urgent_cases",
                    "direction": "lower",
                    "scoring": {"kind": "bands", "thresholds": [1, 2], "points": [100, 40, 0]},
                },
                "breached_slas": {
                    "field": "breached_slas",
                    "direction": "lower",
                    "scoring": {"kind": "bands", "thresholds": [1, 3], "points": [100, 50, 0]},
                },
                "open_cases": {
                    "field": "open_cases",
                    "direction": "lower",
                    "scoring": {"kind": "linear", "low": 0, "high": 6},
                },
            },
        },
    },
}


class Rule(BaseModel):
    """Accounts for which ``when`` holds are scored by ``scorecard``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    scorecard: str
    when: str

    @field_validator("when")
    @classmethod
    def _valid_rule(cls, text: str) -> str:
        return _checked(text, Type.BOOL)


class HealthConfig(BaseModel):
    """Health scorecards and how parent accounts roll up their children."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    scorecards: dict[str, Scorecard] = Field(
        default_factory=default_scorecards,
        description="Scorecards by name.",
    )
    assign: list[Rule] = Field(
        default_factory=list,
        description="Rules tried in order: an account gets the card of the first that holds.",
    )
    default_scorecard: str = Field(
        "default", description="The card for accounts no `assign` rule matches."
    )
    parent_rollup: Literal["none", "arr", "count"] = Field(
        "arr",
        description="A parent account's roll-up score averages its own and its descendants' "
        "scores weighted by ARR, or by count; `none` leaves parents with their own score.",
    )

    @model_validator(mode="after")
    def _default_exists(self) -> HealthConfig:
        for name in self.scorecards:
            if not _NAME.match(name):
                raise ValueError(f"scorecard name `{name}`: use letters, digits, `_` and `-`")
        for rule in self.assign:
            if rule.scorecard not in self.scorecards:
                raise ValueError(
                    f"assign: `{rule.scorecard}` is not a scorecard (there are: "
                    f"{', '.join(self.scorecards)})"
                )
        if self.default_scorecard not in self.scorecards:
            known = ", ".join(self.scorecards) or "none"
            raise ValueError(
                f"default_scorecard `{self.default_scorecard}` is not a scorecard (there are: "
                f"{known})"
            )
        return self


__all__ = [
    "CATALOGUE",
    "DEFAULT_SCORECARD",
    "FIELD_LABELS",
    "INPUT_FIELDS",
    "WINDOWED",
    "WINDOWS",
    "Band",
    "Bands",
    "Condition",
    "Conditions",
    "Group",
    "HealthConfig",
    "Linear",
    "Measure",
    "Rule",
    "Scorecard",
    "default_bands",
    "default_scorecards",
]
