"""``/api/v1/rejects`` and the Rejects pages on a real server over a store a real load filled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.web import create_app
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

from .conftest import LiveServer

SUB_HEADER = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]
ROWS = [
    ["s1", "a1", "growth", "10", "2024-01-01", "active"],
    ["s2", "a1", "growth", "10", "2024-01-01", "Live"],
    ["s3", "a2", "growth", "<script>alert(1)</script>", "2024-01-01", "Paused"],
    ["s4", "zz", "growth", "10", "2024-01-01", "active"],
]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, str, Path]]:
    folder = tmp_path_factory.mktemp("rejects")
    db = folder / "store.duckdb"
    con = connect(db)
    load_file(con, "accounts", write_csv(folder / "accounts.csv", ACCOUNT_HEADER, ACCOUNTS))
    subs = write_csv(folder / "subs.csv", SUB_HEADER, ROWS)
    result = load_file(con, "subscriptions", subs)
    assert result.rows_rejected == 3
    other = write_csv(folder / "other.csv", SUB_HEADER, [ROWS[1]])
    load_file(con, "subscriptions", other)
    con.close()
    server = LiveServer(create_app(db)).start()
    yield server, result.load_id, subs
    server.stop()


@pytest.fixture
def api(loaded: tuple[LiveServer, str, Path]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=loaded[0].url, timeout=30) as client:
        yield client


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and body["error"]["status"] == status
    return str(body["error"]["message"])


def test_list_groups_each_load_by_field_and_reason(
    api: httpx.Client, loaded: tuple[LiveServer, str, Path]
) -> None:
    load_id = loaded[1]
    body = api.get("/api/v1/rejects").json()
    assert body["total"] == 2 and body["page"] == 1
    newest, first = body["items"]
    assert newest["file"].endswith("other.csv") and first["load_id"] == load_id
    assert (first["rows_read"], first["rows_loaded"], first["rows_rejected"]) == (4, 1, 3)
    groups = {(g["column"], g["count"], g["example"], g["first_line"]) for g in first["groups"]}
    assert groups == {("status", 2, "Live", 3), ("mrr", 1, "<script>alert(1)</script>", 4),
                      ("account_id", 1, "zz", 5)}  # fmt: skip
    status = next(g for g in first["groups"] if g["column"] == "status")
    assert status["fix"].startswith("map the file's values onto these with --values status:")
    assert status["reason"] == status["problem"] + "; fix: " + status["fix"]

    page_two = api.get("/api/v1/rejects", params={"page_size": 1, "page": 2}).json()
    assert [i["load_id"] for i in page_two["items"]] == [load_id]
    by_file = api.get("/api/v1/rejects", params={"file": "subs.csv"}).json()
    assert [i["load_id"] for i in by_file["items"]] == [load_id]
    assert api.get("/api/v1/rejects", params={"kind": "cases"}).json()["total"] == 0
    assert "unknown kind 'nope'" in error(api.get("/api/v1/rejects?kind=nope"), 422)
    assert "page_size" in error(api.get("/api/v1/rejects?page_size=1000"), 400)


def test_one_load_line_by_line(api: httpx.Client, loaded: tuple[LiveServer, str, Path]) -> None:
    load_id = loaded[1]
    body = api.get(f"/api/v1/rejects/{load_id[:6]}", params={"page_size": 2}).json()
    assert body["load"]["load_id"] == load_id and body["total"] == 4
    assert [(r["line"], r["column"], r["value"]) for r in body["items"]] == [
        (3, "status", "Live"), (4, "mrr", "<script>alert(1)</script>")
    ]  # fmt: skip
    assert body["items"][0]["fix"] and body["items"][0]["problem"].startswith("not one of")
    more = api.get(f"/api/v1/rejects/{load_id}", params={"page_size": 2, "page": 2}).json()
    assert [r["line"] for r in more["items"]] == [4, 5]
    only = api.get(f"/api/v1/rejects/{load_id}", params={"column": "status"}).json()
    assert only["total"] == 2 and {r["column"] for r in only["items"]} == {"status"}
    assert "no load 'nope'" in error(api.get("/api/v1/rejects/nope"), 404)


def test_pages_show_the_fix_and_escape_the_data(
    api: httpx.Client, loaded: tuple[LiveServer, str, Path]
) -> None:
    load_id = loaded[1]
    html = {"Accept": "text/html"}
    listing = api.get("/rejects", headers=html)
    assert listing.status_code == 200
    assert "subs.csv" in listing.text and "other.csv" in listing.text
    assert "--values status:VALUE=trialing" in listing.text
    assert f'href="/rejects/{load_id}"' in listing.text
    page = api.get(f"/rejects/{load_id}", params={"field": "mrr"}, headers=html)
    assert page.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page.text and "<script>alert" not in page.text
    assert "Showing only" in page.text and "clean mrr in the export" in page.text
    assert 'data-testid="rows-rejected">3<' in page.text
    missing = api.get("/rejects/nope", headers=html)
    assert missing.status_code == 404 and "no load" in missing.text
    assert 'href="/rejects"' in api.get("/ingestion", headers=html).text


def test_clearing_a_load_and_a_file(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    con = connect(db)
    first = load_file(con, "subscriptions", write_csv(tmp_path / "a.csv", SUB_HEADER, ROWS))
    second = load_file(con, "subscriptions", write_csv(tmp_path / "b.csv", SUB_HEADER, ROWS[:2]))
    con.close()
    server = LiveServer(create_app(db)).start()
    try:
        with httpx.Client(base_url=server.url + "/api/v1", timeout=30) as api:
            cleared = api.delete(f"/rejects/{first.load_id}").json()
            assert cleared == {"load_ids": [first.load_id], "deleted": 5}
            assert "no rejects of" in error(api.delete("/rejects", params={"file": "a.csv"}), 404)
            by_file = api.delete("/rejects", params={"file": str(tmp_path / "b.csv")}).json()
            assert by_file == {"load_ids": [second.load_id], "deleted": 2}
            assert api.get("/rejects").json()["total"] == 0
            log = api.get(f"/rejects/{first.load_id}").json()["load"]
            assert log["rows_read"] == 4 and log["problems"] == 0  # the load log stays
    finally:
        server.stop()
