"""Custom fields in the API (listed, on the account), the accounts list filter and the page."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.web.app import create_app
from tests.ingest.helpers import write_csv

from .conftest import LiveServer

HEADER = ["account_id", "name", "created_at", "Plan Tier", "Seats", "Trial", "Referral Source"]
ROWS = [
    ["a1", "Acme", "2024-01-01", "Pro", "12", "TRUE", "O'Reilly Partner Programme, EMEA"],
    ["a2", "Beta", "2024-01-02", "pro", "3", "FALSE", "Google"],
    ["a3", "Gamma", "2024-01-03", "Basic", "", "FALSE", ""],
]


@pytest.fixture
def server(tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]) -> LiveServer:
    con = connect(tmp_path / "s.duckdb")
    load_file(con, "accounts", write_csv(tmp_path / "crm.csv", HEADER, ROWS))
    con.close()
    return live_server(create_app(tmp_path / "s.duckdb"))


def test_custom_fields_are_listed_shown_and_filter_the_list(server: LiveServer) -> None:
    listed = server.http.get(f"{server.url}/api/v1/custom-fields", timeout=30).json()["items"]
    assert [(f["entity"], f["name"], f["type"], f["records"]) for f in listed] == [
        ("accounts", "plan_tier", "text", 3),
        ("accounts", "referral_source", "text", 2),
        ("accounts", "seats", "number", 2),
        ("accounts", "trial", "bool", 3),
    ]
    assert listed[0]["source_column"] == "Plan Tier" and listed[0]["source"].endswith("crm.csv")
    none = server.http.get(f"{server.url}/api/v1/custom-fields?entity=cases", timeout=30).json()
    assert none == {"items": []}

    one = server.http.get(f"{server.url}/api/v1/accounts/a1", timeout=30).json()["custom_fields"]
    assert [(f["name"], f["value"]) for f in one] == [
        ("plan_tier", "Pro"), ("referral_source", "O'Reilly Partner Programme, EMEA"),
        ("seats", 12.0), ("trial", True),
    ]  # fmt: skip

    def ids(query: str) -> list[str]:
        body = server.http.get(f"{server.url}/api/v1/accounts?{query}", timeout=30).json()
        return [item["account_id"] for item in body["items"]]

    assert ids("custom.plan_tier=Pro") == ["a1", "a2"]  # any case
    assert ids("custom.plan_tier=pro&custom.trial=false") == ["a2"]
    assert ids("custom.referral_source=O%27Reilly%20Partner%20Programme%2C%20EMEA") == ["a1"]
    refused = server.http.get(f"{server.url}/api/v1/accounts?custom.tier=Pro", timeout=30)
    assert refused.status_code == 422
    assert (
        "no custom field 'tier' on accounts; filter by one of: custom.plan_tier"
        in (refused.json()["error"]["message"])
    )

    page = server.http.get(f"{server.url}/accounts/a1", timeout=30).text
    table = page.split('id="custom-fields"', 1)[1].split("</table>", 1)[0]
    assert '<tr data-field="seats" data-type="number">' in table
    assert "O&#39;Reilly Partner Programme, EMEA" in table and ">yes<" in table
    assert 'href="/accounts?custom.plan_tier=Pro"' in table
    narrowed = server.http.get(f"{server.url}/accounts?custom.plan_tier=Basic", timeout=30).text
    assert "Gamma" in narrowed and "Acme" not in narrowed


@pytest.mark.parametrize("width", [390, 1440])
def test_the_custom_fields_fit_the_account_page(server: LiveServer, page: Any, width: int) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    server.login(page)
    response = page.goto(f"{server.url}/accounts/a1")
    assert response is not None and response.status == 200
    assert page.locator("#custom-fields").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
