"""Reference event logs (../shared/data/eventlogs, 4TU.ResearchData) read once per session."""

from __future__ import annotations

import os
from pathlib import Path

import pyarrow as pa
import pytest

from outsidein.journey import read_xes

REPO = Path(__file__).resolve().parents[2]
EVENTLOGS = Path(
    os.environ.get("OUTSIDEIN_EVENTLOGS", REPO.parent / "shared" / "data" / "eventlogs")
)


def eventlog_path(name: str) -> Path:
    path = EVENTLOGS / f"{name}.xes.gz"
    if not path.is_file():
        pytest.fail(f"reference log {path} missing: set OUTSIDEIN_EVENTLOGS to its folder")
    return path


@pytest.fixture(scope="session")
def helpdesk() -> pa.Table:
    return read_xes(eventlog_path("helpdesk"))


@pytest.fixture(scope="session")
def bpic2012() -> pa.Table:
    return read_xes(eventlog_path("bpic2012"))
