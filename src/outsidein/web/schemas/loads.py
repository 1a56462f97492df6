"""What ``POST /api/v1/loads/{kind}`` answers: the same result a local ``outsidein load`` prints."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RejectOut(BaseModel):
    """One problem with one row of the file."""

    line: int | None = Field(description="Line of the file (1 is the header of a CSV).")
    column: str | None
    value: str | None
    reason: str


class LoadOut(BaseModel):
    """What the load did; ``rejects`` holds the first of them (all are in the store)."""

    load_id: str
    kind: str
    file: str = Field(description="The file as the client named it.")
    format: str
    rows_read: int
    rows_inserted: int
    rows_updated: int
    rows_unchanged: int
    rows_rejected: int
    rejects: list[RejectOut]
    ignored_columns: list[str]
    already_loaded: bool = Field(description="The same bytes, kind and mapping were loaded before.")
    seconds: float
    custom_fields: list[str] = Field(
        default_factory=list, description="Columns kept as custom fields of the rows."
    )
    notes: list[str] = Field(
        default_factory=list,
        description="Rows left out (--where) or combined (--group-by); what reconciling "
        "options changed (--full-refresh, churn records, superseded subscriptions).",
    )
    rows_missing: int = Field(
        0, description="Rows a --full-refresh list lacked: subscriptions ended, contacts flagged."
    )
