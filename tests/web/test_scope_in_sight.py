"""Pages and the API say which day they show and which filters narrow them.

The hand-checked company's data ends on 2024-06-15, long before today: defaults follow the
data, with a notice. Filters match any case, unknown values are refused, and every filter in
effect is shown with a control that keeps it.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from outsidein.web import create_app

from .conftest import LiveServer
from .test_metrics_api import company_store


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    folder = tmp_path_factory.mktemp("scope")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("OUTSIDEIN_CONFIG", str(folder / "outsidein.toml"))
        server = LiveServer(create_app(company_store(folder))).start()
        try:
            with server.client(timeout=60) as http:
                yield http
        finally:
            server.stop()


def test_defaults_follow_the_data_with_a_notice(client: httpx.Client) -> None:
    body = client.get("/api/v1/metrics/mrr").json()
    assert body["as_of"] == body["data_last_day"] == "2024-06-15"
    assert body["first"] == "2023-07-01"
    assert "The data ends on 2024-06-15" in body["notice"]
    assert body["rows"][-1]["mrr"] == "2205.00"  # not a flat line to today
    for path in ("/metrics", "/accounts", "/accounts/A9"):
        page = client.get(path).text
        assert 'data-testid="data-notice"' in page and "2024-06-15" in page, path
    given = client.get("/api/v1/metrics/mrr", params={"as_of": "2024-03-31"}).json()
    assert given["notice"] is None and given["as_of"] == "2024-03-31"


@pytest.mark.parametrize(
    ("path", "params", "words"),
    [
        ("/api/v1/metrics/mrr", {"as_of": "2999-01-01"}, "in the future"),
        ("/api/v1/metrics/bridge", {"from": "0001-01-01"}, "before 1900-01-01"),
        ("/api/v1/metrics/bridge", {"from": "0580-05-16", "grain": "day"}, "before 1900-01-01"),
        (
            "/api/v1/metrics/bridge",
            {"from": "1900-01-01", "grain": "day"},
            "is 45,457 periods; a report covers at most 1,000",
        ),
        ("/api/v1/metrics/mrr", {"from": "1900-01-01"}, "by month is 1,494 periods"),
        ("/api/v1/metrics/cohorts", {"from": "1900-01-01"}, "at most 1,000"),
        ("/metrics", {"from": "1900-01-01", "grain": "day"}, "at most 1,000"),
        ("/api/v1/metrics/snapshot", {"as_of": "2100-01-01"}, "in the future"),
        ("/api/v1/accounts", {"as_of": "2999-01-01"}, "in the future"),
        ("/api/v1/metrics/mrr", {"segment": "Enterprize"}, "the data has: Enterprise, SMB"),
        ("/api/v1/accounts", {"region": "Mars"}, "no account has region 'Mars'"),
        ("/api/v1/accounts", {"status": "zombie"}, "no lifecycle status 'zombie'"),
    ],
)
def test_refusals_are_clear(
    client: httpx.Client, path: str, params: dict[str, str], words: str
) -> None:
    method = client.post if path.endswith("snapshot") else client.get
    response = method(path, params=params)
    assert response.status_code == 422, response.text  # well-formed, refused by a rule
    if path.startswith("/api/"):
        assert words in response.json()["error"]["message"]
    else:
        assert words in response.text


def test_an_unknown_filter_on_a_page_is_a_clear_page(client: httpx.Client) -> None:
    page = client.get("/metrics", params={"segment": "enterprize"})
    assert page.status_code == 422
    assert "no account has segment" in page.text and "Enterprise" in page.text


def test_filters_match_any_case(client: httpx.Client) -> None:
    lower = client.get("/api/v1/metrics/mrr", params={"segment": "enterprise"}).json()
    exact = client.get("/api/v1/metrics/mrr", params={"segment": "Enterprise"}).json()
    assert lower["rows"] == exact["rows"] and lower["filters"] == {"segment": "Enterprise"}
    assert lower["rows"][-1]["mrr"] == "1500.00"  # A5 1000 + A9 GBP 400 = USD 500
    accounts = client.get("/api/v1/accounts", params={"segment": "smb", "status": "Renewal"})
    body = accounts.json()
    assert [i["account_id"] for i in body["items"]] == ["A10", "A7"]  # by name
    assert body["filters"] == {"status": "renewal", "segment": "SMB"}


def test_filters_in_effect_are_shown_and_kept_by_the_form(client: httpx.Client) -> None:
    page = client.get("/metrics", params={"segment": "enterprise", "measure": "nrr"}).text
    assert 'data-testid="filters"' in page and "<strong>Enterprise</strong>" in page
    # the form keeps the filter (pressing Show does not drop it) and the measure
    assert '<option value="Enterprise" selected>' in page
    assert '<input type="hidden" name="measure" value="nrr">' in page
    assert 'aria-label="Remove the segment filter"' in page
    accounts = client.get("/accounts", params={"status": "churned"}).text
    assert '<option value="churned" selected>' in accounts
    assert "2 accounts" in accounts  # A4 and A8


def test_the_account_page_usage_window_ends_on_the_report_day(client: httpx.Client) -> None:
    # A1's events sit on the edges of the windows ending 2024-06-15 (tests/analytics/company.py):
    # with the wall clock's 28 days, the page would show none at all.
    body = client.get("/api/v1/accounts/A1").json()
    assert body["as_of"] == "2024-06-15"
    assert body["usage"]["top_events_28"]
    explicit = client.get("/api/v1/accounts/A1", params={"as_of": "2024-06-15"}).json()
    assert body["usage"]["top_events_28"] == explicit["usage"]["top_events_28"]
