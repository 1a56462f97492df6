"""``outsidein keys``: on a stopped store directly, on a served store through the server."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.cli import keys as _keys  # noqa: F401  registers the command
from outsidein.ingest.segment.keys import hash_secret
from outsidein.store import connect

from .conftest import SegmentServer

pytestmark = pytest.mark.timeout(120)
SECRET = re.compile(r"oiwk_[A-Za-z0-9_-]{43}")


def keys(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        app, ["keys", *args], catch_exceptions=False, env={"COLUMNS": "200"}
    )
    return result.exit_code, result.output


def test_create_list_revoke_on_a_stopped_store(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    code, out = keys("create", "web app", "--db", db)
    assert code == 0, out
    secret = SECRET.search(out)
    assert secret, out
    assert "not shown again" in out
    con = connect(db)
    [(key_id, key_hash, prefix)] = con.execute(
        "SELECT key_id, key_hash, key_prefix FROM write_keys"
    ).fetchall()
    con.close()
    # Stored hashed: the secret itself is nowhere in the file.
    assert key_hash == hash_secret(secret[0]) and secret[0].encode() not in Path(db).read_bytes()
    code, out = keys("list", "--db", db)
    assert code == 0 and "web app" in out and key_id in out and prefix in out
    assert secret[0] not in out and "active" in out and "never" in out
    code, out = keys("revoke", key_id, "--db", db)
    assert code == 0 and f"revoked write key {key_id}" in out
    assert "revoked" in keys("list", "--db", db)[1]


def test_revoking_an_unknown_key_says_so(tmp_path: Path) -> None:
    from outsidein.ingest.segment import KeyNotFoundError

    with pytest.raises(KeyNotFoundError, match="no write key 'wk_nope'"):
        keys("revoke", "wk_nope", "--db", str(tmp_path / "s.duckdb"))


def test_keys_go_through_the_server_that_owns_the_store(segment_server: SegmentServer) -> None:
    db, server = str(segment_server.db), ["--server", segment_server.url]
    code, out = keys("create", "mobile", "--db", db, *server)
    assert code == 0, out
    secret = SECRET.search(out)
    assert secret
    # The running server knows the new key at once.
    body = {"userId": "u", "event": "Opened"}
    response = httpx.post(segment_server.url + "/v1/track", json=body, auth=(secret[0], ""))
    assert response.status_code == 200
    code, out = keys("list", "--db", db, *server)
    assert code == 0 and "mobile" in out and "tests" in out
    key_id = re.search(r"wk_[0-9a-f]{12}", out.split("mobile", 1)[1])
    assert key_id
    code, out = keys("revoke", key_id[0], "--db", db, *server)
    assert code == 0, out
    response = httpx.post(segment_server.url + "/v1/track", json=body, auth=(secret[0], ""))
    assert response.status_code == 401


def test_locked_store_without_a_server_is_a_clear_error(segment_server: SegmentServer) -> None:
    from outsidein.cli.keys import ServerUnreachableError

    dead = "http://127.0.0.1:9"
    with pytest.raises(ServerUnreachableError, match=r"is in use by process \d+.*no server"):
        keys("list", "--db", str(segment_server.db), "--server", dead)
