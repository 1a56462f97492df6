"""Success plans: the status rule by hand, measures read from the data as it arrives (a
snapshot metric, a value formula, an outcome's satisfaction), bad plans refused with the
field named, and an off-track plan as a health input and a playbook trigger (docs/plans.md)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.config import parse_config
from outsidein.health.inputs import inputs_at
from outsidein.plans import (
    Milestone,
    Plan,
    PlanError,
    account_plans,
    create_plan,
    get_plan,
    list_plans,
    progress_of,
    status_of,
    update_plan,
)
from outsidein.playbooks import run_playbooks
from outsidein.store import connect
from tests.web.conftest import NOW, TODAY, insert, seed_company

D0 = date(2026, 1, 1)


def plan(**kw: Any) -> Plan:
    base = dict(plan_id="P", account_id="A-0001", title="t", measure_kind="metric",
                measure="active_users_28", baseline=10.0, target=20.0, start_date=D0,
                due_date=D0 + timedelta(days=100))  # fmt: skip
    return Plan(**{**base, **kw})  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "day", "status", "progress", "expected"),
    [
        (None, 50, "no_data", None, 0.5),
        (20.0, 10, "achieved", 1.0, 0.1),  # reached early
        (15.0, 50, "on_track", 0.5, 0.5),  # on the line
        (14.1, 50, "on_track", 0.41, 0.5),  # 0.09 behind: within the tolerance
        (13.9, 50, "at_risk", 0.39, 0.5),  # 0.11 behind
        (11.9, 50, "off_track", 0.19, 0.5),  # 0.31 behind: far
        (19.9, 101, "off_track", 0.99, 1.0),  # past due, unmet
        (25.0, 101, "achieved", 1.5, 1.0),  # past due but met
        (10.0, -5, "not_started", 0.0, 0.0),
    ],
)
def test_the_status_rule_by_hand(
    value: float | None, day: int, status: str, progress: float | None, expected: float
) -> None:
    got = status_of(plan(), value, D0 + timedelta(days=day))
    assert got[2] == status
    assert got[1] == pytest.approx(expected)
    assert (got[0] is None) if progress is None else got[0] == pytest.approx(progress)


def test_a_measure_that_goes_down_is_progress_when_it_falls() -> None:
    down = plan(baseline=40.0, target=20.0)  # e.g. minimise hours spent
    assert status_of(down, 30.0, D0 + timedelta(days=50))[:1] == (0.5,)
    assert status_of(down, 19.0, D0 + timedelta(days=50))[2] == "achieved"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = seed_company(tmp_path_factory.mktemp("plans") / "s.duckdb")
    con = connect(path)
    build_snapshot(con, AnalyticsConfig(), TODAY, since=TODAY - timedelta(days=40))
    insert(con, "jobs", [("J1", "Renew contracts", None)])
    insert(con, "outcomes", [("O1", "J1", None, "Minimize the time it takes to confirm a quote")])
    con.close()
    return path


def users_28(con: Any, account: str, day: date) -> int:
    """Active users in the 28 days ending on ``day``, counted from the events themselves."""
    start = day - timedelta(days=27)
    return int(con.execute(
        "SELECT count(DISTINCT user_id) FROM events WHERE account_id = ? "
        "AND timestamp::DATE BETWEEN ? AND ?", [account, start, day]).fetchall()[0][0])  # fmt: skip


def test_progress_follows_the_data_as_it_arrives(store: Path) -> None:
    con = connect(store)
    try:
        before = users_28(con, "A-0002", TODAY)
        made = create_plan(con, plan(
            plan_id="P-users", account_id="A-0002", baseline=float(before),
            target=float(before + 10), start_date=TODAY - timedelta(days=30),
            due_date=TODAY + timedelta(days=30), owner="csm2", unit="users",
            milestones=(Milestone("Five more", TODAY + timedelta(days=1), before + 5.0),),
        ), actor="tester")  # fmt: skip
        first = progress_of(con, [made])[0]
        assert first.value == before and first.progress == 0
        assert first.status == "off_track"  # half-way through the time, nowhere on the line
        assert not first.milestones[0].reached
        # Twelve new people use the product today; the snapshot is recomputed.
        insert(con, "events", [(f"new-{i}", "A-0002", f"new-user-{i}", "login", NOW, None)
                               for i in range(12)])  # fmt: skip
        build_snapshot(con, AnalyticsConfig(), TODAY, since=TODAY - timedelta(days=2))
        after = progress_of(con, [get_plan(con, "P-users")])[0]
        assert after.value == users_28(con, "A-0002", TODAY) == before + 12
        assert after.progress == pytest.approx(1.2) and after.status == "achieved"
        assert after.milestones[0].reached and after.realised == 12
        # The account's summary: the value realised so far, in the plan's unit.
        summary = account_plans(con, "A-0002")
        assert summary.realised == {"users": 12.0} and summary.counts["achieved"] == 1
    finally:
        con.close()


def test_a_value_formula_and_an_outcome_satisfaction(store: Path) -> None:
    con = connect(store)
    try:
        events = con.execute(
            "SELECT count(*) FROM events WHERE account_id = 'A-0003' "
            "AND timestamp::DATE BETWEEN ? AND ?", [TODAY - timedelta(days=27), TODAY]
        ).fetchall()[0][0]  # fmt: skip
        hours = create_plan(con, plan(
            plan_id="P-hours", account_id="A-0003", measure_kind="formula",
            measure="events_28 * 0.5", unit="hours saved", baseline=0.0, target=100.0,
            start_date=TODAY - timedelta(days=10), due_date=TODAY + timedelta(days=90),
        ))  # fmt: skip
        assert progress_of(con, [hours])[0].value == pytest.approx(events * 0.5)
        sat = create_plan(con, plan(
            plan_id="P-sat", account_id="A-0003", measure_kind="satisfaction", measure="O1",
            outcome_id="O1", baseline=2.0, target=8.0, start_date=TODAY - timedelta(days=50),
            due_date=TODAY + timedelta(days=50),
        ))  # fmt: skip
        assert progress_of(con, [sat])[0].status == "no_data"
        # A wave: 1 of 4 rates satisfaction 4-5 (2.5); a later wave: 3 of 4 (7.5).
        for wave, scores, at in (
            ("w1", (5, 2, 3, 1), NOW - timedelta(days=20)),
            ("w2", (4, 5, 5, 2), NOW - timedelta(hours=1)),
        ):
            insert(con, "survey_responses", [
                (f"{wave}-{i}", "A-0003", f"c{i}", wave, at, "outcome", None, "O1", 5, s, None)
                for i, s in enumerate(scores)])  # fmt: skip
        then = progress_of(con, [sat], TODAY - timedelta(days=5))[0]
        assert then.value == pytest.approx(2.5) and then.status == "off_track"  # 0.08 vs 0.45
        now = progress_of(con, [sat])[0]
        assert now.value == pytest.approx(7.5)
        assert now.progress == pytest.approx(5.5 / 6) and now.status == "on_track"
    finally:
        con.close()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"measure": "active_usrs_28"}, "measure 'active_usrs_28' is not a snapshot metric"),
        ({"measure_kind": "formula", "measure": "events_28 *"}, "measure \\(formula\\)"),
        ({"measure_kind": "formula", "measure": "segment"}, "measure \\(formula\\)"),
        ({"measure_kind": "satisfaction", "measure": "O9"}, "names a catalog outcome"),
        ({"measure_kind": "custom", "measure": "licences"}, "not a custom field"),
        ({"account_id": "A-9999"}, "no account with account_id 'A-9999'"),
        ({"due_date": D0}, "must be after start_date"),
        ({"target": 10.0}, "equals the baseline"),
        ({"outcome_id": "O9"}, "outcome_id 'O9' is not in the catalog"),
    ],
)
def test_a_plan_that_cannot_be_measured_is_refused(
    store: Path, change: dict[str, Any], message: str
) -> None:
    con = connect(store)
    try:
        with pytest.raises(Exception, match=message) as caught:
            create_plan(con, plan(plan_id="P-bad", **change))
        assert isinstance(caught.value, PlanError) or "account" in message
        assert not [p for p in list_plans(con) if p.plan_id == "P-bad"]
    finally:
        con.close()


def test_off_track_is_a_health_input_and_a_playbook_trigger(store: Path) -> None:
    con = connect(store)
    try:
        late = create_plan(con, plan(
            plan_id="P-late", account_id="A-0004", baseline=1000.0, target=2000.0,
            start_date=TODAY - timedelta(days=90), due_date=TODAY - timedelta(days=1),
        ))  # fmt: skip
        row = inputs_at(con, TODAY, accounts=["A-0004", "A-0005"]).to_pylist()
        by = {r["account_id"]: r for r in row}
        assert by["A-0004"]["plans_off_track"] == 1.0
        assert by["A-0005"]["plans_off_track"] is None  # no plan: nothing known
        # Before it started, the plan did not count (history where the data allows).
        early = inputs_at(con, TODAY - timedelta(days=95), accounts=["A-0004"]).to_pylist()
        assert early[0]["plans_off_track"] is None
        config = parse_config({"playbooks": {"playbooks": [
            {"name": "plan-rescue", "trigger": {"kind": "plan_off_track"},
             "actions": [{"kind": "task", "title": "Rescue the plan"}]},
            {"name": "unmet-outcome", "trigger": {"kind": "outcome_satisfaction",
                                                  "outcome": "O1", "at_most": 8},
             "actions": [{"kind": "task", "title": "Ask about the outcome"}]},
        ]}}, "test")  # fmt: skip
        run_playbooks(con, config)
        fired = con.execute(
            "SELECT playbook, account_id, reason FROM playbook_firings ORDER BY 1, 2"
        ).fetchall()
        assert ("plan-rescue", "A-0004", "plan P-late off track") in fired
        assert ("unmet-outcome", "A-0003", "satisfaction with O1 at or below 8") in fired
        # Terms changed to what the account has reached: achieved.
        now = progress_of(con, [late])[0].value
        assert now is not None
        update_plan(con, Plan(**{**late.__dict__, "target": now, "baseline": now - 10}))
        assert progress_of(con, [get_plan(con, "P-late")])[0].status == "achieved"
    finally:
        con.close()
