"""Journey state and interruptions over a real server: the API, the CLI and the package give
one answer; the interruptions page filters and aggregates; the account page shows the
journey; a CSM sees their own book."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli
from outsidein.config import load_config
from outsidein.ingest.directory import load_directory
from outsidein.journey.report import interruptions_report, states_report
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.web import create_app

from .conftest import LiveServer

AS_OF = date(2025, 6, 30)
END = datetime(2025, 7, 1)  # the end of AS_OF: what the API and the CLI read


@dataclass
class Company:
    db: Path
    config: Path
    account: str  # an account with open interruptions
    csm: str
    other: str  # an account of another CSM
    states: dict[str, Any]  # computed by the package before the server holds the store
    breaks: dict[str, Any]
    cli_state: dict[str, Any]
    cli_breaks: dict[str, Any]


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, default=lambda v: v.isoformat() + "Z"))


def _cli(args: list[str]) -> Any:
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    root = tmp_path_factory.mktemp("journey_state_web")
    summary = simulate(
        root / "company", accounts=150, months=8, seed=4, as_of=date(2025, 7, 1),
        events_per_user_day=0.01,
    )  # fmt: skip
    db = root / "store.duckdb"
    config = summary.out / "outsidein.toml"
    journey = load_config(config).journey
    con = connect(db)
    try:
        load_directory(con, summary.out)
        everything = interruptions_report(con, journey, END, days=90, limit=10_000)
        account = next(i["account_id"] for i in everything["items"] if i["open"])
        csm, other = con.execute(
            "SELECT a.csm_id, (SELECT b.account_id FROM accounts b WHERE b.csm_id <> a.csm_id "
            "LIMIT 1) FROM accounts a WHERE a.account_id = ?",
            [account],
        ).fetchall()[0]
        states = states_report(con, journey, END, accounts=[account])
        breaks = interruptions_report(con, journey, END, accounts=[account])
    finally:
        con.close()
    common = ["--db", str(db), "--config", str(config), "--as-of", AS_OF.isoformat(), "--json"]
    cli_state = _cli(["journey", "state", "--account", account, *common])
    cli_breaks = _cli(["journey", "interruptions", "--account", account, "--top", "500", *common])
    return Company(db, config, account, csm, other, states, breaks, cli_state, cli_breaks)


@pytest.fixture(scope="module")
def server(company: Company) -> Iterator[LiveServer]:
    live = LiveServer(create_app(company.db, config_path=company.config)).start()
    yield live
    live.stop()


def _norm(body: Any) -> Any:
    """Times as the API writes them (RFC 3339, Z) and numbers as JSON numbers."""
    text = json.dumps(body, default=str)
    return json.loads(re.sub(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?)(?:Z|\+00:00)?"',
                             r'"\1Z"', text))  # fmt: skip


def test_state_is_one_answer_in_api_cli_and_package(server: LiveServer, company: Company) -> None:
    got = server.http.get(
        f"{server.url}/api/v1/journey/state",
        params={"account_id": company.account, "as_of": AS_OF.isoformat()},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["total"] == 1 and body["items"][0]["account_id"] == company.account
    assert body["items"][0]["stage"] and body["items"][0]["history"]
    assert _norm(body) == _norm(_json(company.states)) == _norm(company.cli_state)


def test_interruptions_are_one_answer_in_api_cli_and_package(
    server: LiveServer, company: Company
) -> None:
    got = server.http.get(
        f"{server.url}/api/v1/journey/interruptions",
        params={"account_id": company.account, "as_of": AS_OF.isoformat()},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body["open"] > 0 and all(i["account_id"] == company.account for i in body["items"])
    assert all(i["evidence"] and i["stage"] for i in body["items"])
    assert _norm(body) == _norm(_json(company.breaks)) == _norm(company.cli_breaks)


def test_filters_narrow_the_list(server: LiveServer) -> None:
    base = f"{server.url}/api/v1/journey/interruptions"
    everything = server.http.get(base, params={"as_of": AS_OF.isoformat(), "limit": 10_000})
    body = everything.json()
    assert {k["kind"] for k in body["by_kind"]} >= {"failed_touchpoint", "sla_breach"}
    product = server.http.get(base, params={"as_of": AS_OF.isoformat(), "function": "product",
                                            "kind": "broken_handoff"}).json()  # fmt: skip
    assert 0 < product["total"] < body["total"]
    assert {(i["function"], i["kind"]) for i in product["items"]} == {("product", "broken_handoff")}
    cells = {(c["function"], c["stage"]): c["total"] for c in body["by_function_stage"]}
    assert sum(cells.values()) == body["total"]
    bad = server.http.get(base, params={"kind": "nonsense"})
    assert bad.status_code in (400, 422)


def test_a_csm_sees_their_own_book(server: LiveServer, company: Company) -> None:
    _, _, token = server.add_user("journey-csm", "csm", company.csm)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        mine = c.get("/api/v1/journey/interruptions", params={"as_of": AS_OF.isoformat()})
        assert mine.status_code == 200, mine.text
        assert company.account in {i["account_id"] for i in mine.json()["items"]}
        everyone = server.http.get(
            f"{server.url}/api/v1/journey/interruptions", params={"as_of": AS_OF.isoformat()}
        )
        assert mine.json()["accounts"] < everyone.json()["accounts"]
        theirs = c.get("/api/v1/journey/state", params={"account_id": company.other})
        assert theirs.status_code == 404
    missing = server.http.get(f"{server.url}/api/v1/journey/state", params={"account_id": "X"})
    assert missing.status_code == 404


def test_the_interruptions_page_lists_and_aggregates(server: LiveServer, company: Company) -> None:
    page = server.http.get(
        f"{server.url}/journey/interruptions",
        params={"kind": "sla_breach", "as_of": AS_OF.isoformat()},
    )
    assert page.status_code == 200, page.text
    html = page.text
    rows = re.findall(r'<tr data-kind="([a-z_]+)"', html)
    assert rows and set(rows) == {"sla_breach"}
    assert 'data-testid="aggregate"' in html and 'aria-current="page">Interruptions' in html
    one = server.http.get(f"{server.url}/journey/interruptions",
                          params={"account_id": company.account}).text  # fmt: skip
    assert company.account in one


def test_the_account_page_shows_its_journey(server: LiveServer, company: Company) -> None:
    html = server.http.get(f"{server.url}/accounts/{company.account}").text
    section = html[html.index('data-testid="account-journey"') :]
    stage = company.states["items"][0]["stage"]
    assert f"<strong>{stage}</strong>" in section
    assert 'data-testid="open-interruptions"' in section
    assert f"/journey/interruptions?account_id={company.account}" in section
