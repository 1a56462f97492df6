"""The rejects of file loads, read and cleared: one definition for the CLI, the API and pages.

``rejects`` holds every problem a load found (file, line, column, value, reason) and
``load_log`` every load. Here a load's rejects are listed grouped by field and reason (with
the fix each reason names, :mod:`outsidein.ingest.reasons`), paged line by line, and cleared
for a load or a file. Rejects of the Segment API (kinds ``segment.*``) have their own page,
``/ingestion``, and are left out.
"""

from __future__ import annotations

from datetime import datetime

import duckdb
from pydantic import BaseModel, Field

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.ingest.reasons import split
from outsidein.store.tables import TABLES

__all__ = [
    "Cleared",
    "RejectDetail",
    "RejectGroup",
    "RejectLine",
    "RejectLoad",
    "RejectLoadList",
    "clear_rejects",
    "list_reject_loads",
    "load_rejects",
    "resolve_load",
]

MAX_GROUPS = 100  # groups of (field, reason) answered per load
MIN_PREFIX = 4  # characters of a load id that may stand for it
_FILE_LOADS = "kind IN (" + ", ".join(f"'{kind}'" for kind in TABLES) + ")"


class RejectGroup(BaseModel):
    """The problems of one field with one reason, in one load."""

    column: str | None = Field(description="The field; null for a line that could not be read.")
    reason: str = Field(description="The whole reason, as stored.")
    problem: str = Field(description="What is wrong and what would be valid.")
    fix: str | None = Field(description="The option or setting that fixes it, if any.")
    count: int = Field(description="How many lines have this problem.")
    first_line: int | None
    example: str | None = Field(description="The value on the first of those lines.")


class RejectLoad(BaseModel):
    """A load that left rejects, with them counted by field and reason."""

    load_id: str
    kind: str
    file: str
    loaded_at: datetime | None = Field(description="When the load finished (UTC).")
    rows_read: int | None
    rows_loaded: int | None
    rows_rejected: int = Field(description="Lines with at least one stored problem.")
    problems: int = Field(description="Stored problems (a line may have several).")
    groups: list[RejectGroup] = Field(description=f"By field and reason, at most {MAX_GROUPS}.")
    groups_total: int


class RejectLoadList(BaseModel):
    """Loads with rejects, newest first, one page of them."""

    items: list[RejectLoad]
    total: int
    page: int
    page_size: int


class RejectLine(BaseModel):
    """One problem of one line."""

    line: int | None = Field(description="Line of the file (1 is a CSV's header).")
    column: str | None
    value: str | None
    reason: str
    problem: str
    fix: str | None


class RejectDetail(BaseModel):
    """One load's rejects: its groups, and one page of its lines in file order."""

    load: RejectLoad
    column: str | None = Field(description="Only this field's problems, when asked.")
    items: list[RejectLine]
    total: int = Field(description="Problems matching, over all pages.")
    page: int
    page_size: int


class Cleared(BaseModel):
    """What a clear deleted."""

    load_ids: list[str]
    deleted: int


def resolve_load(con: duckdb.DuckDBPyConnection, ref: str) -> str:
    """The load id ``ref`` names: itself, or the one load id it begins (4 characters or more)."""
    ref = ref.strip()
    exact = con.execute(
        f"SELECT 1 FROM load_log WHERE load_id = ? UNION ALL "
        f"SELECT 1 FROM rejects WHERE load_id = ? AND {_FILE_LOADS} LIMIT 1",
        [ref, ref],
    ).fetchall()
    if exact:
        return ref
    found = []
    if len(ref) >= MIN_PREFIX:
        found = [
            row[0]
            for row in con.execute(
                "SELECT DISTINCT load_id FROM load_log WHERE starts_with(load_id, ?) "
                "ORDER BY load_id LIMIT 6",
                [ref],
            ).fetchall()
        ]
    if len(found) == 1:
        return str(found[0])
    if found:
        raise InvalidRequestError(
            f"load {ref!r} is ambiguous: it begins {', '.join(found[:5])}; give more of it"
        )
    raise NotFoundError(f"no load {ref!r}; `outsidein rejects list` shows the loads with rejects")


def list_reject_loads(
    con: duckdb.DuckDBPyConnection,
    *,
    kind: str | None = None,
    file: str | None = None,
    page: int = 1,
    page_size: int = 50,
) -> RejectLoadList:
    """Loads that left rejects (``kind``, ``file`` narrow them), newest first."""
    if kind is not None and kind not in TABLES:
        raise InvalidRequestError(f"unknown kind {kind!r}; one of: {', '.join(TABLES)}")
    where: list[str] = [_FILE_LOADS]
    params: list[object] = []
    if kind is not None:
        where.append("kind = ?")
        params.append(kind)
    if file is not None:
        match, more = _file_match(file)
        where.append(match)
        params += more
    (total,) = con.execute(
        f"SELECT count(DISTINCT load_id) FROM rejects WHERE {' AND '.join(where)}", params
    ).fetchall()[0]
    ids = con.execute(
        f"SELECT r.load_id FROM (SELECT load_id, max(rejected_at) AS at FROM rejects "
        f"WHERE {' AND '.join(where)} GROUP BY load_id) r "
        "LEFT JOIN load_log l USING (load_id) "
        "ORDER BY coalesce(l.finished_at, r.at) DESC, r.load_id LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    ).fetchall()
    items = [_summary(con, str(load_id)) for (load_id,) in ids]
    return RejectLoadList(items=items, total=int(total), page=page, page_size=page_size)


def load_rejects(
    con: duckdb.DuckDBPyConnection,
    ref: str,
    *,
    column: str | None = None,
    page: int = 1,
    page_size: int = 100,
) -> RejectDetail:
    """The rejects of the load ``ref`` names: groups, and a page of lines in file order."""
    load_id = resolve_load(con, ref)
    summary = _summary(con, load_id)
    where, params = "load_id = ?", list[object]([load_id])
    if column is not None:
        where += ' AND "column" IS NOT DISTINCT FROM ?'
        params.append(column or None)
    (total,) = con.execute(f"SELECT count(*) FROM rejects WHERE {where}", params).fetchall()[0]
    rows = con.execute(
        f'SELECT line, "column", "value", reason FROM rejects WHERE {where} '
        'ORDER BY line NULLS FIRST, "column" NULLS FIRST, reason LIMIT ? OFFSET ?',
        [*params, page_size, (page - 1) * page_size],
    ).fetchall()
    items = [
        RejectLine(line=line, column=col, value=value, reason=text, problem=split(text)[0],
                   fix=split(text)[1])
        for line, col, value, text in rows
    ]  # fmt: skip
    return RejectDetail(
        load=summary, column=column, items=items, total=int(total), page=page,
        page_size=page_size,
    )  # fmt: skip


def clear_rejects(
    con: duckdb.DuckDBPyConnection, *, load_id: str | None = None, file: str | None = None
) -> Cleared:
    """Delete the rejects of one load, or of every load of a file (as :func:`list_reject_loads`
    matches it: the name it was loaded under, or its last part)."""
    if load_id is not None:
        ids = [resolve_load(con, load_id)]
    elif file:
        match, params = _file_match(file)
        ids = [
            str(row[0])
            for row in con.execute(
                f"SELECT DISTINCT load_id FROM rejects WHERE {_FILE_LOADS} AND {match} "
                "ORDER BY load_id",
                params,
            ).fetchall()
        ]
        if not ids:
            raise NotFoundError(
                f"no rejects of {file!r}; `outsidein rejects list` shows the files with rejects"
            )
    else:
        raise InvalidRequestError("name a load or a file whose rejects to clear")
    marks = ", ".join("?" * len(ids))
    (deleted,) = con.execute(
        f"DELETE FROM rejects WHERE {_FILE_LOADS} AND load_id IN ({marks})", ids
    ).fetchall()[0]
    return Cleared(load_ids=ids, deleted=int(deleted))


def _file_match(file: str) -> tuple[str, list[object]]:
    """A file as loads stored its name (the full path), or the end of that path."""
    return "(file = ? OR ends_with(file, '/' || ?))", [file, file.lstrip("/")]


def _summary(con: duckdb.DuckDBPyConnection, load_id: str) -> RejectLoad:
    head = con.execute(
        "SELECT l.kind, l.file, l.finished_at, l.rows_read, l.rows_loaded FROM load_log l "
        "WHERE l.load_id = ?",
        [load_id],
    ).fetchall()
    counts = con.execute(
        "SELECT any_value(kind), any_value(file), max(rejected_at), "
        "count(DISTINCT line) + count(*) FILTER (WHERE line IS NULL), count(*) "
        f"FROM rejects WHERE load_id = ? AND {_FILE_LOADS}",
        [load_id],
    ).fetchall()[0]
    kind, file, at, read, loaded = (
        head[0] if head else (counts[0], counts[1], counts[2], None, None)
    )
    groups = con.execute(
        'SELECT "column", reason, count(*), min(line), arg_min("value", coalesce(line, 0)) '
        f"FROM rejects WHERE load_id = ? AND {_FILE_LOADS} GROUP BY ALL "
        'ORDER BY count(*) DESC, "column" NULLS FIRST, reason',
        [load_id],
    ).fetchall()
    return RejectLoad(
        load_id=load_id,
        kind=kind or "",
        file=file or "",
        loaded_at=at,
        rows_read=read,
        rows_loaded=loaded,
        rows_rejected=int(counts[3]),
        problems=int(counts[4]),
        groups=[
            RejectGroup(
                column=col,
                reason=text,
                problem=split(text)[0],
                fix=split(text)[1],
                count=n,
                first_line=first,
                example=example,
            )
            for col, text, n, first, example in groups[:MAX_GROUPS]
        ],
        groups_total=len(groups),
    )
