"""Data-quality checks on a store with planted findings: each counted and listed the same by
``outsidein quality``, ``GET /api/v1/quality`` and the page; churn reasons and disagreements
through ``GET /api/v1/churn``; a CSM may not read them (a manager's view)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from outsidein.cli.app import console
from outsidein.ingest import load_file
from outsidein.quality import run_checks, summary_line
from outsidein.settings.sources import SourcesConfig
from outsidein.store import connect
from outsidein.web import create_app
from tests.ingest.helpers import write_csv

from .conftest import LiveServer

ACCOUNTS = [
    ("A1", "Upgrader", "2024-01-01", "c1"),
    ("A2", "Unbilled", "2024-01-01", "c1"),
    ("A3", "Ownerless", "2024-01-01", ""),
    ("A4", "Stranger", "2024-01-01", "nobody"),
]
SUBS = [  # A1: an upgrade without an end date; A2: no invoices ever
    ("S1", "A1", "Starter", 100, "2024-01-01", "", "active"),
    ("S2", "A1", "Growth", 250, "2024-04-01", "", "active"),
    ("S3", "A2", "Starter", 100, "2024-01-01", "", "active"),
    ("S4", "A3", "Starter", 100, "2024-01-01", "", "active"),
    ("AddOn", "A3", "Extra seats", 20, "2024-02-01", "", "active"),
]
INVOICES = [  # I3: A4 has no subscription at all
    ("I1", "A1", "S1", 100, "2024-01-02"),
    ("I2", "A3", "", 100, "2024-06-01"),
    ("I3", "A4", "", 99, "2024-06-01"),
]
CASES = [("K1", "A1"), ("K2", "GHOST"), ("K3", "GHOST")]


def make_store(folder: Path) -> Path:
    path = folder / "q.duckdb"
    con = connect(path)
    write_csv(folder / "csms.csv", ["csm_id", "name"], [("c1", "Dana")])
    write_csv(folder / "a.csv", ["account_id", "name", "created_at", "csm_id"], ACCOUNTS)
    header = ["subscription_id", "account_id", "plan", "mrr", "start_date", "end_date", "status"]
    write_csv(folder / "s.csv", header, SUBS)
    header = ["invoice_id", "account_id", "subscription_id", "amount", "issued_at"]
    write_csv(folder / "i.csv", header, INVOICES)
    header = ["case_id", "account_id", "opened_at", "priority", "status"]
    write_csv(folder / "k.csv", header, [(c, a, "2024-06-01", "low", "open") for c, a in CASES])
    for kind, name in (("csms", "csms.csv"), ("accounts", "a.csv"), ("subscriptions", "s.csv"),
                       ("invoices", "i.csv"), ("cases", "k.csv")):  # fmt: skip
        load_file(con, kind, folder / name)
    con.close()
    return path


FAMILIES = SourcesConfig(plan_families={"addons": ["Extra seats"]})


def test_each_check_finds_what_was_planted(tmp_path: Path) -> None:
    con = connect(make_store(tmp_path))
    try:
        got = {r.name: r for r in run_checks(con, FAMILIES)}
        plain = {r.name: r.count for r in run_checks(con)}  # add-ons not declared
    finally:
        con.close()
    overlaps = got["overlapping_subscriptions"]
    assert overlaps.count == 1 and overlaps.rows[0]["older"] == "S1"
    assert overlaps.rows[0]["newer"] == "S2"
    assert plain["overlapping_subscriptions"] == 2  # S4 and the add-on, one family then
    unknown = got["unknown_accounts"]
    assert unknown.count == 1 and unknown.rows[0]["account_id"] == "GHOST"
    assert unknown.rows[0]["rows"] == 2 and unknown.rows[0]["kind"] == "cases"
    assert [r["subscription_id"] for r in got["subscriptions_without_invoices"].rows] == [
        "S2",
        "S3",
    ]
    assert [r["invoice_id"] for r in got["invoices_without_subscription"].rows] == ["I3"]
    owners = {r["account_id"]: r["problem"] for r in got["accounts_without_owner"].rows}
    assert owners == {"A3": "no csm_id", "A4": "unknown csm_id"}
    line = summary_line(list(got.values()))
    assert line.startswith("data quality: 1 overlapping subscriptions in one plan family")


def test_the_cli_lists_the_same_and_load_prints_the_summary(tmp_path: Path) -> None:
    db = make_store(tmp_path)
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(console, "_width", 200)
        shown = runner.invoke(cli_app, ["quality", "--db", str(db)], catch_exceptions=False)
        loaded = runner.invoke(
            cli_app, ["load", "accounts", str(tmp_path / "a.csv"), "--db", str(db)]
        )
    assert shown.exit_code == 0, shown.output
    assert "Overlapping subscriptions in one plan family: 2" in shown.output
    assert "Usage or cases of unknown accounts: 1" in shown.output and "GHOST" in shown.output
    assert "data quality: 2 overlapping subscriptions" in loaded.output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    folder = tmp_path_factory.mktemp("quality")
    db = make_store(folder)
    con = connect(db)
    write_csv(
        folder / "c.csv", ["account_id", "churned_at", "reason"], [("A2", "2024-05-01", "Price")]
    )
    load_file(con, "churn_records", folder / "c.csv")
    con.close()
    live = LiveServer(create_app(db)).start()
    yield live
    live.stop()


def test_the_api_answers_the_checks_and_churn(server: LiveServer) -> None:
    body = server.http.get(server.url + "/api/v1/quality").json()
    counts = {c["name"]: c["count"] for c in body["checks"]}
    assert counts["overlapping_subscriptions"] == 2 and counts["accounts_without_owner"] == 2
    one = server.http.get(server.url + "/api/v1/quality", params={"check": "x"})
    assert one.status_code == 400 and "check" in one.text  # not one of the declared checks
    churn = server.http.get(
        server.url + "/api/v1/churn", params={"from": "2024-01-01", "as_of": "2024-06-30"}
    ).json()
    assert [
        (r["segment"], r["reason"], r["accounts"], r["mrr_lost"]) for r in churn["reasons"]
    ] == [("(unspecified)", "Price", 1, "100.00")]
    assert [(d["account_id"], d["kind"]) for d in churn["disagreements"]] == [("A2", "crm_only")]
    page = server.http.get(server.url + "/quality", headers={"accept": "text/html"}).text
    assert "Overlapping subscriptions in one plan family" in page and "crm_only" in page
    assert "<script>" not in page.split("</header>", 1)[-1]  # no inline script in the body
    _, _, token = server.add_user("csm-q", "csm", "c1")
    refused = server.http.get(
        server.url + "/api/v1/quality", headers={"Authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 403
