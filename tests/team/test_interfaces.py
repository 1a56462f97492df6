"""One definition: the team of the API, the CLI and the pages is outsidein.team.team_report's,
whose figures are analytics', health's, tasks' and the renewals calendar's; on a small
simulated company, the rebalancing moves the planted part-time CSM's overflow; a CSM sees
their own book."""

from __future__ import annotations

import csv
import time
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from outsidein.analytics import renewals, store_sources
from outsidein.analytics.lifecycle import account_status
from outsidein.cli import app as cli
from outsidein.cli.team import book_row
from outsidein.config import OutsideInConfig, load_config
from outsidein.errors import NotFoundError
from outsidein.health.service import score_now
from outsidein.ingest import load_directory
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.tasks.service import complete, create_task, list_tasks, now_utc
from outsidein.team import FULL, team_report
from outsidein.tiers import record_day
from outsidein.web import create_app
from outsidein.web.schemas.team import TeamOut
from tests.web.conftest import TODAY, LiveServer

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, OutsideInConfig]:
    folder = tmp_path_factory.mktemp("team")
    simulate(folder / "company", accounts=240, months=12, seed=3, as_of=TODAY,
             events_per_part=1_000_000)  # fmt: skip
    settings = folder / "company" / "outsidein.toml"
    config = load_config(settings)
    store = folder / "store.duckdb"
    con = connect(store)
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    score_now(con, config)
    record_day(con, config, TODAY)
    accounts = [r[0] for r in con.execute(
        "SELECT account_id FROM accounts WHERE csm_id = 'CSM-001' ORDER BY account_id LIMIT 3"
    ).fetchall()]  # fmt: skip
    now = now_utc()
    create_task(con, accounts[0], "Call the sponsor", actor="t", due_at=now - timedelta(days=2))
    create_task(con, accounts[1], "Send the review", actor="t", due_at=now + timedelta(days=9))
    done = create_task(con, accounts[2], "Done already", actor="t", due_at=now + timedelta(days=9))
    complete(con, done.task_id, outcome="resolved", actor="t")
    con.close()
    return store, settings, config


def _read(text: str, like: object) -> object:
    """A CSV cell read as the type of ``like``."""
    if like is None:
        return None if text == "" else text
    if isinstance(like, bool):
        return text == "true"
    if isinstance(like, int | float | Decimal):
        return type(like)(Decimal(text)) if not isinstance(like, Decimal) else Decimal(text)
    return text


def _csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def cli_output(company: tuple[Path, Path, OutsideInConfig], tmp_path_factory: Any) -> Any:
    """The CLI's answers before the server holds the store: show, book, rebalance."""
    store, settings, _ = company
    out = tmp_path_factory.mktemp("cli")
    runner = CliRunner()
    args = ["--db", str(store), "--config", str(settings)]
    for command in (["show", "--out", str(out / "books.csv")],
                    ["book", "csm-001", "--out", str(out / "book.csv")],
                    ["rebalance", "--out", str(out / "moves.csv")]):  # fmt: skip
        done = runner.invoke(cli, ["team", *command, *args])
        assert done.exit_code == 0, done.output
    shown = runner.invoke(cli, ["team", "show", *args])
    assert "customers" in shown.output and "ARR per CSM" in shown.output
    unknown = runner.invoke(cli, ["team", "book", "nobody", *args])
    # The CLI's entry point prints an OutsideInError's message (`error: no CSM 'nobody': ...`).
    assert isinstance(unknown.exception, NotFoundError)
    assert "no CSM 'nobody'" in unknown.exception.message
    con = duckdb.connect(str(store), read_only=True)
    try:  # the package's answer on the same store, before the server's steps add tasks
        python = TeamOut.of(team_report(con, company[2]))
        one = TeamOut.of(team_report(con, company[2], csm="CSM-001"))
    finally:
        con.close()
    files = _csv(out / "books.csv"), _csv(out / "book.csv"), _csv(out / "moves.csv")
    return files, python, one


@pytest.fixture(scope="module")
def server(company: tuple[Path, Path, OutsideInConfig], cli_output: Any) -> Iterator[LiveServer]:
    store, settings, _ = company
    live = LiveServer(create_app(store, config_path=settings)).start()
    yield live
    live.stop()


@pytest.fixture(scope="module")
def expected(server: LiveServer, company: tuple[Path, Path, OutsideInConfig]) -> TeamOut:
    """The package's answer once the server's pipeline has settled (its playbooks open
    tasks): the same twice, two seconds apart."""
    before = None
    for _ in range(60):
        cur = server.app.state.store.cursor()
        try:
            now = TeamOut.of(team_report(cur, company[2]))
        finally:
            cur.close()
        if now == before:
            return now
        before = now
        time.sleep(2)
    raise AssertionError("the server's figures did not settle in two minutes")


def test_api_and_cli_show_the_package_s_figures(
    server: LiveServer, expected: TeamOut, cli_output: Any
) -> None:
    assert len(expected.books) >= 3 and expected.accounts > 50
    api = server.http.get(f"{server.url}/api/v1/team")
    assert api.status_code == 200, api.text
    assert api.json() == expected.model_dump(mode="json")
    one = server.http.get(f"{server.url}/api/v1/team/CSM-001").json()
    assert [b["csm_id"] for b in one["books"]] == ["CSM-001"]
    assert one["books"][0] == expected.books[0].model_dump(mode="json")
    (books_csv, book_csv, moves_csv), python, python_one = cli_output
    assert [{k: _read(r[k], v) for k, v in book_row(b, python.bands).items()}
            for r, b in zip(books_csv, python.books, strict=True)] == [
        book_row(b, python.bands) for b in python.books
    ]  # fmt: skip
    assert [(r["account_id"], r["from_csm"], r["to_csm"], r["arr"]) for r in moves_csv] == [
        (m.account_id, m.from_csm, m.to_csm, str(m.arr)) for m in python.rebalancing.moves
    ]
    assert [(r["account_id"], r["arr"]) for r in book_csv] == [
        (c.account_id, str(c.arr)) for c in python_one.customers
    ]
    assert server.http.get(f"{server.url}/api/v1/team/nobody").status_code == 404
    future = (TODAY + timedelta(days=2)).isoformat()
    assert server.http.get(f"{server.url}/api/v1/team", params={"as_of": future}).status_code == 422
    past = (TODAY - timedelta(days=60)).isoformat()
    earlier = server.http.get(f"{server.url}/api/v1/team", params={"as_of": past}).json()
    assert earlier["as_of"] == past and earlier["notice"] is None
    assert earlier["accounts"] != expected.accounts or earlier["arr"] != str(expected.arr)


def test_the_pages_show_the_same_figures(server: LiveServer, expected: TeamOut) -> None:
    page = server.http.get(f"{server.url}/team", headers={"accept": "text/html"})
    assert page.status_code == 200
    for b in expected.books:
        assert f'<tr data-csm="{b.csm_id}">' in page.text
        assert f'data-col="accounts">{b.accounts:,}<' in page.text
        assert f'data-col="open">{b.open_tasks:,}<' in page.text
    assert f"{expected.accounts:,} customers" in page.text
    moves = expected.rebalancing.moves
    assert moves and all(f'<tr data-account="{m.account_id}">' in page.text for m in moves)
    book = server.http.get(f"{server.url}/team/CSM-001", headers={"accept": "text/html"})
    assert book.status_code == 200
    first = expected.books[0]
    assert f"{first.accounts:,} customers" in book.text
    missing = server.http.get(f"{server.url}/team/nobody", headers={"accept": "text/html"})
    assert missing.status_code == 404


def test_figures_are_the_other_packages_definitions(server: LiveServer, expected: TeamOut,
                                                    company: Any) -> None:  # fmt: skip
    config = company[2]
    cur = server.app.state.store.cursor()
    try:
        status = account_status(store_sources(cur), config.analytics, expected.as_of)
        rows = status.to_pyarrow().to_pylist()
        customers = {r["account_id"]: r for r in rows
                     if r["status"] not in ("prospect", "churned")}  # fmt: skip
        owners = dict(cur.execute("SELECT account_id, csm_id FROM accounts").fetchall())
        due = renewals(store_sources(cur), config.analytics, expected.as_of, 90)
        due_rows = due.to_pyarrow().to_pylist()
        for b in expected.books:
            mine = [a for a in customers if owners[a] == b.csm_id]
            assert b.accounts == len(mine)
            assert b.arr == sum((customers[a]["arr"] for a in mine), Decimal(0))
            assert b.open_tasks == list_tasks(cur, csm=b.csm_id, status="open").total
            assert b.overdue_tasks == list_tasks(cur, csm=b.csm_id, status="overdue").total
            theirs = [r for r in due_rows if r["csm_id"] == b.csm_id]
            assert (b.renewals, b.renewal_arr) == (
                len(theirs),
                sum((r["arr"] for r in theirs), Decimal(0)),
            )
            health = cur.execute(
                "SELECT count(*) FROM health_scores h JOIN accounts a USING (account_id) "
                "WHERE a.csm_id = ?", [b.csm_id]).fetchone()  # fmt: skip
            assert health is not None and sum(h.accounts for h in b.health if h.band) <= health[0]
    finally:
        cur.close()
    first = expected.books[0]
    assert (first.open_tasks, first.overdue_tasks) >= (2, 1)  # the tasks made above
    assert expected.arr + expected.unassigned_arr == sum(
        (r["arr"] for r in customers.values()), Decimal(0)
    )


def test_the_plan_moves_the_part_time_csm_s_overflow(
    server: LiveServer, expected: TeamOut, company: tuple[Path, Path, OutsideInConfig]
) -> None:
    """The simulator's truth: the CSM dealt most accounts went part-time (half the
    capacity) and a new hire joined with an empty book. Only the part-time book is over;
    the moves come out of it, the new hire takes them, and every book ends within capacity."""
    _, settings, _ = company
    truth = pq.read_table(settings.parent / "ground_truth" / "team.parquet").to_pylist()
    part_time = next(t for t in truth if t["change"] == "part_time")
    new_hire = next(t for t in truth if t["change"] == "new_hire")
    books = {b.csm_id: b for b in expected.books}
    assert {c: b.capacity for c, b in books.items()} == {t["csm_id"]: t["capacity"] for t in truth}
    assert books[new_hire["csm_id"]].accounts == 0
    pt = books[part_time["csm_id"]]
    assert pt.accounts > part_time["capacity"] and pt.over
    plan = expected.rebalancing
    assert plan.over_before == [pt.csm_id] and plan.unresolved == []
    assert len(plan.moves) == pt.accounts - part_time["capacity"]  # the fewest: the excess
    assert {m.from_csm for m in plan.moves} == {pt.csm_id}
    assert new_hire["csm_id"] in {m.to_csm for m in plan.moves}
    assert all(b.after <= float(FULL) for b in expected.books)
    # Lowest ARR first: nothing the part-time CSM keeps is cheaper than what moves.
    book = server.http.get(f"{server.url}/api/v1/team/{pt.csm_id}").json()
    moved = {m.account_id for m in plan.moves}
    kept = [Decimal(c["arr"]) for c in book["customers"] if c["account_id"] not in moved]
    assert max(m.arr for m in plan.moves) <= min(kept)
    assert {m["account_id"] for m in book["rebalancing"]["moves"]} == moved


def test_a_csm_sees_their_own_book(server: LiveServer, expected: TeamOut) -> None:
    mine, other = expected.books[0].csm_id, expected.books[1].csm_id
    _, _, secret = server.add_user("teamcsm", "csm", mine)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {secret}"},
                      timeout=60) as csm:  # fmt: skip
        own = csm.get("/api/v1/team").json()
        assert own["csm"] == mine and [b["csm_id"] for b in own["books"]] == [mine]
        assert own["books"][0] == expected.books[0].model_dump(mode="json")
        assert csm.get(f"/api/v1/team/{other}").status_code == 403
        assert csm.get(f"/api/v1/team/{mine}").status_code == 200
        page = csm.get("/team", headers={"accept": "text/html"}).text
        assert f'data-testid="book-customers">{expected.books[0].accounts:,} customers' in page
        assert other not in page
    _, _, viewer = server.add_user("teamviewer", "viewer")
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {viewer}"},
                      timeout=60) as v:  # fmt: skip
        assert len(v.get("/api/v1/team").json()["books"]) == len(expected.books)
