"""The account API and page say where each profile value came from."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fastapi import FastAPI

from outsidein.ingest import load_file
from outsidein.web.app import create_app
from tests.ingest.helpers import write_csv
from tests.segment.test_apply import Harness, group

from .conftest import LiveServer


def test_the_account_shows_the_source_of_each_value(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    h = Harness(tmp_path / "s.duckdb")
    crm = write_csv(
        tmp_path / "crm.csv",
        ["account_id", "name", "created_at"],
        [["a1", "Acme Corp", "2023-01-01"]],
    )
    load_file(h.con, "accounts", crm)
    h.start()
    try:
        h.send(group("u", "a1", "2024-05-01T00:00:00Z", name="acme", industry="Software"))
        h.apply()
    finally:
        h.stop()
    h.con.close()
    server = live_server(create_app(tmp_path / "s.duckdb"))

    body = server.http.get(f"{server.url}/api/v1/accounts/a1", timeout=30).json()
    assert body["account"]["name"] == "Acme Corp"
    sources = body["field_sources"]
    assert list(sources) == ["name", "industry", "created_at"]  # the profile's order
    assert sources["name"]["kind"] == "file" and sources["name"]["label"] == "crm.csv"
    assert sources["industry"] == {
        "source": sources["industry"]["source"],
        "kind": "segment",
        "label": "Segment key t",
        "set_at": "2024-05-01T00:00:00Z",  # every timestamp leaves with its zone
    }
    assert sources["industry"]["source"].startswith("segment:wk_")

    page = server.http.get(f"{server.url}/accounts/a1", timeout=30).text
    table = page.split('id="field-sources"', 1)[1].split("</table>", 1)[0]
    assert "Where each value came from" in table
    assert '<tr data-field="industry" data-kind="segment">' in table
    assert "Segment key t" in table and "2024-05-01" in table
    assert f'title="{crm.resolve()}">crm.csv' in table
