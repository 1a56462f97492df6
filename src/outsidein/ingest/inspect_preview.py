"""The first rejects a proposed mapping would leave, without touching the store.

The file is loaded with the proposal into a scratch in-memory store that holds copies of
the tables its references point to (accounts and external ids for a subscriptions file,
...), so the rejects are the ones a real load would leave, unknown accounts included. The
real store is only read.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from outsidein.errors import OutsideInError
from outsidein.ingest.formats import ReadOptions
from outsidein.ingest.loader import load_file
from outsidein.ingest.result import LoadResult
from outsidein.ingest.transforms.options import plain_maps
from outsidein.settings.load import LoadSpec
from outsidein.store.migrate import migrate
from outsidein.store.tables import TABLES

__all__ = ["Preview", "preview_load"]


class Preview:
    """What loading the file with a proposal would do: its result, or the refusal."""

    def __init__(self, result: LoadResult | None, error: str | None) -> None:
        self.result = result
        self.error = error


def _referenced(kind: str) -> list[str]:
    """The tables a load of ``kind`` checks references against, transitively."""
    seen: list[str] = []
    todo = [kind]
    while todo:
        table = TABLES[todo.pop()]
        for col in table.columns:
            if col.references:
                ref = col.references.split(".")[0]
                if ref not in seen and ref != table.name:
                    seen.append(ref)
                    todo.append(ref)
    return seen


def preview_load(
    store: duckdb.DuckDBPyConnection,
    kind: str,
    path: Path,
    spec: LoadSpec,
    options: ReadOptions,
    id_system: str | None = None,
) -> Preview:
    """Load ``path`` into a scratch copy of what it refers to; the store is only read."""
    scratch = duckdb.connect(":memory:")
    try:
        migrate(scratch)
        for name in [*_referenced(kind), "external_ids"]:
            rows = store.sql(f'SELECT * FROM "{name}"').to_arrow_table()
            scratch.register("_oi_copy", rows)
            scratch.execute(f'INSERT INTO "{name}" SELECT * FROM _oi_copy')
            scratch.unregister("_oi_copy")
        plain, rest = plain_maps(spec)
        try:
            result = load_file(
                scratch, kind, path, mapping=plain, id_system=id_system,
                transforms=rest, options=options,
            )  # fmt: skip
        except OutsideInError as exc:
            return Preview(None, exc.message)
        return Preview(result, None)
    finally:
        scratch.close()
