"""Commands while a real ``outsidein serve`` process holds the store: they go through it.

The answers are compared with the same commands run on the same store before the server
started (reads), and with a local load of the same file into a copy of the store (loads).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest
from typer.testing import CliRunner, Result

from outsidein.analytics import AnalyticsConfig, build_snapshot
from outsidein.auth import Role
from outsidein.auth.users import create_user
from outsidein.cli import app
from outsidein.errors import LoadError, OutsideInError, StoreLockedError
from outsidein.store import connect
from outsidein.store.owner import ServerRecord, read_record, record_path
from tests.ingest.helpers import write_csv
from tests.web.conftest import TODAY, record_auth, seed_small

pytestmark = pytest.mark.timeout(240)

READS = [
    ["metrics", "mrr"],
    ["metrics", "mrr", "--grain", "week", "--region", "na"],
    ["metrics", "bridge"],
    ["metrics", "retention"],
    ["metrics", "cohorts", "--measure", "nrr"],
    ["metrics", "renewals", "--days", "400", "--include-monthly"],
    ["metrics", "usage"],
    ["metrics", "usage", "--account", "A-001"],
    ["accounts", "list"],
    ["accounts", "list", "--limit", "3", "--sort", "mrr", "--order", "desc"],
    ["accounts", "show", "A-001"],
]
FAILING = [
    ["accounts", "show", "A-404"],
    ["metrics", "mrr", "--region", "mars"],
    ["accounts", "list", "--status", "sleeping"],
]


def cli(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200", **(env or {})})


class Serving:
    """``outsidein serve --port 0`` on a store, found through the record it writes."""

    def __init__(self, db: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.db = db
        self.log_path = db.with_suffix(".log")
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "outsidein", "serve", "--db", str(db), "--port", "0",
                 *args],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, **(env or {})},
            )  # fmt: skip
        deadline = time.monotonic() + 60
        while True:
            assert self.proc.poll() is None, self.log()
            record = read_record(db)
            if record is not None:
                try:
                    if httpx.get(record.url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.05)
        self.record: ServerRecord = record
        self.url = record.url
        self.auth = record_auth(db)
        self.http = httpx.Client(headers=self.auth, timeout=30)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)
            self.proc.wait(timeout=60)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small company, with its daily snapshot (``accounts show`` prints usage from it)."""
    path = seed_small(tmp_path_factory.mktemp("beside") / "store.duckdb")
    con = connect(path)
    build_snapshot(con, AnalyticsConfig(), TODAY, since=TODAY - timedelta(days=400))
    con.close()
    return path


@pytest.fixture(scope="module")
def local_answers(store: Path) -> dict[str, str]:
    """Every read command's output before any server runs (the store opened read-only)."""
    answers = {}
    for args in READS:
        result = cli(*args, "--db", str(store))
        assert result.exit_code == 0, result.output
        answers[" ".join(args)] = result.stdout
    for args in FAILING:
        result = cli(*args, "--db", str(store))
        assert isinstance(result.exception, OutsideInError), result.output
        answers[" ".join(args)] = f"{result.exception.exit_code}: {result.exception.message}"
    return answers


@pytest.fixture(scope="module")
def serving(store: Path, local_answers: dict[str, str]) -> Iterator[Serving]:
    server = Serving(store)
    try:
        yield server
    finally:
        server.stop()


def test_read_commands_are_answered_by_the_server_as_they_were_locally(
    serving: Serving, local_answers: dict[str, str]
) -> None:
    with pytest.raises(duckdb.IOException, match="lock"):  # the server really holds it
        duckdb.connect(str(serving.db), read_only=True)
    record = json.loads(record_path(serving.db).read_text())
    assert record["pid"] == serving.proc.pid and record["port"] > 0
    assert oct(record_path(serving.db).stat().st_mode & 0o777) == "0o600"
    for args in READS:
        result = cli(*args, "--db", str(serving.db))
        assert result.exit_code == 0, result.output
        assert f"through the server at {serving.url}" in result.stderr
        assert result.stdout == local_answers[" ".join(args)], args
    assert "Acme Corp" in local_answers["accounts list"]
    assert "Usage, daily snapshot" in local_answers["accounts show A-001"]
    assert "MRR by month (USD)" in local_answers["metrics mrr"]


def test_errors_from_the_server_read_as_local_ones(
    serving: Serving, local_answers: dict[str, str]
) -> None:
    for args in FAILING:
        result = cli(*args, "--db", str(serving.db))
        assert isinstance(result.exception, OutsideInError), result.output
        said = f"{result.exception.exit_code}: {result.exception.message}"
        assert said == local_answers[" ".join(args)]
    assert "mars" in local_answers["metrics mrr --region mars"]


def test_commands_the_server_cannot_run_name_what_works(serving: Serving) -> None:
    rebuild = cli("metrics", "snapshot", "--rebuild", "--db", str(serving.db))
    assert isinstance(rebuild.exception, StoreLockedError)
    message = rebuild.exception.message
    assert f"process {serving.proc.pid}" in message and "Traceback" not in rebuild.output
    assert f"kill -INT {serving.proc.pid}" in message
    assert "`outsidein metrics snapshot --rebuild` again" in message
    update = cli("metrics", "snapshot", "--db", str(serving.db))
    assert isinstance(update.exception, StoreLockedError)
    assert f"curl -X POST {serving.url}/api/v1/metrics/snapshot" in update.exception.message


def test_a_stale_record_is_ignored(tmp_path: Path, store: Path) -> None:
    """A record left by a killed server: the command reads the store itself."""
    db = tmp_path / "copy.duckdb"
    shutil.copy(store, db)
    server = Serving(db)
    server.proc.kill()
    server.proc.wait()
    assert read_record(db) is not None  # SIGKILL leaves it behind
    result = cli("metrics", "mrr", "--db", str(db))
    assert result.exit_code == 0 and "through the server" not in result.stderr
    assert "MRR by month" in result.stdout


# -- loads --------------------------------------------------------------------------------

HEADER = ["account_id", "name", "industry", "region", "created_at"]
ROWS = [
    ["N-1", "Newco", "software", "emea", "2024-01-05"],
    ["N-2", "Second", "retail", "amer", "2024-02-01"],
    ["N-3", "Broken", "retail", "amer", "yesterday"],
    ["N-4", "", "retail", "amer", "2024-02-01"],
]
EVENTS = ["message_id", "account_id", "user_id", "event", "timestamp"]


def normal(text: str) -> str:
    """A load's summary without what differs between two runs (timing, load id)."""
    text = re.sub(r"in [\d.]+ s \([\d,]+ rows/s\)", "in T", text)
    text = re.sub(r"rejects show [0-9a-f]+", "rejects show X", text)
    return re.sub(r"load_id [0-9a-f]+", "load_id X", text)


@pytest.fixture
def loading(tmp_path: Path) -> Iterator[tuple[Serving, Path]]:
    """A served store, and an identical copy for loading locally."""
    db = seed_small(tmp_path / "served" / "store.duckdb")
    copy = tmp_path / "local" / "store.duckdb"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    server = Serving(db, env={"OUTSIDEIN_MAX_UPLOAD_MB": "0.01"})  # 10,485 bytes
    try:
        yield server, copy
    finally:
        server.stop()


def steps(server: Serving) -> dict[str, dict[str, Any]]:
    status = server.http.get(server.url + "/api/v1/status", timeout=10).json()
    return {step["name"]: step for step in status["pipeline"]}


def test_load_goes_through_the_server_with_the_same_result_and_rejects(
    loading: tuple[Serving, Path], tmp_path: Path
) -> None:
    server, copy = loading
    path = write_csv(tmp_path / "accounts.csv", HEADER, ROWS)
    local = cli("load", "accounts", str(path), "--db", str(copy))
    served = cli("load", "accounts", str(path), "--db", str(server.db))
    assert local.exit_code == served.exit_code == 1, served.output
    assert f"through the server at {server.url}" in served.stderr
    assert "4 rows read, 2 new, 0 updated, 0 unchanged, 2 rejected" in served.stdout
    assert "yesterday" in served.stdout and "first rejects" in served.stdout
    assert normal(served.stdout) == normal(local.stdout)
    # The rows are there for the server's readers at once.
    newco = server.http.get(server.url + "/api/v1/accounts/N-1", timeout=10)
    assert newco.status_code == 200 and newco.json()["account"]["name"] == "Newco"
    assert server.http.get(server.url + "/api/v1/accounts/N-3", timeout=10).status_code == 404
    again = cli("load", "accounts", str(path), "--db", str(server.db))
    assert again.exit_code == 0 and "already loaded; nothing changed" in again.stdout

    # Events: the pipeline is told, so what reads them (last_seen, run only on a change) runs.
    runs = steps(server)["last_seen"]["runs"]
    events = write_csv(
        tmp_path / "events.csv", EVENTS, [["e-1", "N-1", "u1", "login", "2025-01-02T03:04:05"]]
    )
    done = cli("load", "events", str(events), "--db", str(server.db))
    assert done.exit_code == 0 and "1 new" in done.stdout, done.output
    deadline = time.monotonic() + 30
    while steps(server)["last_seen"]["runs"] <= runs:
        assert time.monotonic() < deadline, "the load did not mark events changed"
        time.sleep(0.1)
    listed = server.http.get(
        server.url + "/api/v1/accounts", params={"q": "Newco"}, timeout=10
    ).json()
    assert listed["items"][0]["last_seen"].startswith("2025-01-02T03:04:05")

    server.stop()
    assert read_record(server.db) is None  # removed at shutdown
    assert not list(server.db.parent.glob(".outsidein-upload-*"))  # uploads removed
    con = duckdb.connect(str(server.db), read_only=True)
    files = {row[0] for row in con.execute("SELECT DISTINCT file FROM rejects").fetchall()}
    con.close()
    assert files == {str(path.resolve())}  # the client's file, not the upload's


def test_a_strict_load_refused_through_the_server_says_why(
    loading: tuple[Serving, Path], tmp_path: Path
) -> None:
    server, _ = loading
    path = write_csv(tmp_path / "accounts.csv", HEADER, ROWS)
    refused = cli("load", "accounts", str(path), "--strict", "--db", str(server.db))
    assert isinstance(refused.exception, OutsideInError) and refused.exception.exit_code == 2
    message = refused.exception.message
    assert "--strict refused the whole file: 2 of 4 rows" in message
    assert str(path.resolve()) in message and "outsidein-upload" not in message


def test_an_oversize_file_is_refused_with_the_limit(
    loading: tuple[Serving, Path], tmp_path: Path
) -> None:
    server, _ = loading
    rows = [[f"B-{i}", f"Big {i}", "x", "emea", "2024-01-05"] for i in range(600)]
    path = write_csv(tmp_path / "big.csv", HEADER, rows)
    assert path.stat().st_size > server.record.max_upload_bytes == 10485
    refused = cli("load", "accounts", str(path), "--db", str(server.db))
    assert isinstance(refused.exception, LoadError)
    assert "over the server's upload limit of 10,485 bytes" in refused.exception.message
    # The server refuses it too, whoever sends it.
    raw = httpx.post(
        server.url + "/api/v1/loads/accounts",
        params={"filename": "big.csv"},
        content=path.read_bytes(),
        headers={"X-Outsidein-Token": server.record.token},
        timeout=30,
    )
    assert raw.status_code == 413, raw.text
    assert "over this server's upload limit of 10,485 bytes" in raw.json()["error"]["message"]
    assert not list(server.db.parent.glob(".outsidein-upload-*"))


def test_a_load_needs_the_token_and_this_machine(
    loading: tuple[Serving, Path], tmp_path: Path
) -> None:
    server, _ = loading
    body = (tmp_path / "a.csv").write_bytes(b"account_id,name,created_at\nX-1,X,2024-01-01\n")
    del body
    send = {"params": {"filename": "a.csv"}, "content": (tmp_path / "a.csv").read_bytes()}
    # No token, or a wrong one: nobody is signed in (the guard answers before the route).
    missing = httpx.post(server.url + "/api/v1/loads/accounts", timeout=30, **send)
    assert missing.status_code == 401, missing.text
    wrong = httpx.post(
        server.url + "/api/v1/loads/accounts",
        headers={"X-Outsidein-Token": "guessed"},
        timeout=30,
        **send,
    )
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "unauthenticated"
    good = httpx.post(
        server.url + "/api/v1/loads/accounts",
        headers={"X-Outsidein-Token": server.record.token},
        timeout=30,
        **send,
    )
    assert good.status_code == 200 and good.json()["rows_inserted"] == 1, good.text


def own_address() -> str | None:
    """This machine's address on its network (not the loopback), if it has one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent for a UDP connect
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") else address


def test_a_load_from_another_address_is_refused_even_with_the_token(tmp_path: Path) -> None:
    address = own_address()
    if address is None:
        pytest.skip("this machine has no address besides the loopback")
    db = seed_small(tmp_path / "store.duckdb")
    con = connect(db)
    create_user(con, "admin", Role.ADMIN, "a-long-password")  # else 0.0.0.0 is refused
    con.close()
    server = Serving(db, "--host", "0.0.0.0", env={"OUTSIDEIN_ALLOWED_HOSTS": address})
    try:
        assert server.url.startswith("http://127.0.0.1:")
        url = f"http://{address}:{server.record.port}/api/v1/loads/accounts"
        refused = httpx.post(
            url,
            params={"filename": "a.csv"},
            content=b"account_id,name,created_at\nX-1,X,2024-01-01\n",
            headers={"X-Outsidein-Token": server.record.token},
            timeout=30,
        )
        # The record's token counts only from this machine: from there nobody is signed in.
        assert refused.status_code == 401, refused.text
        status = url.replace("/loads/accounts", "/status")
        assert httpx.get(status, timeout=10).status_code == 401
        assert httpx.get(status.replace("/api/v1/status", "/healthz")).status_code == 200
    finally:
        server.stop()
