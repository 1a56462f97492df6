"""Settings (environment, ``OUTSIDEIN_*``) and the ``outsidein.toml`` model.

Shipped defaults work without any file; a TOML file only overrides what it names.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import tomli_w
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from outsidein.errors import ConfigError, InvalidConfigError
from outsidein.precedence import IngestConfig
from outsidein.settings.advocates import AdvocatesConfig
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.health import HealthConfig
from outsidein.settings.journey import JourneyConfig
from outsidein.settings.load import LoadSpec
from outsidein.settings.outbox import OutboxConfig
from outsidein.settings.playbooks import PlaybooksConfig
from outsidein.settings.sources import SourcesConfig
from outsidein.settings.store import StoreConfig
from outsidein.settings.tiers import TiersConfig

DEFAULT_DB = Path("outsidein-data") / "outsidein.duckdb"
DEFAULT_CONFIG = Path("outsidein.toml")


def find_config(db: Path) -> Path | None:
    """The ``outsidein.toml`` read when none is named: the current folder's, else the one
    beside the store (where ``outsidein demo`` writes its own, so that ``outsidein serve``
    over the same store finds it from anywhere), else none: the store's latest version, or
    the shipped defaults (docs/configuration.md)."""
    for path in (DEFAULT_CONFIG, db.parent / DEFAULT_CONFIG.name):
        if path.is_file():
            return path
    return None


class Settings(BaseSettings):
    """Process-level settings, read from ``OUTSIDEIN_*`` environment variables."""

    model_config = SettingsConfigDict(env_prefix="OUTSIDEIN_")

    db: Path = DEFAULT_DB
    config: Path | None = Field(
        None, description="Named by --config or OUTSIDEIN_CONFIG, else found by find_config."
    )
    host: str = "127.0.0.1"
    port: int = 8000
    memory_limit: str = "2GB"
    temp_limit: str = "20GB"
    max_upload_mb: float = Field(1024.0, gt=0, description="Largest file a load may upload")

    @model_validator(mode="after")
    def _find_config(self) -> Settings:
        if self.config is None:
            self.config = find_config(self.db)
        return self


class OutsideInConfig(BaseModel):
    """The whole ``outsidein.toml``: each capability adds its own section."""

    model_config = ConfigDict(extra="forbid")

    mapping: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per load kind, source column -> canonical column.",
    )
    load: dict[str, LoadSpec] = Field(
        default_factory=dict,
        description="Per load kind, transforms: value maps, constants, keys, filters (loading.md).",
    )
    formats: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="Per load kind, column -> date format (strptime, iso, epoch, epoch_ms).",
    )
    store: StoreConfig = Field(default_factory=StoreConfig)
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig)
    ingest: IngestConfig = Field(default_factory=IngestConfig)
    sources: SourcesConfig = Field(default_factory=SourcesConfig)
    health: HealthConfig = Field(default_factory=HealthConfig)
    tiers: TiersConfig = Field(default_factory=TiersConfig)
    advocates: AdvocatesConfig = Field(default_factory=AdvocatesConfig)
    outbox: OutboxConfig = Field(default_factory=OutboxConfig)
    playbooks: PlaybooksConfig = Field(default_factory=PlaybooksConfig)
    journey: JourneyConfig = Field(default_factory=JourneyConfig)


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
    return parse_config(raw, str(path))


def parse_config(raw: Mapping[str, Any], origin: str) -> OutsideInConfig:
    """Validate a configuration (TOML as read, or a JSON body); errors name each field."""
    try:
        return OutsideInConfig.model_validate(raw)
    except ValidationError as exc:
        fields = [
            {"field": ".".join(str(p) for p in err["loc"]) or "(root)", "message": err["msg"]}
            for err in exc.errors()
        ]
        problems = "; ".join(f"{f['field']}: {f['message']}" for f in fields)
        raise InvalidConfigError(f"{origin}: {problems}", fields=fields) from exc


def config_toml(config: OutsideInConfig) -> str:
    """``config`` as outsidein.toml text: every value that differs from the shipped defaults."""
    return tomli_w.dumps(config.model_dump(exclude_defaults=True, exclude_none=True))
