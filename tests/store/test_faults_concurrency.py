"""Faults and concurrency on a real ``outsidein serve`` (issue #13's acceptance).

Joins the fault tests that exist (tests/ingest/test_crash.py: SIGKILL mid file load;
tests/segment/test_durability.py: SIGKILL mid Segment stream; tests/store/test_backup.py:
SIGKILL mid backup) with the server's own write paths:

- 20 clients at once on every write path the server has: loads (uploads), write-key
  creation and revocation, users and their API tokens (tests/web/test_security.py adds
  a taken name answered 409), health overrides and configuration versions; nothing is
  lost, every change is in the audit log once;
- SIGKILL of the server mid load (upload) and mid job: the store opens, everything
  acknowledged is there, nothing half-done is.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from outsidein.store import connect
from outsidein.store.backup import table_checksums
from outsidein.store.owner import read_record
from tests.ingest.helpers import write_csv
from tests.segment.conftest import SegmentServer
from tests.web.conftest import seed_small

CLIENTS = 20
HEADER = ["account_id", "name", "created_at"]


def _upload(server: SegmentServer, path: Path, timeout: float = 120) -> httpx.Response:
    record = read_record(server.db)
    assert record is not None
    return httpx.post(
        f"{server.url}/api/v1/loads/accounts",
        params={"filename": path.name},
        content=path.read_bytes(),
        headers={"X-Outsidein-Token": record.token, "Content-Type": "application/octet-stream"},
        timeout=timeout,
    )


def test_twenty_clients_on_every_write_path_lose_nothing(tmp_path: Path) -> None:
    server = SegmentServer(tmp_path / "server").start()
    files = [
        write_csv(
            tmp_path / f"crm-{c}.csv",
            HEADER,
            [[f"c{c}-{i}", f"Client {c} account {i}", "2024-01-01"] for i in range(40)],
        )
        for c in range(CLIENTS)
    ]
    try:
        with ThreadPoolExecutor(CLIENTS) as pool:
            loads = list(pool.map(lambda f: _upload(server, f), files))
            created = list(
                pool.map(
                    lambda c: server.http.post(
                        f"{server.url}/api/v1/segment/keys", json={"name": f"k{c}"}, timeout=60
                    ),
                    range(CLIENTS),
                )
            )
            key_ids = [r.json()["key_id"] for r in created]
            revoked = list(
                pool.map(
                    lambda k: server.http.post(
                        f"{server.url}/api/v1/segment/keys/{k}/revoke", timeout=60
                    ),
                    key_ids,
                )
            )
            users = list(
                pool.map(
                    lambda c: server.http.post(
                        f"{server.url}/api/v1/users",
                        json={"username": f"u{c}", "role": "viewer", "password": f"pw-{c}-0123456"},
                        timeout=60,
                    ),
                    range(CLIENTS),
                )
            )
            tokens = list(
                pool.map(
                    lambda c: server.http.post(
                        f"{server.url}/api/v1/tokens",
                        json={"username": f"u{c}", "name": "t", "scope": "read"},
                        timeout=60,
                    ),
                    range(CLIENTS),
                )
            )
            # Health overrides, one per account, and configuration versions, one each.
            expires = (datetime.now(UTC) + timedelta(days=30)).isoformat()
            overrides = list(
                pool.map(
                    lambda c: server.http.post(
                        f"{server.url}/api/v1/health/accounts/c{c}-0/overrides",
                        json={"score": 10 + c, "reason": f"call {c}", "expires_at": expires},
                        timeout=60,
                    ),
                    range(CLIENTS),
                )
            )
            configs = list(
                pool.map(
                    lambda c: server.http.put(
                        f"{server.url}/api/v1/config",
                        json={"analytics": {"renewal_days": 30 + c}},
                        timeout=60,
                    ),
                    range(CLIENTS),
                )
            )
        # The write paths of the action capabilities: answers, notes, segments, tasks.
        answered = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
        with ThreadPoolExecutor(CLIENTS) as pool:
            answers = list(
                pool.map(
                    lambda c: server.http.post(
                        f"{server.url}/api/v1/survey-responses",
                        json={
                            "response_id": f"R-{c}",
                            "account_id": f"c{c}-1",
                            "survey": "NPS",
                            "kind": "nps",
                            "score": c % 11,
                            "answered_at": answered.isoformat(),
                        },
                        timeout=60,
                    ),
                    range(CLIENTS),
                )
            )
            notes = list(
                pool.map(
                    lambda c: server.http.post(
                        f"{server.url}/api/v1/accounts/c{c}-2/notes",
                        json={"kind": "call", "body": f"call {c}"},
                        timeout=60,
                    ),
                    range(CLIENTS),
                )
            )
            segments = list(pool.map(lambda c: server.http.post(
                f"{server.url}/api/v1/segments",
                json={"name": f"Segment {c}", "expression": f"employees > {c}"}, timeout=60),
                range(CLIENTS)))  # fmt: skip
        assert [r.status_code for r in answers] == [200] * CLIENTS, [r.text for r in answers]
        assert [r.status_code for r in notes] == [201] * CLIENTS, [r.text for r in notes]
        assert [r.status_code for r in segments] == [201] * CLIENTS, [r.text for r in segments]
        assert [r.status_code for r in overrides] == [201] * CLIENTS, [r.text for r in overrides]
        assert [r.status_code for r in configs] == [200] * CLIENTS, [r.text for r in configs]
        versions = sorted(r.json()["version"] for r in configs)
        assert len(set(versions)) == CLIENTS  # each PUT its own version, none overwritten
        assert [r.status_code for r in loads] == [200] * CLIENTS, [r.text for r in loads]
        assert [r.status_code for r in created] == [201] * CLIENTS
        assert [r.status_code for r in revoked] == [200] * CLIENTS
        assert [r.status_code for r in users] == [201] * CLIENTS, [r.text for r in users]
        assert [r.status_code for r in tokens] == [201] * CLIENTS, [r.text for r in tokens]
        assert sum(r.json()["rows_inserted"] for r in loads) == CLIENTS * 40
    finally:
        server.stop()
    assert server.query("SELECT count(*) FROM accounts") == [(CLIENTS * 40,)]
    assert server.query("SELECT count(*) FROM load_log WHERE kind = 'accounts'") == [(CLIENTS,)]
    assert server.query(
        "SELECT count(*) FROM write_keys WHERE name LIKE 'k%' AND revoked_at IS NOT NULL"
    ) == [(CLIENTS,)]
    assert server.query(
        "SELECT action, count(DISTINCT target) FROM audit_log "
        "WHERE (action LIKE 'key.%' OR action IN ('user.create', 'token.create')) "
        "AND actor = 'cli' AND (target LIKE 'u%' OR action NOT LIKE 'user.%') "
        "AND (detail ->> '$.name' LIKE 'k%' OR action NOT LIKE 'key.%') "
        "GROUP BY 1 ORDER BY 1"
    ) == [("key.create", CLIENTS), ("key.revoke", CLIENTS), ("token.create", CLIENTS),
          ("user.create", CLIENTS)]  # fmt: skip
    assert server.query("SELECT count(*) FROM users WHERE username LIKE 'u%'") == [(CLIENTS,)]
    assert server.query("SELECT count(*) FROM survey_responses WHERE response_id LIKE 'R-%'") == [
        (CLIENTS,)
    ]
    assert server.query("SELECT count(*) FROM account_notes WHERE body LIKE 'call %'") == [
        (CLIENTS,)
    ]
    assert server.query("SELECT count(*) FROM segments WHERE segment_id LIKE 'segment-%'") == [
        (CLIENTS,)
    ]
    assert server.query(
        "SELECT count(DISTINCT account_id), count(*) FROM health_overrides "
        "WHERE reason LIKE 'call %'"
    ) == [(CLIENTS, CLIENTS)]
    stored = server.query(
        "SELECT DISTINCT json_extract(config, '$.analytics.renewal_days') FROM config_versions "
        "WHERE source = 'api'"
    )
    assert sorted(int(str(v)) for (v,) in stored) == list(range(30, 30 + CLIENTS))
    assert server.query(
        "SELECT count(*) FROM api_tokens t JOIN users u USING (user_id) WHERE u.username LIKE 'u%'"
    ) == [(CLIENTS,)]


def _figures(db: Path) -> dict[str, tuple[int, str]]:
    con = connect(db)  # opens (and would migrate) as the next server would
    try:
        catalog = con.execute("SELECT current_database()").fetchall()[0][0]
        return table_checksums(con, catalog)
    finally:
        con.close()


@pytest.mark.slow
def test_sigkill_mid_upload_load_keeps_what_was_acknowledged(tmp_path: Path) -> None:
    server = SegmentServer(tmp_path / "server").start()
    first = write_csv(tmp_path / "first.csv", HEADER, [["a1", "Acme", "2024-01-01"]])
    big = write_csv(
        tmp_path / "big.csv",
        HEADER,
        [[f"b{i}", f"Big {i} " + "x" * 60, "2024-01-01"] for i in range(300_000)],
    )
    try:
        assert _upload(server, first).status_code == 200  # acknowledged
        with ThreadPoolExecutor(1) as pool:
            pending = pool.submit(_upload, server, big)
            deadline = time.monotonic() + 60
            while not list(server.db.parent.glob(".outsidein-upload-*")):
                assert time.monotonic() < deadline and not pending.done()
                time.sleep(0.005)
            time.sleep(0.5)
            server.kill()
            with pytest.raises(httpx.TransportError):
                pending.result()
    finally:
        server.kill()
    figures = _figures(server.db)
    rows = server.query("SELECT count(*) FROM accounts WHERE account_id LIKE 'b%'")[0][0]
    logged = server.query("SELECT count(*) FROM load_log WHERE kind = 'accounts'")[0][0]
    assert server.query("SELECT name FROM accounts WHERE account_id = 'a1'") == [("Acme",)]
    # The killed load is all or nothing, and its log row goes with it.
    assert (rows, logged) in ((0, 1), (300_000, 2)), (rows, logged)
    assert figures["accounts"][0] == 1 + rows


@pytest.mark.slow
def test_sigkill_mid_job_leaves_the_data_and_no_half_snapshot(tmp_path: Path) -> None:
    folder = tmp_path / "server"
    folder.mkdir()
    seed_small(folder / "store.duckdb")
    server = SegmentServer(folder).start()
    before = {k: v for k, v in _figures_after_stop(server).items() if k != "account_daily_metrics"}
    server.start()
    try:
        accepted = server.http.post(f"{server.url}/api/v1/metrics/snapshot", timeout=60)
        assert accepted.status_code == 202, accepted.text
        time.sleep(0.05)
    finally:
        server.kill()
    killed = _figures(server.db)
    partial = killed.pop("account_daily_metrics")[0]
    for name, value in before.items():
        if name not in ("segment_state",):
            assert killed[name] == value, name
    # A complete run on the restarted server: the killed one left none or all of it.
    server.start()
    try:
        from tests.web.jobs import finished

        job = finished(server.http.post(f"{server.url}/api/v1/metrics/snapshot", timeout=60),
                       server.url, timeout=300, headers=server.auth)  # fmt: skip
        assert job["status"] == "done", job
    finally:
        server.stop()
    complete = server.query("SELECT count(*) FROM account_daily_metrics")[0][0]
    assert complete > 0 and partial in (0, complete)


def _figures_after_stop(server: SegmentServer) -> dict[str, tuple[int, str]]:
    server.stop()
    return _figures(server.db)
