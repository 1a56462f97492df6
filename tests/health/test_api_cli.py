"""Health through the CLI and the API on a real store and a real server: one definition (the
CLI, the API and ``history.score_at`` agree), overrides by the signed-in user, scorecards as
versioned configuration, the backtest as a job, and the one JSON error shape."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from outsidein.analytics import build_snapshot
from outsidein.cli import app as cli_app
from outsidein.health.history import score_at
from outsidein.settings.health import HealthConfig
from outsidein.store import connect
from outsidein.tiers.history import tiers_at
from outsidein.web import create_app
from outsidein.web.queries.health import portfolio
from outsidein.web.schemas.health_portfolio import PortfolioOut
from tests.health.conftest import CONFIG, D, seed
from tests.web.conftest import TODAY, LiveServer

pytestmark = pytest.mark.timeout(240)
ACCOUNTS = ("A-1", "A-2")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("health-api")
    db = folder / "h.duckdb"
    con = connect(db)
    seed(con)
    build_snapshot(con, CONFIG, TODAY, since=D - timedelta(days=30))
    con.close()
    (folder / "outsidein.toml").write_text(
        '[analytics]\nkey_features = ["login"]\nvalue_event = "login"\n'
    )
    return db


def cli(db: Path, *args: str) -> str:
    result = CliRunner().invoke(
        cli_app, [*args, "--db", str(db), "--config", str(db.parent / "outsidein.toml")]
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def served(store: Path) -> Iterator[tuple[LiveServer, dict[str, Any]]]:
    cli(store, "tiers", "compute")  # the tier in force today: an input and a portfolio view
    before = cli(store, "health", "score")
    assert "scored 3 accounts" in before
    portfolio_csv = store.parent / "portfolio.csv"
    cli(store, "health", "portfolio", "--out", str(portfolio_csv))
    tiers_shown = cli(store, "health", "portfolio")
    con = connect(store, read_only=True)
    try:  # the function's reading at the same moment, with the same scorecards (the default)
        reading = PortfolioOut.of(portfolio(con, CONFIG, HealthConfig())).model_dump(mode="json")
    finally:
        con.close()
    out = store.parent / "list.csv"
    cli(store, "health", "list", "--out", str(out))
    with out.open(newline="") as f:
        from_cli = {r["account_id"]: r for r in csv.DictReader(f)}
    explained = cli(store, "health", "explain", "A-1")
    server = LiveServer(create_app(store, config_path=store.parent / "outsidein.toml")).start()
    try:
        yield (
            server,
            {
                "list": from_cli,
                "explain": explained,
                "portfolio": portfolio_csv.read_text(),
                "portfolio_shown": tiers_shown,
                "portfolio_function": reading,
            },
        )
    finally:
        server.stop()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def test_cli_api_and_history_agree(served: tuple[LiveServer, dict[str, Any]]) -> None:
    server, from_cli = served
    at = _now().isoformat()
    listed = server.http.get(f"{server.url}/api/v1/health/scores", params={"at": at}).json()
    api = {r["account_id"]: r for r in listed["scores"]}
    cur = server.app.state.store.cursor()
    try:
        for account in ACCOUNTS:
            stored = score_at(cur, account, datetime.fromisoformat(at))
            assert stored is not None
            detail = server.http.get(
                f"{server.url}/api/v1/health/accounts/{account}", params={"at": at}
            ).json()
            assert api[account]["score"] == detail["score"] == stored.score
            assert api[account]["band"] == detail["band"] == stored.band
            assert detail["config_version"] == stored.config_version
            cli_score = from_cli["list"][account]["score"]
            assert (float(cli_score) if cli_score else None) == stored.score
            if detail["measures"]:  # contributions add up to the score (weighted default)
                total = sum(m["contribution"] for m in detail["measures"])
                assert total == pytest.approx(stored.score)
    finally:
        cur.close()
    assert "A-1:" in from_cli["explain"] and "seat utilization" in from_cli["explain"].lower()


def test_an_override_is_by_the_signed_in_user_and_in_the_history(
    served: tuple[LiveServer, dict[str, Any]],
) -> None:
    server, _ = served
    cur = server.app.state.store.cursor()
    try:
        cur.execute("UPDATE accounts SET csm_id = 'C-9' WHERE account_id = 'A-1'")
    finally:
        cur.close()
    _, _, token = server.add_user("carol", "csm", "C-9")
    book = server.http.get(
        f"{server.url}/api/v1/health/scores", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [r["account_id"] for r in book["scores"]] == ["A-1"]  # a CSM sees their book
    expires = (_now() + timedelta(days=7)).isoformat()
    body = {"score": 15, "reason": "exec sponsor left", "expires_at": expires}
    made = server.http.post(
        f"{server.url}/api/v1/health/accounts/A-1/overrides",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 201, made.text
    assert made.json()["author"] == "carol" and made.json()["band"] == "red"
    detail = server.http.get(f"{server.url}/api/v1/health/accounts/A-1").json()
    assert detail["score"] == 15 and detail["override"]["reason"] == "exec sponsor left"
    assert detail["trend"][-1]["kind"] == "override"
    bad = server.http.post(
        f"{server.url}/api/v1/health/accounts/A-1/overrides",
        json={**body, "band": "purple", "score": None},
    )
    assert bad.status_code == 422 and "purple" in bad.json()["error"]["message"]
    missing = server.http.get(f"{server.url}/api/v1/health/accounts/NOPE")
    assert missing.status_code == 404 and missing.json()["error"]["code"]


def test_publishing_scorecards_is_admin_only_and_rescored(
    served: tuple[LiveServer, dict[str, Any]],
) -> None:
    server, _ = served
    current = server.http.get(f"{server.url}/api/v1/health/scorecards").json()
    health = current["health"]
    health["scorecards"]["default"]["bands"] = [
        {"label": "low", "below": 100},
        {"label": "top", "below": None},
    ]
    _, _, token = server.add_user("mona", "manager")
    refused = server.http.put(
        f"{server.url}/api/v1/health/scorecards",
        json=health,
        headers={"Authorization": f"Bearer {token}"},
    )
    assert refused.status_code == 403
    check = server.http.post(
        f"{server.url}/api/v1/health/scorecards/validate", json={"default_scorecard": "nope"}
    ).json()
    assert check["valid"] is False and "nope" in str(check["errors"])
    put = server.http.put(f"{server.url}/api/v1/health/scorecards", json=health)
    assert put.status_code == 200, put.text
    version = put.json()["version"]
    assert version > current["version"]
    deadline = time.monotonic() + 60
    while True:
        cur = server.app.state.store.cursor()
        try:
            rows = cur.execute(
                "SELECT DISTINCT band FROM health_scores WHERE config_version = ?", [version]
            ).fetchall()
            old = cur.execute(
                "SELECT count(*) FROM health_scores WHERE config_version = ?", [current["version"]]
            ).fetchall()[0][0]
        finally:
            cur.close()
        if rows:
            break
        status = server.http.get(f"{server.url}/api/v1/status").text
        assert time.monotonic() < deadline, f"not rescored in 60 s: {status}"
        time.sleep(0.25)
    assert {r[0] for r in rows} == {"low"}  # scores whose band moved are stored anew
    assert old > 0  # the old version's scores are kept
    # A body of the documented shape that breaks a rule across fields is refused with 422.
    rule = server.http.put(
        f"{server.url}/api/v1/health/scorecards", json={**health, "default_scorecard": "nope"}
    )
    assert rule.status_code == 422 and "nope" in rule.json()["error"]["message"], rule.text
    # The whole configuration's PUT wakes the health step too (its period is 60 s).
    whole = server.http.get(f"{server.url}/api/v1/config").json()["config"]
    whole["health"]["scorecards"]["default"]["bands"] = [
        {"label": "all", "below": None},
    ]
    put = server.http.put(f"{server.url}/api/v1/config", json=whole)
    assert put.status_code == 200, put.text
    newer = put.json()["version"]
    deadline = time.monotonic() + 30
    while not _bands_of(server, newer):
        assert time.monotonic() < deadline, "the configuration's PUT did not wake the step"
        time.sleep(0.25)
    assert _bands_of(server, newer) == {"all"}


def _bands_of(server: LiveServer, version: int) -> set[str]:
    cur = server.app.state.store.cursor()
    try:
        rows = cur.execute(
            "SELECT DISTINCT band FROM health_scores WHERE config_version = ?", [version]
        ).fetchall()
    finally:
        cur.close()
    return {r[0] for r in rows}


def test_the_backtest_is_a_job(served: tuple[LiveServer, dict[str, Any]]) -> None:
    server, _ = served
    for wrong in (0, "0", "2024-6-1"):  # a number is not a day (pydantic alone reads 1970)
        bad = server.http.post(f"{server.url}/api/v1/health/backtest", json={"as_of": wrong})
        assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text, bad.text
    started = server.http.post(
        f"{server.url}/api/v1/health/backtest", json={"months": 2, "horizon_days": 30}
    )
    assert started.status_code == 202, started.text
    job = started.json()
    deadline = time.monotonic() + 120
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline
        time.sleep(0.25)
        job = server.http.get(server.url + job["url"]).json()
    assert job["status"] == "done", job
    for name in ("draft", "published"):
        report = job["result"][name]
        assert {"auc", "lift", "bands", "left_out", "base_rate"} <= set(report)
        assert "segment" in {lo["name"] for lo in report["left_out"]}


def test_the_portfolio_is_one_reading_in_the_cli_api_and_function(
    served: tuple[LiveServer, dict[str, Any]],
) -> None:
    server, from_cli = served
    api = server.http.get(f"{server.url}/api/v1/health/portfolio").json()
    cur = server.app.state.store.cursor()
    try:
        current = server.app.state.config.current.config  # the scorecards in force now
        direct = PortfolioOut.of(portfolio(cur, current.analytics, current.health)).model_dump(
            mode="json"
        )
        tiers = {r["account_id"]: r["tier"] for r in tiers_at(cur, TODAY).to_pylist()}
    finally:
        cur.close()
    for key in ("customers", "arr_at_risk", "by_band", "by_segment", "by_tier", "at_risk_arr"):
        assert api[key] == direct[key], key
    (row,) = api["by_tier"]  # A-1, the one customer, in the tier the history holds today
    assert row["tier"] == tiers["A-1"] and row["accounts"] == 1
    with_cli = list(csv.DictReader(io.StringIO(from_cli["portfolio"])))
    assert [(r["band"], int(r["accounts"]), r["arr"]) for r in with_cli] == [
        (r["band"], r["accounts"], r["arr"]) for r in from_cli["portfolio_function"]["by_band"]
    ]
    assert tiers["A-1"] in from_cli["portfolio_shown"]
    page = server.http.get(f"{server.url}/health").text
    assert f'data-tier="{tiers["A-1"]}"' in page
