"""``/api/v1/segments`` and the segment pages on a real server, and the CLI on the store:
one count and one ARR everywhere (:func:`outsidein.segments.sizes`)."""

from __future__ import annotations

import csv
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli
from outsidein.display import money
from outsidein.expr import ExpressionError
from outsidein.segments import preview, sizes
from outsidein.store import connect
from outsidein.web import create_app
from tests.web.conftest import TODAY, LiveServer

AT_RISK = {"name": "At risk", "expression": "health < 50", "segment_id": "at-risk"}
PRO = {"name": "Pro tiers", "expression": 'custom.plan_tier in ("Pro", "Business")'}


@pytest.fixture(scope="module")
def server(company: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    store = tmp_path_factory.mktemp("web") / "store.duckdb"
    shutil.copy(company, store)
    live = LiveServer(create_app(store)).start()
    for body in (AT_RISK, PRO):
        assert live.http.post(live.url + "/api/v1/segments", json=body).status_code == 201
    deadline = time.monotonic() + 90
    while not all(
        s["accounts"] for s in live.http.get(live.url + "/api/v1/segments").json()["segments"]
    ):  # the pipeline's step computes membership after a save
        assert time.monotonic() < deadline, "the segments step did not run"
        time.sleep(0.2)
    yield live
    live.stop()


def test_save_list_show_and_version_through_the_api(server: LiveServer) -> None:
    with server.client("/api/v1") as api:
        listed = api.get("/segments").json()
        ids = [s["segment_id"] for s in listed["segments"]]
        assert ids == ["at-risk", "pro-tiers"]
        assert all(s["accounts"] > 0 and float(s["arr"]) > 0 for s in listed["segments"])
        again = api.post("/segments", json=AT_RISK)
        assert again.status_code == 409 and again.json()["error"]["code"] == "segment_exists"
        v2 = api.put("/segments/pro-tiers", json={"expression": 'custom.plan_tier = "Pro"'})
        assert v2.status_code == 200 and v2.json()["version"] == 2
        versions = api.get("/segments/pro-tiers/versions").json()
        assert [v["expression"] for v in versions] == [
            PRO["expression"],
            'custom.plan_tier = "Pro"',
        ]
        assert api.get("/segments/nope").status_code == 404
        fields = {f["name"]: f for f in api.get("/segments/fields").json()["fields"]}
        assert fields["custom.plan_tier"]["type"] == "text"
        assert fields["health"]["source"] == "health" and fields["segment"]["history"] is False


def test_a_bad_filter_is_a_422_naming_the_column_and_a_suggestion(server: LiveServer) -> None:
    with server.client("/api/v1") as api:
        bad = api.get("/segments/preview", params={"expression": 'segment = "x" and helth < 5'})
        assert bad.status_code == 422
        error = bad.json()["error"]
        assert error["code"] == "invalid_expression"
        assert error["details"]["position"] == 18 and error["details"]["suggestion"] == "`health`"
        saved = api.post("/segments", json={"name": "Broken", "expression": "health <"})
        assert saved.status_code == 422 and saved.json()["error"]["details"]["position"] == 8
        assert (
            api.get("/segments").json()["segments"][0]["segment_id"] == "at-risk"
        )  # nothing saved


def test_roles_and_a_csm_book(server: LiveServer) -> None:
    _, _, viewer = server.add_user("viewer1", "viewer")
    refused = server.http.post(
        server.url + "/api/v1/segments", json={"name": "x", "expression": "health < 1"},
        headers={"Authorization": f"Bearer {viewer}"},
    )  # fmt: skip
    assert refused.status_code == 403
    _, _, csm = server.add_user("dana", "csm", "csm1")
    mine = server.http.get(
        server.url + "/api/v1/segments/at-risk/members", headers={"Authorization": f"Bearer {csm}"}
    ).json()
    cur = server.app.state.store.cursor()
    try:
        owners = {
            r[0] for r in cur.execute(
                "SELECT DISTINCT csm_id FROM accounts WHERE account_id IN (SELECT unnest(?))",
                [mine["account_ids"]],
            ).fetchall()
        }  # fmt: skip
        assert owners == {"csm1"} and mine["total"] == sizes(cur, csm="csm1")["at-risk"].accounts
    finally:
        cur.close()


def test_page_and_api_show_the_python_figures(server: LiveServer) -> None:
    cur = server.app.state.store.cursor()
    try:
        want = sizes(cur)
        live = preview(cur, AT_RISK["expression"], TODAY)
    finally:
        cur.close()
    api = server.http.get(server.url + "/api/v1/segments").json()["segments"]
    for s in api:
        assert s["accounts"] == want[s["segment_id"]].accounts
        assert float(s["arr"]) == pytest.approx(want[s["segment_id"]].arr, abs=0.005)
    page = server.http.get(server.url + "/segments").text
    for sid, size in want.items():
        row = re.search(rf'data-segment="{sid}".*?</tr>', page, re.S)
        assert row is not None
        assert f'data-col="accounts">{size.accounts:,}<' in row.group()
        assert f'data-col="arr">{money(size.arr, "USD", cents=False)}<' in row.group()
    detail = server.http.get(server.url + "/segments/at-risk").text
    assert f'data-testid="accounts">{want["at-risk"].accounts:,} accounts<' in detail
    body = server.http.get(
        server.url + "/api/v1/segments/preview", params={"expression": AT_RISK["expression"]}
    ).json()
    assert body["accounts"] == live.count == want["at-risk"].accounts
    assert float(body["arr"]) == pytest.approx(live.arr, abs=0.005)


def test_export_csv_and_the_pages_answer(server: LiveServer) -> None:
    answer = server.http.get(server.url + "/api/v1/segments/at-risk/export")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(answer.text.splitlines()))
    assert len(rows) == len(server.http.get(
        server.url + "/api/v1/segments/at-risk/members").json()["account_ids"])  # fmt: skip
    assert {"account_id", "name", "health"} <= set(rows[0])
    for path in ("/segments", "/segments/new", "/segments/at-risk", "/segments/at-risk/edit",
                 "/segments/at-risk?days=30"):  # fmt: skip
        assert server.http.get(server.url + path).status_code == 200, path
    changes = server.http.get(server.url + "/api/v1/segments/at-risk/changes").json()
    assert changes["entered"] == sizes_now(server)["at-risk"]  # all entered at the first run


def sizes_now(server: LiveServer) -> dict[str, int]:
    cur = server.app.state.store.cursor()
    try:
        return {k: v.accounts for k, v in sizes(cur).items()}
    finally:
        cur.close()


def test_the_cli_shows_the_python_figures(company: Path, tmp_path: Path) -> None:
    store = tmp_path / "cli.duckdb"
    shutil.copy(company, store)
    runner = CliRunner()
    made = runner.invoke(cli, ["segments", "create", "At risk", "health < 50", "--db", str(store)])
    assert made.exit_code == 0, made.output
    bad = runner.invoke(cli, ["segments", "preview", "helth < 5", "--db", str(store)])
    assert isinstance(bad.exception, ExpressionError) and bad.exception.exit_code == 2
    assert "did you mean `health`" in bad.exception.message
    out = tmp_path / "list.csv"
    listed = runner.invoke(cli, ["segments", "list", "--out", str(out), "--db", str(store)])
    assert listed.exit_code == 0, listed.output
    with out.open(encoding="utf-8") as f:
        [row] = list(csv.DictReader(f))
    con = connect(store)
    try:
        want = sizes(con)["at-risk"]
    finally:
        con.close()
    assert int(row["accounts"]) == want.accounts > 0
    assert float(row["arr"]) == pytest.approx(want.arr, abs=0.005)
