"""Source precedence: which kind of source may overwrite a field another kind set.

Every value of an account or contact field remembers the source that set it (the
``field_sources`` column; :mod:`outsidein.ingest.provenance` writes it). A source is a file
path for file loads (a CRM export is a file) or ``segment:KEY_ID`` for the Segment API; its
*kind* is ``file`` or ``segment``. ``[ingest.precedence]`` ranks the kinds, first = strongest:
a write replaces a value only when its kind ranks at least as high as the kind that set it.
Empty fields take any value. By default a file outranks product traits, so a ``group`` call
cannot rename an account that the CRM file named.

Kept free of heavy imports: :mod:`outsidein.config` includes it.
"""

from __future__ import annotations

from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SourceKind = Literal["file", "segment"]
SOURCE_KINDS: tuple[SourceKind, ...] = get_args(SourceKind)
TRACKED_TABLES = ("accounts", "contacts")

Ranking = list[SourceKind]


def source_kind(source: str) -> SourceKind:
    """The kind of a stored ``source`` (the SQL twin is ``provenance.kind_sql``)."""
    return "segment" if source.startswith("segment:") else "file"


def _check_ranking(ranking: Ranking) -> Ranking:
    if not ranking:
        raise ValueError(f"name at least one source kind of: {', '.join(SOURCE_KINDS)}")
    if len(set(ranking)) != len(ranking):
        raise ValueError(f"each source kind at most once: {ranking}")
    return ranking


class PrecedenceConfig(BaseModel):
    """``[ingest.precedence]``: the ranking of source kinds, overall and per field."""

    model_config = ConfigDict(extra="forbid")

    default: Ranking = Field(
        default_factory=lambda: list(SOURCE_KINDS),
        description="Source kinds, strongest first, for every field without its own ranking. "
        "A value set by one kind is overwritten only by a kind ranked as high or higher.",
    )
    accounts: dict[str, Ranking] = Field(
        default_factory=dict,
        description='Per accounts field, its own ranking, e.g. name = ["segment", "file"].',
    )
    contacts: dict[str, Ranking] = Field(
        default_factory=dict,
        description='Per contacts field, its own ranking, e.g. title = ["segment", "file"].',
    )

    @field_validator("default")
    @classmethod
    def _default_ranking(cls, ranking: Ranking) -> Ranking:
        return _check_ranking(ranking)

    @field_validator("accounts", "contacts")
    @classmethod
    def _field_rankings(cls, rankings: dict[str, Ranking]) -> dict[str, Ranking]:
        for ranking in rankings.values():
            _check_ranking(ranking)
        return rankings

    @model_validator(mode="after")
    def _known_fields(self) -> PrecedenceConfig:
        # Imported here, and only when a field is named: the table specs need no database,
        # but their package opens one, and importing outsidein.config must stay cheap.
        if not (self.accounts or self.contacts):
            return self
        from outsidein.store.tables import TABLES

        for table in TRACKED_TABLES:
            spec = TABLES[table]
            fields = [c for c in spec.column_names if c != spec.key]
            for name in getattr(self, table):
                if name not in fields:
                    raise ValueError(f"{table}.{name}: no such field; one of: {', '.join(fields)}")
        return self

    def ranking(self, table: str, field: str) -> tuple[SourceKind, ...]:
        """Every kind, strongest first: the configured ones, then those it leaves out."""
        named = getattr(self, table).get(field, self.default)
        return (*named, *(k for k in SOURCE_KINDS if k not in named))

    def overwritable(self, writer: SourceKind, table: str, field: str) -> tuple[SourceKind, ...]:
        """The kinds whose values in ``table.field`` a ``writer`` may replace."""
        order = self.ranking(table, field)
        return order[order.index(writer) :]


class IngestConfig(BaseModel):
    """``[ingest]``: how loads and the Segment API write into the canonical tables."""

    model_config = ConfigDict(extra="forbid")

    precedence: PrecedenceConfig = Field(default_factory=PrecedenceConfig)


__all__ = [
    "SOURCE_KINDS",
    "TRACKED_TABLES",
    "IngestConfig",
    "PrecedenceConfig",
    "SourceKind",
    "source_kind",
]
