"""Where a value came from, as the API shows it beside an account."""

from __future__ import annotations

from pydantic import BaseModel, Field

from outsidein.precedence import SourceKind
from outsidein.web.schemas.types import UtcDatetime


class FieldSource(BaseModel):
    """The source that set one field's current value, and when."""

    source: str = Field(description="A file's path, or segment:KEY_ID for the Segment API.")
    kind: SourceKind = Field(description="file or segment: what source precedence ranks.")
    label: str = Field(description="For people: the file's name, or the write key's name.")
    set_at: UtcDatetime = Field(description="The file's load time, or the Segment call's time.")
