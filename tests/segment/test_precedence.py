"""Source precedence and trait checks, through the real Segment library and a real server.

A CRM file is loaded into the store before the server starts; the Segment library then
sends group and identify calls. By default the file's values stand; configured the other
way, the product's traits win; traits that fail a file row's checks are rejected while
the rest of the call applies, and the client still gets 200.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from segment.analytics.client import Client as SegmentClient

from outsidein.ingest import load_file
from outsidein.store import connect
from tests.ingest.helpers import write_csv

from .conftest import SegmentServer


@pytest.fixture
def crm(tmp_path: Path) -> Path:
    return write_csv(
        tmp_path / "crm-accounts.csv",
        ["account_id", "name", "created_at"],
        [["a1", "Acme Corp", "2023-01-01"], ["a2", "Beta Retail", "2023-02-01"]],
    )


def _server(
    tmp_path: Path, crm: Path, config: str | None = None, scopes: tuple[str, ...] = ()
) -> SegmentServer:
    """A store with the CRM file loaded, and its server (optionally with an outsidein.toml),
    its test key with ``scopes`` (``master-data`` lets it change what the file set)."""
    env = {}
    if config is not None:
        toml = tmp_path / "outsidein.toml"
        toml.write_text(config, encoding="utf-8")
        env["OUTSIDEIN_CONFIG"] = str(toml)
    server = SegmentServer(tmp_path / "server", env, scopes)
    con = connect(server.db)
    load_file(con, "accounts", crm)
    con.close()
    return server.start()


@pytest.fixture
def served(tmp_path: Path, crm: Path) -> Iterator[SegmentServer]:
    server = _server(tmp_path, crm)
    try:
        yield server
    finally:
        server.kill()


def _send(server: SegmentServer, calls: list[tuple[str, tuple[Any, ...]]]) -> None:
    """Send through the Segment library; every call must be answered 200."""
    errors: list[Any] = []
    client = SegmentClient(
        server.key, host=server.url, on_error=lambda exc, batch: errors.append(exc), max_retries=3
    )
    for method, args in calls:
        getattr(client, method)(*args)
    client.flush()
    client.join()
    assert errors == []
    server.wait_applied()


def _account(server: SegmentServer, account_id: str) -> dict[str, Any]:
    response = server.http.get(f"{server.url}/api/v1/accounts/{account_id}", timeout=30)
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


def test_a_group_call_cannot_rename_a_file_loaded_account(served: SegmentServer, crm: Path) -> None:
    _send(served, [("group", ("u1", "a1", {"name": "acme-from-product", "industry": "Software"}))])

    detail = _account(served, "a1")
    assert detail["account"]["name"] == "Acme Corp"  # the CRM's name stands
    assert detail["account"]["industry"] == "Software"  # a field the file left empty fills
    sources = detail["field_sources"]
    assert set(sources) == {"name", "industry", "created_at"}
    assert sources["name"]["source"] == str(crm.resolve())
    assert sources["name"]["kind"] == "file"
    assert sources["name"]["label"] == "crm-accounts.csv"
    assert sources["industry"]["source"] == f"segment:{served.key_id}"
    assert sources["industry"]["kind"] == "segment"
    assert sources["industry"]["label"] == "Segment key tests"
    served.stop()
    # The trait is kept (it may win later, if precedence changes), just not applied.
    assert served.query(
        "SELECT value FROM segment_traits WHERE entity_id = 'a1' AND trait = 'name'"
    ) == [('"acme-from-product"',)]
    [(loaded_at,)] = served.query("SELECT started_at FROM load_log WHERE kind = 'accounts'")
    assert datetime.fromisoformat(sources["name"]["set_at"]) == loaded_at.replace(tzinfo=UTC)


def test_precedence_configured_the_other_way_lets_the_product_rename(
    tmp_path: Path, crm: Path
) -> None:
    config = '[ingest.precedence]\naccounts.name = ["segment", "file"]\n'
    server = _server(tmp_path, crm, config, ("master-data",))
    try:
        _send(server, [("group", ("u1", "a1", {"name": "Acme (product)", "region": "EMEA"}))])
        detail = _account(server, "a1")
        assert detail["account"]["name"] == "Acme (product)"
        assert detail["account"]["region"] == "EMEA"
        assert detail["field_sources"]["name"]["kind"] == "segment"
        assert detail["field_sources"]["created_at"]["kind"] == "file"
    finally:
        server.kill()


def test_bad_traits_are_rejected_and_the_rest_of_the_call_applies(served: SegmentServer) -> None:
    _send(
        served,
        [
            ("group", ("u1", "a1", {"employees": "lots", "createdAt": "last tuesday",
                                    "industry": "Retail", "plan": "pro"})),
            ("group", ("u2", "a2", {"employees": -5, "region": "APAC"})),
            ("identify", ("u1", {"email": "ada@acme.test", "role": "overlord", "title": "CTO"})),
        ],
    )  # fmt: skip
    # A single call answered on its own: accepted (200) although a trait is bad.
    response = served.post(
        "/v1/identify", {"userId": "u2", "traits": {"role": "Champion", "createdAt": "soon"}}
    )
    assert response.status_code == 200 and response.json() == {"success": True}
    served.wait_applied()

    # The existing rejects view (the ingestion page's API) lists them with their reasons.
    activity = served.http.get(f"{served.url}/api/v1/segment/activity", timeout=30).json()
    shown = {(r["field"], r["value"]) for r in activity["recent_rejects"]}
    assert ("traits.employees", "lots") in shown and ("traits.role", "overlord") in shown
    served.stop()

    rejects = served.query(
        'SELECT kind, "column", "value", reason FROM rejects WHERE file = ? ORDER BY 2, 3',
        [f"segment:{served.key_id}"],
    )
    assert [r[:3] for r in rejects] == [
        ("segment.group", "traits.createdAt", "last tuesday"),
        ("segment.identify", "traits.createdAt", "soon"),
        ("segment.group", "traits.employees", "-5"),
        ("segment.group", "traits.employees", "lots"),
        ("segment.identify", "traits.role", "overlord"),
    ]
    reasons = {(r[1], r[2]): r[3] for r in rejects}
    assert reasons["traits.employees", "lots"].startswith("not a whole number (messageId ")
    assert reasons["traits.employees", "-5"].startswith("must be at least 0")
    assert reasons["traits.createdAt", "last tuesday"].startswith("not a timestamp")
    assert reasons["traits.role", "overlord"].startswith(
        "not one of the allowed values: champion, executive_sponsor, admin, user"
    )
    assert "the group call's other traits were applied" in reasons["traits.employees", "lots"]

    # The good traits of the same calls were applied; the bad ones changed nothing.
    assert served.query(
        "SELECT account_id, industry, region, employees, created_at::DATE::VARCHAR "
        "FROM accounts ORDER BY 1"
    ) == [("a1", "Retail", None, None, "2023-01-01"), ("a2", None, "APAC", None, "2023-02-01")]
    assert served.query(
        "SELECT contact_id, account_id, email, title, role, created_at FROM contacts ORDER BY 1"
    ) == [
        ("u1", "a1", "ada@acme.test", "CTO", None, None),
        ("u2", "a2", None, None, "champion", None),
    ]
    stored = served.query(
        "SELECT entity_id, trait FROM segment_traits WHERE trait IN "
        "('employees', 'createdAt', 'role', 'plan') ORDER BY 1, 2"
    )
    assert stored == [("a1", "plan"), ("u2", "role")]
