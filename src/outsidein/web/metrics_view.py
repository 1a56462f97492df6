"""Chart geometry for the Metrics page, drawn as inline SVG by the template.

The server computes every bar and point, so the page needs no JavaScript and no chart
library: it works offline, prints, and a test can read the same numbers a person sees.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

WIDTH, HEIGHT, PAD_LEFT, PAD_BOTTOM, PAD_TOP = 720, 220, 56, 24, 12


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    kind: str
    title: str


@dataclass(frozen=True)
class Tick:
    y: float
    label: str


@dataclass(frozen=True)
class Label:
    x: float
    text: str


@dataclass(frozen=True)
class Series:
    name: str
    kind: str
    points: str  # "x,y x,y ..." for <polyline>
    last_label: str


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: float
    ticks: list[Tick]
    labels: list[Label]
    bars: list[Bar]
    series: list[Series]


UP = ("new", "reactivated", "expansion")
DOWN = ("contraction", "churned")


def compact_money(value: float) -> str:
    """Axis labels short enough for the chart's margin: $208k, -$62k (with a true minus), $1.2M."""
    sign = "\u2212" if value < 0 else ""
    size = abs(value)
    if size >= 1_000_000:
        text = f"{size / 1_000_000:.1f}M"
    elif size >= 1_000:
        text = f"{size / 1_000:.0f}k"
    else:
        text = f"{size:.0f}"
    return f"{sign}${text}"


def bridge_chart(rows: list[dict[str, Any]], money: Any) -> Chart:
    """Diverging stacked bars per period: gains above the line, losses below."""
    gains = [sum(Decimal(r[k]) for k in UP) for r in rows]
    losses = [sum(Decimal(r[k]) for k in DOWN) for r in rows]
    top = float(max([*gains, Decimal(1)]))
    bottom = float(max([*losses, Decimal(0)]))
    span = top + bottom
    inner = HEIGHT - PAD_BOTTOM - PAD_TOP
    scale = inner / span if span else 0.0
    baseline = PAD_TOP + top * scale
    step = (WIDTH - PAD_LEFT) / max(len(rows), 1)
    bars, labels = [], []
    for i, row in enumerate(rows):
        x = PAD_LEFT + i * step + step * 0.15
        up = down = baseline
        for kind in UP:
            height = float(Decimal(row[kind])) * scale
            if height > 0:
                up -= height
                bars.append(Bar(x, up, step * 0.7, height, kind, f"{kind} {money(row[kind])}"))
        for kind in DOWN:
            height = float(Decimal(row[kind])) * scale
            if height > 0:
                bars.append(Bar(x, down, step * 0.7, height, kind, f"{kind} {money(row[kind])}"))
                down += height
        labels.append(Label(x + step * 0.35, str(row["period_start"])[:7]))
    ticks = [Tick(baseline, compact_money(0))]
    if top > 1:
        ticks.append(Tick(PAD_TOP, compact_money(top)))
    if bottom:
        ticks.append(Tick(PAD_TOP + span * scale, compact_money(-bottom)))
    return Chart(WIDTH, HEIGHT, baseline, ticks, labels, bars, [])


def line_chart(
    rows: list[dict[str, Any]],
    x_key: str,
    lines: list[tuple[str, str, str]],
    percent: bool,
    every: int = 1,
) -> Chart:
    """One polyline per (column, name, kind); the y axis spans the values (and 100% for
    ratios, so retention is read against the line that means "kept everything")."""
    values = [float(r[c]) for r in rows for c, _, _ in lines if r.get(c) is not None]
    if percent:
        values.append(1.0)
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    if percent:  # at least 90%..110% around the data, so a flat 100% line is not squashed
        low, high = min(low, 0.9), max(high, 1.1)
    else:
        low = min(low, 0.0)
    if high == low:
        high = low + 1
    inner = HEIGHT - PAD_BOTTOM - PAD_TOP
    step = (WIDTH - PAD_LEFT - 16) / max(len(rows) - 1, 1)

    def y_of(value: float) -> float:
        return PAD_TOP + (high - value) / (high - low) * inner

    def show(value: float) -> str:
        return f"{value:.0%}" if percent else f"{value:,.0f}"

    series = []
    for column, name, kind in lines:
        points = [
            f"{PAD_LEFT + i * step:.1f},{y_of(float(r[column])):.1f}"
            for i, r in enumerate(rows)
            if r.get(column) is not None
        ]
        known = [r[column] for r in rows if r.get(column) is not None]
        last = show(float(known[-1])) if known else "-"
        series.append(Series(name, kind, " ".join(points), last))
    ticks = [Tick(y_of(v), show(v)) for v in sorted({low, high, *([1.0] if percent else [])})]
    labels = [
        Label(PAD_LEFT + i * step, str(r[x_key])[:7] if every == 1 else str(r[x_key])[5:])
        for i, r in enumerate(rows)
        if i % every == 0
    ]
    return Chart(WIDTH, HEIGHT, y_of(low), ticks, labels, [], series)


@dataclass(frozen=True)
class Heatmap:
    ages: list[int]
    rows: list[tuple[str, int, list[float | None]]]  # cohort month, size, value per age


def heatmap(cells: list[dict[str, Any]], measure: str) -> Heatmap:
    """The cohort matrix: one row per cohort month, one column per age in months."""
    ages = sorted({int(c["age"]) for c in cells})
    by_cohort: dict[str, dict[int, float | None]] = {}
    sizes: dict[str, int] = {}
    for c in cells:
        by_cohort.setdefault(c["cohort_month"], {})[int(c["age"])] = c[measure]
        sizes[c["cohort_month"]] = int(c["accounts"])
    rows = [
        (month[:7], sizes[month], [values.get(age) for age in ages])
        for month, values in sorted(by_cohort.items())
    ]
    return Heatmap(ages, rows)
