"""Check Segment messages one by one: each becomes an inbox row or a problem naming its field.

This is the only per-event Python on the write path, so it is written for speed: one pass
over each message's own dict, no exceptions for good messages, and nothing serialized but
the properties or traits that are stored. Rules follow the Segment Spec (common fields,
track, identify, group, page, screen, alias); the timestamp checks reuse the store's rule
for events: after clock-skew correction, a timestamp from ``store.earliest_event`` to
``store.future_tolerance_hours`` ahead of now.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import pydantic_core

from outsidein.ingest.segment.body import MAX_EVENT_BYTES
from outsidein.ingest.segment.timestamps import (
    corrected_timestamp,
    from_micros,
    parse_timestamp,
    to_micros,
)
from outsidein.settings.store import EARLIEST_EVENT

TYPES = ("track", "identify", "group", "page", "screen", "alias")
EVENT_TYPES = frozenset({"track", "page", "screen"})
MAX_ID_CHARS = 1024
SHOWN_VALUE_CHARS = 200

# (type, message_id, user_id, anonymous_id, previous_id, group_id, context_group_id, event,
#  timestamp in microseconds since 1970 UTC, payload JSON): the columns of segment_inbox
#  that vary per message.
Row = tuple[
    str,
    str,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    str | None,
    int,
    str | None,
]

__all__ = [
    "EVENT_TYPES",
    "TYPES",
    "CheckedMessages",
    "Problem",
    "Row",
    "check_messages",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why one message was rejected: where (index, field), what value, and why."""

    index: int | None
    field: str | None
    reason: str
    value: str | None = None
    type: str | None = None
    message_id: str | None = None
    message: Any = None

    def where(self) -> str:
        base = f"batch[{self.index}]" if self.index is not None else ""
        if self.field:
            return f"{base}.{self.field}" if base else self.field
        return base or "body"

    def describe(self) -> str:
        return f"{self.where()}: {self.reason}"

    def as_detail(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "field": self.field,
            "reason": self.reason,
            "value": self.value,
            "messageId": self.message_id,
        }


@dataclass
class CheckedMessages:
    """The good messages as inbox rows, and a problem for each bad one."""

    rows: list[Row] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


class _Invalid(Exception):
    """A message's first problem; internal to :func:`check_messages`."""

    def __init__(self, field: str | None, reason: str, value: Any = None) -> None:
        self.field, self.reason, self.value = field, reason, value


def _shown(value: Any) -> str | None:
    if value is None:
        return None
    text = value if isinstance(value, str) else pydantic_core.to_json(value).decode()
    return text[:SHOWN_VALUE_CHARS]


def _ident(msg: dict[str, Any], name: str) -> str | None:
    return _ident_value(msg.get(name), name)


def _ident_value(value: Any, name: str) -> str | None:
    """An id: strings as sent, numbers as text, empty as missing."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        if len(value) > MAX_ID_CHARS:
            raise _Invalid(name, f"is longer than {MAX_ID_CHARS} characters", value)
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    raise _Invalid(name, f"must be a string, got {type(value).__name__}", value)


def _object(msg: dict[str, Any], name: str) -> dict[str, Any] | None:
    value = msg.get(name)
    if value is None or isinstance(value, dict):
        return value
    raise _Invalid(name, f"must be a JSON object, got {type(value).__name__}", value)


def _time(value: Any, name: str) -> int:
    try:
        return parse_timestamp(value)
    except ValueError as exc:
        raise _Invalid(name, str(exc), value) from None


def _day(micros: int) -> str:
    """A day for a message, even one Python's dates cannot hold (year 7974 BC)."""
    try:
        return from_micros(micros).date().isoformat()
    except OverflowError:
        return "a day before year 1" if micros < 0 else "a day after year 9999"


def _span(micros: int) -> str:
    days = micros // (86_400 * 1_000_000)
    return f"{days / 365.25:,.0f} years" if days > 3 * 365 else f"{days:,} days"


def _text(msg: dict[str, Any], name: str) -> str | None:
    value = msg.get(name)
    if value is None or isinstance(value, str):
        return value
    raise _Invalid(name, f"must be a string, got {type(value).__name__}", value)


def _event_name(kind: str, name: str | None) -> str:
    """Page and screen calls as events, named the way Segment names them for event tools."""
    noun = "Page" if kind == "page" else "Screen"
    return f"Viewed {name} {noun}" if name else f"Loaded a {noun}"


class _Checker:
    """Checks the messages of one request against its shared facts (sentAt, receivedAt)."""

    def __init__(
        self,
        call_type: str | None,
        sent_at: int | None,
        received_at: int,
        bounds: tuple[int, int],
        batch_context: dict[str, Any] | None,
        check_sizes: bool,
        raw_sent_at: Any = None,
    ) -> None:
        self.call_type = call_type
        self.sent_at = sent_at
        self.raw_sent_at = raw_sent_at
        self.received_at = received_at
        self.earliest, self.future_cutoff = bounds
        self.batch_group = (batch_context or {}).get("groupId")
        self.check_sizes = check_sizes

    def row(self, msg: dict[str, Any]) -> Row:
        get = msg.get
        kind = self.call_type or get("type")
        if kind not in TYPES:
            raise _Invalid("type", f"must be one of {', '.join(TYPES)}", kind)
        if self.check_sizes:
            size = len(pydantic_core.to_json(msg))
            if size > MAX_EVENT_BYTES:
                raise _Invalid(None, "the event is over the 32 KB limit", f"{size:,} bytes")
        # Ids are nearly always short strings: test that inline, fall back for the rest.
        message_id = get("messageId")
        if message_id.__class__ is not str or not 0 < len(message_id) <= MAX_ID_CHARS:
            message_id = _ident_value(message_id, "messageId") or str(uuid.uuid4())
        user_id = get("userId")
        if user_id.__class__ is not str or not 0 < len(user_id) <= MAX_ID_CHARS:
            user_id = _ident_value(user_id, "userId")
        anonymous_id = get("anonymousId")
        if anonymous_id is not None:
            anonymous_id = _ident_value(anonymous_id, "anonymousId")
        previous_id = group_id = event = None
        if kind == "alias":
            previous_id = _ident(msg, "previousId")
            if previous_id is None:
                raise _Invalid("previousId", "required for alias: the id being merged")
            if user_id is None:
                raise _Invalid("userId", "required for alias: the id it is merged into")
        elif user_id is None and anonymous_id is None:
            raise _Invalid("userId", "userId or anonymousId is required")
        context = get("context")
        if context is None:
            context_group = self.batch_group
        elif context.__class__ is dict:
            context_group = context.get("groupId", self.batch_group)
        else:
            raise _Invalid("context", f"must be a JSON object, got {type(context).__name__}")
        if context_group is not None:
            context_group = _ident_value(context_group, "context.groupId")
        payload_obj: dict[str, Any] | None = None
        if kind == "track":
            event = get("event")
            if event.__class__ is not str or not event.strip():
                raise _Invalid("event", "required for track: a non-empty event name", event)
            payload_obj = _object(msg, "properties")
        elif kind == "identify":
            payload_obj = _object(msg, "traits")
        elif kind == "group":
            group_id = _ident(msg, "groupId")
            if group_id is None:
                raise _Invalid("groupId", "required for group: the account's id")
            payload_obj = _object(msg, "traits")
        elif kind != "alias":  # page, screen
            name, category = _text(msg, "name"), _text(msg, "category")
            payload_obj = _object(msg, "properties")
            if name is not None or category is not None:
                payload_obj = dict(payload_obj or {})
                payload_obj.setdefault("name", name)
                if category is not None:
                    payload_obj.setdefault("category", category)
            event = _event_name(kind, name)
        time_field = "originalTimestamp"
        raw_time = get(time_field)
        if raw_time is None:
            time_field = "timestamp"
            raw_time = get(time_field)
        original = None if raw_time is None else _time(raw_time, time_field)
        raw_sent = get("sentAt")
        sent = self.sent_at if raw_sent is None else _time(raw_sent, "sentAt")
        timestamp = corrected_timestamp(original, sent, self.received_at)
        if not self.earliest <= timestamp <= self.future_cutoff:
            raw_sent = self.raw_sent_at if raw_sent is None else raw_sent
            raise self.out_of_range(timestamp, original, sent, time_field, raw_time, raw_sent)
        payload = None if payload_obj is None else pydantic_core.to_json(payload_obj).decode()
        return (
            kind,
            message_id,
            user_id,
            anonymous_id,
            previous_id,
            group_id,
            context_group,
            event,
            timestamp,
            payload,
        )

    def out_of_range(
        self,
        timestamp: int,
        original: int | None,
        sent: int | None,
        time_field: str,
        raw_time: Any,
        raw_sent: Any,
    ) -> _Invalid:
        """Why an event's time is refused, blaming ``sentAt`` when it alone moved it out."""
        allowed = (
            f"events are accepted from {_day(self.earliest)} to "
            f"{from_micros(self.future_cutoff):%Y-%m-%d %H:%M} UTC"
        )
        in_range = original is not None and self.earliest <= original <= self.future_cutoff
        if in_range and original is not None and sent is not None:
            skew = sent - original
            side = "after" if skew >= 0 else "before"
            return _Invalid(
                "sentAt",
                f"is {_span(abs(skew))} {side} the event's {time_field}: the clock-skew "
                f"correction would date the event {_day(timestamp)}; {allowed}",
                raw_sent,
            )
        if timestamp < self.earliest:
            return _Invalid(time_field, f"is before {_day(self.earliest)}: {allowed}", raw_time)
        return _Invalid(
            time_field, f"is in the future even after clock-skew correction: {allowed}", raw_time
        )

    def problem(self, msg: Any, index: int | None, exc: _Invalid) -> Problem:
        kind = msg.get("type", self.call_type) if isinstance(msg, dict) else self.call_type
        message_id = msg.get("messageId") if isinstance(msg, dict) else None
        return Problem(
            index,
            exc.field,
            exc.reason,
            _shown(exc.value),
            kind if isinstance(kind, str) else None,
            message_id if isinstance(message_id, str) else None,
            msg,
        )


def check_messages(
    messages: list[Any],
    *,
    call_type: str | None,
    sent_at: Any,
    received_at: datetime,
    future_tolerance: timedelta,
    earliest_event: date = EARLIEST_EVENT,
    batch_context: Any = None,
    indexed: bool = True,
    check_sizes: bool = True,
) -> CheckedMessages:
    """Check every message; a bad one never stops the good ones.

    ``call_type`` is the endpoint's type (``/v1/track``) or None for a batch, where each
    message names its own. ``sent_at`` is the request's ``sentAt``; an unparsable one makes
    every message's timestamp uncorrectable, so it rejects them all, naming ``sentAt``.
    ``check_sizes`` may be False when the whole body is within the per-event limit.
    Timestamps must lie from ``earliest_event`` to ``future_tolerance`` after ``received_at``.
    """
    result = CheckedMessages()
    try:
        sent = None if sent_at is None else parse_timestamp(sent_at)
    except ValueError as exc:
        reason = f"the request's sentAt {exc}"
        for index, msg in enumerate(messages):
            result.problems.append(
                Problem(index if indexed else None, "sentAt", reason, _shown(sent_at), message=msg)
            )
        return result
    received = to_micros(received_at)
    checker = _Checker(
        call_type,
        sent,
        received,
        (
            to_micros(datetime.combine(earliest_event, datetime.min.time())),
            received + future_tolerance // timedelta(microseconds=1),
        ),
        batch_context if isinstance(batch_context, dict) else None,
        check_sizes,
        sent_at,
    )
    rows, problems = result.rows, result.problems
    row = checker.row
    for index, msg in enumerate(messages):
        if not isinstance(msg, dict):
            problems.append(
                Problem(
                    index if indexed else None,
                    None,
                    f"each event must be a JSON object, got {type(msg).__name__}",
                    _shown(msg),
                    message=msg,
                )
            )
            continue
        try:
            rows.append(row(msg))
        except _Invalid as exc:
            problems.append(checker.problem(msg, index if indexed else None, exc))
    return result
