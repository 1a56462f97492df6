"""The segment field registry: every field a filter may read comes from a registered source.

A :class:`FieldSource` names its fields (:meth:`~FieldSource.fields`, which may depend on the
store: custom fields, health measures) and computes them for a day
(:meth:`~FieldSource.load`: one row per account, ``account_id`` and a column per field asked).
The built-in sources (account record, daily snapshot and health inputs, contract facts,
health, custom fields) are in :mod:`outsidein.segments.sources`; another capability (touch
tiers, advocates, churn risk, CLV) adds its fields with :func:`register_source` and every
interface (CLI, API, pages, playbook triggers) sees them at once.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import duckdb
import pyarrow as pa

from outsidein.config import OutsideInConfig
from outsidein.errors import OutsideInError
from outsidein.expr import Type
from outsidein.settings.advocates import AdvocatesConfig
from outsidein.settings.analytics import AnalyticsConfig
from outsidein.settings.health import HealthConfig
from outsidein.settings.journey import JourneyConfig

__all__ = [
    "Context",
    "FieldDef",
    "FieldSource",
    "RegistryError",
    "field_sources",
    "register_source",
    "unregister_source",
]


class RegistryError(OutsideInError):
    """A field source cannot be registered (a name another source already gives)."""

    code = "segment_field_registry"


@dataclass(frozen=True)
class Context:
    """The configuration a source computes with (the version in force)."""

    analytics: AnalyticsConfig = field(default_factory=AnalyticsConfig)
    health: HealthConfig = field(default_factory=HealthConfig)
    advocates: AdvocatesConfig = field(default_factory=AdvocatesConfig)
    journey: JourneyConfig = field(default_factory=JourneyConfig)

    @classmethod
    def of(cls, config: OutsideInConfig) -> Context:
        """The sections of ``config`` the sources compute with."""
        return cls(config.analytics, config.health, config.advocates, config.journey)


@dataclass(frozen=True)
class FieldDef:
    """One field: its name in filters, its type, what it means, and where it comes from.

    ``history``: the source knows its value on past days (False: today's value is used for
    every day, e.g. an account's segment, a custom field).
    """

    name: str
    type: Type
    description: str
    source: str = ""
    unit: str = ""
    history: bool = True


class FieldSource(Protocol):
    """What a capability registers to add segment fields."""

    name: str

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> Sequence[FieldDef]:
        """The fields it gives now (types as the data has them)."""
        ...

    def load(
        self,
        con: duckdb.DuckDBPyConnection,
        as_of: date,
        names: Sequence[str],
        context: Context,
    ) -> pa.Table:
        """``account_id`` and one column per name in ``names``, as of the end of ``as_of``;
        accounts it knows nothing about may be left out (their fields are null)."""
        ...


_LOCK = threading.Lock()
_SOURCES: dict[str, FieldSource] = {}


def register_source(source: FieldSource, *, replace: bool = False) -> None:
    """Add ``source`` to the registry (``replace``: a source of the same name is replaced).

    Field names must be unique across sources; a clash is found when the catalogue is built
    (:func:`outsidein.segments.language.catalogue`) and named there.
    """
    with _LOCK:
        if source.name in _SOURCES and not replace:
            raise RegistryError(f"a segment field source named {source.name!r} is registered")
        _SOURCES[source.name] = source


def unregister_source(name: str) -> None:
    """Remove the source ``name`` (tests; a capability switched off)."""
    with _LOCK:
        _SOURCES.pop(name, None)


def field_sources() -> list[FieldSource]:
    """Every registered source, built-in ones first, in registration order."""
    from outsidein.segments import sources as _builtin  # noqa: F401  (registers the built-ins)

    with _LOCK:
        return list(_SOURCES.values())
