"""Calendar arithmetic on integer day numbers, vectorized.

The simulator keeps dates as days since 1970-01-01 (int64) and timestamps as microseconds
since the epoch (int64): numpy can then move millions of them at once, and Arrow turns them
into date32 / timestamp[us] without copying.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np
from numpy.typing import NDArray

I64 = NDArray[np.int64]

EPOCH = date(1970, 1, 1)
US_PER_DAY = 86_400_000_000
US_PER_HOUR = 3_600_000_000
NEVER = np.int64(2**40)  # a day number far beyond any simulated date ("open-ended")


def day_number(d: date) -> int:
    """Days since the epoch for a date."""
    return (d - EPOCH).days


def to_date(day: int) -> date:
    """The date of a day number."""
    return EPOCH + timedelta(days=int(day))


def first_of_current_month() -> date:
    """The first day of the current UTC month: the default ``as_of``."""
    today = datetime.now(UTC).date()
    return today.replace(day=1)


def add_months(days: I64, months: I64 | int) -> I64:
    """Shift day numbers by whole months, clamping the day to the target month's length.

    Renewal anniversaries use this with multiples of 12, so 29 February renews on 28 February.
    """
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    day_of_month = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64).astype("timedelta64[M]")
    length = ((target + 1).astype("datetime64[D]") - target.astype("datetime64[D]")).astype(
        np.int64
    )
    out = target.astype("datetime64[D]").astype(np.int64) + np.minimum(day_of_month, length - 1)
    return np.asarray(out, dtype=np.int64)


def months_between(start_days: I64, end_days: I64) -> I64:
    """Whole calendar months from the month of ``start_days`` to the month of ``end_days``."""
    a = np.asarray(start_days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    b = np.asarray(end_days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]")
    return np.asarray((b - a).astype(np.int64), dtype=np.int64)


def weekday(days: I64) -> I64:
    """Day of week, Monday = 0 (1970-01-01 was a Thursday)."""
    return np.asarray((np.asarray(days, dtype=np.int64) + 3) % 7, dtype=np.int64)


@dataclass(frozen=True)
class Window:
    """The simulated months: ``months`` calendar months ending just before ``as_of``.

    ``bounds[m]`` is the first day of month ``m``; ``bounds[months]`` is ``as_of`` itself, so a
    mid-month ``as_of`` makes the last month partial and nothing reaches ``as_of``.
    """

    as_of: date
    months: int
    bounds: I64

    @property
    def start_day(self) -> int:
        return int(self.bounds[0])

    @property
    def end_day(self) -> int:
        """``as_of`` as a day number: every simulated day is strictly before it."""
        return int(self.bounds[-1])

    @property
    def end_us(self) -> int:
        """``as_of`` midnight in microseconds: every timestamp is strictly before it."""
        return self.end_day * US_PER_DAY

    def month_of(self, days: I64) -> I64:
        """Index of the window month each day falls in (-1 before the window)."""
        idx = np.searchsorted(self.bounds, np.asarray(days, dtype=np.int64), side="right") - 1
        return np.asarray(np.minimum(idx, self.months - 1), dtype=np.int64)

    def month_start(self, m: int) -> date:
        return to_date(int(self.bounds[m]))


def make_window(as_of: date, months: int) -> Window:
    """The window of ``months`` months whose last month contains the day before ``as_of``."""
    end = day_number(as_of)
    last = np.datetime64(end - 1, "D").astype("datetime64[M]")
    firsts = last - np.arange(months - 1, -1, -1).astype("timedelta64[M]")
    starts = firsts.astype("datetime64[D]").astype(np.int64)
    bounds = np.concatenate([starts, np.array([end], dtype=np.int64)])
    return Window(as_of=as_of, months=months, bounds=bounds)
