"""The closed loop end to end on a real server (issue #16's acceptance): a detractor answer
posted through the API opens a task within 60 s and a webhook reaches a real HTTP receiver on
127.0.0.1 with its idempotency key; the whole story is on the account's timeline, and the
overdue task on My day once it is late."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.store import connect
from outsidein.web import create_app
from tests.outbox.receivers import HttpReceiver
from tests.web.conftest import TODAY, LiveServer, insert

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
PROMISE_SECONDS = 60
CONFIG = """
[[playbooks.playbooks]]
name = "detractor"
trigger = { kind = "survey_answer", survey = "nps", at_most = 6 }
actions = [{ kind = "task", type = "risk", title = "Call the detractor back", priority = "high" },
           { kind = "touch", channel = "webhook", template = "risk_alert", to = "cs-alerts" }]
"""


@pytest.fixture(scope="module")
def loop(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveServer, HttpReceiver]]:
    folder = tmp_path_factory.mktemp("loop")
    con = connect(folder / "store.duckdb")
    insert(con, "accounts", [("A-1", "Acme", None, "Software", "smb", "NA", 10, "csm1",
                              datetime(2024, 1, 1))])  # fmt: skip
    build_snapshot(con, AnalyticsConfig(), TODAY)
    con.close()
    (folder / "outsidein.toml").write_text(CONFIG)
    with HttpReceiver() as receiver, pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTSIDEIN_OUTBOX_WEBHOOK_URL", receiver.url)
        app = create_app(folder / "store.duckdb", config_path=folder / "outsidein.toml")
        server = LiveServer(app).start()
        try:
            yield server, receiver
        finally:
            server.stop()


def test_a_detractor_answer_opens_a_task_sends_a_webhook_and_tells_the_story(
    loop: tuple[LiveServer, HttpReceiver],
) -> None:
    server, receiver = loop
    api = server.url + "/api/v1"
    answered = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    posted = server.http.post(
        api + "/survey-responses",
        json={
            "response_id": "R-77",
            "account_id": "A-1",
            "survey": "Quarterly NPS",
            "kind": "nps",
            "score": 3,
            "answered_at": answered.isoformat(),
            "comment": "Support never answers",
        },
    )
    assert posted.status_code == 200, posted.text
    sent = time.monotonic()
    while True:  # the task and the webhook, each within the minute
        tasks = server.http.get(api + "/tasks", params={"playbook": "detractor"}).json()
        if tasks["total"] and receiver.received:
            break
        assert time.monotonic() - sent < PROMISE_SECONDS, (tasks, receiver.tries)
        time.sleep(0.25)
    waited = time.monotonic() - sent
    (task,) = tasks["tasks"]
    assert (task["account_id"], task["reason"], task["priority"]) == ("A-1", "nps answer R-77",
                                                                      "high")  # fmt: skip
    (hook,) = receiver.received
    assert hook.headers["idempotency-key"].startswith("pb-")  # the receiver can drop a repeat
    assert "Acme" in hook.body["text"]
    # The story, in one thread: the answer, the firing, the task, the webhook.
    story = server.http.get(api + "/accounts/A-1/timeline").json()
    kinds = [item["kind"] for item in story["items"]]
    assert {"survey", "playbook_fired", "task_opened", "webhook"} <= set(kinds), kinds
    assert any("Support never answers" in (i["detail"] or "") + i["title"] for i in story["items"])
    # Late, the task is on the CSM's day (its due time moved back, as time would).
    cur = server.app.state.store.cursor()
    try:
        cur.execute(
            "UPDATE tasks SET due_at = now()::TIMESTAMP - INTERVAL 2 DAY WHERE task_id = ?",
            [task["task_id"]],
        )
    finally:
        cur.close()
    day = server.http.get(api + "/my-day", params={"csm": "csm1"}).json()
    panels = {p["name"]: p for p in day["panels"]}
    late = [i for i in panels["tasks"]["items"] if i["link"] == f"/tasks/{task['task_id']}"]
    assert late and "2 days late" in late[0]["headline"], panels["tasks"]
    print(f"task and webhook {waited:.1f} s after the answer was posted")
