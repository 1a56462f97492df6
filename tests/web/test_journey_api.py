"""``/api/v1/journey/...`` over a real server: the same numbers as outsidein.journey, a CSM
sees their own book."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import pyarrow.parquet as pq
import pytest

from outsidein.ingest.directory import load_directory
from outsidein.journey.interruptions import broken_handoffs
from outsidein.journey.store_log import touchpoint_log
from outsidein.journey.summary import discovery_summary
from outsidein.settings.journey import JourneyConfig
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.web import create_app

from .conftest import LiveServer

AS_OF = date(2025, 7, 1)


@dataclass
class Company:
    db: Path
    config: Path
    truth: Path
    discovered: dict[str, Any]  # computed by the package before the server holds the store
    csm: str
    csm_broken: int
    all_broken: int
    all_cases: int


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Company:
    root = tmp_path_factory.mktemp("journey_api")
    summary = simulate(
        root / "company", accounts=150, months=6, seed=3, as_of=AS_OF, events_per_user_day=0.01
    )
    db = root / "store.duckdb"
    con = connect(db)
    try:
        load_directory(con, summary.out)
        csm = con.execute(
            "SELECT csm_id FROM accounts WHERE csm_id IS NOT NULL GROUP BY 1 ORDER BY count(*) "
            "DESC, 1 LIMIT 1"
        ).fetchall()[0][0]
        limits = JourneyConfig().handoffs
        at = datetime(AS_OF.year, AS_OF.month, AS_OF.day)
        return Company(
            db,
            summary.out / "outsidein.toml",
            summary.ground_truth["handoffs"],
            discovery_summary(touchpoint_log(con, case="account", activity="function"), 5),
            csm,
            len(broken_handoffs(con, limits, at, csm)),
            len(broken_handoffs(con, limits, at)),
            touchpoint_log(con).n_cases,
        )
    finally:
        con.close()


@pytest.fixture(scope="module")
def server(company: Company) -> Iterator[LiveServer]:
    live = LiveServer(create_app(company.db, config_path=company.config)).start()
    yield live
    live.stop()


def test_discover_answers_what_the_package_computes(server: LiveServer, company: Company) -> None:
    got = server.http.get(
        f"{server.url}/api/v1/journey/discover",
        params={"case": "account", "activity": "function", "top": 5},
    )
    assert got.status_code == 200, got.text
    body = got.json()
    assert body == company.discovered
    assert body["cases"] > 0 and body["edges"][0]["from"]


def test_broken_handoffs_match_the_planted_truth(server: LiveServer, company: Company) -> None:
    got = server.http.get(
        f"{server.url}/api/v1/journey/broken-handoffs",
        params={"as_of": AS_OF.isoformat(), "limit": 10_000},
    )
    assert got.status_code == 200, got.text
    truth = pq.read_table(company.truth).to_pylist()
    planted = {t["handoff_id"] for t in truth if t["broken"]}
    body = got.json()
    assert {r["handoff_id"] for r in body["items"]} == planted and body["total"] == len(planted)


def test_a_csm_sees_their_own_book(server: LiveServer, company: Company) -> None:
    _, _, token = server.add_user("jo", "csm", company.csm)
    with httpx.Client(base_url=server.url, headers={"Authorization": f"Bearer {token}"}) as c:
        got = c.get("/api/v1/journey/broken-handoffs", params={"as_of": AS_OF.isoformat()})
        assert got.status_code == 200, got.text
        assert got.json()["total"] == company.csm_broken < company.all_broken
        disc = c.get("/api/v1/journey/discover")
        assert disc.status_code == 200, disc.text
        assert 0 < disc.json()["cases"] < company.all_cases
