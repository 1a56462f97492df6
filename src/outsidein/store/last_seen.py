"""When each account was last seen (its latest event), without scanning every event.

``account_last_seen`` summarises the events loaded up to a mark; the events loaded since are
few and sit at the end of the table, where DuckDB's per-row-group ``loaded_at`` ranges skip
everything older. Events are append-only (a stored event never changes), so
``greatest(summary, latest event loaded after the mark)`` is exact at any moment, however
long ago the summary was refreshed. The server refreshes it after new events, at most every
few seconds (the pipeline step :func:`last_seen_step`); a store that no server refreshed is
still exact, only slower.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from outsidein.pipeline import Outcome, Step, StepContext

BEFORE_ANY_LOAD = datetime(1, 1, 1)

__all__ = [
    "BEFORE_ANY_LOAD",
    "last_seen_mark",
    "last_seen_sql",
    "last_seen_step",
    "refresh_last_seen",
]


def last_seen_mark(cur: duckdb.DuckDBPyConnection) -> datetime:
    """Events loaded after this are not in the summary yet."""
    mark = cur.execute("SELECT max(loaded_upto) FROM account_last_seen_mark").fetchall()[0][0]
    return mark if isinstance(mark, datetime) else BEFORE_ANY_LOAD


def last_seen_sql(mark_param: str = "$mark", where: str = "") -> str:
    """A query of ``account_id, last_seen``: the summary merged with the newer events.

    ``mark_param`` names the parameter bound to :func:`last_seen_mark`'s value (a constant,
    so that DuckDB skips the row groups loaded before it); ``where`` narrows both sides,
    e.g. ``account_id = $id``.
    """
    narrow = f" AND ({where})" if where else ""
    only = f" WHERE {where}" if where else ""
    return f"""
        SELECT account_id, max(last_seen) AS last_seen FROM (
            SELECT account_id, last_seen FROM account_last_seen{only}
            UNION ALL
            SELECT account_id, max("timestamp") FROM events
            WHERE loaded_at > {mark_param}{narrow} GROUP BY account_id
        ) GROUP BY account_id"""


def refresh_last_seen(con: duckdb.DuckDBPyConnection) -> int:
    """Fold the events loaded since the mark into the summary; returns the accounts touched.

    One transaction: the summary and its mark move together.
    """
    con.execute("BEGIN TRANSACTION")
    try:
        mark = last_seen_mark(con)
        upto = con.execute("SELECT max(loaded_at) FROM events").fetchall()[0][0]
        if upto is None or upto <= mark:
            con.execute("COMMIT")
            return 0
        touched = con.execute(
            """INSERT INTO account_last_seen
            SELECT account_id, max("timestamp") FROM events
            WHERE loaded_at > ? AND loaded_at <= ? GROUP BY account_id
            ON CONFLICT (account_id) DO UPDATE
            SET last_seen = greatest(account_last_seen.last_seen, excluded.last_seen)""",
            [mark, upto],
        ).fetchall()[0][0]
        con.execute("DELETE FROM account_last_seen_mark")
        con.execute("INSERT INTO account_last_seen_mark VALUES (?)", [upto])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return int(touched)


def last_seen_step(every: float = 10.0) -> Step:
    """The pipeline step that folds new events into the summary, at most every ``every`` s.

    It runs once at start and after events change; the summary is only a shortcut (reads
    stay exact without it), so pages never warn about it.
    """

    def run(ctx: StepContext) -> Outcome:
        touched = refresh_last_seen(ctx.cursor)
        return (
            Outcome.wrote(touched, detail=f"{touched:,} accounts") if touched else Outcome.nothing()
        )

    return Step(
        "last_seen",
        run,
        inputs=("events",),
        outputs=("account_last_seen",),
        min_gap=every,
        description="keeps each account's latest event in account_last_seen",
    )
