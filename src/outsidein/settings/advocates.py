"""The ``[advocates]`` section of ``outsidein.toml``: what makes a customer an advocate
candidate (references, case studies, champion programmes).

A candidate is healthy (its health score), a promoter (its latest NPS answer in
``nps_days``) and broadly adopted (the daily snapshot's key features used and active users
over 28 days), each against an explicit threshold here (docs/tiers.md#advocates).

A leaf module (pydantic and the stdlib only): reading settings loads no engine.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["AdvocatesConfig"]


class AdvocatesConfig(BaseModel):
    """Thresholds an advocate candidate reaches, all of them."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    min_health: float = Field(80, ge=0, le=100, description="Health score at or above this.")
    min_nps: float = Field(
        9, ge=0, le=10, description="The latest NPS answer at or above this (9: a promoter)."
    )
    nps_days: int = Field(365, ge=1, le=3660, description="How old that answer may be, in days.")
    min_breadth: float = Field(
        0.7, ge=0, le=1, description="Share of the key features used in the last 28 days."
    )
    min_active_users: int = Field(
        5, ge=0, le=1_000_000, description="Active users in the last 28 days at or above this."
    )
