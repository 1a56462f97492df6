"""Advocate candidates by hand: each threshold, the champion named, the reason in words."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from outsidein.settings.advocates import AdvocatesConfig
from outsidein.store import connect
from outsidein.tiers import advocates, segment_fields
from tests.health.conftest import insert
from tests.web.conftest import TODAY

D = TODAY - timedelta(days=5)
ANSWERED = datetime.combine(D, datetime.min.time()) - timedelta(days=10, hours=-9)


def _snapshot(con: duckdb.DuckDBPyConnection, account: str, day: Any, **values: Any) -> None:
    """A snapshot row: 0 in every required column but those given."""
    cols = con.execute(
        "SELECT column_name, is_nullable FROM information_schema.columns "
        "WHERE table_name = 'account_daily_metrics' ORDER BY ordinal_position"
    ).fetchall()
    row = {name: (None if nullable == "YES" else 0) for name, nullable in cols}
    row.update(account_id=account, date=day, computed_at=datetime(2026, 1, 1), **values)
    names = ", ".join(f'"{c}"' for c in row)
    con.execute(
        f"INSERT INTO account_daily_metrics ({names}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(tmp_path / "a.duckdb")
    created = ANSWERED - timedelta(days=400)
    # account: (health, nps, answered days before, contact of the answer, breadth, users, mrr)
    plan = {
        "A1": (90, 10, 0, "K1", 0.8, 10, 100),
        "A2": (90, 9, 0, None, 0.8, 10, 100),  # no contact on the answer: the champion
        "A3": (90, 9, 0, None, 0.8, 10, 100),  # nor a champion contact: the busiest user
        "A4": (79, 10, 0, "K4", 0.8, 10, 100),  # health below 80
        "A5": (90, 8, 0, "K5", 0.8, 10, 100),  # a passive
        "A6": (90, 10, 0, "K6", 0.6, 10, 100),  # narrow adoption
        "A7": (90, 10, 0, "K7", 0.8, 4, 100),  # too few users
        "A8": (90, 10, 400, "K8", 0.8, 10, 100),  # the answer is too old
        "A9": (90, 10, 0, "K9", 0.8, 10, 0),  # not paying
    }
    insert(con, "accounts", [(a, f"Account {a}", None, None, None, None, 10, "c1", created)
                             for a in plan])  # fmt: skip
    contacts = [(f"K{a[1]}", a, f"Person {a}", f"p{a[1]}@x.example", "user", None, created)
                for a in plan if a not in ("A2", "A3")]  # fmt: skip
    contacts[0] = ("K1", "A1", "Jane Roe", "jane@x.example", "user", None, created)
    contacts.append(("K2", "A2", "Max Muster", "max@x.example", "champion", None, created))
    insert(con, "contacts", contacts)
    for i, (a, (health, nps, days, contact, breadth, users, mrr)) in enumerate(plan.items()):
        con.execute(
            "INSERT INTO health_scores VALUES (?, ?, 'default', ?, 'green', 1, 'f', ?)",
            [a, ANSWERED, health, ANSWERED],
        )
        when = ANSWERED - timedelta(days=days)
        insert(con, "survey_responses", [(f"R{i}", a, contact, "NPS", when, "nps", nps)])
        # The snapshot was last brought up to date two days before D.
        _snapshot(con, a, D - timedelta(days=2), mrr=mrr, breadth_28=breadth,
                  key_features_used_28=round(breadth * 10), active_users_28=users)  # fmt: skip
    con.executemany(
        "INSERT INTO usage_user_days VALUES ('A3', ?, ?, ?)",
        [("u1", D - timedelta(days=1), 5), ("u2", D - timedelta(days=3), 9),
         ("u1", D - timedelta(days=40), 50)],
    )  # fmt: skip
    yield con
    con.close()


def test_each_threshold_and_the_champion(con: duckdb.DuckDBPyConnection) -> None:
    found = advocates(con, D, AdvocatesConfig(), key_features=10)
    assert [a.account_id for a in found] == ["A1", "A2", "A3"]
    one, two, three = found
    assert one.reason == (
        f"health 90, NPS 10 from Jane Roe on {ANSWERED:%Y-%m-%d}, 8 of 10 key features, "
        "10 active users"
    )
    assert (one.champion_id, one.champion_email, one.champion_source) == (
        "K1", "jane@x.example", "nps answer",
    )  # fmt: skip
    assert (two.champion_name, two.champion_source) == ("Max Muster", "champion contact")
    assert "from" not in two.reason  # the answer named nobody
    assert (three.champion_id, three.champion_name) == ("u2", None)  # 9 events in 28 days
    assert three.champion_source == "most active user"


def test_thresholds_are_the_settings(con: duckdb.DuckDBPyConnection) -> None:
    looser = AdvocatesConfig(min_health=75, min_nps=8, min_breadth=0.5, min_active_users=4)
    found = {a.account_id for a in advocates(con, D, looser, key_features=10)}
    assert found == {"A1", "A2", "A3", "A4", "A5", "A6", "A7"}
    older = AdvocatesConfig(nps_days=500)
    assert "A8" in {a.account_id for a in advocates(con, D, older, key_features=10)}
    mine = advocates(con, D, AdvocatesConfig(), key_features=10, csm="C1")
    assert len(mine) == 3 and not advocates(con, D, AdvocatesConfig(), key_features=10,
                                            csm="c2")  # fmt: skip


def test_the_segment_field_flags_them(con: duckdb.DuckDBPyConnection) -> None:
    flags = {r["account_id"]: r["advocate"] for r in segment_fields(con, D).to_pylist()}
    assert {a for a, flag in flags.items() if flag} == {"A1", "A2", "A3"}
    assert len(flags) == 9
