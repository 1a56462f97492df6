"""Run a :class:`Plan` over the parts of a file: filter and transform each part, or gather
them all and combine line items into one row per key."""

from __future__ import annotations

from collections.abc import Iterator

import duckdb

from outsidein.ingest.transforms.compile import Plan

LINES = "_oi_lines"


def transformed(
    con: duckdb.DuckDBPyConnection, plan: Plan, parts: Iterator[str], notes: list[str]
) -> Iterator[str]:
    """The relations to validate instead of ``parts``; what was left out goes to ``notes``."""
    if plan.trivial:
        yield from parts
        return
    plan.bind(con)
    dropped = 0
    gathered = False
    for relation in parts:
        if plan.where:
            row = con.execute(plan.dropped_sql(relation)).fetchall()[0]
            dropped += int(row[0])
        if plan.group_by is None:
            yield f"({plan.row_sql(relation)})"
        else:
            verb = (
                f"INSERT INTO {LINES} " if gathered else f"CREATE OR REPLACE TEMP TABLE {LINES} AS "
            )
            con.execute(verb + plan.row_sql(relation))
            gathered = True
    if dropped:
        notes.append(f"{dropped:,} rows left out by --where")
    if plan.group_by is not None and gathered:
        try:
            lines, groups = con.execute(
                f"SELECT count(*), count(DISTINCT {_key(plan)}) FROM {LINES}"
            ).fetchall()[0]
            notes.append(
                f"{int(lines):,} lines combined into {int(groups):,} rows by {plan.group_by}"
            )
            yield f"({plan.group_sql(LINES)})"
        finally:
            con.execute(f"DROP TABLE IF EXISTS {LINES}")


def _key(plan: Plan) -> str:
    from outsidein.ingest.validate import ident

    assert plan.group_by is not None
    return ident(plan.group_by)
