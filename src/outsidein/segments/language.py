"""Segment filters in the shared expression language (docs/health.md is its reference).

:func:`catalogue` gathers the fields of every registered source; :func:`compile_filter`
parses and types a filter against it (it must give true or false) with the language's own
errors (column, expected token, unknown field with a suggestion); :func:`filter_sql` is the
filter as DuckDB SQL with bound parameters (:func:`outsidein.expr.sql.to_sql`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date

import duckdb

from outsidein.expr import Catalogue, Expression, Type, compile_expression
from outsidein.expr.nodes import fields as fields_of
from outsidein.expr.sql import to_sql
from outsidein.segments.fields import Context, FieldDef, RegistryError, field_sources

__all__ = ["SegmentCatalogue", "catalogue", "compile_filter", "filter_sql"]

MAX_FILTER_LENGTH = 4_000


@dataclass(frozen=True)
class SegmentCatalogue:
    """Every field a filter may read: by name, with its source and meaning."""

    fields: Mapping[str, FieldDef]

    @property
    def expr(self) -> Catalogue:
        return Catalogue({n: f.type for n, f in self.fields.items()})

    def sources_for(self, names: set[str]) -> dict[str, list[str]]:
        """Source name -> the fields of ``names`` it gives, in catalogue order."""
        out: dict[str, list[str]] = {}
        for name, f in self.fields.items():
            if name in names:
                out.setdefault(f.source, []).append(name)
        return out


def catalogue(con: duckdb.DuckDBPyConnection, context: Context | None = None) -> SegmentCatalogue:
    """The fields of every registered source, as the store and configuration have them."""
    context = context or Context()
    found: dict[str, FieldDef] = {}
    for source in field_sources():
        for f in source.fields(con, context):
            if f.name in found:
                raise RegistryError(
                    f"segment field {f.name!r} is given by both {found[f.name].source!r} and "
                    f"{source.name!r}: rename one"
                )
            found[f.name] = FieldDef(f.name, f.type, f.description, source.name, f.unit,
                                     f.history)  # fmt: skip
    return SegmentCatalogue(found)


def compile_filter(text: str, fields: SegmentCatalogue) -> Expression:
    """``text`` parsed and typed as a filter (true or false per account).

    Raises :class:`outsidein.expr.ExpressionError` with the column, what was expected there
    and, for an unknown field, the closest known one.
    """
    from outsidein.expr import ExpressionError

    if len(text) > MAX_FILTER_LENGTH:
        raise ExpressionError(
            text[:60] + "...", 0, f"a segment filter is at most {MAX_FILTER_LENGTH} characters"
        )
    return compile_expression(text, fields.expr, want=Type.BOOL)


def filter_sql(expression: Expression) -> tuple[str, list[float | str | bool | date]]:
    """The filter as a SQL condition over the fields table (columns named as the fields)
    and its parameters: no value of the text is ever in the SQL."""
    return to_sql(expression)


def fields_read(expression: Expression) -> set[str]:
    """The fields the filter reads."""
    return fields_of(expression.tree)
