"""End to end on a real server: new data opens a task within 60 s, through the one pipeline.

Events sent with the Segment library reach the snapshot, then health, then the playbooks step
(a condition on active users); a detractor's answer stored as a load stores it (and announced
as the loads API does) opens a task carrying the answer."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from segment.analytics.client import Client as SegmentClient

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.ingest.segment import create_key
from outsidein.store import connect
from outsidein.tasks import list_tasks
from outsidein.web import create_app
from outsidein.web.background import pipeline_of
from tests.web.conftest import TODAY, LiveServer, insert

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
PROMISE_SECONDS = 60
CONFIG = """
[analytics]
snapshot_refresh_seconds = 1

[[playbooks.playbooks]]
name = "first-users"
trigger = { kind = "condition", expression = "active_users_28 >= 2" }
actions = [{ kind = "task", type = "lifecycle", title = "Welcome the new users" }]

[[playbooks.playbooks]]
name = "detractor"
trigger = { kind = "survey_answer", survey = "nps", at_most = 6 }
actions = [{ kind = "task", type = "risk", title = "Call back", priority = "high" },
           { kind = "touch", channel = "webhook", template = "detractor", to = "cs-alerts" }]
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str]]:
    folder = tmp_path_factory.mktemp("pbstep")
    con = connect(folder / "store.duckdb")
    key = create_key(con, "tests").secret
    insert(con, "accounts", [("A-1", "Acme", None, "Software", "smb", "NA", 10, "csm1",
                              datetime(2024, 1, 1))])  # fmt: skip
    build_snapshot(con, AnalyticsConfig(), TODAY)
    con.close()
    (folder / "outsidein.toml").write_text(CONFIG)
    server = LiveServer(create_app(folder / "store.duckdb",
                                   config_path=folder / "outsidein.toml")).start()  # fmt: skip
    yield server, key
    server.stop()


def _wait_for_task(server: LiveServer, playbook: str, since: float) -> tuple[Any, float]:
    while True:
        cur = server.app.state.store.cursor()
        try:
            found = list_tasks(cur, playbook=playbook).items
        finally:
            cur.close()
        waited = time.monotonic() - since
        if found:
            return found, waited
        assert waited < PROMISE_SECONDS, f"no {playbook} task after {waited:.0f} s"
        time.sleep(0.25)


def test_events_open_a_task_within_a_minute(served: tuple[LiveServer, str]) -> None:
    server, key = served
    errors: list[Any] = []
    client = SegmentClient(key, host=server.url, on_error=lambda e, b: errors.append(e),
                           max_retries=3)  # fmt: skip
    for user in ("u1", "u2"):
        client.group(user, "acme", {"name": "Acme Two"})
        client.track(user, "Report Viewed")
    client.flush()
    client.join()
    sent = time.monotonic()
    tasks, waited = _wait_for_task(server, "first-users", sent)
    assert errors == []
    assert [(t.account_id, t.title, t.reason) for t in tasks] == [
        ("acme", "Welcome the new users", "condition: active_users_28 >= 2")
    ]
    print(f"task opened {waited:.1f} s after the events were sent")


def test_a_detractor_answer_opens_a_task_within_a_minute(served: tuple[LiveServer, str]) -> None:
    server, _ = served
    now = datetime.now(UTC).replace(tzinfo=None)
    cur = server.app.state.store.cursor()
    try:  # what a load of the answer stores, and announces
        insert(cur, "survey_responses", [("R-9", "A-1", None, "NPS", now, "nps", 2.0, None, None,
                                          None, "Support never answers")])  # fmt: skip
    finally:
        cur.close()
    pipeline_of(server.app).mark("survey_responses")
    tasks, waited = _wait_for_task(server, "detractor", time.monotonic())
    [task] = tasks
    assert (task.account_id, task.reason, task.priority) == ("A-1", "nps answer R-9", "high")
    assert task.context["comment"] == "Support never answers" and task.context["score"] == 2.0
    cur = server.app.state.store.cursor()
    try:
        touches = cur.execute(
            "SELECT account_id, channel, template, recipient FROM touch_requests"
        ).fetchall()
    finally:
        cur.close()
    assert touches == [("A-1", "webhook", "detractor", "cs-alerts")]
    status = server.http.get(server.url + "/api/v1/status").json()
    steps = {s["name"]: s for s in status["pipeline"]}
    assert steps["playbooks"]["errors"] == 0 and steps["playbooks"]["runs"] > 0
    order = [s["name"] for s in status["pipeline"]]
    assert order.index("health") < order.index("playbooks")  # it reads the scores
    print(f"task opened {waited:.1f} s after the answer was stored")
