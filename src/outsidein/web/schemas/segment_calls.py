"""Segment's call types (the Segment Spec) as the OpenAPI document describes ``/v1/*`` bodies.

Documentation only: the handlers never validate with these models. The write path parses
and checks each message itself (``outsidein.ingest.segment.messages``), faster and with
messages naming the field, so a rule here must say exactly what that check accepts: ids are
strings (at most 1,024 characters) or numbers, empty meaning missing; objects may be null;
any other field is allowed and ignored. Rules no schema can state (a timestamp more than
``store.future_tolerance_hours`` ahead after clock-skew correction, 32 KB per event) are in
the descriptions, and refused with 400 or 413 like every rejected event.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_ID = 1024  # outsidein.ingest.segment.messages.MAX_ID_CHARS

Id = Annotated[str, Field(max_length=MAX_ID)] | float | None
GivenId = Annotated[str, Field(min_length=1, max_length=MAX_ID)] | float
Timestamp = Annotated[
    Annotated[str, Field(json_schema_extra={"format": "date-time"})] | None,
    Field(description="ISO 8601; without an offset it is UTC"),
]
JsonObject = dict[str, Any] | None


def _who(schema: dict[str, Any]) -> None:
    """userId or anonymousId, not empty: what every call but alias needs."""
    given = {"anyOf": [{"type": "string", "minLength": 1, "maxLength": MAX_ID}, {"type": "number"}]}
    schema["anyOf"] = [
        {"required": [name], "properties": {name: given}} for name in ("userId", "anonymousId")
    ]


class SegmentContext(BaseModel):
    """The call's context; ``groupId`` attributes the call to an account."""

    model_config = ConfigDict(extra="allow", title="SegmentContext")

    groupId: Id = Field(None, description="The account the user acts for")


class _Common(BaseModel):
    """Fields every call may carry (Segment Spec: common fields)."""

    model_config = ConfigDict(extra="allow", json_schema_extra=_who)

    messageId: Id = Field(None, description="Deduplicates retries; generated when missing")
    userId: Id = None
    anonymousId: Id = None
    context: SegmentContext | None = None
    timestamp: Timestamp = None
    originalTimestamp: Timestamp = None
    sentAt: Timestamp = None
    writeKey: Any = Field(None, description="A string: instead of HTTP Basic authentication")


class SegmentTrack(_Common):
    """A track call: an event the user did (``event``), with its ``properties``."""

    event: Annotated[
        str, Field(pattern=r"[^\s\x1c-\x1f]", description="The event's name, not blank")
    ]
    properties: JsonObject = None


class SegmentIdentify(_Common):
    """An identify call: who the user is (``traits``)."""

    traits: JsonObject = None


class SegmentGroup(_Common):
    """A group call: the user's account (``groupId``) and the account's ``traits``."""

    groupId: GivenId = Field(description="The account's id")
    traits: JsonObject = None


class SegmentPage(_Common):
    """A page view; stored as the event ``Viewed {name} Page`` (or ``Loaded a Page``)."""

    name: str | None = None
    category: str | None = None
    properties: JsonObject = None


class SegmentScreen(SegmentPage):
    """A screen view; stored as the event ``Viewed {name} Screen`` (or ``Loaded a Screen``)."""


class SegmentAlias(_Common):
    """An alias call: ``previousId`` is merged into ``userId``."""

    model_config = ConfigDict(extra="allow", json_schema_extra=None)

    previousId: GivenId = Field(description="The id being merged")
    userId: GivenId = Field(description="The id it is merged into")


class BatchTrack(SegmentTrack):
    type: Literal["track"]


class BatchIdentify(SegmentIdentify):
    type: Literal["identify"]


class BatchGroup(SegmentGroup):
    type: Literal["group"]


class BatchPage(SegmentPage):
    type: Literal["page"]


class BatchScreen(SegmentScreen):
    type: Literal["screen"]


class BatchAlias(SegmentAlias):
    type: Literal["alias"]


BatchMessage = Annotated[
    BatchTrack | BatchIdentify | BatchGroup | BatchPage | BatchScreen | BatchAlias,
    Field(discriminator="type"),
]


class SegmentBatch(BaseModel):
    """Up to 2,500 messages (500 KB), each with its ``type``; ``sentAt`` and ``context`` apply
    to the messages that have none of their own."""

    model_config = ConfigDict(extra="allow")

    batch: list[BatchMessage] = Field(min_length=1, max_length=2_500)
    sentAt: Timestamp = None
    context: Any = Field(None, description="Used when it is an object")
    writeKey: Any = Field(None, description="A string: instead of HTTP Basic authentication")


CALLS: dict[str | None, type[BaseModel]] = {
    "track": SegmentTrack,
    "identify": SegmentIdentify,
    "group": SegmentGroup,
    "page": SegmentPage,
    "screen": SegmentScreen,
    "alias": SegmentAlias,
    None: SegmentBatch,
}
"""The body model of each endpoint: ``/v1/{type}``, and None for ``/v1/batch``."""
