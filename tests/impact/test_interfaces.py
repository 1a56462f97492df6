"""The API, the pages and the CLI show the numbers :mod:`outsidein.impact` computes.

One small simulated company (150 accounts, 12 months) with the planted plays' firings; the
package's answer is computed first, then the server and the CLI are asked for the same.
"""

from __future__ import annotations

import csv
import html
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from outsidein.impact import PlayImpact, estimate_all
from outsidein.impact.report import play_out, summary_out
from outsidein.store import connect
from outsidein.web import create_app

from ..web.conftest import LiveServer
from .conftest import Company, build

pytestmark = pytest.mark.slow  # a simulated company, loaded, and a server: ~40 s here


@dataclass(frozen=True)
class Setup:
    company: Company
    plays: list[PlayImpact]
    copy: Path  # the store, copied before the server holds it (for the CLI)
    csm: str
    book: set[str]
    server: LiveServer


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    folder = tmp_path_factory.mktemp("impact-web")
    company = build(folder, seed=3, accounts=150, months=12)
    con = connect(company.db)
    try:
        plays = estimate_all(con)
        csm = str(con.execute("SELECT min(csm_id) FROM accounts").fetchall()[0][0])
        book = {
            str(r[0])
            for r in con.execute(
                "SELECT account_id FROM accounts WHERE csm_id = ?", [csm]
            ).fetchall()
        }
    finally:
        con.close()
    copy = folder / "copy.duckdb"
    shutil.copyfile(company.db, copy)
    server = LiveServer(create_app(company.db)).start()
    yield Setup(company, plays, copy, csm, book, server)
    server.stop()


def test_the_package_ranks_the_planted_plays(setup: Setup) -> None:
    names = [p.playbook for p in setup.plays]
    assert set(names) == set(setup.company.truth)
    effects = [p.estimate("active_users_28").effect for p in setup.plays]  # type: ignore[union-attr]
    assert effects == sorted(effects, reverse=True)  # type: ignore[type-var]


def test_api_list_is_the_package_answer(setup: Setup) -> None:
    got = setup.server.http.get(f"{setup.server.url}/api/v1/impact")
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["ranked_by"] == "active_users_28"
    assert body["plays"] == [summary_out(p).model_dump(mode="json") for p in setup.plays]


def test_api_drill_in_is_the_package_answer_and_a_csm_sees_their_book(setup: Setup) -> None:
    play = next(p for p in setup.plays if p.design == "did")
    url = f"{setup.server.url}/api/v1/impact/{play.playbook}"
    got = setup.server.http.get(url)
    assert got.status_code == 200, got.text
    assert got.json() == play_out(play).model_dump(mode="json")
    assert len(got.json()["event_study"]) >= 4
    _, _, token = setup.server.add_user("dana", "csm", setup.csm)
    mine = setup.server.http.get(url, headers={"Authorization": f"Bearer {token}"}).json()
    listed = {a["account_id"] for a in mine["accounts"]}
    assert listed <= setup.book
    assert mine["accounts_total"] == len({a.account_id for a in play.accounts} & setup.book)
    assert mine["estimates"] == got.json()["estimates"]  # the effect is measured on everyone


def test_a_playbook_that_never_fired_is_404(setup: Setup) -> None:
    got = setup.server.http.get(f"{setup.server.url}/api/v1/impact/never-fired")
    assert got.status_code == 404
    assert "'never-fired' has no firings" in got.json()["error"]["message"]


def _cell(page: str, playbook: str, column: str) -> str:
    row = re.search(rf'<tr data-playbook="{re.escape(playbook)}">(.*?)</tr>', page, re.S)
    assert row, playbook
    cell = re.search(rf'data-col="{column}">(.*?)</td>', row.group(1), re.S)
    assert cell, column
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", cell.group(1))).split())


def test_the_page_shows_the_same_numbers(setup: Setup) -> None:
    page = setup.server.http.get(f"{setup.server.url}/impact")
    assert page.status_code == 200
    order = re.findall(r'<tr data-playbook="([^"]+)">', page.text)
    assert order == [p.playbook for p in setup.plays]
    for p in setup.plays:
        e = p.estimate("active_users_28")
        assert e is not None and e.effect is not None
        assert e.ci_low is not None and e.ci_high is not None
        expected = f"{e.effect:+.2f} {e.ci_low:+.2f} to {e.ci_high:+.2f}"
        assert _cell(page.text, p.playbook, "active_users_28") == expected
        c = p.estimate("churn_90d")
        if c is not None and c.effect is not None:
            assert _cell(page.text, p.playbook, "churn_90d").startswith(f"{c.effect * 100:+.1f} pp")


def test_the_drill_in_page_draws_the_event_study(setup: Setup) -> None:
    play = setup.plays[0]
    page = setup.server.http.get(f"{setup.server.url}/impact/{play.playbook}")
    assert page.status_code == 200
    assert 'data-testid="chart-event-study"' in page.text
    for a in play.assumptions[:1]:
        assert html.escape(a, quote=False) in page.text or a in html.unescape(page.text)


def test_the_cli_prints_the_same_numbers(setup: Setup, tmp_path: Path) -> None:
    out = tmp_path / "impact.csv"
    result = CliRunner().invoke(
        cli_app, ["impact", "list", "--out", str(out), "--db", str(setup.copy)]
    )
    assert result.exit_code == 0, result.output
    with out.open(encoding="utf-8") as f:
        rows = {(r["playbook"], r["outcome"]): r for r in csv.DictReader(f)}
    for p in setup.plays:
        for e in p.estimates:
            row = rows[(p.playbook, e.outcome)]
            if e.effect is None:
                assert row["effect"] == ""
            else:
                assert float(row["effect"]) == pytest.approx(round(e.effect, 4))
                assert float(row["ci_low"]) == pytest.approx(round(e.ci_low or 0, 4))
    shown = CliRunner().invoke(
        cli_app, ["impact", "show", setup.plays[0].playbook, "--db", str(setup.copy)]
    )
    assert shown.exit_code == 0, shown.output
    assert setup.plays[0].method in " ".join(shown.output.split())
