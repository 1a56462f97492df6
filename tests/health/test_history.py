"""Score history: written on change only, versions never rewritten, any past time answered."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.health.history import (
    Scored,
    active_override,
    add_override,
    record_scores,
    score_at,
    scores_at,
    trend,
)
from outsidein.store import connect

T0 = datetime(2026, 1, 1, 12)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def scored(
    rows: Mapping[str, tuple[float | None, str, list[tuple[str, float]]]], card: str = "default"
) -> Scored:
    """{account: (score, band, [(measure, contribution), ...])} as the two tables."""
    scores = pa.table(
        {
            "account_id": list(rows),
            "scorecard": [card] * len(rows),
            "score": [r[0] for r in rows.values()],
            "band": [r[1] for r in rows.values()],
        }
    )
    contrib = [(a, m, c) for a, r in rows.items() for m, c in r[2]]
    contributions = pa.table(
        {
            "account_id": [c[0] for c in contrib],
            "measure": [c[1] for c in contrib],
            "raw": [c[2] * 2 for c in contrib],
            "points": [c[2] for c in contrib],
            "weight": [1.0] * len(contrib),
            "contribution": [c[2] for c in contrib],
            "missing": [False] * len(contrib),
        }
    )
    return Scored(scores, contributions)


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(tmp_path / "h.duckdb")
    c.execute(
        "INSERT INTO accounts (account_id, name, created_at, source, loaded_at) "
        "VALUES ('A', 'a', ?, 't', ?), ('B', 'b', ?, 't', ?)",
        [T0, T0, T0, T0],
    )
    yield c
    c.close()


def count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    return int(con.execute(f"SELECT count(*) FROM {table}").fetchall()[0][0])


def test_only_changes_are_written(con: duckdb.DuckDBPyConnection) -> None:
    first = {
        "A": (70.0, "green", [("usage", 50.0), ("nps", 20.0)]),
        "B": (30.0, "red", [("usage", 30.0)]),
    }
    assert record_scores(con, scored(first), config_version=1, at=day(0)) == 2
    # The same result a day later: nothing written (not a row per account per day).
    assert record_scores(con, scored(first), config_version=1, at=day(1)) == 0
    # Float noise is no change; a contribution that moved is, even with the same score.
    noisy = {**first, "A": (70.0 + 1e-9, "green", [("usage", 50.0), ("nps", 20.0)])}
    assert record_scores(con, scored(noisy), config_version=1, at=day(2)) == 0
    shifted = {**first, "A": (70.0, "green", [("usage", 40.0), ("nps", 30.0)])}
    assert record_scores(con, scored(shifted), config_version=1, at=day(3)) == 1
    moved = {**shifted, "B": (45.0, "amber", [("usage", 45.0)])}
    assert record_scores(con, scored(moved), config_version=1, at=day(4)) == 1
    assert count(con, "health_scores") == 4
    assert count(con, "health_contributions") == 2 + 1 + 2 + 1
    assert con.execute(
        "SELECT measure, contribution FROM health_contributions WHERE account_id = 'A' "
        "AND valid_from = ? ORDER BY measure",
        [day(3)],
    ).fetchall() == [("nps", 30.0), ("usage", 40.0)]


def test_a_new_version_never_rewrites_old_scores(con: duckdb.DuckDBPyConnection) -> None:
    v1 = {"A": (70.0, "green", [("usage", 70.0)]), "B": (30.0, "red", [("usage", 30.0)])}
    record_scores(con, scored(v1), config_version=1, at=day(0))
    before = con.execute("SELECT * FROM health_scores ORDER BY account_id").fetchall()
    # Version 2 changes A's result and leaves B's as it was.
    a2 = scored({"A": (55.0, "amber", [("usage", 40.0), ("nps", 15.0)])}, card="strict")
    b2 = scored({"B": (30.0, "red", [("usage", 30.0)])})
    v2 = Scored(
        pa.concat_tables([a2.scores, b2.scores]),
        pa.concat_tables([a2.contributions, b2.contributions]),
    )
    assert record_scores(con, v2, config_version=2, at=day(10)) == 1
    after = con.execute(
        "SELECT * FROM health_scores WHERE valid_from = ? ORDER BY account_id", [day(0)]
    ).fetchall()
    assert after == before
    old = score_at(con, "A", day(5))
    new = score_at(con, "A", day(10))
    assert old is not None and new is not None
    assert (old.score, old.band, old.scorecard, old.config_version) == (70.0, "green", "default", 1)
    assert (new.score, new.band, new.scorecard, new.config_version) == (55.0, "amber", "strict", 2)
    b = score_at(con, "B", day(20))
    assert b is not None and (b.config_version, b.valid_from) == (1, day(0))
    assert score_at(con, "A", day(-1)) is None
    table = scores_at(con, day(5))
    assert table.column("account_id").to_pylist() == ["A", "B"]
    assert table.column("score").to_pylist() == [70.0, 30.0]
    assert scores_at(con, day(11)).column("score").to_pylist() == [55.0, 30.0]
    assert scores_at(con, day(-1)).num_rows == 0


def test_history_only_moves_forward_and_bad_tables_are_named(
    con: duckdb.DuckDBPyConnection,
) -> None:
    record_scores(con, scored({"A": (70.0, "green", [])}), config_version=1, at=day(5))
    with pytest.raises(InvalidRequestError, match="history only moves forward"):
        record_scores(con, scored({"A": (10.0, "red", [])}), config_version=1, at=day(1))
    assert count(con, "health_scores") == 1  # the refused write left nothing behind
    bad = Scored(pa.table({"account_id": ["A"], "score": [1.0]}), scored({}).contributions)
    with pytest.raises(InvalidRequestError, match="scores: required column scorecard missing"):
        record_scores(con, bad, config_version=1, at=day(6))
    with pytest.raises(InvalidRequestError, match="outside 0-100"):
        record_scores(con, scored({"A": (101.0, "green", [])}), config_version=1, at=day(6))
    twice = scored({"A": (1.0, "red", [])})
    twice = Scored(pa.concat_tables([twice.scores, twice.scores]), twice.contributions)
    with pytest.raises(InvalidRequestError, match="appears twice"):
        record_scores(con, twice, config_version=1, at=day(6))


def test_overrides_take_precedence_while_they_last_and_are_in_the_history(
    con: duckdb.DuckDBPyConnection,
) -> None:
    record_scores(
        con, scored({"A": (70.0, "green", [("usage", 70.0)])}), config_version=3, at=day(0)
    )
    override = add_override(
        con, "A", score=20.0, band="red", reason="Champion left", author="dana",
        expires_at=day(30), at=day(10),
    )  # fmt: skip
    assert active_override(con, "A", day(9)) is None
    assert active_override(con, "A", day(10)) == override
    assert active_override(con, "A", day(30)) is None  # expired
    during = score_at(con, "A", day(15))
    assert during is not None
    assert (during.score, during.band, during.computed_score, during.computed_band) == (
        20.0, "red", 70.0, "green",
    )  # fmt: skip
    assert during.override is not None and during.override.reason == "Champion left"
    assert scores_at(con, day(15)).column("override_id").to_pylist() == [override.override_id]
    record_scores(
        con, scored({"A": (60.0, "amber", [("usage", 60.0)])}), config_version=3, at=day(20)
    )
    points = trend(con, "A", day(-5), day(40))
    assert [(p.at, p.score, p.band, p.kind) for p in points] == [
        (day(-5), None, None, "start"),
        (day(0), 70.0, "green", "computed"),
        (day(10), 20.0, "red", "override"),
        (day(30), 60.0, "amber", "override_ended"),
    ]
    # A band-only override keeps the computed score.
    add_override(con, "B", band="red", reason="r", author="a", expires_at=day(50), at=day(40))
    b = score_at(con, "B", day(41))
    assert b is not None and (b.score, b.band, b.scorecard) == (None, "red", None)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "needs a score or a band"),
        ({"score": 120.0}, "must be 0 to 100"),
        ({"band": "red", "reason": " "}, "needs a reason"),
        ({"band": "red", "author": ""}, "needs an author"),
        ({"band": "red", "expires_at": day(0)}, "must be after"),
        ({"band": "red", "expires_at": day(400)}, "more than 366 days ahead"),
    ],
)
def test_override_values_are_checked(
    con: duckdb.DuckDBPyConnection, kwargs: dict[str, object], message: str
) -> None:
    args: dict[str, object] = {"reason": "r", "author": "a", "expires_at": day(5), "at": day(0)}
    with pytest.raises(InvalidRequestError, match=message):
        add_override(con, "A", **{**args, **kwargs})  # type: ignore[arg-type]


def test_an_override_needs_a_known_account(con: duckdb.DuckDBPyConnection) -> None:
    with pytest.raises(NotFoundError, match="no account 'Z'"):
        add_override(con, "Z", band="red", reason="r", author="a", expires_at=day(5), at=day(0))
