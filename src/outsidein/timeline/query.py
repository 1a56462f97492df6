"""One account's timeline: every registered source, newest first, searched and paged."""

from __future__ import annotations

from collections.abc import Sequence

import duckdb

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.timeline.models import TimelineItem, TimelinePage
from outsidein.timeline.registry import kinds as all_kinds
from outsidein.timeline.registry import sources

__all__ = ["MAX_QUERY", "account_timeline", "parse_kinds"]

MAX_QUERY = 200  # characters of a search


def parse_kinds(asked: Sequence[str] | str | None) -> list[str]:
    """The kinds asked for (a list, or comma-separated), checked against the registry;
    empty means every kind."""
    if asked is None:
        return []
    items = [asked] if isinstance(asked, str) else list(asked)
    chosen = [k.strip().lower() for item in items for k in item.split(",") if k.strip()]
    known = all_kinds()
    unknown = [k for k in chosen if k not in known]
    if unknown:
        raise InvalidRequestError(
            f"kinds: no timeline kind {unknown[0]!r}; use any of {', '.join(known)}",
            field="kinds",
            value=unknown[0],
        )
    return list(dict.fromkeys(chosen))


def account_timeline(
    cur: duckdb.DuckDBPyConnection,
    account_id: str,
    *,
    q: str = "",
    kinds: Sequence[str] | str | None = None,
    page: int = 1,
    page_size: int = 25,
) -> TimelinePage:
    """Page ``page`` of ``account_id``'s timeline, newest first; ``q`` keeps the items whose
    title, detail or actor contain it (any case), ``kinds`` those of these kinds."""
    chosen = parse_kinds(kinds)
    text = q.strip()
    if len(text) > MAX_QUERY:
        raise InvalidRequestError(f"q: at most {MAX_QUERY} characters", field="q")
    if page < 1 or page_size < 1:
        raise InvalidRequestError("page and page_size start at 1", field="page")
    if cur.execute("SELECT 1 FROM accounts WHERE account_id = ?", [account_id]).fetchone() is None:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    wanted = [s for s in sources() if not chosen or set(s.kinds) & set(chosen)]
    base = TimelinePage(
        account_id=account_id, items=[], total=0, page=page, page_size=page_size, q=text,
        kinds=chosen, available_kinds=all_kinds(),
    )  # fmt: skip
    if not wanted:
        return base
    union = " UNION ALL ".join(
        f"SELECT * FROM ({s.select()}) WHERE account_id = $id" for s in wanted
    )
    where = """WHERE "at" IS NOT NULL
        AND (len($kinds) = 0 OR list_contains($kinds, kind))
        AND ($q = '' OR contains(lower(concat_ws(' ', title, detail, actor)), $q))"""
    params = {"id": account_id, "kinds": chosen, "q": text.lower()}
    cur.execute(
        f"""SELECT "at", kind, title, detail, actor, link, count(*) OVER () AS total
        FROM ({union}) {where} ORDER BY "at" DESC, kind, title, link NULLS LAST
        LIMIT $limit OFFSET $offset""",
        {**params, "limit": page_size, "offset": (page - 1) * page_size},
    )
    rows = cur.fetchall()
    if rows:  # one pass: the count is a window over every matching row
        total = int(rows[0][6])
    else:
        counted = cur.execute(f"SELECT count(*) FROM ({union}) {where}", params).fetchone()
        total = int(counted[0]) if counted else 0
    items = [
        TimelineItem(at=r[0], kind=r[1], title=r[2] or "", detail=r[3] or None, actor=r[4],
                     link=r[5])
        for r in rows
    ]  # fmt: skip
    return base.model_copy(update={"items": items, "total": total})
