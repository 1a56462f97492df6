"""The audit log as the API shows it (``GET /api/v1/audit``)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from outsidein.web.schemas.types import UtcDatetime


class AuditEntryOut(BaseModel):
    """One thing someone did, when (UTC), to what."""

    model_config = ConfigDict(from_attributes=True)

    seq: int = Field(description="Its place in the log; newer entries have higher numbers")
    at: UtcDatetime
    actor: str | None = Field(description="Who: a user, or cli/api/file until users exist")
    action: str = Field(description="e.g. key.create, config.publish, backup, contact.erase")
    target: str | None
    detail: dict[str, Any] | None


class AuditPageOut(BaseModel):
    """A page of the log, newest first."""

    entries: list[AuditEntryOut]
    total: int = Field(description="Entries matching the filters")
    offset: int
    limit: int
    next_offset: int | None = Field(description="The offset of the next page; null on the last")
