"""``tier`` and ``advocate`` per account on a day: the fields segment filters read.

:func:`segment_fields` is the one relation the segment language joins for these two fields:
``account_id, tier, advocate`` for every account that existed on the day, ``tier`` the stored
tier in force (null: not a customer, or no tier recorded by then) and ``advocate`` whether it
is an advocate candidate by :func:`outsidein.tiers.advocates.advocates`' rules.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import duckdb
import pyarrow as pa

from outsidein.settings.advocates import AdvocatesConfig
from outsidein.tiers.advocates import advocate_table
from outsidein.tiers.history import tiers_at

__all__ = ["FIELDS_SCHEMA", "segment_fields"]

FIELDS_SCHEMA = pa.schema(
    [("account_id", pa.string()), ("tier", pa.string()), ("advocate", pa.bool_())]
)


def segment_fields(
    con: duckdb.DuckDBPyConnection, day: date, advocates: AdvocatesConfig | None = None
) -> pa.Table:
    """One row per account created by the end of ``day``: ``account_id, tier, advocate``."""
    end = datetime.combine(day + timedelta(days=1), time())
    cur = con.cursor()
    try:
        cur.register("_oi_f_tiers", tiers_at(cur, day))
        cur.register("_oi_f_adv", advocate_table(cur, day, advocates or AdvocatesConfig()))
        table = cur.sql(
            """SELECT a.account_id, t.tier, v.account_id IS NOT NULL AS advocate
               FROM accounts a LEFT JOIN _oi_f_tiers t USING (account_id)
               LEFT JOIN _oi_f_adv v USING (account_id)
               WHERE a.created_at < ? ORDER BY a.account_id""",
            params=[end],
        ).to_arrow_table()
    finally:
        cur.close()
    return table.cast(FIELDS_SCHEMA)
