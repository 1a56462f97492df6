"""Text to expression tree: a tokenizer and a recursive-descent parser (stdlib only).

Hand-written rather than generated so that every error names its column, the token that was
expected there in the user's words ("a value", "`)`") and what was found; and so that
``outsidein.settings`` can check expressions while staying a leaf module.

Grammar (lowest precedence first)::

    expr    := or
    or      := and ("or" and)*
    and     := not ("and" not)*
    not     := "not" not | compare
    compare := sum [("=" | "!=" | "<>" | "<" | "<=" | ">" | ">=") sum
                    | ["not"] "in" "(" expr ("," expr)* ")"
                    | "is" ["not"] "null"]
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/") unary)*
    unary   := "-" unary | atom
    atom    := NUMBER | STRING | "true" | "false" | "null" | "date" STRING
             | NAME "(" [expr ("," expr)*] ")" | NAME | "(" expr ")"
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import date

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

KEYWORDS = {"and", "or", "not", "in", "is", "null", "true", "false", "date"}
MAX_LENGTH = 10_000
MAX_DEPTH = 100

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<number>(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)
  | (?P<string>"(?:[^"]|"")*"|'(?:[^']|'')*')
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)
  | (?P<op><=|>=|!=|<>|[-+*/=<>(),])
    """,
    re.VERBOSE,
)


@dataclass(frozen=True)
class Token:
    kind: str  # number, string, name, keyword, op, end
    text: str
    pos: int

    def describe(self) -> str:
        if self.kind == "end":
            return "the end of the expression"
        return f"`{self.text}`"


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text``, ending with an ``end`` token."""
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            text[:60] + "...", 0, f"the expression is longer than {MAX_LENGTH} characters"
        )
    tokens: list[Token] = []
    pos = 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None:
            char = text[pos]
            problem = (
                "a text is not closed: end it with the quote it starts with"
                if char in "\"'"
                else f"unexpected character `{char}`"
            )
            raise ExpressionError(text, pos, problem, expected="a value or an operator", found=char)
        kind = match.lastgroup
        assert kind is not None
        if kind != "space":
            word = match.group()
            if kind == "name" and word.lower() in KEYWORDS:
                tokens.append(Token("keyword", word.lower(), pos))
            else:
                tokens.append(Token(kind, word, pos))
        pos = match.end()
    tokens.append(Token("end", "", len(text)))
    return tokens


def unquote(token: str) -> str:
    """The text a string literal stands for: the outer quotes removed, doubled quotes undone."""
    quote = token[0]
    return token[1:-1].replace(quote * 2, quote)


def quote_text(value: str) -> str:
    """A string literal that parses back to exactly ``value``."""
    return '"' + value.replace('"', '""') + '"'


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, expected: str, token: Token | None = None) -> ExpressionError:
        token = token or self.tok
        return ExpressionError(
            self.text,
            token.pos,
            f"expected {expected} but found {token.describe()}",
            expected=expected,
            found=token.text or None,
        )

    def accept(self, kind: str, text: str | None = None) -> Token | None:
        tok = self.tok
        if tok.kind == kind and (text is None or tok.text == text):
            self.i += 1
            return tok
        return None

    def expect(self, kind: str, text: str, expected: str | None = None) -> Token:
        tok = self.accept(kind, text)
        if tok is None:
            raise self.fail(expected or f"`{text}`")
        return tok

    def parse(self) -> Node:
        if self.tok.kind == "end":
            raise self.fail("an expression")
        node = self.expr()
        if self.tok.kind != "end":
            raise self.fail("an operator (`and`, `or`, `=`, `+`, ...) or the end")
        return node

    def expr(self) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError(self.text, self.tok.pos, f"nested deeper than {MAX_DEPTH}")
        try:
            return self.or_()
        finally:
            self.depth -= 1

    def or_(self) -> Node:
        node = self.and_()
        while tok := self.accept("keyword", "or"):
            node = Binary("or", node, self.and_(), tok.pos)
        return node

    def and_(self) -> Node:
        node = self.not_()
        while tok := self.accept("keyword", "and"):
            node = Binary("and", node, self.not_(), tok.pos)
        return node

    def not_(self) -> Node:
        if tok := self.accept("keyword", "not"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(self.text, tok.pos, f"nested deeper than {MAX_DEPTH}")
            try:
                return Unary("not", self.not_(), tok.pos)
            finally:
                self.depth -= 1
        return self.compare()

    def compare(self) -> Node:
        left = self.sum()
        tok = self.tok
        if tok.kind == "op" and tok.text in {"=", "!=", "<>", "<", "<=", ">", ">="}:
            self.i += 1
            op = "!=" if tok.text == "<>" else tok.text
            return Binary(op, left, self.sum(), tok.pos)
        if tok.kind == "keyword" and tok.text == "not":
            self.i += 1
            self.expect("keyword", "in", "`in` after `not` here")
            return self.in_list(left, True, tok.pos)
        if self.accept("keyword", "in"):
            return self.in_list(left, False, tok.pos)
        if self.accept("keyword", "is"):
            negated = self.accept("keyword", "not") is not None
            self.expect("keyword", "null", "`null` (as in `x is null` or `x is not null`)")
            return IsNull(left, negated, tok.pos)
        return left

    def in_list(self, operand: Node, negated: bool, pos: int) -> Node:
        self.expect("op", "(", "`(` starting the list of values")
        items = [self.expr()]
        while self.accept("op", ","):
            items.append(self.expr())
        self.expect("op", ")", "`,` or `)` closing the list")
        return InList(operand, tuple(items), negated, pos)

    def sum(self) -> Node:
        node = self.product()
        while self.tok.kind == "op" and self.tok.text in {"+", "-"}:
            tok = self.tok
            self.i += 1
            node = Binary(tok.text, node, self.product(), tok.pos)
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.text in {"*", "/"}:
            tok = self.tok
            self.i += 1
            node = Binary(tok.text, node, self.unary(), tok.pos)
        return node

    def unary(self) -> Node:
        if tok := self.accept("op", "-"):
            self.depth += 1
            if self.depth > MAX_DEPTH:
                raise ExpressionError(self.text, tok.pos, f"nested deeper than {MAX_DEPTH}")
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            if isinstance(operand, Literal) and operand.type is Type.NUMBER:
                assert isinstance(operand.value, float)
                return Literal(-operand.value, Type.NUMBER, tok.pos)
            return Unary("-", operand, tok.pos)
        return self.atom()

    def atom(self) -> Node:
        tok = self.tok
        if tok.kind == "number":
            self.i += 1
            value = float(tok.text)
            if not math.isfinite(value):
                raise ExpressionError(
                    self.text, tok.pos, f"{tok.text} is too large a number", found=tok.text
                )
            return Literal(value, Type.NUMBER, tok.pos)
        if tok.kind == "string":
            self.i += 1
            return Literal(unquote(tok.text), Type.TEXT, tok.pos)
        if tok.kind == "keyword" and tok.text in {"true", "false"}:
            self.i += 1
            return Literal(tok.text == "true", Type.BOOL, tok.pos)
        if tok.kind == "keyword" and tok.text == "null":
            self.i += 1
            return Literal(None, Type.NULL, tok.pos)
        if tok.kind == "keyword" and tok.text == "date":
            self.i += 1
            text = self.tok
            if text.kind != "string":
                raise self.fail("a date in quotes, as in `date '2025-01-31'`")
            self.i += 1
            try:
                return Literal(date.fromisoformat(unquote(text.text)), Type.DATE, tok.pos)
            except ValueError:
                raise ExpressionError(
                    self.text,
                    text.pos,
                    f"{text.text} is not a date: write it as 'YYYY-MM-DD'",
                    expected="a date 'YYYY-MM-DD'",
                    found=text.text,
                ) from None
        if tok.kind == "name":
            self.i += 1
            if self.accept("op", "("):
                args: list[Node] = []
                if not self.accept("op", ")"):
                    args.append(self.expr())
                    while self.accept("op", ","):
                        args.append(self.expr())
                    self.expect("op", ")", "`,` or `)` closing the arguments")
                return Call(tok.text.lower(), tuple(args), tok.pos)
            return Field(tok.text, tok.pos)
        if self.accept("op", "("):
            node = self.expr()
            self.expect("op", ")", "`)`")
            return node
        raise self.fail("a value (a number, a text in quotes, a field, `(`, ...)")


def _depth(node: Node) -> int:
    """How deep the tree is, without recursion (the checker and back ends do recurse)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        current, level = stack.pop()
        deepest = max(deepest, level)
        match current:
            case Unary(operand=o) | IsNull(operand=o):
                stack.append((o, level + 1))
            case Binary(left=a, right=b):
                stack.extend([(a, level + 1), (b, level + 1)])
            case InList(operand=o, items=items):
                stack.extend((c, level + 1) for c in (o, *items))
            case Call(args=args):
                stack.extend((c, level + 1) for c in args)
    return deepest


def parse(text: str) -> Node:
    """The expression tree of ``text``; raises :class:`ExpressionError` naming the column."""
    tree = _Parser(text).parse()
    if _depth(tree) > MAX_DEPTH:
        raise ExpressionError(
            text, 0, f"the expression is nested deeper than {MAX_DEPTH} levels: split it"
        )
    return tree


__all__ = ["KEYWORDS", "Token", "parse", "quote_text", "tokenize", "unquote"]
