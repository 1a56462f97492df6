"""Playbooks, tasks and teams through the REST API of a real server: a playbook published
(its versions), run by the server's step, its tasks worked through their lifecycle, a CSM
limited to their book, roles on every write."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from outsidein.web import create_app
from tests.web.conftest import LiveServer, seed_small

pytestmark = pytest.mark.timeout(180)

BOOK = {
    "name": "check-in",
    "description": "every account, weekly",
    "trigger": {"kind": "schedule", "every_days": 7},
    "actions": [{"kind": "task", "title": "Weekly check-in", "type": "activity", "due_days": 2,
                 "steps": ["Look at usage", "Write a note"]}],
}  # fmt: skip


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = seed_small(tmp_path_factory.mktemp("pbapi") / "s.duckdb")
    live = LiveServer(create_app(store)).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def dana(server: LiveServer) -> Iterator[httpx.Client]:
    """A CSM (csm1): her book is A-001 and A-003."""
    _, _, token = server.add_user("dana", "csm", "csm1")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as client:  # fmt: skip
        yield client


def _wait_for_tasks(admin: httpx.Client, count: int) -> dict[str, object]:
    deadline = time.monotonic() + 60
    while True:
        found: dict[str, object] = admin.get("/api/v1/tasks", params={"status": "all"}).json()
        if found["total"] == count or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def test_publish_run_and_work_the_tasks(server: LiveServer, dana: httpx.Client) -> None:
    with server.client() as admin:
        assert admin.get("/api/v1/playbooks").json()["playbooks"] == []
        # Stored disabled first: the step, woken by the new version, must not fire it before
        # version 2 (under load it did, and the firings were version 1's).
        put = admin.put("/api/v1/playbooks/check-in", json={**BOOK, "enabled": False})
        assert put.status_code == 200, put.text
        assert [v["version"] for v in put.json()["versions"]] == [1]
        changed = admin.put("/api/v1/playbooks/check-in", json={**BOOK, "holdout": 0.0,
                                                                 "cooldown_days": 3})  # fmt: skip
        assert [v["version"] for v in changed.json()["versions"]] == [2, 1]
        wrong = admin.put("/api/v1/playbooks/other", json=BOOK)
        assert wrong.status_code == 422 and "the path 'other'" in wrong.json()["error"]["message"]
        typo = admin.put("/api/v1/playbooks/check-in", json={**BOOK, "where": "segmnt = 'x'"})
        assert typo.status_code == 422 and "did you mean `segment`" in typo.text  # a rule
        shape = admin.put("/api/v1/playbooks/check-in", json={**BOOK, "holdout": False})
        assert shape.status_code == 400  # the body's shape: false is not a number
        assert admin.post("/api/v1/playbook-runs").status_code == 202
        tasks = _wait_for_tasks(admin, 5)  # the five accounts of the small store
        assert tasks["total"] == 5, tasks
        listed = admin.get("/api/v1/playbooks").json()["playbooks"]
        assert [(p["name"], p["version"], p["open_tasks"]) for p in listed] == [("check-in", 2, 5)]
        firings = admin.get("/api/v1/playbooks/check-in/firings").json()
        assert firings["total"] == 5 and {f["playbook_version"] for f in firings["firings"]} == {2}

        # A CSM sees her book only, and works on it.
        mine = dana.get("/api/v1/tasks").json()
        assert sorted(t["account_id"] for t in mine["tasks"]) == ["A-001", "A-003"]
        assert dana.get("/api/v1/firings").json()["total"] == 2
        theirs = next(t for t in tasks["tasks"] if t["account_id"] == "A-002")  # type: ignore[union-attr]
        assert dana.get(f"/api/v1/tasks/{theirs['task_id']}").status_code == 404
        assert dana.post(f"/api/v1/tasks/{theirs['task_id']}/comments",
                         json={"body": "x"}).status_code == 404  # fmt: skip
        task = next(t for t in mine["tasks"] if t["account_id"] == "A-001")
        path = f"/api/v1/tasks/{task['task_id']}"
        assert task["steps"] == ["Look at usage", "Write a note"] and task["sla"] == "on_track"
        assert dana.post(path + "/assign", json={"assignee": "csm2"}).json()["assignee"] == "csm2"
        made = dana.post(path + "/comments", json={"body": "Called the champion"})
        assert made.status_code == 201 and made.json()["author"] == "dana"
        until = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        snoozed = dana.post(path + "/snooze", json={"until": until}).json()
        assert snoozed["snoozed"] is True
        assert task["task_id"] not in {t["task_id"] for t in admin.get("/api/v1/tasks").json()[
            "tasks"]}  # fmt: skip
        assert admin.get("/api/v1/tasks", params={"status": "snoozed"}).json()["total"] == 1
        too_far = dana.post(path + "/snooze", json={"until": "2099-01-01T00:00:00Z"})
        assert too_far.status_code == 422 and "within 90 days" in too_far.text
        bad = dana.post(path + "/complete", json={"outcome": "maybe"})
        assert bad.status_code in (400, 422)
        done = dana.post(path + "/complete", json={"outcome": "resolved", "note": "fixed"}).json()
        assert (done["status"], done["sla"], done["outcome"]) == ("done", "done", "resolved")
        assert done["comments"][0]["body"] == "Called the champion"
        again = dana.post(path + "/assign", json={"assignee": "csm1"})
        assert again.status_code == 422 and "is done" in again.text
        audit = admin.get("/api/v1/audit", params={"target": task["task_id"]}).json()
        assert {(e["action"], e["actor"]) for e in audit["entries"]} == {
            ("task.assign", "dana"), ("task.snooze", "dana"), ("task.comment", "dana"),
            ("task.complete", "dana"),
        }  # fmt: skip


def test_a_task_by_hand_and_teams(server: LiveServer, dana: httpx.Client) -> None:
    made = dana.post("/api/v1/tasks", json={"account_id": "A-003", "title": "Send the deck",
                                            "priority": "high"})  # fmt: skip
    assert made.status_code == 201, made.text
    assert made.json()["assignee"] == "csm1" and made.json()["reason"] == "by hand"
    refused = dana.post("/api/v1/tasks", json={"account_id": "A-002", "title": "x"})
    assert refused.status_code == 404
    assert dana.put("/api/v1/teams/East", json={"members": ["csm1"]}).status_code == 403
    assert dana.put("/api/v1/playbooks/check-in", json=BOOK).status_code == 403
    with server.client() as admin:
        team = admin.put("/api/v1/teams/East", json={"members": ["csm1", "csm2"], "lead": "boss"})
        assert team.status_code == 200 and team.json()["members"] == ["csm1", "csm2"]
        twice = admin.put("/api/v1/teams/West", json={"members": ["a", "a"]})
        assert twice.status_code == 422 and "listed twice" in twice.text
        assert [t["name"] for t in dana.get("/api/v1/teams").json()] == ["East"]
        assert admin.delete("/api/v1/teams/East").status_code == 204
        assert admin.get("/api/v1/teams/East").status_code == 404
        assert admin.delete("/api/v1/playbooks/check-in").status_code == 204
        assert admin.get("/api/v1/playbooks/check-in").status_code == 404
        assert admin.get("/api/v1/playbooks/check-in/firings").status_code == 404
        assert admin.get("/api/v1/firings", params={"playbook": "check-in"}).json()["total"] == 5
        gone = admin.get("/api/v1/playbooks/check-in", params={"include_removed": True}).json()
        assert gone["playbook"] is None and gone["versions"][0]["definition"] is None


def test_docs_name_every_route(server: LiveServer) -> None:
    doc = (Path(__file__).parents[2] / "docs" / "tasks.md").read_text() + (
        Path(__file__).parents[2] / "docs" / "playbooks.md"
    ).read_text()
    spec = server.http.get(server.url + "/openapi.json").json()
    for path in spec["paths"]:
        if path.startswith(
            ("/api/v1/tasks", "/api/v1/teams", "/api/v1/playbook", "/api/v1/firings")
        ):
            assert path.removeprefix("/api/v1") in doc, path
