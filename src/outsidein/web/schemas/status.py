"""What the running server and its store look like."""

from __future__ import annotations

from pydantic import BaseModel


class Status(BaseModel):
    """Versions and row counts, so an operator can see at a glance what is loaded."""

    version: str
    schema_version: int
    latest_schema_version: int
    tables: dict[str, int]
