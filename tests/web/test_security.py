"""Every route behind a check, proven by sweeping the app's own router; a CSM's book;
Host allow-list, Origin and CSRF; the login rate limit; concurrent user and token writes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi import routing as fastapi_routing

from outsidein.web import create_app
from outsidein.web.guard import is_public

from .conftest import LiveServer, seed_small

# Declared exceptions (docs/security.md): no data, or their own credentials (write keys).
EXCEPTIONS = {"/healthz", "/login", "/favicon.ico"}
EXCEPTION_PREFIXES = ("/v1/", "/static", "/static-offline-docs", "/assets/", "/unsubscribe/")
# The outcome survey's form, its link token the credential: these three routes only.
SURVEY_FORM = {("GET", "/s/{token}"), ("POST", "/s/{token}"), ("POST", "/s/{token}/answer")}


def routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route and mount the app has, read from its router."""
    found: list[tuple[str, str]] = []
    iterate = getattr(fastapi_routing, "iter_route_contexts", None)
    contexts = list(iterate(app.routes)) if iterate is not None else app.routes
    for route in contexts:
        path = getattr(route, "path", None)
        if path is None:
            continue
        methods = getattr(route, "methods", None) or {"GET"}
        found += [(m, path) for m in sorted(methods) if m != "HEAD"]
    return found


def concrete(path: str, account: str = "A-002") -> str:
    """A template's parameters filled in: accounts get ``account``, the rest a word."""
    path = path.replace("{account_id}", account)
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(create_app(seed_small(tmp_path_factory.mktemp("sec") / "s.duckdb")))
    live.start()
    # The daily snapshot, so that a route reading it answers an account in the book (200)
    # and the 404 for one outside it is the book's refusal, not a missing snapshot.
    built = live.http.post(f"{live.url}/api/v1/metrics/snapshot")
    assert built.status_code in (200, 202), built.text
    yield live
    live.stop()


@pytest.fixture(scope="module")
def csm(server: LiveServer) -> Iterator[httpx.Client]:
    """Dana (csm1): her book is A-001 and A-003."""
    _, _, token = server.add_user("dana", "csm", "csm1")
    auth = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=server.url, headers=auth, timeout=30) as client:
        yield client


def test_no_route_answers_data_without_signing_in(server: LiveServer) -> None:
    swept = routes(server.app)
    assert len(swept) > 25 and ("GET", "/api/v1/accounts/{account_id}") in swept
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        assert set(swept) >= SURVEY_FORM
        for method, path in swept:
            if (method, path) in SURVEY_FORM:  # a wrong token: the plain 404 page, no data
                assert anonymous.request(method, concrete(path)).status_code == 404
                continue
            if path in EXCEPTIONS or path.startswith(EXCEPTION_PREFIXES):
                assert is_public(concrete(path)) or is_public(concrete(path) + "/x")  # mounts
                continue
            answer = anonymous.request(method, concrete(path))
            assert answer.status_code == 401, (method, path, answer.status_code)
            assert answer.json()["error"]["code"] == "unauthenticated"
            page = anonymous.request(method, concrete(path), headers={"accept": "text/html"})
            if method == "GET":
                assert page.status_code in (303, 401), (path, page.status_code)
                if page.status_code == 303:
                    assert page.headers["location"].startswith("/login?next=")
            assert "Acme" not in page.text and "Globex" not in page.text


def test_the_exceptions_answer_no_data(server: LiveServer) -> None:
    with httpx.Client(base_url=server.url, timeout=30) as anonymous:
        assert anonymous.get("/healthz").json() == {"status": "ok"}
        login = anonymous.get("/login")
        assert login.status_code == 200 and "Acme" not in login.text
        headers = login.headers
        assert "frame-ancestors 'none'" in headers["content-security-policy"]
        assert "unsafe" not in headers["content-security-policy"]
        assert headers["x-frame-options"] == "DENY"
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert anonymous.get("/docs").status_code == 401
        assert anonymous.get("/openapi.json").status_code == 401


def test_a_csm_cannot_read_another_book_through_any_route(
    server: LiveServer, csm: httpx.Client
) -> None:
    with_account = [(m, p) for m, p in routes(server.app) if "{account_id}" in p]
    assert with_account, "no route names an account"
    for method, path in with_account:
        other = csm.request(method, concrete(path, "A-002"), headers={"accept": "text/html"})
        assert other.status_code == 404, (path, other.status_code)
        assert "Globex" not in other.text
        own = csm.request(method, concrete(path, "A-001"))
        # Their own account answers; a route may still lack its data here (no snapshot).
        lacks = own.status_code == 404 and own.json()["error"]["code"] == "snapshot_missing"
        # A write route sent no body answers 400 for the body: it got past the book check.
        unsent = method != "GET" and own.status_code == 400 and "body" in own.text
        assert own.status_code == 200 or lacks or unsent, (path, own.text)
    # Query parameters that name an account are checked the same way.
    assert csm.get("/api/v1/metrics/usage", params={"account": "A-002"}).status_code == 404
    assert csm.get("/api/v1/metrics/usage", params={"account": "A-001"}).status_code == 200


def test_a_csm_lists_and_measures_only_their_book(server: LiveServer, csm: httpx.Client) -> None:
    listed = csm.get("/api/v1/accounts").json()
    assert sorted(a["account_id"] for a in listed["items"]) == ["A-001", "A-003"]
    page = csm.get("/accounts", headers={"accept": "text/html"}).text
    assert "Acme Corp" in page and "Globex" not in page and "Hooli" not in page
    usage = csm.get("/api/v1/metrics/usage").json()["rows"]
    assert {r["account_id"] for r in usage} <= {"A-001", "A-003"}
    with server.client() as admin:
        theirs = admin.get("/api/v1/metrics/mrr", params={"csm": "csm1"}).json()
        everyone = admin.get("/api/v1/metrics/mrr").json()
    mine = csm.get("/api/v1/metrics/mrr").json()
    assert mine["rows"] == theirs["rows"] != everyone["rows"]
    refused = csm.get("/api/v1/metrics/mrr", params={"csm": "csm2"})
    assert refused.status_code == 403
    assert csm.get("/api/v1/me").json()["book"] == "csm1"


def test_roles_and_scopes_limit_writes(server: LiveServer, csm: httpx.Client) -> None:
    assert csm.get("/api/v1/users").status_code == 403  # admin only
    assert csm.put("/api/v1/config", json={}).status_code == 403
    _, _, viewer = server.add_user("vic", "viewer")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {viewer}"}) as v:
        assert v.get("/api/v1/accounts").json()["total"] == 5  # the whole portfolio
        assert v.post("/api/v1/tokens", json={"name": "x"}).status_code == 403
    with server.client() as admin:
        assert admin.post("/api/v1/segment/keys", json={"name": "k"}).status_code == 201
        me = admin.patch(f"/api/v1/users/{server.username}", json={"disabled": True})
        assert me.status_code == 403 and "yourself" in me.text
        demoted = admin.patch("/api/v1/users/dana", json={"role": "viewer"})
        assert demoted.status_code == 200 and demoted.json()["role"] == "viewer"
        admin.patch("/api/v1/users/dana", json={"role": "csm"})


def sign_in(server: LiveServer, client: httpx.Client, user: str, password: str) -> httpx.Response:
    return client.post(
        "/login",
        data={"username": user, "password": password, "next": "/accounts"},
        headers={"origin": server.url},
    )


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


def test_a_session_needs_its_csrf_token_and_the_same_origin(server: LiveServer) -> None:
    name, password, _ = server.add_user("mia", "manager")
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        signed = sign_in(server, browser, name, password)
        assert signed.status_code == 303 and signed.headers["location"] == "/accounts"
        cookie = signed.headers["set-cookie"].lower()
        assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
        page = browser.get("/accounts", headers={"accept": "text/html"})
        assert page.status_code == 200 and "Acme" in page.text
        token = csrf_of(page.text)
        body = {"name": "from-a-browser"}
        assert browser.post("/api/v1/tokens", json=body).status_code == 403
        wrong = browser.post("/api/v1/tokens", json=body, headers={"x-csrf-token": "guess"})
        assert wrong.json()["error"]["code"] == "csrf_failed"
        foreign = browser.post(
            "/api/v1/tokens",
            json=body,
            headers={"x-csrf-token": token, "origin": "http://evil.example"},
        )
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "cross_origin"
        good = browser.post("/api/v1/tokens", json=body, headers={"x-csrf-token": token})
        assert good.status_code == 201, good.text
        out = browser.post("/logout", data={"csrf_token": token})
        assert out.status_code == 303
        assert browser.get("/api/v1/accounts").status_code == 401  # the session is gone


def test_a_foreign_host_is_refused(server: LiveServer) -> None:
    """A DNS-rebinding page reaches the port under its own name: refused before anything."""
    with server.client() as admin:
        rebound = admin.get("/api/v1/accounts", headers={"host": "attacker.example"})
        assert rebound.status_code == 400 and rebound.json()["error"]["code"] == "unknown_host"
        keys = admin.post(
            "/api/v1/segment/keys", json={"name": "k"}, headers={"host": "attacker.example:80"}
        )
        assert keys.status_code == 400


def test_sign_ins_are_rate_limited_per_user_and_client(server: LiveServer) -> None:
    name, password, _ = server.add_user("rita", "viewer")
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        for _ in range(5):
            assert sign_in(server, browser, name, "wrong-password!").status_code == 401
        blocked = sign_in(server, browser, name, password)
        assert blocked.status_code == 429 and int(blocked.headers["retry-after"]) > 0
        # Another user from the same client is not blocked.
        other, other_password, _ = server.add_user("otto", "viewer")
        assert sign_in(server, browser, other, other_password).status_code == 303


def test_twenty_clients_add_users_and_tokens_and_none_is_lost(server: LiveServer) -> None:
    def add(i: int) -> tuple[int, int]:
        with server.client() as admin:
            user = admin.post(
                "/api/v1/users",
                json={"username": f"crowd{i}", "role": "viewer", "password": "a-long-password"},
            )
            token = admin.post(
                "/api/v1/tokens", json={"name": f"t{i}", "username": f"crowd{i}", "scope": "read"}
            )
            return user.status_code, token.status_code

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(add, range(20)))
    assert answers == [(201, 201)] * 20
    with server.client() as admin:
        users = {u["username"] for u in admin.get("/api/v1/users").json()}
        tokens = {t["name"] for t in admin.get("/api/v1/tokens").json()}
        again = admin.post(
            "/api/v1/users", json={"username": "crowd3", "role": "viewer", "password": "x" * 12}
        )
    assert {f"crowd{i}" for i in range(20)} <= users
    assert {f"t{i}" for i in range(20)} <= tokens
    assert again.status_code == 409


def test_no_stack_trace_in_an_error(server: LiveServer, tmp_path: Path) -> None:
    with server.client() as admin:
        huge = admin.put("/api/v1/config", content=b"{" * (2 * 1024 * 1024))
    assert huge.status_code == 413 and "Traceback" not in huge.text

    def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it streams
        for _ in range(40):
            yield b" " * 65536

    with server.client() as admin:
        streamed = admin.put("/api/v1/config", content=chunks())
    assert streamed.status_code == 413, streamed.text
    assert streamed.json()["error"]["code"] == "payload_too_large"


def test_the_cli_signs_in_with_the_api_token_of_its_environment(
    server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--server URL` without a record beside the store: OUTSIDEIN_API_TOKEN is sent."""
    from outsidein.cli.server_client import Server, ServerError

    monkeypatch.delenv("OUTSIDEIN_API_TOKEN", raising=False)
    with pytest.raises(ServerError, match="sign in first"):
        Server(server.url).get("/api/v1/me")
    monkeypatch.setenv("OUTSIDEIN_API_TOKEN", server.auth["Authorization"].split()[1])
    assert Server(server.url).get("/api/v1/me")["username"] == server.username


def test_a_csm_is_offered_no_other_csm_in_the_filters(
    server: LiveServer, csm: httpx.Client
) -> None:
    """The accounts and metrics pages' CSM dropdowns list the CSM alone, never a colleague."""
    for path in ("/accounts", "/metrics"):
        page = csm.get(path, headers={"accept": "text/html"})
        assert page.status_code == 200, (path, page.text[:300])
        assert "Dana Scully" in page.text and "Fox Mulder" not in page.text, path
        assert 'value="csm2"' not in page.text, path
    with server.client() as admin:
        assert "Fox Mulder" in admin.get("/accounts", headers={"accept": "text/html"}).text


def test_rejects_audit_and_admin_routes_need_their_role(
    server: LiveServer, csm: httpx.Client
) -> None:
    """Every route of the rejects, audit and admin sections, read from the router: a CSM is
    refused (403) where the section needs a manager or an admin."""
    needs = [
        (m, p)
        for m, p in routes(server.app)
        if p.startswith(("/api/v1/rejects", "/rejects", "/api/v1/audit", "/audit",
                         "/api/v1/admin/", "/ingestion", "/api/v1/segment/"))
    ]  # fmt: skip
    assert len(needs) >= 8
    for method, path in needs:
        answer = csm.request(method, concrete(path), headers={"X-CSRF-Token": "unused"})
        assert answer.status_code == 403, (method, path, answer.status_code)


def test_every_section_of_the_last_merge_is_in_the_sweep(server: LiveServer) -> None:
    swept = {p for _, p in routes(server.app)}
    for path in ("/api/v1/rejects", "/rejects", "/api/v1/audit", "/audit",
                 "/api/v1/admin/backup", "/api/v1/custom-fields",
                 "/api/v1/accounts/{account_id}/usage", "/api/v1/segments",
                 "/segments"):  # fmt: skip
        assert any(p == path or p.startswith(path + "/") for p in swept), path


def test_the_portfolio_setting_opens_other_books_to_a_csm(tmp_path: Path) -> None:
    from outsidein.settings.auth import AuthSettings

    app = create_app(seed_small(tmp_path / "s.duckdb"), auth=AuthSettings(csm_sees_portfolio=True))
    live = LiveServer(app).start()
    try:
        _, _, token = live.add_user("dana", "csm", "csm1")
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=live.url, headers=auth, timeout=30) as dana:
            assert dana.get("/api/v1/me").json()["book"] is None
            listed = dana.get("/api/v1/accounts").json()
            assert "A-002" in {a["account_id"] for a in listed["items"]}
            assert dana.get("/api/v1/accounts/A-002").status_code == 200
            assert "Fox Mulder" in dana.get("/accounts", headers={"accept": "text/html"}).text
    finally:
        live.stop()


def test_a_cross_site_sign_in_and_an_opaque_origin_are_refused(server: LiveServer) -> None:
    """Login CSRF (a foreign page signing the browser in as the attacker) and a write from
    a sandboxed frame (``Origin: null``) are refused before any route runs."""
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        foreign = browser.post(
            "/login",
            data={"username": server.username, "password": server.password},
            headers={"origin": "https://evil.example"},
        )
        assert foreign.status_code == 403 and foreign.json()["error"]["code"] == "cross_origin"
        assert "outsidein_session" not in foreign.headers.get("set-cookie", "")
    with server.client() as admin:
        opaque = admin.post("/api/v1/segment/keys", json={"name": "x"}, headers={"origin": "null"})
        assert opaque.status_code == 403 and opaque.json()["error"]["code"] == "cross_origin"
