"""Predictions through every interface: the page, the API, the CLI and the package agree;
training is a job; the publish guard answers 409 with both figures; the report is served
offline; the account page tells the drivers in words; the page fits a phone and a desktop.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from outsidein.predict import report, scores, versions
from outsidein.store import connect
from outsidein.web import create_app

from ..predict.trained import config_file, predict_world
from .conftest import LiveServer
from .jobs import finished

pytestmark = pytest.mark.slow  # one trained company (~60 s to build on a quiet machine)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    store, _ = predict_world(tmp_path_factory, "predict-web")
    return store, config_file(tmp_path_factory)


@pytest.fixture(scope="module")
def server(world: tuple[Path, Path]) -> Iterator[LiveServer]:
    store, config = world
    live = LiveServer(create_app(store, config_path=config)).start()
    live.settle()
    yield live
    live.stop()


def _package(server: LiveServer) -> scores.Summary:
    cur = server.app.state.store.cursor()
    try:
        return scores.summary(cur)
    finally:
        cur.close()


def test_page_api_and_package_agree(server: LiveServer) -> None:
    found = _package(server)
    assert found.accounts > 200
    api = server.http.get(server.url + "/api/v1/predict/summary").json()
    assert api["accounts"] == found.accounts
    assert api["expected_churn_arr"] == pytest.approx(found.expected_churn_arr)
    assert [b["accounts"] for b in api["risk_bands"]] == [b["accounts"] for b in found.risk_bands]
    page = server.http.get(server.url + "/predictions").text
    assert f">{found.accounts:,} accounts<" in page
    assert f"${found.expected_churn_arr:,.0f}" in page
    for band in found.risk_bands:
        row = re.search(
            rf'data-band="{re.escape(band["band"])}".*?data-col="accounts">([\d,]+)<', page, re.S
        )
        assert row and int(row[1].replace(",", "")) == band["accounts"]
    for month in found.arr_at_risk_by_month[:3]:
        assert f'data-month="{month["month"]}"' in page
    top = scores.latest(server.app.state.store.cursor(), "churn", limit=1)[0]
    listed = server.http.get(server.url + "/api/v1/predict/accounts?limit=1").json()
    assert listed[0]["account_id"] == top["account_id"]
    assert listed[0]["probability"] == pytest.approx(top["probability"])
    assert 'data-testid="report-link"' in page


def test_the_account_page_tells_the_drivers(server: LiveServer) -> None:
    top = server.http.get(server.url + "/api/v1/predict/accounts?limit=1").json()[0]
    one = server.http.get(server.url + f"/api/v1/predict/accounts/{top['account_id']}").json()
    churn = one["targets"]["churn"]
    assert churn["probability"] == pytest.approx(top["probability"])
    assert "expansion" in one["targets"] and one["trend"]
    page = server.http.get(server.url + f"/accounts/{top['account_id']}").text
    assert 'data-testid="predict-card"' in page
    assert f"{round(100 * churn['probability'], 1)} %" in page
    for driver in churn["drivers"]:
        assert driver["words"].replace("'", "&#39;") in page
    assert server.http.get(server.url + "/api/v1/predict/accounts/NOPE").status_code == 404


def test_the_report_is_served_offline(server: LiveServer) -> None:
    models = server.http.get(server.url + "/api/v1/predict/models").json()
    churn = next(m for m in models if m["target"] == "churn" and m["published"])
    answer = server.http.get(server.url + churn["report_url"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    assert answer.headers["content-security-policy"] == report.CSP
    assert f"{churn['auc']:.3f}" in answer.text and "<script" not in answer.text
    page = server.http.get(server.url + "/predictions/report")
    assert page.status_code == 200 and page.text == answer.text
    assert server.http.get(server.url + "/api/v1/predict/models/999999/report").status_code == 404


def test_training_is_a_job_and_the_guard_answers_409(server: LiveServer) -> None:
    headers = server.auth
    body = {"target": "churn", "observations": 8, "folds": 1}
    job = finished(
        server.http.post(server.url + "/api/v1/predict/train", json=body),
        server.url,
        300,
        headers=headers,
    )
    assert job["status"] == "done", job
    result = job["result"]
    models = {
        m["version"]: m for m in server.http.get(server.url + "/api/v1/predict/models").json()
    }
    new = models[result["version"]]
    was = (
        next(
            m
            for m in models.values()
            if m["target"] == "churn" and m["published"] and m["version"] != new["version"]
        )
        if not result["published"]
        else None
    )
    if was is not None:  # refused: the job's result says why, with both figures
        assert f"{new['auc']:.3f}" in result["refused"] and f"{was['auc']:.3f}" in result["refused"]
        worse, better = new, was
    else:
        better = new
        worse = min((m for m in models.values() if m["target"] == "churn"), key=lambda m: m["auc"])
    url = server.url + "/api/v1/predict/models/{}/publish"
    assert server.http.post(url.format(better["version"]), json={"force": True}).status_code == 200
    refused = server.http.post(url.format(worse["version"]), json={})
    assert refused.status_code == 409, refused.text
    message = refused.json()["error"]["message"]
    assert f"{worse['auc']:.3f}" in message and f"{better['auc']:.3f}" in message
    forced = server.http.post(url.format(worse["version"]), json={"force": True}).json()
    assert forced["published"] and forced["forced"]
    server.http.post(url.format(better["version"]), json={"force": True})


def test_a_training_job_can_be_cancelled(server: LiveServer) -> None:
    body = {"target": "expansion", "observations": 12, "folds": 2}
    job = server.http.post(server.url + "/api/v1/predict/train", json=body).json()
    server.http.post(server.url + f"/api/v1/jobs/{job['id']}/cancel")
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, job
        time.sleep(0.1)
        job = server.http.get(server.url + job["url"]).json()
    assert job["status"] == "cancelled", job
    models = server.http.get(server.url + "/api/v1/predict/models?target=expansion").json()
    assert len(models) == 1  # nothing stored


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1440])
def test_the_page_fits_the_screen(server: LiveServer, page: Any, width: int) -> None:
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.set_viewport_size({"width": width, "height": 900})
    server.login(page)
    page.goto(server.url + "/predictions")
    assert page.get_by_test_id("risk-bands").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.get_by_test_id("report-link").first.click()
    assert page.get_by_role("heading", name=re.compile("Model report")).is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert problems == []


def test_the_cli_agrees_with_the_package(
    world: tuple[Path, Path], server: LiveServer, tmp_path: Path
) -> None:
    """Last: the server lets go of the store, then the CLI reads it."""
    server.stop()
    store, config = world
    con = connect(store, read_only=True)
    try:
        found = scores.summary(con)
        top = scores.latest(con, "churn", limit=1)[0]
        published = versions.published(con, "churn")
    finally:
        con.close()
    assert published is not None
    out = tmp_path / "report.html"
    run = CliRunner().invoke(
        cli_app,
        ["predict", "report", "--db", str(store), "--config", str(config), "--out", str(out)],
        env={"COLUMNS": "200"},
    )
    assert run.exit_code == 0, run.output
    assert f"expected churned ARR {found.expected_churn_arr:,.0f}" in run.output
    assert f"{found.accounts:,} accounts" in run.output
    assert out.read_text() == versions_report(store, published.version)
    run = CliRunner().invoke(
        cli_app,
        ["predict", "explain", top["account_id"], "--db", str(store)],
        env={"COLUMNS": "200"},
    )
    assert run.exit_code == 0, run.output
    assert f"{top['probability']:.1%}" in run.output
    for driver in top["drivers"]:
        assert driver["words"] in run.output
    # Too few labelled examples: it says so and ranks by the health score instead
    run = CliRunner().invoke(
        cli_app,
        [
            "predict",
            "train",
            "--target",
            "churn",
            "--observations",
            "3",
            "--db",
            str(store),
            "--config",
            str(config),
        ],
        env={"COLUMNS": "200"},
    )
    assert run.exit_code == 1, run.output
    assert "Rank accounts by the health score instead" in " ".join(run.output.split())
    assert "Lowest health first" in run.output


def versions_report(store: Path, version: int) -> str:
    con = connect(store, read_only=True)
    try:
        return versions.report_html(con, version)
    finally:
        con.close()
