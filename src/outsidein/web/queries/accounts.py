"""Accounts: the searchable, sortable list and one account with all its records.

Every value from a request is a bound parameter; the only SQL text chosen by a request is a
sort expression looked up in :data:`SORT_COLUMNS`, so unknown sort keys cannot reach SQL.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Literal

import duckdb

from outsidein.errors import NotFoundError
from outsidein.store.last_seen import last_seen_mark, last_seen_sql
from outsidein.web.queries.provenance import field_sources
from outsidein.web.queries.rows import fetch_dicts, fetch_value, utc_now
from outsidein.web.schemas.accounts import (
    Account,
    AccountDetail,
    AccountList,
    AccountSummary,
    Case,
    Contact,
    EventCount,
    Invoice,
    Subscription,
    SurveyResponse,
    Touchpoint,
    UsageSummary,
)

SortKey = Literal[
    "name",
    "account_id",
    "industry",
    "segment",
    "region",
    "csm_id",
    "created_at",
    "mrr",
    "open_cases",
    "last_seen",
]
Order = Literal["asc", "desc"]

SORT_COLUMNS: dict[SortKey, str] = {
    "name": "lower(a.name)",
    "account_id": "a.account_id",
    "industry": "lower(a.industry)",
    "segment": "lower(a.segment)",
    "region": "lower(a.region)",
    "csm_id": "a.csm_id",
    "created_at": "a.created_at",
    "mrr": "mrr",
    "open_cases": "open_cases",
    "last_seen": "last_seen",
}
RECENT_LIMIT = 100  # rows per section of one account; the newest first

_SEARCH = """
    $q = ''
    OR contains(lower(a.account_id), $q) OR contains(lower(a.name), $q)
    OR contains(lower(a.industry), $q) OR contains(lower(a.region), $q)
    OR contains(lower(a.csm_id), $q) OR contains(lower(c.name), $q)
"""

_FIGURES = f"""
WITH current_mrr AS (
    SELECT account_id, sum(mrr) AS mrr FROM subscriptions
    WHERE start_date <= $today AND (end_date IS NULL OR end_date > $today)
    GROUP BY account_id
), open_cases AS (
    SELECT account_id, count(*) AS open_cases FROM cases
    WHERE status IN ('open', 'pending') GROUP BY account_id
), seen AS ({last_seen_sql()}
)
"""


def list_accounts(
    cur: duckdb.DuckDBPyConnection,
    *,
    q: str = "",
    sort: SortKey = "name",
    order: Order = "asc",
    page: int = 1,
    page_size: int = 50,
    today: date | None = None,
) -> AccountList:
    """One page of accounts matching ``q`` (case-insensitive substring), sorted by ``sort``."""
    sort_sql = SORT_COLUMNS[sort]  # KeyError for anything outside the whitelist
    direction = "DESC" if order == "desc" else "ASC"
    needle = q.strip().lower()
    total = fetch_value(
        cur,
        f"SELECT count(*) FROM accounts a LEFT JOIN csms c USING (csm_id) WHERE {_SEARCH}",
        {"q": needle},
    )
    rows = fetch_dicts(
        cur,
        f"""{_FIGURES}
        SELECT a.account_id, a.name, a.industry, a.segment, a.region, a.csm_id,
               c.name AS csm_name, a.created_at,
               coalesce(m.mrr, 0) AS mrr, coalesce(o.open_cases, 0) AS open_cases,
               s.last_seen
        FROM accounts a
        LEFT JOIN csms c USING (csm_id)
        LEFT JOIN current_mrr m USING (account_id)
        LEFT JOIN open_cases o USING (account_id)
        LEFT JOIN seen s USING (account_id)
        WHERE {_SEARCH}
        ORDER BY {sort_sql} {direction} NULLS LAST, a.account_id
        LIMIT $limit OFFSET $offset""",
        {
            "q": needle,
            "today": today or utc_now().date(),
            "limit": page_size,
            "offset": (page - 1) * page_size,
            "mark": last_seen_mark(cur),
        },
    )
    return AccountList(
        items=[AccountSummary.model_validate(r) for r in rows],
        total=int(total or 0),
        page=page,
        page_size=page_size,
    )


def get_account(
    cur: duckdb.DuckDBPyConnection, account_id: str, *, now: datetime | None = None
) -> AccountDetail:
    """The account and its records; :class:`NotFoundError` when there is no such account."""
    now = now or utc_now()
    rows = fetch_dicts(
        cur,
        """SELECT a.*, c.name AS csm_name, p.name AS parent_name,
               (SELECT coalesce(sum(mrr), 0) FROM subscriptions s
                WHERE s.account_id = a.account_id AND s.start_date <= $today
                  AND (s.end_date IS NULL OR s.end_date > $today)) AS mrr,
               (SELECT count(*) FROM cases k WHERE k.account_id = a.account_id
                  AND k.status IN ('open', 'pending')) AS open_cases
        FROM accounts a
        LEFT JOIN csms c ON c.csm_id = a.csm_id
        LEFT JOIN accounts p ON p.account_id = a.parent_account_id
        WHERE a.account_id = $id""",
        {"id": account_id, "today": now.date()},
    )
    if not rows:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)

    def records(table: str, order_by: str) -> list[dict[str, object]]:
        return fetch_dicts(
            cur,
            f"SELECT * FROM {table} WHERE account_id = $id ORDER BY {order_by} LIMIT $limit",
            {"id": account_id, "limit": RECENT_LIMIT},
        )

    return AccountDetail(
        account=Account.model_validate(rows[0]),
        contacts=[Contact.model_validate(r) for r in records("contacts", "name, contact_id")],
        subscriptions=[
            Subscription.model_validate(r)
            for r in records("subscriptions", "start_date DESC, subscription_id")
        ],
        invoices=[
            Invoice.model_validate(r) for r in records("invoices", "issued_at DESC, invoice_id")
        ],
        touchpoints=[
            Touchpoint.model_validate(r) for r in records("touchpoints", '"at" DESC, touchpoint_id')
        ],
        cases=[Case.model_validate(r) for r in records("cases", "opened_at DESC, case_id")],
        survey_responses=[
            SurveyResponse.model_validate(r)
            for r in records("survey_responses", "answered_at DESC, response_id")
        ],
        usage=usage_summary(cur, account_id, now=now),
        field_sources=field_sources(cur, "accounts", account_id),
    )


def usage_summary(
    cur: duckdb.DuckDBPyConnection, account_id: str, *, now: datetime
) -> UsageSummary:
    """Events and distinct users in the 30 days before ``now``, and the latest event ever."""
    params = {"id": account_id, "since": now - timedelta(days=30)}
    totals = fetch_dicts(
        cur,
        """SELECT count(*) AS events_30d, count(DISTINCT user_id) AS active_users_30d
        FROM events WHERE account_id = $id AND "timestamp" >= $since""",
        params,
    )[0]
    seen = fetch_dicts(
        cur,
        last_seen_sql(where="account_id = $id"),
        {"id": account_id, "mark": last_seen_mark(cur)},
    )
    top = fetch_dicts(
        cur,
        """SELECT event, count(*) AS count FROM events
        WHERE account_id = $id AND "timestamp" >= $since
        GROUP BY event ORDER BY count DESC, event LIMIT 5""",
        params,
    )
    return UsageSummary(
        events_30d=int(totals["events_30d"]),
        active_users_30d=int(totals["active_users_30d"]),
        last_seen=seen[0]["last_seen"] if seen else None,
        top_events_30d=[EventCount.model_validate(r) for r in top],
    )
