"""The opportunity landscape (Vega-Lite, drawn by the project's charting layer): each
outcome at (satisfaction, importance) with both intervals, the over-served diagonal and the
iso-opportunity lines at the band edges (10, 12, 15). Every number comes from the scores the
route computed (outsidein.jobs)."""

from __future__ import annotations

from typing import Any

from outsidein.jobs.landscape import OutcomeScore
from outsidein.jobs.scoring import BANDS
from outsidein.web.charts import CONFIG, MUTED, SCHEMA, TEXT

__all__ = ["BAND_COLORS", "iso_line", "landscape_chart"]

BAND_COLORS = {
    "extreme": "#b42318",
    "high": "#f59e0b",
    "worth pursuing": "#0f766e",
    "not attractive": "#94a3b8",
}
Spec = dict[str, Any]


def iso_line(level: float) -> list[tuple[float, float]]:
    """(satisfaction, importance) corners of opportunity == ``level`` inside 0..10. Where
    satisfaction <= importance, importance = (level + satisfaction) / 2; past the diagonal
    (the max(., 0) kink) it is ``level``, flat."""
    if level <= 10:
        return [(0.0, level / 2), (level, level), (10.0, level)]
    return [(0.0, level / 2), (20.0 - level, 10.0)]


def landscape_chart(scores: list[OutcomeScore], description: str) -> Spec:
    points = [
        {
            "id": s.outcome_id,
            "statement": s.statement,
            "imp": s.score.importance,
            "sat": s.score.satisfaction,
            "opp": s.score.opportunity,
            "imp_lo": s.score.importance_ci.low if s.score.importance_ci else None,
            "imp_hi": s.score.importance_ci.high if s.score.importance_ci else None,
            "sat_lo": s.score.satisfaction_ci.low if s.score.satisfaction_ci else None,
            "sat_hi": s.score.satisfaction_ci.high if s.score.satisfaction_ci else None,
            "band": s.score.band,
            "n": s.score.respondents,
            "opp_label": (
                f"{s.score.opportunity:.1f} ({s.score.opportunity_ci.low:.1f}"
                f" to {s.score.opportunity_ci.high:.1f})"
                if s.score.opportunity is not None and s.score.opportunity_ci is not None
                else ""
            ),
        }
        for s in scores
        if s.score.enough
    ]
    lines = [
        {"level": f"opportunity {low:g}", "sat": x, "imp": y, "order": i}
        for low, _ in BANDS
        if low > 0
        for i, (x, y) in enumerate(iso_line(low))
    ] + [{"level": "over-served below", "sat": v, "imp": v, "order": v} for v in (0.0, 10.0)]
    labels = [
        {"text": f"{low:g}", "sat": 0.25, "imp": low / 2 + 0.35} for low, _ in BANDS if low > 0
    ]
    labels.append({"text": "over-served", "sat": 8.6, "imp": 7.9})
    axis = {"scale": {"domain": [0, 10], "nice": False}}
    bands = [b for _, b in BANDS]
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": "container",
        "height": 360,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": CONFIG,
        "layer": [
            {
                "data": {"values": lines},
                "mark": {
                    "type": "line",
                    "strokeDash": [4, 4],
                    "color": MUTED,
                    "strokeWidth": 1,
                    "clip": True,
                },
                "encoding": {
                    "x": {
                        "field": "sat",
                        "type": "quantitative",
                        **axis,
                        "title": "Satisfaction (top-two-box share x 10)",
                    },
                    "y": {
                        "field": "imp",
                        "type": "quantitative",
                        **axis,
                        "title": "Importance (top-two-box share x 10)",
                    },
                    "detail": {"field": "level"},
                    "order": {"field": "order"},
                },
            },
            {
                "data": {"values": labels},
                "mark": {"type": "text", "align": "left", "fontSize": 11, "color": MUTED},
                "encoding": {
                    "x": {"field": "sat", "type": "quantitative"},
                    "y": {"field": "imp", "type": "quantitative"},
                    "text": {"field": "text"},
                },
            },
            {
                "data": {"values": points},
                "mark": {"type": "rule", "color": MUTED, "opacity": 0.5},
                "encoding": {
                    "x": {"field": "sat", "type": "quantitative"},
                    "y": {"field": "imp_lo", "type": "quantitative"},
                    "y2": {"field": "imp_hi"},
                },
            },
            {
                "data": {"values": points},
                "mark": {"type": "rule", "color": MUTED, "opacity": 0.5},
                "encoding": {
                    "x": {"field": "sat_lo", "type": "quantitative"},
                    "x2": {"field": "sat_hi"},
                    "y": {"field": "imp", "type": "quantitative"},
                },
            },
            {
                "data": {"values": points},
                "mark": {"type": "point", "filled": True, "size": 70, "tooltip": True},
                "encoding": {
                    "x": {"field": "sat", "type": "quantitative"},
                    "y": {"field": "imp", "type": "quantitative"},
                    "color": {
                        "field": "band",
                        "type": "nominal",
                        "scale": {"domain": bands, "range": [BAND_COLORS[b] for b in bands]},
                        "legend": {"columns": 2, "labelColor": TEXT},
                    },
                    "tooltip": [
                        {"field": "id", "title": "Outcome"},
                        {"field": "statement", "title": "Statement"},
                        {"field": "imp", "title": "Importance", "format": ".1f"},
                        {"field": "sat", "title": "Satisfaction", "format": ".1f"},
                        {"field": "opp_label", "title": "Opportunity (95 %)"},
                        {"field": "n", "title": "Respondents"},
                    ],
                },
            },
        ],
    }
