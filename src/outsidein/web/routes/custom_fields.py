"""``/api/v1/custom-fields``: what loaded files had with no canonical home, kept per record."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query

from outsidein.store.custom_fields import fields
from outsidein.web.deps import CursorDep
from outsidein.web.schemas.custom_fields import CustomField, CustomFieldList

router = APIRouter(prefix="/custom-fields", tags=["custom fields"])


@router.get("", response_model=CustomFieldList, summary="The custom fields loads have kept")
def custom_fields_list(
    cur: CursorDep,
    entity: Annotated[
        Literal["accounts", "contacts", "subscriptions", "cases"] | None,
        Query(description="Only this entity's fields"),
    ] = None,
) -> CustomFieldList:
    """Each field with its inferred type, how many records hold it and the load that set it;
    the accounts list filters by one with ``custom.<name>=<value>``."""
    return CustomFieldList(items=[CustomField.model_validate(f) for f in fields(cur, entity)])
