"""The account timeline and survey answers through the API, on a real server over a real store:
order, paging, search and kinds; notes by the signed-in user; answers posted equal to the same
answers loaded from a file; idempotency; one JSON error shape; a CSM's book."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.web import create_app

from .conftest import LiveServer, ago, seed_small

ANSWERS: list[dict[str, Any]] = [
    {"response_id": "P-1", "account_id": "A-001", "contact_id": "C-1", "survey": "Pulse",
     "answered_at": ago(1).isoformat() + "Z", "kind": "nps", "score": 3,
     "comment": "Exports keep failing"},
    {"response_id": "P-2", "account_id": "A-001", "survey": "Support CSAT",
     "answered_at": ago(2).isoformat() + "Z", "kind": "csat", "score": 4},
    {"response_id": "P-3", "account_id": "A-003", "survey": "Effort",
     "answered_at": ago(3).isoformat() + "Z", "kind": "ces", "score": 6, "comment": "Hard"},
]  # fmt: skip
COLUMNS = "response_id, account_id, contact_id, survey, answered_at, kind, score, comment"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(create_app(seed_small(tmp_path_factory.mktemp("tl") / "s.duckdb")))
    live.start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def dana(server: LiveServer) -> Iterator[httpx.Client]:
    """A CSM (csm1): her book is A-001 and A-003."""
    _, _, token = server.add_user("dana", "csm", "csm1")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        yield c


def timeline(server: LiveServer, account: str = "A-001", **params: Any) -> dict[str, Any]:
    got = server.http.get(f"{server.url}/api/v1/accounts/{account}/timeline", params=params)
    assert got.status_code == 200, got.text
    answer: dict[str, Any] = got.json()
    return answer


def test_the_timeline_is_newest_first_across_functions_and_pages(server: LiveServer) -> None:
    # The server's health step may score the accounts meanwhile: health items aside here.
    every = timeline(server, page_size=1)["available_kinds"]
    kinds_ = ",".join(k for k in every if not k.startswith("health"))
    whole = timeline(server, page_size=200, kinds=kinds_)
    times = [i["at"] for i in whole["items"]]
    assert times == sorted(times, reverse=True) and whole["total"] == len(times) >= 10
    kinds = {i["kind"] for i in whole["items"]}
    assert {"touchpoint", "case_opened", "case_closed", "survey", "subscription_started"} <= kinds
    # Pages of 3 put together are the whole thread, in the same order, nothing twice.
    pages = [
        timeline(server, page=p, page_size=3, kinds=kinds_)
        for p in range(1, whole["total"] // 3 + 2)
    ]
    assert [i for p in pages for i in p["items"]] == whole["items"]
    assert {p["total"] for p in pages} == {whole["total"]}
    assert timeline(server, page=99, page_size=3, kinds=kinds_)["items"] == []
    # The case K-1 opened 3 days ago is above the touchpoint of 5 days ago.
    titles = [i["title"] for i in whole["items"]]
    assert titles.index("Case opened: Export fails (High priority)") < titles.index(
        "Email by Support: Failed, handed to Product"
    )


def test_search_and_kinds_narrow_the_timeline(server: LiveServer) -> None:
    found = timeline(server, q="EXPORT")  # any case, in the title
    assert [i["kind"] for i in found["items"]] == ["case_opened"] and found["total"] == 1
    by_detail = timeline(server, q="qbr")  # the touchpoint's note is its detail
    assert [i["kind"] for i in by_detail["items"]] == ["touchpoint"]
    by_actor = timeline(server, q="lovelace")  # who: the contact
    assert {i["kind"] for i in by_actor["items"]} == {"touchpoint", "survey"}
    only = timeline(server, kinds=["survey", "case_closed"])
    assert {i["kind"] for i in only["items"]} == {"survey", "case_closed"}
    assert timeline(server, kinds="survey,case_closed")["total"] == only["total"]
    refused = server.http.get(f"{server.url}/api/v1/accounts/A-001/timeline?kinds=gossip")
    assert refused.status_code == 422
    error = refused.json()["error"]
    assert error["code"] == "invalid_request" and "touchpoint" in error["message"]
    missing = server.http.get(f"{server.url}/api/v1/accounts/A-404/timeline")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"


def test_a_note_is_by_the_signed_in_user_and_on_the_timeline_at_once(
    server: LiveServer, dana: httpx.Client
) -> None:
    made = dana.post(
        "/api/v1/accounts/A-003/notes",
        json={"kind": "call", "subject": "Renewal", "body": "Spoke with their CFO: budget ok"},
    )
    assert made.status_code == 201, made.text
    note = made.json()
    assert note["author"] == "dana" and note["kind"] == "call"
    first = timeline(server, "A-003")["items"][0]
    assert first["kind"] == "call" and first["title"] == "Call: Renewal"
    assert first["actor"] == "dana" and "CFO" in first["detail"]
    # A meeting held earlier takes its place in time, not at the top.
    dana.post("/api/v1/accounts/A-003/notes", json={"kind": "meeting", "body": "Kick-off",
                                                    "at": "2024-01-05T10:00:00Z"})  # fmt: skip
    items = timeline(server, "A-003", page_size=200)["items"]
    meeting = next(i for i in items if i["kind"] == "meeting")
    assert meeting["at"] == "2024-01-05T10:00:00Z" and meeting["title"] == "Meeting: Kick-off"
    assert items.index(meeting) > items.index(first)
    # Rules broken are 422; a body not of the documented shape 400 (docs/api.md).
    for body, field, status in (
        ({"body": "   "}, "body", 422),
        ({"body": "x", "at": "2999-01-01T00:00:00Z"}, "at", 422),
        ({"body": "x", "kind": "gossip"}, "kind", 400),
    ):
        refused = dana.post("/api/v1/accounts/A-003/notes", json=body)
        assert refused.status_code == status, (body, refused.text)
        assert field in json.dumps(refused.json()["error"])


def test_a_csm_reads_and_writes_only_their_book(server: LiveServer, dana: httpx.Client) -> None:
    assert dana.get("/api/v1/accounts/A-001/timeline").status_code == 200
    other = dana.get("/api/v1/accounts/A-002/timeline")
    assert other.status_code == 404 and "Globex" not in other.text
    assert dana.post("/api/v1/accounts/A-002/notes", json={"body": "x"}).status_code == 404
    _, _, viewer = server.add_user("vic", "viewer")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {viewer}"}) as v:
        assert v.get("/api/v1/accounts/A-002/timeline").status_code == 200  # reads all
        assert v.post("/api/v1/accounts/A-002/notes", json={"body": "x"}).status_code == 403
        assert v.post("/api/v1/survey-responses", json=ANSWERS[0]).status_code == 403


def stored(cur: Any) -> list[tuple[Any, ...]]:
    rows: list[tuple[Any, ...]] = cur.execute(
        f"SELECT {COLUMNS} FROM survey_responses WHERE survey <> 'Q2 NPS' "
        "AND survey <> 'Onboarding' ORDER BY response_id"
    ).fetchall()
    return rows


def test_answers_posted_equal_the_same_answers_from_a_file(
    server: LiveServer, dana: httpx.Client, tmp_path: Path
) -> None:
    one = dana.post("/api/v1/survey-responses", json=ANSWERS[0])
    assert one.status_code == 200, one.text
    assert one.json()["inserted"] == 1 and one.json()["response_ids"] == ["P-1"]
    batch = dana.post("/api/v1/survey-responses", json=ANSWERS[1:])
    assert batch.status_code == 200 and batch.json()["inserted"] == 2
    # The same answers as a file, loaded into another store as `outsidein load` does.
    file = tmp_path / "answers.jsonl"
    file.write_text("".join(json.dumps(a) + "\n" for a in ANSWERS))
    other = seed_small(tmp_path / "other.duckdb")
    con = connect(other)
    try:
        assert load_file(con, "survey_responses", file).rows_inserted == 3
        from_file = stored(con)
    finally:
        con.close()
    cur = server.app.state.store.cursor()
    try:
        assert stored(cur) == from_file and len(from_file) == 3
    finally:
        cur.close()
    # The detractor is on the account's timeline at once, with its comment and contact.
    first = timeline(server, "A-001", kinds="survey")["items"][0]
    assert first["title"] == "NPS 3 (Detractor)" and first["actor"] == "Ada Lovelace"
    assert "Exports keep failing" in first["detail"]
    # And in My day's new detractors, for her book.
    day = dana.get("/api/v1/my-day").json()
    detractors = next(p for p in day["panels"] if p["name"] == "detractors")
    assert [i["account_id"] for i in detractors["items"]] == ["A-001"]
    assert "NPS 3" in detractors["items"][0]["headline"]


def test_answers_are_idempotent_on_their_response_id(server: LiveServer) -> None:
    with server.client() as admin:
        first = admin.post("/api/v1/survey-responses", json=[ANSWERS[0], ANSWERS[2]])
        again = admin.post("/api/v1/survey-responses", json=[ANSWERS[0], ANSWERS[2]])
        assert first.status_code == again.status_code == 200
        assert again.json()["already_loaded"] or again.json()["unchanged"] == 2
        changed = admin.post("/api/v1/survey-responses", json={**ANSWERS[2], "score": 2})
        assert changed.json()["updated"] == 1
    cur = server.app.state.store.cursor()
    try:
        rows = cur.execute(
            "SELECT response_id, score FROM survey_responses WHERE response_id IN ('P-1', 'P-3') "
            "ORDER BY 1"
        ).fetchall()
    finally:
        cur.close()
    assert rows == [("P-1", 3.0), ("P-3", 2.0)]


def test_bad_answers_are_refused_whole_naming_each_problem(
    server: LiveServer, dana: httpx.Client
) -> None:
    good = {**ANSWERS[1], "response_id": "P-9"}
    bad = [
        good,
        {**ANSWERS[0], "response_id": "P-10", "score": 11},
        {**ANSWERS[0], "response_id": "P-11", "answered_at": "yesterday"},
    ]
    refused = dana.post("/api/v1/survey-responses", json=bad)
    assert refused.status_code == 422, refused.text
    error = refused.json()["error"]
    assert set(error) == {"status", "code", "message", "details"} and error["status"] == 422
    assert error["code"] == "invalid_survey_responses"
    problems = {(p["index"], p["field"]) for p in error["details"]["problems"]}
    assert problems == {(1, "score"), (2, "answered_at")}
    assert "0 to 10" in error["message"]
    for body, field in (
        ({**good, "mood": "sunny"}, "mood"),
        ({**good, "kind": "outcome"}, "kind"),
        ({**good, "account_id": "A-404"}, "account_id"),
    ):
        answer = dana.post("/api/v1/survey-responses", json=body)
        assert answer.status_code == 422, (body, answer.text)
        assert answer.json()["error"]["details"]["problems"][0]["field"] == field
    cur = server.app.state.store.cursor()
    try:
        kept = cur.execute("SELECT count(*) FROM survey_responses WHERE response_id = 'P-9'")
        assert kept.fetchone() == (0,)  # nothing of a refused request is stored
    finally:
        cur.close()
    # Another book's account is "no such account" for a CSM.
    theirs = dana.post("/api/v1/survey-responses", json={**good, "account_id": "A-002"})
    assert theirs.status_code == 404
    empty = dana.post("/api/v1/survey-responses", json=[])
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_request"
