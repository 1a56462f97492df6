"""Success plans with a real server over a simulated company (docs/plans.md): a plan agreed
through the API on a simulated account shows the right progress and status in the API and on
the pages as new answers arrive; the planted plans' statuses agree with the simulator's
truth; the CLI reads what the API reads; a CSM sees only their book."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outsidein.analytics import update_snapshot
from outsidein.cli import app as cli
from outsidein.config import load_config
from outsidein.ingest import load_directory
from outsidein.plans.planted import plant
from outsidein.sim import simulate
from outsidein.sim.success_plans import PLANS_FILE
from outsidein.store import connect
from outsidein.store.owner import ServerRecord, remove_record
from outsidein.web import create_app

from .conftest import NOW, TODAY, LiveServer

pytestmark = pytest.mark.slow
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("plans-web")
    simulate(folder / "company", accounts=300, months=12, seed=4, as_of=TODAY,
             events_per_user_day=0.02)  # fmt: skip
    store = folder / "store.duckdb"
    con = connect(store)
    load_directory(con, folder / "company")
    update_snapshot(con, load_config(folder / "company" / "outsidein.toml").analytics)
    assert plant(con, folder / "company" / PLANS_FILE) >= 8
    con.close()
    return store, folder / "company"


@pytest.fixture(scope="module")
def server(company: tuple[Path, Path]) -> Iterator[LiveServer]:
    store, data = company
    app = create_app(store, config_path=data / "outsidein.toml")
    # as `outsidein serve` records itself: it takes files (answers arrive as a file below)
    live = LiveServer(app)
    port = int(live.url.rsplit(":", 1)[1])
    app.state.owner = ServerRecord.starting(store, "127.0.0.1", port, 1 << 20)
    app.state.owner.write()  # the CLI finds the server beside the store and asks it
    live.start()
    yield live
    live.stop()
    remove_record(app.state.owner)


def _quiet_account(server: LiveServer) -> tuple[str, str, str]:
    """A simulated customer with no outcome answers yet, its CSM, and an outcome."""
    cur = server.app.state.store.cursor()
    try:
        account, csm = cur.execute(
            "SELECT account_id, csm_id FROM accounts WHERE account_id NOT IN "
            "(SELECT account_id FROM survey_responses WHERE kind = 'outcome') "
            "AND account_id IN (SELECT account_id FROM subscriptions) ORDER BY 1 LIMIT 1"
        ).fetchall()[0]
        outcome = cur.execute("SELECT min(outcome_id) FROM outcomes").fetchall()[0][0]
    finally:
        cur.close()
    return account, csm, outcome


def _answers(server: LiveServer, account: str, outcome: str, survey: str, sats: list[int],
             hours_ago: float) -> None:  # fmt: skip
    """Outcome answers arriving as a file through the upload API (as `outsidein load` does)."""
    at = (NOW - timedelta(hours=hours_ago)).isoformat()
    lines = ["response_id,account_id,contact_id,survey,answered_at,kind,outcome_id,importance,"
             "satisfaction"] + [
        f"{survey}-{i},{account},{survey}-c{i},{survey},{at},outcome,{outcome},5,{s}"
        for i, s in enumerate(sats)
    ]  # fmt: skip
    answer = server.http.post(
        f"{server.url}/api/v1/loads/survey_responses",
        params={"filename": f"{survey}.csv"}, content="\n".join(lines).encode(),
        headers={"X-Outsidein-Token": server.app.state.owner.token},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert answer.json()["rows_inserted"] == len(sats)


def _row(page: Any, plan_id: str) -> dict[str, str]:
    row = page.locator(f"tr[data-plan='{plan_id}']")
    return {
        "status": row.get_attribute("data-status") or "",
        "value": row.locator("[data-col=value]").inner_text(),
        "progress": row.locator("[data-col=progress]").inner_text(),
    }


def test_a_plan_follows_new_answers_in_the_api_and_the_pages(server: LiveServer, page: Any) -> None:
    account, _, outcome = _quiet_account(server)
    body = {
        "account_id": account, "title": "Confirm quotes faster", "outcome_id": outcome,
        "measure_kind": "satisfaction", "measure": outcome, "unit": "satisfaction (0-10)",
        "baseline": 2.0, "target": 8.0, "start_date": str(TODAY - timedelta(days=50)),
        "due_date": str(TODAY + timedelta(days=50)), "owner": "csm-lead",
        "milestones": [{"title": "Half satisfied", "due_date": str(TODAY + timedelta(days=10)),
                        "target": 5.0}],
    }  # fmt: skip
    made = server.http.post(f"{server.url}/api/v1/plans", json=body)
    assert made.status_code == 201, made.text
    plan_id = made.json()["plan_id"]
    assert made.json()["status"] == "no_data" and made.json()["expected"] == pytest.approx(0.5)

    # First answers: 1 of 4 satisfied (rates 4-5): 2.5; progress 0.5 / 6 against the line 0.5.
    _answers(server, account, outcome, "plan-wave-1", [4, 2, 1, 3], hours_ago=0.05)
    first = server.http.get(f"{server.url}/api/v1/plans/{plan_id}").json()
    assert first["value"] == pytest.approx(2.5)
    assert first["progress"] == pytest.approx(0.5 / 6) and first["status"] == "off_track"
    assert [m["reached"] for m in first["milestones"]] == [False]
    server.login(page)
    for viewport in (PHONE, DESKTOP):
        page.set_viewport_size(viewport)
        page.goto(f"{server.url}/plans")
        assert _row(page, plan_id) == {"status": "off_track", "value": "2.5",
                                       "progress": "8 %\nline 50 %"}  # fmt: skip
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    # Off track first on the list.
    assert page.locator("tr[data-plan]").first.get_attribute("data-status") == "off_track"

    # A later wave: 3 of 4 satisfied: 7.5, progress 5.5 / 6 = 92 %: on track, milestone met.
    _answers(server, account, outcome, "plan-wave-2", [5, 4, 5, 1], hours_ago=0.02)
    second = server.http.get(f"{server.url}/api/v1/plans/{plan_id}").json()
    assert second["value"] == pytest.approx(7.5)
    assert second["progress"] == pytest.approx(5.5 / 6) and second["status"] == "on_track"
    assert [m["reached"] for m in second["milestones"]] == [True]
    page.goto(f"{server.url}/accounts/{account}#plans")
    assert _row(page, plan_id) == {"status": "on_track", "value": "7.5",
                                   "progress": "92 %\nline 50 %"}  # fmt: skip
    assert "5.5 satisfaction (0-10)" in page.get_by_test_id("value-realised").inner_text()
    summary = server.http.get(f"{server.url}/api/v1/plans/accounts/{account}").json()
    assert summary["realised"] == [{"unit": "satisfaction (0-10)", "value": 5.5}]
    # As of the day before the answers, there was nothing to measure.
    before = (NOW - timedelta(hours=0.05)).date() - timedelta(days=1)
    past = server.http.get(f"{server.url}/api/v1/plans/{plan_id}",
                           params={"as_of": str(before)}).json()  # fmt: skip
    assert past["status"] == "no_data"


def test_the_planted_plans_agree_with_the_truth(
    server: LiveServer, company: tuple[Path, Path]
) -> None:
    truth = json.loads((company[1] / "ground_truth" / "success_plans.json").read_text())
    plans = server.http.get(f"{server.url}/api/v1/plans").json()["plans"]
    planted = [p for p in plans if p["plan_id"] in truth]
    achievable = [p["status"] for p in planted if truth[p["plan_id"]]["truth"] == "achieved"]
    stretch = [p["status"] for p in planted if truth[p["plan_id"]]["truth"] == "behind"]
    assert len(achievable) >= 6 and stretch
    met = sum(s == "achieved" for s in achievable) / len(achievable)
    assert met >= 0.7, achievable
    # Few stretch plans on 300 accounts, and active users follow seats loosely at this usage:
    # behind more often than the achievable ones, at least one at risk or off track.
    assert sum(s == "achieved" for s in stretch) / len(stretch) < met, stretch
    assert any(s in ("at_risk", "off_track") for s in stretch), stretch


def test_cli_reads_what_the_api_reads_and_a_csm_sees_their_book(server: LiveServer) -> None:
    everyone = server.http.get(f"{server.url}/api/v1/plans").json()
    shown = CliRunner().invoke(
        cli, ["plans", "list", "--db", str(server.app.state.db_path)],
        env={"COLUMNS": "250"},
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    counts = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in everyone["counts"].items() if v)
    assert f"{len(everyone['plans'])} plans on {everyone['as_of']}: {counts}" in shown.output
    one = everyone["plans"][0]
    cur = server.app.state.store.cursor()
    try:
        csm = cur.execute("SELECT csm_id FROM accounts WHERE account_id = ?",
                          [one["account_id"]]).fetchall()[0][0]  # fmt: skip
        theirs = {r[0] for r in cur.execute(
            "SELECT plan_id FROM success_plans JOIN accounts USING (account_id) "
            "WHERE csm_id = ?", [csm]).fetchall()}  # fmt: skip
    finally:
        cur.close()
    _, _, token = server.add_user("plan-csm", "csm", csm)
    with server.client(headers={"Authorization": f"Bearer {token}"}) as mine:
        seen = {p["plan_id"] for p in mine.get("/api/v1/plans").json()["plans"]}
        assert seen == theirs
        others = [p for p in everyone["plans"] if p["plan_id"] not in theirs]
        if others:
            assert mine.get(f"/api/v1/plans/{others[0]['plan_id']}").status_code == 404
        bad = mine.post("/api/v1/plans", json={
            "account_id": one["account_id"], "title": "x", "measure_kind": "metric",
            "measure": "no_such_metric", "baseline": 1, "target": 2,
            "start_date": str(TODAY), "due_date": str(TODAY + timedelta(days=9))})  # fmt: skip
        assert bad.status_code == 422 and "no_such_metric" in bad.json()["error"]["message"]


def test_the_link_to_the_business_shows_churn_expansion_and_health(
    server: LiveServer, page: Any
) -> None:
    links = server.http.get(f"{server.url}/api/v1/jobs/churn-link").json()
    measured = [x for x in links if x["expansion_difference"] is not None]
    assert measured, links
    for x in measured:
        ci = x["expansion_difference_ci"]
        assert ci["low"] <= x["expansion_difference"] <= ci["high"]
        assert x["expansion_difference"] == pytest.approx(
            x["expansion_unsatisfied"] - x["expansion_satisfied"]
        )
    server.login(page)
    page.goto(f"{server.url}/outcomes")
    first = measured[0]
    row = page.get_by_test_id("business-table").locator(f"tr[data-outcome='{first['outcome_id']}']")
    shown = row.locator("[data-col=expansion]").inner_text()
    assert shown.startswith(f"{first['expansion_difference'] * 100:+.0f} pts"), shown
    assert "not effects" in page.locator("#business").locator("..").inner_text()
