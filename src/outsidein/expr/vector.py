"""Evaluate an expression over columns with NumPy: one pass per node, no loop per row.

A value is a :class:`Column`: an array of values and a validity mask (False = null), with
SQL's three-valued logic (``false and null`` is false, ``true or null`` is true, a comparison
with null is null). Numbers are float64, texts object arrays, dates int64 days since
1970-01-01, booleans bool. The results equal DuckDB's for the SQL of :mod:`.sql`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outsidein.expr.check import Expression
from outsidein.expr.nodes import Binary, Call, Field, InList, IsNull, Literal, Node, Type, Unary

_EPOCH = date(1970, 1, 1)
Bool = NDArray[np.bool_]


@dataclass(frozen=True)
class Column:
    """Values and where they are valid (not null)."""

    values: NDArray[Any]
    valid: Bool

    def to_arrow(self, type_: Type) -> pa.Array:
        mask = ~self.valid
        if type_ is Type.DATE:
            days = np.where(self.valid, self.values, 0).astype(np.int32)
            return pa.array(days, mask=mask).view(pa.date32())
        if type_ is Type.TEXT:
            return pa.array(self.values, type=pa.string(), mask=mask)
        if type_ is Type.BOOL:
            return pa.array(self.values.astype(bool), mask=mask)
        if type_ in (Type.NULL, Type.ANY) and not self.valid.any():
            return pa.nulls(len(self.valid))
        return pa.array(self.values.astype(np.float64), mask=mask)


def column_from_arrow(array: pa.Array | pa.ChunkedArray) -> tuple[Column, Type]:
    """An Arrow column as a :class:`Column` and its language type."""
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    if pa.types.is_dictionary(array.type):
        array = array.cast(array.type.value_type)
    valid = np.asarray(array.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    t = array.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        values = np.asarray(array.fill_null("").to_numpy(zero_copy_only=False), dtype=object)
        return Column(values, valid), Type.TEXT
    if pa.types.is_boolean(t):
        return Column(np.asarray(array.fill_null(False).to_numpy(zero_copy_only=False)), valid), (
            Type.BOOL
        )
    if pa.types.is_date(t):
        days = array.cast(pa.date32()).cast(pa.int32()).fill_null(0)
        return Column(days.to_numpy(zero_copy_only=False).astype(np.int64), valid), Type.DATE
    if pa.types.is_null(t):
        return Column(np.zeros(len(array)), valid), Type.NULL
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        numbers = pc.cast(array, pa.float64()).fill_null(0.0)
        values = np.asarray(numbers.to_numpy(zero_copy_only=False), dtype=np.float64)
        nan = np.isnan(values)
        if nan.any():  # NaN is not a number the language knows: it is null
            valid = valid & ~nan
            values = np.where(nan, 0.0, values)
        return Column(values, valid), Type.NUMBER
    raise TypeError(f"a column of type {t} cannot be read by an expression")


def arrow_type(t: pa.DataType) -> Type | None:
    """The language type of an Arrow type, or None when the language cannot read it."""
    if pa.types.is_dictionary(t):
        t = t.value_type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return Type.TEXT
    if pa.types.is_boolean(t):
        return Type.BOOL
    if pa.types.is_date(t):
        return Type.DATE
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return Type.NUMBER
    if pa.types.is_null(t):
        return Type.NULL
    return None


def _full(value: Any, n: int, dtype: Any) -> NDArray[Any]:
    out = np.empty(n, dtype=dtype)
    out[...] = value
    return out


class _Evaluator:
    def __init__(self, expression: Expression, columns: Mapping[str, Column], n: int) -> None:
        self.expression = expression
        self.columns = columns
        self.n = n
        self.true = np.ones(n, dtype=bool)

    def literal(self, node: Literal) -> Column:
        n = self.n
        if node.value is None:
            return Column(np.zeros(n), np.zeros(n, dtype=bool))
        if node.type is Type.DATE:
            assert isinstance(node.value, date)
            return Column(_full((node.value - _EPOCH).days, n, np.int64), self.true)
        if node.type is Type.TEXT:
            return Column(_full(node.value, n, object), self.true)
        if node.type is Type.BOOL:
            return Column(_full(node.value, n, bool), self.true)
        return Column(_full(node.value, n, np.float64), self.true)

    def eval(self, node: Node) -> Column:
        match node:
            case Literal():
                return self.literal(node)
            case Field(name=name):
                return self.columns[name]
            case Unary(op="-", operand=o):
                c = self.eval(o)
                return Column(-c.values.astype(np.float64), c.valid)
            case Unary(op="not", operand=o):
                c = self.eval(o)
                return Column(~c.values.astype(bool), c.valid)
            case Binary(op="and", left=a, right=b):
                x, y = self.eval(a), self.eval(b)
                xf = x.valid & ~x.values.astype(bool)
                yf = y.valid & ~y.values.astype(bool)
                false = xf | yf
                valid = false | (x.valid & y.valid)
                return Column(~false & valid, valid)
            case Binary(op="or", left=a, right=b):
                x, y = self.eval(a), self.eval(b)
                xt = x.valid & x.values.astype(bool)
                yt = y.valid & y.values.astype(bool)
                true = xt | yt
                valid = true | (x.valid & y.valid)
                return Column(true, valid)
            case Binary(op=op, left=a, right=b) if op in {"+", "-", "*", "/"}:
                return self.arith(node, self.eval(a), self.eval(b))
            case Binary(op=op, left=a, right=b):
                x, y = self.eval(a), self.eval(b)
                return Column(
                    _compare(op, x.values, y.values, x.valid & y.valid), x.valid & y.valid
                )
            case InList(operand=o, items=items, negated=negated):
                return self.in_list(self.eval(o), [self.eval(i) for i in items], negated)
            case IsNull(operand=o, negated=negated):
                c = self.eval(o)
                return Column(c.valid.copy() if negated else ~c.valid, self.true)
            case Call(name=name, args=args):
                return self.call(name, [self.eval(a) for a in args])
        raise AssertionError(node)  # pragma: no cover

    def arith(self, node: Binary, x: Column, y: Column) -> Column:
        valid = x.valid & y.valid
        if self.expression.type_of(node) is Type.DATE:  # date +/- days
            days = np.trunc(np.where(valid, y.values.astype(np.float64), 0.0)).astype(np.int64)
            shifted = x.values.astype(np.int64) + (days if node.op == "+" else -days)
            return Column(shifted, valid)
        a = x.values.astype(np.float64)
        b = y.values.astype(np.float64)
        with np.errstate(all="ignore"):
            if node.op == "+":
                out = a + b
            elif node.op == "-":
                out = a - b
            elif node.op == "*":
                out = a * b
            else:
                valid = valid & (b != 0)
                out = np.where(b != 0, a / np.where(b != 0, b, 1.0), 0.0)
        return Column(out, valid)

    def in_list(self, x: Column, items: list[Column], negated: bool) -> Column:
        hit = np.zeros(self.n, dtype=bool)
        any_null = ~x.valid
        for item in items:
            both = x.valid & item.valid
            hit |= both & _compare("=", x.values, item.values, both)
            any_null = any_null | ~item.valid
        valid = hit | ~any_null
        return Column(~hit & valid if negated else hit, valid)

    def call(self, name: str, args: list[Column]) -> Column:
        n = self.n
        if name == "coalesce":
            values, valid = args[0].values.copy(), args[0].valid.copy()
            for arg in args[1:]:
                take = ~valid & arg.valid
                if values.dtype != arg.values.dtype:
                    values = values.astype(np.result_type(values.dtype, arg.values.dtype))
                values[take] = arg.values[take]
                valid |= arg.valid
            return Column(values, valid)
        nums = [np.where(a.valid, a.values.astype(np.float64), np.nan) for a in args]
        if name in {"min", "max"}:
            stack = np.vstack(nums)
            valid = ~np.isnan(stack).all(axis=0)
            with np.errstate(all="ignore"):
                filled = np.where(np.isnan(stack), np.inf if name == "min" else -np.inf, stack)
                out = filled.min(axis=0) if name == "min" else filled.max(axis=0)
            return Column(np.where(valid, out, 0.0), valid)
        if name == "clamp":
            low = self.call("max", [args[0], args[1]])
            return self.call("min", [low, args[2]])
        x, valid = np.nan_to_num(nums[0]), args[0].valid
        with np.errstate(all="ignore"):
            if name == "abs":
                return Column(np.abs(x), valid)
            if name == "ln":
                ok = valid & (x > 0)
                return Column(np.where(ok, np.log(np.where(ok, x, 1.0)), 0.0), ok)
            if name == "sqrt":
                ok = valid & (x >= 0)
                return Column(np.where(ok, np.sqrt(np.where(ok, x, 0.0)), 0.0), ok)
            if name == "round":
                return Column(np.sign(x) * np.floor(np.abs(x) + 0.5), valid)
        raise AssertionError((name, n))  # pragma: no cover


def _compare(op: str, a: NDArray[Any], b: NDArray[Any], valid: Bool) -> Bool:
    if (a.dtype == object or b.dtype == object) and len(valid) and not valid.all():
        out = np.zeros(len(valid), dtype=bool)
        idx = np.flatnonzero(valid)
        if idx.size:
            sub_a, sub_b = a[idx].astype(object), b[idx].astype(object)
            out[idx] = _compare(op, sub_a, sub_b, valid[idx]).astype(bool)
        return out
    if op == "=":
        return np.asarray(a == b)
    if op == "!=":
        return np.asarray(a != b)
    if op == "<":
        return np.asarray(a < b)
    if op == "<=":
        return np.asarray(a <= b)
    if op == ">":
        return np.asarray(a > b)
    return np.asarray(a >= b)


def columns_of(table: pa.Table, names: set[str]) -> dict[str, Column]:
    """The named columns of ``table`` as :class:`Column` values."""
    return {name: column_from_arrow(table.column(name))[0] for name in names}


def evaluate(
    expression: Expression,
    table: pa.Table | None = None,
    *,
    columns: Mapping[str, Column] | None = None,
    rows: int | None = None,
) -> Column:
    """The value of ``expression`` on every row of ``table`` (or of ready ``columns``)."""
    from outsidein.expr.nodes import fields

    if columns is None:
        assert table is not None
        columns = columns_of(table, fields(expression.tree))
    n = rows if rows is not None else (table.num_rows if table is not None else 0)
    return _Evaluator(expression, columns, n).eval(expression.tree)


def evaluate_arrow(expression: Expression, table: pa.Table) -> pa.Array:
    """:func:`evaluate` as an Arrow array of the expression's type."""
    return evaluate(expression, table).to_arrow(expression.type)


__all__ = ["Column", "arrow_type", "column_from_arrow", "columns_of", "evaluate", "evaluate_arrow"]
