"""Journey discovery and interruptions as the API returns them (docs/journey.md): computed by
outsidein.journey, never here."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from outsidein.journey.interruptions import BrokenHandoff
from outsidein.web.schemas.types import UtcDatetime


class EdgeOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    source: str = Field(alias="from", description="The first step")
    to: str = Field(description="The step that directly follows it")
    count: int
    mean_hours: float | None
    median_hours: float | None
    p90_hours: float | None


class VariantOut(BaseModel):
    steps: list[str]
    cases: int


class DiscoveryOut(BaseModel):
    events: int
    cases: int
    activities: int
    edges: list[EdgeOut] = Field(description="Most frequent first, cut to `top`")
    edges_total: int
    variants: list[VariantOut] = Field(description="Most frequent first, cut to `top`")
    variants_total: int


class BrokenHandoffOut(BaseModel):
    handoff_id: str
    case_id: str
    account_id: str
    from_function: str
    to_function: str
    handed_at: UtcDatetime
    limit_hours: float
    taken_at: UtcDatetime | None = Field(description="Late, or null: nobody yet")
    owner: str | None
    evidence: str

    @classmethod
    def of(cls, b: BrokenHandoff) -> BrokenHandoffOut:
        return cls(
            handoff_id=b.handoff_id,
            case_id=b.case_id,
            account_id=b.account_id,
            from_function=b.from_function,
            to_function=b.to_function,
            handed_at=b.handed_at,
            limit_hours=b.limit_hours,
            taken_at=b.taken_at,
            owner=b.owner,
            evidence=b.evidence,
        )


class BrokenHandoffList(BaseModel):
    total: int
    items: list[BrokenHandoffOut]


class FunnelStepOut(BaseModel):
    stage: str
    phase: str
    reached: int = Field(description="Accounts with a touchpoint in the stage")
    went_on: int = Field(description="Of those, accounts that reached a later stage")
    conversion: float | None = Field(description="went_on / reached; null for the last stage")
    drop_off: int


class FunnelOut(BaseModel):
    steps: list[FunnelStepOut]


class HandoverOut(BaseModel):
    from_function: str
    to_function: str
    count: int


class ChurnPathOut(BaseModel):
    steps: list[str]
    churned: int
    retained: int
    churned_share: float
    retained_share: float
    lift: float | None = Field(description="Churned share over retained share")


class BlueprintCellOut(BaseModel):
    function: str
    stage: str
    volume: int = Field(description="Touchpoints")
    failed: int
    failure_rate: float | None
    handoffs: int = Field(description="Touchpoints handing the customer to another function")
    handoffs_taken: int = Field(description="Followed up within the journey map's limit")
    handoff_success: float | None
    inbound: int
    respond_median_hours: float | None = Field(description="Inbound to the next outbound")
    respond_p90_hours: float | None
    answers: int = Field(description="NPS and CSAT answers within `days` after a touchpoint")
    nps: float | None
    csat: float | None
    breaks: list[str] = Field(description="Why the journey breaks here; empty: it holds")


class BlueprintOut(BaseModel):
    functions: list[str]
    stages: list[str]
    days: int
    volume: int
    failure_rate: float | None
    respond_median_hours: float | None
    cells: list[BlueprintCellOut]
