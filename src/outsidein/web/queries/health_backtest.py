"""The scorecards page's backtest: :func:`outsidein.health.backtest.backtest` of the
configuration in force, run while the page waits only on a store small enough to answer in
seconds (:data:`MAX_ACCOUNTS`); larger stores run it as a job (CLI, API)."""

from __future__ import annotations

import duckdb
import pyarrow as pa

from outsidein.analytics.today import report_dates
from outsidein.config import OutsideInConfig
from outsidein.errors import InvalidRequestError
from outsidein.health.backtest import BacktestReport, backtest
from outsidein.health.engine import score
from outsidein.health.history import Scored
from outsidein.health.service import to_scored
from outsidein.store.freshness import data_last_day

__all__ = ["MAX_ACCOUNTS", "MONTHS", "page_backtest"]

# Each point costs about 1.5 s whatever the size (the lifecycle expression of inputs_at):
# 120 accounts took 17 s on the loaded 2-core machine; 2,000 stay within about half a minute.
MAX_ACCOUNTS = 2_000
MONTHS = 12


def page_backtest(cur: duckdb.DuckDBPyConnection, config: OutsideInConfig) -> BacktestReport:
    """The 12-month backtest of the published scorecards as of the report day;
    :class:`InvalidRequestError` (with what to run instead) on a store too large."""
    (accounts,) = cur.execute("SELECT count(*) FROM accounts").fetchall()[0]
    if accounts > MAX_ACCOUNTS:
        raise InvalidRequestError(
            f"the store has {accounts:,} accounts; the page backtests up to {MAX_ACCOUNTS:,} "
            "while it waits: run `outsidein health backtest` or the API's backtest job"
        )
    health = config.health

    def score_fn(inputs: pa.Table) -> Scored:
        return to_scored(score(inputs, health))

    as_of = report_dates(None, None, data_last_day=data_last_day(cur)).as_of
    return backtest(cur, score_fn, as_of, months=MONTHS, config=config.analytics)
