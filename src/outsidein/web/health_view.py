"""What the health pages draw (web/charts.py) from the figures web/queries/health.py read.

Every number comes from those figures; this module only shapes them and picks colours: the
worst band red, the best teal, those between amber (band labels are the scorecards' own).
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from typing import Any

from outsidein.config import parse_config
from outsidein.display import money
from outsidein.errors import InvalidConfigError
from outsidein.health.explain import number
from outsidein.labels import label
from outsidein.settings.health import Group, HealthConfig, Measure, Scorecard
from outsidein.web import charts
from outsidein.web.queries.health import (
    WINDOWS,
    AccountHealth,
    Portfolio,
    band_order,
    risk_bands,
)

RED, AMBER, TEAL, GREY = "#b42318", "#b45309", "#0f766e", "#9aa5b1"
NO_SCORE = "No score"


def band_colours(bands: list[str], risk: list[str]) -> list[tuple[str, str]]:
    """``(band, colour)`` worst first: the worst at-risk band red, other at-risk bands amber,
    the rest teal."""
    out = []
    for i, band in enumerate(bands):
        out.append((band, RED if i == 0 and band in risk else AMBER if band in risk else TEAL))
    return out


def band_kinds(health: HealthConfig) -> dict[str, str]:
    """Each band's badge kind: ``bad`` for the worst at-risk band, ``warn``, ``good``."""
    bands, risk = band_order(health), risk_bands(health)
    names = {RED: "bad", AMBER: "warn", TEAL: "good"}
    return {band: names[colour] for band, colour in band_colours(bands, risk)}


def window_name(days: int | None) -> str:
    """``≤ 30 days``, ``31-60 days`` (an en dash), ..., ``later or none``."""
    if days is None:
        return "Later or none"
    before = [d for d in WINDOWS if d < days]
    return f"{before[-1] + 1}\u2013{days} days" if before else f"≤ {days} days"


def window_names() -> list[str]:
    return [*(window_name(d) for d in WINDOWS), window_name(None)]


def segments_chart(p: Portfolio) -> charts.Spec | None:
    """Customers per segment, stacked by band."""
    rows = [
        {"x": label(r["segment"]) or "No segment", "y": r["accounts"], "c": r["band"] or NO_SCORE}
        for r in p.by_segment
    ]
    if not rows:
        return None
    colours = [*band_colours(p.bands, p.risk), (NO_SCORE, GREY)]
    return charts.bars(
        rows, "x", "y", "c", colours, "Customers per segment by health band", y_title="Customers"
    )


def arr_chart(p: Portfolio) -> charts.Spec | None:
    """ARR of at-risk customers per renewal window, stacked by band."""
    rows: list[dict[str, Any]] = [
        {
            "x": window_name(r["window"]),
            "y": r["arr"],
            "c": r["band"],
            "label": money(r["arr"], p.currency),
        }
        for r in p.at_risk_arr
        if r["band"] in p.risk
    ]
    if not rows:
        return None
    return charts.bars(
        rows,
        "x",
        "y",
        "c",
        [c for c in band_colours(p.bands, p.risk) if c[0] in p.risk],
        "ARR at risk by renewal window and band",
        y_title="ARR",
        x_title="Renewal",
        x_order=window_names(),
        label="label",
        currency=p.currency,
    )


def trend_chart(card: AccountHealth) -> charts.Spec | None:
    """The score in force per day over the trend's range, as steps (the last of a day)."""
    days: dict[str, float] = {}
    for point in card.trend:
        if point.score is not None:
            days[point.at.date().isoformat()] = point.score
    if card.now.score is not None and card.trend:
        days.setdefault(card.trend[-1].at.date().isoformat(), card.now.score)
    if not days:
        return None
    rows = [{"day": d, "score": s} for d, s in sorted(days.items())]
    spec = charts.line(
        rows,
        "day",
        [("score", "Health score", TEAL)],
        "Health score over the last year",
        monthly=False,
        y_title="Score",
    )
    spec["layer"][-1]["mark"]["interpolate"] = "step-after"
    spec["layer"][-1]["encoding"]["y"]["scale"] = {"domain": [0, 100]}
    return spec


def scoring_text(measure: Measure) -> str:
    """A measure's scoring function in words."""
    rule = measure.scoring
    if rule.kind == "linear":
        low, high = (rule.high, rule.low) if measure.direction == "lower" else (rule.low, rule.high)
        return f"linear: 0 points at {number(low)}, 100 at {number(high)}"
    if rule.kind == "bands":
        edges = [number(t) for t in rule.thresholds]
        parts = [f"below {edges[0]}: {rule.points[0]:g}"]
        parts += [f"from {edges[i]}: {p:g}" for i, p in enumerate(rule.points[1:])]
        return "bands: " + ", ".join(parts)
    conditions = "; ".join(f"{c.points:+g} when {c.when}" for c in rule.conditions)
    return f"points: {rule.base:g} base; {conditions}"


@dataclass(frozen=True)
class TreeRow:
    """One line of a scorecard's tree: a group or a measure, indented by ``depth``."""

    depth: int
    kind: str  # group, measure
    path: str
    title: str
    weight: float
    share: float  # of its group's weights
    rollup: str | None = None
    reads: str = ""
    scoring: str = ""
    direction: str = ""
    missing: str = ""


def tree(card: Scorecard) -> list[TreeRow]:
    """The card's groups and measures depth first, in the order the engine scores them."""
    out: list[TreeRow] = []

    def walk(group: Group, prefix: str, depth: int) -> None:
        total = sum(c.weight for c in group.groups.values()) + sum(
            m.weight for m in group.measures.values()
        )
        for name, child in sorted(group.groups.items()):
            out.append(
                TreeRow(depth, "group", f"{prefix}{name}", child.label or name.replace("_", " "),
                        child.weight, child.weight / total if total else 0.0, child.rollup)
            )  # fmt: skip
            walk(child, f"{prefix}{name}/", depth + 1)
        for name, m in sorted(group.measures.items()):
            missing = card.missing if m.missing is None else m.missing
            out.append(
                TreeRow(
                    depth, "measure", f"{prefix}{name}", m.title(name), m.weight,
                    m.weight / total if total else 0.0,
                    reads=m.column() or m.expr or "(conditions only)",
                    scoring=scoring_text(m),
                    direction="higher is better" if m.direction == "higher" else "lower is better",
                    missing="skipped" if missing == "skip" else f"counts as {missing:g}",
                )
            )  # fmt: skip

    walk(card, "", 0)
    return out


def check_draft(text: str) -> tuple[HealthConfig | None, list[tuple[str, str]]]:
    """A draft ``[health]`` section (or a whole ``outsidein.toml``) validated as the
    configuration would be: the settings, or each problem as ``(path, message)``."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return None, [("(TOML)", str(exc))]
    if "health" not in raw:
        raw = {"health": raw}
    try:
        return parse_config(raw, "draft").health, []
    except InvalidConfigError as exc:
        fields = exc.details.get("fields") or [{"field": "(root)", "message": exc.message}]
        return None, [(str(f["field"]), str(f["message"])) for f in fields]
