"""Firings as stored, read for people and for the impact estimate: who was treated, when.

:func:`list_firings` pages through ``playbook_firings`` (newest first; by playbook, account,
held out or not; a CSM's book); :func:`summaries` gives each configured playbook its current
version and what it did lately (the playbooks page and ``GET /api/v1/playbooks``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb

from outsidein.errors import InvalidRequestError
from outsidein.playbooks.versions import latest_versions
from outsidein.settings.playbooks import PlaybooksConfig

__all__ = ["Firing", "FiringPage", "PlaybookSummary", "list_firings", "summaries"]

MAX_PAGE_SIZE = 500
RECENT_DAYS = 30


@dataclass(frozen=True)
class Firing:
    firing_id: str
    account_id: str
    account_name: str | None
    playbook: str
    playbook_version: int
    variant: str
    reason: str
    context: dict[str, Any]
    held_out: bool
    actions: int
    fired_at: datetime


@dataclass(frozen=True)
class FiringPage:
    total: int
    page: int
    page_size: int
    items: list[Firing]


def list_firings(
    con: duckdb.DuckDBPyConnection,
    *,
    playbook: str | None = None,
    account_id: str | None = None,
    held_out: bool | None = None,
    csm: str | None = None,
    since: datetime | None = None,
    page: int = 1,
    page_size: int = 50,
) -> FiringPage:
    """Firings, newest first, filtered and paged."""
    if page < 1 or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidRequestError(f"page from 1, page_size 1 to {MAX_PAGE_SIZE}")
    where, params = ["TRUE"], []
    for sql, value in (("f.playbook = ?", playbook), ("f.account_id = ?", account_id),
                       ("f.held_out = ?", held_out), ("lower(a.csm_id) = lower(?)", csm),
                       ("f.fired_at >= ?", since)):  # fmt: skip
        if value is not None:
            where.append(sql)
            params.append(value)
    body = "FROM playbook_firings f LEFT JOIN accounts a USING (account_id) WHERE " + " AND ".join(
        where
    )
    (total,) = con.execute(f"SELECT count(*) {body}", params).fetchall()[0]
    rows = con.execute(
        "SELECT f.firing_id, f.account_id, a.name, f.playbook, f.playbook_version, f.variant, "
        f"f.reason, f.context, f.held_out, f.actions, f.fired_at {body} "
        "ORDER BY f.fired_at DESC, f.firing_id LIMIT ? OFFSET ?",
        [*params, page_size, (page - 1) * page_size],
    ).fetchall()
    items = [
        Firing(
            r[0], r[1], r[2], r[3], r[4], r[5], r[6], json.loads(r[7] or "{}"), r[8], r[9], r[10]
        )
        for r in rows
    ]
    return FiringPage(int(total), page, page_size, items)


@dataclass(frozen=True)
class PlaybookSummary:
    name: str
    description: str
    enabled: bool
    trigger: str
    version: int | None
    firings_recent: int
    held_out_recent: int
    open_tasks: int
    last_fired: datetime | None


def summaries(
    con: duckdb.DuckDBPyConnection, config: PlaybooksConfig, now: datetime
) -> list[PlaybookSummary]:
    """Each configured playbook with its version, firings in the last 30 days, open tasks."""
    versions = latest_versions(con)
    stats = {
        r[0]: r[1:]
        for r in con.execute(
            "SELECT playbook, count(*) FILTER (WHERE fired_at >= ?), "
            "count(*) FILTER (WHERE fired_at >= ? AND held_out), max(fired_at) "
            "FROM playbook_firings GROUP BY playbook",
            [now - timedelta(days=RECENT_DAYS)] * 2,
        ).fetchall()
    }
    open_tasks = dict(
        con.execute(
            "SELECT playbook, count(*) FROM tasks WHERE status = 'open' AND playbook IS NOT NULL "
            "GROUP BY playbook"
        ).fetchall()
    )
    out = []
    for book in config.playbooks:
        recent, held, last = stats.get(book.name, (0, 0, None))
        out.append(PlaybookSummary(
            book.name, book.description, book.enabled, book.trigger.kind,
            versions.get(book.name), int(recent), int(held), int(open_tasks.get(book.name, 0)),
            last,
        ))  # fmt: skip
    return out
