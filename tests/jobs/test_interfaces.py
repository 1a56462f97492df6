"""One definition: the opportunity scores, trends and needs segments of the CLI, the API and
the pages are outsidein.jobs' own, on a small simulated company; the pages fit a phone and a
desktop and draw the landscape; needs segments are for managers (docs/jobs.md)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outsidein.analytics import update_snapshot
from outsidein.cli import app as cli
from outsidein.config import OutsideInConfig, load_config
from outsidein.health.service import score_now
from outsidein.ingest import load_directory
from outsidein.jobs.answers import waves
from outsidein.jobs.landscape import scores
from outsidein.jobs.landscape import trends as trends_of
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.web import create_app
from tests.web.conftest import TODAY, LiveServer

pytestmark = pytest.mark.slow
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1440, "height": 900}


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, OutsideInConfig]:
    folder = tmp_path_factory.mktemp("jobs-ui")
    simulate(folder / "company", accounts=300, months=12, seed=4, as_of=TODAY,
             events_per_user_day=0.02)  # fmt: skip
    settings = folder / "company" / "outsidein.toml"
    config = load_config(settings)
    store = folder / "store.duckdb"
    con = connect(store)
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    update_snapshot(con, config.analytics)
    score_now(con, config)
    con.close()
    return store, settings, config


@pytest.fixture(scope="module")
def cli_rows(company: tuple[Path, Path, OutsideInConfig], tmp_path_factory: Any) -> Any:
    store, settings, _ = company
    out = tmp_path_factory.mktemp("cli") / "scores.csv"
    args = ["--db", str(store), "--config", str(settings)]
    done = CliRunner().invoke(cli, ["jobs", "scores", "--out", str(out), *args])
    assert done.exit_code == 0, done.output
    shown = CliRunner().invoke(cli, ["jobs", "segments", *args])
    assert shown.exit_code == 0, shown.output
    assert "by the highest mean silhouette" in shown.output
    with out.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def server(company: tuple[Path, Path, OutsideInConfig], cli_rows: Any) -> Iterator[LiveServer]:
    store, settings, _ = company
    live = LiveServer(create_app(store, config_path=settings)).start()
    yield live
    live.stop()


def test_cli_api_and_python_agree(
    server: LiveServer, company: tuple[Path, Path, OutsideInConfig], cli_rows: Any
) -> None:
    _store, _, _ = company
    cur = server.app.state.store.cursor()
    try:
        mine = scores(cur)
    finally:
        cur.close()
    api = server.http.get(server.url + "/api/v1/jobs/opportunities").json()
    assert [s["outcome_id"] for s in api["scores"]] == [s.outcome_id for s in mine]
    assert [s["outcome_id"] for s in api["scores"]] == [r["outcome_id"] for r in cli_rows]
    for a, m, c in zip(api["scores"], mine, cli_rows, strict=True):
        assert a["opportunity"] == m.score.opportunity
        assert a["respondents"] == m.score.respondents == int(c["respondents"])
        assert float(c["opportunity"]) == round(a["opportunity"], 2)
        assert a["opportunity_ci"]["low"] <= a["opportunity"] <= a["opportunity_ci"]["high"]
    assert len(server.http.get(server.url + "/api/v1/jobs/surveys").json()) == 3
    trends = server.http.get(server.url + "/api/v1/jobs/trends").json()
    assert trends and trends[0]["significant"] is True
    cur = server.app.state.store.cursor()
    try:  # by tier and around a day: the package's answer, over HTTP
        mine_by = trends_of(cur, by="tier")
        day = waves(cur)[-1].first_answer.date()
        mine_around = trends_of(cur, around=day)
    finally:
        cur.close()
    by_tier = server.http.get(server.url + "/api/v1/jobs/trends", params={"by": "tier"}).json()
    assert [(t["group"], t["outcome_id"], t["satisfaction_change"]) for t in by_tier] == [
        (t.group, t.outcome_id, t.change.satisfaction) for t in mine_by
    ]
    around = server.http.get(server.url + "/api/v1/jobs/trends", params={"around": str(day)})
    assert [t["satisfaction_change"] for t in around.json()] == [
        t.change.satisfaction for t in mine_around
    ]
    early = server.http.get(server.url + "/api/v1/jobs/trends", params={"around": "2001-01-01"})
    assert early.status_code == 422 and "no outcome survey wave on both sides" in early.text
    segments = server.http.get(server.url + "/api/v1/jobs/segments").json()
    assert segments["k"] >= 2 and all(s["stability"] >= 0.6 for s in segments["segments"])
    assert sum(s["arr"] for s in segments["segments"]) > 0
    needs = server.http.get(server.url + "/api/v1/jobs/opportunities",
                            params={"by": "needs", "group": "0"}).json()  # fmt: skip
    assert needs["groups"] == [str(s["segment"]) for s in segments["segments"]]
    assert needs["scores"][0]["band"] in ("high", "extreme")
    catalog = server.http.get(server.url + "/api/v1/jobs/catalog").json()["jobs"]
    assert len(catalog) == 3 and catalog[0]["steps"][0]["outcomes"][0]["parts"]["direction"]
    bad = server.http.get(server.url + "/api/v1/jobs/opportunities", params={"survey": "nope"})
    assert bad.status_code == 422 and "no outcome survey is called 'nope'" in bad.text
    # which unmet outcomes cost revenue (checked against the truth in test_churn_link.py)
    link = server.http.get(server.url + "/api/v1/jobs/churn-link").json()
    assert len(link) == len(catalog_outcomes(server))
    assert any(x["churn_difference"] is not None for x in link)
    # the long-work jobs under /api/v1/jobs still answer, and theirs is not our DELETE
    assert server.http.delete(server.url + "/api/v1/jobs/catalog").status_code == 405
    assert server.http.get(server.url + "/api/v1/jobs").status_code == 200


def catalog_outcomes(server: LiveServer) -> list[str]:
    jobs = server.http.get(server.url + "/api/v1/jobs/catalog").json()["jobs"]
    return [o["id"] for j in jobs for s in j["steps"] for o in s["outcomes"]]


def test_csm_sees_their_book_and_no_segments(server: LiveServer) -> None:
    cur = server.app.state.store.cursor()
    try:
        csm = cur.execute(
            "SELECT a.csm_id FROM survey_responses r JOIN accounts a USING (account_id) "
            "WHERE r.kind = 'outcome' AND a.csm_id IS NOT NULL GROUP BY ALL ORDER BY count(*) "
            "DESC LIMIT 1"
        ).fetchone()[0]
        theirs = scores(cur, csm=csm)
    finally:
        cur.close()
    _, _, token = server.add_user("csm-jobs", "csm", csm)
    with server.client(headers={"Authorization": f"Bearer {token}"}) as c:
        mine = c.get("/api/v1/jobs/opportunities").json()["scores"]
        assert [s["respondents"] for s in mine] == [s.score.respondents for s in theirs]
        assert c.get("/api/v1/jobs/segments").status_code == 403


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_pages_fit_and_draw(server: LiveServer, page: Any, viewport: dict[str, int]) -> None:
    from playwright.sync_api import expect

    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size(viewport)
    server.login(page)
    api = server.http.get(server.url + "/api/v1/jobs/opportunities").json()
    for path in ("/outcomes", "/outcomes?by=needs&group=1", "/outcomes/segments"):
        response = page.goto(server.url + path)
        assert response is not None and response.status == 200, path
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"], path
    page.goto(server.url + "/outcomes")
    expect(page.get_by_test_id("chart-landscape")).to_have_attribute("data-rendered", "true")
    rows = page.locator("[data-testid=outcome-table] tbody tr")
    expect(rows).to_have_count(len(api["scores"]))
    top = api["scores"][0]
    first = rows.first
    assert first.get_attribute("data-outcome") == top["outcome_id"]
    assert (
        first.locator("[data-col=opportunity]").inner_text().startswith(f"{top['opportunity']:.1f}")
    )
    expect(page.get_by_test_id("trend-table")).to_be_visible()
    for role, name in [("combobox", "Split by"), ("combobox", "Survey"), ("button", "Show")]:
        control = page.get_by_role(role, name=name, exact=True).first
        control.scroll_into_view_if_needed()
        box = control.bounding_box()
        assert box is not None and box["x"] + box["width"] <= viewport["width"] + 0.5, name
    page.goto(server.url + "/outcomes/segments")
    expect(page.get_by_test_id("segment-table")).to_be_visible()
    assert problems == []
