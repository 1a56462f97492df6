"""Query parameters shared by list endpoints and pages, validated before any query runs."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated

from fastapi import Query
from pydantic import BeforeValidator
from pydantic_core import PydanticCustomError

MAX_PAGE_SIZE = 200
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _iso_date_text(value: object) -> object:
    """Only ``YYYY-MM-DD`` (or a date already): pydantic alone reads ``0`` as 1970-01-01
    (a Unix time), in a query and in a JSON body alike."""
    if isinstance(value, date) or (isinstance(value, str) and _ISO_DATE.fullmatch(value)):
        return value
    raise PydanticCustomError("date_format", "must be a date as YYYY-MM-DD, e.g. 2024-06-15")


IsoDate = Annotated[date, BeforeValidator(_iso_date_text)]
"""A day given in a request: ISO ``YYYY-MM-DD`` and nothing else (the schema's ``date``)."""


def _iso_datetime_text(value: object) -> object:
    """Only ISO 8601 text (or a datetime already): pydantic alone reads ``0.5`` as a Unix
    time."""
    if isinstance(value, datetime) or (isinstance(value, str) and _ISO_DATE.match(value)):
        return value
    raise PydanticCustomError(
        "datetime_format", "must be a time as ISO 8601, e.g. 2024-06-15T09:30:00Z"
    )


IsoDatetime = Annotated[datetime, BeforeValidator(_iso_datetime_text)]
"""A time given in a request: ISO 8601 text only (the schema's ``date-time``)."""

SearchParam = Annotated[
    str, Query(max_length=200, description="Case-insensitive text to look for.")
]
PageParam = Annotated[int, Query(ge=1, le=1_000_000, description="1-based page number.")]
PageSizeParam = Annotated[
    int, Query(ge=1, le=MAX_PAGE_SIZE, description=f"Rows per page, at most {MAX_PAGE_SIZE}.")
]

StatusParam = Annotated[
    str | None,
    Query(
        max_length=40,
        description="Lifecycle status: prospect, trial, onboarding, active, renewal, churned.",
    ),
]
SegmentParam = Annotated[str | None, Query(max_length=200, description="Segment (any case).")]
RegionParam = Annotated[str | None, Query(max_length=200, description="Region (any case).")]
CsmParam = Annotated[str | None, Query(max_length=200, description="CSM id (any case).")]
AsOfParam = Annotated[
    IsoDate | None,
    Query(
        description="The day figures are about, not after today [today (UTC) or the data's "
        "last day, whichever is earlier]"
    ),
]


_SectionPage = Annotated[int, Query(ge=1, le=1_000_000, description="Page of this section.")]


def section_pages(
    contacts_page: _SectionPage = 1,
    subscriptions_page: _SectionPage = 1,
    invoices_page: _SectionPage = 1,
    touchpoints_page: _SectionPage = 1,
    cases_page: _SectionPage = 1,
    survey_responses_page: _SectionPage = 1,
) -> dict[str, int]:
    """Which page of each section of an account to list (``<section>_page``)."""
    return {
        "contacts": contacts_page,
        "subscriptions": subscriptions_page,
        "invoices": invoices_page,
        "touchpoints": touchpoints_page,
        "cases": cases_page,
        "survey_responses": survey_responses_page,
    }
