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
