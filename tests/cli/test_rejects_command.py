"""`outsidein rejects list|show|clear` and the load summary's pointer, run as a user runs them."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv

SUB_HEADER = ["subscription_id", "account_id", "plan", "mrr", "start_date", "status"]


def run(*args: str, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "COLUMNS": "250"},
        timeout=120,
    )


def load_id(output: str) -> str:
    return output.split("outsidein rejects show ")[1].split("`")[0]


def test_an_all_rejected_file_says_so_and_runs_again(tmp_path: Path) -> None:
    subs = write_csv(tmp_path / "subs.csv", SUB_HEADER, [["s1", "a1", "p", "1", "2024-01-01",
                                                          "active"]])  # fmt: skip
    first = run("load", "subscriptions", str(subs), cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "every row rejected (1 row); nothing loaded: `outsidein rejects show " in first.stdout
    assert "the next load of this file runs again" in first.stdout
    again = run("load", "subscriptions", str(subs), cwd=tmp_path)
    assert again.returncode == 1 and "already loaded" not in again.stdout
    assert load_id(again.stdout) != load_id(first.stdout)


def test_list_show_and_clear(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS)
    assert run("load", "accounts", str(tmp_path / "a.csv"), cwd=tmp_path).returncode == 0
    rows = [
        ["s1", "a1", "growth", "10", "2024-01-01", "active"],
        ["s2", "a1", "growth", "10", "2024-01-01", "Live"],
        ["s3", "a2", "growth", "10", "2024-01-01", "Paused"],
        ["s4", "a3", "growth", '=HYPERLINK("http://x")', "2024-01-01", "active"],
        ["s5", "zz", "growth", "10", "2024-01-01", "active"],
    ]
    subs = write_csv(tmp_path / "subs.csv", SUB_HEADER, rows)
    loaded = run("load", "subscriptions", str(subs), cwd=tmp_path)
    assert loaded.returncode == 1
    assert "4 rows rejected: `outsidein rejects show " in loaded.stdout
    load = load_id(loaded.stdout)

    listed = run("rejects", "list", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert load in listed.stdout and "4 rows rejected of 5 read" in listed.stdout
    assert "--values status:VALUE=trialing" in listed.stdout  # the fix, once per group
    assert "[load.subscriptions.values.status]" in listed.stdout  # shown as data, not markup

    as_json = json.loads(run("rejects", "list", "--format", "json", cwd=tmp_path).stdout)
    (item,) = as_json["items"]
    groups = {(g["column"], g["problem"].split(";")[0]): g["count"] for g in item["groups"]}
    assert groups == {
        ("status", "not one of the allowed values: trialing, active, ended, churned"): 2,
        ("mrr", "not a number"): 1,
        ("account_id", "unknown account_id: no such account in the store or external_ids "
                       "(load accounts first)"): 1,
    }  # fmt: skip

    shown = run("rejects", "show", load[:8], "--page-size", "2", cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    assert "page 1 of 2 (4 problems)" in shown.stdout and "Live" in shown.stdout
    assert f"outsidein rejects show {load} --page 2" in shown.stdout
    as_csv = run("rejects", "show", load, "--format", "csv", cwd=tmp_path).stdout
    table = list(csv.DictReader(io.StringIO(as_csv)))
    assert [(r["line"], r["column"]) for r in table] == [
        ("3", "status"), ("4", "status"), ("5", "mrr"), ("6", "account_id")
    ]  # fmt: skip
    assert table[2]["value"] == '\'=HYPERLINK("http://x")'  # not a formula in a spreadsheet
    only = run("rejects", "show", load, "--field", "status", "--format", "json", cwd=tmp_path)
    assert json.loads(only.stdout)["total"] == 2

    kept = run("rejects", "clear", load, cwd=tmp_path, stdin="n\n")
    assert kept.returncode == 1 and "nothing deleted" in kept.stdout
    assert "4 rejects" in kept.stdout
    cleared = run("rejects", "clear", "--file", str(subs), "--yes", cwd=tmp_path)
    assert cleared.returncode == 0, cleared.stderr
    assert "deleted 4 rejects of 1 load" in cleared.stdout
    assert "no rejects" in run("rejects", "list", cwd=tmp_path).stdout


def test_unknown_load_is_one_clear_line(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", ACCOUNT_HEADER, ACCOUNTS)
    run("load", "accounts", str(tmp_path / "a.csv"), cwd=tmp_path)
    missing = run("rejects", "show", "nope", cwd=tmp_path)
    assert missing.returncode != 0
    assert missing.stderr.strip() == (
        "error: no load 'nope'; `outsidein rejects list` shows the loads with rejects"
    )
    assert "Traceback" not in missing.stderr
