"""Discovery on small hand-built logs: counts and times worked out by hand."""

from __future__ import annotations

import math
from datetime import UTC, datetime

import numpy as np
import pyarrow as pa
import pytest

from outsidein.journey import EventLogError, dfg, from_arrays, from_frame, performance_dfg, variants
from outsidein.journey.discover import variant_codes


def t(minute: int) -> datetime:
    return datetime(2026, 1, 1, 9, minute, tzinfo=UTC)


def log_of(rows: list[tuple[str, str, int]]) -> pa.Table:
    return pa.table(
        {
            "case:concept:name": [r[0] for r in rows],
            "concept:name": [r[1] for r in rows],
            "time:timestamp": pa.array([t(r[2]) for r in rows], pa.timestamp("us", tz="UTC")),
        }
    )


# Case a: open(0) -> call(10) -> close(40); b: open(5) -> close(6); c: open(1) -> call(2),
# call(2) again at the same minute (a tie kept in input order) -> close(3).
ROWS = [
    ("a", "open", 0),
    ("b", "open", 5),
    ("a", "call", 10),
    ("c", "open", 1),
    ("c", "call", 2),
    ("c", "call", 2),
    ("b", "close", 6),
    ("a", "close", 40),
    ("c", "close", 3),
]


def test_dfg_counts_consecutive_pairs_within_a_case() -> None:
    d = dfg(from_frame(log_of(ROWS)))
    assert d.edges() == {
        ("open", "call"): 2,
        ("call", "close"): 2,
        ("open", "close"): 1,
        ("call", "call"): 1,
    }
    assert d.start == {"open": 3}
    assert d.end == {"close": 3}


def test_performance_dfg_times_in_seconds() -> None:
    p = performance_dfg(from_frame(log_of(ROWS))).edges()
    # open -> call: a 600 s, c 60 s
    assert p[("open", "call")]["mean"] == 330.0
    assert p[("open", "call")]["median"] == 330.0
    assert p[("open", "call")]["p90"] == pytest.approx(60 + 0.9 * 540)
    assert p[("open", "call")]["min"] == 60.0 and p[("open", "call")]["max"] == 600.0
    assert p[("open", "call")]["stdev"] == pytest.approx(np.std([600, 60], ddof=1))
    # call -> close: a 1800 s, c 60 s
    assert p[("call", "close")]["sum"] == 1860.0
    assert p[("call", "call")]["mean"] == 0.0
    assert math.isnan(p[("call", "call")]["stdev"])  # one occurrence: undefined, as in PM4Py


def test_variants_most_frequent_first_then_first_case() -> None:
    rows = [*ROWS, ("d", "open", 0), ("d", "close", 9)]
    v = variants(from_frame(log_of(rows)))
    assert [(x.activities, x.cases) for x in v] == [
        (("open", "close"), 2),
        (("open", "call", "close"), 1),  # case a comes before case c
        (("open", "call", "call", "close"), 1),
    ]


def test_variants_share_prefixes_and_lengths() -> None:
    """Sequences that are prefixes of each other, or equal until the last step, differ."""
    rows = [
        ("1", "x", 0), ("1", "y", 1),
        ("2", "x", 0), ("2", "y", 1), ("2", "z", 2),
        ("3", "x", 0), ("3", "y", 1), ("3", "z", 2),
        ("4", "x", 0), ("4", "y", 1), ("4", "x", 2),
        ("5", "x", 0),
    ]  # fmt: skip
    log = from_frame(log_of(rows))
    got = {v.activities: v.cases for v in variants(log)}
    assert got == {("x", "y"): 1, ("x", "y", "z"): 2, ("x", "y", "x"): 1, ("x",): 1}
    _, counts, of_case = variant_codes(log)
    assert of_case[1] == of_case[2] and counts.sum() == 5


def test_variants_on_a_random_log_match_a_dictionary_count() -> None:
    rng = np.random.default_rng(3)
    n_cases = 400
    length = rng.integers(1, 7, n_cases)
    case = np.repeat(np.arange(n_cases), length)
    act = rng.integers(0, 3, len(case))
    log = from_arrays(
        pa.array([f"c{i:04d}" for i in case]),
        pa.array([f"s{a}" for a in act]),
        pa.array(np.arange(len(case)) * 1_000_000, pa.timestamp("us")),
    )
    expected: dict[tuple[str, ...], int] = {}
    for i in range(n_cases):
        seq = tuple(f"s{a}" for a in act[case == i])
        expected[seq] = expected.get(seq, 0) + 1
    assert {v.activities: v.cases for v in variants(log)} == expected


def test_unsorted_input_is_sorted_stably() -> None:
    log = from_frame(log_of(ROWS))
    assert log.order is not None
    assert log.cases.to_pylist() == ["a", "b", "c"]
    assert np.all(np.diff(log.case) >= 0)
    sorted_rows = sorted(ROWS, key=lambda r: (r[0], r[2]))
    again = from_frame(log_of(sorted_rows))
    assert again.order is None  # already grouped and in time: no sort
    assert dfg(again).edges() == dfg(log).edges()


def test_an_empty_log_and_single_events() -> None:
    empty = from_frame(log_of([]))
    assert dfg(empty).edges() == {} and variants(empty) == []
    assert performance_dfg(empty).edges() == {}
    one = from_frame(log_of([("a", "open", 0), ("b", "open", 1)]))
    assert dfg(one).edges() == {} and dfg(one).start == {"open": 2}
    assert [(v.activities, v.cases) for v in variants(one)] == [(("open",), 2)]


def test_missing_column_and_empty_values_are_named() -> None:
    table = log_of(ROWS)
    with pytest.raises(EventLogError, match=r"no column 'activity' \(columns: case:concept"):
        from_frame(table, activity="activity")
    bad = table.set_column(1, "concept:name", pa.array(["open", None] + ["x"] * 7))
    with pytest.raises(EventLogError, match="activity column is empty on row 2"):
        from_frame(bad)
    text = table.set_column(2, "time:timestamp", pa.array(["not a time"] * 9))
    with pytest.raises(EventLogError, match="time column holds string, not timestamps"):
        from_frame(text)


def test_iso_text_times_are_read() -> None:
    table = log_of(ROWS)
    iso = [x.isoformat() for x in table.column("time:timestamp").to_pylist()]
    text = table.set_column(2, "time:timestamp", pa.array(iso))
    assert dfg(from_frame(text)).edges() == dfg(from_frame(table)).edges()


def test_a_pandas_frame_gives_the_same_log() -> None:
    table = log_of(ROWS)
    a, b = from_frame(table), from_frame(table.to_pandas())
    assert np.array_equal(a.activity, b.activity) and np.array_equal(a.time_us, b.time_us)
