"""Saved segments: a name, a description and a filter, versioned (every save a new version).

The store keeps every version (``segment_versions``); the highest is in force. A filter is
checked against the field catalogue before it is saved, so a saved segment always compiles
on the day it is saved (a custom field that later disappears is reported by the step).
Deleting keeps the versions and the membership history; the segment leaves lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import duckdb

from outsidein.errors import InvalidRequestError, NotFoundError, OutsideInError
from outsidein.segments.language import SegmentCatalogue, compile_filter

__all__ = [
    "Segment",
    "SegmentExistsError",
    "create_segment",
    "delete_segment",
    "get_segment",
    "list_segments",
    "segment_versions",
    "update_segment",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
MAX_NAME = 120
RESERVED = frozenset({"new", "fields", "preview"})  # paths beside /segments/{id}
MAX_DESCRIPTION = 2_000


class SegmentExistsError(OutsideInError):
    """A segment with this id exists already."""

    code = "segment_exists"
    http_status = 409
    exit_code = 2


@dataclass(frozen=True)
class Segment:
    """One version of a saved segment (``deleted_at``: the segment was deleted then)."""

    segment_id: str
    version: int
    name: str
    description: str
    expression: str
    author: str
    created_at: datetime  # when this version was saved
    deleted_at: datetime | None = None


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def slug(name: str) -> str:
    """An id made from a name: ``At risk enterprise`` -> ``at-risk-enterprise``."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:64] or "segment"


def _checked(name: str, description: str, expression: str, fields: SegmentCatalogue) -> str:
    if not name.strip() or len(name) > MAX_NAME:
        raise InvalidRequestError(f"a segment needs a name of 1 to {MAX_NAME} characters")
    if len(description) > MAX_DESCRIPTION:
        raise InvalidRequestError(f"a description is at most {MAX_DESCRIPTION} characters")
    compile_filter(expression, fields)  # raises the language's error, with its column
    return name.strip()


_COLUMNS = (
    "v.segment_id, v.version, v.name, v.description, v.expression, v.author, v.created_at, "
    "s.deleted_at"
)
_LATEST = (
    f"SELECT {_COLUMNS} FROM segment_versions v JOIN segments s USING (segment_id) "
    "QUALIFY v.version = max(v.version) OVER (PARTITION BY v.segment_id)"
)


def create_segment(
    con: duckdb.DuckDBPyConnection,
    name: str,
    expression: str,
    fields: SegmentCatalogue,
    *,
    description: str = "",
    author: str = "",
    segment_id: str | None = None,
    at: datetime | None = None,
) -> Segment:
    """Save a new segment (version 1); its id is ``segment_id`` or made from the name."""
    name = _checked(name, description, expression, fields)
    sid = segment_id or slug(name)
    if not _ID.match(sid) or sid in RESERVED:
        raise InvalidRequestError(
            f"segment id {sid!r}: use 1-64 lower-case letters, digits, '-' or '_' (not "
            f"{', '.join(sorted(RESERVED))})"
        )
    at = at or _now()
    exists = con.execute("SELECT count(*) FROM segments WHERE segment_id = ?", [sid])
    if exists.fetchall()[0][0]:
        raise SegmentExistsError(
            f"a segment {sid!r} exists (deleted ones keep their id): choose another id",
            segment_id=sid,
        )
    con.execute("INSERT INTO segments VALUES (?, ?, NULL)", [sid, at])
    con.execute(
        "INSERT INTO segment_versions VALUES (?, 1, ?, ?, ?, ?, ?)",
        [sid, name, description, expression, author or "unknown", at],
    )
    return get_segment(con, sid)


def get_segment(
    con: duckdb.DuckDBPyConnection, segment_id: str, version: int | None = None
) -> Segment:
    """The version in force (or ``version``) of a segment that is not deleted."""
    sql = f"SELECT {_COLUMNS} FROM segment_versions v JOIN segments s USING (segment_id) "
    sql += "WHERE v.segment_id = ? AND s.deleted_at IS NULL "
    params: list[object] = [segment_id]
    if version is None:
        sql += "ORDER BY v.version DESC LIMIT 1"
    else:
        sql += "AND v.version = ?"
        params.append(version)
    rows = con.execute(sql, params).fetchall()
    if not rows:
        what = f"segment {segment_id!r}" + ("" if version is None else f" version {version}")
        raise NotFoundError(f"no {what}", segment_id=segment_id)
    return Segment(*rows[0])


def list_segments(con: duckdb.DuckDBPyConnection, *, deleted: bool = False) -> list[Segment]:
    """Every saved segment's version in force, by name (``deleted``: deleted ones too)."""
    where = "" if deleted else "WHERE deleted_at IS NULL"
    rows = con.execute(f"SELECT * FROM ({_LATEST}) {where} ORDER BY name, segment_id").fetchall()
    return [Segment(*r) for r in rows]


def segment_versions(con: duckdb.DuckDBPyConnection, segment_id: str) -> list[Segment]:
    """Every version of a segment, oldest first."""
    get_segment(con, segment_id)
    rows = con.execute(
        f"SELECT {_COLUMNS} FROM segment_versions v JOIN segments s USING (segment_id) "
        "WHERE v.segment_id = ? ORDER BY v.version",
        [segment_id],
    ).fetchall()
    return [Segment(*r) for r in rows]


def update_segment(
    con: duckdb.DuckDBPyConnection,
    segment_id: str,
    fields: SegmentCatalogue,
    *,
    name: str | None = None,
    expression: str | None = None,
    description: str | None = None,
    author: str = "",
    at: datetime | None = None,
) -> Segment:
    """Save a new version with what changed (what is not given is kept)."""
    current = get_segment(con, segment_id)
    new_name = _checked(
        current.name if name is None else name,
        current.description if description is None else description,
        current.expression if expression is None else expression,
        fields,
    )
    new = (
        new_name,
        current.description if description is None else description,
        current.expression if expression is None else expression,
    )
    if new == (current.name, current.description, current.expression):
        return current  # nothing changed: no new version
    con.execute(
        "INSERT INTO segment_versions VALUES (?, ?, ?, ?, ?, ?, ?)",
        [segment_id, current.version + 1, *new, author or "unknown", at or _now()],
    )
    return get_segment(con, segment_id)


def delete_segment(
    con: duckdb.DuckDBPyConnection, segment_id: str, *, at: datetime | None = None
) -> Segment:
    """Delete a segment: its members leave now; its versions and history are kept."""
    current = get_segment(con, segment_id)
    at = at or _now()
    con.execute("UPDATE segments SET deleted_at = ? WHERE segment_id = ?", [at, segment_id])
    con.execute(
        "UPDATE segment_membership SET left_at = ? WHERE segment_id = ? AND left_at IS NULL",
        [at, segment_id],
    )
    return current
