"""The JSON API through a real uvicorn server over a real store."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from outsidein.store import LATEST_VERSION

from .conftest import LiveServer


@pytest.fixture(scope="module")
def api(small_server: LiveServer) -> Iterator[httpx.Client]:
    with small_server.client("/api/v1", timeout=30) as client:
        yield client


def ids(body: dict[str, Any]) -> list[str]:
    return [item["account_id"] for item in body["items"]]


def test_list_returns_every_account_with_current_figures(api: httpx.Client) -> None:
    body = api.get("/accounts").json()
    assert body["total"] == 5
    assert (body["page"], body["page_size"]) == (1, 50)
    assert ids(body) == ["A-001", "A-002", "A-005", "A-003", "A-004"]  # by name
    acme = body["items"][0]
    assert acme["name"] == "Acme Corp"
    assert acme["csm_name"] == "Dana Scully"
    # S-1 + S-2 are active today; S-3 ended long ago.
    assert acme["mrr"] == "5750.50"  # money is an exact decimal string
    assert acme["arr"] == "69006.00"
    assert acme["status"] == "active"
    assert body["mrr_total"] == "7250.50" and body["currency"] == "USD"
    assert acme["open_cases"] == 2  # open + pending; the closed one does not count
    assert acme["last_seen"] is not None


def test_mrr_counts_only_subscriptions_active_today(api: httpx.Client) -> None:
    mrr = {i["account_id"]: i["mrr"] for i in api.get("/accounts").json()["items"]}
    # A-003 starts in 10 days; A-005's subscription ends today, so it is not active today.
    assert mrr == {
        "A-001": "5750.50",
        "A-002": "1200.00",
        "A-003": "0.00",
        "A-004": "300.00",
        "A-005": "0.00",
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("acme", ["A-001"]),
        ("A-00", ["A-001", "A-002", "A-005", "A-003", "A-004"]),
        ("software", ["A-005", "A-003"]),  # industry
        ("apac", ["A-004"]),  # region
        ("mulder", ["A-002", "A-005"]),  # CSM name
        ("csm1", ["A-001", "A-003"]),  # CSM id
        ("' OR 1=1 --", []),
        ("%", []),  # a literal, not a wildcard
    ],
)
def test_search(api: httpx.Client, q: str, expected: list[str]) -> None:
    body = api.get("/accounts", params={"q": q}).json()
    assert ids(body) == expected
    assert body["total"] == len(expected)


@pytest.mark.parametrize(
    ("sort", "order", "expected"),
    [
        ("mrr", "desc", ["A-001", "A-002", "A-004", "A-003", "A-005"]),
        ("mrr", "asc", ["A-003", "A-005", "A-004", "A-002", "A-001"]),
        ("open_cases", "desc", ["A-001", "A-004", "A-002", "A-003", "A-005"]),
        ("last_seen", "desc", ["A-001", "A-002", "A-003", "A-004", "A-005"]),  # nulls last
        ("created_at", "asc", ["A-005", "A-001", "A-002", "A-003", "A-004"]),
        ("account_id", "desc", ["A-005", "A-004", "A-003", "A-002", "A-001"]),
        ("region", "asc", ["A-004", "A-001", "A-002", "A-003", "A-005"]),
    ],
)
def test_sort(api: httpx.Client, sort: str, order: str, expected: list[str]) -> None:
    assert ids(api.get("/accounts", params={"sort": sort, "order": order}).json()) == expected


def test_paging_keeps_the_total(api: httpx.Client) -> None:
    pages = [
        api.get("/accounts", params={"sort": "account_id", "page": n, "page_size": 2}).json()
        for n in (1, 2, 3, 4)
    ]
    assert [ids(p) for p in pages] == [["A-001", "A-002"], ["A-003", "A-004"], ["A-005"], []]
    assert {p["total"] for p in pages} == {5}
    assert [p["page"] for p in pages] == [1, 2, 3, 4]


def test_account_detail(api: httpx.Client) -> None:
    body = api.get("/accounts/A-001").json()
    account = body["account"]
    assert account["name"] == "Acme Corp"
    assert account["csm_name"] == "Dana Scully"
    assert account["mrr"] == "5750.50"
    assert body["currency"] == "USD"
    assert body["mrr_by_currency"] == [{"currency": "USD", "mrr": "5750.50"}]
    assert {s["subscription_id"]: s["mrr"] for s in body["subscriptions"]}["S-2"] == "750.50"
    assert account["open_cases"] == 2
    assert [s["subscription_id"] for s in body["subscriptions"]] == ["S-2", "S-1", "S-3"]
    assert [c["contact_id"] for c in body["contacts"]] == ["C-1", "C-2"]
    assert [i["invoice_id"] for i in body["invoices"]] == ["I-2", "I-1"]
    assert [t["touchpoint_id"] for t in body["touchpoints"]] == ["T-2", "T-1"]
    assert [c["case_id"] for c in body["cases"]] == ["K-1", "K-2", "K-3"]
    assert [r["response_id"] for r in body["survey_responses"]] == ["R-1", "R-2"]
    usage = body["usage"]
    # No daily snapshot in this store: no figures, and why; the top events still come
    # from the events (the login 60 days ago is outside the 28 days).
    assert (usage["day"], usage["active_users_28"], usage["events_28"]) == (None, None, None)
    assert "outsidein metrics snapshot" in usage["notice"]
    assert usage["top_events_28"] == [{"event": "report.viewed", "count": 5, "users": 2}]
    assert usage["last_seen"] is not None


def test_account_detail_of_a_quiet_account(api: httpx.Client) -> None:
    body = api.get("/accounts/A-005").json()
    assert body["account"]["parent_name"] == "Initech"
    usage = body["usage"]
    assert (usage["last_seen"], usage["top_events_28"]) == (None, [])
    assert body["contacts"] == body["invoices"] == body["cases"] == []


def test_status(api: httpx.Client) -> None:
    body = api.get("/status").json()
    assert body["schema_version"] == body["latest_schema_version"] == LATEST_VERSION
    assert body["tables"]["accounts"] == 5
    assert body["tables"]["subscriptions"] == 7
    assert body["tables"]["events"] == 7
    assert body["tables"]["jobs"] == 0
    assert set(body["tables"]) >= {"csms", "contacts", "invoices", "touchpoints", "cases"}


def test_openapi_documents_our_errors(small_server: LiveServer) -> None:
    doc = small_server.http.get(small_server.url + "/openapi.json", timeout=30).json()
    listing = doc["paths"]["/api/v1/accounts"]["get"]
    for status in ("400", "422"):  # FastAPI's own 422 body replaced by ours, and our 422
        assert listing["responses"][status]["content"]["application/json"]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    detail = doc["paths"]["/api/v1/accounts/{account_id}"]["get"]
    assert "404" in detail["responses"]
    assert {p["name"] for p in listing["parameters"]} == {
        "q", "sort", "order", "page", "page_size", "status", "segment", "region", "csm", "as_of"
    }  # fmt: skip
    assert "ErrorResponse" in doc["components"]["schemas"]
    docs = small_server.http.get(small_server.url + "/docs", timeout=30)
    assert docs.status_code == 200
    # Offline: the Swagger UI files come from this server, never from a CDN.
    assert "cdn" not in docs.text.lower()
    assert "/static-offline-docs/swagger-ui-bundle.js" in docs.text
    bundle = small_server.http.get(
        small_server.url + "/static-offline-docs/swagger-ui-bundle.js", timeout=30
    )
    assert bundle.status_code == 200 and len(bundle.content) > 100_000


def test_account_sections_are_paged_with_counts(api: httpx.Client) -> None:
    whole = api.get("/accounts/A-001").json()
    assert whole["counts"] == {
        "contacts": 2, "subscriptions": 3, "invoices": 2, "touchpoints": 2, "cases": 3,
        "survey_responses": 2,
    }  # fmt: skip
    second = api.get("/accounts/A-001", params={"page_size": 1, "touchpoints_page": 2}).json()
    assert [t["touchpoint_id"] for t in second["touchpoints"]] == ["T-1"]
    assert second["pages"]["touchpoints"] == 2 and second["page_size"] == 1
    assert [c["case_id"] for c in second["cases"]] == ["K-1"]  # other sections: page 1
    nps = next(r for r in whole["survey_responses"] if r["kind"] == "nps")
    assert nps["score"] == 9.0 and nps["nps_category"] == "promoter"


def test_the_account_page_pages_a_long_section(
    small_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from outsidein.web.routes import accounts_pages

    monkeypatch.setattr(accounts_pages, "SECTION_PAGE", 2)
    first = small_server.http.get(small_server.url + "/accounts/A-001", timeout=30).text
    assert 'aria-label="Pages of subscriptions"' in first and "1\u20132 of 3" in first
    assert "subscriptions_page=2#subscriptions" in first
    second = small_server.http.get(
        small_server.url + "/accounts/A-001?subscriptions_page=2", timeout=30
    ).text
    assert "3\u20133 of 3" in second and "subscriptions_page=1#subscriptions" in second
    # Cases, touchpoints and surveys are on the timeline, paged the same way.
    assert 'aria-label="Pages of cases"' not in first
    assert 'aria-label="Pages of the timeline"' in first and "tl_page=2#timeline" in first


def test_the_document_says_what_responses_are(small_server: LiveServer) -> None:
    """Timestamps leave with their zone, a 405 lists every method, /v1 bodies have schemas."""
    url, http = small_server.url, small_server.http
    config = http.get(url + "/api/v1/config", timeout=30).json()
    assert config["created_at"].endswith("Z")
    detail = http.get(url + "/api/v1/accounts/A-001", timeout=30).json()
    assert detail["account"]["created_at"] == "2022-01-10T00:00:00Z"
    refused = http.request("OPTIONS", url + "/api/v1/config", timeout=30)
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, PUT")
    doc = http.get(url + "/openapi.json", timeout=30).json()
    track = doc["paths"]["/v1/track"]["post"]
    body = track["requestBody"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/SegmentTrack"}
    assert track["security"] == [{"writeKey": []}]
    assert "event" in doc["components"]["schemas"]["SegmentTrack"]["required"]
    rows = doc["components"]["schemas"]["MrrTable"]["properties"]["rows"]
    assert rows["items"] == {"$ref": "#/components/schemas/MrrRow"}
