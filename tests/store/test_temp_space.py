"""DuckDB's temporary space: bounded, beside the store, and never left behind.

The probe ``as_of=6822-07-16`` once wrote 39 GB of temporary files that a restart kept.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from outsidein.store import connect
from outsidein.store.connection import close_store, temp_folder

SPILL = "SELECT count(*) FROM (SELECT md5(i::VARCHAR) h FROM range(20000000) r(i) ORDER BY h)"


def files_in(folder: Path) -> list[Path]:
    return sorted(f for f in folder.rglob("*") if f.is_file()) if folder.exists() else []


def test_leftovers_of_a_killed_process_are_removed_when_the_store_opens(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    # A real leftover: a process spilling to the store's folder, killed mid-query.
    script = (
        "import sys, duckdb\n"
        "from outsidein.store import connect\n"
        "con = connect(sys.argv[1], memory_limit='64MB')\n"
        "con.execute('SET threads = 1')\n"
        f"print('go', flush=True); con.execute({SPILL!r}).fetchall()\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(path)], stdout=subprocess.PIPE)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == b"go"
        folder = temp_folder(path)
        deadline = time.monotonic() + 60
        while proc.poll() is None and time.monotonic() < deadline:
            if sum(f.stat().st_size for f in files_in(folder)) > 20_000_000:
                break
            time.sleep(0.02)
        proc.kill()
    finally:
        proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    left = files_in(temp_folder(path))
    assert sum(f.stat().st_size for f in left) > 20_000_000, "the process did not spill"
    # A read-only opener's folder is a dead process's too once a writer holds the lock.
    (temp_folder(path) / "read-only-1").mkdir()
    (temp_folder(path) / "read-only-1" / "x.tmp").write_bytes(b"x" * 10)
    con = connect(path)
    assert files_in(temp_folder(path)) == []
    close_store(con)
    assert not temp_folder(path).exists()


def test_temporary_space_is_capped_and_freed(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    con = connect(path, memory_limit="64MB", temp_limit="16MB")
    assert con.execute("SELECT current_setting('temp_directory')").fetchall() == [
        (str(temp_folder(path)),)
    ]
    con.execute("SET threads = 1")
    with pytest.raises(duckdb.Error, match="max_temp_directory_size"):
        con.execute(SPILL).fetchall()
    assert sum(f.stat().st_size for f in files_in(temp_folder(path))) == 0
    close_store(con)
    assert not temp_folder(path).exists()


def test_read_only_openers_spill_into_their_own_folder(tmp_path: Path) -> None:
    path = tmp_path / "s.duckdb"
    connect(path).close()
    con = connect(path, read_only=True)
    (folder,) = con.execute("SELECT current_setting('temp_directory')").fetchone() or ()
    assert folder == str(temp_folder(path) / f"read-only-{os.getpid()}")
    con.close()
