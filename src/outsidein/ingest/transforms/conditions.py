"""The small condition language of ``--where`` and ``--derive``: parsed into data, never SQL.

A condition compares a file column (left) with a literal (right)::

    status != cancelled and (plan = 'Pro' or seats >= 10)
    end_date < today
    email ends with '@example.com'
    canceled_on is not empty

A derivation picks a literal by the first condition that holds::

    churned if churned_flag = true; ended if end_date is not empty; else active

Columns are bare names or ``"double quoted"``; literals are bare words, numbers,
``'single quoted'`` (``''`` inside) or ``"double quoted"``, or ``today``. The parser yields a
tree (:data:`Condition`); :mod:`outsidein.ingest.transforms.compile` turns it into SQL whose
literals are bound parameters. The tree is the seam where a general expression language
(``outsidein.expr``) can replace this one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal as Lit

from outsidein.errors import ConfigError

__all__ = [
    "All",
    "Any_",
    "Compare",
    "Condition",
    "Derivation",
    "Empty",
    "InList",
    "Literal",
    "Not",
    "TextTest",
    "columns_of",
    "parse_condition",
    "parse_derivation",
]

OPERATORS = ("=", "!=", "<", "<=", ">", ">=")
_TOKEN = re.compile(
    r"""\s*(?:
        (?P<sq>'(?:[^']|'')*')
      | (?P<dq>"(?:[^"]|"")*")
      | (?P<op><=|>=|!=|<>|=|<|>)
      | (?P<punct>[(),;])
      | (?P<bare>[^\s(),;'"=<>!]+)
    )""",
    re.VERBOSE,
)
_NUMBER = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True)
class Literal:
    """A value as the user wrote it; ``kind`` says how it compares."""

    text: str
    kind: Lit["text", "number", "today"] = "text"


@dataclass(frozen=True)
class Compare:
    column: str
    op: str
    value: Literal


@dataclass(frozen=True)
class Empty:
    column: str
    negated: bool = False


@dataclass(frozen=True)
class TextTest:
    column: str
    test: Lit["contains", "starts_with", "ends_with"]
    value: Literal
    negated: bool = False


@dataclass(frozen=True)
class InList:
    column: str
    values: tuple[Literal, ...]
    negated: bool = False


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Any_:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Compare | Empty | TextTest | InList | All | Any_ | Not


@dataclass(frozen=True)
class Derivation:
    """``value if condition; ...; else otherwise``: the first case that holds wins."""

    cases: tuple[tuple[Literal, Condition], ...]
    otherwise: Literal | None


@dataclass(frozen=True)
class _Tok:
    kind: str  # sq, dq, op, punct, bare
    text: str

    @property
    def word(self) -> str:
        return self.text.lower() if self.kind == "bare" else ""


def _tokens(text: str, where: str) -> list[_Tok]:
    found: list[_Tok] = []
    pos = 0
    while pos < len(text):
        if not text[pos:].strip():
            break
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise ConfigError(f"{where}: cannot read {text[pos:].strip()[:30]!r}")
        kind = match.lastgroup or "bare"
        found.append(_Tok(kind, match.group(kind)))
        pos = match.end()
    return found


def _unquote(tok: _Tok) -> str:
    if tok.kind == "sq":
        return tok.text[1:-1].replace("''", "'")
    if tok.kind == "dq":
        return tok.text[1:-1].replace('""', '"')
    return tok.text


class _Parser:
    def __init__(self, text: str, where: str) -> None:
        self.toks = _tokens(text, where)
        self.pos = 0
        self.where = where

    def fail(self, expected: str) -> ConfigError:
        at = self.toks[self.pos].text if self.pos < len(self.toks) else "the end"
        return ConfigError(f"{self.where}: expected {expected} at {at!r}")

    def peek(self, offset: int = 0) -> _Tok | None:
        i = self.pos + offset
        return self.toks[i] if i < len(self.toks) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.fail("more")
        self.pos += 1
        return tok

    def accept(self, word: str) -> bool:
        tok = self.peek()
        if tok is not None and (tok.word == word or (tok.kind == "punct" and tok.text == word)):
            self.pos += 1
            return True
        return False

    def expect(self, word: str) -> None:
        if not self.accept(word):
            raise self.fail(repr(word))

    def condition(self) -> Condition:
        parts = [self.conjunction()]
        while self.accept("or"):
            parts.append(self.conjunction())
        return parts[0] if len(parts) == 1 else Any_(tuple(parts))

    def conjunction(self) -> Condition:
        parts = [self.unary()]
        while self.accept("and"):
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def unary(self) -> Condition:
        if self.accept("not"):
            return Not(self.unary())
        if self.accept("("):
            inner = self.condition()
            self.expect(")")
            return inner
        return self.comparison()

    def column(self) -> str:
        tok = self.peek()
        if tok is None or tok.kind not in ("bare", "dq") or tok.word in _RESERVED:
            raise self.fail('a column name (quote names with spaces: "Plan Tier")')
        self.pos += 1
        return _unquote(tok)

    def literal(self) -> Literal:
        tok = self.peek()
        if tok is None or tok.kind not in ("bare", "sq", "dq") or tok.word in _RESERVED:
            raise self.fail("a value (quote values with spaces: 'Acme Inc')")
        self.pos += 1
        if tok.kind == "bare" and tok.word == "today":
            return Literal("today", "today")
        if tok.kind == "bare" and _NUMBER.fullmatch(tok.text):
            return Literal(tok.text, "number")
        return Literal(_unquote(tok))

    def comparison(self) -> Condition:
        column = self.column()
        tok = self.peek()
        if tok is not None and tok.kind == "op":
            self.pos += 1
            op = "!=" if tok.text == "<>" else tok.text
            return Compare(column, op, self.literal())
        if self.accept("is"):
            negated = self.accept("not")
            self.expect("empty")
            return Empty(column, negated)
        negated = self.accept("not")
        if self.accept("contains"):
            return TextTest(column, "contains", self.literal(), negated)
        for word in ("starts", "ends"):
            if self.accept(word):
                self.expect("with")
                test: Lit["starts_with", "ends_with"] = (
                    "starts_with" if word == "starts" else "ends_with"
                )
                return TextTest(column, test, self.literal(), negated)
        if self.accept("in"):
            self.expect("(")
            values = [self.literal()]
            while self.accept(","):
                values.append(self.literal())
            self.expect(")")
            return InList(column, tuple(values), negated)
        raise self.fail(
            "an operator (=, !=, <, <=, >, >=, is [not] empty, [not] contains, "
            "[not] starts with, [not] ends with, [not] in (...))"
        )

    def done(self) -> None:
        if self.pos != len(self.toks):
            raise self.fail("the end (join conditions with and/or)")


_RESERVED = {"and", "or", "not", "is", "if", "else"}


def parse_condition(text: str, where: str) -> Condition:
    """Parse a condition; ``where`` names the option in errors (``--where 'x'``)."""
    parser = _Parser(text, where)
    if not parser.toks:
        raise ConfigError(f"{where}: the condition is empty")
    condition = parser.condition()
    parser.done()
    return condition


def parse_derivation(text: str, where: str) -> Derivation:
    """Parse ``VALUE if COND; ...; else VALUE`` (``else`` optional: no match gives empty)."""
    parser = _Parser(text, where)
    cases: list[tuple[Literal, Condition]] = []
    otherwise: Literal | None = None
    while parser.peek() is not None:
        if parser.accept("else"):
            otherwise = parser.literal()
            parser.accept(";")
            parser.done()
            break
        value = parser.literal()
        parser.expect("if")
        cases.append((value, parser.condition()))
        if parser.peek() is not None:
            parser.expect(";")
    if not cases and otherwise is None:
        raise ConfigError(f"{where}: expected 'VALUE if CONDITION; ...; else VALUE'")
    return Derivation(tuple(cases), otherwise)


def columns_of(condition: Condition) -> list[str]:
    """The file columns a condition reads, in order."""
    if isinstance(condition, All | Any_):
        return [c for part in condition.parts for c in columns_of(part)]
    if isinstance(condition, Not):
        return columns_of(condition.part)
    return [condition.column]
