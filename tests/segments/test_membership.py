"""Saved segments and membership over time, on a real store with 60 days of history.

The step is run at noon on past days (its clock injected); afterwards the recorded membership
at any time must equal the segment recomputed on that day from the stored history (the daily
snapshot, the health history, the contracts), which is what "membership over time" promises.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest

from outsidein.errors import InvalidRequestError, NotFoundError
from outsidein.expr import ExpressionError, Type
from outsidein.segments import (
    Context,
    FieldDef,
    SegmentExistsError,
    SegmentStep,
    catalogue,
    changes,
    compile_filter,
    create_segment,
    delete_segment,
    evaluate,
    export_members,
    get_segment,
    list_segments,
    members_at,
    preview,
    refresh_membership,
    register_source,
    segment_versions,
    sizes,
    unregister_source,
    update_segment,
)
from outsidein.segments.evaluate import FilterNotComputableError
from outsidein.segments.fields import RegistryError
from tests.web.conftest import TODAY

SEGMENTS = {
    "at-risk": "health < 50",
    "busy": "events_28 >= 8 and lifecycle_status in ('active', 'renewal', 'onboarding')",
    "quiet-enterprise": "segment = 'Enterprise' and (days_since_last_activity > 14 or "
    "active_users_7 is null)",
    "pro-tiers": "custom.plan_tier in ('Pro', 'Business') and health.usage.active_users < 60",
    "renewing": "days_to_renewal <= 400 and renewal_date is not null",
}
RUN_DAYS = [TODAY - timedelta(days=d) for d in range(58, -1, -8)]


def noon(day: date) -> datetime:
    return datetime.combine(day, time(12))


def save_all(con: duckdb.DuckDBPyConnection, at: datetime) -> None:
    fields = catalogue(con)
    for sid, text in SEGMENTS.items():
        create_segment(con, sid.replace("-", " "), text, fields, segment_id=sid, at=at)


def expected(con: duckdb.DuckDBPyConnection, day: date) -> dict[str, list[str]]:
    fields = catalogue(con)
    compiled = {k: compile_filter(v, fields) for k, v in SEGMENTS.items()}
    found = evaluate(con, compiled, day, fields, Context()).to_pylist()
    out: dict[str, list[str]] = {k: [] for k in SEGMENTS}
    for row in found:
        out[row["key"]].append(row["account_id"])
    return {k: sorted(v) for k, v in out.items()}


def test_membership_over_time_reconciles_with_recomputing_at_past_dates(
    con: duckdb.DuckDBPyConnection,
) -> None:
    save_all(con, noon(RUN_DAYS[0]) - timedelta(hours=1))
    clock: list[datetime] = []
    step = SegmentStep(now=lambda: clock[-1])
    moved = 0
    for day in RUN_DAYS:
        clock.append(min(noon(day), datetime.now().replace(microsecond=0)))
        result = step.run(con)
        assert result is not None and not result.broken
        moved += result.entered + result.left
    recomputed = {day: expected(con, day) for day in RUN_DAYS}
    for i, day in enumerate(RUN_DAYS):
        want = recomputed[day]
        after = clock[i] + timedelta(hours=1)  # between this run and the next
        for sid in SEGMENTS:
            assert members_at(con, sid, after) == want[sid], (sid, day)
        if i:
            # Changes between two runs: the difference of the two days' recomputed sets.
            before = recomputed[RUN_DAYS[i - 1]]
            for sid in SEGMENTS:
                rows = changes(con, sid, clock[i - 1], clock[i])
                entered = sorted(r["account_id"] for r in rows if r["change"] == "entered")
                left = sorted(r["account_id"] for r in rows if r["change"] == "left")
                assert entered == sorted(set(want[sid]) - set(before[sid])), (sid, day)
                assert left == sorted(set(before[sid]) - set(want[sid])), (sid, day)
    first, last = recomputed[RUN_DAYS[0]], recomputed[RUN_DAYS[-1]]
    assert any(first[s] != last[s] for s in SEGMENTS)  # membership moved over the days
    assert moved > sum(len(v) for v in first.values())  # some entered later, or left
    # Before the first run nobody was a member.
    assert members_at(con, "at-risk", clock[0] - timedelta(seconds=1)) == []


def test_a_step_with_nothing_new_does_nothing_and_history_moves_forward(
    con: duckdb.DuckDBPyConnection,
) -> None:
    save_all(con, noon(TODAY) - timedelta(days=2))
    at = noon(TODAY - timedelta(days=1))
    step = SegmentStep(now=lambda: at)
    assert step.run(con) is not None
    assert step.run(con) is None  # nothing a segment reads moved
    with pytest.raises(InvalidRequestError, match="history only moves forward"):
        refresh_membership(con, at=at - timedelta(days=1))


def test_versions_are_kept_and_membership_follows_the_version_in_force(
    con: duckdb.DuckDBPyConnection,
) -> None:
    fields = catalogue(con)
    t0 = noon(TODAY - timedelta(days=3))
    made = create_segment(con, "At risk", "health < 50", fields, author="ann", at=t0)
    assert (made.segment_id, made.version, made.author) == ("at-risk", 1, "ann")
    with pytest.raises(SegmentExistsError):
        create_segment(con, "At risk", "health < 10", fields)
    refresh_membership(con, at=t0)
    wide = members_at(con, "at-risk", t0)
    same = update_segment(con, "at-risk", fields, name="At risk", at=t0 + timedelta(hours=1))
    assert same.version == 1  # nothing changed: no new version
    v2 = update_segment(con, "at-risk", fields, expression="health < 20", author="bob",
                        at=t0 + timedelta(hours=2))  # fmt: skip
    assert v2.version == 2 and get_segment(con, "at-risk", 1).expression == "health < 50"
    assert [v.expression for v in segment_versions(con, "at-risk")] == ["health < 50",
                                                                         "health < 20"]  # fmt: skip
    later = t0 + timedelta(hours=3)
    refresh_membership(con, at=later)
    narrow = members_at(con, "at-risk", later)
    assert set(narrow) < set(wide)
    left = [r["account_id"] for r in changes(con, "at-risk", t0, later) if r["change"] == "left"]
    assert sorted(left) == sorted(set(wide) - set(narrow))
    with pytest.raises(ExpressionError, match="unknown field `helth`"):
        update_segment(con, "at-risk", fields, expression="helth < 3")
    gone = t0 + timedelta(hours=4)
    delete_segment(con, "at-risk", at=gone)
    assert list_segments(con) == [] and len(list_segments(con, deleted=True)) == 1
    with pytest.raises(NotFoundError):
        get_segment(con, "at-risk")
    (still,) = con.execute(
        "SELECT count(*) FROM segment_membership WHERE segment_id = 'at-risk' AND left_at IS NULL"
    ).fetchall()[0]
    assert still == 0


def test_sizes_and_preview_agree_and_scope_to_a_book(con: duckdb.DuckDBPyConnection) -> None:
    at = noon(TODAY - timedelta(days=1))
    save_all(con, at - timedelta(hours=1))
    refresh_membership(con, at=at)
    found = sizes(con, at)
    for sid, text in SEGMENTS.items():
        live = preview(con, text, at.date(), limit=5)
        assert (found[sid].accounts, found[sid].arr) == (live.count, live.arr), sid
        mine = preview(con, text, at.date(), csm="CSM1")
        assert mine.count == sizes(con, at, csm="csm1")[sid].accounts
        assert mine.count == len(members_at(con, sid, at, csm="csm1"))
    assert found["at-risk"].accounts > 0 and found["at-risk"].arr > 0


def test_export_is_formula_safe_csv_with_the_fields_the_filter_reads(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    con.execute("UPDATE accounts SET name = '=HYPERLINK(\"x\")' WHERE account_id = 'A-0003'")
    at = noon(TODAY - timedelta(days=1))
    save_all(con, at - timedelta(hours=1))
    refresh_membership(con, at=at)
    path = tmp_path / "pro.csv"
    written = export_members(con, "pro-tiers", path, at=at)
    with path.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert written == len(rows) == len(members_at(con, "pro-tiers", at)) > 0
    assert {"account_id", "name", "custom.plan_tier", "health.usage.active_users"} <= set(rows[0])
    risky = [r for r in rows if r["account_id"] == "A-0003"]
    assert risky and risky[0]["name"].startswith("'=")


class SizeSource:
    """A field source registered from outside (as a later capability would)."""

    name = "size-test"

    def fields(self, con: duckdb.DuckDBPyConnection, context: Context) -> Sequence[FieldDef]:
        return [FieldDef("size_class", Type.TEXT, "a size class", history=False)]

    def load(
        self, con: duckdb.DuckDBPyConnection, as_of: date, names: Sequence[str], context: Context
    ) -> pa.Table:
        return con.sql(
            "SELECT account_id, CASE WHEN employees > 5000 THEN 'high' ELSE 'tech' END "
            "AS size_class FROM accounts"
        ).to_arrow_table()


def test_a_registered_source_adds_fields_every_filter_can_read(
    con: duckdb.DuckDBPyConnection,
) -> None:
    with pytest.raises(ExpressionError, match="unknown field `size_class`"):
        compile_filter("size_class = 'high'", catalogue(con))
    register_source(SizeSource())
    try:
        with pytest.raises(RegistryError):
            register_source(SizeSource())
        found = preview(con, "size_class = 'high' and segment = 'Enterprise'", TODAY)
        (want,) = con.execute(
            "SELECT count(*) FROM accounts WHERE employees > 5000 AND segment = 'Enterprise'"
        ).fetchall()[0]
        assert found.count == want > 0
    finally:
        unregister_source("size-test")
    assert "size_class" not in catalogue(con).fields


def test_a_filter_out_of_range_is_named_and_the_others_are_recorded(
    con: duckdb.DuckDBPyConnection,
) -> None:
    """``created_at + 1e300 > ...`` types, but no date is that far: the preview says so (no
    traceback) and the step records the other segments and names this one."""
    text = "created_at + 1e300 > date '2020-01-01'"
    with pytest.raises(FilterNotComputableError, match="cannot be computed"):
        preview(con, text, TODAY)
    fields = catalogue(con)
    at = noon(TODAY - timedelta(days=1))
    create_segment(con, "Far", text, fields, segment_id="far", at=at - timedelta(hours=1))
    create_segment(con, "At risk", "health < 50", fields, at=at - timedelta(hours=1))
    done = refresh_membership(con, at=at)
    assert list(done.broken) == ["far"] and done.segments == 1
    assert members_at(con, "at-risk", at) and members_at(con, "far", at) == []
