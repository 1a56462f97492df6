"""What a timeline answers: the same models for the page, the API and the CLI."""

from __future__ import annotations

from pydantic import BaseModel, Field

from outsidein.jsontypes import UtcDatetime

__all__ = ["Note", "TimelineItem", "TimelinePage"]


class TimelineItem(BaseModel):
    """One thing that happened to an account, from one of the timeline's sources."""

    at: UtcDatetime = Field(description="When it happened (UTC)")
    kind: str = Field(description="What it is: touchpoint, case_opened, survey, note, health, ...")
    title: str
    detail: str | None = None
    actor: str | None = Field(None, description="Who: a contact, a function, a user")
    link: str | None = Field(None, description="A page about it, when there is one")


class TimelinePage(BaseModel):
    """One page of an account's timeline, newest first."""

    account_id: str
    items: list[TimelineItem]
    total: int = Field(description="Items matching q and kinds, on every page")
    page: int
    page_size: int
    q: str = ""
    kinds: list[str] = Field(description="The kinds asked for (empty: every kind)")
    available_kinds: list[str] = Field(description="Every kind a timeline can hold")

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


class Note(BaseModel):
    """A note, call or meeting logged on an account by a signed-in user."""

    note_id: str
    account_id: str
    kind: str
    at: UtcDatetime
    subject: str | None = None
    body: str
    author: str
    created_at: UtcDatetime
