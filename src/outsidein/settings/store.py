"""The ``[store]`` section of ``outsidein.toml``: which dates the store accepts.

Every date that reaches the store or a report is bounded, so that no value can make a
query run over millennia or a row land in a day that has not happened:

* business dates and timestamps (accounts, subscriptions, invoices, touchpoints, ...,
  and every report's dates): from ``earliest_date``;
* product events (files and the Segment API): from ``earliest_event``;
* anything that has happened (``no_future`` columns, events): up to now plus
  ``future_tolerance_hours``; a report's ``as_of``: up to today.

A leaf module (pydantic and the stdlib only), like every settings module.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, model_validator

EARLIEST_DATE = date(1900, 1, 1)
EARLIEST_EVENT = date(2000, 1, 1)


class StoreConfig(BaseModel):
    """How the store treats incoming data."""

    model_config = ConfigDict(extra="forbid")

    future_tolerance_hours: float = Field(
        24.0,
        ge=0,
        le=24 * 366,
        description="Timestamps later than now plus this are rejected as future.",
    )
    earliest_date: date = Field(
        EARLIEST_DATE,
        ge=date(1, 1, 1),
        description="Business dates and timestamps before this day are rejected.",
    )
    earliest_event: date = Field(
        EARLIEST_EVENT,
        description="Product events (files and the Segment API) dated before this day are "
        "rejected.",
    )

    @model_validator(mode="after")
    def _events_not_before_business(self) -> StoreConfig:
        if self.earliest_event < self.earliest_date:
            raise ValueError(
                f"earliest_event ({self.earliest_event}) must not be before earliest_date "
                f"({self.earliest_date})"
            )
        return self

    def future_cutoff(self, now: datetime | None = None) -> datetime:
        """The latest accepted timestamp, naive UTC like the store's columns."""
        now = now or datetime.now(UTC).replace(tzinfo=None)
        return now + timedelta(hours=self.future_tolerance_hours)


__all__ = ["EARLIEST_DATE", "EARLIEST_EVENT", "StoreConfig"]
