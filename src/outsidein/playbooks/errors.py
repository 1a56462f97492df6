"""Errors of playbooks and tasks (under the one base, :class:`outsidein.errors.OutsideInError`)."""

from __future__ import annotations

from outsidein.errors import OutsideInError

__all__ = ["PlaybookError"]


class PlaybookError(OutsideInError):
    """A playbook cannot be evaluated on the data as it is (a custom field of the wrong type)."""

    code = "playbook_error"
    http_status = 422
    exit_code = 2
