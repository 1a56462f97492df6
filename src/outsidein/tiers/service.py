"""Tiers computed and recorded: a day's assignment stored as history, and a backfill.

:func:`assigned_on` is the one assignment of a day (inputs from the store, the ``[tiers]``
rules); :func:`record_day` stores it with the configuration version in force;
:func:`backfill` records the first day of each month from ``since`` and then ``until`` (how
``outsidein demo`` and ``outsidein tiers compute --since`` give a store its tier history).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import duckdb
import pyarrow as pa

from outsidein.config import OutsideInConfig
from outsidein.store.config_versions import current_config_version
from outsidein.tiers.history import last_recorded, record_tiers
from outsidein.tiers.rules import assign, tier_inputs

__all__ = ["TierRun", "assigned_on", "backfill", "record_day"]


@dataclass(frozen=True)
class TierRun:
    """What recording one day did."""

    as_of: date
    accounts: int
    written: int
    config_version: int | None


def assigned_on(con: duckdb.DuckDBPyConnection, config: OutsideInConfig, as_of: date) -> pa.Table:
    """``account_id, tier, arr, potential`` on ``as_of`` by the rules of ``config``."""
    inputs = tier_inputs(con, as_of, config.analytics, config.tiers)
    return pa.table(
        {
            "account_id": inputs.column("account_id"),
            "tier": assign(inputs, config.tiers),
            "arr": inputs.column("arr"),
            "potential": inputs.column("potential"),
        }
    )


def record_day(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    as_of: date,
    *,
    transaction: bool = True,
) -> TierRun:
    """Assign every account's tier on ``as_of`` and store what changed."""
    cur = con.cursor()
    try:
        version = current_config_version(cur)
    finally:
        cur.close()
    assigned = assigned_on(con, config, as_of)
    written = record_tiers(con, assigned, as_of, config_version=version, transaction=transaction)
    return TierRun(as_of, assigned.num_rows, written, version)


def _months(since: date, until: date, every: int) -> list[date]:
    days, day = [], since.replace(day=1)
    if day < since:
        day = _next_month(day, 1)
    while day < until:
        days.append(day)
        day = _next_month(day, every)
    return [*days, until]


def _next_month(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def backfill(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    since: date,
    until: date,
    *,
    every_months: int = 1,
    progress: Callable[[int, int], None] | None = None,
) -> list[TierRun]:
    """Record the first of every ``every_months``-th month from ``since`` (itself when it is
    a first) to ``until``, then ``until``; days before the latest recorded one are skipped."""
    latest = last_recorded(con)
    days = [d for d in _months(since, until, every_months) if latest is None or d >= latest]
    runs = []
    for i, day in enumerate(days):
        runs.append(record_day(con, config, day))
        if progress is not None:
            progress(i + 1, len(days))
    return runs
