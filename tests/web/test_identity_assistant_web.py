"""Issue 19 in the web app: the identity API and review page, and the mapping assistant.

One server for the module (a small store with a CRM and a billing system that know the same
customers). The pages are driven in headless Chromium: a suggested match confirmed and one
rejected on /identity (audited), and a file uploaded, its mapping edited and loaded on
/loads/assistant.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.web.app import create_app
from tests.ingest.helpers import write_csv

from .conftest import LiveServer

FIXTURES = Path(__file__).parents[1] / "ingest" / "fixtures" / "profiles"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("identity")
    con = connect(folder / "s.duckdb")
    crm = [["h1", "Acme Inc", "2024-01-01", "acme.example"],
           ["h2", "Globex GmbH", "2024-01-01", "globex.example"],
           ["h3", "Initech", "2024-01-01", "initech.example"],
           ["h4", "Umbrella", "2024-01-01", "umbrella.example"]]  # fmt: skip
    load_file(con, "accounts",
              write_csv(folder / "crm.csv", ["account_id", "name", "created_at", "domain"], crm),
              id_system="crm")  # fmt: skip
    billing = [["b1", "ACME, Inc.", "2024-02-01", "ap@acme.example"],
               ["b2", "Globex", "2024-02-01", "billing@globex.example"],
               ["b3", "Initech Limited", "2024-02-01", "x@initech.example"]]  # fmt: skip
    load_file(con, "accounts",
              write_csv(folder / "billing.csv", ["account_id", "name", "created_at", "email"],
                        billing),
              id_system="billing")  # fmt: skip
    header = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]
    subs = [["s1", "b1", "pro", "100", "2024-02-01", "active"]]
    load_file(con, "subscriptions", write_csv(folder / "subs.csv", header, subs))
    con.close()
    live = LiveServer(create_app(folder / "s.duckdb")).start()
    yield live
    live.stop()


def _db(server: LiveServer) -> duckdb.DuckDBPyConnection:
    return server.app.state.store.cursor()  # type: ignore[no-any-return]


def test_api_lists_links_and_undoes(server: LiveServer) -> None:
    found = server.http.get(f"{server.url}/api/v1/identity/duplicates").json()["items"]
    pairs = {(s["account_id"], s["other_id"], s["method"]) for s in found}
    assert ("h3", "b3", "domain") in pairs  # a name differs, the domain is the same
    done = server.http.post(
        f"{server.url}/api/v1/identity/links", json={"account_id": "h3", "other_id": "b3"}
    )
    assert done.status_code == 201, done.text
    assert done.json()["merged_id"] == "b3"
    same = server.http.post(
        f"{server.url}/api/v1/identity/links", json={"account_id": "h3", "other_id": "h3"}
    )
    assert same.status_code == 409 and same.json()["error"]["code"] == "identity_conflict"
    missing = server.http.delete(f"{server.url}/api/v1/identity/links/nope")
    assert missing.status_code == 404
    undone = server.http.delete(f"{server.url}/api/v1/identity/links/b3")
    assert undone.status_code == 200 and undone.json()["account_id"] == "h3"
    viewer = server.add_user("viewer1", "viewer")[2]
    refused = server.http.post(
        f"{server.url}/api/v1/identity/rejections",
        json={"account_id": "h3", "other_id": "b3"},
        headers={"Authorization": f"Bearer {viewer}"},
    )
    assert refused.status_code == 403


@pytest.mark.slow
@pytest.mark.browser
def test_review_page_confirms_and_rejects(server: LiveServer, page: Any) -> None:
    from playwright.sync_api import expect

    server.login(page)
    page.goto(f"{server.url}/identity")
    page.get_by_role("link", name="Identity", exact=True).first.wait_for()
    row = page.locator("tr[data-pair='h1|b1']")
    expect(row).to_be_visible()
    row.get_by_role("button", name="Confirm").click()
    expect(page.get_by_test_id("identity-done")).to_contain_text("Merged b1 into h1")
    expect(page.locator("tr[data-merged='b1']")).to_be_visible()
    page.locator("tr[data-pair='h2|b2']").get_by_role("button", name="Reject").click()
    expect(page.get_by_test_id("identity-done")).to_contain_text("different customers")
    expect(page.locator("tr[data-pair='h2|b2']")).to_have_count(0)
    cur = _db(server)
    try:
        assert cur.execute("SELECT account_id FROM subscriptions").fetchall() == [("h1",)]
        actions = cur.execute(
            "SELECT action, actor, target FROM audit_log WHERE action LIKE 'identity.%' "
            "AND target IN ('h1', 'h2') ORDER BY seq"
        ).fetchall()
        assert actions == [("identity.link", "admin", "h1"), ("identity.reject", "admin", "h2")]
    finally:
        cur.close()


@pytest.mark.slow
@pytest.mark.browser
def test_assistant_loads_a_file_end_to_end(server: LiveServer, page: Any, tmp_path: Path) -> None:
    """Upload a HubSpot contacts export, fix one target the assistant left, preview, load."""
    from playwright.sync_api import expect

    export = tmp_path / "contacts.csv"
    text = (FIXTURES / "hubspot-contacts.csv").read_text(encoding="utf-8")
    export.write_text(text.replace(",5001,", ",h1,").replace(",5002,", ",h2,").replace(
        ",5003,", ",h3,"), encoding="utf-8")  # fmt: skip
    problems: list[str] = []
    page.on("pageerror", lambda e: problems.append(str(e)))
    server.login(page)
    page.goto(f"{server.url}/loads/assistant")
    page.get_by_label("What the file holds").select_option("contacts")
    page.get_by_label("File", exact=True).set_input_files(str(export))
    page.get_by_role("button", name="Upload and inspect").click()
    expect(page.get_by_role("heading", name="contacts.csv")).to_be_visible()
    expect(page.get_by_label("Target of associatedcompanyid")).to_have_value("account_id")
    expect(page.get_by_label("Target of hs_object_id")).to_have_value("contact_id")
    expect(page.get_by_test_id("preview-counts")).to_contain_text("3 would load")
    # The person maps the first name to the name (the assistant leaves it to them).
    page.get_by_label("Target of firstname").select_option("name")
    page.get_by_role("button", name="Preview again").click()
    expect(page.get_by_label("Target of firstname")).to_have_value("name")
    page.get_by_role("button", name="Load", exact=True).click()
    expect(page.get_by_test_id("load-counts")).to_contain_text("3 new")
    assert problems == []
    cur = _db(server)
    try:
        rows = cur.execute(
            "SELECT contact_id, account_id, name FROM contacts ORDER BY 1"
        ).fetchall()
        assert rows == [("901", "h1", "Jo"), ("902", "h2", "Li"), ("903", "h3", "Sam")]
    finally:
        cur.close()


def test_assistant_refuses_an_unknown_kind_and_a_bad_upload_id(server: LiveServer) -> None:
    answer = server.http.post(
        f"{server.url}/loads/assistant/upload?kind=nope&filename=x.csv", content=b"a\n1\n"
    )
    assert answer.status_code == 400 and "unknown kind" in answer.json()["error"]
    assert server.http.get(f"{server.url}/loads/assistant/not-an-id").status_code == 404
