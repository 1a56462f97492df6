"""The ingestion activity page in headless Chromium, against a real server fed by a client."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import SegmentServer

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(180)]


def test_activity_page_shows_each_key_and_why_events_were_rejected(
    segment_server: SegmentServer, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    good = [{"type": "track", "userId": "u", "event": "Used"} for _ in range(7)]
    bad = [{"type": "track", "userId": "u"}, {"type": "track", "event": "E"}]
    assert segment_server.post("/v1/batch", {"batch": good + bad}).status_code == 400
    assert segment_server.post("/v1/batch", content=b"{oops").status_code == 400
    segment_server.wait_applied()

    segment_server.login(page)
    page.goto(segment_server.url + "/ingestion")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ingestion")
    expect(page.get_by_role("link", name="Ingestion")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("accepted-24h")).to_have_text("7")
    expect(page.get_by_test_id("pending")).to_have_text("7")  # nobody linked u to an account
    row = page.locator(f'tr[data-key="{segment_server.key_id}"]')
    expect(row).to_contain_text("tests")
    expect(row).to_contain_text("active")
    expect(row.locator("td").nth(3)).to_have_text("7")
    expect(row.locator("td").nth(5)).to_have_text("3")
    expect(row).to_contain_text("required for track: a non-empty event name")
    expect(row).to_contain_text("userId or anonymousId is required")
    rejects = page.get_by_role("table", name="Latest rejects")
    expect(rejects.locator("tbody tr")).to_have_count(3)
    expect(rejects).to_contain_text("batch[7].event")
    expect(rejects).to_contain_text("batch[8].userId")
    expect(rejects).to_contain_text("the body is not valid JSON")
    page.screenshot(path=str(tmp_path / "ingestion.png"), full_page=True)
