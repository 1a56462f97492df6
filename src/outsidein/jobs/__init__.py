"""Jobs to be done: opportunity scores with their uncertainty, trends between survey waves,
needs-based segments, the catalog and its linter (docs/jobs.md).

The names are imported on first use, so that a reader of one small module (the segment field
``outcome_satisfaction``, :mod:`outsidein.jobs.fields`) does not load scikit-learn.
"""

from __future__ import annotations

import importlib
from typing import Any

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

_WHERE = {
    **dict.fromkeys(("JobsQueryError", "OutcomeScore", "OutcomeTrend", "scores", "trends"),
                    "landscape"),
    **dict.fromkeys(("MIN_RESPONDENTS", "Cells", "Score", "band", "change", "opportunity",
                     "score"), "scoring"),
    **dict.fromkeys(("NeedsSegment", "Segmentation", "profile", "segment_respondents"),
                    "segments"),
}  # fmt: skip


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module 'outsidein.jobs' has no attribute {name!r}")
    return getattr(importlib.import_module(f"outsidein.jobs.{_WHERE[name]}"), name)
