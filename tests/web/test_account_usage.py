"""An account's usage over time: the page's chart and table, the API and ``outsidein accounts
show`` give the daily snapshot's figures as :func:`outsidein.analytics.usage_history` reads
them; and the account page shows words, not codes."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from outsidein.analytics import (
    account_usage,
    build_snapshot,
    feature_counts,
    history_range,
    store_sources,
    usage_history,
)
from outsidein.cli import app as cli_app
from outsidein.config import load_config
from outsidein.store import connect
from outsidein.web import create_app

from .conftest import TODAY, LiveServer, ago, insert, seed_small

CONFIG = '[analytics]\nkey_features = ["report.viewed", "export.run", "alert.set"]\n'
DAYS = 366


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The small company with a year of A-001's usage by 14 people, and its snapshot."""
    folder = tmp_path_factory.mktemp("usage")
    db = seed_small(folder / "s.duckdb")
    toml = folder / "outsidein.toml"
    toml.write_text(CONFIG, encoding="utf-8")
    con = connect(db)
    events = [
        (f"h{k}", "A-001", f"p{k % 14}", ("export.run", "alert.set", "login")[k % 3],
         ago(k * 2.5 + 0.5), None)
        for k in range(150)
    ]  # fmt: skip
    insert(con, "events", events)
    build_snapshot(con, load_config(toml).analytics, TODAY, since=TODAY - timedelta(days=420))
    con.close()
    return db, toml


def expected(db: Path, account: str = "A-001") -> list[dict[str, Any]]:
    """The analytics function's rows, JSON-shaped as the API sends them."""
    con = connect(db, read_only=True)
    try:
        first, last = history_range(con, TODAY, DAYS)
        rows = usage_history(store_sources(con), account, first, last).to_pyarrow().to_pylist()
    finally:
        con.close()
    return [{**r, "date": r["date"].isoformat()} for r in rows]


class Cells(HTMLParser):
    """Text of every ``td``/``th`` with its ``data-col`` and its row's ``data-day``, and the
    JSON of each chart spec, from a page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[tuple[str | None, str | None, str]] = []
        self.specs: dict[str, Any] = {}
        self._day: str | None = None
        self._cell: tuple[str | None, list[str]] | None = None
        self._spec: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr":
            self._day = found.get("data-day")
        elif tag in ("td", "th"):
            self._cell = (found.get("data-col"), [])
        elif tag == "script" and found.get("type") == "application/json":
            self._spec = found.get("id")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            text = re.sub(r"\s+", " ", "".join(self._cell[1])).strip()
            self.cells.append((self._day, self._cell[0], text))
            self._cell = None
        elif tag == "script":
            self._spec = None

    def handle_data(self, data: str) -> None:
        if self._spec is not None:
            self.specs[self._spec] = json.loads(data)
        elif self._cell is not None:
            self._cell[1].append(data)


def parsed(html: str) -> Cells:
    cells = Cells()
    cells.feed(html)
    return cells


def test_page_api_and_cli_show_the_snapshot_figures(store: tuple[Path, Path]) -> None:
    db, toml = store
    rows = expected(db)
    assert len(rows) == DAYS
    latest = rows[-1]
    assert latest["date"] == TODAY.isoformat()
    # Figures worth comparing: people active, key features used, seats bought and used.
    assert latest["active_users_28"] > 5 and latest["key_features_used_28"] == 3
    assert latest["seats_bought"] == 200 and latest["seat_utilization"] > 0
    assert len({r["active_users_7"] for r in rows}) >= 4

    server = LiveServer(create_app(db, config_path=toml)).start()
    try:
        with server.client(timeout=60) as client:
            api = client.get("/api/v1/accounts/A-001/usage").json()
            page = client.get("/accounts/A-001")
            assert page.status_code == 200
            week = client.get("/api/v1/accounts/A-001/usage", params={"days": 7}).json()
    finally:
        server.stop()
    assert api["points"] == rows
    assert api["key_features"] == ["report.viewed", "export.run", "alert.set"]
    assert (api["first"], api["last"]) == (rows[0]["date"], rows[-1]["date"])
    assert week["points"] == rows[-7:]

    # The chart draws every day of the same figures (its data, unfolded by Vega).
    found = parsed(page.text)
    drawn = found.specs["spec-usage-users"]["data"]["values"]
    assert [(v["x"], v["s0"], v["s1"], v["s2"]) for v in drawn] == [
        (r["date"], r["active_users_7"], r["active_users_28"], r["seats_bought"]) for r in rows
    ]
    adoption = found.specs["spec-usage-adoption"]["data"]["values"]
    assert [(v["x"], v["s0"], v["s1"]) for v in adoption] == [
        (r["date"], round(r["seat_utilization"], 6), round(r["breadth_28"], 6)) for r in rows
    ]
    # The table beside it: the last day, and 30, 90 and 365 days before.
    by_day = {r["date"]: r for r in rows}
    table: dict[str, dict[str, str]] = {}
    for day, col, text in found.cells:
        if day and col:
            table.setdefault(day, {})[col] = text
    days = [(TODAY - timedelta(days=n)).isoformat() for n in (0, 30, 90, 365)]
    assert list(table) == days
    for day in days:
        r = by_day[day]
        assert table[day] == {
            "active_users_7": f"{r['active_users_7']:,}",
            "seats_used": f"{r['seats_used']:,}",
            "seats_bought": f"{r['seats_bought']:,}",
            "seat_utilization": f"{r['seat_utilization']:.0%}",
            "key_features_used_28": f"{r['key_features_used_28']} of 3",
        }

    # The terminal: the same days and figures (the server is stopped; the CLI opens the store).
    result = CliRunner().invoke(
        cli_app,
        ["accounts", "show", "A-001", "--db", str(db), "--config", str(toml)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    lines = {
        line.split("│")[2].strip(): [c.strip() for c in line.split("│")[3:-1]]
        for line in result.stdout.splitlines()
        if line.count("│") == 8 and re.search(r"\d{4}-\d{2}-\d{2}", line)
    }
    assert list(lines) == days
    for day in days:
        r = by_day[day]
        assert lines[day] == [
            f"{r['active_users_7']:,}",
            f"{r['seats_used']:,}",
            f"{r['seats_bought']:,}",
            f"{r['seat_utilization']:.1%}",
            f"{r['key_features_used_28']} of 3",
        ]


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    """The small company with no snapshot built, served."""
    db = seed_small(tmp_path_factory.mktemp("bare") / "s.duckdb")
    server = LiveServer(create_app(db)).start()
    try:
        with server.client(timeout=60) as client:
            yield client
    finally:
        server.stop()


def test_without_a_snapshot_the_page_says_what_to_run(bare: httpx.Client) -> None:
    page = bare.get("/accounts/A-001")
    assert page.status_code == 200
    assert 'data-testid="usage-missing"' in page.text
    assert "outsidein metrics snapshot" in page.text
    missing = bare.get("/api/v1/accounts/A-001/usage")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "snapshot_missing"
    unknown = bare.get("/api/v1/accounts/A-404/usage")
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "not_found")
    for days in (0, 3661):
        refused = bare.get("/api/v1/accounts/A-001/usage", params={"days": days})
        assert refused.status_code == 400, refused.text


# Codes the small company stores on A-001's records, and the words the page shows instead.
CODES = {
    "active", "ended", "champion", "user", "open", "pending", "closed", "high", "normal", "low",
    "success", "support", "failed", "product", "call", "email", "nps", "csat", "promoter", "file",
}  # fmt: skip
WORDS = [
    "Active", "Ended", "Champion", "User", "Open", "Pending", "High", "Low", "Customer success",
    "Support", "Failed", "Product", "Call", "Email", "NPS", "CSAT", "Promoter", "Support, Product",
]  # fmt: skip


def test_the_account_page_shows_words_not_codes(bare: httpx.Client) -> None:
    html = bare.get("/accounts/A-001").text
    cells = [text for _, _, text in parsed(html).cells]
    badges = re.findall(r'<span class="badge[^"]*">([^<]*)</span>', html)
    # Cases, touchpoints and surveys read as sentences on the timeline.
    timeline = re.findall(r'class="(?:strong|tl-detail)">([^<]*)<', html)
    shown = [*cells, *badges, *re.findall(r"<dd[^>]*>([^<]*)", html), *timeline]
    raw = sorted({t for t in shown if set(re.split(r"\s*[(),:·]\s*", t.strip())) & CODES})
    assert raw == [], raw
    for word in WORDS:
        assert word in cells or word in badges or any(word in t for t in timeline), word
    assert "Call by Customer success: Success" in timeline and "Enterprise" in badges
    # The API keeps the stored values.
    body = bare.get("/api/v1/accounts/A-001").json()
    assert {t["function"] for t in body["touchpoints"]} == {"success", "support"}


def test_the_usage_summary_is_the_snapshot_definition(store: tuple[Path, Path]) -> None:
    """The summary card, its API answer and the terminal give the snapshot's figures on the
    report day, as analytics computes them from the events (not a count of its own)."""
    db, toml = store
    config = load_config(toml).analytics
    con = connect(db, read_only=True)
    try:
        live = (
            account_usage(store_sources(con), config, TODAY, windows=(7, 28))
            .to_pyarrow()
            .to_pylist()
        )
        top = feature_counts(store_sources(con), TODAY, 28, "A-001").to_pyarrow().to_pylist()
    finally:
        con.close()
    want = next(r for r in live if r["account_id"] == "A-001")
    figures = {k: want[k] for k in ("active_users_7", "active_users_28", "events_28")}
    figures["key_features_used_28"] = want["key_features_used_28"]
    # A-001's people: 14 over the year, fewer in 28 days; the raw 30-day count differs.
    assert 0 < figures["active_users_7"] < figures["active_users_28"] < 14

    server = LiveServer(create_app(db, config_path=toml)).start()
    try:
        with httpx.Client(base_url=server.url, headers=server.auth, timeout=60) as client:
            usage = client.get("/api/v1/accounts/A-001").json()["usage"]
            page = client.get("/accounts/A-001").text
    finally:
        server.stop()
    assert usage["day"] == TODAY.isoformat() and usage["notice"] is None
    assert {k: usage[k] for k in figures} == figures
    assert usage["top_events_28"] == [
        {"event": r["feature"], "count": r["events"], "users": r["users"]} for r in top[:5]
    ]
    shown = dict(re.findall(r'<dd data-col="(\w+)">\s*([\d,]+)', page))
    assert shown == {k: f"{v:,}" for k, v in figures.items()}
    kpi = re.search(r'data-testid="kpi-active-users-28">([^<]*)<', page)
    assert kpi is not None and kpi.group(1) == f"{figures['active_users_28']:,}"
    assert "Events, 30 days" not in page and "Active users, 30 days" not in page

    result = CliRunner().invoke(
        cli_app,
        ["accounts", "show", "A-001", "--db", str(db), "--config", str(toml)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert (
        f"{figures['active_users_7']:,} active users in 7 days, "
        f"{figures['active_users_28']:,} in 28 days (seats used), {figures['events_28']:,} "
        f"events and {figures['key_features_used_28']} key features in 28 days, on {TODAY}"
    ) in " ".join(result.stdout.split())
