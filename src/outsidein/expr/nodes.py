"""The expression tree: what the parser builds, the checker types and the back ends compile.

Every node keeps ``pos``, the 0-based offset of its first character in the source text, so a
type error can point at the place it comes from, as a syntax error does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import Enum


class Type(Enum):
    """The value types of the language. ``ANY`` is a field whose type is not known yet (a custom
    field before the data is seen); ``NULL`` is the type of the literal ``null``."""

    NUMBER = "number"
    TEXT = "text"
    BOOL = "bool"
    DATE = "date"
    NULL = "null"
    ANY = "any"


Value = float | str | bool | date | None


@dataclass(frozen=True)
class Literal:
    value: Value
    type: Type
    pos: int


@dataclass(frozen=True)
class Field:
    name: str
    pos: int


@dataclass(frozen=True)
class Unary:
    op: str  # "-" or "not"
    operand: Node
    pos: int


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / = != < <= > >= and or
    left: Node
    right: Node
    pos: int


@dataclass(frozen=True)
class InList:
    operand: Node
    items: tuple[Node, ...]
    negated: bool
    pos: int


@dataclass(frozen=True)
class IsNull:
    operand: Node
    negated: bool
    pos: int


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    pos: int


Node = Literal | Field | Unary | Binary | InList | IsNull | Call


def fields(node: Node) -> set[str]:
    """Every field the expression reads."""
    match node:
        case Field(name=name):
            return {name}
        case Literal():
            return set()
        case Unary(operand=o) | IsNull(operand=o):
            return fields(o)
        case Binary(left=a, right=b):
            return fields(a) | fields(b)
        case InList(operand=o, items=items):
            return fields(o).union(*(fields(i) for i in items))
        case Call(args=args):
            return set().union(*(fields(a) for a in args))
    raise AssertionError(node)  # pragma: no cover


__all__ = [
    "Binary",
    "Call",
    "Field",
    "InList",
    "IsNull",
    "Literal",
    "Node",
    "Type",
    "Unary",
    "Value",
    "fields",
]
