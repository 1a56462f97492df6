"""A load killed with SIGKILL half-way leaves the store exactly as it was before.

The kills are timed from the load's first write, not from the command's start (the
interpreter's start-up alone is a third of the run): the test watches the store file and
starts its clock when the file grows, which happens only once the load is writing its rows
(DuckDB writes a large insert's row groups into the file before the commit). Every kill is
checked to come after that point.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pytest

from outsidein.ingest import load_file
from outsidein.store import connect
from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

ROWS = 1_500_000


def make_events(path: Path) -> None:
    rng = np.random.default_rng(3)
    ids = pa.array(np.arange(ROWS)).cast(pa.string())
    table = pa.table(
        {
            "message_id": pa.compute.binary_join_element_wise("m", ids, ""),
            "account_id": pa.array(np.array(["a1", "a2", "a3"])[rng.integers(0, 3, ROWS)]),
            "user_id": pa.array(rng.integers(0, 50, ROWS)).cast(pa.string()),
            "event": pa.array(np.array(["Login", "Report Created"])[rng.integers(0, 2, ROWS)]),
            "timestamp": pa.array(
                np.datetime64("2024-01-01")
                + rng.integers(0, 86400 * 300, ROWS).astype("timedelta64[s]")
            ),
        }
    )
    pacsv.write_csv(table, path)


def state(path: Path) -> tuple[object, ...]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return (
            con.execute("SELECT count(*), count(DISTINCT message_id) FROM events").fetchone(),
            con.execute("SELECT count(*) FROM load_log").fetchone(),
            con.execute("SELECT count(*) FROM rejects").fetchone(),
        )
    finally:
        con.close()


def run_load(db: Path, events: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "outsidein", "load", "events", str(events), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def first_write(proc: subprocess.Popen[bytes], db: Path, size: int) -> float:
    """When the store file first grew past ``size``: the load had begun writing rows."""
    deadline = time.monotonic() + 120
    while db.stat().st_size <= size:
        assert proc.poll() is None, "the load ended before it was seen writing"
        assert time.monotonic() < deadline, "the load never wrote"
        time.sleep(0.002)
    return time.perf_counter()


@pytest.mark.slow
def test_sigkill_mid_load_leaves_no_partial_load(tmp_path: Path) -> None:
    base = tmp_path / "base.duckdb"
    con = connect(base)
    load_file(con, "accounts", write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS))
    con.close()
    events = tmp_path / "events.csv"
    make_events(events)
    before = state(base)
    size = base.stat().st_size

    # A complete run, to learn how long the load writes before it is done.
    timed = tmp_path / "timed.duckdb"
    shutil.copy(base, timed)
    proc = run_load(timed, events)
    writing = first_write(proc, timed, size)
    assert proc.wait() == 0
    write_phase = time.perf_counter() - writing
    complete = state(timed)
    assert complete[0] == (ROWS, ROWS)

    killed_mid_load = 0
    for fraction in (0.05, 0.3, 0.6):
        db = tmp_path / f"kill-{fraction}.duckdb"
        shutil.copy(base, db)
        proc = run_load(db, events)
        writing = first_write(proc, db, size)  # a write had begun: the kill comes after it
        time.sleep(max(0.0, writing + write_phase * fraction - time.perf_counter()))
        proc.send_signal(signal.SIGKILL)
        code = proc.wait()
        after = state(db)
        assert after in (before, complete), f"partial load after kill at {fraction:.0%}"
        if code == -signal.SIGKILL and after == before:
            killed_mid_load += 1
        # The store still works: the same load now completes in full.
        assert run_load(db, events).wait() == 0
        assert state(db) == complete
    assert killed_mid_load >= 2, f"only {killed_mid_load} of 3 kills landed while it wrote"
