"""Segments as the API takes and returns them (docs/segments.md#api)."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from outsidein.segments import FieldDef, Preview, Segment, SegmentSize
from outsidein.segments.language import MAX_FILTER_LENGTH
from outsidein.segments.saved import MAX_DESCRIPTION, MAX_NAME
from outsidein.web.schemas.types import Money, UtcDatetime


def exact(value: float) -> Decimal:
    """Money to the cent, as the API writes it."""
    return Decimal(str(value)).quantize(Decimal("0.01"), ROUND_HALF_UP)


class SegmentIn(BaseModel):
    """A new segment: its name, filter and (optional) id and description."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=MAX_NAME)
    expression: str = Field(min_length=1, max_length=MAX_FILTER_LENGTH,
                            description="A filter in the segment language")  # fmt: skip
    description: str = Field("", max_length=MAX_DESCRIPTION)
    segment_id: str | None = Field(
        None, pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$", description="Made from the name if not given"
    )


class SegmentUpdate(BaseModel):
    """What changes in a new version (what is left out is kept)."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(None, min_length=1, max_length=MAX_NAME)
    expression: str | None = Field(None, min_length=1, max_length=MAX_FILTER_LENGTH)
    description: str | None = Field(None, max_length=MAX_DESCRIPTION)


class SegmentOut(BaseModel):
    segment_id: str
    version: int = Field(description="Every save is a new version; this one is in force")
    name: str
    description: str
    expression: str
    author: str
    saved_at: UtcDatetime = Field(description="When this version was saved")
    accounts: int | None = Field(None, description="Members now (the caller's book)")
    arr: Money | None = Field(None, description="ARR of the members now, reporting currency")

    @classmethod
    def of(cls, s: Segment, size: SegmentSize | None = None) -> SegmentOut:
        return cls(
            segment_id=s.segment_id, version=s.version, name=s.name, description=s.description,
            expression=s.expression, author=s.author, saved_at=s.created_at,
            accounts=None if size is None else size.accounts,
            arr=None if size is None else exact(size.arr),
        )  # fmt: skip


class SegmentList(BaseModel):
    at: UtcDatetime
    segments: list[SegmentOut]


class FieldOut(BaseModel):
    name: str
    type: str
    description: str
    source: str
    history: bool = Field(description="False: today's value stands for every past day")

    @classmethod
    def of(cls, f: FieldDef) -> FieldOut:
        return cls(
            name=f.name, type=f.type.value, description=f.description, source=f.source,
            history=f.history,
        )  # fmt: skip


class FieldList(BaseModel):
    fields: list[FieldOut]


class PreviewOut(BaseModel):
    as_of: date
    expression: str
    accounts: int = Field(description="Accounts the filter holds for (the caller's book)")
    arr: Money
    fields: list[str] = Field(description="The fields the filter reads")
    rows: list[dict[str, Any]] = Field(description="The first members, by account id")

    @classmethod
    def of(cls, p: Preview) -> PreviewOut:
        return cls(
            as_of=p.as_of, expression=p.expression, accounts=p.count, arr=exact(p.arr),
            fields=p.fields, rows=p.rows,
        )  # fmt: skip


class MemberList(BaseModel):
    at: UtcDatetime
    segment_id: str
    total: int
    account_ids: list[str]


class ChangeOut(BaseModel):
    at: UtcDatetime
    account_id: str
    name: str | None
    csm_id: str | None
    change: str = Field(description="entered or left")


class ChangeList(BaseModel):
    segment_id: str
    since: UtcDatetime
    until: UtcDatetime
    entered: int
    left: int
    changes: list[ChangeOut]

    @classmethod
    def of(cls, segment_id: str, since: Any, until: Any, rows: list[dict[str, Any]]) -> ChangeList:
        return cls(
            segment_id=segment_id, since=since, until=until,
            entered=sum(r["change"] == "entered" for r in rows),
            left=sum(r["change"] == "left" for r in rows),
            changes=[ChangeOut(**r) for r in rows],
        )  # fmt: skip
