"""The journey's health inputs: stage, time in stage and interruptions as of a day.

Gathered here, defined in :mod:`outsidein.journey.state` and :mod:`outsidein.journey.breaks`;
:func:`outsidein.health.inputs.inputs_at` joins them (facts before the end of ``as_of``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, time, timedelta

import duckdb
import pyarrow as pa

from outsidein.journey.breaks import count_breaks
from outsidein.settings.journey import JourneyConfig

__all__ = ["RECENT_DAYS", "journey_inputs"]

RECENT_DAYS = 30  # interruptions_30d
OPEN_DAYS = 90  # an open interruption counts when it started in the last 90 days


def journey_inputs(
    con: duckdb.DuckDBPyConnection,
    journey: JourneyConfig,
    as_of: date,
    accounts: Sequence[str] | None = None,
) -> pa.Table:
    """``account_id, journey_stage, days_in_stage, interruptions_30d, open_interruptions``
    for the accounts that existed at the end of ``as_of``."""
    end = datetime.combine(as_of + timedelta(days=1), time())
    found, counts = count_breaks(
        con, journey, end, days=OPEN_DAYS, recent_days=RECENT_DAYS, accounts=accounts
    )
    ids = sorted(found)
    states = [found[a] for a in ids]
    return pa.table(
        {
            "account_id": pa.array(ids, pa.string()),
            "journey_stage": pa.array([s.stage for s in states], pa.string()),
            "days_in_stage": pa.array(
                [None if s.days_in_stage is None else round(s.days_in_stage, 2) for s in states],
                pa.float64(),
            ),
            "interruptions_30d": pa.array(
                [float(counts.get(a, (0, 0))[0]) for a in ids], pa.float64()
            ),
            "open_interruptions": pa.array(
                [float(counts.get(a, (0, 0))[1]) for a in ids], pa.float64()
            ),
        }
    )
