"""``outcome_satisfaction`` as a segment field: an account's top-two-box satisfaction x 10 in
its latest outcome survey, read by the segment language (docs/jobs.md#as-a-field)."""

from __future__ import annotations

from datetime import date, datetime

import duckdb

from outsidein.segments.evaluate import evaluate
from outsidein.segments.fields import Context
from outsidein.segments.language import catalogue, compile_filter
from tests.health.conftest import insert

DAY = date(2026, 6, 30)


def test_outcome_satisfaction_filters_accounts(store: duckdb.DuckDBPyConnection) -> None:
    insert(store, "accounts", [
        ("A-1", "One", None, None, None, None, None, None, datetime(2025, 1, 1)),
        ("A-2", "Two", None, None, None, None, None, None, datetime(2025, 1, 1)),
        ("A-3", "Three", None, None, None, None, None, None, datetime(2025, 1, 1)),
    ])  # fmt: skip
    insert(store, "jobs", [("J", "Job", None)])
    insert(store, "outcomes", [("O-1", "J", None, "Minimize x"), ("O-2", "J", None, "Minimize y")])
    rows = []
    # old wave all satisfied, latest wave one of two satisfied -> 5.0
    for i, (acc, survey, when, sat) in enumerate([
        ("A-1", "W1", datetime(2026, 1, 5), 5), ("A-1", "W1", datetime(2026, 1, 5), 5),
        ("A-1", "W2", datetime(2026, 5, 5), 4), ("A-1", "W2", datetime(2026, 5, 5), 2),
        ("A-2", "W2", datetime(2026, 5, 6), 5), ("A-2", "W2", datetime(2026, 5, 6), 4),
        # after the day: not read
        ("A-2", "W3", datetime(2026, 7, 6), 1), ("A-2", "W3", datetime(2026, 7, 6), 1),
    ]):  # fmt: skip
        rows.append((f"R-{i}", acc, "C-" + acc, survey, when, "outcome", None,
                     f"O-{i % 2 + 1}", 5, sat))  # fmt: skip
    insert(store, "survey_responses", rows)
    fields = catalogue(store)
    assert "outcome_satisfaction" in fields.fields
    found = evaluate(
        store, {"low": compile_filter("outcome_satisfaction < 6", fields)}, DAY, fields, Context()
    )
    assert found.column("account_id").to_pylist() == ["A-1"]
    high = evaluate(
        store, {"k": compile_filter("outcome_satisfaction >= 10", fields)}, DAY, fields, Context()
    )
    assert high.column("account_id").to_pylist() == ["A-2"]  # A-3 answered nothing: null
