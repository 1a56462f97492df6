"""``/journey`` and the journey API routes over a real server on a simulated company: the page
shows what the API answers and the CLI prints (one definition each), the blueprint's SVG, a
CSM's own book, and the drawings in Chromium."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from xml.etree import ElementTree

import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.ingest.directory import load_directory
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.web import create_app

from .conftest import LiveServer

AS_OF = date(2025, 7, 1)
DOCS = Path(__file__).parents[2] / "docs"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1440, "height": 900}


@dataclass
class Company:
    db: Path
    config: Path
    cli: dict[str, object]  # what the CLI printed before the server held the store
    segment: str
    csm: str


def cli_json(*args: str) -> object:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    root = tmp_path_factory.mktemp("journey_pages")
    summary = simulate(
        root / "company", accounts=150, months=6, seed=3, as_of=AS_OF, events_per_user_day=0.01
    )
    db = root / "store.duckdb"
    con = connect(db)
    try:
        load_directory(con, summary.out)
        segment, csm = con.execute(
            "SELECT (SELECT segment FROM accounts GROUP BY 1 ORDER BY count(*), 1 LIMIT 1), "
            "(SELECT csm_id FROM accounts WHERE csm_id IS NOT NULL GROUP BY 1 "
            " ORDER BY count(*) DESC, 1 LIMIT 1)"
        ).fetchall()[0]
    finally:
        con.close()
    cfg = summary.out / "outsidein.toml"
    common = ["--db", str(db), "--config", str(cfg), "--json"]
    cli = {
        "funnel": cli_json("journey", "funnel", *common),
        "blueprint": cli_json("journey", "blueprint", *common),
        "blueprint_segment": cli_json("journey", "blueprint", *common, "--segment", segment),
    }
    return Company(db, cfg, cli, segment, csm)


@pytest.fixture(scope="module")
def server(company: Company) -> Iterator[LiveServer]:
    live = LiveServer(create_app(company.db, config_path=company.config)).start()
    yield live
    live.stop()


def _cells(body: dict[str, object]) -> dict[tuple[str, str], dict[str, object]]:
    return {(c["function"], c["stage"]): c for c in body["cells"]}  # type: ignore[attr-defined,index]


def test_page_api_and_cli_give_one_funnel_and_blueprint(
    server: LiveServer, company: Company
) -> None:
    funnel = server.http.get(f"{server.url}/api/v1/journey/funnel").json()
    assert funnel["steps"] == company.cli["funnel"]
    bp = server.http.get(f"{server.url}/api/v1/journey/blueprint").json()
    assert bp == company.cli["blueprint"]
    broken = [k for k, c in _cells(bp).items() if c["breaks"]]
    assert broken, "the simulated company should break somewhere"
    seg = server.http.get(
        f"{server.url}/api/v1/journey/blueprint", params={"segment": company.segment}
    ).json()
    assert seg == company.cli["blueprint_segment"] and 0 < seg["volume"] < bp["volume"]

    page = server.http.get(f"{server.url}/journey")
    assert page.status_code == 200, page.text
    html = page.text
    for step in funnel["steps"]:
        row = re.search(rf'<tr data-stage="{step["stage"]}">(.*?)</tr>', html, re.S)
        assert row is not None, step["stage"]
        reached = re.search(r'data-col="reached">([\d,]+)<', row.group(1))
        assert reached is not None and int(reached.group(1).replace(",", "")) == step["reached"]
    shown = set(re.findall(r'<li data-cell="([a-z_]+)/([a-z_]+)">', html))
    assert shown == set(broken)
    spec = json.loads(re.search(r'id="spec-blueprint">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    drawn = {(v["function"], v["stage"]): v["volume"] for v in spec["data"]["values"]}
    assert drawn == {k: c["volume"] for k, c in _cells(bp).items()}


def test_the_blueprint_as_svg(server: LiveServer, company: Company) -> None:
    got = server.http.get(f"{server.url}/api/v1/journey/blueprint", params={"format": "svg"})
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("image/svg+xml")
    root = ElementTree.fromstring(got.content)
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    bp = company.cli["blueprint"]
    for c in bp["cells"]:  # type: ignore[index]
        if c["breaks"]:
            assert f"{c['function']} · {c['stage']}: {'; '.join(c['breaks'])}" in text
    for stage in bp["stages"]:  # type: ignore[index]
        assert stage in text


def test_routes_answer_a_csm_for_their_book(server: LiveServer, company: Company) -> None:
    _, _, token = server.add_user("jo", "csm", company.csm)
    headers = {"Authorization": f"Bearer {token}"}
    everyone = server.http.get(f"{server.url}/api/v1/journey/blueprint").json()
    mine = server.http.get(f"{server.url}/api/v1/journey/blueprint", headers=headers).json()
    assert 0 < mine["volume"] < everyone["volume"]
    for route in ("funnel", "handovers", "churn-paths"):
        got = server.http.get(f"{server.url}/api/v1/journey/{route}", headers=headers)
        assert got.status_code == 200, (route, got.text)
    f_all = server.http.get(f"{server.url}/api/v1/journey/funnel").json()["steps"]
    f_mine = server.http.get(f"{server.url}/api/v1/journey/funnel", headers=headers).json()
    assert sum(s["reached"] for s in f_mine["steps"]) < sum(s["reached"] for s in f_all)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["390px", "1440px"])
def test_the_page_draws_the_journey(
    server: LiveServer, company: Company, page: object, viewport: dict[str, int]
) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.set_viewport_size(viewport)
    server.login(page)
    page.goto(server.url + "/journey")
    for chart in ("journey-graph", "blueprint"):
        expect(page.get_by_test_id(f"chart-{chart}")).to_have_attribute("data-rendered", "true")
    # the force layout placed every step: one circle per activity, inside the canvas
    graph = page.get_by_test_id("chart-journey-graph")
    box = graph.bounding_box()
    assert box is not None and box["width"] <= viewport["width"]
    circles = graph.locator("g.mark-symbol path")
    assert circles.count() >= 5
    assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
    if os.environ.get("OUTSIDEIN_UPDATE_SCREENSHOTS") == "1" and viewport is DESKTOP:
        page.screenshot(path=str(DOCS / "screenshot-journey.png"), full_page=True,
                        clip={"x": 0, "y": 0, "width": 1440, "height": 1500})  # fmt: skip
    # filter by segment: the funnel reads what the API gives for that segment
    page.get_by_label("Segment").select_option(company.segment)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile("segment="))
    want = server.http.get(
        f"{server.url}/api/v1/journey/funnel", params={"segment": company.segment}
    ).json()["steps"][0]["reached"]
    expect(page.locator('tr[data-stage] td[data-col="reached"]').first).to_have_text(f"{want:,}")
    href = page.get_by_test_id("blueprint-svg").get_attribute("href") or ""
    assert f"segment={company.segment}" in href and "since" not in href  # the empty dates
    svg = server.http.get(server.url + href)
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert page.get_by_test_id("journey-tabs").get_by_role("link", name="Journey").count() == 1
    assert problems == []
