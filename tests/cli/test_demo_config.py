"""Where ``outsidein.toml`` is read from, and where ``outsidein demo`` writes its own.

The rule (docs/configuration.md): ``--config`` or ``OUTSIDEIN_CONFIG`` if given, else
``./outsidein.toml`` if it exists, else ``outsidein.toml`` beside the store, else none. The
demo writes its file beside the store, never into the folder it was started from, and a
later ``outsidein serve`` over the same store finds it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from outsidein.cli.app import settings
from outsidein.store import connect
from outsidein.store.config_versions import current_config
from tests.web.conftest import record_auth

from .test_demo import free_port

ENV = {k: v for k, v in os.environ.items() if not k.startswith("OUTSIDEIN_")}


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**ENV, "COLUMNS": "200"},
        timeout=180,
    )


def test_config_is_named_then_here_then_beside_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("OUTSIDEIN_DB", "OUTSIDEIN_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    store = Path("data") / "s.duckdb"
    assert settings(store).config is None  # no file anywhere: the store's version stands
    beside = tmp_path / "data" / "outsidein.toml"
    beside.parent.mkdir()
    beside.write_text("", encoding="utf-8")
    assert settings(store).config == Path("data") / "outsidein.toml"
    assert settings().config is None  # the default store is elsewhere: not its file
    here = tmp_path / "outsidein.toml"
    here.write_text("", encoding="utf-8")
    assert settings(store).config == Path("outsidein.toml")
    assert settings(store, Path("mine.toml")).config == Path("mine.toml")
    monkeypatch.setenv("OUTSIDEIN_CONFIG", "env.toml")
    assert settings(store).config == Path("env.toml")
    assert settings(store, Path("mine.toml")).config == Path("mine.toml")


def test_demo_writes_its_config_beside_its_store_and_commands_find_it(tmp_path: Path) -> None:
    work = tmp_path / "work"
    work.mkdir()
    demo = run("demo", "--accounts", "30", "--months", "3", "--no-serve", cwd=work)
    assert demo.returncode == 0, demo.stderr
    beside = Path("outsidein-data") / "outsidein.toml"
    assert f"wrote {beside}" in demo.stdout
    assert (work / beside).is_file()
    assert not (work / "outsidein.toml").exists()  # nothing written where it was started
    store = work / "outsidein-data" / "outsidein.duckdb"
    con = connect(store)
    stored = current_config(con)
    con.close()
    assert stored is not None and (stored.version, stored.origin) == (1, str(beside))
    assert stored.config.analytics.value_event == "Report Shared"
    # It scored health with the shipped scorecard, and the CLI lists the scores.
    assert "health: " in demo.stdout and "accounts scored" in demo.stdout, demo.stdout
    listed = run("health", "list", "--db", str(store), cwd=work)
    assert listed.returncode == 0 and "scored accounts" in listed.stdout, listed.stderr
    # A second run uses the file it wrote; an edit to it is read from any folder.
    again = run("demo", "--accounts", "30", "--months", "3", "--no-serve", cwd=work)
    assert again.returncode == 0 and f"using {beside}" in again.stdout, again.stderr
    with (work / beside).open("a", encoding="utf-8") as file:
        file.write("\n[store]\nfuture_tolerance_hours = 12.0\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    shown = run("config", "show", "--db", str(store), cwd=elsewhere)
    assert shown.returncode == 0, shown.stderr
    assert f"configuration version 2 (file, {work / beside}" in shown.stdout
    assert "future_tolerance_hours = 12.0" in shown.stdout
    assert not (elsewhere / "outsidein.toml").exists()


@pytest.mark.slow
def test_serve_after_the_demo_runs_with_the_demo_config(tmp_path: Path) -> None:
    demo = run("demo", "--accounts", "30", "--months", "3", "--no-serve", cwd=tmp_path)
    assert demo.returncode == 0, demo.stderr
    # The file says something new, so the server's start must store it as version 2.
    beside = Path("outsidein-data") / "outsidein.toml"
    with (tmp_path / beside).open("a", encoding="utf-8") as file:
        file.write("\n[store]\nfuture_tolerance_hours = 6.0\n")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "outsidein", "serve", "--port", str(port)],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    try:
        deadline = time.monotonic() + 90
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
        body = answer.json()
        assert (body["version"], body["origin"]) == (2, str(beside)), body
        assert body["config"]["analytics"]["value_event"] == "Report Shared"
        assert body["config"]["store"]["future_tolerance_hours"] == 6.0
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)
