"""Write-key scopes over source precedence, through the real Segment library and server.

A write key sent by a browser is public: by default it may send events and create the
accounts and users it names, never change what a file load set, whatever
``[ingest.precedence]`` says. A key created with the ``master-data`` scope may, where
precedence lets the product's values win.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from segment.analytics.client import Client as SegmentClient
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.errors import InvalidRequestError
from outsidein.ingest import load_file
from outsidein.ingest.segment import create_key
from outsidein.store import connect
from tests.ingest.helpers import write_csv

from .conftest import SegmentServer
from .test_precedence import _account, _server


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "crm-accounts.csv",
        ["account_id", "name", "created_at"],
        [["a1", "Acme Corp", "2023-01-01"], ["a2", "Beta Retail", "2023-02-01"]],
    )


PRODUCT_FIRST = '[ingest.precedence]\naccounts.name = ["segment", "file"]\n'


def _send_with(server: SegmentServer, key: str, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
    errors: list[Any] = []
    client = SegmentClient(
        key, host=server.url, on_error=lambda exc, batch: errors.append(exc), max_retries=3
    )
    for method, args in calls:
        getattr(client, method)(*args)
    client.flush()
    client.join()
    assert errors == []
    server.wait_applied()


def _new_key(server: SegmentServer, name: str, scopes: list[str]) -> dict[str, Any]:
    response = server.http.post(
        f"{server.url}/api/v1/segment/keys", json={"name": name, "scopes": scopes}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    assert body["scopes"] == scopes
    return body


def test_a_key_without_scope_cannot_rename_even_when_precedence_prefers_the_product(
    tmp_path: Path, crm: Path
) -> None:
    server = _server(tmp_path, crm, PRODUCT_FIRST)
    try:
        browser = _new_key(server, "browser", [])
        _send_with(
            server,
            browser["secret"],
            [
                ("group", ("u1", "a1", {"name": "Acme (browser)", "region": "EMEA"})),
                ("group", ("u9", "new-co", {"name": "New Co"})),
            ],
        )
        detail = _account(server, "a1")
        assert detail["account"]["name"] == "Acme Corp"  # master data from the file stands
        assert detail["account"]["region"] == "EMEA"  # an empty field fills
        assert detail["field_sources"]["name"]["kind"] == "file"
        assert _account(server, "new-co")["account"]["name"] == "New Co"  # it may create
        # The name it sent is held back, counted per key: the API, the page, `keys list`.
        keys = server.http.get(f"{server.url}/api/v1/segment/activity").json()["keys"]
        assert {k["name"]: k["held_back"] for k in keys} == {"tests": 0, "browser": 1}
        page = server.http.get(f"{server.url}/ingestion", headers={"accept": "text/html"})
        assert "1 trait held back" in page.text
        listed_cli = subprocess.run(
            [sys.executable, "-m", "outsidein", "keys", "list", "--db", str(server.db)],
            capture_output=True, text=True, check=False, env={**os.environ, "COLUMNS": "250"},
        )  # fmt: skip
        assert listed_cli.returncode == 0, listed_cli.stderr
        assert "1 trait " in listed_cli.stdout + " "

        backend = _new_key(server, "backend", ["master-data"])
        _send_with(server, backend["secret"], [("group", ("u1", "a1", {"name": "Acme Inc"}))])
        detail = _account(server, "a1")
        assert detail["account"]["name"] == "Acme Inc"
        assert detail["field_sources"]["name"]["source"] == f"segment:{backend['key_id']}"

        # ... and once the product set it, a key without the scope may change it again.
        _send_with(server, browser["secret"], [("group", ("u1", "a1", {"name": "Acme B"}))])
        assert _account(server, "a1")["account"]["name"] == "Acme B"
        listed = server.http.get(f"{server.url}/api/v1/segment/keys").json()
        assert {k["name"]: k["scopes"] for k in listed} == {
            "tests": [], "browser": [], "backend": ["master-data"]
        }  # fmt: skip
    finally:
        server.kill()


def test_a_master_data_key_follows_precedence(tmp_path: Path, crm: Path) -> None:
    """The scope lifts the key's limit, not precedence: by default the file still wins."""
    server = _server(tmp_path, crm)
    try:
        backend = _new_key(server, "backend", ["master-data"])
        _send_with(server, backend["secret"], [("group", ("u1", "a1", {"name": "Acme Inc"}))])
        assert _account(server, "a1")["account"]["name"] == "Acme Corp"
    finally:
        server.kill()


def test_contacts_from_a_file_keep_their_account_and_email(tmp_path: Path, crm: Path) -> None:
    contacts = write_csv(
        tmp_path / "contacts.csv",
        ["contact_id", "account_id", "email"],
        [["u1", "a1", "ada@acme.test"]],
    )
    config = '[ingest.precedence]\ndefault = ["segment", "file"]\n'
    server = SegmentServer(tmp_path / "server", {"OUTSIDEIN_CONFIG": str(tmp_path / "o.toml")})
    (tmp_path / "o.toml").write_text(config, encoding="utf-8")
    con = connect(server.db)
    load_file(con, "accounts", crm)
    load_file(con, "contacts", contacts)
    con.close()
    server.start()
    try:
        _send_with(
            server,
            server.key,
            [
                ("group", ("u1", "a2", {})),
                ("identify", ("u1", {"email": "evil@example.test", "title": "CTO"})),
            ],
        )
        server.stop()
        assert server.query("SELECT account_id, email, title FROM contacts") == [
            ("a1", "ada@acme.test", "CTO")
        ]
    finally:
        server.kill()


def test_cli_creates_a_scoped_key_and_refuses_an_unknown_scope(tmp_path: Path) -> None:
    db = tmp_path / "store.duckdb"
    runner = CliRunner()
    made = runner.invoke(
        app, ["keys", "create", "crm sync", "--scope", "master-data", "--db", str(db)]
    )
    assert made.exit_code == 0, made.output
    assert "scopes: master-data" in made.output
    bad = subprocess.run(
        [sys.executable, "-m", "outsidein", "keys", "create", "x", "--scope", "admin",
         "--db", str(db)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "unknown write-key scope 'admin'; the scopes are: master-data" in bad.stderr
    assert "Traceback" not in bad.stderr
    con = connect(db)
    assert con.execute("SELECT name, scopes FROM write_keys").fetchall() == [
        ("crm sync", ["master-data"])
    ]
    with pytest.raises(InvalidRequestError, match="unknown write-key scope"):
        create_key(con, "y", ["everything"])
    con.close()
