"""One error shape for every kind of error, locked here (like Datasette's test_error_shape)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from .conftest import LiveServer


@pytest.fixture(scope="module")
def client(small_server: LiveServer) -> Iterator[httpx.Client]:
    with small_server.client(timeout=30) as c:
        yield c


def error_of(response: httpx.Response, status: int) -> dict[str, Any]:
    """Assert the one shape and return its inner object."""
    assert response.status_code == status
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert list(body) == ["error"]
    assert list(body["error"]) == ["status", "code", "message", "details"]
    assert body["error"]["status"] == status
    assert isinstance(body["error"]["code"], str)
    assert isinstance(body["error"]["message"], str)
    assert body["error"]["message"]
    error: dict[str, Any] = body["error"]
    return error


def test_unknown_account_is_404_not_found(client: httpx.Client) -> None:
    error = error_of(client.get("/api/v1/accounts/NOPE"), 404)
    assert error["code"] == "not_found"
    assert error["message"] == "no account with account_id 'NOPE'"
    assert error["details"] == {"account_id": "NOPE"}


def test_unknown_route_is_404(client: httpx.Client) -> None:
    error = error_of(client.get("/api/v1/nothing-here"), 404)
    assert error == {
        "status": 404,
        "code": "not_found",
        "message": "nothing at /api/v1/nothing-here",
        "details": None,
    }


def test_wrong_method_is_405(client: httpx.Client) -> None:
    response = client.delete("/api/v1/accounts")
    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed"
    assert response.headers["allow"] == "GET"


@pytest.mark.parametrize(
    ("params", "parameter", "text"),
    [
        ({"page_size": 201}, "page_size", "less than or equal to 200"),
        ({"page": 0}, "page", "greater than or equal to 1"),
        ({"page": "two"}, "page", "valid integer"),
        ({"sort": "name; DROP TABLE accounts"}, "sort", "'mrr'"),
        ({"order": "sideways"}, "order", "'asc' or 'desc'"),
    ],
)
def test_invalid_parameter_is_400_naming_it(
    client: httpx.Client, params: dict[str, Any], parameter: str, text: str
) -> None:
    error = error_of(client.get("/api/v1/accounts", params=params), 400)
    assert error["code"] == "invalid_request"
    assert error["message"].startswith(f"query parameter {parameter}: ")
    assert text in error["message"]
    assert error["details"] == [
        {"in": "query", "parameter": parameter, "message": error["message"].split(": ", 1)[1]}
    ]


def test_rejected_sort_leaves_the_store_intact(client: httpx.Client) -> None:
    client.get("/api/v1/accounts", params={"sort": "name; DROP TABLE accounts"})
    assert client.get("/api/v1/accounts").json()["total"] == 5


def test_our_errors_carry_their_code_status_and_details(client: httpx.Client) -> None:
    error = error_of(client.get("/api/v1/test-locked"), 503)
    assert error == {
        "status": 503,
        "code": "store_locked",
        "message": "store is in use by process 42",
        "details": {"path": "/x/s.duckdb"},
    }


def test_unexpected_error_is_500_without_internals(client: httpx.Client) -> None:
    response = client.get("/api/v1/test-boom")
    error = error_of(response, 500)
    assert error["code"] == "internal_error"
    assert "secret" not in response.text
    assert "Traceback" not in response.text


def test_unexpected_error_keeps_the_connection_usable(small_server: LiveServer) -> None:
    limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
    with small_server.client(limits=limits, timeout=30) as one:
        for _ in range(3):
            assert one.get("/api/v1/test-boom").status_code == 500
            assert one.get("/api/v1/status").status_code == 200


def test_pages_render_errors_as_a_page(client: httpx.Client) -> None:
    html = {"accept": "text/html"}
    response = client.get("/accounts/NOPE", headers=html)
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert "Not found" in response.text
    assert "no account with account_id &#39;NOPE&#39;" in response.text
    assert 'href="/accounts"' in response.text  # inside the layout, with its navigation

    assert client.get("/no-such-page", headers=html).status_code == 404
    bad = client.get("/accounts", params={"sort": "evil"}, headers=html)
    assert bad.status_code == 400
    assert "query parameter sort" in bad.text


def test_api_errors_stay_json_for_browsers(client: httpx.Client) -> None:
    error_of(client.get("/api/v1/accounts/NOPE", headers={"accept": "text/html"}), 404)
