"""Long work through a real server: 202 with a job, its status, and a cancel within seconds.

The probe ``POST /api/v1/metrics/snapshot?as_of=6822-07-16`` once wrote 39 GB of temporary
files, ignored SIGTERM and left them behind; ``as_of=2100-01-01`` committed future rows.
Here a snapshot of a century of history (``snapshot_history_days = 36600``) for 100 accounts,
tens of seconds of work, is cancelled mid-run: it ends ``cancelled`` within seconds, writes
nothing, and leaves no temporary files, before or after the server stops.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from outsidein.store import connect
from outsidein.store.connection import temp_folder
from outsidein.web import create_app

from .conftest import LiveServer
from .jobs import finished

pytestmark = pytest.mark.timeout(180)


def century_store(folder: Path) -> Path:
    path = folder / "outsidein.duckdb"
    con = connect(path)
    con.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "SELECT 'A' || i, 'Account ' || i, TIMESTAMP '1930-01-01', 'test', now()::TIMESTAMP "
        "FROM range(100) r(i)"
    )
    con.execute(
        "INSERT INTO subscriptions (subscription_id, account_id, plan, mrr, currency, "
        "start_date, status, source, loaded_at) SELECT 'S' || i, 'A' || i, 'Growth', 100, "
        "'USD', DATE '1930-01-01', 'active', 'test', now()::TIMESTAMP FROM range(100) r(i)"
    )
    con.close()
    (folder / "outsidein.toml").write_text("[analytics]\nsnapshot_history_days = 36600\n")
    return path


def temp_bytes(store: Path) -> int:
    folder = temp_folder(store)
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) if folder.exists() else 0


def test_a_snapshot_job_cancelled_mid_run_stops_within_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = century_store(tmp_path)
    # A killed process's leftovers: the server removes them when it opens the store.
    temp_folder(store).mkdir()
    (temp_folder(store) / "duckdb_temp_storage_S32K-0.tmp").write_bytes(b"\0" * 1_000_000)
    monkeypatch.setenv("OUTSIDEIN_CONFIG", str(tmp_path / "outsidein.toml"))
    server = LiveServer(create_app(store, memory_limit="256MB")).start()
    try:
        # The killed process's leftover is gone (the background steps may spill their own).
        assert not (temp_folder(store) / "duckdb_temp_storage_S32K-0.tmp").exists()
        api = server.url + "/api/v1"
        http = server.http
        future = http.post(api + "/metrics/snapshot", params={"as_of": "6822-07-16"})
        assert future.status_code == 422 and "in the future" in future.json()["error"]["message"]
        server.settle()
        idle_bytes = temp_bytes(store)
        started = http.post(api + "/metrics/snapshot")
        assert started.status_code == 202, started.text
        job = started.json()
        assert job["status"] in ("queued", "running") and job["kind"] == "snapshot"
        while job["status"] == "queued":
            job = http.get(api + f"/jobs/{job['id']}").json()
        time.sleep(1.5)  # well into the century
        assert http.get(api + f"/jobs/{job['id']}").json()["status"] == "running"
        asked = time.monotonic()
        cancel = http.post(api + f"/jobs/{job['id']}/cancel")
        assert cancel.status_code == 200 and cancel.json()["id"] == job["id"]
        while (job := http.get(api + f"/jobs/{job['id']}").json())["status"] == "running":
            assert time.monotonic() - asked < 5, "the job did not stop within 5 s"
            time.sleep(0.05)
        assert (job["status"], job["result"]) == ("cancelled", None)
        assert time.monotonic() - asked < 5
        # What it spilled is released with it: once the background steps (which read this
        # century too, and may spill while they run) are idle again, the temp space held is
        # what they held idle before the job, within 1 MiB (a step that ran after the cancel
        # has been seen keeping ~200 KB of blocks; the job's own spill here is many MB).
        server.settle()
        released = time.monotonic() + 30  # DuckDB truncates freed temp blocks lazily
        while (left := temp_bytes(store) - idle_bytes) > 2**20 and time.monotonic() < released:
            time.sleep(0.5)
        assert left <= 2**20, f"the cancelled job left {left:,} bytes of spilled temp files"
        # Its writes were rolled back: no snapshot yet.
        trend = http.get(api + "/metrics/usage/trend")
        assert trend.status_code == 404 and trend.json()["error"]["code"] == "snapshot_missing"
        listed = http.get(api + "/jobs").json()
        assert [j["id"] for j in listed] == [job["id"]]
        missing = http.get(api + "/jobs/0123abcd")
        assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
        # A second run, far as_of refused, a near one done: no row after today.
        done = finished(http.post(api + "/metrics/snapshot", params={"as_of": "2000-01-01"}),
                        server.url, timeout=120, headers=server.auth)  # fmt: skip
        assert done["status"] == "done" and done["result"]["last_date"] == "2000-01-01"
        again = http.delete(api + f"/jobs/{done['id']}").json()
        assert again["status"] == "done"  # cancelling a finished job changes nothing
        gone = http.get(api + f"/jobs/{done['id']}")  # ... but DELETE forgets it
        assert gone.status_code == 404 and done["id"] not in http.get(api + "/jobs").text
    finally:
        server.stop()
    assert not temp_folder(store).exists()
    con = duckdb.connect(str(store), read_only=True)
    today = datetime.now(UTC).date()
    (future_rows,) = con.execute(
        "SELECT count(*) FROM account_daily_metrics WHERE date > ?", [today]
    ).fetchone() or (None,)
    con.close()
    assert future_rows == 0
