"""The segment filter language: errors on bad inputs, literals as bound parameters, the SQL.

The catalogue is the real one of a store with a custom field (``custom.plan_tier``), so the
suggestions and types are the ones a user meets.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outsidein.expr import ExpressionError, quote_text
from outsidein.segments import SegmentCatalogue, catalogue, compile_filter, filter_sql
from outsidein.store import connect

from .conftest import add_custom_fields

SNAPSHOTS = Path(__file__).parent / "snapshots"


@pytest.fixture(scope="module")
def fields(tmp_path_factory: pytest.TempPathFactory) -> SegmentCatalogue:
    con = connect(tmp_path_factory.mktemp("lang") / "s.duckdb")
    add_custom_fields(con)
    found = catalogue(con)
    con.close()
    return found


# text, column (1-based) of the problem, words the message holds, the suggestion
BAD: list[tuple[str, int, str, str | None]] = [
    ("", 1, "expected an expression", None),
    ("segment = ", 11, "expected a value", None),
    ("health < 50 and", 16, "expected a value", None),
    ("helth < 50", 1, "unknown field `helth`", "`health`"),
    ('custom.plan_tierr = "Pro"', 1, "unknown field `custom.plan_tierr`", "`custom.plan_tier`"),
    ("days_to_renewl <= 90", 1, "unknown field `days_to_renewl`", "`days_to_renewal`"),
    ('segment = "enterprise', 11, "a text is not closed", None),
    ('segment in ("a", "b"', 21, "expected `,` or `)` closing the list", None),
    ('segment in "a"', 12, "expected `(` starting the list of values", None),
    ('health < "fifty"', 8, "cannot compare a number with a text", None),
    ("health", 1, "must give a bool", None),
    ("days_to_renewal <= 90 90", 23, "expected an operator", None),
    ('segment == "x"', 10, "expected a value", None),
    ("renewal_date < date '2026-13-01'", 21, "is not a date", None),
    ("segment = null", 9, "write `is null`", None),
    ("health < 50 and segment", 17, "each side of `and` must be a bool", None),
    ('lowr(segment) = "x"', 1, "unknown function `lowr`", None),
    ('segment = "a" & health < 5', 15, "unexpected character `&`", None),
    ("health < 50 or (arr > 10", 25, "expected `)`", None),
    ("not health", 5, "the operand of `not` must be a bool", None),
    ("created_at > 5", 12, "cannot compare a date with a number", None),
    ("health_band < 'red' + 1", 15, "`+` takes numbers", None),
]


@pytest.mark.parametrize(
    ("text", "column", "words", "suggestion"), BAD, ids=[b[0] or "empty" for b in BAD]
)
def test_bad_filters_name_the_column_what_was_expected_and_a_suggestion(
    fields: SegmentCatalogue, text: str, column: int, words: str, suggestion: str | None
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_filter(text, fields)
    error = caught.value
    assert error.position + 1 == column, error.message
    assert words in error.message
    assert error.suggestion == suggestion
    assert error.message.startswith(f"column {column}:")
    assert "^" in error.message.splitlines()[-1]  # the caret under the place
    assert error.http_status == 422


def test_the_issue_example_compiles(fields: SegmentCatalogue) -> None:
    text = (
        'segment = "enterprise" and health < 50 and days_to_renewal <= 90 and '
        'custom.plan_tier in ("Pro", "Business")'
    )
    sql, params = filter_sql(compile_filter(text, fields))
    assert params == ["enterprise", 50.0, 90.0, "Pro", "Business"]
    assert '"custom.plan_tier" IN' in sql


SNAPSHOT_CASES = {
    "issue_example": (
        'segment = "enterprise" and health < 50 and days_to_renewal <= 90 and '
        'custom.plan_tier in ("Pro", "Business")'
    ),
    "renewing_in_90_days": (
        "renewal_date <= date '2026-12-31' + 90 and lifecycle_status != 'churned'"
    ),
    "quiet_users": "days_since_last_activity >= 30 or active_users_28 is null",
    "arithmetic": "seats_used / seats_bought < 0.5 and not (health_band in ('green'))",
    "measure_points": "health.usage.active_users < 40 and coalesce(nps, 0) <= 6",
}


@pytest.mark.parametrize("name", sorted(SNAPSHOT_CASES))
def test_generated_sql_matches_its_snapshot(fields: SegmentCatalogue, name: str) -> None:
    """The SQL text is pinned: a change to the compiler shows up as a diff (set
    OUTSIDEIN_UPDATE_SNAPSHOTS=1 to rewrite after a deliberate change)."""
    sql, params = filter_sql(compile_filter(SNAPSHOT_CASES[name], fields))
    text = f"-- {SNAPSHOT_CASES[name]}\n{sql}\n-- params: {params!r}\n"
    path = SNAPSHOTS / f"{name}.sql"
    if os.environ.get("OUTSIDEIN_UPDATE_SNAPSHOTS") == "1":
        path.write_text(text, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == text
    # Bound parameters only: no quote character outside identifiers, one ? per parameter.
    assert "'" not in sql
    assert sql.count("?") == len(params)


texts = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
numbers = st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12)
dates = st.dates(min_value=date(1900, 1, 1), max_value=date(2200, 12, 31))


ALTERNATIVES: dict[type, tuple[str | float | date, ...]] = {
    str: ("x", "y"),
    float: (0.5, 1.5),
    date: (date(2000, 1, 1), date(2001, 1, 1)),
}


def _literal(value: str | float | date) -> str:
    if isinstance(value, str):
        return quote_text(value)
    if isinstance(value, date):
        return f"date '{value.isoformat()}'"
    return repr(float(value))


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(value=st.one_of(texts, numbers, dates), other=st.one_of(texts, numbers, dates))
def test_any_literal_round_trips_as_data_through_bound_parameters(
    fields: SegmentCatalogue,
    tmp_path_factory: pytest.TempPathFactory,
    value: str | float | date,
    other: str | float | date,
) -> None:
    """``field = <literal>`` finds exactly the row holding that value; the SQL text is the
    same whatever the value (it is never in the SQL), the value is its one parameter."""
    field = {str: "name", float: "health", date: "renewal_date"}[type(value)]
    if type(other) is not type(value) or other == value:
        other = next(c for c in ALTERNATIVES[type(value)] if c != value)
    expression = compile_filter(f"{field} = {_literal(value)}", fields)
    sql, params = filter_sql(expression)
    assert len(params) == 1 and params[0] == value
    reference, _ = filter_sql(compile_filter(f"{field} = {_literal(other)}", fields))
    assert sql == reference  # the text does not depend on the value
    con = duckdb.connect()
    kind = {"name": "VARCHAR", "health": "DOUBLE", "renewal_date": "DATE"}[field]
    con.execute(f'CREATE TABLE t (k INTEGER, "{field}" {kind})')
    con.execute("INSERT INTO t VALUES (1, ?), (2, ?), (3, NULL)", [value, other])
    found = con.execute(f"SELECT k FROM t WHERE {sql}", params).fetchall()
    assert found == [(1,)]
