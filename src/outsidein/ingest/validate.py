"""Row validation as SQL: one set-based pass per batch, no per-row Python.

For a canonical :class:`~outsidein.store.tables.Table` and the columns a file provides, this
builds a query that turns a raw batch into typed columns plus a list of everything wrong
with each row (column, value, reason). Checks that need the whole file or the store
(duplicate keys, references) run afterwards in :mod:`outsidein.ingest.loader`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

import pyarrow as pa

from outsidein.ingest import reasons
from outsidein.ingest.dates import DateFormat
from outsidein.settings.store import EARLIEST_DATE, EARLIEST_EVENT, StoreConfig
from outsidein.store.tables import Column, Table

SQL_TYPES = {
    "text": "VARCHAR",
    "int": "INTEGER",
    "decimal": "DECIMAL(18, 2)",
    "double": "DOUBLE",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
    "json": "JSON",
    "bool": "BOOLEAN",
}


@dataclass(frozen=True)
class DateBounds:
    """The dates a row may hold (``[store]`` of outsidein.toml, docs/loading.md).

    Every date and timestamp from ``earliest`` (event times from ``earliest_event``); what
    has happened (``no_future`` columns) up to ``latest``; the rest may lie ahead (an end
    date, a due date) but must be a real, finite day.
    """

    latest: datetime
    earliest: date = EARLIEST_DATE
    earliest_event: date = EARLIEST_EVENT

    @classmethod
    def of(cls, config: StoreConfig, now: datetime | None = None) -> DateBounds:
        return cls(config.future_cutoff(now), config.earliest_date, config.earliest_event)

    def low(self, col: Column) -> date:
        return self.earliest_event if col.event_time else self.earliest

    def allowed(self, col: Column) -> str:
        """The allowed range, as a reject's reason says it."""
        end = f"{self.latest:%Y-%m-%d %H:%M} UTC" if col.no_future else "any later day"
        return f"allowed from {self.low(col).isoformat()} to {end}"


def ident(name: str) -> str:
    """A quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    """A quoted SQL string literal."""
    return "'" + value.replace("'", "''") + "'"


def _is_text(arrow_type: pa.DataType | None) -> bool:
    return (
        arrow_type is None or pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type)
    )


def _raw_expr(source: str, arrow_type: pa.DataType) -> str:
    """The file's value: text with '' as missing, nested values as JSON, typed values as-is.

    Typed values (Parquet) stay typed so that a timestamp is never printed and re-parsed.
    """
    if pa.types.is_nested(arrow_type):
        return f"to_json({ident(source)})::VARCHAR"
    if _is_text(arrow_type) or pa.types.is_dictionary(arrow_type):
        return f"NULLIF(CAST({ident(source)} AS VARCHAR), '')"
    return ident(source)


def _normalized(raw: str) -> str:
    """Allowed values match case- and separator-insensitively ('Executive Sponsor')."""
    return f"lower(replace(replace(trim({raw}), ' ', '_'), '-', '_'))"


def _typed_expr(col: Column, raw: str, text_source: bool, fmt: DateFormat | None) -> str:
    if col.allowed:
        return _normalized(f"CAST({raw} AS VARCHAR)")
    if col.type == "text":
        return f"CAST({raw} AS VARCHAR)"
    if fmt is not None and text_source:
        return fmt.timestamp_sql(raw)
    if col.type == "timestamp" and text_source:
        return _timestamp_expr(raw)
    if col.type == "bool" and text_source:
        return f"TRY_CAST(trim(CAST({raw} AS VARCHAR)) AS BOOLEAN)"
    if col.type == "decimal" and text_source:
        return _money_expr(raw)
    if col.type == "int" and text_source:
        return _count_expr(raw)
    if col.type == "json":
        text = f"CAST({raw} AS VARCHAR)"
        return f"CASE WHEN json_valid({text}) THEN {text} END"
    return f"TRY_CAST({raw} AS {SQL_TYPES[col.type]})"


def _money_expr(raw: str) -> str:
    """An amount as money exports write it: ``$1,234.50``, ``1.234,50 €``, ``-12,5``.

    Currency symbols and spaces go; then ``1,234`` and ``1,234.50`` have thousands
    commas, ``1.234,50`` thousands dots and a decimal comma, ``12,50`` (one or two
    digits after a lone comma) a decimal comma. ``1.234`` is one point two three four.
    Plain numbers take the plain cast, so they cost nothing more.
    """
    bare = f"regexp_replace(trim(CAST({raw} AS VARCHAR)), '[$€£¥\\s]', '', 'g')"
    return (
        f"coalesce(TRY_CAST({raw} AS DECIMAL(18, 2)), CASE "
        f"WHEN regexp_full_match({bare}, '-?[0-9]{{1,3}}(,[0-9]{{3}})+([.][0-9]+)?') "
        f"THEN TRY_CAST(replace({bare}, ',', '') AS DECIMAL(18, 2)) "
        f"WHEN regexp_full_match({bare}, '-?[0-9]{{1,3}}([.][0-9]{{3}})+,[0-9]+') "
        f"THEN TRY_CAST(replace(replace({bare}, '.', ''), ',', '.') AS DECIMAL(18, 2)) "
        f"WHEN regexp_full_match({bare}, '-?[0-9]+,[0-9]{{1,2}}') "
        f"THEN TRY_CAST(replace({bare}, ',', '.') AS DECIMAL(18, 2)) "
        f"ELSE TRY_CAST({bare} AS DECIMAL(18, 2)) END)"
    )


def _count_expr(raw: str) -> str:
    """A whole number, with thousands commas where they are unambiguous (``1,200`` seats).

    Only groups of three digits after a comma: ``1,2`` and ``1.200`` stay rejects, since a
    count has no decimals to take them for. Plain numbers take the plain cast.
    """
    bare = f"trim(CAST({raw} AS VARCHAR))"
    return (
        f"coalesce(TRY_CAST({raw} AS INTEGER), CASE "
        f"WHEN regexp_full_match({bare}, '-?[0-9]{{1,3}}(,[0-9]{{3}})+') "
        f"THEN TRY_CAST(replace({bare}, ',', '') AS INTEGER) END)"
    )


def _timestamp_expr(raw: str) -> str:
    """Text to a UTC timestamp, honouring any offset or zone name in it.

    The zone-aware cast costs about four plain casts, so the common shapes that cannot hold
    an offset, ``YYYY-MM-DD[T ]HH:MM:SS`` with an optional ``Z``, take the plain cast (which
    reads them as UTC, right for both).
    """
    plain = (
        f"(length({raw}) = 19 OR (length({raw}) = 20 AND suffix({raw}, 'Z'))) "
        f"AND substr({raw}, 14, 1) = ':' AND substr({raw}, 17, 1) = ':'"
    )
    return (
        f"CASE WHEN {plain} THEN TRY_CAST({raw} AS TIMESTAMP) "
        f"ELSE TRY_CAST(TRY_CAST({raw} AS TIMESTAMPTZ) AS TIMESTAMP) END"
    )


def _error(col: Column, condition: str, reason_sql: str) -> tuple[str, str]:
    """A check: its condition, and the (column, value, reason) it reports when true."""
    raw = ident("raw." + col.name)
    report = (
        f"CASE WHEN {condition} THEN struct_pack(col := {literal(col.name)}, "
        f"val := left(CAST({raw} AS VARCHAR), 200), reason := {reason_sql}) END"
    )
    return f"coalesce({condition}, false)", report


def _date_errors(col: Column, typed: str, bounds: DateBounds, say: _Say) -> list[tuple[str, str]]:
    """A date or timestamp: finite, not before its earliest day, not after now if it happened."""
    sql_type = SQL_TYPES[col.type]
    low = bounds.low(col)
    allowed = bounds.allowed(col)
    earliest = "earliest_event" if col.event_time else "earliest_date"
    errors = [
        _error(
            col,
            f"{typed} IS NOT NULL AND NOT isfinite({typed})",
            say(reasons.out_of_bounds("is not a real day", allowed, earliest)),
        ),
        _error(
            col,
            f"isfinite({typed}) AND {typed} < CAST({literal(low.isoformat())} AS {sql_type})",
            say(reasons.out_of_bounds(f"is before {low.isoformat()}", allowed, earliest)),
        ),
    ]
    if col.no_future:
        cutoff = literal(bounds.latest.isoformat(sep=" "))
        errors.append(
            _error(
                col,
                f"{typed} > TIMESTAMP {cutoff}",
                say(reasons.out_of_bounds("is in the future", allowed, "future_tolerance_hours")),
            )
        )
    return errors


class _Say(Protocol):
    def __call__(self, text: str) -> str: ...


def _sayer(hints: bool) -> _Say:
    """Reasons as SQL literals, whole or (``hints=False``) only what is wrong."""
    return lambda text: literal(text if hints else reasons.problem_only(text))


def _column_errors(
    table: Table,
    col: Column,
    bounds: DateBounds,
    source_type: pa.DataType | None,
    say: _Say,
    fmt: tuple[str, DateFormat] | None = None,
) -> list[tuple[str, str]]:
    raw, typed = ident("raw." + col.name), ident(col.name)
    errors = []
    if col.required:
        errors.append(_error(col, f"{raw} IS NULL", say(reasons.missing_value(table, col))))
    if col.type != "text" or col.allowed:
        if col.allowed:
            allowed = ", ".join(literal(v) for v in col.allowed)
            condition = f"{raw} IS NOT NULL AND {typed} NOT IN ({allowed})"
            reason = reasons.not_allowed(table, col)
        else:
            condition = f"{raw} IS NOT NULL AND {typed} IS NULL"
            reason = reasons.bad_type(table, col)
            if fmt is not None and _is_text(source_type):
                reason = fmt[1].reason(fmt[0])
        errors.append(_error(col, condition, say(reason)))
    if col.type == "int" and not pa.types.is_integer(source_type or pa.string()):
        errors.append(
            _error(
                col,
                f"{typed} IS NOT NULL AND TRY_CAST({raw} AS DOUBLE) <> {typed}",
                say(reasons.fraction(col)),
            )
        )
    if col.min_value is not None:
        errors.append(
            _error(col, f"{typed} < {col.min_value}", say(reasons.out_of_range(col, low=True)))
        )
    if col.max_value is not None:
        errors.append(
            _error(col, f"{typed} > {col.max_value}", say(reasons.out_of_range(col, low=False)))
        )
    if col.type in ("date", "timestamp"):
        errors.extend(_date_errors(col, typed, bounds, say))
    return errors


def _output(table: Table, name: str) -> str:
    """A typed column as stored; a key the file lacks is made from ``table.derived_key``."""
    if name != table.key or not table.derived_key:
        return ident(name)
    from outsidein.ingest.keys import key_sql  # keys imports this module

    return f"coalesce({ident(name)}, {key_sql(table.derived_key)}) AS {ident(name)}"


def validation_sql(
    table: Table,
    sources: Mapping[str, str],
    arrow_types: Mapping[str, pa.DataType],
    relation: str,
    bounds: DateBounds,
    passthrough: Mapping[str, str] | None = None,
    hints: bool = True,
    formats: Mapping[str, DateFormat] | None = None,
) -> str:
    """SELECT over ``relation`` giving ``_line``, typed canonical columns and ``errs``.

    ``sources`` maps canonical column -> the file's column holding it; ``passthrough`` maps
    extra output names -> file columns carried along as text (external ids); ``bounds`` are
    the dates a row may hold; ``hints`` adds to each reason what would be valid and which
    option of a file load fixes it (:mod:`outsidein.ingest.reasons`); ``formats`` the date
    format of text date columns that are not ISO 8601 (:mod:`outsidein.ingest.dates`).
    """
    formats = formats or {}
    extra = dict(passthrough or {})
    raws = ["_line"]
    for col in table.columns:
        source = sources.get(col.name)
        if source is not None:
            raw = _raw_expr(source, arrow_types[source])
        elif col.default is not None:
            raw = col.default
        else:
            raw = "NULL::VARCHAR"
        raws.append(f"{raw} AS {ident('raw.' + col.name)}")
    raws.extend(
        f"{_raw_expr(src, arrow_types[src])} AS {ident(name)}" for name, src in extra.items()
    )

    kept = [ident(name) for name in extra]
    typed = ["_line", *kept, *(ident("raw." + c.name) for c in table.columns)]
    source_types = {
        col.name: arrow_types[sources[col.name]] if col.name in sources else None
        for col in table.columns
    }
    for col in table.columns:
        text_source = _is_text(source_types[col.name])
        expr = _typed_expr(col, ident("raw." + col.name), text_source, formats.get(col.name))
        typed.append(f"CAST({expr} AS {SQL_TYPES[col.type]}) AS {ident(col.name)}")

    say = _sayer(hints)
    errors: list[tuple[str, str]] = []
    for col in table.columns:
        fmt = formats.get(col.name)
        named = (sources[col.name], fmt) if fmt is not None else None
        errors.extend(_column_errors(table, col, bounds, source_types[col.name], say, named))
    for rule in table.rules:
        reason = say(reasons.row_rule(rule.reason))
        errors.append(_error(table.column(rule.column), rule.sql_violation, reason))

    outputs = ["_line", *kept, *(_output(table, c.name) for c in table.columns)]
    # Reports are built only for rows that fail a check: good rows get NULL and cost little.
    any_error = " OR ".join(condition for condition, _ in errors) or "false"
    reports = ", ".join(report for _, report in errors)
    error_list = f"CASE WHEN {any_error} THEN list_filter([{reports}], lambda e: e IS NOT NULL) END"
    return (
        f"SELECT {', '.join(outputs)}, {error_list} AS errs FROM ("
        f"SELECT {', '.join(typed)} FROM (SELECT {', '.join(raws)} FROM {relation}))"
    )
