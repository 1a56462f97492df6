"""A typed expression language, shared by health measures, segment filters and playbook triggers.

Text is parsed (:func:`parse`) into a tree, typed against a :class:`Catalogue` of fields
(:func:`compile_expression`), then either compiled to DuckDB SQL with bound parameters
(:mod:`outsidein.expr.sql`) or evaluated over columns with NumPy (:mod:`outsidein.expr.vector`).
This package's root imports only the stdlib, so settings can check expressions as leaf modules.
docs/health.md is the language reference.
"""

from outsidein.expr.check import (
    FUNCTIONS,
    Catalogue,
    Expression,
    check,
    compile_expression,
)
from outsidein.expr.errors import ExpressionError
from outsidein.expr.nodes import Node, Type, fields
from outsidein.expr.parser import parse, quote_text

__all__ = [
    "FUNCTIONS",
    "Catalogue",
    "Expression",
    "ExpressionError",
    "Node",
    "Type",
    "check",
    "compile_expression",
    "fields",
    "parse",
    "quote_text",
]
