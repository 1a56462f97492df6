"""Messy files get clear answers: one line naming the file (and line), good rows kept.

Each case of issue 18's list is written here as a real file and loaded through the library;
tests/cli/test_messy_cli.py runs the same files through the command and the server upload.
"""

from __future__ import annotations

import csv
import gzip
import io
import os
import socket
import time
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outsidein.errors import LoadError
from outsidein.ingest import csv_chunks, load_file
from outsidein.ingest.formats import ReadOptions
from outsidein.ingest.reasons import problem_only
from outsidein.store import connect

HEADER = "account_id,name,created_at"


def rows(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    return con.execute("SELECT account_id, name FROM accounts ORDER BY 1").fetchall()


def rejects(con: duckdb.DuckDBPyConnection) -> list[tuple[int | None, str]]:
    found = con.execute("SELECT line, reason FROM rejects ORDER BY line").fetchall()
    return [(line, problem_only(reason)) for line, reason in found]  # the problem, not the fix


def test_quoted_line_breaks_parse_and_lines_stay_exact(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        f'{HEADER}\na1,"Acme\nCorp",2024-01-01\na2,Beta,2024-01-01\n'
        'a3,"Gamma ""G""\n\nHealth",2024-01-01\na4,Delta,yesterday\na5,5" Screens,2024-01-01\n',
        encoding="utf-8",
    )
    result = load_file(store, "accounts", path)
    assert (result.rows_read, result.rows_inserted, result.rows_rejected) == (5, 4, 1)
    assert rows(store) == [
        ("a1", "Acme\nCorp"),
        ("a2", "Beta"),
        ("a3", 'Gamma "G"\n\nHealth'),
        ("a5", '5" Screens'),
    ]
    ((line, reason),) = rejects(store)
    assert line == 8 and reason.startswith("not a timestamp (ISO 8601, e.g. 2024-05-01T09:30:00Z)")


@pytest.mark.parametrize("chunk_bytes", [24, 64])
def test_quoted_line_breaks_across_chunks(
    store: duckdb.DuckDBPyConnection,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    chunk_bytes: int,
) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", chunk_bytes)
    body = "".join(f'a{i},"Name\n{i}",2024-01-01\n' for i in range(40))
    path = tmp_path / "accounts.csv"
    path.write_text(f"{HEADER}\n{body}a40,Last,nope\n", encoding="utf-8")
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (40, 1)
    assert ("a7", "Name\n7") in rows(store)
    assert [line for line, _ in rejects(store)] == [82]


def test_a_bad_line_is_a_reject_not_the_loss_of_its_neighbours(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(
        f'{HEADER}\na1,Acme,2024-01-01\na2,"Beta,2024-01-01,x,y\na3,Gamma,2024-01-01\n',
        encoding="utf-8",
    )
    result = load_file(store, "accounts", path)
    assert ("a1", "Acme") in rows(store) and ("a3", "Gamma") in rows(store)
    assert result.rows_rejected == 1
    assert rejects(store)[0][0] == 3


def test_an_unclosed_quote_is_a_reject_of_its_line_and_a_stray_one_is_text(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(f'{HEADER}\na1,Screen 5",2024-01-01\na2,Beta,2024-01-01\n', encoding="utf-8")
    assert load_file(store, "accounts", path).rows_inserted == 2
    assert rows(store) == [("a1", 'Screen 5"'), ("a2", "Beta")]


def test_json_lines_keep_their_good_lines(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("outsidein.ingest.formats.SAMPLE_BYTES", 64)  # the byte comes later
    path = tmp_path / "accounts.jsonl"
    good = '{"account_id": "j%d", "name": "J", "created_at": "2024-01-01"}\n'
    path.write_bytes(
        (good % 1).encode() + b'{"account_id": "j2", "name": "Caf\xe9"}\n' + (good % 3).encode()
    )
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)
    assert rejects(store)[0][0] == 2 and "not valid UTF-8 (byte 0xE9)" in rejects(store)[0][1]
    cut = tmp_path / "accounts2.jsonl.gz"
    whole = gzip.compress("".join(good % i for i in range(20000)).encode())
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LoadError, match=r"accounts2\.jsonl\.gz: the gzip archive is truncated"):
        load_file(store, "accounts", cut)


def test_duplicate_headers_are_refused_by_name(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text("account_id,name,created_at,name\na1,A,2024-01-01,B\n", encoding="utf-8")
    with pytest.raises(LoadError) as refused:
        load_file(store, "accounts", path)
    assert refused.value.message == (
        f"{path}: line 1: the header names column 'name' twice (columns 2 and 4): rename one"
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [(b"account_id,name\na1,A\n", "not a Parquet file"), (b"", "the file is empty")],
)
def test_a_text_or_empty_file_named_parquet(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "accounts.parquet"
    path.write_bytes(content)
    with pytest.raises(LoadError) as refused:
        load_file(store, "accounts", path)
    message = refused.value.message
    assert message.startswith(f"{path}: {problem}") and message.endswith("named .parquet")
    assert "\n" not in message


def test_a_truncated_gzip_is_one_line_and_loads_nothing(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    whole = gzip.compress(
        (HEADER + "\n" + "".join(f"a{i},N{i},2024-01-01\n" for i in range(20000))).encode()
    )
    path = tmp_path / "accounts.csv.gz"
    path.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(LoadError) as refused:
        load_file(store, "accounts", path)
    assert refused.value.message.startswith(f"{path}: the gzip archive is truncated or damaged")
    assert rows(store) == []


def test_a_directory_and_an_unreadable_path(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(LoadError, match=r": is a directory; name a file"):
        load_file(store, "accounts", tmp_path)
    # A socket exists and is not a file anyone can open, root included.
    sock_path = tmp_path / "s.csv"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(sock_path))
        with pytest.raises(LoadError, match=r"s\.csv: cannot be read \("):
            load_file(store, "accounts", sock_path)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_a_file_without_read_permission(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    path = tmp_path / "accounts.csv"
    path.write_text(f"{HEADER}\na1,A,2024-01-01\n", encoding="utf-8")
    path.chmod(0)
    with pytest.raises(LoadError, match=r"accounts\.csv: cannot be read \(Permission denied\)"):
        load_file(store, "accounts", path)


def test_a_utf8_byte_order_mark_keeps_the_first_column(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEADER}\na1,Caf\u00e9,2024-01-01\n".encode())
    assert load_file(store, "accounts", path).rows_inserted == 1
    assert rows(store) == [("a1", "Caf\u00e9")]


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_windows_1252_and_utf16_are_detected(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, encoding: str
) -> None:
    path = tmp_path / "accounts.csv"
    path.write_bytes(f"{HEADER}\na1,Caf\u00e9 \u20ac,2024-01-01\na2,Na\u00efve,2024-01-01\n"
                     .encode(encoding))  # fmt: skip
    assert load_file(store, "accounts", path).rows_inserted == 2
    assert rows(store) == [("a1", "Caf\u00e9 \u20ac"), ("a2", "Na\u00efve")]


def test_a_late_latin1_byte_is_a_reject_with_the_fix_and_encoding_names_it(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("outsidein.ingest.formats.SAMPLE_BYTES", 64)
    path = tmp_path / "accounts.csv"
    body = "".join(f"a{i},Name {i},2024-01-01\n" for i in range(10)).encode()
    path.write_bytes(f"{HEADER}\n".encode() + body + b"a10,Caf\xe9,2024-01-01\na11,Z,2024-01-01\n")
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (11, 1)
    assert rejects(store) == [
        (
            12,
            "not valid UTF-8 (byte 0xE9): name the file's encoding with --encoding "
            "(e.g. --encoding cp1252)",
        )
    ]
    named = load_file(store, "accounts", path, options=ReadOptions(encoding="cp1252"))
    assert named.rows_rejected == 0 and ("a10", "Caf\u00e9") in rows(store)


def test_a_10_mb_line_is_a_reject_of_that_line(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "accounts.csv"
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(f"{HEADER}\na1,Acme,2024-01-01\na2,{'x' * (10 << 20)},2024-01-01\n")
        handle.write("a3,Gamma,2024-01-01\n")
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)
    assert rejects(store) == [
        (3, "the line is 10,485,774 bytes, over the limit of 4,194,304 bytes a line; "
            "it was not read")
    ]  # fmt: skip


def test_a_line_longer_than_the_buffer_is_skipped_in_bounded_steps(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", 1 << 16)
    monkeypatch.setattr(csv_chunks, "MAX_RECORD_BYTES", 1 << 12)
    path = tmp_path / "accounts.csv"
    path.write_text(
        f"{HEADER}\na1,Acme,2024-01-01\na2,{'x' * 300_000},2024-01-01\na3,Gamma,2024-01-01\n",
        encoding="utf-8",
    )
    result = load_file(store, "accounts", path)
    assert rows(store) == [("a1", "Acme"), ("a3", "Gamma")]
    assert result.rows_rejected == 1 and rejects(store)[0][0] == 3


def test_a_100k_column_header_is_fast_and_summarised(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    names = [f"column_{i}" for i in range(100_000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join(names) + "\n" + ",".join("1" for _ in names) + "\n")
    started = time.perf_counter()
    with pytest.raises(LoadError) as refused:
        load_file(store, "accounts", path)
    assert time.perf_counter() - started < 5
    message = refused.value.message
    assert "column_0, column_1" in message and "(100,000 columns in all)" in message
    assert len(message) < 1000


names = st.text(alphabet=st.sampled_from(list('ab ,"\n\u00e9')), min_size=1, max_size=12)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(names, min_size=1, max_size=25), st.sampled_from([32, 96, 1 << 20]))
def test_any_quoted_value_round_trips_with_its_line(
    tmp_path_factory: pytest.TempPathFactory, values: list[str], chunk_bytes: int
) -> None:
    """Whatever a CSV writer quotes (quotes, commas, line breaks), each row lands as written,
    and the one bad row is rejected at the physical line it starts on."""
    folder = tmp_path_factory.mktemp("quoted")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["account_id", "name", "created_at"])
    starts = []
    for i, value in enumerate(values):
        starts.append(buffer.getvalue().count("\n") + 1)
        writer.writerow([f"a{i}", value, "2024-01-01"])
    bad_line = buffer.getvalue().count("\n") + 1
    writer.writerow(["bad", "Bad", "not a date"])
    path = folder / "accounts.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    original = csv_chunks.CHUNK_BYTES
    csv_chunks.CHUNK_BYTES = chunk_bytes
    con = connect(folder / "s.duckdb")
    try:
        result = load_file(con, "accounts", path)
        assert (result.rows_inserted, result.rows_rejected) == (len(values), 1), result.rejects
        stored = dict(con.execute("SELECT account_id, name FROM accounts").fetchall())
        assert stored == {f"a{i}": value for i, value in enumerate(values)}
        assert con.execute("SELECT line FROM rejects").fetchall() == [(bad_line,)]
    finally:
        csv_chunks.CHUNK_BYTES = original
        con.close()
