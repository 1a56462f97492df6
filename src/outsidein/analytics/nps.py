"""Net Promoter Score categories: the one definition pages, API and later reports share.

A 0-10 answer is a promoter at 9 or 10, passive at 7 or 8, a detractor at 0 to 6; NPS is the
share of promoters minus the share of detractors, in points (-100 to 100).
"""

from __future__ import annotations

from typing import Literal

NpsCategory = Literal["promoter", "passive", "detractor"]


def nps_category(score: float | None) -> NpsCategory | None:
    """The category of one NPS answer; None when there is no score."""
    if score is None:
        return None
    if score >= 9:
        return "promoter"
    return "passive" if score >= 7 else "detractor"


def nps(scores: list[float]) -> float | None:
    """NPS in points from 0-10 answers; None for no answers."""
    if not scores:
        return None
    cats = [nps_category(s) for s in scores]
    return 100.0 * (cats.count("promoter") - cats.count("detractor")) / len(scores)
