"""The accounts list as a CSM reads it (issue 12, item 4): "last seen" by calendar day,
paging past the end, search over every shown field, words for raw values."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.labels import label, matching
from outsidein.web.queries.figures_cache import figures_cache
from outsidein.web.templating import ago

from .conftest import LiveServer, seed_small


@pytest.mark.parametrize(
    ("seen", "now", "words"),
    [
        # Around midnight: calendar days, not 24-hour periods.
        ("2026-03-09 23:50", "2026-03-10 00:10", "yesterday"),
        ("2026-03-10 00:00", "2026-03-10 23:59", "today"),
        ("2026-03-08 23:59", "2026-03-10 00:01", "2 days ago"),
        ("2026-03-03 12:00", "2026-03-10 08:00", "1 week ago"),
        # Around the year's end.
        ("2025-12-31 22:00", "2026-01-01 01:00", "yesterday"),
        ("2025-12-20 10:00", "2026-01-19 09:00", "4 weeks ago"),
        ("2025-12-20 10:00", "2026-01-20 09:00", "1 month ago"),
        ("2025-01-01 00:00", "2025-12-31 23:59", "11 months ago"),
        ("2024-12-19 23:00", "2026-12-19 01:00", "2 years ago"),  # 729 x 24 h: once "1 year"
        ("2024-12-20 00:00", "2026-12-19 23:00", "1 year ago"),
        ("2023-01-01 00:00", "2026-01-01 00:00", "3 years ago"),
        ("2026-03-10 12:00", "2026-03-10 09:00", "today"),  # a little ahead of the clock
    ],
)
def test_last_seen_counts_calendar_days(seen: str, now: str, words: str) -> None:
    assert ago(datetime.fromisoformat(seen), datetime.fromisoformat(now)) == words


def test_last_seen_of_an_aware_time_is_its_utc_day() -> None:
    # 21:30 in New York on 9 March is 01:30 UTC on 10 March: "today" at 10:00 UTC.
    new_york = datetime(2026, 3, 9, 21, 30, tzinfo=timezone(timedelta(hours=-4)))
    assert ago(new_york, datetime(2026, 3, 10, 10, 0)) == "today"
    assert ago(datetime(2026, 3, 9, 21, 30, tzinfo=UTC), datetime(2026, 3, 10, 1)) == "yesterday"
    assert ago(None) == "never"


def test_labels_for_raw_values() -> None:
    assert [label(v) for v in ("mid_market", "Mid-Market", "smb", "SMB", "enterprise")] == [
        "Mid-market",
        "Mid-market",
        "SMB",
        "SMB",
        "Enterprise",
    ]
    assert [label(v) for v in ("churned", "onboarding", "key_accounts", "EMEA", None)] == [
        "Churned",
        "Onboarding",
        "Key accounts",
        "EMEA",
        "",
    ]
    assert matching("mid-mar", ["smb", "mid_market"]) == ["mid_market"]
    assert matching("mid market", ["Mid-Market", "SMB"]) == ["Mid-Market"]
    assert matching("", ["smb"]) == []
    # What a code describes can change its words: the function "success" is a team.
    assert [label("success"), label("success", "function"), label("support", "function")] == [
        "Success",
        "Customer success",
        "Support",
    ]
    assert [label(v) for v in ("nps", "csat", "qbr", "in_app_guide")] == [
        "NPS",
        "CSAT",
        "QBR",
        "In-app guide",
    ]


@pytest.fixture(scope="module")
def client(small_server: LiveServer) -> Iterator[httpx.Client]:
    with small_server.client(timeout=30, headers={"accept": "text/html"}) as c:
        yield c


def test_one_list_request_reads_the_data_fingerprint_once(client: httpx.Client) -> None:
    """The statuses, the filter values and the page's filter controls share one reading of
    what the cached figures depend on (it was read three times a page)."""
    for path in ("/accounts?q=acme&segment=smb", "/api/v1/accounts?status=active"):
        before = figures_cache.readings
        assert client.get(path).status_code == 200, path
        assert figures_cache.readings - before == 1, path


def test_paging_past_the_end_lands_on_the_last_page(client: httpx.Client) -> None:
    far = client.get("/accounts", params={"sort": "mrr", "page": 999, "page_size": 2})
    assert far.status_code == 303
    assert far.headers["location"] == "/accounts?sort=mrr&page=3&page_size=2"
    page = client.get(far.headers["location"]).text
    assert "Page 3 of 3" in page
    assert 'rel="prev" href="/accounts?sort=mrr&amp;page=2&amp;page_size=2"' in page
    assert 'rel="next"' not in page
    # One page in all: back to the list itself, with no live "Previous".
    one = client.get("/accounts", params={"q": "hooli", "page": 5}, follow_redirects=True)
    assert str(one.url).endswith("/accounts?q=hooli")
    assert "Page 1 of 1" in one.text and 'rel="prev"' not in one.text
    none = client.get("/accounts", params={"q": "no such thing", "page": 2})
    assert none.headers["location"] == "/accounts?q=no+such+thing"


def names(page: str) -> list[str]:
    return re.findall(r'<a class="strong" href="/accounts/[^"]+">([^<]+)</a>', page)


@pytest.mark.parametrize(
    ("q", "found"),
    [
        ("smb", ["Initech", "Umbrella &lt;script&gt;alert(1)&lt;/script&gt;"]),  # segment
        ("MID-MARKET", ["Globex"]),  # segment, as written in the data and as labelled
        ("mid_market", ["Globex"]),  # as the API spells it
        ("onboarding", ["Globex", "Umbrella &lt;script&gt;alert(1)&lt;/script&gt;"]),  # status
        ("churned", ["Hooli"]),  # status
        ("scully", ["Acme Corp", "Initech"]),  # CSM name
        ("emea", ["Acme Corp"]),  # region
    ],
)
def test_search_matches_every_shown_field(client: httpx.Client, q: str, found: list[str]) -> None:
    assert names(client.get("/accounts", params={"q": q}).text) == found


def test_list_shows_labels_and_the_api_keeps_raw_values(client: httpx.Client) -> None:
    page = client.get("/accounts").text
    for words in ("Mid-market", "SMB", "Active", "Onboarding", "Churned"):
        assert f'">{words}</span>' in page, words
    assert '">Mid-Market</span>' not in page and '">active</span>' not in page
    assert '<option value="Mid-Market">Mid-market</option>' in page  # filters send raw values
    assert '<option value="churned">Churned</option>' in page
    chips = client.get("/accounts", params={"segment": "mid-market"}).text
    assert "segment: <strong>Mid-market</strong>" in chips
    body = client.get("/api/v1/accounts", headers={"accept": "application/json"}).json()
    raw = {a["name"]: (a["segment"], a["status"]) for a in body["items"]}
    assert raw["Globex"] == ("Mid-Market", "onboarding") and raw["Hooli"][1] == "churned"


def test_cli_shows_labels_and_writes_raw_values(tmp_path: Path) -> None:
    db = seed_small(tmp_path / "s.duckdb")
    runner = CliRunner()
    common = ["--db", str(db), "--config", str(tmp_path / "none.toml")]
    (tmp_path / "none.toml").write_text("", encoding="utf-8")
    shown = runner.invoke(app, ["accounts", "show", "A-002", *common], env={"COLUMNS": "200"})
    assert shown.exit_code == 0, shown.output
    assert "Onboarding on" in shown.output and "Mid-market / NA" in shown.output
    listed = runner.invoke(app, ["accounts", "list", *common], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert "Mid-market" in listed.output and "Mid-Market" not in listed.output
    out = tmp_path / "accounts.csv"
    written = runner.invoke(app, ["accounts", "list", "--out", str(out), *common])
    assert written.exit_code == 0, written.output
    text = out.read_text(encoding="utf-8")
    assert "Mid-Market" in text and "Mid-market" not in text and '"onboarding"' in text
