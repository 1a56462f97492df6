"""The playbook engine on a real store: deduplication, cool-downs, round robin, holdout,
variants, versions, the actions (tasks, fields, touch requests) and escalation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import duckdb
import pyarrow as pa
import pytest

from outsidein.config import OutsideInConfig, parse_config
from outsidein.errors import InvalidConfigError
from outsidein.health.history import CONTRIBUTION_SCHEMA, Scored, record_scores
from outsidein.playbooks import held_out, run_playbooks
from outsidein.playbooks.touches import mark_consumed, pending_touches
from outsidein.tasks import comment, complete, escalate_overdue, list_tasks, set_team
from outsidein.tasks.timeline import account_items
from tests.web.conftest import insert

NOW = datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def config(*books: dict[str, Any], **section: Any) -> OutsideInConfig:
    return parse_config({"playbooks": {"playbooks": list(books), **section}}, "test")


def accounts(con: duckdb.DuckDBPyConnection, n: int, csm: str | None = "csm1") -> list[str]:
    ids = [f"A-{i:04d}" for i in range(n)]
    segments = ("enterprise", "smb")
    created = NOW - timedelta(days=400)
    rows = [(a, f"Account {a}", None, "Software", segments[i % 2], "NA", 10, csm, created)
            for i, a in enumerate(ids)]  # fmt: skip
    insert(con, "accounts", rows)
    return ids


def scores(con: duckdb.DuckDBPyConnection, values: dict[str, float], at: datetime) -> None:
    table = pa.table({"account_id": list(values), "scorecard": ["default"] * len(values),
                      "score": list(values.values()), "band": ["red"] * len(values)})  # fmt: skip
    record_scores(con, Scored(table, CONTRIBUTION_SCHEMA.empty_table()), config_version=None,
                  at=at)  # fmt: skip


LOW = {"name": "low", "trigger": {"kind": "health_below", "threshold": 40}, "cooldown_days": 0,
       "actions": [{"kind": "task", "title": "Save it"}]}  # fmt: skip


def test_the_same_trigger_twice_opens_one_task(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 2)
    scores(store, {"A-0000": 20, "A-0001": 80}, NOW - timedelta(hours=1))
    cfg = config(LOW)
    first = run_playbooks(store, cfg, now=NOW)
    again = run_playbooks(store, cfg, now=NOW + timedelta(minutes=1))
    days_later = run_playbooks(store, cfg, now=NOW + timedelta(days=3))  # no cool-down: the task
    assert (first.firings, first.tasks) == (1, 1)
    assert (again.hits, again.firings, days_later.firings) == (1, 0, 0)
    [task] = list_tasks(store, now=NOW).items
    assert (task.account_id, task.playbook, task.reason) == ("A-0000", "low", "health below 40")
    assert task.assignee == "csm1"
    # the running variable, so the impact estimate is a discontinuity at the threshold
    assert task.context == {
        "score_field": "health_score", "health_score": 20.0, "score": 20.0, "threshold": 40.0
    }  # fmt: skip
    # Once the task is done, the same reason may fire again (after the day's repeat guard).
    complete(store, task.task_id, "resolved", actor="dana")
    assert run_playbooks(store, cfg, now=NOW + timedelta(hours=2)).firings == 0
    assert run_playbooks(store, cfg, now=NOW + timedelta(days=4)).tasks == 1


def test_a_cool_down_holds_the_playbook_back(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 1)
    scores(store, {"A-0000": 20}, NOW - timedelta(hours=1))
    cfg = config({**LOW, "cooldown_days": 10})
    assert run_playbooks(store, cfg, now=NOW).tasks == 1
    [task] = list_tasks(store, now=NOW).items
    complete(store, task.task_id, "not_resolved", actor="dana")
    assert run_playbooks(store, cfg, now=NOW + timedelta(days=9)).firings == 0
    later = run_playbooks(store, cfg, now=NOW + timedelta(days=11))
    assert (later.firings, later.tasks) == (1, 1)


def test_round_robin_within_a_team(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 7)
    set_team(store, "East", ["csm1", "csm2", "csm3"], "lead1", "test")
    book = {"name": "weekly", "trigger": {"kind": "schedule", "every_days": 7},
            "actions": [{"kind": "task", "title": "Check in", "owner": "team:East"}]}  # fmt: skip
    result = run_playbooks(store, config(book), now=NOW, accounts=[f"A-000{i}" for i in range(6)])
    assert result.tasks == 6
    tasks = list_tasks(store, now=NOW).items
    assigned = sorted(t.assignee or "" for t in tasks)
    assert assigned == ["csm1", "csm1", "csm2", "csm2", "csm3", "csm3"]
    assert {t.team for t in tasks} == {"East"}
    # The next run continues where the last one stopped.
    run_playbooks(store, config(book), now=NOW, accounts=["A-0006"])
    [last] = list_tasks(store, now=NOW, account_id="A-0006").items
    assert last.assignee == "csm1"


def test_a_holdout_share_is_recorded_and_left_untreated(store: duckdb.DuckDBPyConnection) -> None:
    ids = accounts(store, 1000)
    book = {"name": "weekly", "holdout": 0.25, "trigger": {"kind": "schedule", "every_days": 7},
            "actions": [{"kind": "task", "title": "Check in"},
                        {"kind": "touch", "channel": "email", "template": "hello"}]}  # fmt: skip
    result = run_playbooks(store, config(book), now=NOW)
    assert result.firings == 1000
    assert 0.21 < result.held_out / 1000 < 0.29
    rows = store.execute(
        "SELECT account_id, held_out, actions FROM playbook_firings ORDER BY account_id"
    ).fetchall()
    out = {a for a, h, _ in rows if h}
    assert out == {a for a in ids if held_out("weekly", a, 0.25)}  # stable per account
    assert all(n == (0 if h else 2) for _, h, n in rows)
    treated = {t[0] for t in store.execute("SELECT account_id FROM tasks").fetchall()}
    assert treated == set(ids) - out and result.tasks == result.touches == 1000 - len(out)


def test_variants_touches_fields_and_versions(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 2)
    insert(store, "survey_responses", [
        ("R-1", "A-0000", None, "Q4", NOW - timedelta(days=1), "nps", 3.0, None, None, None,
         "Too slow"),
        ("R-2", "A-0001", None, "Q4", NOW - timedelta(days=1), "nps", 9.0, None, None, None, None),
    ])  # fmt: skip
    book = {
        "name": "detractor", "trigger": {"kind": "survey_answer", "at_most": 6},
        "actions": [{"kind": "task", "title": "Call back"}],
        "variants": {"Enterprise": [
            {"kind": "task", "title": "Executive call", "priority": "urgent", "template": "t"},
            {"kind": "touch", "channel": "webhook", "template": "alert", "to": "cs-alerts"},
            {"kind": "set_field", "field": "at_risk", "value": True}]},
    }  # fmt: skip
    run_playbooks(store, config(book, templates={"t": ["Read the answer", "Call"]}), now=NOW)
    [task] = list_tasks(store, now=NOW).items
    assert (task.title, task.priority, task.steps) == ("Executive call", "urgent",
                                                       ["Read the answer", "Call"])  # fmt: skip
    assert task.reason == "nps answer R-1" and task.context["comment"] == "Too slow"
    [firing] = store.execute(
        "SELECT firing_id, variant, playbook_version FROM playbook_firings"
    ).fetchall()
    assert firing[1:] == ("Enterprise", 1)
    [touch] = store.execute(
        "SELECT channel, template, recipient, idempotency_key, context, firing_id "
        "FROM touch_requests"
    ).fetchall()
    assert touch[:3] == ("webhook", "alert", "cs-alerts")
    assert touch[3] == f"pb-{firing[0]}-1" and touch[5] == firing[0]
    assert json.loads(touch[4])["response_id"] == "R-1"
    assert store.execute(
        "SELECT flag, source FROM custom_values WHERE record_id = 'A-0000' AND name = 'at_risk'"
    ).fetchall() == [(True, "playbook")]
    # Each change of a playbook is its next version; an unchanged one keeps its number.
    changed = config({**book, "description": "close the loop"}, templates={"t": ["Call"]})
    run_playbooks(store, changed, now=NOW)
    run_playbooks(store, changed, now=NOW)
    assert store.execute(
        "SELECT version FROM playbook_versions WHERE playbook = 'detractor' ORDER BY version"
    ).fetchall() == [(1,), (2,)]


def test_overdue_tasks_escalate_to_the_team_lead(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 2)
    set_team(store, "East", ["csm1"], "lead1", "test")
    book = {"name": "weekly", "trigger": {"kind": "schedule", "every_days": 7},
            "actions": [{"kind": "task", "title": "Check in", "due_days": 1}]}  # fmt: skip
    run_playbooks(store, config(book), now=NOW)
    assert escalate_overdue(store, now=NOW + timedelta(hours=30), after_hours=24) == 0
    assert escalate_overdue(store, now=NOW + timedelta(hours=49), after_hours=24) == 2
    assert escalate_overdue(store, now=NOW + timedelta(hours=60), after_hours=24) == 0  # once
    tasks = list_tasks(store, now=NOW + timedelta(hours=49), status="overdue").items
    assert {(t.escalated_to, t.sla) for t in tasks} == {("lead1", "overdue")}
    audited = store.execute(
        "SELECT actor, detail->>'to' FROM audit_log WHERE action = 'task.escalate'"
    ).fetchall()
    assert audited == [("pipeline", "lead1")] * 2


def test_conditions_filters_and_messages(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 4)
    trigger = {"kind": "condition", "expression": "segment = 'enterprise'"}
    task = {"kind": "task", "title": "Hello"}
    book = {"name": "ent", "trigger": trigger, "where": "csm_id = 'csm1'", "actions": [task]}
    assert run_playbooks(store, config(book), now=NOW).tasks == 2
    with pytest.raises(
        InvalidConfigError, match=r"playbooks.0.where.*segmnt.*did you mean `segment`"
    ):
        config({**book, "where": "segmnt = 'x'"})
    with pytest.raises(InvalidConfigError, match="no task template 'nope'"):
        config({**book, "actions": [{"kind": "task", "title": "x", "template": "nope"}]})
    with pytest.raises(InvalidConfigError, match="playbook names must be unique: ent"):
        config(book, book)


def test_the_outbox_and_the_timeline_read_what_fired(store: duckdb.DuckDBPyConnection) -> None:
    accounts(store, 1)
    book = {"name": "hello", "trigger": {"kind": "schedule", "every_days": 7},
            "actions": [{"kind": "task", "title": "Say hello", "due_days": 1},
                        {"kind": "touch", "channel": "email", "template": "welcome"}]}  # fmt: skip
    run_playbooks(store, config(book), now=NOW)
    [touch] = pending_touches(store)
    assert (touch.channel, touch.template, touch.recipient) == ("email", "welcome", "champion")
    assert touch.idempotency_key == f"pb-{touch.firing_id}-1"
    assert mark_consumed(store, [touch.request_id]) == 1
    assert pending_touches(store) == [] and mark_consumed(store, [touch.request_id]) == 0
    [task] = list_tasks(store, now=NOW).items
    comment(store, task.task_id, "Left a voicemail", author="dana")
    escalate_overdue(store, now=NOW + timedelta(days=3), after_hours=0)
    complete(store, task.task_id, "resolved", actor="dana", note="they called back")
    kinds = [i.kind for i in account_items(store, "A-0000")]
    assert sorted(kinds) == ["playbook.fired", "task.comment", "task.completed",
                             "task.escalated", "task.opened"]  # fmt: skip
    assert kinds[0] == "task.escalated"  # at now + 3 days: the newest


def test_a_playbook_the_data_cannot_evaluate_leaves_the_others_running(
    store: duckdb.DuckDBPyConnection,
) -> None:
    accounts(store, 2)
    store.execute("INSERT INTO custom_fields VALUES ('accounts', 'tier', 'text', NULL, 'l1', "
                  "'test', now()::TIMESTAMP)")  # fmt: skip
    store.execute("INSERT INTO custom_values VALUES ('accounts', 'A-0000', 'tier', 'gold', NULL, "
                  "NULL, NULL, 'l1', 'test', now()::TIMESTAMP)")  # fmt: skip
    broken = {"name": "broken", "trigger": {"kind": "condition", "expression": "custom.tier > 3"},
              "actions": [{"kind": "task", "title": "x"}]}  # fmt: skip
    gold = {"name": "gold", "trigger": {"kind": "condition", "expression": "custom.tier = 'gold'"},
            "actions": [{"kind": "task", "title": "Gold", "owner": "team:Nobody"}]}  # fmt: skip
    result = run_playbooks(store, config(broken, gold), now=NOW)
    assert list(result.errors) == ["broken"] and "custom.tier" in result.errors["broken"]
    [task] = list_tasks(store, now=NOW).items
    assert (task.account_id, task.playbook, task.team, task.queue, task.assignee) == (
        "A-0000", "gold", "Nobody", "success", None)  # fmt: skip


def test_entering_and_leaving_a_segment_fire_once_per_move(
    store: duckdb.DuckDBPyConnection,
) -> None:
    accounts(store, 3)
    store.execute(
        "INSERT INTO segment_membership VALUES ('at-risk', 'A-0000', ?, NULL, 1), "
        "('at-risk', 'A-0001', ?, ?, 1), ('at-risk', 'A-0002', ?, NULL, 1)",
        [
            NOW - timedelta(hours=2),
            NOW - timedelta(days=20),
            NOW - timedelta(hours=1),
            NOW - timedelta(days=30),
        ],
    )
    entered = {
        "name": "entered",
        "cooldown_days": 0,
        "actions": [{"kind": "task", "title": "Look"}],
        "trigger": {"kind": "segment_entered", "segment": "at-risk", "within_days": 7},
    }
    left = {"name": "left", "cooldown_days": 0, "actions": [{"kind": "task", "title": "Why?"}],
            "trigger": {"kind": "segment_left", "segment": "at-risk"}}  # fmt: skip
    first = run_playbooks(store, config(entered, left), now=NOW)
    again = run_playbooks(store, config(entered, left), now=NOW + timedelta(minutes=5))
    opened = {(t.playbook, t.account_id) for t in list_tasks(store, now=NOW).items}
    # A-0000 entered within the week, A-0001 left within it; A-0002 entered a month ago.
    assert opened == {("entered", "A-0000"), ("left", "A-0001")}
    assert (first.tasks, again.firings) == (2, 0)


def test_variants_by_touch_tier(store: duckdb.DuckDBPyConnection) -> None:
    from outsidein.tiers import record_day

    accounts(store, 2)
    store.execute(  # A-0000 pays enough for high-touch; A-0001 is tech-touch
        "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, seats, "
        "start_date, status, source, loaded_at) VALUES "
        "('S-0', 'A-0000', 'Big', 20000, 'USD', 10, DATE '2025-01-01', 'active', 't', now()), "
        "('S-1', 'A-0001', 'Small', 50, 'USD', 1, DATE '2025-01-01', 'active', 't', now())"
    )
    record_day(store, OutsideInConfig(), NOW.date())
    scores(store, {"A-0000": 20, "A-0001": 20}, NOW - timedelta(hours=1))
    book = {**LOW, "variants": {"high_touch": [{"kind": "task", "title": "Call the sponsor"}]}}
    cfg = parse_config({"playbooks": {"playbooks": [book], "variant_field": "tier"}}, "test")
    run_playbooks(store, cfg, now=NOW)
    titles = {t.account_id: t.title for t in list_tasks(store, now=NOW).items}
    assert titles == {"A-0000": "Call the sponsor", "A-0001": "Save it"}


def test_adding_to_a_segment_makes_a_member_of_the_segment_that_reads_its_flag(
    store: duckdb.DuckDBPyConnection,
) -> None:
    from outsidein.segments import catalogue, create_segment, members_at, refresh_membership

    accounts(store, 2)
    scores(store, {"A-0000": 20, "A-0001": 80}, NOW - timedelta(hours=1))
    book = {**LOW, "actions": [{"kind": "add_to_segment", "segment": "win_back"}]}
    run_playbooks(store, config(book), now=NOW)
    create_segment(store, "Win back", "custom.in_win_back", catalogue(store))
    refresh_membership(store)
    assert members_at(store, "win-back") == ["A-0000"]  # the account the playbook added
