"""Retention after a firing: did a paying account churn within 90 days?

From the daily snapshot's MRR (the revenue truth, docs/metrics.md): an account paying on the
day before ``day`` churned within 90 days when its MRR is zero on some day from ``day`` to
``day + 89``. Unknown (NaN) when it was not paying the day before, or when the data do not
reach 90 days past ``day`` yet.
"""

from __future__ import annotations

from datetime import date, timedelta

import duckdb
import numpy as np
from numpy.typing import NDArray

from outsidein.store.freshness import data_last_day

__all__ = ["CHURN_DAYS", "churned_within"]

F64 = NDArray[np.float64]
CHURN_DAYS = 90


def churned_within(con: duckdb.DuckDBPyConnection, account_ids: list[str], days: list[date]) -> F64:
    """(accounts x days): 1.0 churned within 90 days of the day, 0.0 not, NaN unknown."""
    out = np.full((len(account_ids), len(days)), np.nan)
    if not days or not account_ids:
        return out
    last_row = con.execute("SELECT max(date) FROM account_daily_metrics").fetchone()
    last = last_row[0] if last_row else None
    data_last = data_last_day(con)
    if last is None or data_last is None:
        return out
    last = min(last, data_last)
    index = {a: i for i, a in enumerate(account_ids)}
    col = {d: j for j, d in enumerate(days)}
    known = [d for d in days if d + timedelta(days=CHURN_DAYS - 1) <= last]
    if not known:
        return out
    rows = con.execute(
        "WITH d AS (SELECT unnest(?::DATE[]) AS d) "
        "SELECT m.account_id, d.d, bool_or(m.date = d.d - 1 AND m.mrr > 0), "
        "bool_or(m.date >= d.d AND m.mrr = 0) "
        "FROM account_daily_metrics m JOIN d ON m.date BETWEEN d.d - 1 AND d.d + ? "
        "GROUP BY 1, 2",
        [known, CHURN_DAYS - 1],
    ).fetchall()
    for account_id, d, paying, lost in rows:
        i = index.get(str(account_id))
        if i is not None and paying:
            out[i, col[d]] = 1.0 if lost else 0.0
    return out
