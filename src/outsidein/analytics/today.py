"""Which day a report is about when nobody says: the data's last day, not the wall clock's.

A store whose data ends in the past would otherwise show flat MRR, NRR 100 % and no usage
"today". The rule, used by the API, the pages and the CLI alike:

* ``as_of`` defaults to today (UTC) or the data's last day, whichever is earlier;
* an ``as_of`` after today is refused: figures for days that have not happened are not facts;
* ``from`` defaults to the first day of the month eleven months before ``as_of``;
* no date before 1900-01-01 is accepted (``store.earliest_date``'s default, the one bound
  every business date shares);
* a range holds at most :data:`~outsidein.analytics.periods.MAX_PERIODS` periods.

The data's last day is the latest event, touchpoint, case or invoice day
(:func:`outsidein.store.freshness.data_last_day`, or the latest event of a Parquet lake).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from outsidein.analytics.backend import Sources
from outsidein.analytics.periods import add_periods
from outsidein.errors import InvalidRequestError
from outsidein.settings.store import EARLIEST_DATE

EARLIEST = EARLIEST_DATE


def utc_today() -> date:
    """Today's date in UTC, the store's time zone."""
    return datetime.now(UTC).date()


@dataclass(frozen=True)
class ReportDates:
    """A report's first and as-of day, and why ``as_of`` is what it is."""

    first: date
    as_of: date
    today: date
    data_last_day: date | None
    as_of_given: bool

    @property
    def follows_data(self) -> bool:
        """True when the default ``as_of`` moved back from today to the data's last day."""
        return not self.as_of_given and self.as_of < self.today

    @property
    def notice(self) -> str | None:
        """What a page or the CLI says when the default follows the data."""
        if not self.follows_data:
            return None
        return (
            f"The data ends on {self.as_of.isoformat()} (its latest event, touchpoint, case or "
            f"invoice), so figures are as of that day, not today ({self.today.isoformat()})."
        )


def report_dates(
    first: date | None,
    as_of: date | None,
    *,
    data_last_day: date | None,
    today: date | None = None,
) -> ReportDates:
    """Resolve a report's dates by the rule above; :class:`InvalidRequestError` if refused."""
    now = today or utc_today()
    for name, value in (("from", first), ("as_of", as_of)):
        if value is not None and value < EARLIEST:
            raise InvalidRequestError(
                f"{name} {value.isoformat()} is before {EARLIEST.isoformat()}; give a later date",
                field=name,
            )
    if as_of is not None and as_of > now:
        raise InvalidRequestError(
            f"as_of {as_of.isoformat()} is in the future (today is {now.isoformat()}, UTC); "
            "figures exist only up to today",
            field="as_of",
        )
    last = as_of or (min(now, data_last_day) if data_last_day is not None else now)
    start = first or add_periods(last.replace(day=1), "month", -11)
    if start > last:
        raise InvalidRequestError(
            f"from ({start.isoformat()}) must not be after as_of ({last.isoformat()})",
            field="from",
        )
    return ReportDates(start, last, now, data_last_day, as_of is not None)


def lake_last_day(sources: Sources) -> date | None:
    """The latest event day of a Parquet lake (a lake holds no touchpoints or cases)."""
    latest = sources.events["timestamp"].max().execute()
    if latest is None or latest != latest:  # None or NaT
        return None
    return latest.date() if isinstance(latest, datetime) else date.fromisoformat(str(latest)[:10])
