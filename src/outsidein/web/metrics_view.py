"""What the Metrics page draws: its chart specs (web/charts.py) and the cohort heatmap.

Every number comes from the rows the route computed; this module only shapes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from outsidein.web import charts

UP = ("new", "reactivated", "expansion")
DOWN = ("contraction", "churned")
HEAT_STEPS = 10  # heatmap shades h0 (0%) .. h10 (100% and more), metrics.css


def bridge_chart(rows: list[dict[str, Any]], currency: str) -> charts.Spec:
    """MRR movements per month: gains above the line, losses below."""
    return charts.bridge(rows, currency, UP, DOWN, "MRR movements per month")


def retention_chart(rows: list[dict[str, Any]]) -> charts.Spec:
    """Trailing-12-month NRR and GRR, read against 100% (kept everything)."""
    return charts.line(
        rows,
        "month",
        [("nrr", "NRR", "#0f766e"), ("grr", "GRR", "#b45309")],
        "NRR and GRR per month",
        percent=True,
        y_title="Retention, 12 months",
        reference=1.0,
    )


def trend_chart(rows: list[dict[str, Any]]) -> charts.Spec:
    """Active users in 28 days, per day."""
    return charts.line(
        rows,
        "date",
        [("active_users_28", "Active users", "#12263a")],
        "Active users per day",
        monthly=False,
        y_title="Active users, 28 days",
    )


@dataclass(frozen=True)
class Cell:
    value: float
    step: int  # the shade, 0..HEAT_STEPS


@dataclass(frozen=True)
class Heatmap:
    ages: list[int]
    rows: list[tuple[str, int, list[Cell | None]]]  # cohort month, size, cell per age


def heat_step(value: float) -> int:
    """The shade of a share retained: one step per 10%, 100% and above the darkest."""
    return max(0, min(HEAT_STEPS, round(value * HEAT_STEPS)))


def heatmap(cells: list[dict[str, Any]], measure: str) -> Heatmap:
    """The cohort matrix: one row per cohort month, one column per age in months."""
    ages = sorted({int(c["age"]) for c in cells})
    by_cohort: dict[str, dict[int, float | None]] = {}
    sizes: dict[str, int] = {}
    for c in cells:
        by_cohort.setdefault(c["cohort_month"], {})[int(c["age"])] = c[measure]
        sizes[c["cohort_month"]] = int(c["accounts"])
    rows = [
        (
            month[:7],
            sizes[month],
            [None if (v := values.get(age)) is None else Cell(v, heat_step(v)) for age in ages],
        )
        for month, values in sorted(by_cohort.items())
    ]
    return Heatmap(ages, rows)
