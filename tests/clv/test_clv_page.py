"""``/clv``, ``/api/v1/clv/overview|holdout``, ``outsidein clv report --json`` and
``outsidein.clv.report``: one answer, on a small simulated company with subscribers and
one-off buyers; fits run as jobs; the page at a phone's and a desktop's width."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli
from outsidein.clv import portfolio, report
from outsidein.clv.portfolio import score
from outsidein.clv.saved import save
from outsidein.config import load_config
from outsidein.ingest import load_directory
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.web import create_app
from outsidein.web.schemas.clv import ClvOverviewOut
from tests.web.conftest import TODAY, LiveServer

Answers = dict[str, Any]
pytestmark = pytest.mark.slow  # a simulated company loaded and served: ~40 s for the module


@pytest.fixture(scope="module")
def answers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Answers]:
    """The store scored as of today, the package's and the CLI's answers, then the server."""
    folder = tmp_path_factory.mktemp("clv-page")
    simulate(folder / "company", accounts=40, months=12, seed=7, as_of=TODAY, buyers=300,
             events_per_part=100_000, plays=False)  # fmt: skip
    settings = folder / "company" / "outsidein.toml"
    config = load_config(settings)
    store = folder / "store.duckdb"
    con = connect(store)
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    save(con, score(con, config.analytics, TODAY))
    package = report.overview(con)
    holdout = portfolio.holdout(con, TODAY, 26)
    con.close()
    args = ["--db", str(store), "--config", str(settings)]
    done = CliRunner().invoke(cli, ["clv", "report", "--json", "--holdout", "26", *args])
    assert done.exit_code == 0, done.output
    live = LiveServer(create_app(store, config_path=settings)).start()
    yield {"package": package, "holdout": holdout, "cli": json.loads(done.output),
           "server": live}  # fmt: skip
    live.stop()


def _json(model: Any) -> Any:
    return json.loads(json.dumps(model, default=str))


def test_page_api_cli_and_package_agree(answers: Answers) -> None:
    server: LiveServer = answers["server"]
    package = answers["package"]
    expected = ClvOverviewOut.model_validate(asdict(package)).model_dump(mode="json")
    api = server.http.get(f"{server.url}/api/v1/clv/overview").json()
    assert api == expected
    kinds = {f["family"].split(":")[0] for f in api["families"]}
    assert kinds == {"transactional", "contractual"}  # both families on the simulated company
    assert api["heatmap"] and api["retention"] and api["rfm_groups"] and len(api["top"]) == 10
    cli = answers["cli"]
    holdout = cli.pop("holdout")
    assert _json(cli) == _json(asdict(package))
    assert holdout == _json(answers["holdout"].as_dict())
    h = server.http.get(f"{server.url}/api/v1/clv/holdout", params={"weeks": 26}).json()
    assert {k: h[k] for k in holdout} == holdout
    page = server.http.get(f"{server.url}/clv", headers={"accept": "text/html"})
    assert page.status_code == 200
    text = page.text
    positions = [text.index(f'data-account="{t["account_id"]}"') for t in api["top"]]
    assert positions == sorted(positions)  # the top customers in the API's order
    assert f"{package.accounts} accounts" in text
    assert f"Predicted <strong>{holdout['predicted']:.1f}</strong>" in text
    # the predicted total with its 90 % interval from the estimates' uncertainty
    low, high = holdout["predicted_low"], holdout["predicted_high"]
    assert low < holdout["predicted"] < high
    assert f'data-testid="holdout-interval">{low:.1f} to {high:.1f}<' in text
    assert text.count("data-cell=") == len(api["heatmap"])
    for m in api["retention"]:
        assert f'data-testid="retention-{m["model"]}"' in text
    for f in api["families"]:
        assert f'data-family="{f["family"]}"' in text


def test_a_fit_runs_as_a_job_and_a_queued_one_is_cancelled(answers: Answers) -> None:
    server: LiveServer = answers["server"]
    url = f"{server.url}/api/v1/clv/fit"
    first = server.http.post(url, json={"write": False})
    second = server.http.post(url, json={"write": False, "discount": 0.2})
    assert first.status_code == second.status_code == 202
    job = second.json()["id"]
    assert first.headers["location"] == f"/api/v1/jobs/{first.json()['id']}"
    cancelled = server.http.post(f"{server.url}/api/v1/jobs/{job}/cancel").json()
    deadline = time.monotonic() + 60
    while True:
        done = server.http.get(f"{server.url}/api/v1/jobs/{first.json()['id']}").json()
        if done["status"] in ("done", "failed", "cancelled") or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert done["status"] == "done", done
    fits = done["result"]["fits"]
    assert "bgnbd" in fits and any(name.startswith("sbg_") for name in fits)
    assert done["result"]["written"] == 0 and done["result"]["accounts"] > 300
    assert cancelled["status"] in ("cancelled", "done")  # it may have started already
    for wrong in ({"discount": False}, {"months": True}, {"write": 1}):
        assert server.http.post(url, json=wrong).status_code == 400, wrong
    future = server.http.post(url, json={"as_of": "2999-01-01"})
    assert future.status_code == 422 and "future" in future.text
    viewer = server.add_user("vic", "viewer")[2]
    refused = server.http.post(url, json={}, headers={"Authorization": f"Bearer {viewer}"})
    assert refused.status_code == 403


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1440])
def test_the_page_draws_and_fits(answers: Answers, page: Any, width: int) -> None:
    from playwright.sync_api import expect

    server: LiveServer = answers["server"]
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size({"width": width, "height": 900})
    server.login(page)
    assert page.goto(f"{server.url}/clv").status == 200
    expect(page.get_by_test_id("chart-clv-distribution")).to_have_attribute("data-rendered", "true")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    expect(page.get_by_role("heading", name="Customer lifetime value")).to_be_visible()
    nav = page.get_by_role("link", name="CLV", exact=True).first
    expect(nav).to_have_attribute("aria-current", "page")
    assert page.get_by_test_id("heatmap-table").locator("td[data-cell]").count() > 5
    assert problems == []


def test_a_new_account_page_link(answers: Answers, tmp_path: Path) -> None:
    """The top customer links to its account page, which shows its CLV tile."""
    server: LiveServer = answers["server"]
    top = answers["package"].top[0]["account_id"]
    page = server.http.get(f"{server.url}/accounts/{top}", headers={"accept": "text/html"})
    assert page.status_code == 200 and 'data-testid="clv"' in page.text
