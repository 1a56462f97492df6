"""The timeline's sources: each a small SQL select producing the same seven columns.

A source is a query over the store that yields one row per thing that happened to an account::

    account_id VARCHAR, at TIMESTAMP, kind VARCHAR, title VARCHAR, detail VARCHAR,
    actor VARCHAR, link VARCHAR

over every account (the timeline narrows it to one: DuckDB pushes ``account_id = ?`` into each
source). ``kinds`` lists the values its ``kind`` column takes, so a timeline filtered to other
kinds never reads its tables. A capability adds its things to every account's timeline with
one call, made when its module is imported (see :mod:`outsidein.timeline.builtin`)::

    register_source(TimelineSource(
        "tasks", ("task",),
        "SELECT account_id, created_at AS at, 'task' AS kind, 'Task: ' || title AS title, "
        "description AS detail, owner AS actor, '/tasks/' || task_id AS link FROM tasks",
    ))
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["COLUMNS", "TimelineSource", "kinds", "register_source", "source", "sources"]

COLUMNS = ("account_id", "at", "kind", "title", "detail", "actor", "link")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,39}")


@dataclass(frozen=True)
class TimelineSource:
    """One kind of thing on the timeline: a name, the kinds it yields and its select."""

    name: str
    kinds: tuple[str, ...]
    sql: str  # a SELECT of exactly COLUMNS (by name), over every account

    def __post_init__(self) -> None:
        bad = [k for k in self.kinds if not _KIND.fullmatch(k)]
        if not self.kinds or bad:
            raise ValueError(f"timeline source {self.name!r}: kinds must be lower-case words")

    def select(self) -> str:
        """The source's rows with the columns in the timeline's order."""
        cols = ", ".join(f'"{c}"' for c in COLUMNS)
        return f"SELECT {cols} FROM ({self.sql})"


_SOURCES: dict[str, TimelineSource] = {}


def register_source(found: TimelineSource) -> TimelineSource:
    """Add (or replace, by name) a source of every account's timeline; returns it.

    A kind belongs to one source: registering a kind another source yields is refused, so a
    ``kinds`` filter always means the same rows."""
    for other in _SOURCES.values():
        shared = set(other.kinds) & set(found.kinds)
        if other.name != found.name and shared:
            raise ValueError(
                f"timeline source {found.name!r}: kind {sorted(shared)[0]!r} is already "
                f"{other.name!r}'s"
            )
    _SOURCES[found.name] = found
    return found


def sources() -> list[TimelineSource]:
    """The registered sources, in the order they were registered."""
    return list(_SOURCES.values())


def source(name: str) -> TimelineSource:
    return _SOURCES[name]


def kinds() -> list[str]:
    """Every kind a timeline can hold, in the sources' order."""
    return [k for s in _SOURCES.values() for k in s.kinds]
