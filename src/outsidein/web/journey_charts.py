"""The journey's drawings: the directly-follows graph laid out by Vega's own force layout
(``force`` and ``linkpath`` transforms: no hand-placed boxes) and the blueprint heatmap
(Vega-Lite). Every number comes from :mod:`outsidein.journey`; these only reshape it.

:func:`blueprint_svg` draws the heatmap on the server (the same spec, through
:func:`outsidein.web.charts.to_svg`): a self-contained SVG file for reports.
"""

from __future__ import annotations

from typing import Any

from outsidein.journey.blueprint import Blueprint
from outsidein.web.charts import CONFIG, FONT, GRID, MUTED, SCHEMA, TEXT, to_svg

__all__ = ["blueprint_heatmap", "blueprint_svg", "dfg_graph"]

Spec = dict[str, Any]
VEGA = "https://vega.github.io/schema/vega/v6.json"
TEAL, RED = "#0f766e", "#b42318"
# The canvas follows its card, like the Vega-Lite charts' "container" width.
_WIDTH = "isFinite(containerSize()[0]) && containerSize()[0] > 0 ? containerSize()[0] : 640"


def dfg_graph(edges: list[dict[str, Any]], description: str, *, height: int = 420) -> Spec:
    """Steps as circles sized by how often they occur, directly-follows edges as lines whose
    width is their count, an arrowhead 60 % of the way pointing on; positions by Vega's force
    layout. ``edges`` are the
    discovery summary's (from, to, count, median hours); self-loops are left to the table."""
    drawn = [e for e in edges if e["from"] != e["to"]]
    names: dict[str, int] = {}
    weight: dict[str, int] = {}
    for e in drawn:
        for key in (e["from"], e["to"]):
            names.setdefault(key, len(names))
        weight[e["to"]] = weight.get(e["to"], 0) + e["count"]
        weight.setdefault(e["from"], 0)
    nodes = [{"index": i, "name": n, "count": weight[n]} for n, i in names.items()]
    links = [
        {
            "source": names[e["from"]],
            "target": names[e["to"]],
            "count": e["count"],
            "label": f"{e['from']} → {e['to']}",
            "median": "—" if e.get("median_hours") is None else f"{e['median_hours']:,.1f} h",
        }
        for e in drawn
    ]
    # Each arrowhead 60 % of the way along its line, pointing on: a -> b and b -> a share
    # a line but not an arrow.
    mid_x = "datum.source.x + 0.6 * (datum.target.x - datum.source.x)"
    mid_y = "datum.source.y + 0.6 * (datum.target.y - datum.source.y)"
    label_x = "datum.source.x + 0.74 * (datum.target.x - datum.source.x)"
    label_y = "datum.source.y + 0.74 * (datum.target.y - datum.source.y)"
    angle = (
        "atan2(datum.target.y - datum.source.y, datum.target.x - datum.source.x) * 180 / PI + 90"
    )
    tooltip = {
        "signal": "{title: datum.label, cases: format(datum.count, ','), median: datum.median}"
    }
    return {
        "$schema": VEGA,
        "description": description,
        "height": height,
        "padding": 24,
        "autosize": "none",
        "background": None,
        "config": {"text": {"font": FONT}},
        "signals": [
            {
                "name": "width",
                "init": _WIDTH,
                "on": [{"events": "window:resize", "update": _WIDTH}],
            },
            {"name": "cx", "update": "width / 2"},
            {"name": "cy", "update": "height / 2"},
        ],
        "data": [
            {"name": "node-data", "values": nodes},
            {"name": "link-data", "values": links},
        ],
        "scales": [
            {
                "name": "size",
                "type": "sqrt",
                "domain": {"data": "node-data", "field": "count"},
                "range": [120, 1400],
                "zero": False,
            },
            {
                "name": "stroke",
                "type": "linear",
                "domain": {"data": "link-data", "field": "count"},
                "range": [1, 9],
            },
        ],
        "marks": [
            {
                "name": "nodes",
                "type": "symbol",
                "zindex": 1,
                "from": {"data": "node-data"},
                "encode": {
                    "enter": {
                        "fill": {"value": TEAL},
                        "stroke": {"value": "#ffffff"},
                        "size": {"scale": "size", "field": "count"},
                        "tooltip": {
                            "signal": "{title: datum.name, 'arrivals': format(datum.count, ',')}"
                        },
                    }
                },
                "transform": [
                    {
                        "type": "force",
                        "signal": "force",
                        "static": True,
                        "iterations": 300,
                        "forces": [
                            {"force": "center", "x": {"signal": "cx"}, "y": {"signal": "cy"}},
                            {"force": "collide", "radius": 34},
                            {"force": "nbody", "strength": -400},
                            {
                                "force": "link",
                                "links": "link-data",
                                "distance": {"signal": "max(110, min(width, height) * 0.42)"},
                            },
                        ],
                    }
                ],
            },
            {
                "type": "path",
                "from": {"data": "link-data"},
                "interactive": True,
                "encode": {
                    "update": {
                        "stroke": {"value": MUTED},
                        "strokeOpacity": {"value": 0.55},
                        "strokeWidth": {"scale": "stroke", "field": "count"},
                        "tooltip": tooltip,
                    }
                },
                "transform": [
                    {
                        "type": "linkpath",
                        "shape": "line",
                        "require": {"signal": "force"},
                        "sourceX": "datum.source.x",
                        "sourceY": "datum.source.y",
                        "targetX": "datum.target.x",
                        "targetY": "datum.target.y",
                    }
                ],
            },
            {
                "type": "symbol",
                "from": {"data": "link-data"},
                "encode": {
                    "update": {
                        "shape": {"value": "triangle-up"},
                        "size": {"value": 60},
                        "fill": {"value": TEXT},
                        "x": {"signal": f"force ? {mid_x} : 0"},
                        "y": {"signal": f"force ? {mid_y} : 0"},
                        "angle": {"signal": f"force ? {angle} : 0"},
                        "tooltip": tooltip,
                    }
                },
            },
            {
                "type": "text",
                "from": {"data": "link-data"},
                "interactive": False,
                "encode": {
                    "update": {
                        "x": {"signal": f"force ? {label_x} : 0"},
                        "y": {"signal": f"force ? {label_y} : 0"},
                        "dx": {"value": 8},
                        "baseline": {"value": "middle"},
                        "align": {"value": "left"},
                        "fontSize": {"value": 10},
                        "fill": {"value": MUTED},
                        "text": {"signal": "format(datum.count, ',')"},
                    }
                },
            },
            {
                "type": "text",
                "zindex": 2,
                "from": {"data": "nodes"},
                "interactive": False,
                "encode": {
                    "update": {
                        "x": {"field": "x"},
                        "y": {"field": "y"},
                        "dy": {"value": -16},
                        "align": {"value": "center"},
                        "fontSize": {"value": 12},
                        "fontWeight": {"value": 600},
                        "fill": {"value": TEXT},
                        "text": {"field": "datum.name"},
                    }
                },
            },
        ],
    }


def blueprint_heatmap(bp: Blueprint, description: str) -> Spec:
    """Functions (rows) x stages (columns): colour = failure rate, the figure = touchpoints,
    a red frame and "!" on the cells where the journey breaks; every measure in the tooltip.
    Columns are 112 px wide (the page scrolls the card sideways on a phone)."""
    values = [
        {
            "function": c.function,
            "stage": c.stage,
            "volume": c.volume,
            "fail": c.failure_rate,
            "label": f"{c.volume:,}" + (" !" if c.breaks else "") if c.volume else "",
            "sub": "" if c.failure_rate is None else f"{c.failure_rate:.0%} failed",
            "broken": bool(c.breaks),
            "fail_text": "—" if c.failure_rate is None else f"{c.failure_rate:.0%}",
            "handoff_text": "—" if c.handoff_success is None
            else f"{c.handoff_success:.0%} of {c.handoffs:,}",
            "respond_text": "—" if c.respond_median_hours is None
            else f"{c.respond_median_hours:,.1f} h (p90 {c.respond_p90_hours or 0:,.1f} h)",
            "sat_text": _satisfaction(c.nps, c.csat, c.answers),
            "why": "; ".join(c.breaks) or "holds",
        }
        for c in bp.cells
    ]  # fmt: skip
    x = {"field": "stage", "type": "ordinal", "sort": bp.stages, "title": None,
         "axis": {"orient": "top", "labelAngle": 0, "labelColor": TEXT}}  # fmt: skip
    y = {"field": "function", "type": "ordinal", "sort": bp.functions, "title": None,
         "axis": {"labelColor": TEXT}}  # fmt: skip
    tooltip = [
        {"field": "function", "title": "Function"},
        {"field": "stage", "title": "Stage"},
        {"field": "volume", "type": "quantitative", "title": "Touchpoints", "format": ","},
        {"field": "fail_text", "title": "Failed"},
        {"field": "handoff_text", "title": "Hand-offs followed up"},
        {"field": "respond_text", "title": "Median time to respond"},
        {"field": "sat_text", "title": f"Satisfaction within {bp.days} days"},
        {"field": "why", "title": "Breaks"},
    ]
    return {
        "$schema": SCHEMA,
        "description": description,
        # A fixed column width keeps a cell's figures legible; on a phone the card scrolls.
        "width": {"step": 112},
        "height": 46 * max(len(bp.functions), 1),
        "autosize": {"type": "pad"},
        "config": {**CONFIG, "axis": {**CONFIG["axis"], "domain": False, "ticks": False}},
        "data": {"values": values},
        "encoding": {"x": x, "y": y},
        "layer": [
            {
                "mark": {"type": "rect", "stroke": "#ffffff", "strokeWidth": 2},
                "encoding": {
                    "color": {
                        "field": "fail",
                        "type": "quantitative",
                        "title": "Failed",
                        "scale": {"range": ["#ccfbf1", "#f59e0b", RED], "domainMin": 0},
                        "legend": {
                            "format": ".0%",
                            "orient": "bottom",
                            "direction": "horizontal",
                            "gradientLength": 160,
                            "title": "Share failed",
                        },
                    },
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "rect", "fill": None, "stroke": RED, "strokeWidth": 3},
                "transform": [{"filter": "datum.broken"}],
                "encoding": {"tooltip": tooltip},
            },
            {
                "mark": {"type": "text", "fontSize": 12, "fontWeight": 600, "dy": -7},
                "encoding": {
                    "text": {"field": "label"},
                    "color": {
                        "condition": {"test": "datum.fail > 0.3", "value": "#ffffff"},
                        "value": TEXT,
                    },
                    "tooltip": tooltip,
                },
            },
            {
                "mark": {"type": "text", "fontSize": 10, "dy": 9},
                "encoding": {
                    "text": {"field": "sub"},
                    "color": {
                        "condition": {"test": "datum.fail > 0.3", "value": "#ffffff"},
                        "value": MUTED,
                    },
                    "tooltip": tooltip,
                },
            },
        ],
    }


def _satisfaction(nps: float | None, csat: float | None, answers: int) -> str:
    if not answers:
        return "no answers"
    parts = []
    if nps is not None:
        parts.append(f"NPS {nps:+.0f}")
    if csat is not None:
        parts.append(f"CSAT {csat:.2f}")
    return ", ".join(parts) + f" ({answers:,} answers)"


def blueprint_svg(bp: Blueprint, title: str) -> str:
    """The heatmap as a standalone SVG document, with its title and what the marks mean."""
    spec = blueprint_heatmap(bp, title)
    spec["title"] = {
        "text": title,
        "subtitle": "colour: share of touchpoints failed; figure: touchpoints; "
        "red frame and !: the journey breaks there",
        "anchor": "start",
        "color": TEXT,
        "subtitleColor": MUTED,
    }
    spec["config"] = {**spec["config"], "background": "#ffffff", "view": {"stroke": GRID}}
    broken = [c for c in bp.cells if c.breaks]
    lines = [f"{c.function} · {c.stage}: {'; '.join(c.breaks)}" for c in broken] or [
        "No cell breaks in this window."
    ]
    notes = {
        "data": {"values": [{"i": i, "line": line} for i, line in enumerate(lines)]},
        "width": 720,
        "height": {"step": 18},
        "title": {"text": "Where the journey breaks", "anchor": "start", "color": TEXT,
                  "fontSize": 13},
        "mark": {"type": "text", "align": "left", "fontSize": 12, "color": TEXT},
        "encoding": {"y": {"field": "i", "type": "ordinal", "axis": None},
                     "x": {"value": 0}, "text": {"field": "line"}},
    }  # fmt: skip
    heat = {k: v for k, v in spec.items() if k not in ("$schema", "config", "title", "autosize")}
    heat["width"] = 720
    doc = {
        "$schema": SCHEMA,
        "title": spec["title"],
        "config": spec["config"],
        "background": "#ffffff",
        "vconcat": [heat, notes],
        "spacing": 24,
    }
    return to_svg(doc)
