"""The RFM summary of a transaction log, with the papers' conventions.

Purchases on the same day are one transaction (their amounts summed); frequency x counts
repeat transactions only; t_x is the time from the first to the last transaction and T
from the first transaction to the end of calibration, in ``unit_days`` (7: weeks); the
monetary value is the mean of the repeat transactions (Fader, Hardie & Lee 2005).
Holdout columns count the transactions after calibration up to ``holdout_end``.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from outsidein.clv.errors import ClvError

COLUMNS = ("customer", "date", "amount")


def summary(
    tx: pd.DataFrame,
    calibration_end: dt.date,
    holdout_end: dt.date | None = None,
    unit_days: float = 7.0,
) -> pd.DataFrame:
    """One row per customer first seen by ``calibration_end``: x, t_x, T, monetary, holdout."""
    missing = [c for c in COLUMNS if c not in tx.columns]
    if missing:
        raise ClvError(f"Required column {missing[0]} missing: give customer, date and amount")
    try:
        day = pd.to_datetime(tx["date"], format="ISO8601").dt.normalize()
    except (ValueError, TypeError) as exc:
        raise ClvError(f"column date: {exc}; give dates as YYYY-MM-DD or timestamps") from exc
    daily = (
        pd.DataFrame({"customer": tx["customer"], "day": day, "amount": tx["amount"]})
        .groupby(["customer", "day"], as_index=False, sort=True)["amount"]
        .sum()
    )
    cal_end = pd.Timestamp(calibration_end)
    cal = daily[daily["day"] <= cal_end]
    if cal.empty:
        raise ClvError(f"no transaction on or before the calibration end {calibration_end}")
    g = cal.groupby("customer", sort=True)
    first, last, count = g["day"].min(), g["day"].max(), g.size()
    total, first_amount = g["amount"].sum(), g["amount"].first()
    x = (count - 1).astype(np.float64)
    repeat_total = total - first_amount
    out = pd.DataFrame(
        {
            "x": x,
            "t_x": (last - first).dt.days / unit_days,
            "T": (cal_end - first).dt.days / unit_days,
            "monetary": np.where(x > 0, repeat_total / x.where(x > 0, 1.0), 0.0),
            "first": first,
        }
    )
    # A customer whose only purchase is the last day has T = 0; the models need T > 0.
    out = out[out["T"] > 0]
    if holdout_end is not None:
        hold = daily[(daily["day"] > cal_end) & (daily["day"] <= pd.Timestamp(holdout_end))]
        counts = hold.groupby("customer").size()
        out["x_holdout"] = counts.reindex(out.index, fill_value=0).astype(np.float64)
        out["holdout"] = (pd.Timestamp(holdout_end) - cal_end).days / unit_days
    out.index.name = "customer"
    return out
