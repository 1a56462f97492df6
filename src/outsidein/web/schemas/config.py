"""The configuration as the API shows it: one stored version and its number."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from outsidein.config import OutsideInConfig
from outsidein.web.schemas.types import UtcDatetime


class ConfigVersionOut(BaseModel):
    """The configuration in force, with the version number computed results record."""

    version: int = Field(description="Increases by one with every stored change.")
    created_at: UtcDatetime = Field(description="When this version was stored (UTC).")
    source: Literal["file", "api", "cli"] = Field(
        description="file: seeded from outsidein.toml; api: PUT /api/v1/config; cli: a command."
    )
    origin: str | None = Field(description="The file it was read from, or the client's address.")
    config: OutsideInConfig = Field(description="Every setting, shipped defaults included.")
    toml: str = Field(description="As outsidein.toml text (what `outsidein config export` writes).")
