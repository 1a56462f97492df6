"""The parser and checker: trees for good input, and for bad input an error that says where,
what was expected there, and (for a misspelt field or function) what was probably meant."""

from __future__ import annotations

from datetime import date

import pytest

from outsidein.expr import Catalogue, ExpressionError, Type, compile_expression, parse
from outsidein.expr.nodes import Binary, Call, Field, InList, IsNull, Literal, Unary

CATALOGUE = Catalogue(
    {
        "active_users_28": Type.NUMBER,
        "segment": Type.TEXT,
        "renewal_date": Type.DATE,
        "is_trial": Type.BOOL,
        "custom.plan_tier": Type.TEXT,
    }
)


def test_precedence_and_shapes() -> None:
    tree = parse("not a = 1 or b + 2 * 3 > -4 and c in ('x', \"y\") and d is not null")
    assert isinstance(tree, Binary) and tree.op == "or"
    left, right = tree.left, tree.right
    assert isinstance(left, Unary) and left.op == "not"
    assert left.operand == Binary("=", Field("a", 4), Literal(1.0, Type.NUMBER, 8), 6)
    assert isinstance(right, Binary) and right.op == "and"
    assert isinstance(right.right, IsNull) and right.right.negated
    inner = right.left
    assert isinstance(inner, Binary) and inner.op == "and"
    greater, in_list = inner.left, inner.right
    assert isinstance(greater, Binary) and greater.op == ">"
    assert greater.right == Literal(-4.0, Type.NUMBER, 25)
    assert isinstance(greater.left, Binary) and greater.left.op == "+"
    assert isinstance(greater.left.right, Binary) and greater.left.right.op == "*"
    assert isinstance(in_list, InList) and not in_list.negated
    assert in_list.items == (Literal("x", Type.TEXT, 38), Literal("y", Type.TEXT, 43))


def test_literals() -> None:
    assert parse("'O''Reilly'") == Literal("O'Reilly", Type.TEXT, 0)
    assert parse('"say ""hi"""') == Literal('say "hi"', Type.TEXT, 0)
    assert parse("date '2025-02-28'") == Literal(date(2025, 2, 28), Type.DATE, 0)
    assert parse("1.5e3") == Literal(1500.0, Type.NUMBER, 0)
    assert parse("TRUE") == Literal(True, Type.BOOL, 0)
    assert parse("Null") == Literal(None, Type.NULL, 0)
    assert parse("custom.plan_tier") == Field("custom.plan_tier", 0)
    assert parse("Coalesce(a, 1)") == Call(
        "coalesce", (Field("a", 9), Literal(1.0, Type.NUMBER, 12)), 0
    )


def test_types() -> None:
    def typed(text: str) -> Type:
        return compile_expression(text, CATALOGUE).type

    assert typed("active_users_28 / 2 + 1") is Type.NUMBER
    assert typed("renewal_date - date '2025-01-01'") is Type.NUMBER
    assert typed("renewal_date + 30") is Type.DATE
    assert typed('segment = "enterprise" and is_trial') is Type.BOOL
    assert typed("coalesce(segment, 'none')") is Type.TEXT
    assert typed("custom.plan_tier in ('Pro', 'Business')") is Type.BOOL
    assert typed("clamp(active_users_28, 0, 10)") is Type.NUMBER


BAD = [
    # text, column (1-based), words in the message, expected, suggestion
    ("", 1, "expected an expression", "an expression", None),
    ("active_users_28 >", 18, "found the end", "a value", None),
    ("active_users_28 > 1 segment", 21, "found `segment`", "an operator", None),
    ("(active_users_28 > 1", 21, "expected `)`", "`)`", None),
    ("segment in ('a', 'b'", 21, "closing the list", "`,` or `)` closing the list", None),
    ("segment in 'a'", 12, "`(` starting the list", "`(` starting the list of values", None),
    ("segment is 'a'", 12, "expected `null`", "`null`", None),
    ("segment not 'a'", 13, "`in` after `not`", "`in` after `not` here", None),
    ("segment = 'open", 11, "text is not closed", "a value or an operator", None),
    ("active_users_28 # 2", 17, "unexpected character `#`", "a value or an operator", None),
    ("date 2025", 6, "a date in quotes", "a date in quotes", None),
    ("date '2025-02-30'", 6, "not a date", "a date 'YYYY-MM-DD'", None),
    ("actve_users_28 > 3", 1, "unknown field `actve_users_28`", "a field", "`active_users_28`"),
    ("custom.plan_teir = 'Pro'", 1, "unknown field", "a field", "`custom.plan_tier`"),
    ("colesce(segment, 'x')", 1, "unknown function `colesce`", "a function", "`coalesce`"),
    ("segment + 1", 1, "takes numbers", None, None),
    ("segment > 3", 9, "cannot compare a text with a number", None, None),
    ("segment = null", 9, "write `is null`", None, None),
    ("active_users_28 and is_trial", 1, "must be a bool, not a number", None, None),
    ("clamp(active_users_28, 1)", 1, "takes 3 argument(s), not 2", None, None),
    ("segment in ('a', 2)", 18, "the list holds a number", None, None),
    ("is_trial < true", 10, "does not order", None, None),
    ("active_users_28 > 1e999", 19, "too large a number", None, None),
]


@pytest.mark.parametrize(("text", "column", "words", "expected", "suggestion"), BAD)
def test_errors_say_where_and_what(
    text: str, column: int, words: str, expected: str | None, suggestion: str | None
) -> None:
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text, CATALOGUE)
    error = caught.value
    assert error.position == column - 1
    assert f"column {column}:" in error.message
    assert words in error.message
    if expected is not None:
        assert error.expected is not None and error.expected.startswith(expected)
    assert error.suggestion == suggestion
    # The caret line points at the column.
    assert error.message.splitlines()[-1] == "  " + " " * (column - 1) + "^"


def test_open_custom_fields_are_any_until_the_data_is_seen() -> None:
    open_catalogue = Catalogue({"segment": Type.TEXT}, open_custom=True)
    assert compile_expression("custom.anything > 3", open_catalogue).type is Type.BOOL
    with pytest.raises(ExpressionError, match="unknown field `segmnt`"):
        compile_expression("segmnt = 'x'", open_catalogue)


def test_want_a_type() -> None:
    with pytest.raises(ExpressionError, match="must give a bool, and this one gives a number"):
        compile_expression("active_users_28 + 1", CATALOGUE, want=Type.BOOL)


def test_limits() -> None:
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("(" * 200 + "1" + ")" * 200)
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("-" * 5000 + "1")
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("not " * 2000 + "true")
    with pytest.raises(ExpressionError, match="nested deeper"):
        parse("1" + " + 1" * 150)  # a left-deep chain of 150 additions
    assert parse("1" + " + 1" * 90) is not None
    with pytest.raises(ExpressionError, match="longer than"):
        parse("1 + " * 5000 + "1")
