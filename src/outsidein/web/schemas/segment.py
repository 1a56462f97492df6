"""Write keys and ingestion activity as the API shows them (``/api/v1/segment/...``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from outsidein.web.schemas.types import UtcDatetime


class KeyOut(BaseModel):
    """A write key as listed (never its secret)."""

    key_id: str
    name: str
    key_prefix: str
    created_at: UtcDatetime
    revoked_at: UtcDatetime | None
    scopes: list[Literal["master-data"]] = Field(
        default_factory=list, description="What the key may do beyond sending events"
    )


class NewKey(BaseModel):
    """The name of a key to create, and its scopes (none: events and new accounts only)."""

    name: str = Field(min_length=1, max_length=100)
    scopes: list[Literal["master-data"]] = Field(
        default_factory=list,
        description="'master-data': its traits may replace values a file load set",
    )


class CreatedKeyOut(KeyOut):
    """A new key, with its secret: shown this once and stored only as a hash."""

    secret: str


class ReasonCountOut(BaseModel):
    """A reason events were rejected for, and how often in the last seven days."""

    model_config = ConfigDict(from_attributes=True)

    field: str | None
    reason: str
    count: int


class RejectSampleOut(BaseModel):
    """One recent reject: where in the request (``line``: index in a batch), and why."""

    model_config = ConfigDict(from_attributes=True)

    rejected_at: UtcDatetime
    key_id: str
    kind: str
    line: int | None
    field: str | None
    value: str | None
    reason: str


class KeyActivityOut(KeyOut):
    """One write key and what arrived with it."""

    model_config = ConfigDict(from_attributes=True)

    requests: int
    accepted: int
    rejected: int
    duplicates: int
    accepted_24h: int
    rejected_24h: int
    last_seen: UtcDatetime | None
    top_reasons: list[ReasonCountOut]
    held_back: int = Field(
        0, description="Traits it sent that a file's value keeps out of accounts and contacts"
    )


class ActivityOut(BaseModel):
    """Every key's activity, the latest rejects, and what is still on its way."""

    model_config = ConfigDict(from_attributes=True)

    keys: list[KeyActivityOut]
    recent_rejects: list[RejectSampleOut]
    inbox: int = Field(description="Accepted messages not applied yet")
    pending: int = Field(description="Events waiting for their user's account")
    events_from_segment_24h: int


__all__ = ["ActivityOut", "CreatedKeyOut", "KeyOut", "NewKey"]
