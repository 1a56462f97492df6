"""The metrics the API and the Metrics page show, computed on a request's cursor.

Each report is an ``outsidein.analytics`` expression run on the store through the request's
own cursor; results come back as Arrow and are turned into JSON-safe rows here (money stays
an exact decimal string, dates ISO text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import duckdb
import pyarrow as pa

from outsidein.analytics import (
    AnalyticsConfig,
    Sources,
    account_usage,
    arr_at_stake,
    churn_rates,
    cohort_retention,
    feature_counts,
    mrr_bridge,
    mrr_series,
    renewals,
    revenue_retention,
    snapshot_range,
    store_sources,
)
from outsidein.analytics.filters import check_filters, filter_choices
from outsidein.analytics.periods import check_grain
from outsidein.analytics.today import ReportDates, report_dates
from outsidein.store.freshness import data_last_day


@dataclass(frozen=True)
class Scope:
    """The period and the accounts a report covers, resolved once per request.

    Dates follow :func:`outsidein.analytics.today.report_dates` (the data's last day when it
    is older than today; a future ``as_of`` refused); filter values are matched to the data
    case-insensitively and unknown ones refused (:func:`check_filters`). ``choices`` are the
    values a page offers in its filter controls.
    """

    dates: ReportDates
    choices: dict[str, list[str]]
    segment: str | None = None
    region: str | None = None
    csm: str | None = None

    @property
    def first(self) -> date:
        return self.dates.first

    @property
    def as_of(self) -> date:
        return self.dates.as_of

    @property
    def filters(self) -> dict[str, str]:
        """The filters in effect, by their parameter name, for pages to show."""
        chosen = {"segment": self.segment, "region": self.region, "csm": self.csm}
        return {name: value for name, value in chosen.items() if value is not None}

    @classmethod
    def of(
        cls,
        cur: duckdb.DuckDBPyConnection,
        first: date | None,
        as_of: date | None,
        segment: str | None = None,
        region: str | None = None,
        csm: str | None = None,
    ) -> Scope:
        dates = report_dates(first, as_of, data_last_day=data_last_day(cur))
        choices = filter_choices(store_sources(cur))
        found = check_filters(choices, segment=segment, region=region, csm_id=csm)
        return cls(dates, choices, found["segment"], found["region"], found["csm_id"])

    def sources(self, cur: duckdb.DuckDBPyConnection) -> Sources:
        return store_sources(cur).restrict(
            segment=self.segment, region=self.region, csm_id=self.csm
        )


Report = Callable[[Sources, AnalyticsConfig, Scope], pa.Table]


def mrr(grain: str) -> Report:
    check_grain(grain)
    return lambda s, c, q: mrr_series(s, c, q.first, q.as_of, grain).to_pyarrow()


def bridge(grain: str) -> Report:
    check_grain(grain)
    return lambda s, c, q: mrr_bridge(s, c, q.first, q.as_of, grain).to_pyarrow()


def retention(sources: Sources, config: AnalyticsConfig, scope: Scope) -> pa.Table:
    """Trailing-12-month NRR/GRR per month joined with that month's churn rates."""
    nrr = revenue_retention(sources, config, scope.first, scope.as_of)
    churn = churn_rates(mrr_bridge(sources, config, scope.first, scope.as_of))
    joined = nrr.join(churn, nrr.month == churn.period_start)
    return (
        joined.select(
            *nrr.columns,
            *[c for c in churn.columns if c.endswith("_rate")],
            "partial",
        )
        .order_by("month")
        .to_pyarrow()
    )


def cohorts(sources: Sources, config: AnalyticsConfig, scope: Scope) -> pa.Table:
    return cohort_retention(sources, config, scope.first, scope.as_of).to_pyarrow()


def upcoming(days: int | None, include_monthly: bool = False) -> Report:
    return lambda s, c, q: renewals(s, c, q.as_of, days, include_monthly).to_pyarrow()


def at_stake(days: int | None, include_monthly: bool = False) -> Report:
    """The renewals' count and ARR total: one row, ``contracts, arr``."""
    return lambda s, c, q: arr_at_stake(s, c, q.as_of, days, include_monthly).to_pyarrow()


def usage(account: str | None) -> Report:
    """Usage per account, in account order (the API pages the rows it answers with)."""

    def run(sources: Sources, config: AnalyticsConfig, scope: Scope) -> pa.Table:
        expr = account_usage(sources, config, scope.as_of)
        if account is not None:
            expr = expr.filter(expr.account_id == account)
        return expr.to_pyarrow()

    return run


def features(account: str | None, window: int) -> Report:
    return lambda s, c, q: feature_counts(s, q.as_of, window, account).to_pyarrow()


def usage_trend(cur: duckdb.DuckDBPyConnection, days: int, scope: Scope) -> pa.Table:
    """Company-wide daily usage from the stored snapshot, for the last ``days`` days."""
    first, last = snapshot_range(cur)
    end = min(scope.as_of, last)
    start = max(first, end - timedelta(days=days - 1))
    where = ["m.date BETWEEN ? AND ?"]
    params: list[object] = [start, end]
    for column, value in (("segment", scope.segment), ("region", scope.region),
                          ("csm_id", scope.csm)):  # fmt: skip
        if value is not None:
            where.append(f"lower(a.{column}) = lower(?)")
            params.append(value)
    return cur.sql(
        "SELECT m.date, count(*) FILTER (WHERE m.active_users_28 > 0) AS active_accounts, "
        "sum(m.active_users_28)::BIGINT AS active_users_28, sum(m.events_7)::BIGINT AS events_7, "
        "avg(m.stickiness_28) AS avg_stickiness_28 "
        "FROM account_daily_metrics m JOIN accounts a USING (account_id) "
        f"WHERE {' AND '.join(where)} GROUP BY m.date ORDER BY m.date",
        params=params,
    ).to_arrow_table()


def run(
    cur: duckdb.DuckDBPyConnection, report: Report, scope: Scope, config: AnalyticsConfig
) -> pa.Table:
    return report(scope.sources(cur), config, scope)


def json_rows(table: pa.Table) -> list[dict[str, Any]]:
    """Rows as JSON-safe dicts: decimals as exact strings, dates as ISO text."""
    return [{k: _plain(v) for k, v in row.items()} for row in table.to_pylist()]


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN never leaves as JSON
        return None
    return value
