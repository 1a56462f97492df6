"""Backup and restore on real stores, a real server and real processes (docs/operations.md).

- a backup taken directly and restored round-trips every table exactly (rows, checksums);
- a backup taken through the server while the Segment library sends events is consistent;
- a SIGKILL during a backup leaves the store intact and no file under the backup's name;
- a restore checks the snapshot and refuses a damaged one, and refuses while a server runs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import duckdb
import pytest
from segment.analytics.client import Client as SegmentClient

from outsidein.ingest import load_file
from outsidein.store import connect
from outsidein.store.backup import BackupError, partial_path, table_checksums, verify
from tests.ingest.helpers import write_csv
from tests.segment.conftest import SegmentServer


def _cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "400"},  # messages on one line
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    return done


def _figures(db: Path, *, without: tuple[str, ...] = ("audit_log",)) -> dict[str, Any]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        found = table_checksums(con, catalog)
    finally:
        con.close()
    return {name: value for name, value in found.items() if name not in without}


def _store(tmp_path: Path) -> Path:
    db = tmp_path / "data" / "store.duckdb"
    accounts = write_csv(
        tmp_path / "accounts.csv",
        ["account_id", "name", "created_at"],
        [[f"a{i}", f"Account {i}", "2024-01-01"] for i in range(50)],
    )
    con = connect(db)
    load_file(con, "accounts", accounts)
    con.close()
    _cli("keys", "create", "web", "--db", str(db))
    return db


def test_backup_and_restore_round_trip_exactly(tmp_path: Path) -> None:
    db = _store(tmp_path)
    before = _figures(db)
    backup = tmp_path / "backups" / "monday.duckdb"
    backup.parent.mkdir()
    said = _cli("backup", str(backup), "--db", str(db)).stdout
    assert "from the store directly" in said and "checked" in said
    assert verify(backup).tables.keys() >= before.keys()
    assert not partial_path(backup).exists()

    more = write_csv(
        tmp_path / "more.csv", ["account_id", "name", "created_at"], [["z9", "Later", "2024-02-01"]]
    )
    con = connect(db)
    load_file(con, "accounts", more)
    con.close()
    assert _figures(db) != before

    said = _cli("restore", str(backup), "--db", str(db)).stdout
    assert "restored" in said and "kept as" in said
    assert _figures(db) == before  # every table but the log: rows and checksums
    aside = list(db.parent.glob("store.duckdb.before-restore-*"))
    assert (
        len(aside) == 1
        and ("z9",)
        in duckdb.connect(str(aside[0])).execute("SELECT account_id FROM accounts").fetchall()
    )
    con = connect(db, read_only=True)
    actions = con.execute("SELECT action FROM audit_log ORDER BY seq").fetchall()
    con.close()
    # The backup was recorded after its snapshot was taken: the restored log ends in the restore.
    assert actions[-1] == ("restore",) and ("backup",) not in actions

    again = _cli("backup", str(backup), "--db", str(db), check=False)
    assert again.returncode == 2 and "exists already" in again.stderr


def test_restore_refuses_a_damaged_or_foreign_file(tmp_path: Path) -> None:
    db = _store(tmp_path)
    backup = tmp_path / "b.duckdb"
    _cli("backup", str(backup), "--db", str(db))
    con = duckdb.connect(str(backup))
    con.execute("DELETE FROM accounts WHERE account_id = 'a7'")
    con.close()
    before = _figures(db, without=())
    refused = _cli("restore", str(backup), "--db", str(db), check=False)
    assert refused.returncode == 2
    assert "table accounts has 49 rows" in refused.stderr and "manifest says 50" in refused.stderr
    assert _figures(db, without=()) == before  # nothing moved

    foreign = tmp_path / "foreign.duckdb"
    duckdb.connect(str(foreign)).execute("CREATE TABLE t AS SELECT 1 AS x").close()
    refused = _cli("restore", str(foreign), "--db", str(db), check=False)
    assert "not an Outside-In backup" in refused.stderr
    junk = tmp_path / "junk.duckdb"
    junk.write_bytes(b"not a database at all" * 100)
    refused = _cli("restore", str(junk), "--check", "--db", str(db), check=False)
    assert refused.returncode == 2 and "not a readable DuckDB file" in refused.stderr
    with pytest.raises(BackupError, match="no such file"):
        verify(tmp_path / "missing.duckdb")


def test_a_backup_through_the_server_while_events_arrive_is_consistent(tmp_path: Path) -> None:
    server = SegmentServer(tmp_path / "server").start()
    stop = threading.Event()
    sent = [0]
    errors: list[Any] = []

    def send() -> None:
        client = SegmentClient(
            server.key, host=server.url, on_error=lambda e, b: errors.append(e), max_retries=3
        )
        client.group("u0", "acct-1", {"name": "Acme"})
        while not stop.is_set():
            for _ in range(50):
                client.track("u0", "Clicked", {"n": sent[0]})
                sent[0] += 1
            client.flush()

    sender = threading.Thread(target=send)
    sender.start()
    try:
        time.sleep(1.0)
        backup = tmp_path / "live.duckdb"
        said = _cli("backup", str(backup), "--db", str(server.db)).stdout
        assert "through the running server" in said
        restore_again = _cli("restore", str(backup), "--db", str(server.db), check=False)
        assert restore_again.returncode == 3 and "stop it" in restore_again.stderr
    finally:
        stop.set()
        sender.join()
        server.stop()
    assert errors == [] and sent[0] > 0
    manifest = verify(backup)
    snap = duckdb.connect(str(backup), read_only=True)
    try:
        # One point in time: every stored event's id is in the dedupe set and vice versa.
        stored, pending, seen, inbox = snap.execute(
            "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM segment_pending), "
            "(SELECT count(*) FROM segment_seen), (SELECT count(*) FROM segment_inbox)"
        ).fetchall()[0]
    finally:
        snap.close()
    assert stored + pending == seen
    assert 0 < stored + inbox + pending <= sent[0] + 1
    assert manifest.tables["events"][0] == stored
    # The snapshot restores into a store the server opens.
    restored = tmp_path / "restored" / "store.duckdb"
    _cli("restore", str(backup), "--db", str(restored))
    assert _figures(restored) == {k: v for k, v in manifest.tables.items() if k != "audit_log"}
    # The server's folder for the snapshot is gone.
    assert not list(server.db.parent.glob(".outsidein-backup-*"))


def test_sigkill_during_a_backup_leaves_the_store_and_no_backup(tmp_path: Path) -> None:
    db = _store(tmp_path)
    con = connect(db)
    con.execute(
        "INSERT INTO events SELECT 'm' || i, 'a' || (i % 50), 'u' || (i % 997), 'Clicked', "
        "TIMESTAMP '2024-01-01' + INTERVAL (i % 100000) SECOND, "
        "json_object('i', i, 'pad', repeat('x', 40)), 'bulk', TIMESTAMP '2024-06-01' "
        "FROM range(3000000) t(i)"
    )
    con.close()
    before = _figures(db, without=())
    backup = tmp_path / "killed.duckdb"
    proc = subprocess.Popen(
        [sys.executable, "-m", "outsidein", "backup", str(backup), "--db", str(db)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while not partial_path(backup).exists():
        assert proc.poll() is None, "the backup finished before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.01)
    time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert not backup.exists()  # nothing under the backup's name
    assert _figures(db, without=()) == before  # the store is as it was
    # The next backup replaces the dead one's partial file and succeeds.
    _cli("backup", str(backup), "--db", str(db))
    assert verify(backup).tables["events"][0] == 3_000_000
