"""The header's navigation: a row of groups, the current group's pages under it (web/nav.py)."""

from __future__ import annotations

from typing import Any

import pytest

from outsidein.web.nav import GROUPS, NavItem, grouped
from outsidein.web.sections import SECTIONS

from .conftest import LiveServer

ITEMS = [
    NavItem("My day", "/my-day"),
    NavItem("Accounts", "/accounts", group="Customers"),
    NavItem("Health", "/health", group="Customers"),
    NavItem("Metrics", "/metrics", group="Insights"),
]


def test_groups_hold_their_pages_and_a_group_of_one_is_a_link() -> None:
    rows = grouped(ITEMS, "/health/accounts/A-1")
    assert [(r.label, r.path, r.active) for r in rows] == [
        ("My day", "/my-day", False),
        ("Customers", "/accounts", True),  # a group links to its first page
        ("Metrics", "/metrics", False),  # alone in Insights: the page's own link
    ]
    assert [(i.label, a) for i, a in rows[1].items] == [("Accounts", False), ("Health", True)]


def test_an_unknown_group_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="Custmers"):
        grouped([NavItem("Accounts", "/accounts", group="Custmers")], "/")


def test_every_page_of_the_app_is_in_a_known_group_and_the_first_row_stays_short() -> None:
    items = [s.nav for s in SECTIONS if s.nav is not None]
    assert {i.group for i in items} <= {"", *GROUPS}
    assert len(grouped(items, "/")) <= 7  # fits one row at 390 px with the brand beside it


@pytest.mark.browser
def test_the_current_page_is_marked_in_its_group_and_every_page_is_two_clicks_away(
    small_server: LiveServer, page: Any
) -> None:
    from playwright.sync_api import expect

    small_server.login(page)
    for width in (1440, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.goto(small_server.url + "/health")
        main = page.get_by_role("navigation", name="Main")
        expect(main.get_by_role("link", name="Customers")).to_have_class("navgroup current")
        sub = page.get_by_role("navigation", name="Customers")
        expect(sub.get_by_role("link", name="Health")).to_have_attribute("aria-current", "page")
        expect(sub.get_by_role("link", name="Accounts")).to_be_visible()
        # Another group: its link opens its first page, where its own pages are listed.
        main.get_by_role("link", name="Action").click()
        expect(page).to_have_url(small_server.url + "/tasks")
        action = page.get_by_role("navigation", name="Action")
        expect(action.get_by_role("link", name="Tasks")).to_have_attribute("aria-current", "page")
        action.get_by_role("link", name="Playbooks").click()
        expect(page).to_have_url(small_server.url + "/playbooks")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
