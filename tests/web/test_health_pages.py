"""The health pages on a real server over a store whose scores were stored by the real
engine (``inputs_at`` + ``engine.score`` + ``record_scores``), a week ago and now: every
figure a page shows equals the one the health and analytics functions give."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from outsidein.analytics import AnalyticsConfig, build_snapshot, store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.display import money
from outsidein.health.backtest import backtest
from outsidein.health.engine import Scores, score
from outsidein.health.explain import explain, what_moved
from outsidein.health.history import add_override, record_scores, scores_at
from outsidein.health.inputs import inputs_at
from outsidein.health.service import compare, to_scored
from outsidein.settings.health import HealthConfig
from outsidein.store import connect
from outsidein.web import create_app
from outsidein.web.queries.health_backtest import MAX_ACCOUNTS
from outsidein.web.queries.rows import utc_now

from .conftest import NOW, TODAY, LiveServer, insert, seed_company

HEALTH = HealthConfig()
WEEK_AGO = NOW - timedelta(days=8)
LATEST = NOW - timedelta(hours=1)
CHURNED = ("A-0007", "A-0014", "A-0021", "A-0028", "A-0035")


class Rows(HTMLParser):
    """Cells by ``data-col`` of each ``tr`` keyed by its ``data-*`` id, and test ids' text."""

    KEYS = ("data-account", "data-measure", "data-band", "data-path")

    def __init__(self) -> None:
        super().__init__()
        self.rows: dict[str, dict[str, str]] = {}
        self.order: list[str] = []
        self.texts: dict[str, str] = {}
        self._row: str | None = None
        self._open: list[tuple[str, str, list[str]]] = []  # (tag, name, text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "tr":
            key = next((found[k] for k in self.KEYS if found.get(k)), None)
            self._row = key
            if key is not None:
                window = found.get("data-window")
                key = f"{key}/{window}" if window else key
                self._row = key
                self.rows.setdefault(key, {})
                self.order.append(key)
        name = found.get("data-col") or found.get("data-testid")
        if name and tag not in ("br", "input", "img"):
            self._open.append((tag, name, []))

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1][0] == tag:
            _, name, parts = self._open.pop()
            text = re.sub(r"\s+", " ", "".join(parts)).strip()
            if self._row is not None and not name.startswith(("health-", "chart-")):
                self.rows[self._row][name] = text
            self.texts.setdefault(name, text)
        if tag == "tr":
            self._row = None

    def handle_data(self, data: str) -> None:
        for _, _, parts in self._open:
            parts.append(data)


def parsed(html: str) -> Rows:
    rows = Rows()
    rows.feed(html)
    return rows


def engine_scores(con: Any, day: Any) -> Scores:
    return score(inputs_at(con, day), HEALTH)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = seed_company(tmp_path_factory.mktemp("health") / "h.duckdb")
    con = connect(db)
    con.execute(  # five customers left 30 days ago: losses for the backtest
        "UPDATE subscriptions SET end_date = ?, status = 'churned' WHERE list_contains(?, "
        "account_id)",
        [TODAY - timedelta(days=30), list(CHURNED)],
    )
    insert(
        con,
        "touchpoints",
        [(f"T-{i}", f"A-{i:04d}", None, NOW - timedelta(days=i), "call", "success", "Service",
          "success", None, None) for i in range(1, 40)],
    )  # fmt: skip
    insert(  # twenty busy accounts, busier this week: green, and the week's movers
        con,
        "events",
        [(f"busy{i}-{u}-{d}", f"A-{i:04d}", f"u{u}", "login", NOW - timedelta(days=d, hours=1),
          None) for i in range(40, 60) for u in range(12) for d in range(12 - i % 5)],
    )  # fmt: skip
    build_snapshot(con, AnalyticsConfig(), TODAY, since=TODAY - timedelta(days=100))
    for day, at in ((TODAY - timedelta(days=8), WEEK_AGO), (TODAY, LATEST)):
        scores = engine_scores(con, day)
        record_scores(con, to_scored(scores), config_version=None, at=at)
    add_override(con, "A-0003", reason="Champion left", author="dana", score=15.0, band="red",
                 expires_at=NOW + timedelta(days=30), at=LATEST)  # fmt: skip
    con.close()
    return db


@pytest.fixture(scope="module")
def server(store: Path) -> Iterator[LiveServer]:
    live = LiveServer(create_app(store)).start()
    live.settle()  # the backtests below compare the page with a run made after it
    yield live
    live.stop()


def _figures(server: LiveServer) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
    """The effective scores now and each account's lifecycle figures, from the functions."""
    cur = server.app.state.store.cursor()
    try:
        now = {r["account_id"]: r for r in scores_at(cur, utc_now()).to_pylist()}
        figures = account_status(store_sources(cur), AnalyticsConfig(), TODAY).to_pyarrow()
    finally:
        cur.close()
    return now, {r["account_id"]: r for r in figures.to_pylist()}


def test_the_portfolio_counts_bands_arr_at_risk_and_movers(server: LiveServer) -> None:
    now, figures = _figures(server)
    customers = {k for k, f in figures.items() if f["status"] not in ("prospect", "churned")}
    assert not customers & set(CHURNED) and len(customers) == 115
    page = parsed(server.http.get(server.url + "/health").text)
    for band in ("red", "amber", "green"):
        ids = [k for k in customers if now[k]["band"] == band]
        arr = sum((figures[k]["arr"] for k in ids), Decimal(0))
        assert page.texts[f"band-{band}"].split()[1] == f"{len(ids):,}", band
        assert money(arr, "USD", cents=False) in page.texts[f"band-{band}"]
    risky = [k for k in customers if now[k]["band"] in ("red", "amber")]
    at_risk = sum((figures[k]["arr"] for k in risky), Decimal(0))
    assert page.texts["arr-at-risk"] == money(at_risk, "USD", cents=False)
    # ARR at risk by band and renewal window: the lifecycle's renewal dates.
    assert sum(Decimal(re.sub(r"[^\d.]", "", r["arr"])) for k, r in page.rows.items()
               if "/" in k) == at_risk  # fmt: skip
    # The movers: the largest change of the computed score over the week, with what moved.
    cur = server.app.state.store.cursor()
    try:
        before = {r["account_id"]: r for r in scores_at(cur, WEEK_AGO).to_pylist()}
        old, new = (engine_scores(cur, TODAY - timedelta(days=8)), engine_scores(cur, TODAY))
    finally:
        cur.close()
    changes = sorted(
        (-abs(now[k]["computed_score"] - before[k]["computed_score"]), k)
        for k in customers
        if now[k]["computed_score"] is not None and before[k]["computed_score"] is not None
        and now[k]["computed_score"] != before[k]["computed_score"]
    )  # fmt: skip
    assert changes, "the week moved some score"
    top = changes[0][1]
    movers = [k for k in page.order if k.startswith("A-") and "/" not in k]
    assert movers[0] == top
    change = now[top]["computed_score"] - before[top]["computed_score"]
    assert page.rows[top]["change"] == f"{change:+.1f}"
    assert what_moved(old, new, top)[0].text in server.http.get(server.url + "/health").text


def test_the_at_risk_list_is_my_book_with_why_and_last_touch(server: LiveServer) -> None:
    now, figures = _figures(server)
    _, _, token = server.add_user("dana", "csm", "csm1")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as dana:
        html = dana.get("/health/at-risk", params={"page_size": 200}).text
        assert dana.get("/health/at-risk", params={"csm": "csm2"}).status_code == 403
    page = parsed(html)
    cur = server.app.state.store.cursor()
    try:
        owners = dict(cur.execute("SELECT account_id, csm_id FROM accounts").fetchall())
        touched = dict(
            cur.execute('SELECT account_id, max("at") FROM touchpoints GROUP BY 1').fetchall()
        )
    finally:
        cur.close()
    mine = {
        k for k, r in now.items()
        if owners[k] == "csm1" and r["band"] in ("red", "amber")
        and figures[k]["status"] not in ("prospect", "churned")
    }  # fmt: skip
    listed = [k for k in page.order if k.startswith("A-")]
    assert set(listed) == mine and "My book at risk" in html
    assert page.texts["total"] == f"{len(mine)} customers"
    scores = [now[k]["score"] for k in listed]
    assert scores == sorted(scores)  # the lowest first
    for k in listed:
        assert page.rows[k]["score"].startswith(f"{now[k]['score']:,.1f}")
        assert page.rows[k]["renewal"] == (str(figures[k]["renewal_date"] or "—"))
        assert page.rows[k]["last-touch"] == (
            "never" if k not in touched else page.rows[k]["last-touch"]
        )
    with_why = [k for k in listed if page.rows[k]["why"] != "—"]
    assert any(k in touched for k in listed) and any(k not in touched for k in listed)
    assert with_why and all("of 100" in page.rows[k]["why"] for k in with_why)
    # A manager sorts the whole portfolio by ARR, largest first, across pages.
    asked = {"sort": "arr", "order": "desc", "page_size": 5, "page": 2}
    answer = server.http.get(server.url + "/health/at-risk", params=asked)
    second = parsed(answer.text)
    arrs = [
        Decimal(re.sub(r"[^\d.]", "", second.rows[k]["arr"]))
        for k in second.order
        if k.startswith("A-")
    ]
    assert len(arrs) == 5 and arrs == sorted(arrs, reverse=True)


def test_the_account_card_explains_the_stored_score(server: LiveServer) -> None:
    cur = server.app.state.store.cursor()
    try:
        old, new = engine_scores(cur, TODAY - timedelta(days=8)), engine_scores(cur, TODAY)
    finally:
        cur.close()
    now, _ = _figures(server)
    # An account whose score moved over the week and whose support group's worst-of set a score.
    account = next(
        k for k in sorted(now)
        if k not in CHURNED and now[k]["override_id"] is None and explain(new, k).set_by
        and what_moved(old, new, k)
    )  # fmt: skip
    html = server.http.get(f"{server.url}/accounts/{account}").text
    page = parsed(html)
    expected = explain(new, account)
    assert page.texts["health-score"] == f"{expected.score:,.1f}"
    assert expected.band is not None and expected.band in page.texts["health-band"]
    total = 0.0
    for m in expected.measures:
        row = page.rows[m.measure]
        assert row["weight"] == f"{m.weight * 100:.1f}%"
        assert row["contribution"] == f"{m.contribution:,.2f}"
        assert row["points"] == (f"{m.points:,.1f}" if m.points is not None else "skipped")
        total += m.contribution
    assert total == pytest.approx(expected.score)
    assert all(label in page.texts["health-set-by"] for label in expected.set_by)
    for move in what_moved(old, new, account):
        assert move.text in page.texts["health-moves"]
    assert 'data-testid="chart-health-trend"' in html
    overridden = parsed(server.http.get(f"{server.url}/accounts/A-0003").text)
    assert "Champion left" in overridden.texts["health-override"]
    assert overridden.texts["health-score"] == "15.0"


@pytest.mark.slow  # two 12-point backtests: about 35 s on the loaded machine
def test_the_scorecards_page_shows_the_card_and_its_backtest(server: LiveServer) -> None:
    page = parsed(server.http.get(server.url + "/health/scorecards").text)
    for path in ("usage", "usage/seat_utilization", "voice/nps", "support/urgent_cases"):
        assert path in page.rows, path
    assert "backtest-bands" not in page.texts  # run only when asked
    ran = parsed(server.http.get(server.url + "/health/scorecards?backtest=true").text)
    cur = server.app.state.store.cursor()
    try:
        report = backtest(
            cur, lambda t: to_scored(score(t, HEALTH)), TODAY, config=AnalyticsConfig()
        )
    finally:
        cur.close()
    assert report.auc is not None and report.lost >= 1
    assert ran.texts["auc"] == f"{report.auc:,.3f}"
    assert ran.texts["lift"] == (f"{report.lift:,.2f}" if report.lift is not None else "—")
    for b in report.bands:
        assert ran.rows[str(b.band)]["rate"] == f"{b.rate * 100:.1f}%"
    assert MAX_ACCOUNTS >= 120


def test_a_draft_scorecard_is_checked_with_its_paths(server: LiveServer) -> None:
    bad = """
[scorecards.default.measures.nps]
field = "nps"
weight = -1
scoring = {kind = "linear", low = 0, high = 10}
"""
    answer = server.http.post(server.url + "/health/scorecards", data={"draft": bad})
    assert answer.status_code == 422
    problems = parsed(answer.text).texts["draft-problems"]
    assert "health.scorecards.default.measures.nps.weight" in problems
    assert "greater than or equal to 0" in problems
    broken = server.http.post(server.url + "/health/scorecards", data={"draft": "[x"})
    assert broken.status_code == 422 and "(TOML)" in broken.text
    good = (
        bad.replace("weight = -1", "weight = 2")
        + "[scorecards.default.measures.csat]\n"
        + ('field = "csat"\nscoring = {kind = "linear", low = 1, high = 5}\n')
    )
    answer = server.http.post(server.url + "/health/scorecards", data={"draft": good})
    assert answer.status_code == 200
    page = parsed(answer.text)
    assert page.texts["draft-valid"] == "The draft is valid: 1 scorecard."
    assert "NPS (67%; linear: 0 points at 0, 100 at 10)" in page.texts["draft-card-default"]


@pytest.mark.slow  # one 12-point backtest scoring two cards
def test_a_draft_is_backtested_beside_the_published_card(server: LiveServer) -> None:
    draft_text = """
[scorecards.default.measures.nps]
field = "nps"
scoring = {kind = "linear", low = 0, high = 10}
"""
    answer = server.http.post(
        server.url + "/health/scorecards", data={"draft": draft_text, "backtest": "true"}
    )
    assert answer.status_code == 200, answer.text[:500]
    page = parsed(answer.text)
    draft = HealthConfig.model_validate(
        {"scorecards": {"default": {"measures": {"nps": {
            "field": "nps", "scoring": {"kind": "linear", "low": 0, "high": 10}}}}}}
    )  # fmt: skip
    cur = server.app.state.store.cursor()
    try:
        reports = compare(cur, draft, HEALTH, TODAY, config=AnalyticsConfig())
    finally:
        cur.close()
    for name in ("draft", "published"):
        report = reports[name]
        shown = page.texts[f"{name}-auc"]
        assert shown == (f"{report.auc:,.3f}" if report.auc is not None else "—"), name
    assert reports["draft"].auc != reports["published"].auc  # two cards, two rankings
    _, _, token = server.add_user("vera", "viewer")
    refused = httpx.post(
        server.url + "/health/scorecards",
        data={"draft": draft_text},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403
