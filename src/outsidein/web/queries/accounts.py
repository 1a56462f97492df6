"""Accounts: the searchable, sortable list and one account with all its records.

Every value from a request is a bound parameter; the only SQL text chosen by a request is a
sort expression looked up in :data:`SORT_COLUMNS`, so unknown sort keys cannot reach SQL.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import date
from decimal import Decimal
from typing import Any, Literal

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from outsidein.analytics import AnalyticsConfig, store_sources
from outsidein.analytics.filters import check_filters, filter_choices
from outsidein.analytics.lifecycle import STATUSES, account_status
from outsidein.analytics.nps import nps_category
from outsidein.analytics.revenue import priced
from outsidein.analytics.today import report_dates
from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.labels import matching
from outsidein.store import custom_fields
from outsidein.store.freshness import data_last_day
from outsidein.store.last_seen import last_seen_mark, last_seen_sql
from outsidein.web.queries.account_usage import usage_summary
from outsidein.web.queries.custom_fields import PREFIX, custom_filter
from outsidein.web.queries.figures_cache import figures_cache
from outsidein.web.queries.provenance import field_sources, source_labels
from outsidein.web.queries.rows import fetch_dicts
from outsidein.web.schemas.accounts import (
    Account,
    AccountDetail,
    AccountList,
    AccountSummary,
    Case,
    Contact,
    CurrencyAmount,
    Invoice,
    Subscription,
    SurveyResponse,
    Touchpoint,
)
from outsidein.web.schemas.custom_fields import CustomFieldValue

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
    "status",
    "renewal_date",
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
    "mrr": "coalesce(n.mrr, 0)",
    "status": "n.status",
    "renewal_date": "n.renewal_date",
    "open_cases": "open_cases",
    "last_seen": "last_seen",
}
RECENT_LIMIT = 100  # rows per page of each section of one account; the newest first

# Every text field the list shows: segment and status also by their labels (``matching``).
_SEARCH = """
    $q = ''
    OR contains(lower(a.account_id), $q) OR contains(lower(a.name), $q)
    OR contains(lower(a.industry), $q) OR contains(lower(a.region), $q)
    OR contains(lower(a.segment), $q) OR contains(n.status, $q)
    OR contains(lower(a.csm_id), $q) OR contains(lower(c.name), $q)
    OR list_contains($segments::VARCHAR[], a.segment)
    OR list_contains($statuses::VARCHAR[], n.status)
"""

_FIGURES = f"""
WITH open_cases AS (
    SELECT account_id, count(*) AS open_cases FROM cases
    WHERE status IN ('open', 'pending') GROUP BY account_id
), seen AS ({last_seen_sql()}
)
"""
_FILTERS = """
    AND ($segment IS NULL OR lower(a.segment) = lower($segment))
    AND ($region IS NULL OR lower(a.region) = lower($region))
    AND ($csm IS NULL OR lower(a.csm_id) = lower($csm))
    AND ($status IS NULL OR n.status = $status)
"""
_NOW = "account_now"  # the per-account figures of the request, registered on its cursor


@dataclass(frozen=True)
class AccountFilters:
    """What narrows the list, as asked; values are matched to the data case-insensitively."""

    status: str | None = None
    segment: str | None = None
    region: str | None = None
    csm: str | None = None

    def resolve(self, choices: dict[str, list[str]]) -> AccountFilters:
        """The same filters spelled as the data spells them; unknown values refused."""
        found = check_filters(choices, segment=self.segment, region=self.region, csm_id=self.csm)
        status = (self.status or "").strip().lower() or None
        if status is not None and status not in STATUSES:
            raise InvalidRequestError(
                f"no lifecycle status {self.status!r}; use one of {', '.join(STATUSES)}",
                field="status",
                value=self.status,
            )
        return AccountFilters(status, found["segment"], found["region"], found["csm_id"])

    def shown(self) -> dict[str, str]:
        """The filters in effect by parameter name, for pages to show."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def account_figures(
    cur: duckdb.DuckDBPyConnection, config: AnalyticsConfig, as_of: date
) -> pa.Table:
    """Every account's status, MRR, ARR, first paid and renewal dates on ``as_of``
    (:func:`account_status`, analytics' one definition), computed once per change of the
    data: the list joins them, an account's page and API answer read their row."""
    return figures_cache.get(
        cur,
        ("status", as_of, config.model_dump_json()),
        lambda: account_status(store_sources(cur), config, as_of).to_pyarrow(),
    )


def priced_mrr(cur: duckdb.DuckDBPyConnection, config: AnalyticsConfig) -> pa.Table:
    """Each subscription's MRR in the reporting currency (:func:`priced`, the one
    conversion): ``subscription_id, account_id, mrr``, computed once per change of the data."""

    def compute() -> pa.Table:
        subs = priced(store_sources(cur), config)
        return subs.select("subscription_id", "account_id", "mrr").to_pyarrow()

    return figures_cache.get(cur, ("priced", config.model_dump_json()), compute)


def _of_account(table: pa.Table, account_id: str) -> list[dict[str, Any]]:
    """The rows of ``table`` about one account."""
    rows: list[dict[str, Any]] = table.filter(pc.equal(table["account_id"], account_id)).to_pylist()
    return rows


@contextmanager
def _figures(
    cur: duckdb.DuckDBPyConnection, config: AnalyticsConfig, as_of: date
) -> Iterator[None]:
    """Register :func:`account_figures` as :data:`_NOW` on this cursor, for the SQL below
    to join; unregister afterwards.

    All of it reads one snapshot (a read-only transaction): an account a Segment call adds
    meanwhile is in both the figures and the rows, or in neither (found by schemathesis: a
    row without a status)."""
    cur.begin()
    try:
        cur.register(_NOW, account_figures(cur, config, as_of))
        try:
            yield
        finally:
            cur.unregister(_NOW)
    finally:
        cur.rollback()


def list_accounts(
    cur: duckdb.DuckDBPyConnection,
    config: AnalyticsConfig,
    *,
    q: str = "",
    sort: SortKey = "name",
    order: Order = "asc",
    page: int = 1,
    page_size: int = 50,
    filters: AccountFilters | None = None,
    as_of: date | None = None,
    custom: Mapping[str, str] | None = None,
) -> AccountList:
    """One page of accounts matching ``q`` (case-insensitive substring of any text field
    shown, segment and status also by their labels), ``filters`` and ``custom`` (custom
    field name -> value),
    sorted by ``sort``, with figures as of ``as_of`` (default: the report day rule of
    :func:`outsidein.analytics.today.report_dates`)."""
    with figures_cache.one_reading(cur):  # the figures and the filter values: one reading
        sort_sql = SORT_COLUMNS[sort]  # KeyError for anything outside the whitelist
        direction = "DESC" if order == "desc" else "ASC"
        dates = report_dates(None, as_of, data_last_day=data_last_day(cur))
        held = choices(cur)
        chosen = (filters or AccountFilters()).resolve(held)
        params: dict[str, object] = {
            "q": q.strip().lower(),
            "segments": matching(q, held["segment"]),
            "statuses": matching(q, STATUSES),
            **asdict(chosen),
        }
        joins = f"LEFT JOIN csms c USING (csm_id) LEFT JOIN {_NOW} n USING (account_id)"
        custom_sql, custom_values = custom_filter(cur, custom or {})
        params.update(custom_values)
        where = f"WHERE ({_SEARCH}) {_FILTERS} {custom_sql}"
        with _figures(cur, config, dates.as_of):
            total, mrr_total = cur.execute(
                f"SELECT count(*), coalesce(sum(n.mrr), 0) FROM accounts a {joins} {where}", params
            ).fetchall()[0]
            rows = fetch_dicts(
                cur,
                f"""{_FIGURES}
                SELECT a.account_id, a.name, a.industry, a.segment, a.region, a.csm_id,
                       c.name AS csm_name, a.created_at, n.status, n.renewal_date,
                       coalesce(n.mrr, 0) AS mrr, coalesce(n.arr, 0) AS arr,
                       coalesce(o.open_cases, 0) AS open_cases, s.last_seen
                FROM accounts a {joins}
                LEFT JOIN open_cases o USING (account_id) LEFT JOIN seen s USING (account_id)
                {where}
                ORDER BY {sort_sql} {direction} NULLS LAST, a.account_id
                LIMIT $limit OFFSET $offset""",
                {
                    **params,
                    "limit": page_size,
                    "offset": (page - 1) * page_size,
                    "mark": last_seen_mark(cur),
                },
            )
        return AccountList(
            items=[AccountSummary.model_validate(r) for r in rows],
            total=int(total or 0),
            mrr_total=mrr_total,
            currency=config.reporting_currency,
            as_of=dates.as_of,
            notice=dates.notice,
            filters={
                **chosen.shown(),
                **{PREFIX + k: v for k, v in sorted((custom or {}).items())},
            },
            page=page,
            page_size=page_size,
        )


def choices(cur: duckdb.DuckDBPyConnection) -> dict[str, list[str]]:
    """The filter values the data holds (see :func:`filter_choices`), cached per data change."""
    return figures_cache.get(cur, "choices", lambda: filter_choices(store_sources(cur)))


# Each section of one account, newest first; paged by the caller (no silent cap).
SECTIONS: dict[str, str] = {
    "contacts": "SELECT * FROM contacts WHERE account_id = $id ORDER BY name, contact_id",
    "subscriptions": "SELECT * FROM subscriptions WHERE account_id = $id "
    "ORDER BY start_date DESC, subscription_id",
    "invoices": "SELECT * FROM invoices WHERE account_id = $id ORDER BY issued_at DESC, invoice_id",
    "touchpoints": 'SELECT * FROM touchpoints WHERE account_id = $id ORDER BY "at" DESC, '
    "touchpoint_id",
    "cases": "SELECT * FROM cases WHERE account_id = $id ORDER BY opened_at DESC, case_id",
    "survey_responses": "SELECT r.*, o.statement AS outcome_statement FROM survey_responses r "
    "LEFT JOIN outcomes o USING (outcome_id) WHERE r.account_id = $id "
    "ORDER BY r.answered_at DESC, r.response_id",
}


def section_counts(cur: duckdb.DuckDBPyConnection, account_id: str) -> dict[str, int]:
    """How many rows each section of the account has, in one query."""
    parts = ", ".join(
        f"(SELECT count(*) FROM {table} WHERE account_id = $id) AS {table}" for table in SECTIONS
    )
    row = fetch_dicts(cur, f"SELECT {parts}", {"id": account_id})[0]
    return {k: int(v) for k, v in row.items()}


def csm_names(cur: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """CSM id to name, for filter controls and chips."""
    return {str(k): str(v) for k, v in cur.execute("SELECT csm_id, name FROM csms").fetchall()}


def get_account(
    cur: duckdb.DuckDBPyConnection,
    account_id: str,
    config: AnalyticsConfig,
    *,
    as_of: date | None = None,
    pages: dict[str, int] | None = None,
    page_size: int = RECENT_LIMIT,
    skip: frozenset[str] = frozenset(),
) -> AccountDetail:
    """The account and its records; :class:`NotFoundError` when there is no such account.
    Sections named in ``skip`` are left empty (the account page shows them on its timeline).

    Money is in the reporting currency (analytics' one definition); each subscription also
    keeps its own currency and amount (``currency``, ``mrr_original``).
    """
    dates = report_dates(None, as_of, data_last_day=data_last_day(cur))
    rows = fetch_dicts(
        cur,
        """SELECT a.*, c.name AS csm_name, p.name AS parent_name,
               (SELECT count(*) FROM cases k WHERE k.account_id = a.account_id
                  AND k.status IN ('open', 'pending')) AS open_cases
        FROM accounts a
        LEFT JOIN csms c ON c.csm_id = a.csm_id
        LEFT JOIN accounts p ON p.account_id = a.parent_account_id
        WHERE a.account_id = $id""",
        {"id": account_id},
    )
    if not rows:
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    with figures_cache.one_reading(cur):  # the same reading of the data for both
        found = _of_account(account_figures(cur, config, dates.as_of), account_id)
        priced_rows = {
            r["subscription_id"]: r for r in _of_account(priced_mrr(cur, config), account_id)
        }
    if not found:  # erased since its row was read
        raise NotFoundError(f"no account with account_id {account_id!r}", account_id=account_id)
    figures = {k: v for k, v in found[0].items() if k != "account_id"}

    chosen = pages or {}

    def records(section: str) -> list[dict[str, Any]]:
        if section in skip:
            return []
        page = max(1, chosen.get(section, 1))
        return fetch_dicts(
            cur,
            f"{SECTIONS[section]} LIMIT $limit OFFSET $offset",
            {"id": account_id, "limit": page_size, "offset": (page - 1) * page_size},
        )

    subscriptions = [
        Subscription.model_validate(
            {**r, "mrr_original": r["mrr"], "mrr": priced_rows[str(r["subscription_id"])]["mrr"]}
        )
        for r in records("subscriptions")
    ]
    counts = section_counts(cur, account_id)
    original: dict[str, Decimal] = {}
    for sub in subscriptions:
        if sub.start_date <= dates.as_of and (sub.end_date is None or sub.end_date > dates.as_of):
            original[sub.currency] = original.get(sub.currency, Decimal(0)) + sub.mrr_original
    return AccountDetail(
        account=Account.model_validate({**rows[0], **figures}),
        source_label=source_labels(cur, {rows[0]["source"]})[rows[0]["source"]],
        currency=config.reporting_currency,
        as_of=dates.as_of,
        notice=dates.notice,
        mrr_by_currency=[CurrencyAmount(currency=k, mrr=v) for k, v in sorted(original.items())],
        counts=counts,
        pages={k: max(1, chosen.get(k, 1)) for k in SECTIONS},
        page_size=page_size,
        contacts=[Contact.model_validate(r) for r in records("contacts")],
        subscriptions=subscriptions,
        invoices=[Invoice.model_validate(r) for r in records("invoices")],
        touchpoints=[Touchpoint.model_validate(r) for r in records("touchpoints")],
        cases=[Case.model_validate(r) for r in records("cases")],
        survey_responses=[
            SurveyResponse.model_validate({**r, "nps_category": nps_category(r["score"])})
            if r["kind"] == "nps"
            else SurveyResponse.model_validate(r)
            for r in records("survey_responses")
        ],
        usage=usage_summary(cur, account_id, dates.as_of),
        field_sources=field_sources(cur, "accounts", account_id),
        custom_fields=[
            CustomFieldValue.model_validate(v)
            for v in custom_fields.record_values(cur, "accounts", account_id)
        ],
    )
