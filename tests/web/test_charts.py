"""Chart specs from route rows (web/charts.py), drawn for real by the Vega in vl-convert, and
the chart library served by the app (web/assets.py)."""

from __future__ import annotations

from outsidein.web import charts
from outsidein.web.assets import CHARTS_PATH, CHARTS_VERSION
from outsidein.web.metrics_view import bridge_chart, heat_step, retention_chart, trend_chart

from .conftest import LiveServer

BRIDGE = [
    {"period_start": "2024-01-01", "new": "1200.00", "reactivated": "0.00",
     "expansion": "50.00", "contraction": "0.00", "churned": "55.17"},
    {"period_start": "2024-02-01", "new": "0.00", "reactivated": "80.00",
     "expansion": "0.00", "contraction": "12.50", "churned": "0.00"},
]  # fmt: skip


def test_bridge_bars_are_the_route_figures() -> None:
    spec = bridge_chart(BRIDGE, "USD")
    bars = [(v["month"], v["movement"], v["amount"], v["label"]) for v in spec["data"]["values"]]
    assert bars == [  # zero movements draw nothing; losses go below the line
        ("2024-01-01", "new", 1200.0, "$1,200.00"),
        ("2024-01-01", "expansion", 50.0, "$50.00"),
        ("2024-01-01", "churned", -55.17, "$55.17"),
        ("2024-02-01", "reactivated", 80.0, "$80.00"),
        ("2024-02-01", "contraction", -12.5, "$12.50"),
    ]
    axis = spec["encoding"]["y"]["axis"]
    assert axis["title"] == "MRR (USD)" and "'$'" in axis["labelExpr"]
    swiss = charts.money_axis("CHF", "MRR")
    assert swiss["title"] == "MRR (CHF)" and "' CHF'" in swiss["labelExpr"]


def test_specs_draw_with_years_and_currency() -> None:
    """The real renderer draws each spec; its axis labels carry years and the currency."""
    svg = charts.to_svg(bridge_chart(BRIDGE, "EUR"))
    assert svg.startswith("<svg") and "Jan 2024" in svg and "€1k" in svg and "(EUR)" in svg
    retention = [{"month": f"2024-0{m}-01", "nrr": 1.02, "grr": 0.97} for m in range(1, 7)]
    svg = charts.to_svg(retention_chart(retention))
    assert "100%" in svg and "2024" in svg and "NRR" in svg
    trend = [{"date": f"2024-03-{d:02d}", "active_users_28": 10 + d} for d in range(1, 31)]
    svg = charts.to_svg(trend_chart(trend))
    assert "Mar 2024" in svg


def test_heatmap_shades() -> None:
    assert [heat_step(v) for v in (0.0, 0.04, 0.45, 0.96, 1.0, 1.45)] == [0, 0, 4, 10, 10, 10]


def test_chart_library_is_served_cached_and_gzipped(small_server: LiveServer) -> None:
    with small_server.client(timeout=60) as http:
        first = http.get(CHARTS_PATH, headers={"Accept-Encoding": "gzip"})
        assert first.status_code == 200
        assert first.headers["content-type"].startswith("text/javascript")
        assert first.headers["content-encoding"] == "gzip"
        assert "immutable" in first.headers["cache-control"]
        assert b"vegaEmbed" in first.content  # httpx decoded the gzip
        assert len(first.content) > 2 * int(first.headers["content-length"])
        again = http.get(CHARTS_PATH, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        plain = http.get(CHARTS_PATH, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers and plain.content == first.content
        assert http.get("/assets/vega-0.0.1.js").status_code == 404
        page = http.get("/accounts").text
        assert 'favicon.svg"' in page and 'href="#main"' in page
        assert http.get("/favicon.ico").status_code == 200
    assert CHARTS_VERSION in CHARTS_PATH
