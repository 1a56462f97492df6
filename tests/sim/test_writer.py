"""The Parquet sink: canonical types, null sentinels, ids, time filter, bounded parts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from outsidein.sim.writer import TableSink


def test_parts_rows_groups_ids_and_time_filter(tmp_path: Path) -> None:
    sink = TableSink(
        tmp_path / "cases",
        "cases",
        id_prefix="C-",
        id_width=4,
        time_column="opened_at",
        end_us=1_000,
        row_group_rows=4,
        part_rows=10,
    )
    for start in range(0, 30, 6):
        opened = np.arange(start, start + 6, dtype=np.int64) * 50
        sink.write(
            {
                "account_id": np.array(["A"] * 6, dtype=object),
                "opened_at": opened,
                "closed_at": np.where(opened % 100 == 0, opened + 1, -1),
                "priority": np.array(["low"] * 6, dtype=object),
                "sla_hours": np.full(6, 72.0),
                "status": np.array(["open"] * 6, dtype=object),
            }
        )
    assert sink.close() == 20  # opened_at 0..950 kept, 1000.. dropped
    assert [p.name for p in sink.parts] == ["part-00000.parquet", "part-00001.parquet"]
    first = pq.ParquetFile(sink.parts[0])
    assert first.metadata.num_rows == 10
    assert max(first.metadata.row_group(i).num_rows for i in range(first.num_row_groups)) <= 4
    table = pq.read_table(sink.parts[0])
    assert table.column("case_id").to_pylist()[:2] == ["C-0001", "C-0002"]
    assert table.column("closed_at").null_count == 5
    assert str(table.schema.field("opened_at").type) == "timestamp[us]"


def test_empty_table_still_gets_a_file(tmp_path: Path) -> None:
    sink = TableSink(tmp_path / "jobs.parquet", "jobs")
    assert sink.close() == 0
    assert pq.read_table(tmp_path / "jobs.parquet").column_names == [
        "job_id",
        "name",
        "description",
    ]
