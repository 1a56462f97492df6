"""One definition: the tiers and advocates of the API, the CLI and the pages are the Python
functions' (outsidein.tiers), on a small simulated company; the step records tiers; a CSM
sees their own book."""

from __future__ import annotations

import csv
import time
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
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.tiers import advocates, read
from outsidein.web import create_app
from outsidein.web.schemas.tiers import AdvocateList, TiersOut
from tests.web.conftest import TODAY, LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, OutsideInConfig]:
    folder = tmp_path_factory.mktemp("tiers-ui")
    simulate(folder / "company", accounts=120, months=12, seed=3, as_of=TODAY,
             events_per_part=1_000_000)  # fmt: skip
    settings = folder / "company" / "outsidein.toml"
    config = load_config(settings)
    store = folder / "store.duckdb"
    con = connect(store)
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    update_snapshot(con, config.analytics)
    score_now(con, config)
    con.close()
    return store, settings, config


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cli_output(company: tuple[Path, Path, OutsideInConfig], tmp_path_factory: Any) -> Any:
    """The CLI's answers, before the server holds the store: compute, show, advocates."""
    store, settings, _ = company
    out = tmp_path_factory.mktemp("cli")
    runner = CliRunner()
    args = ["--db", str(store), "--config", str(settings)]
    computed = runner.invoke(cli, ["tiers", "compute", *args])
    assert computed.exit_code == 0, computed.output
    assert "recorded 1 day(s)" in computed.output
    shown = runner.invoke(cli, ["tiers", "show", "--out", str(out / "t.csv"), *args])
    assert shown.exit_code == 0, shown.output
    found = runner.invoke(cli, ["advocates", "list", "--out", str(out / "a.csv"), *args])
    assert found.exit_code == 0, found.output
    return _csv(out / "t.csv"), _csv(out / "a.csv")


@pytest.fixture(scope="module")
def server(company: tuple[Path, Path, OutsideInConfig], cli_output: Any) -> Iterator[LiveServer]:
    store, settings, _ = company
    live = LiveServer(create_app(store, config_path=settings)).start()
    yield live
    live.stop()


def test_cli_api_and_python_agree(
    server: LiveServer, company: tuple[Path, Path, OutsideInConfig], cli_output: Any
) -> None:
    _, _, config = company
    cur = server.app.state.store.cursor()
    try:
        expected = TiersOut.of(read.report(cur, config.tiers), "USD")
        found = advocates(
            cur, expected.as_of, config.advocates, key_features=len(config.analytics.key_features)
        )
        wanted = AdvocateList.of(expected.as_of, None, found)
    finally:
        cur.close()
    assert all(t.accounts > 0 for t in expected.tiers) and wanted.total > 0
    api = server.http.get(f"{server.url}/api/v1/tiers")
    assert api.status_code == 200, api.text
    assert api.json() == expected.model_dump(mode="json")
    answer = server.http.get(f"{server.url}/api/v1/advocates", params={"limit": 1000}).json()
    assert answer == wanted.model_dump(mode="json")
    tiers_csv, advocates_csv = cli_output
    assert [(r["tier"], int(r["accounts"]), r["arr"]) for r in tiers_csv] == [
        (t.tier, t.accounts, str(t.arr)) for t in expected.tiers
    ]
    assert [(r["account_id"], r["reason"]) for r in advocates_csv] == [
        (a.account_id, a.reason) for a in wanted.advocates
    ]
    one = wanted.advocates[0]
    assert one.champion_name and one.champion_name in one.reason
    assert f"of {len(config.analytics.key_features)} key features" in one.reason


def test_pages_show_the_same_figures(server: LiveServer) -> None:
    api = server.http.get(f"{server.url}/api/v1/tiers").json()
    page = server.http.get(f"{server.url}/tiers", headers={"accept": "text/html"})
    assert page.status_code == 200
    for t in api["tiers"]:
        assert f'<tr data-tier="{t["tier"]}"><td>' in page.text
        assert f'data-col="accounts">{t["accounts"]:,}<' in page.text
    assert f"{api['csms_needed']} CSMs needed" in page.text
    found = server.http.get(f"{server.url}/api/v1/advocates").json()
    page = server.http.get(f"{server.url}/advocates", headers={"accept": "text/html"})
    assert f"{found['total']} candidates" in page.text
    first = found["advocates"][0]
    assert first["reason"] in page.text and first["champion_name"] in page.text
    high = server.http.get(f"{server.url}/api/v1/tiers/accounts", params={"tier": "high_touch"})
    account = high.json()["accounts"][0]
    shown = server.http.get(f"{server.url}/accounts/{account['account_id']}",
                            headers={"accept": "text/html"})  # fmt: skip
    assert 'data-testid="tier"' in shown.text and "High-touch" in shown.text
    history = server.http.get(f"{server.url}/api/v1/tiers/accounts/{account['account_id']}")
    assert history.json()["tier"] == "high_touch" and history.json()["history"]


def test_the_step_records_tiers_and_shows_on_status(server: LiveServer) -> None:
    deadline = time.monotonic() + 60
    while getattr(server.app.state.tiers_step, "last", None) is None:
        assert time.monotonic() < deadline, "the tiers step did not run"
        time.sleep(0.2)
    status = server.http.get(f"{server.url}/api/v1/status").json()
    [step] = [s for s in status["pipeline"] if s["name"] == "tiers"]
    assert step["runs"] >= 1 and step["errors"] == 0, step
    assert server.app.state.tiers_step.last.as_of == TODAY


def test_a_csm_sees_their_own_book(server: LiveServer) -> None:
    everyone = server.http.get(f"{server.url}/api/v1/tiers").json()
    csm = everyone["csms"][0]["csm_id"]
    other = everyone["csms"][1]["csm_id"]
    _, _, token = server.add_user("tina", "csm", csm)
    auth = {"Authorization": f"Bearer {token}"}
    mine = server.http.get(f"{server.url}/api/v1/tiers", headers=auth).json()
    assert mine["csm"] == csm and [c["csm_id"] for c in mine["csms"]] == [csm]
    assert mine["accounts"] == everyone["csms"][0]["accounts"]
    refused = server.http.get(f"{server.url}/api/v1/tiers", params={"csm": other}, headers=auth)
    assert refused.status_code == 403
    theirs = server.http.get(f"{server.url}/api/v1/advocates", headers=auth).json()
    assert all(a["csm_id"] == csm for a in theirs["advocates"])
    future = server.http.get(f"{server.url}/api/v1/tiers", params={"as_of": "2999-01-01"})
    assert future.status_code == 422


@pytest.mark.browser
@pytest.mark.parametrize("width", [390, 1440], ids=["390px", "1440px"])
def test_pages_with_candidates_fit_the_screen(server: LiveServer, page: Any, width: int) -> None:
    """The simulated company's tiers and advocates pages, with rows, in Chromium: on the
    screen, no console error (the layout test checks them empty-handed too)."""
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.set_viewport_size({"width": width, "height": 900})
    server.login(page)
    for path, rows in (("/tiers", "tier-table"), ("/advocates", "advocates")):
        page.goto(server.url + path)
        assert page.get_by_test_id(rows).locator("tbody tr:not(.empty)").count() > 0, path
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path
    page.get_by_test_id("advocates").locator("a.strong").first.click()
    assert page.get_by_test_id("tier").is_visible()
    assert problems == []
