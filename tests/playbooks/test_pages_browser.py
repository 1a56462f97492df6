"""The cockpit in headless Chromium: an overdue task highlighted, then assigned, commented,
snoozed and completed through the task page's forms (CSRF token and all); a CSM's cockpit
holds their book only; the playbooks pages list versions and firings."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from outsidein.config import parse_config
from outsidein.playbooks import run_playbooks
from outsidein.store import connect
from outsidein.web import create_app
from tests.web.conftest import NOW, LiveServer, seed_small

pytestmark = [pytest.mark.slow, pytest.mark.browser, pytest.mark.timeout(300)]
TASK = {"kind": "task", "title": "Weekly check-in", "steps": ["Look at usage"]}
BOOK = {"name": "check-in", "trigger": {"kind": "schedule", "every_days": 7}, "actions": [TASK]}


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = seed_small(tmp_path_factory.mktemp("cockpit") / "s.duckdb")
    con = connect(store)
    run_playbooks(con, parse_config({"playbooks": {"playbooks": [BOOK]}}, "test"))
    con.execute("UPDATE tasks SET due_at = ? WHERE account_id = 'A-001'",
                [NOW - timedelta(days=1)])  # fmt: skip
    con.close()
    live = LiveServer(create_app(store)).start()
    yield live
    live.stop()


def test_work_a_task_in_the_cockpit(server: LiveServer, page: Any) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    server.login(page)
    page.goto(server.url + "/tasks")
    rows = page.locator("table[data-testid=tasks] tbody tr")
    expect(rows).to_have_count(5)
    first = rows.first
    expect(first).to_have_attribute("data-sla", "overdue")  # overdue first, highlighted
    expect(first).to_have_class("overdue")
    expect(first).to_contain_text("Acme Corp")
    expect(page.get_by_test_id("overdue-total")).to_have_text("1 overdue")
    page.get_by_label("Status").select_option("overdue")
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(1)

    first.get_by_role("link", name="Weekly check-in").click()
    expect(page.get_by_role("heading", name="Weekly check-in")).to_be_visible()
    page.get_by_label("Assign to").fill("csm2")
    page.get_by_role("button", name="Assign").click()
    expect(page.get_by_test_id("assignee")).to_contain_text("csm2")
    page.get_by_label("Comment").fill("Called Ada, all good")
    page.get_by_role("button", name="Add the comment").click()
    expect(page.get_by_test_id("comments")).to_contain_text("Called Ada, all good")
    page.get_by_label("Snooze for").select_option("3")
    page.get_by_role("button", name="Snooze").click()
    expect(page.get_by_test_id("snoozed")).to_be_visible()
    page.get_by_label("Outcome").select_option("resolved")
    page.get_by_label("Note").fill("usage fine")
    page.get_by_role("button", name="Complete").click()
    expect(page.get_by_test_id("outcome")).to_have_text("resolved: usage fine")
    expect(page.get_by_role("button", name="Assign")).to_have_count(0)  # done: no forms
    assert problems == []
    done = server.http.get(server.url + "/api/v1/tasks", params={"status": "done"}).json()
    [task] = done["tasks"]
    assert (task["account_id"], task["assignee"], task["outcome"]) == ("A-001", "csm2",
                                                                        "resolved")  # fmt: skip


def test_a_form_without_the_csrf_token_is_refused(server: LiveServer, page: Any) -> None:
    server.login(page)
    page.goto(server.url + "/tasks")
    href = page.locator("table[data-testid=tasks] tbody tr a.strong").first.get_attribute("href")
    answer = page.request.post(server.url + f"{href}/comment", form={"body": "forged"})
    assert answer.status == 403
    page.goto(server.url + str(href))
    assert "forged" not in page.content()


def test_a_csm_sees_their_book(server: LiveServer, page: Any) -> None:
    name, password, _ = server.add_user("dana", "csm", "csm1")
    server.login(page, name, password)
    page.goto(server.url + "/tasks?status=all")
    accounts = page.locator("table[data-testid=tasks] tbody tr .sub a").all_inner_texts()
    assert sorted(accounts) == ["Acme Corp", "Initech"]
    page.goto(server.url + "/playbooks")
    assert page.locator("[data-testid=recent-firings] tbody tr").count() == 2


def test_the_playbooks_pages(server: LiveServer, page: Any) -> None:
    server.login(page)
    page.goto(server.url + "/playbooks/check-in")
    assert page.locator("[data-testid=versions] li[data-version]").count() >= 1
    assert page.locator("[data-testid=firings] tbody tr[data-firing]").count() == 5
