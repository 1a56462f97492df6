"""Query parameters shared by list endpoints and pages, validated before any query runs."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Query

MAX_PAGE_SIZE = 200

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
    date | None,
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
