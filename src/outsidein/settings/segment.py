"""Tuning of the ingestion write path, from ``OUTSIDEIN_SEGMENT_*`` environment variables.

The protocol's own limits (32 KB a call, 500 KB and 2,500 events a batch) are Segment's and
fixed in :mod:`outsidein.ingest.segment.body`; these settings only say how much the server
buffers before it answers 429, and how often accepted messages reach the canonical tables.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class SegmentSettings(BaseSettings):
    """How the ingestion API buffers, commits and applies."""

    model_config = SettingsConfigDict(env_prefix="OUTSIDEIN_SEGMENT_")

    apply_interval: float = Field(
        2.0,
        gt=0,
        le=30,
        description="Seconds between moves of accepted messages into events, accounts and "
        "contacts. New events are visible to metrics within about this long (at most 60 s).",
    )
    max_queued_events: int = Field(
        200_000,
        ge=1,
        description="Events parsed but not yet committed; beyond this, requests get 429.",
    )
    max_backlog: int = Field(
        5_000_000,
        ge=0,
        description="Events committed but not yet applied; beyond this, requests get 429.",
    )
    max_commit_events: int = Field(
        100_000, ge=1, description="At most this many events in one group commit."
    )
    max_apply_events: int = Field(
        1_000_000, ge=1, description="At most this many inbox rows applied in one cycle."
    )


__all__ = ["SegmentSettings"]
