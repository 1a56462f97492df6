"""Evaluating 50 playbooks over 100,000 accounts after new data (goal: <= 5 s).

A synthetic company (bench/health_synth.py): accounts, subscriptions, NPS answers, cases,
today's daily snapshot and a health score for each account. 50 playbooks of every trigger
kind (health below and dropping, renewal, detractor answers, usage drop, conditions; half
with a ``where`` filter, some with variants and a holdout) run once over everyone (the first
run opens their tasks). Then new data arrives for every account (today's snapshot recomputed
and a new health score each: the worst case) and the server's pipeline step ``playbooks``
runs as it does after new data: the timed figure, which gathers the facts once, evaluates
the 50 playbooks, deduplicates against the open tasks and firings, and writes what fired.

    .venv/bin/python bench/bench_playbooks.py --accounts 100000
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow.compute as pc

from health_synth import seed_company, vector_score, write_snapshot
from outsidein.config import parse_config
from outsidein.health.history import Scored, record_scores
from outsidein.health.inputs import inputs_at
from outsidein.playbooks import PlaybookStep, run_playbooks
from outsidein.store import connect

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")


def playbooks() -> list[dict[str, Any]]:
    """50 playbooks: every trigger kind, filters, variants, holdouts."""
    task = {"kind": "task", "title": "Look", "due_days": 3}
    triggers: list[dict[str, Any]] = []
    for i in range(10):
        triggers.append({"kind": "health_below", "threshold": 10 + 2 * i})
        quiet = f"active_users_28 < 1 and open_cases >= {1 + i % 3} and nps <= {i}"
        triggers.append({"kind": "condition", "expression": quiet})
        triggers.append({"kind": "usage_drop", "drop": 0.8 + 0.02 * i})
        triggers.append({"kind": "renewal_in", "days": 30 + 30 * i})
    for i in range(5):
        triggers.append({"kind": "survey_answer", "at_most": i, "within_days": 90})
        triggers.append({"kind": "health_drop", "points": 10 + 3 * i, "days": 7})
    books = []
    for i, trigger in enumerate(triggers):
        book: dict[str, Any] = {"name": f"pb-{i:02d}", "trigger": trigger, "actions": [task],
                                "cooldown_days": 7}  # fmt: skip
        if i % 2:
            book["where"] = f"segment = '{SEGMENTS[i % 3]}' or health_score < 50"
        if i % 5 == 0:
            book["variants"] = {"Enterprise": [{**task, "priority": "urgent"},
                                               {"kind": "touch", "channel": "email",
                                                "template": "t"}]}  # fmt: skip
        if i % 7 == 0:
            book["holdout"] = 0.1
        books.append(book)
    return books


def shifted(scored: Scored, by: float) -> Scored:
    scores = scored.scores
    moved = pc.max_element_wise(pc.subtract(scores.column("score"), by), 0.0)
    return Scored(scores.set_column(2, "score", moved), scored.contributions)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--accounts", type=int, default=100_000)
    args = parser.parse_args()
    n = args.accounts
    now = datetime.now(UTC).replace(tzinfo=None)
    today = now.date()
    config = parse_config({"playbooks": {"playbooks": playbooks()}}, "bench")
    with tempfile.TemporaryDirectory() as folder:
        con = connect(Path(folder) / "bench.duckdb")
        seed_company(con, n, today - timedelta(days=365), today)
        write_snapshot(con, n, [today])
        scored = vector_score(inputs_at(con, today))
        record_scores(con, scored, config_version=None, at=now - timedelta(days=8))
        record_scores(con, shifted(scored, 3), config_version=None, at=now - timedelta(hours=2))
        step = PlaybookStep(lambda: config)
        started = time.perf_counter()
        first = step.run(con)
        first_seconds = time.perf_counter() - started
        r = first.result
        print(f"first run ({first.reason}), {r.accounts:,} accounts, {r.playbooks} playbooks: "
              f"{first_seconds:.2f} s; {r.hits:,} hits, {r.firings:,} firings "
              f"({r.held_out:,} held out), {r.tasks:,} tasks, {r.touches:,} touches")  # fmt: skip
        # New data for every account: today's snapshot recomputed, a new score each.
        con.execute("DELETE FROM account_daily_metrics WHERE date = ?", [today])
        write_snapshot(con, n, [today])
        record_scores(con, shifted(scored, 4), config_version=None,
                      at=datetime.now(UTC).replace(tzinfo=None))  # fmt: skip
        started, cpu = time.perf_counter(), time.process_time()
        after = step.run(con)
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        r = after.result
        goal = "met" if seconds <= 5 else "NOT met"
        print(f"after new data ({after.reason}), {r.accounts:,} accounts, {r.playbooks} "
              f"playbooks: {seconds:.2f} s (CPU {cpu:.2f} s); {r.hits:,} hits, "
              f"{r.firings:,} firings, {r.tasks:,} tasks (goal <= 5 s: {goal})")  # fmt: skip
        started, cpu = time.perf_counter(), time.process_time()
        nothing = run_playbooks(con, config)
        again, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"the same again (all deduplicated): {again:.2f} s (CPU {cpu:.2f} s), "
            f"{nothing.firings} firings; load average {os.getloadavg()[0]:.1f}"
        )
        (tasks,) = con.execute("SELECT count(*) FROM tasks").fetchall()[0]
        print(f"tasks stored: {tasks:,}")
        con.close()


if __name__ == "__main__":
    main()
