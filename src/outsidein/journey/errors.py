"""Errors of journey discovery and event-log reading."""

from __future__ import annotations

from outsidein.errors import OutsideInError


class EventLogError(OutsideInError):
    """An event log (a frame, a table or an XES file) cannot be read as cases of events."""

    code = "invalid_event_log"
    http_status = 422
    exit_code = 2
