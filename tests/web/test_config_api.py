"""``/api/v1/config`` on a real server: the file seeds, the API edits, the file stays as it was."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from outsidein.store import connect
from outsidein.web import create_app
from outsidein.web.deps import ServerStore

from .conftest import LiveServer, seed_small

TOML = "# ours\n[analytics]\nrenewal_days = 30\n"
TO_EUR = {"analytics": {"reporting_currency": "EUR", "currency_rates": {"USD": "0.5"}}}


@pytest.fixture
def store_and_file(tmp_path: Path) -> tuple[Path, Path]:
    toml = tmp_path / "outsidein.toml"
    toml.write_text(TOML, encoding="utf-8")
    return seed_small(tmp_path / "s.duckdb"), toml


def client(server: LiveServer) -> httpx.Client:
    return server.client("/api/v1", timeout=30)


def mrr_now(api: httpx.Client) -> tuple[str, str]:
    body = api.get("/metrics/mrr").json()
    return body["currency"], body["rows"][-1]["mrr"]


def test_get_shows_the_seeded_version_and_put_stores_a_new_one_used_at_once(
    store_and_file: tuple[Path, Path],
    live_server: Callable[[FastAPI], LiveServer],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db, toml = store_and_file
    server = live_server(create_app(db, config_path=toml))
    # The app read its configuration once: pointing the environment elsewhere changes nothing.
    monkeypatch.setenv("OUTSIDEIN_CONFIG", str(toml.parent / "missing.toml"))
    with client(server) as api:
        first = api.get("/config").json()
        assert (first["version"], first["source"], first["origin"]) == (1, "file", str(toml))
        assert first["toml"] == TOML and first["config"]["analytics"]["renewal_days"] == 30
        assert first["created_at"].endswith("Z")  # UTC, zone stated
        currency, usd = mrr_now(api)
        assert currency == "USD"

        edited = api.put("/config", json=TO_EUR)
        assert edited.status_code == 200, edited.text
        body = edited.json()
        assert (body["version"], body["source"], body["origin"]) == (2, "api", "admin")
        assert 'reporting_currency = "EUR"' in body["toml"]
        assert body["config"]["analytics"]["renewal_days"] == 90  # the whole config, replaced
        assert api.get("/config").json()["version"] == 2
        # The next request computes with the new version: MRR in EUR at the given rate.
        currency, eur = mrr_now(api)
        assert currency == "EUR" and float(eur) == pytest.approx(float(usd) * 0.5)
        # The same body again is no new version.
        assert api.put("/config", json=TO_EUR).json()["version"] == 2
    assert toml.read_text(encoding="utf-8") == TOML  # the server never rewrites the file


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"analytics": {"reporting_currency": "euro"}}, "analytics.reporting_currency"),
        ({"store": {"future_tolerance_hours": -1}}, "store.future_tolerance_hours"),
        ({"analytics": {"renewal_day": 5}}, "analytics.renewal_day"),
    ],
)
def test_invalid_settings_are_a_422_naming_each_field_and_store_nothing(
    store_and_file: tuple[Path, Path],
    live_server: Callable[[FastAPI], LiveServer],
    body: dict[str, Any],
    field: str,
) -> None:
    db, toml = store_and_file
    with client(live_server(create_app(db, config_path=toml))) as api:
        answer = api.put("/config", json=body)
        assert answer.status_code == 422, answer.text
        error = answer.json()["error"]
        assert error["code"] == "invalid_config" and field in error["message"]
        assert [f["field"] for f in error["details"]["fields"]] == [field]
        assert api.get("/config").json()["version"] == 1


def test_a_body_that_is_not_a_json_object_is_a_400(
    store_and_file: tuple[Path, Path], live_server: Callable[[FastAPI], LiveServer]
) -> None:
    db, toml = store_and_file
    with client(live_server(create_app(db, config_path=toml))) as api:
        for content in (b"renewal_days = 3", b"[1, 2]"):
            answer = api.put("/config", content=content)
            assert answer.status_code == 400, answer.text
            assert answer.json()["error"]["code"] == "invalid_request"


def test_a_restart_keeps_api_edits_until_the_file_changes(
    store_and_file: tuple[Path, Path], live_server: Callable[[FastAPI], LiveServer]
) -> None:
    db, toml = store_and_file
    first = live_server(create_app(db, config_path=toml))
    with client(first) as api:
        assert api.put("/config", json=TO_EUR).json()["version"] == 2
    first.stop()
    with client(live_server(create_app(db, config_path=toml))) as api:
        assert api.get("/config").json()["version"] == 2  # same file: the edit stands
    toml.write_text("[analytics]\nrenewal_days = 14\n", encoding="utf-8")
    with client(live_server(create_app(db, config_path=toml))) as api:
        now = api.get("/config").json()
        assert (now["version"], now["source"]) == (3, "file")
        assert now["config"]["analytics"]["renewal_days"] == 14


def test_a_bad_file_fails_when_the_app_is_made(tmp_path: Path) -> None:
    from outsidein.errors import InvalidConfigError

    bad = tmp_path / "bad.toml"
    bad.write_text("[analytics]\nrenewal_days = 0\n", encoding="utf-8")
    with pytest.raises(InvalidConfigError, match=r"bad\.toml: analytics\.renewal_days"):
        create_app(tmp_path / "s.duckdb", config_path=bad)


def test_edits_need_a_signed_in_caller(store_and_file: tuple[Path, Path]) -> None:
    db, toml = store_and_file
    app = create_app(db, config_path=toml)
    con = connect(db)
    app.state.store = ServerStore(con)
    app.state.config.open(con)

    async def put() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=("10.1.2.3", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as remote:
            return await remote.put("/api/v1/config", json=TO_EUR)

    try:
        answer = asyncio.run(put())
    finally:
        app.state.store.close()
    assert answer.status_code == 401, answer.text
    assert answer.json()["error"]["code"] == "unauthenticated"


def test_the_openapi_document_describes_the_body_and_the_422(small_server: LiveServer) -> None:
    spec = small_server.http.get(small_server.url + "/openapi.json", timeout=30).json()
    put = spec["paths"]["/api/v1/config"]["put"]
    ref = put["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.rsplit("/", 1)[1] in spec["components"]["schemas"]
    assert {"200", "400", "403", "422"} <= set(put["responses"])
    assert "get" in spec["paths"]["/api/v1/config"]
