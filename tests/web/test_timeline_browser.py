"""The account page's timeline in headless Chromium: a CSM logs a call through the form (with
the session's CSRF token) and finds it at the top of the thread, authored by them; searching
and paging narrow the thread; it fits a phone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from outsidein.web import create_app

from .conftest import LiveServer, seed_small

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(create_app(seed_small(tmp_path_factory.mktemp("tlb") / "s.duckdb")))
    live.start()
    yield live
    live.stop()


@pytest.mark.parametrize("width", [390, 1440])
def test_a_csm_logs_a_call_from_the_account_page(server: LiveServer, page: Any, width: int) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.set_viewport_size({"width": width, "height": 900})
    name, password, _ = server.add_user("dana", "csm", "csm1")
    server.login(page, name, password)
    expect(page).to_have_url(server.url + "/my-day")  # a CSM lands on My day
    page.get_by_role("link", name="Acme Corp").first.click()
    expect(page.get_by_role("heading", name="Acme Corp")).to_be_visible()
    items = page.get_by_test_id("timeline-items").locator("li")
    before = page.get_by_test_id("timeline").locator("h2 .count").inner_text()

    page.get_by_text("Log a note, call or meeting").click()
    page.get_by_label("What").select_option("call")
    subject = f"Renewal call at {width} px"
    page.get_by_label("Subject").fill(subject)
    page.get_by_label("Note").fill("Budget approved; wants the SSO add-on.")
    page.get_by_role("button", name="Log it").click()

    expect(page).to_have_url(server.url + "/accounts/A-001#timeline")
    expect(items.first).to_contain_text(f"Call: {subject}")
    expect(items.first).to_contain_text("dana")
    expect(items.first).to_contain_text("SSO add-on")
    after = page.get_by_test_id("timeline").locator("h2 .count").inner_text()
    assert int(after) == int(before) + 1

    page.get_by_role("searchbox", name="Search the timeline").fill("export")
    page.get_by_role("button", name="Search").click()
    expect(items).to_have_count(1)
    expect(items.first).to_contain_text("Case opened: Export fails")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert problems == []
