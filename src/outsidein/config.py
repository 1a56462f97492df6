"""Settings (environment, ``OUTSIDEIN_*``) and the ``outsidein.toml`` model.

Shipped defaults work without any file; a TOML file only overrides what it names.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from outsidein.analytics.settings import AnalyticsConfig
from outsidein.errors import ConfigError
from outsidein.precedence import IngestConfig

DEFAULT_DB = Path("outsidein-data") / "outsidein.duckdb"
DEFAULT_CONFIG = Path("outsidein.toml")


class Settings(BaseSettings):
    """Process-level settings, read from ``OUTSIDEIN_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="OUTSIDEIN_")

    db: Path = DEFAULT_DB
    config: Path = DEFAULT_CONFIG
    host: str = "127.0.0.1"
    port: int = 8000
    memory_limit: str = "2GB"


class StoreConfig(BaseModel):
    """How the store treats incoming data."""

    model_config = ConfigDict(extra="forbid")

    future_tolerance_hours: float = Field(
        24.0, ge=0, description="Timestamps later than now plus this are rejected as future."
    )


class OutsideInConfig(BaseModel):
    """The whole ``outsidein.toml``: each capability adds its own section."""

    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per load kind, source column -> canonical column.",
    )
    store: StoreConfig = Field(default_factory=StoreConfig)
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)


def load_config(path: Path | None) -> OutsideInConfig:
    """Read ``outsidein.toml``; a missing default file means shipped defaults."""
    if path is None or not path.exists():
        if path is not None and path != DEFAULT_CONFIG:
            raise ConfigError(f"{path}: config file not found")
        return OutsideInConfig()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return OutsideInConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
