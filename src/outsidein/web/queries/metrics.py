"""The metrics the API and the Metrics page show, computed on a request's cursor.

Each report is an ``outsidein.analytics`` expression run on the store through the request's
own cursor; results come back as Arrow and are turned into JSON-safe rows here (money stays
an exact decimal string, dates ISO text).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
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
from outsidein.analytics.periods import add_periods, check_grain
from outsidein.config import Settings, load_config
from outsidein.errors import InvalidRequestError


def analytics_config() -> AnalyticsConfig:
    """The ``[analytics]`` section of the server's outsidein.toml (read per request)."""
    return load_config(Settings().config).analytics


@dataclass(frozen=True)
class Scope:
    """The period and the accounts a report covers."""

    first: date
    as_of: date
    segment: str | None = None
    region: str | None = None
    csm: str | None = None

    @classmethod
    def of(
        cls,
        first: date | None,
        as_of: date | None,
        segment: str | None = None,
        region: str | None = None,
        csm: str | None = None,
    ) -> Scope:
        """Defaults: as of today (UTC), from the start of the month 11 months before."""
        last = as_of or datetime.now(UTC).date()
        start = first or add_periods(last.replace(day=1), "month", -11)
        if start > last:
            raise InvalidRequestError(f"from ({start}) must not be after as_of ({last})")
        return cls(start, last, segment or None, region or None, csm or None)

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
            where.append(f"a.{column} = ?")
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
