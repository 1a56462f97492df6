"""Custom fields as the API shows them: the fields, and one record's values."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

from outsidein.web.schemas.types import UtcDatetime


class CustomField(BaseModel):
    """A column of a loaded file with no canonical home, kept for its entity's records."""

    entity: str = Field(description="accounts, contacts, subscriptions or cases")
    name: str = Field(description="Filter the accounts list with custom.<name>=<value>.")
    type: str = Field(description="number, bool, date or text, inferred from the values")
    source_column: str | None = Field(description="The file's column it was read from.")
    records: int = Field(description="Records with a value.")
    load_id: str = Field(description="The load that last set it.")
    source: str = Field(description="The file of that load.")
    updated_at: UtcDatetime


class CustomFieldList(BaseModel):
    items: list[CustomField]


class CustomFieldValue(BaseModel):
    """One custom field of one record, typed, with the file its value came from."""

    name: str
    type: str
    value: float | bool | date | str
    source: str
    loaded_at: UtcDatetime
