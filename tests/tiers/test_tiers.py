"""Tier rules from settings, tier history, and the coverage arithmetic, on a hand-built store."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from outsidein.config import OutsideInConfig, parse_config
from outsidein.errors import ConfigError, InvalidConfigError, InvalidRequestError
from outsidein.settings.tiers import TiersConfig
from outsidein.store import connect
from outsidein.tiers import (
    account_tier,
    assigned_on,
    coverage,
    record_day,
    record_tiers,
    segment_fields,
    tiers_at,
)
from outsidein.tiers.read import moves, report
from outsidein.tiers.step import TiersStep
from tests.health.conftest import insert
from tests.web.conftest import TODAY

D = TODAY - timedelta(days=10)


def _ago(days: int) -> datetime:
    return datetime.combine(D, datetime.min.time()) - timedelta(days=days)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """H1 pays $120k ARR; H2 little, at a 20,000-employee company; L1 $12k; T1 $600 with no
    CSM; P1 a prospect; C1 churned."""
    con = connect(tmp_path / "t.duckdb")
    insert(con, "csms", [("c1", "Dana", None, 40), ("c2", "Fox", None, 40)])
    # fmt: off
    insert(con, "accounts", [
        ("H1", "High One", None, "Software", "enterprise", "NA", 50, "c1", _ago(400)),
        ("H2", "High Two", None, "Software", "smb", "NA", 20_000, "c2", _ago(400)),
        ("L1", "Low One", None, "Software", "mid_market", "NA", 50, "c1", _ago(400)),
        ("T1", "Tail One", None, "Software", "smb", "NA", 10, None, _ago(400)),
        ("P1", "Prospect", None, "Software", "smb", "NA", 90_000, "c1", _ago(400)),
        ("C1", "Churned", None, "Software", "smb", "NA", 90_000, "c2", _ago(400)),
    ])
    start = D - timedelta(days=200)
    insert(con, "subscriptions", [
        ("S1", "H1", "Ent", 10_000, "USD", 10, start, None, "active"),
        ("S2", "H2", "Pro", 100, "USD", 10, start, None, "active"),
        ("S3", "L1", "Pro", 1_000, "USD", 10, start, None, "active"),
        ("S4", "T1", "Pro", 50, "USD", 10, start, None, "active"),
        ("S5", "C1", "Pro", 500, "USD", 10, start, D - timedelta(days=30), "churned"),
    ])
    # fmt: on
    yield con
    con.close()


def _tiers(con: duckdb.DuckDBPyConnection, config: OutsideInConfig, day: date) -> dict[str, str]:
    table = assigned_on(con, config, day)
    return dict(zip(table["account_id"].to_pylist(), table["tier"].to_pylist(), strict=True))


def test_default_rules_on_arr_and_employees(con: duckdb.DuckDBPyConnection) -> None:
    assert _tiers(con, OutsideInConfig(), D) == {
        "H1": "high_touch", "H2": "high_touch", "L1": "low_touch", "T1": "tech_touch",
        "P1": None, "C1": None,
    }  # fmt: skip
    arr = assigned_on(con, OutsideInConfig(), D).to_pylist()
    assert {r["account_id"]: r["arr"] for r in arr}["H1"] == Decimal("120000.00")


def test_rules_come_from_the_toml_section(con: duckdb.DuckDBPyConnection) -> None:
    raw = {
        "tiers": {
            "tiers": [
                {"name": "strategic", "label": "Strategic", "min_arr": 100_000,
                 "min_potential": 10_000, "match": "all", "accounts_per_csm": 5},
                {"name": "scaled", "label": "Scaled", "min_arr": 1_000, "accounts_per_csm": 50},
                {"name": "digital", "label": "Digital", "accounts_per_csm": 1000},
            ]
        }
    }  # fmt: skip
    config = parse_config(raw, "outsidein.toml")
    # "all": H1 has the ARR but not the employees, H2 the employees but not the ARR.
    assert _tiers(con, config, D) == {
        "H1": "scaled", "H2": "scaled", "L1": "scaled", "T1": "digital", "P1": None, "C1": None,
    }  # fmt: skip


def test_potential_from_a_custom_field(con: duckdb.DuckDBPyConnection) -> None:
    config = OutsideInConfig(tiers=TiersConfig(potential="custom.headcount"))
    with pytest.raises(ConfigError, match=r"no custom field 'headcount'.*use 'employees'"):
        assigned_on(con, config, D)
    now = datetime.now(UTC).replace(tzinfo=None)
    con.execute(
        "INSERT INTO custom_fields VALUES ('accounts', 'headcount', 'number', 'Headcount', "
        "'l1', 'f.csv', ?)",
        [now],
    )
    con.execute(
        "INSERT INTO custom_values VALUES ('accounts', 'T1', 'headcount', '5000', 5000, NULL, "
        "NULL, 'l1', 'f.csv', ?)",
        [now],
    )
    found = _tiers(con, config, D)
    # T1's headcount (5,000) lifts it to low-touch; H2's employees no longer count.
    assert found["T1"] == "low_touch" and found["H1"] == "high_touch"
    assert found["H2"] == "tech_touch" and found["L1"] == "low_touch"


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([{"name": "a", "label": "A", "min_arr": 1, "accounts_per_csm": 1}], "must have no"),
        ([{"name": "a", "label": "A", "accounts_per_csm": 1},
          {"name": "b", "label": "B", "accounts_per_csm": 1}], "only the last tier"),
        ([{"name": "a", "label": "A", "min_arr": 1, "accounts_per_csm": 1},
          {"name": "a", "label": "A", "accounts_per_csm": 1}], "must differ"),
        ([{"name": "High Touch", "label": "A", "accounts_per_csm": 1}], "lower-case"),
        ([{"name": "a", "label": "A", "accounts_per_csm": 0}], "greater than 0"),
        ([], "at least one tier"),
    ],
)  # fmt: skip
def test_bad_rules_are_refused_with_their_path(tiers: list[object], message: str) -> None:
    with pytest.raises(InvalidConfigError, match=message) as caught:
        parse_config({"tiers": {"tiers": tiers}}, "outsidein.toml")
    assert "tiers" in caught.value.message


def test_a_bad_potential_is_refused() -> None:
    with pytest.raises(InvalidConfigError, match=r"use `employees` or `custom\.NAME`"):
        parse_config({"tiers": {"potential": "revenue"}}, "outsidein.toml")


def test_history_records_changes_only(con: duckdb.DuckDBPyConnection) -> None:
    first = D - timedelta(days=40)
    run = record_day(con, OutsideInConfig(), first)
    assert run.accounts == 6 and run.written == 6
    # Nothing moved: nothing written.
    assert record_day(con, OutsideInConfig(), first + timedelta(days=1)).written == 0
    # C1 churned 30 days before D: on D it leaves the tiers (tier null), and new rules move L1.
    stricter = OutsideInConfig(tiers=TiersConfig.model_validate(
        {"tiers": [{"name": "high_touch", "label": "High", "min_arr": 100_000,
                    "accounts_per_csm": 15},
                   {"name": "tech_touch", "label": "Tech", "accounts_per_csm": 800}]}
    ))  # fmt: skip
    run = record_day(con, stricter, D)
    before = {r["account_id"]: r["tier"] for r in tiers_at(con, first).to_pylist()}
    after = {r["account_id"]: r["tier"] for r in tiers_at(con, D).to_pylist()}
    assert before["L1"] == "low_touch" and after["L1"] == "tech_touch"
    assert before["H2"] == "high_touch" and after["H2"] == "tech_touch"
    assert before["C1"] == "high_touch" and after["C1"] is None  # 90,000 employees, churned
    assert run.written == 3  # L1, H2, C1; nothing else changed
    history = account_tier(con, "L1", D)
    assert [(h.valid_from, h.tier) for h in history.history] == [
        (first, "low_touch"), (D, "tech_touch"),
    ]  # fmt: skip
    assert history.since == D and account_tier(con, "H1", D).since == first
    assert account_tier(con, "L1", first + timedelta(days=3)).tier == "low_touch"
    changed = {(m["account_id"], m["before"], m["after"]) for m in moves(con, first, D)}
    assert changed == {("L1", "low_touch", "tech_touch"), ("H2", "high_touch", "tech_touch"),
                       ("C1", "high_touch", None)}  # fmt: skip
    # Recording the latest day again replaces it; a day before it is refused.
    assert record_day(con, OutsideInConfig(), D).written == 1  # C1 only: back to the defaults
    assert account_tier(con, "L1", D).tier == "low_touch"
    with pytest.raises(InvalidRequestError, match="history only moves forward"):
        record_tiers(con, assigned_on(con, OutsideInConfig(), first), first, config_version=None)


def test_segment_fields_give_tier_and_advocate(con: duckdb.DuckDBPyConnection) -> None:
    record_day(con, OutsideInConfig(), D)
    rows = {r["account_id"]: r for r in segment_fields(con, D).to_pylist()}
    assert rows["H1"]["tier"] == "high_touch" and rows["P1"]["tier"] is None
    assert set(rows) == {"H1", "H2", "L1", "T1", "P1", "C1"}
    assert not any(r["advocate"] for r in rows.values())  # no health, no NPS: no advocate


def test_coverage_arithmetic_by_hand() -> None:
    config = TiersConfig()  # 15, 80 and 800 accounts per CSM
    rows = (
        [{"tier": "high_touch", "arr": 150_000, "csm_id": "a", "csm_name": "A"}] * 15
        + [{"tier": "low_touch", "arr": 20_000, "csm_id": "b", "csm_name": "B"}] * 40
        + [{"tier": "high_touch", "arr": 100_000, "csm_id": "b", "csm_name": "B"}] * 3
        + [{"tier": "tech_touch", "arr": 1_000, "csm_id": None, "csm_name": None}] * 400
    )
    c = coverage(rows, config)
    high, low, tech = c.tiers
    assert (high.accounts, high.arr, high.csms_holding) == (18, Decimal(2_550_000), 2)
    assert high.csms_needed == pytest.approx(18 / 15)
    assert (low.accounts, low.csms_needed) == (40, 0.5)
    assert (tech.accounts, tech.unassigned, tech.csms_needed) == (400, 400, 0.5)
    assert high.actual_per_csm == 9 and low.actual_per_csm == 40 and tech.actual_per_csm is None
    assert c.csms_needed == 3  # 1.2 + 0.5 + 0.5 = 2.2, rounded up
    assert c.csms_actual == 2
    a, b = c.csms
    assert a.load == pytest.approx(1.0) and not a.over
    assert b.load == pytest.approx(3 / 15 + 40 / 80) and b.accounts == {
        "low_touch": 40,
        "high_touch": 3,
    }
    assert b.total_arr == Decimal(1_100_000)
    assert c.arr == Decimal(2_550_000 + 800_000 + 400_000)


def test_report_reads_the_stored_tiers(con: duckdb.DuckDBPyConnection) -> None:
    assert report(con, TiersConfig(), D).notice is not None  # nothing recorded yet
    record_day(con, OutsideInConfig(), D)
    r = report(con, TiersConfig(), D)
    assert r.notice is None
    assert [t.accounts for t in r.coverage.tiers] == [2, 1, 1]
    assert r.coverage.tiers[2].unassigned == 1
    mine = report(con, TiersConfig(), D, csm="C1")  # any case
    assert [t.accounts for t in mine.coverage.tiers] == [1, 1, 0]


def test_the_step_runs_when_its_inputs_move(con: duckdb.DuckDBPyConnection) -> None:
    days = iter([D, D, D + timedelta(days=1), D + timedelta(days=1), D + timedelta(days=1)])
    config = OutsideInConfig()
    step = TiersStep(lambda: config, today=lambda: next(days))
    first = step.run(con)
    assert first is not None and first.written == 6
    assert step.run(con) is None  # nothing moved
    again = step.run(con)  # a new day: recorded (nothing changed tier)
    assert again is not None and again.as_of == D + timedelta(days=1) and again.written == 0
    assert step.run(con) is None
    insert(con, "subscriptions", [("S9", "T1", "Ent", 20_000, "USD", 10, D, None, "active")])
    moved = step.run(con)  # a load: T1 now pays $240,600 a year
    assert moved is not None and moved.written == 1
    assert account_tier(con, "T1", D + timedelta(days=1)).tier == "high_touch"
