"""Every page on a phone (390 px) and a desktop (1440 px), in headless Chromium.

No page is wider than the screen, the main controls are on it, the charts are drawn by the
chart library with no console error, under a strict Content-Security-Policy (no
'unsafe-eval', no inline script or style): what docs/dashboard.md promises.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response

from outsidein.analytics import AnalyticsConfig, build_snapshot, update_snapshot
from outsidein.config import OutsideInConfig, load_config, parse_config
from outsidein.health.engine import score
from outsidein.health.history import record_scores
from outsidein.health.inputs import inputs_at
from outsidein.health.service import to_scored
from outsidein.ingest import load_directory, load_file
from outsidein.outbox import deliver_due, enqueue
from outsidein.plans import Milestone, Plan, create_plan
from outsidein.playbooks import run_playbooks
from outsidein.segments import catalogue, create_segment, refresh_membership
from outsidein.settings.health import HealthConfig
from outsidein.settings.outbox import OutboxConfig, OutboxSettings
from outsidein.sim import simulate
from outsidein.sim.settings import write_company_config
from outsidein.store import connect
from outsidein.tiers import record_day
from outsidein.web import create_app
from outsidein.web.nav import grouped
from outsidein.web.sections import SECTIONS

from .conftest import TODAY, LiveServer, seed_company

pytestmark = [pytest.mark.slow, pytest.mark.browser]

DOCS = Path(__file__).parents[2] / "docs"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'"
)
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1440, "height": 900}
FROM = TODAY.replace(day=1) - timedelta(days=700)  # 24 months of bars and lines


def strict_csp(app: FastAPI) -> FastAPI:
    """The app with the strictest policy its pages should need, sent on every response."""

    @app.middleware("http")
    async def csp(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers["Content-Security-Policy"] = CSP
        return response

    return app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("layout")
    store = seed_company(folder / "company.duckdb")
    con = connect(store)
    build_snapshot(con, AnalyticsConfig(), TODAY, since=TODAY - timedelta(days=100))
    # Health scores as the health step stores them: the pages draw them.
    record_scores(con, to_scored(score(inputs_at(con, TODAY), HealthConfig())), config_version=None)
    record_day(con, OutsideInConfig(), TODAY)  # touch tiers, as the tiers step records them
    create_segment(con, "At risk", "health < 50", catalogue(con))  # the segment pages show it
    refresh_membership(con)
    subs = folder / LONG_NAME
    subs.write_text(
        "subscription_id,account_id,plan,mrr,start_date,status\n"
        f"S-x1,A-0001,Growth,{'9' * 80}x,2024-01-01,Live\n"
        "S-x2,A-9999,Growth,10,10/16/2024,active\n"
    )
    LOADS["rejects"] = load_file(con, "subscriptions", subs).load_id
    # The billing system knows Acme Labs too: a match to review on /identity.
    billing = folder / "billing.csv"
    billing.write_text('account_id,name,created_at\nbill-1,"ACME Labs, Inc.",2024-01-01\n')
    load_file(con, "accounts", billing, id_system="billing")
    # A dead letter for the outbox page: a webhook to a closed port, one attempt allowed.
    enqueue(con, channel="webhook", account_id="A-0001", contact_id=None, template="risk_alert",
            context={}, idempotency_key="layout-dead", source="test")  # fmt: skip
    deliver_due(
        con, OutboxConfig(max_attempts=1), OutboxSettings(webhook_url="http://127.0.0.1:9/")
    )
    # Tasks and firings from a playbook run (one task overdue: highlighted on the cockpit).
    run_playbooks(con, parse_config({"playbooks": {"playbooks": [PLAYBOOK]}}, "test"))
    LOADS["task"] = con.execute("SELECT min(task_id) FROM tasks").fetchall()[0][0]
    # Past firings with months of usage around them: the Impact page and its event study.
    fired = (TODAY.replace(day=1) - timedelta(days=40)).replace(day=1)
    con.execute(
        "INSERT INTO playbook_firings SELECT 'IMP-' || account_id, account_id, 'win-back-call', "
        "1, 'default', 'test', NULL, false, 1, ? FROM accounts WHERE account_id <= 'A-0050'",
        [fired],
    )
    con.execute("UPDATE tasks SET due_at = now()::TIMESTAMP - INTERVAL 2 DAY WHERE task_id = ?",
                [LOADS["task"]])  # fmt: skip
    # A success plan with a milestone: /plans and the account page's section.
    create_plan(con, Plan(
        plan_id="P-layout", account_id="A-0001", title="Roll the product out to every team",
        measure_kind="formula", measure="events_28 * 0.5", unit="hours saved", baseline=0.0,
        target=500.0, start_date=TODAY - timedelta(days=60), due_date=TODAY + timedelta(days=60),
        owner="csm1", milestones=(Milestone("First hundred hours", TODAY, 100.0),),
    ))  # fmt: skip
    con.close()
    live = LiveServer(strict_csp(create_app(store))).start()
    yield live
    live.stop()


LONG_NAME = "subscriptions-export-with-a-long-name.csv"
PLAYBOOK = {
    "name": "quarterly-review",
    "description": "Every account, every quarter",
    "trigger": {"kind": "schedule", "every_days": 90},
    "holdout": 0.1,
    "actions": [
        {
            "kind": "task",
            "title": "Prepare the quarterly business review",
            "type": "activity",
            "steps": ["Pull the usage", "Book the call"],
        }
    ],
}
LOADS: dict[str, str] = {}  # load ids the pages show, from the server fixture


# Each page with the controls a person needs on it, found by role and name.
PAGES: list[tuple[str, str, list[tuple[str, str]]]] = [
    ("accounts", "/accounts", [("searchbox", "Search accounts"), ("combobox", "Segment"),
                               ("button", "Show"), ("link", "Next →")]),
    ("account", "/accounts/A-0001", [("heading", "Acme Labs"),
                                     ("searchbox", "Search the timeline"), ("button", "Search")]),
    ("my-day", "/my-day", [("heading", "My day"), ("combobox", "CSM"), ("combobox", "Days"),
                           ("button", "Show")]),
    ("metrics", f"/metrics?from={FROM}", [("textbox", "From"), ("textbox", "As of"),
                                          ("combobox", "Segment"), ("combobox", "CSM"),
                                          ("button", "Show"), ("link", "Net revenue")]),
    ("ingestion", "/ingestion", [("heading", "Ingestion")]),
    ("status", "/status", [("heading", "Status")]),
    ("rejects", "/rejects", [("heading", "Rejects")]),
    ("rejects-load", "/rejects/{rejects}", [("heading", LONG_NAME), ("link", "← All rejects")]),
    ("audit", "/audit", [("heading", "Audit log"), ("combobox", "Action"), ("button", "Show")]),
    ("quality", "/quality", [("heading", "Data quality"), ("combobox", "Period"),
                             ("combobox", "Group by"), ("button", "Show")]),
    ("health", "/health", [("heading", "Health"), ("combobox", "CSM"), ("button", "Show"),
                           ("link", "At risk")]),
    ("health-at-risk", "/health/at-risk", [("heading", "Accounts at risk"), ("combobox", "CSM"),
                                           ("link", "Health"), ("link", "Next →")]),
    ("health-scorecards", "/health/scorecards", [("heading", "Scorecards"),
                                                 ("button", "Run the backtest")]),
    ("tiers", "/tiers", [("heading", "Touch tiers"), ("combobox", "CSM"), ("button", "Show")]),
    ("advocates", "/advocates", [("heading", "Advocates"), ("combobox", "CSM"),
                                 ("button", "Show")]),
    ("team", "/team", [("heading", "Team"), ("link", "Dana Scully"), ("link", "Walter Skinner")]),
    ("team-book", "/team/csm1", [("heading", "Dana Scully"), ("link", "← Team")]),
    ("segments", "/segments", [("heading", "Segments"), ("link", "New segment"),
                               ("link", "At risk")]),
    ("segment", "/segments/at-risk", [("heading", "At risk"), ("link", "Edit"),
                                      ("link", "Export CSV"), ("link", "30 days")]),
    ("segment-builder", "/segments/new?expression=health%20%3C%2050",
     [("textbox", "Name"), ("textbox", "Filter"), ("button", "Save")]),
    ("identity", "/identity", [("heading", "One customer across systems"),
                               ("button", "Confirm: merge ACME Labs, Inc. into Acme Labs")]),
    ("assistant", "/loads/assistant", [("heading", "Load a file"),
                                       ("button", "Upload and inspect")]),
    ("outbox", "/outbox?status=dead", [("heading", "Outbox"), ("button", "Retry")]),
    ("tasks", "/tasks", [("heading", "Tasks"), ("combobox", "Status"), ("combobox", "Assignee"),
                         ("button", "Show"), ("link", "Next →")]),
    ("task", "/tasks/{task}", [("heading", "Prepare the quarterly business review"),
                               ("textbox", "Assign to"), ("button", "Assign"),
                               ("button", "Snooze"), ("combobox", "Outcome"),
                               ("button", "Complete"), ("button", "Add the comment")]),
    ("playbooks", "/playbooks", [("heading", "Playbooks"), ("link", "Tasks →")]),
    ("playbook", "/playbooks/quarterly-review", [("heading", "quarterly-review"),
                                                 ("link", "← Playbooks")]),
    ("impact", "/impact", [("heading", "Impact"), ("link", "win-back-call")]),
    ("impact-play", "/impact/win-back-call", [("heading", "win-back-call"),
                                               ("link", "← Impact"), ("link", "A-0001")]),
    ("outcomes", "/outcomes", [("heading", "Outcomes"), ("combobox", "Split by"),
                               ("combobox", "Survey"), ("button", "Show")]),
    ("outcome-segments", "/outcomes/segments", [("heading", "Needs segments"),
                                                ("link", "← Opportunity landscape")]),
    ("outcome-catalog", "/outcomes/catalog", [("heading", "Jobs catalog"),
                                              ("button", "Save outcome"), ("button", "Save job")]),
    ("journey", "/journey", [("heading", "Journey"), ("combobox", "Segment"),
                             ("combobox", "Steps"), ("button", "Show"),
                             ("link", "Download the blueprint (SVG)")]),
    ("plans", "/plans", [("heading", "Success plans"), ("link", "Acme Labs")]),
    ("journey-interruptions", "/journey/interruptions?days=3650",
     [("heading", "Where journeys break"), ("link", "Interruptions"), ("combobox", "Kind"),
      ("combobox", "Function"), ("combobox", "Stage"), ("button", "Show")]),
    ("clv", "/clv", [("heading", "Customer lifetime value")]),
    ("predictions", "/predictions", [("heading", "Predictions"), ("combobox", "CSM"),
                                     ("button", "Show")]),
]  # fmt: skip
CHARTS = {
    "account": ("health-trend", "usage-users", "usage-adoption"),
    "metrics": ("bridge", "retention", "usage"),
    "health": ("health-segments", "health-arr"),
    "impact-play": ("event-study",),
}


def nav_links(path: str) -> list[tuple[str, str]]:
    """The header's links on a page: its groups, the current group's pages, the API link."""
    rows = grouped([s.nav for s in SECTIONS if s.nav is not None], path.split("?")[0])
    pages = [item.label for row in rows if row.active for item, _ in row.items]
    return [("link", label) for label in [*(r.label for r in rows), *pages, "API"]]


def within(page: Any, role: str, name: str, width: int) -> None:
    """The control is visible and lies inside the viewport's width (scrolled into view)."""
    from playwright.sync_api import expect

    control = page.get_by_role(role, name=name, exact=True).first
    expect(control).to_be_visible()
    control.scroll_into_view_if_needed()
    box = control.bounding_box()
    assert box is not None, name
    assert box["x"] >= 0 and box["x"] + box["width"] <= width + 0.5, (name, box, width)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_every_page_fits_the_screen(
    server: LiveServer, page: Any, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size(viewport)
    width = viewport["width"]
    server.login(page)
    for name, path, controls in PAGES:
        response = page.goto(server.url + path.format(**LOADS))
        assert response is not None and response.status == 200, path
        for chart in CHARTS.get(name, ()):
            expect(page.get_by_test_id(f"chart-{chart}")).to_have_attribute("data-rendered", "true")
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{path} is {scroll} px wide at {width} px"
        for role, label in [*nav_links(path.format(**LOADS)), *controls]:
            within(page, role, label, width)
        if os.environ.get("OUTSIDEIN_UPDATE_SCREENSHOTS") == "1" and name != "account":
            _screenshot(page, name, width)
    assert problems == []


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_the_login_page_fits_the_screen(
    server: LiveServer, page: Any, viewport: dict[str, int]
) -> None:
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.set_viewport_size(viewport)
    response = page.goto(server.url + "/accounts")  # not signed in: the login page
    assert response is not None and response.status == 200 and "/login?next=" in page.url
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    for role, label in [("textbox", "User name"), ("button", "Sign in")]:
        within(page, role, label, viewport["width"])
    server.login(page)
    assert page.url == server.url + "/accounts"  # back where it was going


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    """A small demo company (the simulator, its own settings, loaded and snapshotted, as
    `outsidein demo` does) served, and its account with the most seats bought today."""
    folder = tmp_path_factory.mktemp("demo")
    simulate(folder / "company", accounts=40, months=12, seed=7, as_of=TODAY,
             events_per_part=100_000)  # fmt: skip
    settings = write_company_config(folder / "company")
    store = folder / "outsidein.duckdb"
    con = connect(store)
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    update_snapshot(con, load_config(settings).analytics)
    [(account,)] = con.execute(
        "SELECT account_id FROM account_daily_metrics WHERE date = (SELECT max(date) FROM "
        "account_daily_metrics) AND active_users_28 > 0 ORDER BY seats_bought DESC NULLS LAST, "
        "account_id LIMIT 1"
    ).fetchall()
    con.close()
    live = LiveServer(strict_csp(create_app(store, config_path=settings))).start()
    yield live, str(account)
    live.stop()


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_a_demo_account_draws_its_usage(
    demo: tuple[LiveServer, str], page: Any, viewport: dict[str, int]
) -> None:
    """The demo company's account page: both usage charts drawn from a year of days, with
    year-dated axes and the key features counted, on the screen with no console error."""
    from playwright.sync_api import expect

    server, account = demo
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size(viewport)
    width = viewport["width"]
    server.login(page)
    assert page.goto(f"{server.url}/accounts/{account}").status == 200
    for chart in ("usage-users", "usage-adoption"):  # the demo store has no health scores
        figure = page.get_by_test_id(f"chart-{chart}")
        expect(figure).to_have_attribute("data-rendered", "true")
        within(page, "img", figure.get_attribute("aria-label") or "", width)
        texts = figure.locator(".role-axis-label text:not([opacity='0'])").all_text_contents()
        assert any(t[-4:].isdigit() and " " in t for t in texts), (chart, texts)
        assert figure.locator(".mark-line path").count() >= 2, chart
    table = page.get_by_test_id("usage-table")
    expect(table.locator("tbody tr").first).to_contain_text("Latest")
    expect(table.locator("tbody tr").first).to_contain_text(" of ")  # key features counted
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the account page is {scroll} px wide at {width} px"
    if os.environ.get("OUTSIDEIN_UPDATE_SCREENSHOTS") == "1":
        _screenshot(page, "account", width)
    assert problems == []


def _screenshot(page: Any, name: str, width: int) -> None:
    """README's pictures: the accounts list and Metrics on a phone (their desktop pictures
    come from test_web_browser and test_metrics_browser), an account of the demo company on
    both screens, the health portfolio on a desktop."""
    phone = width < 500
    if (
        name == "account"
        or (phone and name in ("accounts", "metrics"))
        or (name == "health" and not phone)
    ):
        path = DOCS / f"screenshot-{name}{'-phone' if phone else ''}.png"
        height = 1700 if phone else 1400
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(
            path=str(path), full_page=True, clip={"x": 0, "y": 0, "width": width, "height": height}
        )


def test_charts_read_at_24_months(server: LiveServer, page: Any) -> None:
    """Axis labels never overlap, carry the year, and a bar's tooltip names its month."""
    from playwright.sync_api import expect

    server.login(page)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(server.url + f"/metrics?from={FROM}")
        for chart in ("bridge", "retention", "usage"):
            figure = page.get_by_test_id(f"chart-{chart}")
            expect(figure).to_have_attribute("data-rendered", "true")
            labels = figure.locator(".role-axis-label text:not([opacity='0'])")
            texts = labels.all_text_contents()
            assert len(texts) >= 4, (chart, texts)
            boxes = [b for b in (label.bounding_box() for label in labels.all()) if b]
            assert not any(_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
            sizes = {labels.nth(i).evaluate("e => getComputedStyle(e).fontSize") for i in
                     range(len(texts))}  # fmt: skip
            assert sizes == {"12px"}, (chart, sizes)
            dates = [t for t in texts if " " in t]  # "Jan 2025", "1 Oct 2026"
            assert dates and all(t[-4:].isdigit() for t in dates), (chart, dates)
        # The money axis: round ticks in the reporting currency.
        money = page.get_by_test_id("chart-bridge").locator(".role-axis[aria-label^='Y-axis']")
        ticks = money.locator(".role-axis-label text:not([opacity='0'])").all_text_contents()
        assert all(t.lstrip("\u2212").startswith("$") for t in ticks), ticks
        assert all(t.lstrip("\u2212$")[:-1].isdigit() or t in ("$0",) for t in ticks), ticks
    # West of UTC too, the first bar is the first month (dates are read in UTC).
    west = page.context.browser.new_context(viewport=DESKTOP, timezone_id="America/Los_Angeles")
    try:
        there = west.new_page()
        server.login(there)
        there.goto(server.url + f"/metrics?from={FROM}")
        chart = there.get_by_test_id("chart-bridge")
        expect(chart).to_have_attribute("data-rendered", "true")
        chart.locator(".mark-rect path").first.hover()
        tooltip = there.locator("#vg-tooltip-element")
        expect(tooltip).to_be_visible()
        expect(tooltip).to_contain_text(FROM.strftime("%B %Y"))
        expect(tooltip).to_contain_text("$")
    finally:
        west.close()


def _overlap(a: dict[str, float], b: dict[str, float]) -> bool:
    return (
        a["x"] < b["x"] + b["width"] - 1
        and b["x"] < a["x"] + a["width"] - 1
        and a["y"] < b["y"] + b["height"] - 1
        and b["y"] < a["y"] + a["height"] - 1
    )


def test_keyboard_reaches_content_and_icon(server: LiveServer, page: Any) -> None:
    """The first Tab lands on the skip link, which moves focus past the header; the
    favicon is served (no 404 in the console)."""
    failed: list[str] = []
    page.on("response", lambda r: r.status >= 400 and failed.append(r.url))
    server.login(page)
    page.goto(server.url + "/accounts")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("e => e === document.activeElement")
    assert skip.bounding_box()["y"] >= 0  # shown when focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    icon = page.request.get(server.url + "/favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/svg+xml"
    assert failed == []


def test_the_demo_journey_fills_every_panel(demo: tuple[LiveServer, str]) -> None:
    """/journey on the demo company: the graph, funnel, blueprint (with cells that break),
    broken hand-offs and paths before churn all hold data."""
    server, _ = demo
    html = server.http.get(f"{server.url}/journey").text
    for marker in ('id="spec-journey-graph"', 'id="spec-blueprint"', "<li data-cell="):
        assert marker in html, marker
    for table in ("funnel-table", "handoff-table", "churn-path-table", "edge-table"):
        body = html.split(f'data-testid="{table}"', 1)[1].split("</table>", 1)[0]
        assert "<tbody>" in body and 'class="empty"' not in body, table
