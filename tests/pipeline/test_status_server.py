"""A step that really fails, in a real ``outsidein serve`` process: its error and count are in
``/api/v1/status`` and on the status page, pages that read its table carry a banner, and the
server's log holds one traceback for it, not one per retry.

The step is made to fail in the store itself: the snapshot's rollup table gets a CHECK that
refuses the usage of one user, so once that user's events arrive through the Segment API,
every refresh of the snapshot stops on DuckDB's constraint error (and nothing else does).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from outsidein.analytics import AnalyticsConfig, update_snapshot
from outsidein.store import connect
from tests.segment.conftest import SegmentServer
from tests.web.conftest import seed_small

pytestmark = pytest.mark.timeout(180)

ERROR = "CHECK constraint failed"
REFUSED = {"type": "track", "userId": "blocked", "event": "Used", "context": {"groupId": "A-001"}}


WIDER_THAN_SCREEN = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1
               && !e.closest('.card, .mainnav'))
  .map(e => e.tagName + '.' + e.className).slice(0, 10)"""


def steps(server: SegmentServer) -> dict[str, dict[str, Any]]:
    status = server.http.get(server.url + "/api/v1/status", timeout=10).json()
    return {step["name"]: step for step in status["pipeline"]}


def wait_for(server: SegmentServer, check: Any, what: str, timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = steps(server)
        if check(found):
            return found
        assert time.monotonic() < deadline, f"{what}: {found}"
        time.sleep(0.1)


@pytest.fixture
def failing(tmp_path: Path) -> Iterator[SegmentServer]:
    """A server whose snapshot step fails on every run once user "blocked" was seen."""
    config = tmp_path / "outsidein.toml"
    config.write_text("[analytics]\nsnapshot_refresh_seconds = 1\n")
    server = SegmentServer(tmp_path / "server", {"OUTSIDEIN_CONFIG": str(config)})
    seed_small(server.db)
    con = connect(server.db)
    update_snapshot(con, AnalyticsConfig())
    con.execute("CREATE TABLE kept AS FROM usage_user_days")
    con.execute("DROP TABLE usage_user_days")
    con.execute(
        "CREATE TABLE usage_user_days (account_id VARCHAR NOT NULL, "
        "user_id VARCHAR NOT NULL CHECK (user_id <> 'blocked'), activity_date DATE NOT NULL, "
        "events BIGINT NOT NULL)"
    )
    con.execute("INSERT INTO usage_user_days FROM kept")
    con.execute("DROP TABLE kept")
    con.close()
    server.start()
    assert server.post("/v1/track", REFUSED).status_code == 200
    try:
        yield server
    finally:
        server.kill()


def test_a_failing_step_shows_its_error_and_count_and_is_logged_once(
    failing: SegmentServer,
) -> None:
    found = wait_for(
        failing, lambda s: s["snapshot"]["consecutive_errors"] >= 3, "the snapshot did not fail"
    )
    snap = found["snapshot"]
    assert snap["state"] in ("failing", "running"), snap
    assert ERROR in snap["last_error"] and snap["last_error"].startswith("ConstraintException")
    assert snap["stale"] is True and snap["lag_seconds"] > 0
    assert snap["errors"] >= snap["consecutive_errors"] >= 3
    assert snap["inputs"] == ["events", "subscriptions", "accounts", "usage_daily"]
    assert snap["last_error_at"].endswith(("Z", "+00:00"))  # a zone, as date-time promises
    # The other steps ran and are fine; their order follows what they read and write.
    order = list(found)
    assert set(order) == {
        "segment_apply",
        "last_seen",
        "snapshot",
        "health",
        "tiers",
        "segments",
        "playbooks",
        "outbox",
        "clv",
        "predict",
    }
    assert order[0] == "segment_apply"  # it writes events and accounts the others read
    assert order.index("snapshot") < order.index("health")  # health reads the snapshot
    assert order.index("health") < order.index("segments")  # segments read health's scores
    assert order.index("health") < order.index("playbooks")  # playbooks read the scores
    assert order.index("clv") < order.index("health")  # health reads the CLV scores
    for name in ("segment_apply", "last_seen"):
        assert found[name]["runs"] >= 1 and found[name]["last_error"] is None, found[name]
        assert found[name]["last_started_at"] is not None

    # Sending events runs the applier again, then what reads `events`.
    runs = found["segment_apply"]["runs"]
    body = {
        "batch": [{"type": "track", "userId": "u", "event": "E", "context": {"groupId": "A-2"}}]
    }
    assert failing.post("/v1/batch", body).status_code == 200
    wait_for(failing, lambda s: s["segment_apply"]["runs"] > runs, "the applier did not run")

    html = {**failing.auth, "accept": "text/html"}
    with httpx.Client(base_url=failing.url, timeout=30, headers=html) as client:
        page = client.get("/status").text
        assert 'data-step="snapshot"' in page and ERROR in page
        assert "in a row" in page and 'data-step="segment_apply"' in page
        metrics = client.get("/metrics").text
        assert 'class="stale"' in metrics and 'data-step="snapshot"' in metrics
        assert "has failed" in metrics
        assert "Data on this page may be out of date" in metrics
        accounts = client.get("/accounts").text  # reads no snapshot: no banner for it
        assert "<h1>Accounts</h1>" in accounts and 'class="stale"' not in accounts

    count = steps(failing)["snapshot"]["consecutive_errors"]
    failing.stop()
    log = failing.log()
    assert log.count("step 'snapshot' failed") == 1, log
    assert log.count("Traceback") == 1, log
    assert log.count(ERROR) >= 2  # the traceback, and the count at shutdown
    (summary,) = [line for line in log.splitlines() if "still failing at shutdown" in line]
    failures = int(summary.split(": ")[1].split(" times")[0])
    assert failures >= count, summary


@pytest.mark.slow
@pytest.mark.browser
def test_the_status_page_in_a_browser_desktop_and_phone(
    failing: SegmentServer, page: object, tmp_path: Path
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    wait_for(failing, lambda s: s["snapshot"]["consecutive_errors"] >= 2, "no failure yet")
    failing.login(page)
    for width, height in ((1360, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(failing.url + "/status")
        expect(page.get_by_role("heading", level=1)).to_have_text("Status")
        expect(page.get_by_role("link", name="Status", exact=True)).to_have_attribute(
            "aria-current", "page"
        )
        table = page.get_by_role("table", name="Background steps")
        # segment_apply, last_seen, snapshot, health, tiers, segments, playbooks, outbox, clv
        expect(table.locator("tbody tr")).to_have_count(10)
        snap = table.locator('tr[data-step="snapshot"]')
        expect(snap).to_contain_text("failing")
        error = snap.get_by_test_id("last-error")
        expect(error).to_contain_text(ERROR)
        expect(error).to_be_visible()
        box = error.bounding_box()  # readable without scrolling sideways, on a phone too
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        expect(snap.get_by_test_id("errors")).to_contain_text("in a row")
        applier = table.locator('tr[data-step="segment_apply"]')
        expect(applier.get_by_test_id("last-run")).not_to_contain_text("not yet")
        expect(page.get_by_test_id("failing")).to_have_text("1")
        # The page itself never scrolls sideways; a wide table scrolls inside its card.
        wide = page.evaluate(WIDER_THAN_SCREEN)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, wide
        page.screenshot(path=str(tmp_path / f"status-{width}.png"), full_page=True)

        page.goto(failing.url + "/metrics")
        banner = page.locator("p.stale")
        expect(banner).to_contain_text("snapshot")
        expect(banner).to_contain_text("has failed")
        expect(banner.get_by_role("link", name="Status")).to_be_visible()
        box = banner.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box
        page.screenshot(path=str(tmp_path / f"metrics-{width}.png"))
