"""``outsidein playbooks``, ``outsidein tasks`` and ``outsidein teams`` on a real store: a
file applied as a new configuration version, run, its firings and tasks worked to done."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from typer.testing import CliRunner

from outsidein.cli import app as cli_app
from tests.web.conftest import seed_small

pytestmark = pytest.mark.timeout(240)
PLAYBOOKS = """
[playbooks]
[playbooks.templates]
hello = ["Say hello", "Ask about goals"]

[[playbooks.playbooks]]
name = "welcome"
trigger = { kind = "schedule", every_days = 30 }
where = "segment = 'Enterprise'"
actions = [{ kind = "task", title = "Welcome call", owner = "team:East", template = "hello" }]
"""


def cli(db: Path, *args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(cli_app, [*args, "--db", str(db)])
    assert (result.exit_code == 0) == ok, result.output
    # An OutsideInError reaches `main`, which prints its message (here: the exception's).
    return result.output + ("" if ok else str(getattr(result.exception, "message", "")))


def test_apply_run_and_work_the_tasks(tmp_path: Path) -> None:
    db = seed_small(tmp_path / "s.duckdb")
    book = tmp_path / "playbooks.toml"
    book.write_text(PLAYBOOKS)
    assert "no team yet" in cli(db, "teams", "list")
    cli(db, "teams", "set", "East", "--member", "csm1", "--member", "csm2", "--lead", "boss")
    assert "East: lead boss; members csm1, csm2" in cli(db, "teams", "list")
    assert "1 playbooks in configuration version" in cli(db, "playbooks", "apply", str(book))
    ran = cli(db, "playbooks", "run")
    assert "1 playbooks over 5 accounts: 2 firings (0 held out), 2 tasks" in ran
    assert "welcome" in cli(db, "playbooks", "list")
    assert '"name": "welcome"' in cli(db, "playbooks", "show", "welcome")
    assert "2 firings" in cli(db, "playbooks", "firings", "--playbook", "welcome")
    out = tmp_path / "tasks.csv"
    cli(db, "tasks", "list", "--out", str(out))
    with out.open(newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["account_id"], r["assignee"]) for r in rows) == [
        ("A-001", "csm1"), ("A-005", "csm2")
    ]  # fmt: skip
    task = rows[0]["task_id"]
    shown = cli(db, "tasks", "show", task)
    assert "1. Say hello" in shown and "2. Ask about goals" in shown
    assert "owner csm9" in cli(db, "tasks", "assign", task, "csm9")
    assert "comment N-" in cli(db, "tasks", "comment", task, "Left a message")
    cli(db, "tasks", "snooze", task, "--days", "2")
    assert "1 tasks" in cli(db, "tasks", "list", "--status", "snoozed")
    bad = cli(db, "tasks", "complete", task, "--outcome", "maybe", ok=False)
    assert "one of resolved, partly_resolved, not_resolved, not_needed" in bad
    done = cli(db, "tasks", "complete", task, "--outcome", "resolved", "--note", "fine")
    assert "outcome: resolved fine" in done and "Left a message" in done
    assert "1 tasks" in cli(db, "tasks", "list", "--status", "done")
    assert "no task 'T-nope'" in cli(db, "tasks", "show", "T-nope", ok=False)
    cli(db, "teams", "delete", "East")
    # Running again: both playbook's tasks are deduplicated or done, nothing new.
    assert "0 firings" in cli(db, "playbooks", "run")
