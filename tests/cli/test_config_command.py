"""`outsidein config show|export` and `--config` on `serve` and `demo`, as a user runs them."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from outsidein.config import load_config, parse_config
from outsidein.store import connect
from outsidein.store.config_versions import current_config, save_config, seed_from_file
from tests.web.conftest import record_auth

from .test_demo import free_port

TOML = "# ours\n[analytics]\nrenewal_days = 30\n"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "60"},  # narrow: the TOML must still not wrap
        timeout=120,
    )


def test_show_prints_the_version_in_force_and_export_writes_it_back(tmp_path: Path) -> None:
    toml = tmp_path / "mine.toml"
    toml.write_text(TOML, encoding="utf-8")
    db = tmp_path / "s.duckdb"
    shown = run("config", "show", "--db", str(db), "--config", str(toml), cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    first, rest = shown.stdout.split("\n", 1)
    assert first.startswith(f"# Outside-In configuration version 1 (file, {toml}, ")
    assert rest == TOML
    # An edit made through the API (a new version in the store) is what export writes.
    con = connect(db)
    key_features = ["Report Shared", "A feature with a rather long name, longer than sixty"]
    edited = parse_config({"analytics": {"key_features": key_features}}, "t")
    save_config(con, edited, "api", origin="127.0.0.1")
    con.close()
    out = tmp_path / "exported.toml"
    done = run(
        "config", "export", "--out", str(out), "--db", str(db), "--config", str(toml),
        cwd=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"wrote configuration version 2 to {out}" in done.stdout.replace("\n", "")
    assert load_config(out) == edited
    assert out.read_text(encoding="utf-8").startswith("# Outside-In configuration version 2 (api")
    # Starting from the exported file adds no version: it says nothing new.
    again = run("config", "show", "--db", str(db), "--config", str(out), cwd=tmp_path)
    assert "configuration version 2 (api" in again.stdout
    lines = [line.strip() for line in again.stdout.splitlines()]
    assert f'"{key_features[1]}",' in lines  # the TOML is printed unwrapped
    assert toml.read_text(encoding="utf-8") == TOML  # the seeding file was never rewritten


def test_config_errors_are_messages_not_tracebacks(tmp_path: Path) -> None:
    db = str(tmp_path / "s.duckdb")
    missing = run("config", "show", "--db", db, "--config", str(tmp_path / "no.toml"), cwd=tmp_path)
    assert missing.returncode == 2 and "no.toml: config file not found" in missing.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text('[store]\nfuture_tolerance_hours = "soon"\n', encoding="utf-8")
    invalid = run("config", "show", "--db", db, "--config", str(bad), cwd=tmp_path)
    assert invalid.returncode == 2 and "store.future_tolerance_hours" in invalid.stderr
    unwritable = str(tmp_path / "x" / "y.toml")
    nowhere = run("config", "export", "--db", db, "--out", unwritable, cwd=tmp_path)
    assert nowhere.returncode == 2 and "cannot write the configuration" in nowhere.stderr
    for result in (missing, invalid, nowhere):
        assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_serve_and_demo_take_config(tmp_path: Path) -> None:
    toml = tmp_path / "elsewhere" / "company.toml"
    demo = run(
        "demo", "--accounts", "30", "--months", "3", "--no-serve", "--config", str(toml),
        cwd=tmp_path,
    )  # fmt: skip
    assert demo.returncode == 0, demo.stderr
    assert toml.is_file() and not (tmp_path / "outsidein.toml").exists()
    db = tmp_path / "outsidein-data" / "outsidein.duckdb"
    con = connect(db)
    stored = current_config(con)
    con.close()
    assert stored is not None and stored.origin == str(toml)
    assert stored.config.analytics.value_event == "Report Shared"

    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "outsidein", "serve", "--port", str(port), "--config", str(toml)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                auth = record_auth(tmp_path / "outsidein-data" / "outsidein.duckdb")
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/config", headers=auth, timeout=10
                )
                break
            except (httpx.ConnectError, AssertionError):  # not up, or no record yet
                assert time.monotonic() < deadline and server.poll() is None
                time.sleep(0.2)
        assert answer.status_code == 200
        assert (answer.json()["version"], answer.json()["origin"]) == (1, str(toml))
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
    refused = run("serve", "--config", str(tmp_path / "typo.toml"), "--port", "1", cwd=tmp_path)
    assert refused.returncode == 2 and "typo.toml: config file not found" in refused.stderr
    assert "Traceback" not in refused.stderr


def test_metrics_compute_with_the_stored_version_not_only_the_file(tmp_path: Path) -> None:
    from tests.web.conftest import seed_small

    db = seed_small(tmp_path / "s.duckdb")
    toml = tmp_path / "outsidein.toml"
    toml.write_text(TOML, encoding="utf-8")
    args = ("metrics", "mrr", "--db", str(db), "--config", str(toml))
    assert "MRR by month (USD)" in run(*args, cwd=tmp_path).stdout
    con = connect(db)
    assert seed_from_file(con, toml).version == 1  # as `outsidein serve` would at its start
    to_eur = {"analytics": {"reporting_currency": "EUR", "currency_rates": {"USD": "0.5"}}}
    save_config(con, parse_config(to_eur, "t"), "api")
    con.close()
    shown = run(*args, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "MRR by month (EUR)" in shown.stdout  # the API's edit, though the file says USD
