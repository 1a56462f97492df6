"""A discovery summary of a log: what the CLI prints and the API answers (one definition).

The directly-follows edges (most frequent first, with mean, median and p90 hours between the
steps) and the most frequent variants, each cut to ``top``, with the totals.
"""

from __future__ import annotations

import math
from typing import Any

from outsidein.journey.discover import performance_dfg, variants
from outsidein.journey.eventlog import EventLog

__all__ = ["discovery_summary"]


def _hours(seconds: float) -> float | None:
    return None if math.isnan(seconds) else round(seconds / 3600, 2)


def discovery_summary(log: EventLog, top: int) -> dict[str, Any]:
    """Totals, the ``top`` edges and the ``top`` variants of ``log`` (see the module doc)."""
    perf = performance_dfg(log).edges()
    edges = sorted(perf.items(), key=lambda kv: (-kv[1]["count"], kv[0]))
    found = variants(log)
    return {
        "events": log.n_events,
        "cases": log.n_cases,
        "activities": len(log.activities),
        "edges": [
            {
                "from": a,
                "to": b,
                "count": int(s["count"]),
                "mean_hours": _hours(s["mean"]),
                "median_hours": _hours(s["median"]),
                "p90_hours": _hours(s["p90"]),
            }
            for (a, b), s in edges[:top]
        ],
        "edges_total": len(edges),
        "variants": [{"steps": list(v.activities), "cases": v.cases} for v in found[:top]],
        "variants_total": len(found),
    }
