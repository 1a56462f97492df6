"""The pipeline step ``clv``: scores once, then only after new invoices (or a new day)."""

from __future__ import annotations

import threading
import time

import duckdb
import pytest

from outsidein.clv.step import ClvStep, stale
from outsidein.pipeline import StepCancelled, StepContext
from outsidein.settings.analytics import AnalyticsConfig
from tests.clv import company


def _context(con: duckdb.DuckDBPyConnection) -> StepContext:
    return StepContext(con, 60.0, None, time.monotonic(), threading.Event())


def test_scores_after_new_invoices_only(store: duckdb.DuckDBPyConnection) -> None:
    company.build(store)
    step = ClvStep(AnalyticsConfig, today=lambda: company.AS_OF)
    first = step.step().run(_context(store))
    assert first.changed is None and first.rows > 500, first
    assert first.detail.startswith("first scoring")
    assert stale(store, company.AS_OF) is None
    again = step.step().run(_context(store))
    assert again.changed == frozenset() and again.detail == "scores are current"
    (recorded,) = store.execute("SELECT max(recorded_at) FROM clv_scores").fetchone() or (None,)
    store.execute(
        "INSERT INTO invoices (invoice_id, account_id, subscription_id, amount, currency, "
        "issued_at, source, loaded_at) VALUES ('NEW-1', 'T0001', NULL, 80, 'USD', ?, 'test', "
        "now())",
        [company.AS_OF],
    )
    assert stale(store, company.AS_OF) == "new invoices, subscriptions or contracts"
    third = step.step().run(_context(store))
    assert third.changed is None and third.detail.startswith("new invoices")
    row = store.execute(
        "SELECT frequency, recorded_at FROM clv_scores WHERE account_id = 'T0001'"
    ).fetchone()
    assert row is not None and row[1] > recorded
    assert stale(store, company.AS_OF.replace(day=30)) is None  # an earlier day: current
    later = company.AS_OF.replace(year=company.AS_OF.year + 1, month=1, day=1)
    assert stale(store, later) == "a new day"


def test_a_cancel_stops_the_scoring(store: duckdb.DuckDBPyConnection) -> None:
    company.build(store)
    cancel = threading.Event()
    cancel.set()
    ctx = StepContext(store, 60.0, None, time.monotonic(), cancel)
    step = ClvStep(AnalyticsConfig, today=lambda: company.AS_OF)
    with pytest.raises(StepCancelled):  # not an error: the scheduler stops quietly
        step.step().run(ctx)
    assert store.execute("SELECT count(*) FROM clv_scores").fetchone() == (0,)


def test_clv_fields_select_segments(store: duckdb.DuckDBPyConnection) -> None:
    """CLV, P(alive), expected purchases and the RFM group are segment fields (through the
    health inputs), read from the last scoring on or before the day."""
    from outsidein.clv.saved import latest
    from outsidein.segments.evaluate import preview

    company.build(store)
    ClvStep(AnalyticsConfig, today=lambda: company.AS_OF).step().run(_context(store))
    scores = latest(store)
    cut = float(scores["clv"].median())
    found = preview(store, f"clv > {cut} and p_alive >= 0.5", company.AS_OF, limit=5)
    want = scores[(scores["clv"] > cut) & (scores["p_alive"] >= 0.5)]
    assert found.count == len(want) > 0
    champions = preview(store, "rfm_segment = 'champions' and expected_transactions > 0",
                        company.AS_OF)  # fmt: skip
    assert champions.count == int((scores["rfm_segment"] == "champions").sum()) > 0
    before = preview(store, "clv > 0", company.AS_OF.replace(day=1))  # before any scoring
    assert before.count == 0


def test_a_playbook_condition_reads_the_rfm_group(store: duckdb.DuckDBPyConnection) -> None:
    """Playbooks read the stored CLV like any input: a condition on the RFM group and
    P(alive) opens a task for exactly those buyers."""
    from datetime import datetime
    from datetime import time as clock

    from outsidein.clv.saved import latest
    from outsidein.config import parse_config
    from outsidein.playbooks import run_playbooks

    company.build(store)
    ClvStep(AnalyticsConfig, today=lambda: company.AS_OF).step().run(_context(store))
    book = {"name": "win-back", "description": "At-risk buyers still likely alive",
            "trigger": {"kind": "condition",
                        "expression": "rfm_segment = 'at risk' and p_alive > 0.3"},
            "actions": [{"kind": "task", "title": "Offer a win-back pack"}]}  # fmt: skip
    config = parse_config({"playbooks": {"playbooks": [book]}}, "test")
    run_playbooks(store, config, now=datetime.combine(company.AS_OF, clock(12)))
    opened = {r[0] for r in store.execute("SELECT account_id FROM tasks").fetchall()}
    s = latest(store)
    want = set(s[(s["rfm_segment"] == "at risk") & (s["p_alive"] > 0.3)]["account_id"])
    assert opened == want and want
