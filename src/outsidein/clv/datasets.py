"""Readers for the public reference data sets the tests and benchmarks reproduce."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from outsidein.clv.errors import ClvError


def read_cdnow(path: Path) -> pd.DataFrame:
    """CDNOW_master.txt or CDNOW_sample.txt as (customer, date, amount)."""
    try:
        raw = pd.read_csv(path, sep=r"\s+", header=None, dtype=str, comment=None)
    except OSError as exc:
        raise ClvError(f"cannot read {path}: {exc.strerror}") from exc
    if not raw.iloc[0, 0].isdigit():
        raw = raw.iloc[1:]
    if raw.shape[1] == 5:  # the sample: customer, sample id, date, CDs, dollars
        raw = raw.drop(columns=[1])
    if raw.shape[1] != 4:
        raise ClvError(f"{path}: expected 4 or 5 columns (id, [sample id], date, CDs, dollars)")
    raw.columns = ["customer", "date", "cds", "amount"]
    return pd.DataFrame(
        {
            "customer": raw["customer"].astype(int).to_numpy(),
            "date": pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy(),
            "amount": raw["amount"].astype(float).to_numpy(),
        }
    )
