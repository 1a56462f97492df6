"""Messy files through the command (a real process) and the server upload: one clear line.

Each refusal is one ``error:`` line naming the file, exit status 2, no traceback; readable
files keep their good rows, through ``outsidein load`` and ``POST /api/v1/loads/{kind}``.
"""

from __future__ import annotations

import gzip
import io
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import openpyxl
import pytest

from tests.cli.test_beside_server import Serving
from tests.web.conftest import seed_small

pytestmark = pytest.mark.timeout(240)
HEADER = "account_id,name,created_at"


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "outsidein", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=120,
    )


def refused_in_one_line(done: subprocess.CompletedProcess[str], expected: str) -> None:
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("error: ") and done.stderr.count("error:") == 1, done.stderr
    assert "\n\n" not in done.stderr.strip()  # one message (the terminal may wrap it)
    assert expected in " ".join(done.stderr.split()), done.stderr


def truncated_gz() -> bytes:
    whole = gzip.compress(
        (HEADER + "\n" + "".join(f"a{i},N{i},2024-01-01\n" for i in range(20000))).encode()
    )
    return whole[: len(whole) // 2]


def test_refusals_are_one_line_naming_the_file(tmp_path: Path) -> None:
    cases = {
        "dup.csv": (b"account_id,name,name,created_at\n", "the header names column 'name' twice"),
        "text.parquet": (b"account_id,name\na1,A\n", "text.parquet: not a Parquet file"),
        "empty.parquet": (b"", "empty.parquet: the file is empty; it is named .parquet"),
        "cut.csv.gz": (truncated_gz(), "cut.csv.gz: the gzip archive is truncated or damaged"),
    }
    for name, (content, expected) in cases.items():
        (tmp_path / name).write_bytes(content)
        refused_in_one_line(run("load", "accounts", name, cwd=tmp_path), expected)
    refused_in_one_line(
        run("load", "accounts", str(tmp_path), cwd=tmp_path), f"{tmp_path}: is a directory"
    )


def test_a_wide_header_is_summarised(tmp_path: Path) -> None:
    names = [f"column_{i}" for i in range(100_000)]
    (tmp_path / "wide.csv").write_text(",".join(names) + "\n")
    done = run("load", "accounts", "wide.csv", cwd=tmp_path)
    refused_in_one_line(done, "(100,000 columns in all)")
    assert len(done.stdout) + len(done.stderr) < 2000


def test_dates_refused_then_settled_by_the_option_and_by_the_config(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text(f"{HEADER}\na1,A,03/04/2024\na2,B,05/06/2024\n")
    refused_in_one_line(
        run("load", "accounts", "a.csv", cwd=tmp_path),
        "add --format created_at=%m/%d/%Y (or --format created_at=%d/%m/%Y)",
    )
    done = run("load", "accounts", "a.csv", "--format", "created_at=%d/%m/%Y", cwd=tmp_path)
    assert done.returncode == 0 and "2 new" in done.stdout, done.stdout + done.stderr
    (tmp_path / "b.csv").write_text(f"{HEADER}\nb1,A,03/04/2024\n")
    (tmp_path / "outsidein.toml").write_text('[formats.accounts]\ncreated_at = "%m/%d/%Y"\n')
    done = run("load", "accounts", "b.csv", cwd=tmp_path)
    assert done.returncode == 0 and "1 new" in done.stdout, done.stdout + done.stderr


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Serving]:
    serving = Serving(seed_small(tmp_path_factory.mktemp("messy") / "store.duckdb"))
    try:
        yield serving
    finally:
        serving.stop()


def upload(server: Serving, name: str, content: bytes, **params: str | list[str]) -> httpx.Response:
    return httpx.post(
        server.url + "/api/v1/loads/accounts",
        params={"filename": name, **params},
        content=content,
        headers={"X-Outsidein-Token": server.record.token},
        timeout=60,
    )


def test_the_upload_answers_the_same(server: Serving) -> None:
    for name, content, expected in [
        ("dup.csv", b"account_id,name,name\n", "dup.csv: line 1: the header names column 'name'"),
        ("t.parquet", b"account_id\n", "t.parquet: not a Parquet file"),
        ("e.parquet", b"", "e.parquet: the file is empty"),
        (
            "wide.csv",
            ",".join(f"c{i}" for i in range(100_000)).encode() + b"\n",
            "(100,000 columns in all)",
        ),
        ("cut.csv.gz", truncated_gz(), "cut.csv.gz: the gzip archive is truncated"),
        ("d.csv", f"{HEADER}\nd1,D,03/04/2024\n".encode(), "add --format created_at=%m/%d/%Y"),
    ]:
        answer = upload(server, name, content)
        assert answer.status_code == 422, answer.text
        message = answer.json()["error"]["message"]
        assert (
            message.startswith(name) and expected in message and ".outsidein-upload" not in message
        )

    quoted = f'\ufeff{HEADER}\nq1,"Multi\nLine",2024-01-01\nq2,Caf\u00e9,nope\nq3,Q,2024-01-02\n'
    answer = upload(server, "q.csv", quoted.encode("cp1252", "ignore"))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rows_inserted"], body["rows_rejected"]) == (2, 1)
    assert body["rejects"][0]["line"] == 4
    named = upload(server, "d.csv", f"{HEADER}\nd1,D,03/04/2024\n".encode(),
                   format=["created_at=%d/%m/%Y"])  # fmt: skip
    assert named.status_code == 200 and named.json()["rows_inserted"] == 1, named.text
    account = server.http.get(server.url + "/api/v1/accounts/q1").json()["account"]
    assert account["name"] == "Multi\nLine"
    long_line = f"{HEADER}\nl1,L,2024-01-01\nl2,{'x' * (10 << 20)},2024-01-01\nl3,M,2024-01-02\n"
    answer = upload(server, "long.csv", long_line.encode())
    assert answer.status_code == 200, answer.text[:500]
    body = answer.json()
    assert (body["rows_inserted"], body["rows_rejected"]) == (2, 1)
    assert body["rejects"][0]["line"] == 3 and "over the limit" in body["rejects"][0]["reason"]


def test_an_xlsx_sheet_loads_by_name_or_first(server: Serving, tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    first = book.active
    first.title = "Notes"
    first.append(["nothing", "here"])
    sheet = book.create_sheet("Accounts")
    sheet.append(["account_id", "name", "created_at"])
    sheet.append(["x1", "Excel Co", "10/16/2024"])
    sheet.append([None, None, None])
    sheet.append(["x2", 42, 45000.0])  # a number as a name; a date cell's serial number
    buffer = io.BytesIO()
    book.save(buffer)
    answer = upload(server, "book.xlsx", buffer.getvalue(), sheet="Accounts")
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["rows_inserted"], body["rows_rejected"]) == (1, 1)
    assert body["rejects"][0]["line"] == 4 and body["rejects"][0]["value"] == "45000"
    wrong = upload(server, "book2.xlsx", buffer.getvalue(), sheet="Nope")
    assert wrong.status_code == 422
    assert "--sheet 'Nope': no such sheet; its sheets are: Notes, Accounts" in wrong.text
    first_sheet = upload(server, "book3.xlsx", buffer.getvalue())
    assert "required columns account_id, name, created_at missing" in first_sheet.text
