"""Date formats: detected over the whole column, named with --format, never guessed.

The property tests render random dates in every shape detection claims and check that a
column is either read back exactly or, when M/D and D/M would disagree, refused.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from outsidein.errors import ConfigError, LoadError
from outsidein.ingest import csv_chunks, load_file
from outsidein.ingest.dates import DateDetection
from outsidein.ingest.formats import ReadOptions
from outsidein.settings.load import LoadSpec

HEADER = "account_id,name,created_at"


def created(con: duckdb.DuckDBPyConnection) -> list[tuple[str, dt.datetime]]:
    return con.execute("SELECT account_id, created_at FROM accounts ORDER BY 1").fetchall()


def write(path: Path, values: list[str]) -> Path:
    body = "".join(f"a{i},N{i},{value}\n" for i, value in enumerate(values))
    path.write_text(f"{HEADER}\n{body}", encoding="utf-8")
    return path


def test_us_dates_with_and_without_time_load(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", ["10/16/2024", "10/16/2024 14:05", "3/4/2024 09:01:02"])
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (3, 0)
    assert created(store) == [
        ("a0", dt.datetime(2024, 10, 16)),
        ("a1", dt.datetime(2024, 10, 16, 14, 5)),
        ("a2", dt.datetime(2024, 3, 4, 9, 1, 2)),
    ]


def test_day_first_dates_and_a_value_in_another_format_is_a_reject(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", ["16/10/2024", "03/04/2024", "2024-13-45"])
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (2, 1)
    assert created(store) == [("a0", dt.datetime(2024, 10, 16)), ("a1", dt.datetime(2024, 4, 3))]
    (reason,) = store.execute("SELECT reason FROM rejects WHERE line = 4").fetchall()[0]
    assert reason == (
        "does not match the column's format D/M/YYYY (detected from its values); "
        "expected every value in D/M/YYYY; fix: if the column has another format, add "
        "--format created_at=FORMAT"
    )


def test_an_ambiguous_column_is_refused_with_the_option_that_settles_it(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", ["03/04/2024", "05/06/2024 10:00", "01/01/2024"])
    with pytest.raises(LoadError) as refused:
        load_file(store, "accounts", path)
    assert refused.value.message == (
        f"{path}: column created_at: 03/04/2024 could be M/D/YYYY or D/M/YYYY (every value "
        "reads both ways): add --format created_at=%m/%d/%Y "
        "(or --format created_at=%d/%m/%Y)"
    )
    assert created(store) == []
    named = ReadOptions(formats={"created_at": "%d/%m/%Y"})
    assert load_file(store, "accounts", path, options=named).rows_inserted == 3
    assert created(store)[:2] == [
        ("a0", dt.datetime(2024, 4, 3)),
        ("a1", dt.datetime(2024, 6, 5, 10, 0)),
    ]


def test_the_whole_column_settles_what_the_first_chunk_cannot(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_chunks, "CHUNK_BYTES", 64)
    values = ["03/04/2024"] * 30 + ["25/12/2024"]
    path = write(tmp_path / "a.csv", values)
    result = load_file(store, "accounts", path)
    assert (result.rows_inserted, result.rows_rejected) == (31, 0)
    assert created(store)[0] == ("a0", dt.datetime(2024, 4, 3))


def test_epoch_seconds_and_milliseconds(store: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    load_file(store, "accounts", write(tmp_path / "s.csv", ["1700000000", "1700000001"]))
    rows = created(store)
    assert rows[0][1] == dt.datetime(2023, 11, 14, 22, 13, 20)
    path = tmp_path / "ms.csv"
    path.write_text(f"{HEADER}\nm1,M,1700000000123\n", encoding="utf-8")
    load_file(store, "accounts", path)
    assert created(store)[-1] == ("m1", dt.datetime(2023, 11, 14, 22, 13, 20, 123000))


def test_named_formats_are_checked_before_any_row(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = write(tmp_path / "a.csv", ["16.10.2024"])
    with pytest.raises(ConfigError, match=r"--format created_at=%Q: .*%Q"):
        load_file(store, "accounts", path, options=ReadOptions(formats={"created_at": "%Q"}))
    with pytest.raises(ConfigError, match=r"no date or timestamp column 'Created' in the file"):
        load_file(store, "accounts", path, options=ReadOptions(formats={"Created": "%d.%m.%Y"}))
    german = ReadOptions(formats={"created_at": "%d.%m.%Y"})
    assert load_file(store, "accounts", path, options=german).rows_inserted == 1
    assert created(store) == [("a0", dt.datetime(2024, 10, 16))]


SHAPES = {
    "iso": lambda d: d.isoformat(sep=" "),
    "iso_date": lambda d: d.date().isoformat(),
    "ymd_slash": lambda d: f"{d:%Y/%m/%d}",
    "mdy": lambda d: f"{d.month}/{d.day}/{d.year}",
    "mdy_time": lambda d: f"{d:%m/%d/%Y %H:%M}",
    "dmy": lambda d: f"{d:%d/%m/%Y}",
    "dmy_time": lambda d: f"{d:%d/%m/%Y %H:%M:%S}",
    "epoch_s": lambda d: str(int(d.replace(tzinfo=dt.UTC).timestamp())),
    "epoch_ms": lambda d: str(int(d.replace(tzinfo=dt.UTC).timestamp() * 1000)),
}
SHOWN = {  # what each shape keeps of a datetime
    "iso": lambda d: d,
    "iso_date": lambda d: dt.datetime.combine(d.date(), dt.time()),
    "ymd_slash": lambda d: dt.datetime.combine(d.date(), dt.time()),
    "mdy": lambda d: dt.datetime.combine(d.date(), dt.time()),
    "mdy_time": lambda d: d.replace(second=0),
    "dmy": lambda d: dt.datetime.combine(d.date(), dt.time()),
    "dmy_time": lambda d: d,
    "epoch_s": lambda d: d,
    "epoch_ms": lambda d: d,
}
moments = st.datetimes(min_value=dt.datetime(1990, 1, 1), max_value=dt.datetime(2035, 1, 1)).map(
    lambda d: d.replace(microsecond=0)
)


@pytest.fixture(scope="module")
def memory() -> duckdb.DuckDBPyConnection:
    return duckdb.connect()


def test_conditions_compare_dates_in_the_columns_format(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    """``--where``/``--derive`` over US dates, and ``--format`` by the file's column name
    through a map: the condition reads each value as the column's format, never as NULL."""
    path = tmp_path / "crm.csv"
    path.write_text(
        "Id,Name,Created,Closed\n"
        "a1,A,10/16/2024,12/25/2024\n"
        "a2,B,3/4/2024,\n"
        "a3,C,12/31/2023,1/2/2025\n",
        encoding="utf-8",
    )
    spec = LoadSpec(
        map={"Id": "account_id", "Name": "name", "Created": "created_at"},
        where=["Created >= 2024-01-01"],
        derive={"segment": "closed if Closed < 2025-01-01; else open"},
    )
    options = ReadOptions(formats={"Created": "%m/%d/%Y"})
    result = load_file(store, "accounts", path, transforms=spec, options=options)
    assert (result.rows_inserted, result.rows_rejected) == (2, 0)
    assert store.execute(
        "SELECT account_id, created_at, segment FROM accounts ORDER BY 1"
    ).fetchall() == [
        ("a1", dt.datetime(2024, 10, 16), "closed"),
        ("a2", dt.datetime(2024, 3, 4), "open"),
    ]
    ambiguous = tmp_path / "b.csv"
    ambiguous.write_text("Id,Name,Created,Closed\nb1,B,2024-01-01,03/04/2024\n", encoding="utf-8")
    with pytest.raises(LoadError, match=r"Closed: 03/04/2024 could be .*add --format Closed="):
        load_file(store, "accounts", ambiguous, transforms=spec)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(moments, min_size=1, max_size=30), st.sampled_from(sorted(SHAPES)))
def test_detection_reads_back_every_format_it_claims_and_refuses_ambiguity(
    memory: duckdb.DuckDBPyConnection, values: list[dt.datetime], shape: str
) -> None:
    texts = [SHAPES[shape](v) for v in values]
    memory.register("_t", pa.table({"c": texts}))
    detection = DateDetection(memory, {"created_at": "c"}, {})
    both_ways = shape.startswith(("mdy", "dmy")) and all(v.day <= 12 for v in values)
    differs = both_ways and any(v.day != v.month for v in values)
    try:
        formats = detection.detect("_t", lambda: iter(()), "f.csv")
    except LoadError as exc:
        assert differs, exc.message  # refused only when the column truly reads two ways
        return
    assert not differs, f"accepted an ambiguous column {texts} as {formats}"
    fmt = formats.get("created_at")
    expr = fmt.timestamp_sql("c") if fmt else "TRY_CAST(c AS TIMESTAMP)"
    read = [row[0] for row in memory.execute(f"SELECT {expr} FROM _t").fetchall()]
    assert read == [SHOWN[shape](v) for v in values], (shape, fmt)
