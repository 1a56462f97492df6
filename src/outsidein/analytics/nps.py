"""Net Promoter Score categories: the one definition pages, API and later reports share.

A 0-10 answer is a promoter at 9 or 10, passive at 7 or 8, a detractor at 0 to 6; NPS is the
share of promoters minus the share of detractors, in points (-100 to 100).
"""

from __future__ import annotations

from typing import Literal

NpsCategory = Literal["promoter", "passive", "detractor"]
PROMOTER_FROM, PASSIVE_FROM = 9, 7  # the lowest score of each category above detractor


def nps_category(score: float | None) -> NpsCategory | None:
    """The category of one NPS answer; None when there is no score."""
    if score is None:
        return None
    if score >= PROMOTER_FROM:
        return "promoter"
    return "passive" if score >= PASSIVE_FROM else "detractor"


def nps_category_sql(score: str) -> str:
    """:func:`nps_category` as a SQL expression over the column ``score`` (for set-based
    readers: the timeline, My day's detractors)."""
    return (
        f"CASE WHEN {score} IS NULL THEN NULL WHEN {score} >= {PROMOTER_FROM} THEN 'promoter' "
        f"WHEN {score} >= {PASSIVE_FROM} THEN 'passive' ELSE 'detractor' END"
    )


def nps(scores: list[float]) -> float | None:
    """NPS in points from 0-10 answers; None for no answers."""
    if not scores:
        return None
    cats = [nps_category(s) for s in scores]
    return 100.0 * (cats.count("promoter") - cats.count("detractor")) / len(scores)
