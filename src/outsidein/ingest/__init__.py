"""Getting data in: file loaders with validation and rejects (Segment API to come)."""

from outsidein.ingest.directory import company_files, load_directory
from outsidein.ingest.loader import LoadResult, RejectRow, load_file
from outsidein.ingest.mapping import parse_mapping

__all__ = [
    "LoadResult",
    "RejectRow",
    "company_files",
    "load_directory",
    "load_file",
    "parse_mapping",
]
