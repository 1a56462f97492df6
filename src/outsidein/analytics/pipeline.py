"""Every metric at once, as named Ibis expressions: what a batch job or a report runs.

The same function feeds the DuckDB-vs-Spark equivalence test and the Spark job
(``python -m outsidein.analytics.spark_job``), so what is proven equal is what ships.
"""

from __future__ import annotations

from datetime import date

import ibis.expr.types as ir

from outsidein.analytics.backend import Sources
from outsidein.analytics.contracts import next_renewals
from outsidein.analytics.renewals import renewals
from outsidein.analytics.retention import churn_rates, cohort_retention, revenue_retention
from outsidein.analytics.revenue import account_movements, mrr_bridge, mrr_series
from outsidein.analytics.usage_report import account_usage, daily_snapshot, feature_counts
from outsidein.settings.analytics import AnalyticsConfig

OUTPUTS = (
    "mrr_daily",
    "mrr_weekly",
    "mrr_monthly",
    "bridge_weekly",
    "bridge_monthly",
    "movements_monthly",
    "churn_monthly",
    "revenue_retention",
    "cohorts",
    "renewals",
    "contracts",
    "usage",
    "feature_counts",
    "account_daily_metrics",
)


def all_metrics(
    sources: Sources,
    config: AnalyticsConfig,
    first: date,
    last: date,
    *,
    snapshot_first: date | None = None,
) -> dict[str, ir.Table]:
    """Every output from ``first`` to ``last`` (the as-of day), keyed by name (``OUTPUTS``).

    The daily snapshot starts at ``snapshot_first`` (default ``first``).
    """
    monthly = mrr_bridge(sources, config, first, last, "month")
    outputs = {
        "mrr_daily": mrr_series(sources, config, first, last, "day"),
        "mrr_weekly": mrr_series(sources, config, first, last, "week"),
        "mrr_monthly": mrr_series(sources, config, first, last, "month"),
        "bridge_weekly": mrr_bridge(sources, config, first, last, "week"),
        "bridge_monthly": monthly,
        "movements_monthly": account_movements(sources, config, first, last, "month"),
        "churn_monthly": churn_rates(monthly, "month"),
        "revenue_retention": revenue_retention(sources, config, first, last),
        "cohorts": cohort_retention(sources, config, first, last),
        "renewals": renewals(sources, config, last),
        "contracts": next_renewals(sources, config, last),
        "usage": account_usage(sources, config, last),
        "feature_counts": feature_counts(sources, last),
        "account_daily_metrics": daily_snapshot(sources, config, snapshot_first or first, last),
    }
    assert tuple(outputs) == OUTPUTS
    return outputs
