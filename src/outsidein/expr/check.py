"""Typing an expression against a catalogue of fields: the language's static rules.

Every field must be in the catalogue (an unknown one gets a "did you mean" from difflib),
operators take the types they make sense for (numbers add, texts compare, dates subtract to
a number of days), and functions come from :data:`FUNCTIONS` only.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from outsidein.expr.errors import ExpressionError
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
from outsidein.expr.parser import parse

N, T, B, D = Type.NUMBER, Type.TEXT, Type.BOOL, Type.DATE

#: name -> (least arguments, most arguments or None, what each argument must be: "number" or
#: "same" (all arguments one type), and the result: a type, or "same").
FUNCTIONS: dict[str, tuple[int, int | None, str, str]] = {
    "coalesce": (1, None, "same", "same"),
    "min": (1, None, "number", "number"),
    "max": (1, None, "number", "number"),
    "abs": (1, 1, "number", "number"),
    "ln": (1, 1, "number", "number"),
    "sqrt": (1, 1, "number", "number"),
    "round": (1, 1, "number", "number"),
    "clamp": (3, 3, "number", "number"),
}

FUNCTION_HELP = {
    "coalesce": "the first argument that is not null",
    "min": "the smallest of its arguments, ignoring nulls",
    "max": "the largest of its arguments, ignoring nulls",
    "abs": "the absolute value",
    "ln": "the natural logarithm (null for 0 and below)",
    "sqrt": "the square root (null below 0)",
    "round": "rounded to the nearest whole number (halves away from zero)",
    "clamp": "clamp(x, low, high): x kept between low and high",
}


@dataclass(frozen=True)
class Catalogue:
    """The fields an expression may read and their types.

    ``custom_prefix`` fields (``custom.plan_tier``) not listed are accepted with type ANY when
    ``open_custom`` is set: a configuration is checked before the data that gives them a type
    is seen; the engine checks again against the data.
    """

    fields: Mapping[str, Type]
    open_custom: bool = False
    custom_prefix: str = "custom."
    extra_help: Mapping[str, str] = field(default_factory=dict)

    def type_of(self, name: str) -> Type | None:
        if name in self.fields:
            return self.fields[name]
        if self.open_custom and name.startswith(self.custom_prefix):
            return Type.ANY
        return None

    def with_fields(self, more: Mapping[str, Type]) -> Catalogue:
        return Catalogue({**self.fields, **more}, self.open_custom, self.custom_prefix)


def _fits(a: Type, b: Type) -> bool:
    return a is b or Type.ANY in (a, b) or Type.NULL in (a, b)


def _join(a: Type, b: Type) -> Type:
    if a in (Type.NULL, Type.ANY):
        return b
    return a


class _Checker:
    def __init__(self, text: str, catalogue: Catalogue) -> None:
        self.text = text
        self.catalogue = catalogue
        self.types: dict[int, Type] = {}

    def error(self, node: Node, problem: str, **kw: str | None) -> ExpressionError:
        return ExpressionError(self.text, node.pos, problem, **kw)

    def want(self, node: Node, wanted: Type, role: str) -> Type:
        got = self.type(node)
        if not _fits(got, wanted):
            raise self.error(node, f"{role} must be a {wanted.value}, not a {got.value}")
        return got

    def type(self, node: Node) -> Type:
        found = self.types[id(node)] = self._type(node)
        return found

    def _type(self, node: Node) -> Type:
        match node:
            case Literal(type=t):
                return t
            case Field(name=name):
                found = self.catalogue.type_of(name)
                if found is None:
                    close = difflib.get_close_matches(name, list(self.catalogue.fields), n=1)
                    raise self.error(
                        node,
                        f"unknown field `{name}`",
                        expected="a field of the catalogue",
                        found=name,
                        suggestion=f"`{close[0]}`" if close else None,
                    )
                return found
            case Unary(op="-", operand=o):
                self.want(o, N, "the operand of `-`")
                return N
            case Unary(op="not", operand=o):
                self.want(o, B, "the operand of `not`")
                return B
            case Binary(op="and" | "or", left=a, right=b):
                self.want(a, B, f"each side of `{node.op}`")
                self.want(b, B, f"each side of `{node.op}`")
                return B
            case Binary(op="+" | "-" | "*" | "/", left=a, right=b):
                return self.arith(node, a, b)
            case Binary(op=op, left=a, right=b):
                ta, tb = self.type(a), self.type(b)
                if Type.NULL in (ta, tb) and op in {"=", "!="}:
                    raise self.error(node, f"`{op} null` is never true: write `is null`")
                if not _fits(ta, tb):
                    raise self.error(
                        node, f"cannot compare a {ta.value} with a {tb.value} using `{op}`"
                    )
                if op not in {"=", "!="} and _join(ta, tb) is B:
                    raise self.error(node, f"`{op}` does not order true and false")
                return B
            case InList(operand=o, items=items):
                t = self.type(o)
                for item in items:
                    ti = self.type(item)
                    if not _fits(t, ti):
                        raise self.error(
                            item, f"the list holds a {ti.value}, the value is a {t.value}"
                        )
                    t = _join(t, ti)
                return B
            case IsNull(operand=o):
                self.type(o)
                return B
            case Call():
                return self.call(node)
        raise AssertionError(node)  # pragma: no cover

    def arith(self, node: Binary, a: Node, b: Node) -> Type:
        ta, tb = self.type(a), self.type(b)
        if node.op in {"+", "-"} and _join(ta, tb) is D:
            if node.op == "-" and _fits(ta, D) and _fits(tb, D) and D in (ta, tb) and ta is tb:
                return N  # date - date: days between
            if _fits(ta, D) and _fits(tb, N):
                return D  # date +/- days
        for side, t in ((a, ta), (b, tb)):
            if not _fits(t, N):
                raise self.error(
                    side, f"`{node.op}` takes numbers (or dates and days), not a {t.value}"
                )
        return N

    def call(self, node: Call) -> Type:
        spec = FUNCTIONS.get(node.name)
        if spec is None:
            close = difflib.get_close_matches(node.name, list(FUNCTIONS), n=1)
            raise self.error(
                node,
                f"unknown function `{node.name}`; the functions are "
                + ", ".join(sorted(FUNCTIONS)),
                expected="a function of the list",
                found=node.name,
                suggestion=f"`{close[0]}`" if close else None,
            )
        least, most, args, result = spec
        count = len(node.args)
        if count < least or (most is not None and count > most):
            wanted = str(least) if least == most else f"at least {least}"
            raise self.error(node, f"`{node.name}` takes {wanted} argument(s), not {count}")
        if args == "number":
            for arg in node.args:
                self.want(arg, N, f"each argument of `{node.name}`")
            return N
        t = Type.NULL
        for arg in node.args:
            ta = self.type(arg)
            if not _fits(t, ta):
                raise self.error(arg, f"`{node.name}` mixes a {t.value} and a {ta.value}")
            t = _join(t, ta)
        return t if result == "same" else Type(result)


def check(node: Node, catalogue: Catalogue, text: str = "") -> Type:
    """The type of ``node``; raises :class:`ExpressionError` on the first problem."""
    return _Checker(text, catalogue).type(node)


@dataclass(frozen=True)
class Expression:
    """A parsed and typed expression: what the back ends take (``types``: by node identity)."""

    text: str
    tree: Node
    type: Type
    types: Mapping[int, Type] = field(default_factory=dict, repr=False, compare=False)

    def type_of(self, node: Node) -> Type:
        return self.types[id(node)]


def compile_expression(text: str, catalogue: Catalogue, want: Type | None = None) -> Expression:
    """Parse and type ``text``; with ``want``, the whole expression must be of that type."""
    tree = parse(text)
    checker = _Checker(text, catalogue)
    got = checker.type(tree)
    if want is not None and not _fits(got, want):
        raise ExpressionError(
            text, 0, f"the expression must give a {want.value}, and this one gives a {got.value}"
        )
    return Expression(text, tree, got, checker.types)


__all__ = ["FUNCTIONS", "FUNCTION_HELP", "Catalogue", "Expression", "check", "compile_expression"]
