"""Calendars: reporting periods and day numbers, built in Python and handed to any engine.

Periods are few (at most :data:`MAX_PERIODS` a request: a longer range is refused, naming
the limit), so they are generated here and shipped to the engine as small in-memory tables.
That keeps week and month boundaries identical on every backend instead of depending on each
engine's ``date_trunc``. Inside expressions a date is
an integer *day number* (days since 1970-01-01): integer arithmetic means the same thing in
DuckDB and Spark, where date intervals do not always.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, get_args

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from outsidein.errors import InvalidRequestError

Grain = Literal["day", "week", "month"]
GRAINS: tuple[str, ...] = get_args(Grain)
EPOCH = date(1970, 1, 1)
PERIODS_PER_YEAR: dict[str, int] = {"day": 365, "week": 52, "month": 12}
# The most periods one report may cover (about 2.7 years by day, 19 by week, 83 by month):
# every period is a row of the answer and a join partner of every account's revenue.
MAX_PERIODS = 1_000


def day_number(value: date) -> int:
    """Days since 1970-01-01, the integer form dates take inside expressions."""
    return (value - EPOCH).days


def from_day_number(number: int) -> date:
    return EPOCH + timedelta(days=number)


def day_of(value: ir.DateValue | ir.TimestampValue) -> ir.IntegerValue:
    """The day number of a date or (naive UTC) timestamp expression."""
    as_date = value.date() if isinstance(value, ir.TimestampValue) else value
    return as_date.epoch_days().cast(dt.int64)


def check_grain(grain: str) -> Grain:
    if grain not in GRAINS:
        raise InvalidRequestError(f"grain must be one of {', '.join(GRAINS)}, not {grain!r}")
    return grain  # type: ignore[return-value]


def period_floor(value: date, grain: Grain) -> date:
    """The first day of the period holding ``value`` (weeks start on Monday, ISO 8601)."""
    if grain == "day":
        return value
    if grain == "week":
        return value - timedelta(days=value.weekday())
    return value.replace(day=1)


def add_periods(value: date, grain: Grain, count: int = 1) -> date:
    """``value`` (a period start) moved by ``count`` periods."""
    if grain == "day":
        return value + timedelta(days=count)
    if grain == "week":
        return value + timedelta(weeks=count)
    months = value.year * 12 + value.month - 1 + count
    return date(months // 12, months % 12 + 1, 1)


def one_year_before(value: date) -> date:
    """The same day a year earlier; a month's last day maps to that month's last day."""
    if (value + timedelta(days=1)).day == 1:  # last day of its month
        return date(value.year - 1, value.month, 1) + _month_length(value.year - 1, value.month)
    if value.month == 2 and value.day == 29:
        return date(value.year - 1, 2, 28)
    return value.replace(year=value.year - 1)


def _month_length(year: int, month: int) -> timedelta:
    start = date(year, month, 1)
    return add_periods(start, "month") - start - timedelta(days=1)


@dataclass(frozen=True)
class Period:
    """One reporting period: ``[start, end)``, measured at its opening and closing days.

    ``opening`` is the last day before the period; ``closing`` is its last day, or the
    as-of day for the period still running. A period's opening equals the previous
    period's closing, so consecutive bridges chain exactly.
    """

    index: int
    start: date
    end: date
    closing: date

    @property
    def opening(self) -> date:
        return self.start - timedelta(days=1)

    @property
    def complete(self) -> bool:
        return self.closing == self.end - timedelta(days=1)


def periods(first: date, last: date, grain: Grain) -> list[Period]:
    """The periods from the one holding ``first`` to the one holding ``last`` (the as-of day)."""
    if last < first:
        raise InvalidRequestError(f"the range ends ({last}) before it starts ({first})")
    start = period_floor(first, grain)
    count = period_count(start, last, grain)
    if count > MAX_PERIODS:
        raise InvalidRequestError(
            f"from {first.isoformat()} to {last.isoformat()} by {grain} is {count:,} periods; "
            f"a report covers at most {MAX_PERIODS:,}: give a later from or a coarser grain",
            field="from",
        )
    found: list[Period] = []
    while start <= last:
        end = add_periods(start, grain)
        closing = min(end - timedelta(days=1), last)
        found.append(Period(len(found), start, end, closing))
        start = end
    return found


def period_count(start: date, last: date, grain: Grain) -> int:
    """How many periods from the one starting at ``start`` to the one holding ``last``."""
    if grain == "day":
        return (last - start).days + 1
    if grain == "week":
        return (last - start).days // 7 + 1
    return (last.year - start.year) * 12 + last.month - start.month + 1


def periods_table(items: list[Period]) -> ir.Table:
    """Periods as an engine table: start and closing dates, their day numbers, and whether
    the period is ``partial`` (it closes on the as-of day, before its last day)."""
    return ibis.memtable(
        pa.table(
            {
                "period_index": pa.array([p.index for p in items], pa.int64()),
                "period_start": pa.array([p.start for p in items], pa.date32()),
                "closing_date": pa.array([p.closing for p in items], pa.date32()),
                "start_day": pa.array([day_number(p.start) for p in items], pa.int64()),
                "opening_day": pa.array([day_number(p.opening) for p in items], pa.int64()),
                "closing_day": pa.array([day_number(p.closing) for p in items], pa.int64()),
                "partial": pa.array([not p.complete for p in items], pa.bool_()),
            }
        )
    )


def days_table(first_day: int, last_day: int) -> ir.Table:
    """Every day number from ``first_day`` to ``last_day`` inclusive, with its date."""
    numbers = list(range(first_day, last_day + 1))
    return ibis.memtable(
        pa.table(
            {
                "day": pa.array(numbers, pa.int64()),
                "date": pa.array([from_day_number(n) for n in numbers], pa.date32()),
            }
        )
    )
