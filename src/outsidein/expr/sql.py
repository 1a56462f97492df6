"""Expression tree to DuckDB SQL: literals as bound parameters, fields as quoted identifiers.

No value from the expression's text is ever spliced into the SQL: each literal becomes a ``?``
with its value in the parameter list, cast to its type, and each field a double-quoted
identifier (a quote inside doubled). The SQL and the NumPy back end (:mod:`.vector`) give the
same values, nulls included (tests/expr compare them): division by zero is null, ``ln`` of a
number at or below 0 is null, ``min``/``max`` skip nulls.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from outsidein.expr.check import Expression
from outsidein.expr.nodes import (
    Binary,
    Call,
    Field,
    InList,
    IsNull,
    Literal,
    Node,
    Type,
    Unary,
)

_CAST = {Type.NUMBER: "DOUBLE", Type.TEXT: "VARCHAR", Type.BOOL: "BOOLEAN", Type.DATE: "DATE"}


def quote_identifier(name: str) -> str:
    """``name`` as a DuckDB identifier, whatever characters it holds."""
    return '"' + name.replace('"', '""') + '"'


class _Compiler:
    def __init__(self, expression: Expression, column: Callable[[str], str]) -> None:
        self.params: list[float | str | bool | date] = []
        self.column = column
        self.expression = expression

    def literal(self, node: Literal) -> str:
        if node.value is None:
            return "NULL"
        self.params.append(node.value)
        return f"CAST(? AS {_CAST[node.type]})"

    def sql(self, node: Node) -> str:
        match node:
            case Literal():
                return self.literal(node)
            case Field(name=name):
                return self.column(name)
            case Unary(op="-", operand=o):
                return f"(- {self.sql(o)})"
            case Unary(op="not", operand=o):
                return f"(NOT {self.sql(o)})"
            case Binary(op="/", left=a, right=b):
                return f"({self.sql(a)} / nullif({self.sql(b)}, 0))"
            case Binary(op="+" | "-", left=a, right=b) if self.date_shift(node):
                return (
                    f"CAST({self.sql(a)} {node.op} to_days(CAST(trunc({self.sql(b)}) AS INTEGER)) "
                    "AS DATE)"
                )
            case Binary(op=op, left=a, right=b):
                sql_op = {"and": "AND", "or": "OR"}.get(op, op)
                return f"({self.sql(a)} {sql_op} {self.sql(b)})"
            case InList(operand=o, items=items, negated=negated):
                inner = ", ".join(self.sql(i) for i in items)
                return f"({self.sql(o)} {'NOT IN' if negated else 'IN'} ({inner}))"
            case IsNull(operand=o, negated=negated):
                return f"({self.sql(o)} IS {'NOT NULL' if negated else 'NULL'})"
            case Call(name=name, args=args):
                parts = [self.sql(a) for a in args]
                return _call(name, parts)
        raise AssertionError(node)  # pragma: no cover

    def date_shift(self, node: Binary) -> bool:
        """``date +/- days`` (a number of days right, a date left), not ``date - date``."""
        return self.expression.type_of(node) is Type.DATE


def _call(name: str, parts: list[str]) -> str:
    joined = ", ".join(parts)
    if name == "coalesce":
        return f"coalesce({joined})"
    if name == "min":
        return parts[0] if len(parts) == 1 else f"least({joined})"
    if name == "max":
        return parts[0] if len(parts) == 1 else f"greatest({joined})"
    if name == "abs":
        return f"abs({joined})"
    if name == "ln":
        return f"(CASE WHEN {parts[0]} > 0 THEN ln({parts[0]}) END)"
    if name == "sqrt":
        return f"(CASE WHEN {parts[0]} >= 0 THEN sqrt({parts[0]}) END)"
    if name == "round":
        return f"CAST(round({parts[0]}) AS DOUBLE)"
    if name == "clamp":
        return f"least(greatest({parts[0]}, {parts[1]}), {parts[2]})"
    raise AssertionError(name)  # pragma: no cover


def to_sql(
    expression: Expression, column: Callable[[str], str] = quote_identifier
) -> tuple[str, list[float | str | bool | date]]:
    """The SQL text of ``expression`` and its parameters, in order of the ``?`` marks.

    ``column`` turns a field name into SQL (default: a quoted identifier; pass one that adds a
    table alias, or maps ``custom.x`` to a JSON extraction, as a query needs).
    """
    compiler = _Compiler(expression, column)
    text = compiler.sql(expression.tree)
    return text, compiler.params


__all__ = ["quote_identifier", "to_sql"]
