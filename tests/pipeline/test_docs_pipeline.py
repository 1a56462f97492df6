"""docs/pipeline.md names every step the server registers and every status field."""

from __future__ import annotations

from pathlib import Path

from outsidein.analytics import AnalyticsConfig, SnapshotRefresher
from outsidein.config import OutsideInConfig
from outsidein.health.service import health_step
from outsidein.ingest.segment.apply import Applier
from outsidein.ingest.segment.writer import Backlog
from outsidein.playbooks import PlaybookStep
from outsidein.predict.step import predict_step
from outsidein.segments import SegmentStep
from outsidein.store import connect
from outsidein.store.last_seen import last_seen_step
from outsidein.web.schemas.status import StepOut

DOC = (Path(__file__).resolve().parents[2] / "docs" / "pipeline.md").read_text(encoding="utf-8")


def test_every_step_and_its_tables_are_documented(tmp_path: Path) -> None:
    con = connect(tmp_path / "s.duckdb")
    refresher = SnapshotRefresher(con.cursor, AnalyticsConfig)
    steps = [
        Applier(Backlog(), interval=2, max_messages=10).step(),
        last_seen_step(),
        refresher.step(30),
        health_step(OutsideInConfig).step(),
        SegmentStep().step(),
        PlaybookStep(OutsideInConfig).step(),
        predict_step(),
    ]
    con.close()
    for step in steps:
        (row,) = [line for line in DOC.splitlines() if line.startswith(f"| `{step.name}` |")]
        reads, writes = row.split(" | ")[1:3]
        assert reads == ", ".join(f"`{t}`" for t in step.inputs), (step.name, reads)
        assert writes == ", ".join(f"`{t}`" for t in step.outputs), (step.name, writes)


def test_every_status_field_is_documented() -> None:
    table = DOC.split("## What the status shows", 1)[1]
    for name in StepOut.model_fields:
        assert f"`{name}`" in table, name
