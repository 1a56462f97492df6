"""Chart specifications (Vega-Lite) built from the rows a route already computed.

A page embeds each spec as JSON; the browser draws it with the Vega bundle that ships inside
the ``vl-convert-python`` package (served by :mod:`outsidein.web.assets`), so pages work
offline; :func:`to_svg` renders the same spec on the server for reports. The builders only
reshape rows for drawing: every number comes from the route's own query, never recomputed.

Dates are read and labelled in UTC, so a month is the same month in every time zone.
Conventions, so every chart reads alike at any width and range: the width follows the
card (``"container"``), text has fixed pixel sizes, money axes are in the reporting
currency with its symbol and round ("nice") ticks, dates carry their year, and every
mark has a tooltip with the exact figure as the page's tables print it.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from outsidein.display import currency_symbol, money

__all__ = [
    "SCHEMA",
    "bars",
    "bridge",
    "event_study",
    "line",
    "money_axis",
    "to_svg",
]

SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json"
Spec = dict[str, Any]

# The dashboard's palette (app.css); gains in teals, losses in amber and red.
COLORS = {
    "new": "#0f766e",
    "reactivated": "#5eead4",
    "expansion": "#14b8a6",
    "contraction": "#f59e0b",
    "churned": "#b42318",
}
TEXT, MUTED, GRID = "#1f2933", "#5b6b7b", "#e3e8ee"
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
HEIGHT = 220
MONTH = "%b %Y"  # Jan 2024
DAY = "%-d %b %Y"  # 5 Jan 2024

CONFIG: Spec = {
    "font": FONT,
    "view": {"stroke": None},
    "background": None,
    "axis": {
        "labelFontSize": 12,
        "titleFontSize": 12,
        "labelColor": MUTED,
        "titleColor": MUTED,
        "titleFontWeight": 600,
        "gridColor": GRID,
        "domainColor": GRID,
        "tickColor": GRID,
        "labelOverlap": True,
        "labelFlush": True,
    },
    "axisX": {"grid": False, "labelAngle": 0},
    "legend": {
        "orient": "top",
        "direction": "horizontal",
        "labelFontSize": 12,
        "labelColor": TEXT,
        "title": None,
        "symbolType": "square",
        "columns": 0,
    },
    "tooltipFormat": {"numberFormat": ",.0f"},
}


def _base(description: str, values: list[dict[str, Any]]) -> Spec:
    return {
        "$schema": SCHEMA,
        "description": description,
        "width": "container",
        "height": HEIGHT,
        "autosize": {"type": "fit-x", "contains": "padding"},
        "config": CONFIG,
        "data": {"values": values},
    }


def money_axis(currency: str, title: str) -> Spec:
    """A y axis in ``currency``: round ticks, short labels ($200k, -$50k, 1.2M CHF)."""
    symbol = currency_symbol(currency)
    short = "format(abs(datum.value), '~s')"
    sign = "(datum.value < 0 ? '\u2212' : '')"
    label = f"{sign} + '{symbol}' + {short}" if symbol else f"{sign} + {short} + ' {currency}'"
    return {"title": f"{title} ({currency})", "labelExpr": label, "tickCount": 5}


def bridge(
    rows: Sequence[dict[str, Any]],
    currency: str,
    up: Sequence[str],
    down: Sequence[str],
    description: str,
) -> Spec:
    """Diverging stacked bars per period: the ``up`` movements above zero, ``down`` below.

    ``rows`` are the bridge rows (``period_start`` and one exact money string per movement);
    a movement of zero draws no bar.
    """
    values = [
        {
            "month": r["period_start"],
            "movement": kind,
            "amount": float(Decimal(r[kind])) * (-1 if kind in down else 1),
            "label": money(r[kind], currency),
            "order": i,
        }
        for r in rows
        for i, kind in enumerate((*up, *down))
        if Decimal(r[kind]) != 0
    ]
    kinds = [*up, *down]
    spec = _base(description, values)
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": "month",
            "timeUnit": "utcyearmonth",
            "type": "temporal",
            "title": None,
            "axis": {"format": MONTH, "tickCount": 6},
        },
        "y": {"field": "amount", "type": "quantitative", "axis": money_axis(currency, "MRR")},
        "color": {
            "field": "movement",
            "type": "nominal",
            "scale": {"domain": kinds, "range": [COLORS.get(k, MUTED) for k in kinds]},
            "sort": kinds,
            "legend": {"columns": min(len(kinds), 3)},
        },
        "order": {"field": "order"},
        "tooltip": [
            {
                "field": "month",
                "type": "temporal",
                "timeUnit": "utcyearmonth",
                "title": "Month",
                "format": "%B %Y",
            },
            {"field": "movement", "title": "Movement"},
            {"field": "label", "title": "MRR"},
        ],
    }
    return spec


def line(
    rows: Sequence[dict[str, Any]],
    x: str,
    series: Sequence[tuple[str, str, str]],
    description: str,
    *,
    percent: bool = False,
    monthly: bool = True,
    y_title: str,
    reference: float | None = None,
    legend_columns: int | None = None,
) -> Spec:
    """One line per ``(column, name, colour)`` over the dates in ``x``, points on hover.

    ``percent`` formats ratios as percentages; ``monthly`` labels dates by month (else by
    day); ``reference`` draws a rule (e.g. 100% retention) the lines are read against;
    ``legend_columns`` stacks long series names (a legend on one row is cut on a phone).
    """
    # One object per date with a short key per series, unfolded by Vega (``fold``): a year
    # of days in a fifth of the bytes of one object per point.
    keys = [f"s{i}" for i in range(len(series))]
    values = [
        {"x": r[x]}
        | {
            key: _drawn(r[column])
            for key, (column, _, _) in zip(keys, series, strict=True)
            if r.get(column) is not None
        }
        for r in rows
    ]
    number = ".1%" if percent else ",.0f"
    spec = _base(description, values)
    spec["transform"] = [
        {"fold": keys, "as": ["key", "value"]},
        {"filter": {"field": "value", "valid": True}},
        {
            "lookup": "key",
            "from": {
                "data": {
                    "values": [
                        {"key": key, "series": name}
                        for key, (_, name, _) in zip(keys, series, strict=True)
                    ]
                },
                "key": "key",
                "fields": ["series"],
            },
        },
    ]
    x_enc: Spec = {
        "field": "x",
        "type": "temporal",
        "title": None,
        "axis": {"format": MONTH if monthly else DAY, "tickCount": 6},
    }
    # Dates are calendar days (UTC midnight in the JSON): read them in UTC, never shifted
    # into the viewer's time zone (a 1 January bar is January everywhere).
    x_enc["timeUnit"] = "utcyearmonth" if monthly else "utcyearmonthdate"
    scale: Spec = {"zero": not percent, "nice": True}
    if reference is not None:  # a flat line at the reference still shows ticks around it
        known = [v for value in values for k, v in value.items() if k != "x"]
        scale["domain"] = [min(*known, reference * 0.9), max(*known, reference * 1.1)]
    y_enc: Spec = {
        "field": "value",
        "type": "quantitative",
        "title": y_title,
        "scale": scale,
        "axis": {"format": ".0%" if percent else ",~s", "tickCount": 5},
    }
    layers: list[Spec] = [
        {
            "mark": {"type": "line", "strokeWidth": 2.5, "point": len(rows) <= 36},
            "encoding": {
                "x": x_enc,
                "y": y_enc,
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {
                        "domain": [name for _, name, _ in series],
                        "range": [colour for _, _, colour in series],
                    },
                    "legend": None
                    if len(series) == 1
                    else ({"columns": legend_columns} if legend_columns else {}),
                },
                "tooltip": [
                    {k: v for k, v in x_enc.items() if k != "axis"}
                    | {
                        "title": "Month" if monthly else "Day",
                        "format": "%B %Y" if monthly else "%-d %B %Y",
                    },
                    {"field": "series", "title": "Series"},
                    {"field": "value", "type": "quantitative", "title": y_title, "format": number},
                ],
            },
        }
    ]
    if reference is not None:
        layers.insert(
            0,
            {
                "mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
                "encoding": {"y": {"datum": reference}},
            },
        )
    spec["layer"] = layers
    return spec


def _drawn(value: Any) -> int | float:
    """A figure as the chart needs it: counts stay whole, the rest to six decimals."""
    return value if isinstance(value, int) else round(float(value), 6)


def to_svg(spec: Spec) -> str:
    """The chart as a standalone SVG document, drawn on the server (for reports and files)."""
    import vl_convert

    svg: str = vl_convert.vegalite_to_svg({**spec, "width": 720})
    return svg


def bars(
    rows: Sequence[dict[str, Any]],
    x: str,
    y: str,
    color: str,
    colors: Sequence[tuple[str, str]],
    description: str,
    *,
    y_title: str,
    x_title: str | None = None,
    x_order: Sequence[str] | None = None,
    label: str | None = None,
    currency: str | None = None,
) -> Spec:
    """Bars of ``y`` per category ``x``, stacked by ``color`` (``(value, colour)`` pairs in
    stacking order); ``label`` names the column the tooltip prints as the figure (exact money
    text), ``currency`` makes the y axis a money axis."""
    order = {value: i for i, (value, _) in enumerate(colors)}
    values = [
        {
            "x": r[x],
            "y": _drawn(r[y]) if not isinstance(r[y], Decimal) else float(r[y]),
            "c": r[color],
            "label": r[label] if label else _drawn(r[y]),
            "o": order.get(r[color], len(order)),
        }
        for r in rows
    ]
    spec = _base(description, values)
    axis: Spec = money_axis(currency, y_title) if currency else {"tickCount": 5, "format": ",~s"}
    spec["mark"] = {"type": "bar", "tooltip": True}
    spec["encoding"] = {
        "x": {
            "field": "x",
            "type": "nominal",
            "title": x_title,
            "sort": list(x_order) if x_order is not None else None,
            "axis": {"labelAngle": 0},
        },
        "y": {
            "field": "y",
            "type": "quantitative",
            "stack": "zero",
            "title": None if currency else y_title,
            "axis": axis,
        },
        "color": {
            "field": "c",
            "type": "nominal",
            "scale": {"domain": [v for v, _ in colors], "range": [c for _, c in colors]},
            "sort": [v for v, _ in colors],
        },
        "order": {"field": "o"},
        "tooltip": [
            {"field": "x", "title": x_title or "Group"},
            {"field": "c", "title": "Band"},
            {"field": "label", "title": y_title},
        ],
    }
    return spec


def event_study(
    rows: Sequence[dict[str, Any]], description: str, *, y_title: str, number: str = ",.2f"
) -> Spec:
    """Effects by months from an intervention (``event_time``, ``effect``, ``ci_low``,
    ``ci_high``): a point per month with its 95 % interval, a rule at zero and one where the
    intervention fired (between months -1 and 0)."""
    values = [
        {k: _drawn(r[k]) for k in ("event_time", "effect", "ci_low", "ci_high")} for r in rows
    ]
    spec = _base(description, values)
    x_enc: Spec = {
        "field": "event_time",
        "type": "quantitative",
        "title": "Months from the firing",
        "axis": {"tickMinStep": 1, "format": "d"},
    }
    y_title_enc: Spec = {"type": "quantitative", "title": y_title, "scale": {"zero": True}}
    tooltip = [
        {"field": "event_time", "type": "quantitative", "title": "Month from the firing"},
        {"field": "effect", "type": "quantitative", "title": "Effect", "format": number},
        {"field": "ci_low", "type": "quantitative", "title": "95 % from", "format": number},
        {"field": "ci_high", "type": "quantitative", "title": "95 % to", "format": number},
    ]
    spec["layer"] = [
        {"mark": {"type": "rule", "color": MUTED, "strokeDash": [4, 4]},
         "encoding": {"y": {"datum": 0}}},
        {"mark": {"type": "rule", "color": MUTED},
         "encoding": {"x": {"datum": -0.5, "type": "quantitative"}}},
        {"mark": {"type": "rule", "color": COLORS["new"], "strokeWidth": 2},
         "encoding": {"x": x_enc, "y": {"field": "ci_low", **y_title_enc},
                      "y2": {"field": "ci_high"}, "tooltip": tooltip}},
        {"mark": {"type": "point", "filled": True, "size": 60, "color": COLORS["new"]},
         "encoding": {"x": x_enc, "y": {"field": "effect", **y_title_enc}, "tooltip": tooltip}},
    ]  # fmt: skip
    return spec
