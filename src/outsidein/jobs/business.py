"""What a needs segment is worth: each account's ARR, health and whether it churned, read
from the fields every capability shares (the segment field registry), so the numbers are
the analytics' and health's own."""

from __future__ import annotations

from datetime import date

import duckdb
import pandas as pd

from outsidein.config import OutsideInConfig
from outsidein.segments.evaluate import gather
from outsidein.segments.fields import Context
from outsidein.segments.language import catalogue

__all__ = ["account_facts"]

FACTS = ("arr", "health", "lifecycle_status")


def account_facts(
    con: duckdb.DuckDBPyConnection, config: OutsideInConfig, as_of: date
) -> pd.DataFrame:
    """``account_id, arr, health, churned`` for every account on ``as_of``."""
    context = Context.of(config)
    fields = catalogue(con, context)
    names = [n for n in FACTS if n in fields.fields]
    table = gather(con, as_of, names, fields, context).to_pandas()
    for n in FACTS:
        if n not in table:
            table[n] = None
    table["arr"] = pd.to_numeric(table["arr"], errors="coerce")
    table["health"] = pd.to_numeric(table["health"], errors="coerce")
    table["churned"] = table["lifecycle_status"] == "churned"
    return table[["account_id", "arr", "health", "churned"]]
