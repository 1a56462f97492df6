"""Load a whole company folder (as ``outsidein simulate`` writes it) in reference order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from outsidein.ingest.loader import LoadResult, load_file
from outsidein.precedence import PrecedenceConfig
from outsidein.settings.store import StoreConfig
from outsidein.store.tables import LOAD_ORDER

FILE_SUFFIXES = (".parquet", ".csv", ".jsonl")


def company_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """(kind, file) pairs found in ``folder``: ``KIND.ext`` files or a ``KIND/`` folder of parts."""
    for kind in LOAD_ORDER:
        for suffix in FILE_SUFFIXES:
            single = folder / f"{kind}{suffix}"
            if single.is_file():
                yield kind, single
        parts = folder / kind
        if parts.is_dir():
            for part in sorted(parts.iterdir()):
                if part.suffix in FILE_SUFFIXES:
                    yield kind, part


def load_directory(
    con: duckdb.DuckDBPyConnection,
    folder: Path,
    *,
    config: StoreConfig | None = None,
    precedence: PrecedenceConfig | None = None,
    on_file: Callable[[str, Path, int, int], None] | None = None,
) -> list[LoadResult]:
    """Load every file of a company folder; ``on_file(kind, path, index, total)`` reports."""
    files = list(company_files(folder))
    results = []
    for index, (kind, path) in enumerate(files):
        if on_file:
            on_file(kind, path, index, len(files))
        results.append(load_file(con, kind, path, config=config, precedence=precedence))
    return results
