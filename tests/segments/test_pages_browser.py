"""The segment builder in headless Chromium: a live count as you type, the same as the
Python preview; a bad filter shown with its column and a caret; saving lands on the segment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from outsidein.segments import preview
from outsidein.web import create_app
from tests.web.conftest import TODAY, LiveServer
from tests.web.test_layout_browser import DESKTOP, PHONE, strict_csp

pytestmark = [pytest.mark.slow, pytest.mark.browser]


@pytest.fixture(scope="module")
def server(company: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = tmp_path_factory.mktemp("builder") / "store.duckdb"
    shutil.copy(company, store)
    live = LiveServer(strict_csp(create_app(store))).start()
    yield live
    live.stop()


def python_count(server: LiveServer, text: str) -> int:
    cur = server.app.state.store.cursor()
    try:
        return preview(cur, text, TODAY).count
    finally:
        cur.close()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_the_builder_counts_as_you_type_and_points_at_a_mistake(
    server: LiveServer, page: Any, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("console", lambda m: m.type == "error" and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size(viewport)
    server.login(page)
    page.goto(server.url + "/segments/new")
    box = page.get_by_role("textbox", name="Filter")
    text = 'custom.plan_tier = "Pro" and health < 60'
    box.fill(text)
    want = python_count(server, text)
    assert want > 0
    expect(page.get_by_test_id("preview-count")).to_have_text(f"{want:,} accounts")
    expect(page.get_by_test_id("preview-rows").locator("tbody tr")).to_have_count(min(want, 10))
    box.fill("custom.plan_tier = 'Pro' and helth < 60")
    problem = page.get_by_test_id("problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("Column 30: unknown field `helth` (did you mean `health`?)")
    expect(problem.locator("pre.caret")).to_contain_text(" " * 29 + "^")
    expect(page.get_by_test_id("preview-count")).to_have_text("—")
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if viewport is DESKTOP:
        page.get_by_role("textbox", name="Name").fill("Pro at risk")
        box.fill(text)
        page.get_by_role("button", name="Save").click()
        page.wait_for_url(server.url + "/segments/pro-at-risk")
        expect(page.get_by_role("heading", name="Pro at risk")).to_be_visible()
        expect(page.get_by_test_id("expression")).to_have_text(text)
    # The browser logs the refused preview request itself; nothing else may be logged.
    assert [p for p in problems if "status of 422" not in p] == []


def test_saving_a_bad_filter_shows_the_form_again_with_the_column(
    server: LiveServer, page: Any
) -> None:
    from playwright.sync_api import expect

    server.login(page)
    page.goto(server.url + "/segments/new")
    page.get_by_role("textbox", name="Name").fill("Broken")
    page.get_by_role("textbox", name="Filter").fill("health <")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("problem")).to_contain_text("expected a value")
    expect(page.get_by_role("textbox", name="Name")).to_have_value("Broken")
