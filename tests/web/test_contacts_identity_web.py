"""Issue 19, item 3 for contacts, in the web app: the API, the review page and the upload API.

One server for the module: a CRM's contacts and a support tool's users that are the same
people under other ids (no key declared when they were loaded), with a ticket on one of
them. The API lists, links, undoes and refuses; the review page confirms one pair and
rejects another in headless Chromium; the upload API takes the declared key
(``link_key = "email"``) in its ``transforms``, as ``outsidein load`` sends it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.store.owner import ServerRecord
from outsidein.web.app import create_app
from tests.ingest.helpers import write_csv

from .conftest import LiveServer

API = "/api/v1/identity/contacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("contacts")
    con = connect(folder / "s.duckdb")
    accounts = [["a1", "Acme", "2024-01-01"], ["a2", "Globex", "2024-01-01"]]
    names = ["account_id", "name", "created_at"]
    load_file(con, "accounts", write_csv(folder / "a.csv", names, accounts))
    header = ["contact_id", "account_id", "name", "email"]
    crm = [["c1", "a1", "Jo Park", "jo@acme.example"], ["c2", "a1", "Max Roe", "max@acme.example"],
           ["c3", "a2", "Li Meyer", "li@globex.example"]]  # fmt: skip
    load_file(con, "contacts", write_csv(folder / "crm.csv", header, crm), id_system="crm")
    support = [["z1", "a1", "Jo Park", "JO@acme.example"],
               ["z2", "a1", "Max Roe", "mr@acme.example"],
               ["z3", "a2", "Li Meyer", "li@globex.example"]]  # fmt: skip
    load_file(con, "contacts", write_csv(folder / "zd.csv", header, support), id_system="zendesk")
    cases = [["k1", "a1", "z1", "2024-06-01T10:00:00", "high", "open"]]
    load_file(con, "cases",
              write_csv(folder / "cases.csv", ["case_id", "account_id", "contact_id", "opened_at",
                                               "priority", "status"], cases))  # fmt: skip
    con.close()
    app = create_app(folder / "s.duckdb")
    app.state.owner = ServerRecord.starting(folder / "s.duckdb", "127.0.0.1", 0, 1 << 20)
    live = LiveServer(app).start()
    yield live
    live.stop()


def _db(server: LiveServer) -> duckdb.DuckDBPyConnection:
    return server.app.state.store.cursor()  # type: ignore[no-any-return]


def test_api_lists_links_undoes_and_refuses(server: LiveServer) -> None:
    found = server.http.get(f"{server.url}{API}/duplicates").json()["items"]
    pairs = {(s["contact_id"], s["other_id"], s["method"]) for s in found}
    assert {("c1", "z1", "email"), ("c2", "z2", "name+domain"), ("c3", "z3", "email")} <= pairs
    done = server.http.post(f"{server.url}{API}/links", json={"contact_id": "c3", "other_id": "z3"})
    assert done.status_code == 201, done.text
    assert done.json()["merged_id"] == "z3"
    same = server.http.post(f"{server.url}{API}/links", json={"contact_id": "c3", "other_id": "c3"})
    assert same.status_code == 409 and same.json()["error"]["code"] == "identity_conflict"
    assert server.http.delete(f"{server.url}{API}/links/nope").status_code == 404
    undone = server.http.delete(f"{server.url}{API}/links/z3")
    assert undone.status_code == 200 and undone.json()["contact_id"] == "c3"
    gone = server.http.delete(f"{server.url}{API}/external-ids/zendesk/z3")
    assert gone.status_code == 200 and gone.json()["contact_id"] == "z3"
    viewer = server.add_user("viewer1", "viewer")[2]
    refused = server.http.post(
        f"{server.url}{API}/rejections",
        json={"contact_id": "c3", "other_id": "z3"},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert refused.status_code == 403


@pytest.mark.slow
@pytest.mark.browser
def test_review_page_confirms_and_rejects_contacts(server: LiveServer, page: Any) -> None:
    from playwright.sync_api import expect

    server.login(page)
    page.goto(f"{server.url}/identity")
    row = page.locator("tr[data-contact-pair='c1|z1']")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("identity-done")).to_contain_text("Merged contact z1 into c1")
    expect(page.locator("tr[data-merged-contact='z1']")).to_be_visible()
    page.locator("tr[data-contact-pair='c2|z2']").get_by_role("button", name="Reject").click()
    expect(page.get_by_test_id("identity-done")).to_contain_text("different people")
    expect(page.locator("tr[data-contact-pair='c2|z2']")).to_have_count(0)
    cur = _db(server)
    try:
        assert cur.execute("SELECT contact_id FROM cases").fetchall() == [("c1",)]
        actions = cur.execute(
            "SELECT action, actor, target FROM audit_log WHERE action LIKE 'contact.%' "
            "AND target IN ('c1', 'c2') ORDER BY seq"
        ).fetchall()
        assert actions == [("contact.link", "admin", "c1"), ("contact.reject", "admin", "c2")]
    finally:
        cur.close()


def test_upload_api_takes_the_declared_key_in_its_transforms(
    server: LiveServer, tmp_path: Path
) -> None:
    """What ``outsidein load contacts FILE --link-key email`` sends to a running server."""
    body = (
        "id,organization_id,name,email\n777,a1,Max Roe,MAX@acme.example\n"
        "888,a2,New One,n@globex.example\n"
    )
    owner = server.app.state.owner
    answer = server.http.post(
        f"{server.url}/api/v1/loads/contacts",
        params={
            "filename": "users.csv",
            "id_system": "survey",
            "map": ["id=contact_id", "organization_id=account_id"],
            "transforms": json.dumps({"link_key": "email"}),
        },
        content=body.encode(),
        headers={"X-Outsidein-Token": owner.token},
    )
    assert answer.status_code == 200, answer.text
    assert (answer.json()["rows_inserted"], answer.json()["rows_updated"]) == (1, 1)
    cur = _db(server)
    try:
        ids = cur.execute(
            "SELECT external_id, contact_id FROM contact_external_ids WHERE system = 'survey' "
            "ORDER BY 1"
        ).fetchall()
        assert ids == [("777", "c2"), ("888", "888")]
    finally:
        cur.close()
