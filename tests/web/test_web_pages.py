"""The server-rendered pages, fetched over HTTP from a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from .conftest import LiveServer


@pytest.fixture(scope="module")
def client(small_server: LiveServer) -> Iterator[httpx.Client]:
    with small_server.client(timeout=30, headers={"accept": "text/html"}) as c:
        yield c


def test_root_redirects_to_accounts(client: httpx.Client) -> None:
    response = client.get("/")
    assert response.status_code == 307
    assert response.headers["location"] == "/accounts"


def test_accounts_page(client: httpx.Client) -> None:
    page = client.get("/accounts").text
    assert "<h1>Accounts</h1>" in page
    assert "5 accounts" in page
    assert "Page 1 of 1" in page
    assert "$5,751" in page  # Acme's MRR, whole dollars in the list
    assert '<a href="/accounts" aria-current="page">Accounts</a>' in page
    assert "/static/app.css" in page


def test_accounts_page_escapes_data_and_input(client: httpx.Client) -> None:
    page = client.get("/accounts", params={"q": "<b>x</b>"}).text
    assert "<b>x</b>" not in page
    assert "&lt;b&gt;x&lt;/b&gt;" in page
    page = client.get("/accounts").text
    assert "<script>alert(1)</script>" not in page
    assert "Umbrella &lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_accounts_page_search_sort_and_paging_links(client: httpx.Client) -> None:
    page = client.get("/accounts", params={"q": "software"}).text
    assert "2 accounts matching “software”" in page
    assert "Hooli" in page
    assert "Acme Corp" not in page
    page = client.get("/accounts", params={"sort": "mrr", "order": "desc", "page_size": 2}).text
    assert "Page 1 of 3" in page
    assert 'aria-sort="descending"' in page
    assert 'href="/accounts?sort=mrr&amp;order=desc&amp;page_size=2&amp;page=2"' in page


def test_account_page(client: httpx.Client) -> None:
    page = client.get("/accounts/A-001").text
    for text in (
        "<h1>Acme Corp</h1>",
        "Enterprise Annual",  # subscriptions
        "Ada Lovelace",  # contacts
        "I-2",  # invoices
        "Export fails",  # cases
        "QBR",  # touchpoints
        "Q2 NPS",  # surveys
        "report.viewed",  # usage
        "$5,750.50",
    ):
        assert text in page, text


def test_account_page_of_a_record_with_markup_in_its_name(client: httpx.Client) -> None:
    page = client.get("/accounts/A-004").text
    assert "<script>alert(1)</script>" not in page
    assert "No contacts on record." in page


def test_static_css(client: httpx.Client) -> None:
    response = client.get("/static/app.css")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/css")
