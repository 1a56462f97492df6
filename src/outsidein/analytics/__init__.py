"""Revenue, retention and usage analytics, written once in Ibis, run on DuckDB or PySpark.

Every metric takes :class:`Sources` (the canonical tables on one backend) and returns an
Ibis table expression; call ``.to_pandas()``/``.to_pyarrow()`` on it, or write it out.
Definitions and formulas: docs/metrics.md.
"""

from outsidein.analytics.backend import (
    Sources,
    duckdb_lake,
    lake_sources,
    local_spark,
    spark_backend,
    store_sources,
)
from outsidein.analytics.contracts import contract_terms, next_renewals
from outsidein.analytics.errors import (
    AnalyticsError,
    BackendUnavailableError,
    CurrencyError,
    SnapshotMissingError,
)
from outsidein.analytics.periods import GRAINS, Grain, Period, periods
from outsidein.analytics.refresher import SnapshotRefresher
from outsidein.analytics.renewals import arr_at_stake, renewals
from outsidein.analytics.retention import churn_rates, cohort_retention, revenue_retention
from outsidein.analytics.revenue import (
    MOVEMENTS,
    account_movements,
    account_mrr,
    mrr_bridge,
    mrr_series,
)
from outsidein.analytics.snapshot import (
    SnapshotResult,
    build_snapshot,
    snapshot_range,
    update_snapshot,
)
from outsidein.analytics.usage import SNAPSHOT_WINDOWS, Activity, daily_usage, roll_up
from outsidein.analytics.usage_history import history_range, usage_history
from outsidein.analytics.usage_report import account_usage, daily_snapshot, feature_counts
from outsidein.settings.analytics import AnalyticsConfig

__all__ = [
    "GRAINS",
    "MOVEMENTS",
    "SNAPSHOT_WINDOWS",
    "Activity",
    "AnalyticsConfig",
    "AnalyticsError",
    "BackendUnavailableError",
    "CurrencyError",
    "Grain",
    "Period",
    "SnapshotMissingError",
    "SnapshotRefresher",
    "SnapshotResult",
    "Sources",
    "account_movements",
    "account_mrr",
    "account_usage",
    "arr_at_stake",
    "build_snapshot",
    "churn_rates",
    "cohort_retention",
    "contract_terms",
    "daily_snapshot",
    "daily_usage",
    "duckdb_lake",
    "feature_counts",
    "history_range",
    "lake_sources",
    "local_spark",
    "mrr_bridge",
    "mrr_series",
    "next_renewals",
    "periods",
    "renewals",
    "revenue_retention",
    "roll_up",
    "snapshot_range",
    "spark_backend",
    "store_sources",
    "update_snapshot",
    "usage_history",
]
