"""The scorecards page's backtests: :func:`outsidein.health.backtest.backtest` of the
configuration in force, and a draft's beside it, run while the page waits only on a store
small enough to answer in seconds (:data:`MAX_ACCOUNTS`); larger stores run them as a job
(CLI, API)."""

from __future__ import annotations

from datetime import date

import duckdb

from outsidein.analytics.today import report_dates
from outsidein.config import OutsideInConfig
from outsidein.errors import InvalidRequestError
from outsidein.health.backtest import BacktestReport, backtest
from outsidein.health.service import compare, score_fn_for
from outsidein.settings.health import HealthConfig
from outsidein.store.freshness import data_last_day

__all__ = ["MAX_ACCOUNTS", "MONTHS", "page_backtest", "page_compare"]

# Each point costs about 1.5 s whatever the size (the lifecycle expression of inputs_at):
# 120 accounts took 17 s on the loaded 2-core machine; 2,000 stay within about half a minute.
MAX_ACCOUNTS = 2_000
MONTHS = 12


def _small_enough(cur: duckdb.DuckDBPyConnection) -> date:
    """The report day; :class:`InvalidRequestError` (with what to run instead) on a store
    too large to backtest while the page waits."""
    (accounts,) = cur.execute("SELECT count(*) FROM accounts").fetchall()[0]
    if accounts > MAX_ACCOUNTS:
        raise InvalidRequestError(
            f"the store has {accounts:,} accounts; the page backtests up to {MAX_ACCOUNTS:,} "
            "while it waits: run `outsidein health backtest` or the API's backtest job"
        )
    return report_dates(None, None, data_last_day=data_last_day(cur)).as_of


def page_backtest(cur: duckdb.DuckDBPyConnection, config: OutsideInConfig) -> BacktestReport:
    """The 12-month backtest of the published scorecards as of the report day."""
    as_of = _small_enough(cur)
    return backtest(
        cur, score_fn_for(config.health), as_of, months=MONTHS, config=config.analytics,
        journey=config.journey,
    )  # fmt: skip


def page_compare(
    cur: duckdb.DuckDBPyConnection, config: OutsideInConfig, draft: HealthConfig
) -> dict[str, BacktestReport]:
    """A draft's backtest beside the published scorecards' (``draft``, ``published``), on the
    same points and inputs: :func:`outsidein.health.service.compare`, as the API's job."""
    as_of = _small_enough(cur)
    return compare(
        cur, draft, config.health, as_of, months=MONTHS, config=config.analytics,
        journey=config.journey,
    )  # fmt: skip
