"""My day, assembled: every registered panel for one book on the data-aware today."""

from __future__ import annotations

from datetime import UTC, date, datetime

import duckdb

from outsidein.analytics.today import report_dates
from outsidein.config import OutsideInConfig
from outsidein.errors import InvalidRequestError
from outsidein.myday.models import DayPanel, MyDay
from outsidein.myday.registry import DayContext, panels
from outsidein.store.freshness import data_last_day

__all__ = ["DAYS", "LIMIT", "MAX_DAYS", "my_day"]

DAYS, MAX_DAYS = 30, 366  # how far ahead renewals and back detractors and drops look
LIMIT, MAX_LIMIT = 20, 500  # items listed per panel


def my_day(
    cur: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    *,
    csm: str | None = None,
    days: int = DAYS,
    limit: int = LIMIT,
    as_of: date | None = None,
    at: datetime | None = None,
) -> MyDay:
    """The panels for ``csm``'s book (None: every account), on ``as_of`` (default: the
    report day, :func:`outsidein.analytics.today.report_dates`); ``at`` (now) dates the
    stored health history it compares."""
    if not 1 <= days <= MAX_DAYS:
        raise InvalidRequestError(f"days must be 1 to {MAX_DAYS}, not {days}", field="days")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidRequestError(f"limit must be 1 to {MAX_LIMIT}, not {limit}", field="limit")
    dates = report_dates(None, as_of, data_last_day=data_last_day(cur))
    chosen = (csm or "").strip() or None
    ctx = DayContext(
        cur=cur,
        config=config,
        csm=chosen,
        as_of=dates.as_of,
        at=at or datetime.now(UTC).replace(tzinfo=None),
        days=days,
    )
    shown = []
    for p in panels():
        items = p.items(ctx)
        shown.append(DayPanel(name=p.name, title=p.title, empty=p.empty, items=items[:limit],
                              total=len(items)))  # fmt: skip
    return MyDay(as_of=dates.as_of, notice=dates.notice, csm=chosen, days=days, limit=limit,
                 panels=shown)  # fmt: skip
