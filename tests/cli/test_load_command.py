"""`outsidein load` as a user runs it: summary, rejects listed, exit codes, clear errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.ingest.helpers import ACCOUNT_HEADER, ACCOUNTS, write_csv


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200", **(env or {})},
        timeout=120,
    )


def test_load_reports_rejects_and_exits_non_zero(tmp_path: Path) -> None:
    rows = [*ACCOUNTS, ["a9", "Zeta", "x", "y", "yesterday"]]
    path = write_csv(tmp_path / "accounts.csv", ACCOUNT_HEADER, rows)
    first = run("load", "accounts", str(path), cwd=tmp_path)
    assert first.returncode == 1, first.stderr
    assert "4 rows read, 3 new, 0 updated, 0 unchanged, 1 rejected" in first.stdout
    assert "created_at" in first.stdout and "yesterday" in first.stdout
    assert (tmp_path / "outsidein-data" / "outsidein.duckdb").is_file()  # the default store
    again = run("load", "accounts", str(path), cwd=tmp_path)
    assert again.returncode == 0
    assert "already loaded; nothing changed" in again.stdout


def test_db_from_environment_and_mapping_from_config(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "crm.csv", ["Id", "Account Name", "Created"], [["x1", "X", "2024-01-01"]]
    )
    (tmp_path / "outsidein.toml").write_text(
        '[mapping.accounts]\nId = "account_id"\n"Account Name" = "name"\nCreated = "created_at"\n',
        encoding="utf-8",
    )
    db = tmp_path / "elsewhere" / "s.duckdb"
    done = run("load", "accounts", str(path), cwd=tmp_path, env={"OUTSIDEIN_DB": str(db)})
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 new" in done.stdout
    assert db.is_file()


def test_errors_are_one_clear_line(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "a.csv", ["Id"], [["1"]])
    missing = run("load", "accounts", str(path), cwd=tmp_path)
    assert missing.returncode == 2
    assert "required columns account_id, name, created_at missing for accounts" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad_map = run("load", "accounts", str(path), "--map", "Id", cwd=tmp_path)
    assert bad_map.returncode == 2
    assert "expected SOURCE_COLUMN=CANONICAL_COLUMN" in bad_map.stderr
