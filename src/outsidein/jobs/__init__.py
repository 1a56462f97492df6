"""Jobs to be done: opportunity scores with their uncertainty, trends between survey waves,
and needs-based segments (docs/jobs.md)."""

from __future__ import annotations

from outsidein.jobs.landscape import JobsQueryError, OutcomeScore, OutcomeTrend, scores, trends
from outsidein.jobs.scoring import MIN_RESPONDENTS, Cells, Score, band, change, opportunity, score
from outsidein.jobs.segments import NeedsSegment, Segmentation, profile, segment_respondents

__all__ = [
    "MIN_RESPONDENTS",
    "Cells",
    "JobsQueryError",
    "NeedsSegment",
    "OutcomeScore",
    "OutcomeTrend",
    "Score",
    "Segmentation",
    "band",
    "change",
    "opportunity",
    "profile",
    "score",
    "scores",
    "segment_respondents",
    "trends",
]
