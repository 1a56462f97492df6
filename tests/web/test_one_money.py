"""One money: every interface shows the analytics' MRR, in the reporting currency, to the cent.

The hand-checked company prices A3 in EUR and A9 in GBP (tests/analytics/company.py). The
accounts list, each account page, the REST API and the CLI must agree with the Metrics page
total as of the same day, both for a day given and for the default day (which follows the
data: the company's data ends in 2024).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import outsidein.cli.accounts
import outsidein.cli.metrics  # noqa: F401
from outsidein.cli.app import app, console
from outsidein.display import money
from outsidein.web import create_app

from .conftest import LiveServer
from .test_metrics_api import company_store

DAYS = ("2024-02-15", "2024-06-15", None)  # None: the default, the data's last day


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return company_store(tmp_path_factory.mktemp("money"))


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[LiveServer]:
    # The server owns its store file; the CLI reads a copy of it (same data).
    copy = store.parent / "cli"
    copy.mkdir()
    shutil.copy(store, copy / "outsidein.duckdb")
    shutil.copy(store.parent / "outsidein.toml", copy / "outsidein.toml")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTSIDEIN_CONFIG", str(store.parent / "outsidein.toml"))
        live = LiveServer(create_app(store)).start()
        try:
            yield live
        finally:
            live.stop()


def metrics_total(client: httpx.Client, as_of: str | None) -> tuple[Decimal, str]:
    params = {"as_of": as_of} if as_of else {}
    body = client.get("/api/v1/metrics/mrr", params=params).json()
    return Decimal(body["rows"][-1]["mrr"]), body["as_of"]


def by_testid(html: str, name: str) -> str:
    found = re.search(rf'data-testid="{name}">([^<]+)<', html)
    assert found, f"no {name} on the page"
    return found[1].strip()


@pytest.mark.parametrize("as_of", DAYS)
def test_api_and_pages_agree_with_the_metrics_total(server: LiveServer, as_of: str | None) -> None:
    with server.client(timeout=60) as client:
        total, day = metrics_total(client, as_of)
        assert total > 0
        params = {"as_of": as_of} if as_of else {}
        listing = client.get("/api/v1/accounts", params={**params, "page_size": 200}).json()
        assert listing["as_of"] == day and listing["currency"] == "USD"
        assert Decimal(listing["mrr_total"]) == total
        assert sum(Decimal(i["mrr"]) for i in listing["items"]) == total
        details = [
            client.get(f"/api/v1/accounts/{i['account_id']}", params=params).json()
            for i in listing["items"]
        ]
        assert sum(Decimal(d["account"]["mrr"]) for d in details) == total
        assert all(d["as_of"] == day for d in details)

        metrics_page = client.get("/metrics", params=params).text
        assert by_testid(metrics_page, "mrr") == money(total, "USD")
        if as_of is None:  # the pages list every account and show the default day
            accounts_page = client.get("/accounts", params={"page_size": 200}).text
            assert by_testid(accounts_page, "mrr-total") == money(total, "USD")


def test_an_eur_account_shows_converted_and_original(server: LiveServer) -> None:
    with server.client(timeout=60) as client:
        body = client.get("/api/v1/accounts/A3", params={"as_of": "2024-01-15"}).json()
        # S3a: EUR 50.15 at 1.10 = USD 55.165 -> 55.17, never "$50.15"
        assert body["account"]["mrr"] == "55.17" and body["account"]["arr"] == "662.04"
        assert body["mrr_by_currency"] == [{"currency": "EUR", "mrr": "50.15"}]
        sub = next(s for s in body["subscriptions"] if s["subscription_id"] == "S3a")
        assert (sub["currency"], sub["mrr_original"], sub["mrr"]) == ("EUR", "50.15", "55.17")
        page = client.get("/accounts/A3").text
        assert "€50.15" in page and "$55.17" in page
        sorted_ = client.get("/api/v1/accounts", params={"sort": "mrr", "order": "desc"}).json()
        values = [Decimal(i["mrr"]) for i in sorted_["items"]]
        assert values == sorted(values, reverse=True)
        # A9's GBP 400 is USD 500: sorting by converted MRR puts it above USD 400-ish accounts
        assert sorted_["items"][1]["account_id"] in {"A9", "A5"}


@pytest.mark.parametrize("as_of", DAYS)
def test_cli_agrees(server: LiveServer, store: Path, as_of: str | None) -> None:
    folder = store.parent / "cli"
    common = ["--db", str(folder / "outsidein.duckdb"), "--config", str(folder / "outsidein.toml")]
    with server.client(timeout=60) as client:
        total, day = metrics_total(client, as_of)
    when = ["--as-of", as_of] if as_of else []
    runner = CliRunner()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(console, "_width", 250)
        listed = runner.invoke(app, ["accounts", "list", "--limit", "200", *when, *common])
        assert listed.exit_code == 0, listed.output
        assert f"MRR {money(total, 'USD')} · as of {day}" in listed.output
        mrr = runner.invoke(app, ["metrics", "mrr", *when, *common])
        assert mrr.exit_code == 0, mrr.output
        last = mrr.output.strip().splitlines()[-2]
        assert f"{total:,.2f}" in last
        shown = runner.invoke(app, ["accounts", "show", "A9", *when, *common])
        assert shown.exit_code == 0, shown.output
        if day >= "2024-01-01" and day < "2024-08-01":
            assert "$500.00 (£400.00)" in shown.output
