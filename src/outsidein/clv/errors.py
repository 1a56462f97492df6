"""The errors the CLV models raise on purpose."""

from __future__ import annotations

from outsidein.errors import OutsideInError


class ClvError(OutsideInError):
    """Input a CLV model cannot use; the message names the field, the value and the fix."""

    code = "invalid_clv_input"
    http_status = 422
    exit_code = 2
