"""The audit log: what is recorded, the API (typed, paged, filtered), the CLI and the page.

Config versions published through the API, write keys created and revoked (locally and
through the server), and the store's own ``record``/``read`` with paging and filters.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi import FastAPI

from outsidein.ingest.segment import create_key, revoke_key
from outsidein.store import audit, connect
from outsidein.web import create_app

from .conftest import LiveServer, seed_small


def test_record_and_read_page_and_filter(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    before = datetime.now(UTC).replace(tzinfo=None) - timedelta(seconds=1)
    for i in range(7):
        audit.record(con, actor="ada", action="export", target=f"f{i}.csv", detail={"rows": i})
    audit.record(con, actor=None, action="backup")
    key = create_key(con, "web", actor="bob")
    revoke_key(con, key.key.key_id, actor="bob")
    revoke_key(con, key.key.key_id, actor="bob")  # again: a no-op, not recorded again

    page = audit.read(con, limit=3)
    assert page.total == 10 and [e.action for e in page.entries] == [
        "key.revoke", "key.create", "backup"
    ]  # fmt: skip
    assert page.next_offset == 3
    assert audit.read(con, limit=3, offset=9).next_offset is None
    keys = audit.read(con, action="key")
    assert [(e.action, e.target, e.actor) for e in keys.entries] == [
        ("key.revoke", key.key.key_id, "bob"), ("key.create", key.key.key_id, "bob")
    ]  # fmt: skip
    assert keys.entries[1].detail == {"name": "web", "scopes": []}
    exports = audit.read(con, actor="ada", limit=2, offset=2)
    assert [e.target for e in exports.entries] == ["f4.csv", "f3.csv"] and exports.total == 7
    # Times are UTC, naive as the store keeps every time.
    first = audit.read(con, action="export", limit=500).entries[-1]
    assert before <= first.at <= datetime.now(UTC).replace(tzinfo=None)
    assert (
        audit.read(con, since=datetime.now(UTC).replace(tzinfo=None) + timedelta(hours=1)).total
        == 0
    )
    con.close()


def test_api_page_and_cli_show_config_and_key_changes(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    db = seed_small(tmp_path / "s.duckdb")
    server = live_server(create_app(db))
    with server.client() as web:
        assert (
            web.put("/api/v1/config", json={"analytics": {"renewal_days": 45}}).status_code == 200
        )
        made = web.post("/api/v1/segment/keys", json={"name": "site", "scopes": ["master-data"]})
        key_id = made.json()["key_id"]
        assert web.post(f"/api/v1/segment/keys/{key_id}/revoke").status_code == 200

        body = web.get("/api/v1/audit", params={"limit": 2}).json()
        assert body["total"] >= 4 and body["limit"] == 2 and body["next_offset"] == 2
        got = [(e["action"], e["actor"], e["target"]) for e in body["entries"]]
        assert got == [("key.revoke", "admin", key_id), ("key.create", "admin", key_id)]
        assert body["entries"][0]["at"].endswith("Z")
        published = web.get("/api/v1/audit", params={"action": "config.publish"}).json()
        assert [e["target"] for e in published["entries"]][:1] == ["version 2"]
        assert published["entries"][0]["actor"] == "admin"
        assert published["entries"][0]["detail"] == {"source": "api", "origin": "admin"}
        bad = web.get("/api/v1/audit", params={"limit": 0})
        assert bad.status_code in (400, 422)
        assert web.get("/api/v1/audit", params={"since": "0"}).status_code in (400, 422)
        today = datetime.now(UTC).date().isoformat()
        assert web.get("/api/v1/audit", params={"until": today}).json()["total"] == body["total"]
        assert web.get("/api/v1/audit", params={"until": "2020-01-01"}).json()["total"] == 0

        page = web.get("/audit", params={"action": "key"})
        assert page.status_code == 200
        assert (
            "key.revoke" in page.text
            and key_id in page.text
            and "config.publish" not in page.text.split("<tbody>")[1]
        )
    # The CLI, on the store the server left.
    server.stop()
    listed = subprocess.run(
        [sys.executable, "-m", "outsidein", "audit", "list", "--action", "key", "--db", str(db)],
        capture_output=True, text=True, check=False, env={"COLUMNS": "250", "PATH": "/usr/bin"},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert "key.create" in listed.stdout and "key.revoke" in listed.stdout
    assert "config.publish" not in listed.stdout
