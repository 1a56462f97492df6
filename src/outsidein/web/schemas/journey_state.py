"""Journey state and interruptions as the API returns them (docs/journey.md): the shapes of
outsidein.journey.report, computed there, never here."""

from __future__ import annotations

from pydantic import BaseModel, Field

from outsidein.web.schemas.types import UtcDatetime


class StageEntryOut(BaseModel):
    stage: str = Field(description="A stage of the journey map, or `left` (churned)")
    at: UtcDatetime


class StateOut(BaseModel):
    account_id: str
    stage: str | None = Field(description="The current stage; null before any stage")
    since: UtcDatetime | None
    days_in_stage: float | None
    history: list[StageEntryOut] = Field(description="Each step forward, oldest first")


class StageCount(BaseModel):
    stage: str
    accounts: int


class StatesOut(BaseModel):
    as_of: UtcDatetime
    total: int
    by_stage: list[StageCount]
    items: list[StateOut]


class InterruptionOut(BaseModel):
    kind: str
    account_id: str
    at: UtcDatetime = Field(description="When it happened (an SLA ran out, a limit passed...)")
    function: str | None
    stage: str | None = Field(description="The account's journey stage then")
    ref: str = Field(description="The touchpoint, case or hand-off it is about")
    case_id: str | None
    evidence: str
    open: bool = Field(description="Still going on at as_of")


class KindCount(BaseModel):
    kind: str
    count: int


class CellOut(BaseModel):
    function: str
    stage: str
    total: int
    accounts: int
    kinds: dict[str, int]


class InterruptionsOut(BaseModel):
    as_of: UtcDatetime
    since: UtcDatetime
    total: int
    open: int
    accounts: int
    by_kind: list[KindCount]
    by_function_stage: list[CellOut]
    cases_closed: int
    first_contact_resolution: float | None = Field(
        description="Share of the cases closed in the window the customer contacted once"
    )
    items: list[InterruptionOut] = Field(description="Newest first, cut to `limit`")
