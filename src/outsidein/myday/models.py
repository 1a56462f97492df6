"""What My day answers: the same models for the page, the API and the CLI."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from outsidein.jsontypes import UtcDatetime

__all__ = ["DayItem", "DayPanel", "MyDay"]


class DayItem(BaseModel):
    """One account to act on, and why."""

    account_id: str
    account_name: str
    csm_id: str | None = None
    headline: str = Field(description="Why it is here, in words")
    detail: str | None = None
    at: UtcDatetime | None = Field(None, description="When it happened or is due (UTC)")
    value: float | None = Field(None, description="The panel's number: days, score, points")
    link: str = Field(description="The account's page (or the thing's own page)")


class DayPanel(BaseModel):
    name: str
    title: str
    empty: str = Field(description="What the panel says when it has no items")
    items: list[DayItem]
    total: int = Field(description="Items in all; at most `limit` are listed")


class MyDay(BaseModel):
    """A CSM's day: what needs them, panel by panel, in their book (or one CSM's, or all)."""

    as_of: date
    notice: str | None = None
    csm: str | None = Field(None, description="Whose book; null: every account")
    days: int
    limit: int
    panels: list[DayPanel]
