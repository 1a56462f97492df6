"""Membership over time: who is in each saved segment, who entered and left, and when.

:func:`refresh_membership` evaluates every saved segment as the data is on the day of ``at``
(one query for all of them) and writes the difference with the open intervals: an account
that starts to match gets ``entered_at = at``, one that stops matching gets ``left_at = at``.
So :func:`members_at` answers for any past time, :func:`changes` lists who entered and left
between two times ("entered at-risk this week"), and :func:`sizes` gives each segment's
count and ARR — the one reading the pages, the API and the CLI show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.errors import InvalidRequestError
from outsidein.exports import write_csv
from outsidein.expr import Expression, ExpressionError
from outsidein.segments.evaluate import (
    FilterNotComputableError,
    evaluate,
    gather,
    member_arr_by,
)
from outsidein.segments.fields import Context
from outsidein.segments.language import (
    SegmentCatalogue,
    catalogue,
    compile_filter,
    fields_read,
)
from outsidein.segments.saved import get_segment, list_segments

__all__ = [
    "Refresh",
    "SegmentSize",
    "changes",
    "export_members",
    "member_rows",
    "members_at",
    "refresh_membership",
    "sizes",
]


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Refresh:
    """What one recompute did."""

    at: datetime
    segments: int = 0
    members: int = 0
    entered: int = 0
    left: int = 0
    broken: dict[str, str] = field(default_factory=dict)  # segment_id -> why it was skipped


def refresh_membership(
    con: duckdb.DuckDBPyConnection,
    context: Context | None = None,
    *,
    at: datetime | None = None,
    transaction: bool = True,
) -> Refresh:
    """Recompute every saved segment on ``at``'s day (now) and record who entered and left.

    A segment whose filter no longer compiles (a custom field gone) keeps its members as they
    were and is named in ``broken``. History only moves forward: ``at`` must not be before
    the latest change recorded.
    """
    context = context or Context()
    at = at or _now()
    result = Refresh(at)
    fields = catalogue(con, context)
    compiled: dict[str, Expression] = {}
    versions: dict[str, int] = {}
    for segment in list_segments(con):
        try:
            compiled[segment.segment_id] = compile_filter(segment.expression, fields)
            versions[segment.segment_id] = segment.version
        except ExpressionError as exc:
            result.broken[segment.segment_id] = exc.message
    found = _evaluate_each_if_needed(con, compiled, at, fields, context, result)
    result.segments = len(compiled)
    result.members = found.num_rows
    checked = pa.table(
        {
            "segment_id": pa.array(list(compiled), pa.string()),
            "version": pa.array([versions[k] for k in compiled], pa.int32()),
        }
    )
    cur = con.cursor() if transaction else con  # without: the caller's transaction
    try:
        cur.register("_oi_live", found)
        cur.register("_oi_checked", checked)
        if transaction:
            cur.execute("BEGIN TRANSACTION")
        try:
            _check_forward(cur, at)
            # The segments whose members moved: an order-free fingerprint (count, and the sum
            # of the members' hashes) of the members now and of the open intervals.
            cur.execute(
                """
                CREATE OR REPLACE TEMP TABLE _oi_moved AS
                WITH now_ AS (
                    SELECT key AS segment_id, count(*) AS n,
                           sum(hash(account_id)::HUGEINT) AS h FROM _oi_live GROUP BY key
                ),
                open_ AS (
                    SELECT segment_id, count(*) AS n, sum(hash(account_id)::HUGEINT) AS h
                    FROM segment_membership
                    WHERE left_at IS NULL AND segment_id IN (SELECT segment_id FROM _oi_checked)
                    GROUP BY segment_id
                )
                SELECT segment_id FROM now_ FULL OUTER JOIN open_ USING (segment_id)
                WHERE now_.n IS DISTINCT FROM open_.n OR now_.h IS DISTINCT FROM open_.h
                """
            )
            # Of those, who entered and who left: one pass over both sides.
            cur.execute(
                """
                CREATE OR REPLACE TEMP TABLE _oi_diff AS
                SELECT coalesce(l.key, m.segment_id) AS segment_id,
                       coalesce(l.account_id, m.account_id) AS account_id,
                       m.segment_id IS NULL AS entered
                FROM (SELECT * FROM _oi_live WHERE key IN (SELECT segment_id FROM _oi_moved)) l
                FULL OUTER JOIN (
                    SELECT segment_id, account_id FROM segment_membership
                    WHERE left_at IS NULL AND segment_id IN (SELECT segment_id FROM _oi_moved)
                ) m ON m.segment_id = l.key AND m.account_id = l.account_id
                WHERE l.key IS NULL OR m.segment_id IS NULL
                """
            )
            (result.left,) = cur.execute(
                """
                UPDATE segment_membership SET left_at = $at FROM _oi_diff d
                WHERE NOT d.entered AND segment_membership.left_at IS NULL
                  AND segment_membership.segment_id = d.segment_id
                  AND segment_membership.account_id = d.account_id
                """,
                {"at": at},
            ).fetchall()[0]
            (result.entered,) = cur.execute(
                "INSERT INTO segment_membership SELECT d.segment_id, d.account_id, $at, NULL, "
                "c.version FROM _oi_diff d JOIN _oi_checked c USING (segment_id) WHERE d.entered",
                {"at": at},
            ).fetchall()[0]
            cur.execute("DROP TABLE _oi_diff; DROP TABLE _oi_moved")
            if transaction:
                cur.execute("COMMIT")
        except BaseException:
            if transaction:
                cur.execute("ROLLBACK")
            raise
    finally:
        cur.unregister("_oi_live")
        cur.unregister("_oi_checked")
        if transaction:
            cur.close()
    return result


def _evaluate_each_if_needed(
    con: duckdb.DuckDBPyConnection,
    compiled: dict[str, Expression],
    at: datetime,
    fields: SegmentCatalogue,
    context: Context,
    result: Refresh,
) -> pa.Table:
    """All filters in one query; when one cannot be computed, each alone, so that the others
    are recorded and the broken ones named (they keep their members as they were)."""
    try:
        return evaluate(con, compiled, at.date(), fields, context)
    except FilterNotComputableError:
        pass
    needed = set().union(*(fields_read(e) for e in compiled.values()))
    table = gather(con, at.date(), needed, fields, context)
    parts = []
    for key in list(compiled):
        try:
            parts.append(evaluate(con, {key: compiled[key]}, at.date(), fields, context,
                                  table=table))  # fmt: skip
        except FilterNotComputableError as exc:
            result.broken[key] = exc.message
            del compiled[key]
    return pa.concat_tables(parts) if parts else evaluate(con, {}, at.date(), fields, context)


def _check_forward(cur: duckdb.DuckDBPyConnection, at: datetime) -> None:
    (latest,) = cur.execute(
        "SELECT max(greatest(entered_at, coalesce(left_at, entered_at))) FROM segment_membership"
    ).fetchall()[0]
    if latest is not None and latest > at:
        raise InvalidRequestError(
            f"segment membership is recorded up to {latest}; {at} is before it: "
            "history only moves forward"
        )


_AT = "entered_at <= $at AND (left_at IS NULL OR left_at > $at)"


def members_at(
    con: duckdb.DuckDBPyConnection,
    segment_id: str,
    at: datetime | None = None,
    *,
    csm: str | None = None,
) -> list[str]:
    """The accounts in the segment at ``at`` (now), as recorded: sorted ids (``csm``: only
    that CSM's accounts)."""
    get_segment(con, segment_id)
    scope = (
        "AND account_id IN (SELECT account_id FROM accounts WHERE lower(csm_id) = lower($csm))"
        if csm
        else ""
    )
    params: dict[str, Any] = {"s": segment_id, "at": at or _now(), **({"csm": csm} if csm else {})}
    rows = con.execute(
        f"SELECT account_id FROM segment_membership WHERE segment_id = $s AND {_AT} {scope} "
        "ORDER BY account_id",
        params,
    ).fetchall()
    return [str(r[0]) for r in rows]


def changes(
    con: duckdb.DuckDBPyConnection,
    segment_id: str,
    since: datetime,
    until: datetime | None = None,
    *,
    csm: str | None = None,
) -> list[dict[str, Any]]:
    """Who entered and left the segment in ``(since, until]``, newest first: ``at, account_id,
    name, csm_id, change`` ("entered" or "left"); ``csm``: only that CSM's accounts."""
    get_segment(con, segment_id)
    scope = "AND lower(a.csm_id) = lower($csm)" if csm else ""
    params: dict[str, Any] = {"s": segment_id, "since": since, "until": until or _now()}
    if csm:
        params["csm"] = csm
    rows = con.execute(
        f"""
        SELECT c.at, c.account_id, a.name, a.csm_id, c.change FROM (
            SELECT entered_at AS at, account_id, 'entered' AS change FROM segment_membership
            WHERE segment_id = $s AND entered_at > $since AND entered_at <= $until
            UNION ALL
            SELECT left_at, account_id, 'left' FROM segment_membership
            WHERE segment_id = $s AND left_at > $since AND left_at <= $until
        ) c LEFT JOIN accounts a USING (account_id)
        WHERE TRUE {scope}
        ORDER BY c.at DESC, c.change, c.account_id
        """,
        params,
    ).fetchall()
    keys = ("at", "account_id", "name", "csm_id", "change")
    return [dict(zip(keys, r, strict=True)) for r in rows]


@dataclass(frozen=True)
class SegmentSize:
    """A segment's members at a time: how many and their ARR."""

    segment_id: str
    accounts: int
    arr: float


def sizes(
    con: duckdb.DuckDBPyConnection, at: datetime | None = None, *, csm: str | None = None
) -> dict[str, SegmentSize]:
    """Every saved segment's count and ARR at ``at`` (now) from the recorded membership;
    ``csm``: counting only that CSM's accounts. The ARR is :func:`member_arr`'s."""
    at = at or _now()
    scope = "AND lower(a.csm_id) = lower($csm)" if csm else ""
    params: dict[str, Any] = {"at": at, **({"csm": csm} if csm else {})}
    cur = con.cursor()
    try:
        segments = list_segments(cur)
        members = cur.sql(
            "SELECT m.segment_id AS key, m.account_id FROM segment_membership m "
            "LEFT JOIN accounts a USING (account_id) WHERE m.entered_at <= $at "
            f"AND (m.left_at IS NULL OR m.left_at > $at) {scope}",
            params=params,
        ).to_arrow_table()
        cur.register("_oi_sizes", members)
        arr = member_arr_by(cur, "_oi_sizes", at.date())
        counts = cur.execute("SELECT key, count(*) FROM _oi_sizes GROUP BY key").fetchall()
    finally:
        cur.close()
    count = {str(k): int(n) for k, n in counts}
    return {
        s.segment_id: SegmentSize(s.segment_id, count.get(s.segment_id, 0),
                                  arr.get(s.segment_id, 0.0))
        for s in segments
    }  # fmt: skip


def member_rows(
    con: duckdb.DuckDBPyConnection,
    segment_id: str,
    *,
    at: datetime | None = None,
    context: Context | None = None,
    csm: str | None = None,
) -> pa.Table:
    """The segment's members at ``at`` (now), with their name, segment, CSM and the fields
    its filter reads as they are on that day (``csm``: only that CSM's accounts)."""
    context = context or Context()
    at = at or _now()
    segment = get_segment(con, segment_id)
    fields = catalogue(con, context)
    shown = ["name", "segment", "csm_id"]
    try:
        read = fields_read(compile_filter(segment.expression, fields))
    except ExpressionError:
        read = set()  # a filter that no longer compiles: the members as recorded, the basics
    shown += sorted(read - set(shown))
    ids = members_at(con, segment_id, at, csm=csm)
    table = gather(con, at.date(), [s for s in shown if s in fields.fields], fields, context)
    keep = pc.is_in(table.column("account_id"), pa.array(ids, pa.string()))
    return table.filter(keep)


def export_members(
    con: duckdb.DuckDBPyConnection,
    segment_id: str,
    path: Path,
    *,
    at: datetime | None = None,
    context: Context | None = None,
    csm: str | None = None,
) -> int:
    """Write :func:`member_rows` as CSV, formula-safe (:func:`outsidein.exports.write_csv`);
    the rows written."""
    table = member_rows(con, segment_id, at=at, context=context, csm=csm)
    write_csv(table, path)
    return int(table.num_rows)
