"""The audit log names people: sign-ins (with the client address), sign-outs, users, roles,
tokens, exports, and the admin routes, each recorded with the signed-in user's name."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import httpx
from fastapi import FastAPI

from outsidein.cli.server_client import Server
from outsidein.store import audit
from outsidein.store.owner import ServerRecord
from outsidein.web import create_app

from .conftest import LiveServer, seed_small


def _entries(server: LiveServer, action: str) -> list[tuple[str | None, str | None, dict]]:
    got = server.http.get(f"{server.url}/api/v1/audit", params={"action": action, "limit": 500})
    assert got.status_code == 200, got.text
    return [(e["actor"], e["target"], e["detail"] or {}) for e in got.json()["entries"]]


def _sign_in(server: LiveServer, web: httpx.Client, name: str, password: str) -> httpx.Response:
    return web.post("/login", data={"username": name, "password": password, "next": "/"})


def test_sign_ins_users_tokens_and_admin_routes_name_the_person(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    server = live_server(create_app(seed_small(tmp_path / "s.duckdb")))
    with httpx.Client(base_url=server.url, timeout=30) as web:
        assert _sign_in(server, web, "admin", "not-it").status_code == 401
        assert _sign_in(server, web, "nobody", "x").status_code == 401
        assert _sign_in(server, web, "admin", server.password).status_code == 303
        page = web.get("/audit")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert csrf is not None
        assert web.post("/logout", data={"csrf_token": csrf.group(1)}).status_code == 303
    failed = _entries(server, "signin.failed")
    assert [(a, t) for a, t, _ in failed] == [(None, "nobody"), (None, "admin")]
    assert all(d["client"] == "127.0.0.1" for _, _, d in failed)
    ok = _entries(server, "signin.ok")
    assert [(a, t, d["client"]) for a, t, d in ok] == [("admin", "admin", "127.0.0.1")]
    assert [(a, t) for a, t, _ in _entries(server, "signout")] == [("admin", "admin")]

    api = server.http
    cleo = {"username": "cleo", "role": "viewer", "password": "pw-cleo-01234"}
    made = api.post(f"{server.url}/api/v1/users", json=cleo)
    assert made.status_code == 201, made.text
    for change in ({"role": "manager"}, {"disabled": True}, {"disabled": False},
                   {"password": "pw-cleo-98765"}):  # fmt: skip
        assert api.patch(f"{server.url}/api/v1/users/cleo", json=change).status_code == 200
    token = api.post(f"{server.url}/api/v1/tokens",
                     json={"username": "cleo", "name": "ci", "scope": "read"}).json()  # fmt: skip
    revoked = api.post(f"{server.url}/api/v1/tokens/{token['token_id']}/revoke")
    assert revoked.status_code == 200
    api.post(f"{server.url}/api/v1/tokens/{token['token_id']}/revoke")  # again: not recorded

    users = _entries(server, "user")
    assert [(a, t) for a, t, _ in users if t == "cleo"] == [("admin", "cleo")] * 5
    log = server.http.get(f"{server.url}/api/v1/audit", params={"target": "cleo"}).json()
    assert [e["action"] for e in log["entries"]] == [
        "user.password", "user.enable", "user.disable", "user.role", "user.create"
    ]  # fmt: skip
    assert log["entries"][3]["detail"]["from"] == "viewer"
    assert log["entries"][3]["detail"]["to"] == "manager"
    tokens = [(a, t, d.get("user")) for a, t, d in _entries(server, "token")
              if t == token["token_id"]]  # fmt: skip
    assert tokens == [("admin", token["token_id"], "cleo")] * 2  # create, revoke (once)

    # Admin routes: the signed-in admin, not "api" or "cli".
    assert api.put(f"{server.url}/api/v1/config", json={"analytics": {"renewal_days": 40}}
                   ).status_code == 200  # fmt: skip
    key = api.post(f"{server.url}/api/v1/segment/keys", json={"name": "site"}).json()
    api.post(f"{server.url}/api/v1/segment/keys/{key['key_id']}/revoke")
    erased = api.post(f"{server.url}/api/v1/admin/contacts/C-1/erase")
    assert erased.status_code == 200, erased.text
    for action in ("config.publish", "key.create", "key.revoke"):
        assert _entries(server, action)[0][0] == "admin", action
    assert _entries(server, "contact.erase")[0][:2] == ("admin", "C-1")


def test_exports_through_the_server_are_recorded(
    tmp_path: Path, live_server: Callable[[FastAPI], LiveServer]
) -> None:
    db = seed_small(tmp_path / "s.duckdb")
    app = create_app(db)
    app.state.owner = ServerRecord.starting(db, "127.0.0.1", 0, 1)
    server = live_server(app)
    # As `outsidein accounts list --out x.csv` asks while a server holds the store.
    cli = Server(server.url, app.state.owner)
    cli.get("/api/v1/accounts", {"page": 1}, export="accounts é.csv")
    cli.get("/api/v1/accounts", {"page": 2})  # the next page: not another export
    # A signed-in user's export over the API names them.
    server.http.get(f"{server.url}/api/v1/metrics/mrr",
                    headers={"X-Outsidein-Export": "mrr.parquet"})  # fmt: skip
    found = _entries(server, "export")
    assert [(a, t, d["file"]) for a, t, d in found] == [
        ("admin", "/api/v1/metrics/mrr", "mrr.parquet"),
        ("cli", "/api/v1/accounts", "accounts é.csv"),
    ]
    assert found[1][2]["query"] == "page=1"
    assert "export" in audit.ACTIONS
