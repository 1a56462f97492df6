"""CLV of every account in the store, with the model family chosen per account.

- An account with a subscription is contractual: its value is the sBG's discounted expected
  residual lifetime (in billing periods) times its payment per period, from its ARR as the
  analytics define it (``analytics.revenue.account_mrr``; never recomputed here). The sBG is
  fitted per billing period on every cohort (accounts by first subscription month).
- An account without one buys one-off (invoices with no subscription): BG/NBD for the
  transactions, Gamma-Gamma for their value, RFM scores and groups. BG/NBD means nothing
  on scheduled subscription invoices, so those never enter it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import duckdb
import numpy as np
import pandas as pd

from outsidein.analytics.backend import store_sources
from outsidein.analytics.revenue import account_mrr
from outsidein.clv import bgnbd, gammagamma, sbg
from outsidein.clv.data import compress
from outsidein.clv.errors import ClvError
from outsidein.clv.fit import Fit, interval
from outsidein.clv.holdout import HoldoutCheck, check
from outsidein.clv.rfm import summary
from outsidein.clv.segments import rfm_segments
from outsidein.clv.value import discounted_clv
from outsidein.settings.analytics import AnalyticsConfig

BILLING_MONTHS = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
TRANSACTIONAL = "transactional: BG/NBD + Gamma-Gamma"
CONTRACTUAL = "contractual: sBG x ARR"
WEEKS_PER_MONTH = 52.0 / 12.0
MIN_CUSTOMERS = 20


@dataclass
class Portfolio:
    """Per-account scores and the fits they came from."""

    as_of: dt.date
    scores: pd.DataFrame
    fits: dict[str, Fit] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)  # a family left unscored, and why


def score(
    con: duckdb.DuckDBPyConnection,
    analytics: AnalyticsConfig,
    as_of: dt.date,
    discount: float = 0.10,
    horizon_months: int = 36,
    *,
    check: Callable[[], None] = lambda: None,
) -> Portfolio:
    """Fit the models on the store's data up to ``as_of`` and score every account
    (``check`` raises to cancel between the families: a job or a pipeline step)."""
    out = Portfolio(as_of, pd.DataFrame())
    contractual = _contractual(con, analytics, as_of, discount, out)
    check()
    frames = [contractual, _transactional(con, as_of, discount, horizon_months, out)]
    check()
    frames = [f for f in frames if not f.empty]
    out.scores = pd.concat(frames) if frames else pd.DataFrame(columns=["account_id"])
    return out


def _transactional(
    con: duckdb.DuckDBPyConnection, as_of: dt.date, discount: float, months: int, out: Portfolio
) -> pd.DataFrame:
    tx = transactions(con, as_of)
    if tx.empty:
        return pd.DataFrame()
    rfm = summary(tx, as_of)
    if len(rfm) < MIN_CUSTOMERS or (rfm["x"] > 0).sum() < 2:
        # The subscribers are still valued: a handful of one-off buyers must not stop that.
        out.skipped.append(
            f"one-off buyers not valued: {len(rfm)} accounts buy without a subscription "
            f"({int((rfm['x'] > 0).sum())} more than once) up to {as_of}; BG/NBD needs at "
            f"least {MIN_CUSTOMERS}, some with repeat purchases"
        )
        return pd.DataFrame()
    d = compress(rfm["x"], rfm["t_x"], rfm["T"])
    fit = bgnbd.fit(d)
    out.fits["bgnbd"] = fit
    rep = rfm[(rfm["x"] > 0) & (rfm["monetary"] > 0)]
    if len(rep) >= 10:
        gg = gammagamma.fit(rep["x"], rep["monetary"])
        out.fits["gammagamma"] = gg
        spend = gammagamma.expected_spend(gg.params, rfm["x"], rfm["monetary"])
    else:
        spend = np.full(len(rfm), float(rep["monetary"].mean()) if len(rep) else 0.0)
    x, t_x, T = d.x[d.inverse], d.t_x[d.inverse], d.T[d.inverse]
    monthly = (1.0 + discount) ** (1 / 12) - 1

    def expected(t: float) -> np.ndarray:
        return bgnbd.expected(fit.params, t, d.x, d.t_x, d.T)[d.inverse]

    seg = rfm_segments(rfm)
    return pd.DataFrame(
        {
            "account_id": rfm.index.astype(str),
            "family": TRANSACTIONAL,
            "p_alive": bgnbd.p_alive(fit.params, x, t_x, T),
            "p_renew": np.nan,
            "expected_transactions": expected(52.0),
            "expected_spend": spend,
            "clv": discounted_clv(expected, np.asarray(spend), months, WEEKS_PER_MONTH, monthly),
            "arr": np.nan,
            "frequency": rfm["x"].to_numpy(),
            "recency_weeks": (rfm["T"] - rfm["t_x"]).to_numpy(),
            "r": seg["r"].to_numpy(),
            "f": seg["f"].to_numpy(),
            "m": seg["m"].to_numpy(),
            "segment": seg["segment"].to_numpy(),
        }
    )


def transactions(con: duckdb.DuckDBPyConnection, as_of: dt.date) -> pd.DataFrame:
    """One-off invoices (no subscription) of accounts that never subscribed, up to ``as_of``."""
    return con.execute(
        """SELECT i.account_id AS customer, i.issued_at AS date, i.amount::DOUBLE AS amount
           FROM invoices i
           WHERE i.subscription_id IS NULL AND i.issued_at::DATE <= ?
             AND i.account_id NOT IN (SELECT account_id FROM subscriptions)""",
        [as_of],
    ).df()


def _contractual(
    con: duckdb.DuckDBPyConnection,
    analytics: AnalyticsConfig,
    as_of: dt.date,
    discount: float,
    out: Portfolio,
) -> pd.DataFrame:
    acc = con.execute(
        """WITH s AS (
             SELECT account_id, min(start_date) AS start,
                    CASE WHEN bool_and(end_date IS NOT NULL AND end_date <= ?)
                         THEN max(end_date) END AS ended
             FROM subscriptions WHERE start_date <= ? GROUP BY account_id),
           c AS (SELECT account_id, arg_max(billing_period, term_start) AS billing
                 FROM contracts GROUP BY account_id)
           SELECT s.account_id, s.start, s.ended, coalesce(c.billing, 'monthly') AS billing
           FROM s LEFT JOIN c USING (account_id)""",
        [as_of, as_of],
    ).df()
    if acc.empty:
        return pd.DataFrame()
    acc["every"] = acc["billing"].map(BILLING_MONTHS).fillna(12).astype(int)
    start = pd.to_datetime(acc["start"])
    end = pd.to_datetime(acc["ended"]).fillna(pd.Timestamp(as_of))
    acc["months"] = _whole_months(start, end)
    acc["observed"] = _whole_months(start, pd.Series(pd.Timestamp(as_of), index=acc.index))
    acc["churned"] = acc["ended"].notna()
    acc["cohort"] = pd.to_datetime(acc["start"]).dt.to_period("M").astype(str)
    arr = account_mrr(store_sources(con), analytics, as_of).to_pyarrow().to_pandas()
    arr_by = dict(zip(arr["account_id"], arr["arr"].astype(float), strict=True))
    rows = []
    for every, group in acc.groupby("every"):
        cohorts = [_alive(c, int(every)) for _, c in group.groupby("cohort")]
        try:
            fit = sbg.fit_cohorts(cohorts)
        except ClvError:
            continue  # no cohort has been through a renewal yet: no value stated
        out.fits[f"sbg_{every}m"] = fit
        per_period = (1.0 + discount) ** (int(every) / 12) - 1
        live = group[~group["churned"]]
        for row in live.itertuples():
            renewals = int(row.months // every)
            payment = arr_by.get(row.account_id, 0.0) * int(every) / 12
            rows.append(
                {
                    "account_id": str(row.account_id),
                    "family": f"{CONTRACTUAL} (billed every {every} months)",
                    "p_alive": np.nan,
                    "p_renew": float(sbg.retention(fit.params, renewals + 1)[-1]),
                    "expected_transactions": np.nan,
                    "expected_spend": np.nan,
                    "clv": payment * sbg.derl(fit.params, per_period, renewals),
                    "arr": arr_by.get(row.account_id, 0.0),
                }
            )
    return pd.DataFrame(rows)


def _whole_months(start: pd.Series, end: pd.Series) -> pd.Series:
    """Calendar months from start to end, counting a month only once its day is reached."""
    months = (end.dt.year - start.dt.year) * 12 + (end.dt.month - start.dt.month)
    return months - (end.dt.day < start.dt.day).astype(int)


def _alive(cohort: pd.DataFrame, every: int) -> np.ndarray:
    """Accounts of a cohort still active at the start of each billing period seen by all."""
    periods = int(cohort["observed"].min() // every)
    lifetimes, churned = cohort["months"].to_numpy(), cohort["churned"].to_numpy()
    starts = np.arange(periods + 1) * every
    return np.array([np.sum(~churned | (lifetimes > m)) for m in starts], dtype=np.float64)


def holdout(con: duckdb.DuckDBPyConnection, as_of: dt.date, weeks: int = 26) -> HoldoutCheck:
    """Calibrate BG/NBD up to ``as_of - weeks`` and compare with the transactions since."""
    cut = as_of - dt.timedelta(weeks=weeks)
    tx = transactions(con, as_of)
    rfm = summary(tx, cut, as_of)
    if len(rfm) < MIN_CUSTOMERS:
        raise ClvError(f"{len(rfm)} transactional accounts before {cut}: too few for a holdout")
    d = compress(rfm["x"], rfm["t_x"], rfm["T"])
    fit = bgnbd.fit(d)
    pred = bgnbd.expected(fit.params, float(weeks), d.x, d.t_x, d.T)[d.inverse]
    found = check(rfm["x"], rfm["x_holdout"], pred)
    with contextlib.suppress(ClvError):  # no standard errors: the total without its interval

        def total(p: np.ndarray) -> np.ndarray:
            per_row = bgnbd.expected(p, float(weeks), d.x, d.t_x, d.T)
            return np.asarray([float(np.sum(per_row * d.weight))])

        low, high = interval(fit, total, level=0.9)
        found = replace(found, predicted_low=float(low[0]), predicted_high=float(high[0]))
    return found
