"""Filters evaluated over the accounts as they were on a day, many at once.

:func:`gather` builds the fields table of a day: the accounts that existed then (the
``account`` source) left-joined with the columns each other source gives, computing only the
sources the filters read. :func:`evaluate` runs any number of compiled filters over it in one
parameterised DuckDB query (one ``UNION ALL`` branch per filter); :func:`preview` is one
filter's count, ARR and first members, what the builder page shows as you type.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.errors import OutsideInError
from outsidein.expr import Expression
from outsidein.segments.fields import Context, field_sources
from outsidein.segments.language import (
    SegmentCatalogue,
    catalogue,
    compile_filter,
    fields_read,
    filter_sql,
)

__all__ = [
    "FIELDS_TABLE",
    "FilterNotComputableError",
    "Preview",
    "evaluate",
    "gather",
    "member_arr_by",
    "preview",
]

FIELDS_TABLE = "_oi_segment_fields"


class FilterNotComputableError(OutsideInError):
    """A filter that types but cannot be computed on the data (a number out of range)."""

    code = "filter_not_computable"
    http_status = 422
    exit_code = 2


PREVIEW_COLUMNS = ("name", "segment", "csm_id", "lifecycle_status", "health")
MAX_PREVIEW_ROWS = 200


def gather(
    con: duckdb.DuckDBPyConnection,
    as_of: date,
    names: Iterable[str],
    fields: SegmentCatalogue,
    context: Context,
) -> pa.Table:
    """``account_id`` and a column per field of ``names`` (each a field of ``fields``), one row
    per account created by the end of ``as_of``; a source's missing account gives nulls."""
    wanted = fields.sources_for(set(names) | {"account_id"})
    sources = {s.name: s for s in field_sources()}
    base = sources["account"].load(con, as_of, wanted.pop("account", []), context)
    cur = con.cursor()
    try:
        cur.register("_oi_base", base)
        select, joins = ["b.*"], []
        for i, (source, columns) in enumerate(wanted.items()):
            cur.register(f"_oi_src{i}", sources[source].load(con, as_of, columns, context))
            select += [f's{i}."{c}"' for c in columns]
            joins.append(f"LEFT JOIN _oi_src{i} s{i} ON s{i}.account_id = b.account_id")
        return cur.sql(
            f"SELECT {', '.join(select)} FROM _oi_base b {' '.join(joins)} ORDER BY b.account_id"
        ).to_arrow_table()
    finally:
        cur.close()


def evaluate(
    con: duckdb.DuckDBPyConnection,
    filters: Mapping[str, Expression],
    as_of: date,
    fields: SegmentCatalogue,
    context: Context,
    *,
    table: pa.Table | None = None,
) -> pa.Table:
    """``key, account_id``: the accounts each filter holds for on ``as_of`` (``table``: a
    fields table already gathered with every field the filters read)."""
    empty = pa.table({"key": pa.array([], pa.string()), "account_id": pa.array([], pa.string())})
    if not filters:
        return empty
    if table is None:
        needed = set().union(*(fields_read(e) for e in filters.values()))
        table = gather(con, as_of, needed, fields, context)
    parts, params = [], []
    for key, expression in filters.items():
        condition, values = filter_sql(expression)
        parts.append(f"SELECT ?::VARCHAR AS key, account_id FROM {FIELDS_TABLE} WHERE {condition}")
        params += [key, *values]
    cur = con.cursor()  # its own temp table, dropped with it
    try:
        # A table, not the Arrow view: 100 scans of a DuckDB table beat 100 of an Arrow one.
        cur.register("_oi_arrow_fields", table)
        cur.execute(f"CREATE TEMP TABLE {FIELDS_TABLE} AS SELECT * FROM _oi_arrow_fields")
        try:
            return cur.sql(" UNION ALL ".join(parts), params=params).to_arrow_table()
        except duckdb.Error as exc:  # a value out of range: 1e308 * 10, a date + 1e300 days
            only = next(iter(filters.values())).text if len(filters) == 1 else None
            raise FilterNotComputableError(
                f"the filter {only!r} cannot be computed on {as_of}: {str(exc).splitlines()[0]}"
                if only is not None
                else f"a filter cannot be computed on {as_of}: {str(exc).splitlines()[0]}",
                keys=list(filters),
            ) from None
    finally:
        cur.close()


def member_arr_by(cur: duckdb.DuckDBPyConnection, relation: str, day: date) -> dict[str, float]:
    """The ARR of the accounts in ``relation`` (a table with ``key, account_id``) per key on
    ``day``: 12 x the snapshot's MRR (``account_daily_metrics``, the reporting currency) of
    each account's latest row on or before the day — the one ARR every segment figure shows."""
    rows = cur.execute(
        f"""
        WITH latest AS (
            SELECT account_id, arg_max(mrr, date) AS mrr FROM account_daily_metrics
            WHERE date <= ? AND account_id IN (SELECT account_id FROM {relation})
            GROUP BY account_id
        )
        SELECT r.key, coalesce(sum(l.mrr * 12), 0)::DOUBLE
        FROM {relation} r LEFT JOIN latest l USING (account_id) GROUP BY r.key
        """,
        [day],
    ).fetchall()
    return {str(k): float(v) for k, v in rows}


@dataclass(frozen=True)
class Preview:
    """A filter's members on ``as_of``: how many, their ARR, and the first rows."""

    as_of: date
    expression: str
    count: int
    arr: float
    rows: list[dict[str, Any]] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)


def preview(
    con: duckdb.DuckDBPyConnection,
    text: str,
    as_of: date,
    context: Context | None = None,
    *,
    limit: int = 20,
    fields: SegmentCatalogue | None = None,
    csm: str | None = None,
) -> Preview:
    """What ``text`` selects on ``as_of`` (raises the language's error when it is not valid);
    ``csm``: only that CSM's accounts (a CSM's book)."""
    context = context or Context()
    fields = fields or catalogue(con, context)
    expression = compile_filter(text, fields)
    read = fields_read(expression)
    shown = [c for c in PREVIEW_COLUMNS if c in fields.fields]
    table = gather(con, as_of, read | set(shown), fields, context)
    members = evaluate(con, {"p": expression}, as_of, fields, context, table=table)
    cur = con.cursor()
    try:
        cur.register("_oi_found", members)
        scope = "WHERE lower(a.csm_id) = lower(?)" if csm else ""
        members = cur.sql(
            "SELECT f.key, f.account_id FROM _oi_found f JOIN accounts a USING (account_id) "
            f"{scope}",
            params=[csm] if csm else None,
        ).to_arrow_table()
        cur.register("_oi_members", members)
        cur.register(FIELDS_TABLE, table)
        arr = member_arr_by(cur, "_oi_members", as_of).get("p", 0.0)
        columns = ", ".join(f'f."{c}"' for c in ["account_id", *shown])
        rows = cur.sql(
            f"SELECT {columns} FROM {FIELDS_TABLE} f SEMI JOIN _oi_members USING (account_id) "
            "ORDER BY f.account_id LIMIT ?",
            params=[min(limit, MAX_PREVIEW_ROWS)],
        ).to_arrow_table()
    finally:
        cur.close()
    return Preview(as_of, text, members.num_rows, arr, rows.to_pylist(), sorted(read))
