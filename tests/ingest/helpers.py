"""Small writers for test files of each format."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, records: Sequence[dict[str, Any] | str]) -> Path:
    with open(path, "w", encoding="utf-8") as handle:
        for record in records:
            handle.write(record if isinstance(record, str) else json.dumps(record))
            handle.write("\n")
    return path


def write_parquet(path: Path, records: Sequence[dict[str, Any]]) -> Path:
    pq.write_table(pa.Table.from_pylist(list(records)), path)
    return path


ACCOUNT_HEADER = ["account_id", "name", "industry", "region", "created_at"]
ACCOUNTS = [
    ["a1", "Acme Corp", "software", "emea", "2024-01-05"],
    ["a2", "Beta Retail", "retail", "amer", "2024-02-01T10:00:00Z"],
    ["a3", "Gamma Health", "healthcare", "apac", "2024-03-15 08:30:00"],
]
