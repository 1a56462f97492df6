"""Segments: saved, versioned filters over everything the store knows, and who was in them when.

A filter is written in the shared expression language (:mod:`outsidein.expr`) over the fields
of registered sources (:mod:`.fields`; the built-in ones in :mod:`.sources`), compiled to one
parameterised DuckDB query (:mod:`.language`, :mod:`.evaluate`). Saved segments keep every
version (:mod:`.saved`); the pipeline step (:mod:`.step`) recomputes them all at once and
records membership as intervals (:mod:`.membership`). docs/segments.md is the guide.
"""

from __future__ import annotations

from outsidein.segments.evaluate import Preview, evaluate, gather, member_arr_by, preview
from outsidein.segments.fields import (
    Context,
    FieldDef,
    FieldSource,
    RegistryError,
    field_sources,
    register_source,
    unregister_source,
)
from outsidein.segments.language import SegmentCatalogue, catalogue, compile_filter, filter_sql
from outsidein.segments.membership import (
    Refresh,
    SegmentSize,
    changes,
    export_members,
    member_rows,
    members_at,
    refresh_membership,
    sizes,
)
from outsidein.segments.saved import (
    Segment,
    SegmentExistsError,
    create_segment,
    delete_segment,
    get_segment,
    list_segments,
    segment_versions,
    update_segment,
)
from outsidein.segments.step import SegmentStep

__all__ = [
    "Context",
    "FieldDef",
    "FieldSource",
    "Preview",
    "Refresh",
    "RegistryError",
    "Segment",
    "SegmentCatalogue",
    "SegmentExistsError",
    "SegmentSize",
    "SegmentStep",
    "catalogue",
    "changes",
    "compile_filter",
    "create_segment",
    "delete_segment",
    "evaluate",
    "export_members",
    "field_sources",
    "filter_sql",
    "gather",
    "get_segment",
    "list_segments",
    "member_arr_by",
    "member_rows",
    "members_at",
    "preview",
    "refresh_membership",
    "register_source",
    "segment_versions",
    "sizes",
    "unregister_source",
    "update_segment",
]
