"""The one error of the expression language: where, what was expected, what would fix it."""

from __future__ import annotations

from outsidein.errors import OutsideInError


class ExpressionError(OutsideInError):
    """An expression cannot be parsed or typed.

    ``details`` holds ``position`` (0-based offset in the text), ``expected`` (what would have
    been valid there, when known), ``found`` and, for an unknown field, ``suggestion``.
    """

    code = "invalid_expression"
    http_status = 422
    exit_code = 2

    def __init__(
        self,
        text: str,
        position: int,
        problem: str,
        *,
        expected: str | None = None,
        found: str | None = None,
        suggestion: str | None = None,
    ) -> None:
        message = f"column {position + 1}: {problem}"
        if suggestion:
            message += f" (did you mean {suggestion}?)"
        message += f"\n  {text}\n  {' ' * position}^"
        super().__init__(
            message,
            position=position,
            expected=expected,
            found=found,
            suggestion=suggestion,
            problem=problem,
        )
        self.position = position
        self.expected = expected
        self.found = found
        self.suggestion = suggestion
        self.problem = problem


__all__ = ["ExpressionError"]
