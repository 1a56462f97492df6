"""The Metrics page as a person sees it, in headless Chromium against a real server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from outsidein.analytics import build_snapshot
from outsidein.store import connect
from outsidein.web import create_app
from tests.analytics.company import AS_OF, CONFIG

from .conftest import LiveServer
from .test_metrics_api import company_store

pytestmark = [pytest.mark.slow, pytest.mark.browser]
DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshot-metrics.png"


def test_metrics_page(
    tmp_path: Path,
    live_server: Callable[[FastAPI], LiveServer],
    page: object,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    store = company_store(tmp_path)
    con = connect(store)
    build_snapshot(con, CONFIG, AS_OF, since=AS_OF.replace(month=3, day=1))
    con.close()
    monkeypatch.setenv("OUTSIDEIN_CONFIG", str(tmp_path / "outsidein.toml"))
    server = live_server(create_app(store))
    server.login(page)

    page.goto(server.url + "/accounts")
    # Metrics is the first page of the Insights group (web/nav.py).
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page).to_have_url(server.url + "/metrics")
    page.goto(server.url + "/metrics?from=2024-01-01&as_of=2024-06-15")
    expect(page.get_by_role("heading", level=1)).to_have_text("Metrics")
    expect(page.get_by_role("link", name="Metrics")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("mrr")).to_have_text("$2,205.00")
    expect(page.get_by_test_id("arr")).to_have_text("$26,460")
    expect(page.get_by_test_id("customers")).to_have_text("8")
    expect(page.get_by_test_id("nrr")).to_have_text("100.0%")

    # The bridge: February's upgrade-and-downgrade (+50) and A3's churn (55.17).
    bridge = page.get_by_role("table", name="MRR bridge")
    february = bridge.get_by_role("row").filter(has_text="2024-02")
    expect(february).to_contain_text("$1,945.67")
    expect(february).to_contain_text("$50.00")
    expect(february).to_contain_text("$55.17")
    expect(february).to_contain_text("$1,940.50")
    # One bar per movement: Jan 1, Feb 2, Mar 3, Apr 2, May 2, drawn by the chart library.
    chart = page.get_by_role("img", name="MRR movements per month")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator(".mark-rect path")).to_have_count(10)

    # Usage trend from the stored snapshot: A1's 4 users and A9's 1 in 28 days.
    expect(page.get_by_test_id("active-users")).to_have_text("5")
    expect(page.get_by_role("img", name="Active users per day")).to_have_attribute(
        "data-rendered", "true"
    )

    # Term contracts renewing in the next 90 days, with the ARR at stake.
    renewals = page.get_by_role("table", name="Renewals")
    expect(renewals.locator("tbody tr")).to_have_count(3)
    expect(renewals).to_contain_text("Steady plc")
    expect(renewals).to_contain_text("multi-year")
    expect(renewals).to_contain_text("$6,000.00")
    expect(renewals).to_contain_text("£400.00")
    expect(page.get_by_test_id("arr-at-stake")).to_have_text("$9,780.00")
    page.get_by_role("link", name="Include month-to-month").click()
    expect(renewals.locator("tbody tr")).to_have_count(6)
    expect(renewals).to_contain_text("Comeback GmbH")
    expect(page.get_by_test_id("arr-at-stake")).to_have_text("$12,660.00")
    # The scope form keeps the choice.
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("arr-at-stake")).to_have_text("$12,660.00")

    # The cohort heatmap switches measure: A3 came back at 80 against 55.17 (145%).
    page.goto(server.url + "/metrics?from=2023-10-01&as_of=2024-06-15")
    heatmap = page.get_by_role("table", name="Cohort retention")
    expect(heatmap.get_by_role("row")).to_have_count(1 + 7)
    october = heatmap.get_by_role("row").filter(has_text="2023-10")
    expect(october.locator("td").nth(5)).to_have_text("0")  # churned in February
    page.get_by_role("link", name="Net revenue").click()
    expect(page).to_have_url(re.compile(r"measure=nrr"))
    expect(october.locator("td").nth(7)).to_have_text("145")
    page.screenshot(path=str(tmp_path / "metrics.png"), full_page=True)
    if os.environ.get("OUTSIDEIN_UPDATE_SCREENSHOTS") == "1":
        page.screenshot(path=str(DOCS_SCREENSHOT), full_page=True)

    # Filters in plain sight: chosen from the data's values, shown, kept by "Show".
    page.goto(server.url + "/metrics?from=2024-01-01&as_of=2024-06-15")
    page.get_by_label("Segment", exact=True).select_option("Enterprise")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("filters")).to_contain_text("segment: Enterprise")
    expect(page.get_by_test_id("mrr")).to_have_text("$1,500.00")
    page.get_by_label("As of", exact=True).fill("2024-05-31")
    page.get_by_role("button", name="Show").click()
    expect(page).to_have_url(re.compile(r"segment=Enterprise"))
    expect(page.get_by_label("Segment", exact=True)).to_have_value("Enterprise")
    page.get_by_role("link", name="Remove the segment filter").click()
    expect(page.get_by_test_id("filters")).to_have_count(0)

    # Without as_of the page follows the data's last day, and says so; also at 390 px wide.
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server.url + "/metrics")
    expect(page.get_by_test_id("data-notice")).to_contain_text("The data ends on 2024-06-15")
    expect(page.get_by_test_id("mrr")).to_have_text("$2,205.00")
    for control in ("From", "As of", "Segment", "Region", "CSM"):
        box = page.get_by_label(control, exact=True).bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, control
    page.screenshot(path=str(tmp_path / "metrics-390.png"), full_page=True)
    page.set_viewport_size({"width": 1360, "height": 900})

    # A bad scope is a friendly page, not a traceback.
    page.goto(server.url + "/metrics?from=2024-07-01&as_of=2024-06-15")
    expect(page.get_by_text("must not be after as_of")).to_be_visible()
