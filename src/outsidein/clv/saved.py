"""Scores written back to the store (clv_scores, clv_fits) and read for the interfaces.

Segments, health and playbooks read ``clv_scores`` like any other per-account fact: the
latest day's row per account.
"""

from __future__ import annotations

import datetime as dt
import json

import duckdb
import pandas as pd

from outsidein.clv.portfolio import Portfolio

COLUMNS = (
    "account_id", "as_of", "family", "p_alive", "p_renew", "expected_transactions",
    "expected_spend", "clv", "arr", "frequency", "recency_weeks", "rfm_r", "rfm_f", "rfm_m",
    "rfm_segment",
)  # fmt: skip


def save(con: duckdb.DuckDBPyConnection, result: Portfolio) -> int:
    """Replace the scores and fits of ``result.as_of``; return the accounts written."""
    s = result.scores.rename(columns={"r": "rfm_r", "f": "rfm_f", "m": "rfm_m"})
    s = s.rename(columns={"segment": "rfm_segment"}).assign(as_of=result.as_of)
    frame = s.reindex(columns=list(COLUMNS))
    con.register("clv_frame", frame)
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute("DELETE FROM clv_scores WHERE as_of = ?", [result.as_of])
        con.execute("DELETE FROM clv_fits WHERE as_of = ?", [result.as_of])
        con.execute(
            f"INSERT INTO clv_scores SELECT {', '.join(COLUMNS)}, now()::TIMESTAMP FROM clv_frame"
        )
        for name, fit in result.fits.items():
            con.execute(
                "INSERT INTO clv_fits VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
                [result.as_of, name, json.dumps(fit.as_dict()), fit.loglik, fit.converged, fit.n],
            )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    finally:
        con.unregister("clv_frame")
    return len(frame)


def latest(
    con: duckdb.DuckDBPyConnection,
    as_of: dt.date | None = None,
    *,
    csm: str | None = None,
    account_id: str | None = None,
) -> pd.DataFrame:
    """The scores of the last scoring day (on or before ``as_of``), highest CLV first;
    ``csm`` keeps one CSM's book, ``account_id`` one account."""
    return con.execute(
        """SELECT s.* EXCLUDE (recorded_at) FROM clv_scores s
           LEFT JOIN accounts a USING (account_id)
           WHERE s.as_of = (SELECT max(as_of) FROM clv_scores
                            WHERE as_of <= coalesce(?::DATE, as_of))
             AND (?::VARCHAR IS NULL OR lower(a.csm_id) = lower(?))
             AND (?::VARCHAR IS NULL OR s.account_id = ?)
           ORDER BY s.clv DESC, s.account_id""",
        [as_of, csm, csm, account_id, account_id],
    ).df()


def fits(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> list[dict[str, object]]:
    """The fits stored for a scoring day, each named as stored (``sbg_12m``: the sBG of
    the subscribers billed every 12 months)."""
    rows = con.execute(
        "SELECT model, params FROM clv_fits WHERE as_of = ? ORDER BY model", [as_of]
    ).fetchall()
    return [{**json.loads(params), "model": str(model)} for model, params in rows]


def for_account(con: duckdb.DuckDBPyConnection, account_id: str) -> dict[str, object] | None:
    """One account's last CLV row (the account page's tile), or None when never scored."""
    found = latest(con, account_id=account_id)
    if found.empty:
        return None
    row: dict[str, object] = found.to_dict("records")[0]
    return row
