"""The two back ends: DuckDB SQL with bound parameters only, and NumPy over Arrow columns.

Snapshot tests pin the generated SQL; Hypothesis checks that any literal (texts with quotes,
numbers, dates) comes back as data through both, and that both give the same values.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from outsidein.expr import Catalogue, Type, compile_expression, quote_text
from outsidein.expr.sql import quote_identifier, to_sql
from outsidein.expr.vector import evaluate_arrow

CATALOGUE = Catalogue(
    {
        "a": Type.NUMBER,
        "b": Type.NUMBER,
        "s": Type.TEXT,
        "d": Type.DATE,
        "flag": Type.BOOL,
        'odd "name"': Type.NUMBER,
        "custom.plan_tier": Type.TEXT,
    }
)

SNAPSHOTS = [
    ("a + b * 2", '("a" + ("b" * CAST(? AS DOUBLE)))', [2.0]),
    ("a / b", '("a" / nullif("b", 0))', []),
    (
        "s = 'O''Reilly' or s in ('x', \"y\")",
        '(("s" = CAST(? AS VARCHAR)) OR ("s" IN (CAST(? AS VARCHAR), CAST(? AS VARCHAR))))',
        ["O'Reilly", "x", "y"],
    ),
    ("s not in ('x')", '("s" NOT IN (CAST(? AS VARCHAR)))', ["x"]),
    ("not flag and a is not null", '((NOT "flag") AND ("a" IS NOT NULL))', []),
    ("d >= date '2025-01-31'", '("d" >= CAST(? AS DATE))', [date(2025, 1, 31)]),
    (
        "d + 30",
        'CAST("d" + to_days(CAST(trunc(CAST(? AS DOUBLE)) AS INTEGER)) AS DATE)',
        [30.0],
    ),
    ("d - date '2025-01-01'", '("d" - CAST(? AS DATE))', [date(2025, 1, 1)]),
    ("coalesce(a, -1)", 'coalesce("a", CAST(? AS DOUBLE))', [-1.0]),
    (
        "clamp(a, 0, 10)",
        'least(greatest("a", CAST(? AS DOUBLE)), CAST(? AS DOUBLE))',
        [0.0, 10.0],
    ),
    ("ln(a)", '(CASE WHEN "a" > 0 THEN ln("a") END)', []),
    ("min(a, b, 3)", 'least("a", "b", CAST(? AS DOUBLE))', [3.0]),
    ("custom.plan_tier = 'Pro'", '("custom.plan_tier" = CAST(? AS VARCHAR))', ["Pro"]),
    ("coalesce(s, null)", 'coalesce("s", NULL)', []),
    ("flag = true", '("flag" = CAST(? AS BOOLEAN))', [True]),
]


@pytest.mark.parametrize(("text", "sql", "params"), SNAPSHOTS)
def test_sql_snapshots(text: str, sql: str, params: list[Any]) -> None:
    assert to_sql(compile_expression(text, CATALOGUE)) == (sql, params)


def test_identifiers_are_quoted_whatever_they_hold() -> None:
    assert quote_identifier('odd "name"') == '"odd ""name"""'
    expression = compile_expression("a + 1", CATALOGUE)
    sql, _ = to_sql(expression, column=lambda name: f"m.{quote_identifier(name)}")
    assert sql == '(m."a" + CAST(? AS DOUBLE))'


ROWS = pa.table(
    {
        "a": pa.array([1.0, None, 3.5, 0.0, -2.0]),
        "b": pa.array([0.0, 2.0, None, 5.0, 4.0]),
        "s": pa.array(["x", "O'Reilly", None, "z", ""]),
        "d": pa.array([date(2024, 1, 1), None, date(2024, 3, 1), date(2020, 2, 29), None]),
        "flag": pa.array([True, False, None, True, False]),
        "custom.plan_tier": pa.array(["Pro", None, "Business", "Pro", "Free"]),
    }
)


CON = duckdb.connect()


def run_sql(text: str, table: pa.Table = ROWS) -> list[Any]:
    sql, params = to_sql(compile_expression(text, CATALOGUE))
    cursor = CON.cursor()
    try:
        cursor.register("t", table)
        result = cursor.sql(f"SELECT {sql} AS v FROM t", params=params).to_arrow_table()
        return result["v"].to_pylist()  # type: ignore[no-any-return]
    finally:
        cursor.close()


def run_numpy(text: str, table: pa.Table = ROWS) -> list[Any]:
    return evaluate_arrow(compile_expression(text, CATALOGUE), table).to_pylist()


def same(x: list[Any], y: list[Any]) -> bool:
    def norm(v: Any) -> Any:
        if isinstance(v, bool) or v is None or isinstance(v, str | date):
            return v
        return round(float(v), 9)

    return [norm(v) for v in x] == [norm(v) for v in y]


AGREE = [
    "a / b",
    "a * b - 1",
    "-a",
    "abs(a - b)",
    "ln(a)",
    "sqrt(a)",
    "round(a * 1.5)",
    "min(a, b)",
    "max(a, b, 0)",
    "clamp(a, 0, 2)",
    "coalesce(a, b, 9)",
    "coalesce(s, 'none')",
    "a > b",
    "a = 1 or b = 2",
    "a = 1 and b = 2",
    "not (a > 0)",
    "flag or a > 2",
    "flag and a > 2",
    "s in ('x', 'z')",
    "s not in ('x', null)",
    "a in (1, null)",
    "s is null",
    "d is not null and d > date '2023-01-01'",
    "d - date '2024-01-01'",
    "d + 10.7",
    "d - 1",
    "s < 'y'",
    "s >= 'O'",
    "custom.plan_tier in ('Pro', 'Business')",
]


@pytest.mark.parametrize("text", AGREE)
def test_numpy_agrees_with_duckdb(text: str) -> None:
    assert same(run_numpy(text), run_sql(text)), (run_numpy(text), run_sql(text))


texts = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    max_size=40,
)
numbers = st.floats(allow_nan=False, allow_infinity=False, width=64)
dates = st.dates(min_value=date(1, 1, 1), max_value=date(9999, 12, 31))


def number_literal(x: float) -> str:
    return repr(x)


@settings(max_examples=150, deadline=None)
@given(value=texts)
def test_any_text_round_trips_as_data(value: str) -> None:
    literal = quote_text(value)
    for template in ("{}", "s = {}", "coalesce(null, {})"):
        sql, params = to_sql(compile_expression(template.format(literal), CATALOGUE))
        # The SQL text is the same whatever the text is: the value travels only as a parameter.
        assert (sql, [value]) == (
            to_sql(compile_expression(template.format("'x'"), CATALOGUE))[0],
            params,
        )
    table = pa.table({"s": pa.array([value, "other"])})
    assert run_numpy(literal, table) == [value, value]
    assert run_sql(literal, table) == [value, value]
    assert run_numpy(f"s = {literal}", table) == run_sql(f"s = {literal}", table)
    assert run_sql(f"s = {literal}", table)[0] is True
    # The other quoting style, with its own quote doubled, means the same text.
    single = "'" + value.replace("'", "''") + "'"
    assert run_sql(f"s = {single}", table)[0] is True


@settings(max_examples=150, deadline=None)
@given(value=numbers)
def test_any_number_round_trips_as_data(value: float) -> None:
    text = number_literal(value)
    sql, params = to_sql(compile_expression(text, CATALOGUE))
    assert sql == "CAST(? AS DOUBLE)" and params == [value]
    table = pa.table({"a": pa.array([value])})
    assert run_numpy(text, table) == [value]
    assert run_sql(text, table) == [value]
    assert run_sql(f"a = {text}", table) == run_numpy(f"a = {text}", table) == [True]


@settings(max_examples=100, deadline=None)
@given(value=dates)
def test_any_date_round_trips_as_data(value: date) -> None:
    text = f"date '{value.isoformat()}'"
    sql, params = to_sql(compile_expression(text, CATALOGUE))
    assert sql == "CAST(? AS DATE)" and params == [value]
    table = pa.table({"d": pa.array([value])})
    assert run_numpy(text, table) == [value] == run_sql(text, table)
    assert run_sql(f"d = {text}", table) == run_numpy(f"d = {text}", table) == [True]


@settings(max_examples=100, deadline=None)
@given(
    a=st.lists(st.none() | st.floats(-1e6, 1e6), min_size=1, max_size=8),
    k=st.floats(-100, 100),
    op=st.sampled_from(["+", "-", "*", "/", ">", "<=", "=", "!="]),
)
def test_random_numbers_agree(a: list[float | None], k: float, op: str) -> None:
    table = pa.table(
        {"a": pa.array(a, pa.float64()), "b": pa.array(list(reversed(a)), pa.float64())}
    )
    texts = [f"a {op} {k!r}", f"a {op} b"]
    if op in "+-*/":
        texts.append(f"coalesce(a {op} b, {k!r})")
    for text in texts:
        x, y = run_numpy(text, table), run_sql(text, table)
        assert len(x) == len(y)
        for u, v in zip(x, y, strict=True):
            assert (u is None) == (v is None), text
            if isinstance(u, float):
                assert math.isclose(u, v, rel_tol=1e-12, abs_tol=1e-12), text
            else:
                assert u == v, text
