"""What a person sees: the dashboard driven in headless Chromium against a real server."""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi import FastAPI

from outsidein.web import create_app

from .conftest import LiveServer, seed_company

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DOCS_SCREENSHOT = Path(__file__).parents[2] / "docs" / "screenshot-accounts.png"


def test_accounts_dashboard(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer], page: object
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    server = live_server(create_app(seed_company(tmp_path / "company.duckdb")))
    server.login(page)
    total = page.get_by_test_id("total")
    rows = page.locator("table.data tbody tr")

    page.goto(server.url + "/")
    expect(page).to_have_url(server.url + "/accounts")
    expect(page.locator("header")).to_contain_text("Outside-In")
    expect(total).to_have_text("120 accounts")
    expect(page.get_by_text("Page 1 of 5")).to_be_visible()
    expect(rows).to_have_count(25)
    expect(rows.first).to_contain_text("Acme Corp")
    expect(page.get_by_role("link", name="Acme Labs")).to_be_visible()
    page.screenshot(path=str(tmp_path / "accounts.png"), full_page=True)
    if os.environ.get("OUTSIDEIN_UPDATE_SCREENSHOTS") == "1":
        page.screenshot(path=str(DOCS_SCREENSHOT))

    # Searching narrows the list.
    page.get_by_role("searchbox", name="Search accounts").fill("acme")
    page.get_by_role("button", name="Show").click()
    expect(total).to_have_text("8 accounts matching “acme”")
    expect(rows).to_have_count(8)
    expect(page.get_by_text("Page 1 of 1")).to_be_visible()
    page.get_by_role("link", name="Clear search").click()
    expect(total).to_have_text("120 accounts")

    # A filter chosen from the data's values is shown in plain sight and can be removed.
    page.get_by_label("Segment", exact=True).select_option("Enterprise")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("filters")).to_contain_text("segment: Enterprise")
    enterprise = page.get_by_test_id("total").inner_text()
    assert enterprise != "120 accounts"
    expect(page.get_by_label("Segment", exact=True)).to_have_value("Enterprise")
    page.get_by_role("link", name="Remove the segment filter").click()
    expect(total).to_have_text("120 accounts")
    expect(page.get_by_test_id("filters")).to_have_count(0)

    # A column header sorts; the first click on MRR puts the largest first.
    page.get_by_role("columnheader", name="MRR").get_by_role("link").click()
    expect(page.get_by_role("columnheader", name="MRR")).to_have_attribute(
        "aria-sort", "descending"
    )
    expect(rows.first).to_contain_text("Zenith Energy")
    expect(rows.first).to_contain_text("$50,000")

    # Next page keeps the sort.
    page.get_by_role("link", name="Next →").click()
    expect(page.get_by_text("Page 2 of 5")).to_be_visible()
    expect(page.get_by_text("26\u201350 of 120")).to_be_visible()
    expect(page).to_have_url(re.compile(r"sort=mrr.*page=2"))
    expect(rows.first).not_to_contain_text("Zenith Energy")

    # An account opens its page, with its subscription plan.
    page.goto(server.url + "/accounts?q=acme+labs")
    page.get_by_role("link", name="Acme Labs").click()
    expect(page).to_have_url(server.url + "/accounts/A-0001")
    expect(page.get_by_role("heading", level=1)).to_have_text("Acme Labs")
    subscriptions = page.locator("section", has=page.locator("h2#subscriptions"))
    expect(subscriptions).to_contain_text("Enterprise Plus")
    expect(subscriptions).to_contain_text("$15,000.00")
    page.screenshot(path=str(tmp_path / "account.png"), full_page=True)

    # An unknown account is a friendly page inside the layout.
    page.goto(server.url + "/accounts/NOPE")
    expect(page.get_by_role("heading", level=1)).to_have_text("Not found")
    main = page.get_by_role("navigation", name="Main")
    expect(main.get_by_role("link", name="Customers")).to_have_class("navgroup current")
    expect(page.get_by_role("navigation", name="Customers")).to_contain_text("Accounts")
