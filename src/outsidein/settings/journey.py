"""The ``[journey]`` section of ``outsidein.toml``: the journey map.

Stages in order, each in a phase — ``pre`` purchase (lowering barriers to consumption) or
``post`` purchase (lowering hurdles to satisfaction) — with the touchpoint channels that
belong to it and the function that owns it; and the hand-offs between functions the company
expects, each with the hours the receiving function has to take it up (sales -> onboarding
within 72 hours of a closed deal). ``preset = "eight"`` ships an eight-step map instead of the
default five stages; ``stages`` written out replace the preset's (docs/journey.md).

A leaf module (pydantic and the stdlib only): reading settings loads no engine.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "EIGHT_STEPS",
    "FIVE_STAGES",
    "INTERRUPTION_KINDS",
    "HandOff",
    "InterruptionKind",
    "InterruptionSettings",
    "JourneyConfig",
    "Stage",
]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
FUNCTION_NAMES = ("sales", "marketing", "onboarding", "support", "success", "billing", "product")


class Stage(BaseModel):
    """One stage of the journey map."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=40, description="Key: lower case, digits, `_`.")
    phase: Literal["pre", "post"] = Field(description="Before or after the purchase.")
    owner: str = Field(description="The function that owns the stage.")
    channels: list[str] = Field(
        default_factory=list, description="Touchpoint channels that belong to the stage."
    )

    @model_validator(mode="after")
    def _check(self) -> Stage:
        if not _NAME.match(self.name):
            raise ValueError(f"stage name {self.name!r}: lower case letters, digits and _")
        if self.owner not in FUNCTION_NAMES:
            raise ValueError(f"owner {self.owner!r}: one of {', '.join(FUNCTION_NAMES)}")
        return self


class HandOff(BaseModel):
    """An expected hand-off: ``from_function`` passes the customer to ``to_function``."""

    model_config = ConfigDict(extra="forbid")

    from_function: str
    to_function: str
    within_hours: float = Field(gt=0, le=24 * 365, description="Time to take it up.")
    stage: str | None = Field(None, description="The stage it happens in, when it matters.")

    @model_validator(mode="after")
    def _check(self) -> HandOff:
        for f in (self.from_function, self.to_function):
            if f not in FUNCTION_NAMES:
                raise ValueError(f"function {f!r}: one of {', '.join(FUNCTION_NAMES)}")
        return self


def _s(name: str, phase: Literal["pre", "post"], owner: str, channels: str) -> Stage:
    return Stage(name=name, phase=phase, owner=owner, channels=channels.split())


FIVE_STAGES: tuple[Stage, ...] = (
    _s("awareness", "pre", "marketing", "webinar content_download paid_search event"),
    _s("consideration", "pre", "sales", "email_campaign demo discovery_call web"),
    _s("acquisition", "pre", "sales", "contract kickoff_call training go_live"),
    _s("service", "post", "support", "ticket chat phone bug_triage payment_reminder dunning_call"),
    _s("loyalty", "post", "success", "qbr renewal_call upsell_call success_plan win_back"),
)
EIGHT_STEPS: tuple[Stage, ...] = (
    _s("awareness", "pre", "marketing", "webinar content_download paid_search event"),
    _s("consideration", "pre", "marketing", "email_campaign web"),
    _s("evaluation", "pre", "sales", "demo discovery_call"),
    _s("purchase", "pre", "sales", "contract"),
    _s("onboarding", "post", "onboarding", "kickoff_call training go_live"),
    _s("adoption", "post", "success", "in_app_guide success_plan feedback_session"),
    _s("service", "post", "support", "ticket chat phone bug_triage payment_reminder dunning_call"),
    _s("renewal", "post", "success", "qbr renewal_call upsell_call win_back cancellation"),
)
DEFAULT_HANDOFFS: tuple[HandOff, ...] = (
    HandOff(from_function="marketing", to_function="sales", within_hours=48),
    HandOff(from_function="sales", to_function="onboarding", within_hours=72),
    HandOff(from_function="onboarding", to_function="success", within_hours=120),
    HandOff(from_function="support", to_function="product", within_hours=72),
    HandOff(from_function="support", to_function="billing", within_hours=48),
    HandOff(from_function="support", to_function="success", within_hours=48),
    HandOff(from_function="product", to_function="support", within_hours=72),
)


#: The kinds of journey interruption (docs/journey.md "Interruptions")
INTERRUPTION_KINDS = (
    "failed_touchpoint",
    "broken_handoff",
    "stall",
    "ping_pong",
    "repeat_contact",
    "sla_breach",
    "chasing",
    "no_owner",
)
InterruptionKind = Literal[
    "failed_touchpoint",
    "broken_handoff",
    "stall",
    "ping_pong",
    "repeat_contact",
    "sla_breach",
    "chasing",
    "no_owner",
]


class InterruptionSettings(BaseModel):
    """Thresholds of the journey's interruptions (docs/journey.md)."""

    model_config = ConfigDict(extra="forbid")

    ping_pong_moves: int = Field(
        2, ge=1, le=50, description="A case moved between functions more than this: ping-pong."
    )
    repeat_days: float = Field(
        7, gt=0, le=365, description="A contact about a closed case within these days repeats."
    )
    unowned_hours: float = Field(
        24, gt=0, le=24 * 365, description="An open case with no owner this long: no owner."
    )
    stall_percentile: float = Field(
        90, ge=50, le=99.9, description="Time in stage beyond this percentile: a stall."
    )
    stall_min_accounts: int = Field(
        10, ge=2, le=10_000, description="Comparable stays needed to call a stall."
    )


class JourneyConfig(BaseModel):
    """The journey map: stages in order and the hand-offs expected between functions."""

    model_config = ConfigDict(extra="forbid")

    preset: Literal["five", "eight"] = Field(
        "five", description="Five stages (Awareness .. Loyalty) or the eight-step map."
    )
    stages: list[Stage] = Field(
        default_factory=list, description="Stages in order; empty: the preset's."
    )
    handoffs: list[HandOff] = Field(default_factory=lambda: list(DEFAULT_HANDOFFS))
    interruptions: InterruptionSettings = Field(default_factory=InterruptionSettings)

    @model_validator(mode="after")
    def _check(self) -> JourneyConfig:
        names = [s.name for s in self.stages]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            raise ValueError(f"stage names repeat: {', '.join(dupes)}")
        known = {s.name for s in self.map()}
        for h in self.handoffs:
            if h.stage is not None and h.stage not in known:
                raise ValueError(f"hand-off stage {h.stage!r} is not a stage of the map")
        return self

    def map(self) -> list[Stage]:
        """The stages in force: those written out, else the preset's."""
        if self.stages:
            return list(self.stages)
        return list(FIVE_STAGES if self.preset == "five" else EIGHT_STEPS)
