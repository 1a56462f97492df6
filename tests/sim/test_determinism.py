"""Same seed and parameters, same bytes; another seed, another company."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from outsidein.errors import ConfigError
from outsidein.sim import SimulationSummary, simulate

from .conftest import AS_OF, run


def files(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_same_seed_gives_identical_bytes(company: SimulationSummary, tmp_path: Path) -> None:
    again = run(tmp_path / "again")
    assert again.counts == company.counts
    first, second = files(company.out), files(again.out)
    assert first.keys() == second.keys()
    for name in first:
        assert first[name] == second[name], name


def test_rerun_into_the_same_folder_replaces_the_events(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    run(out, events_per_user_day=0.3)
    small = run(out)
    assert sorted((out / "events").glob("*.parquet")) == small.event_parts


def test_another_seed_gives_another_company(company: SimulationSummary, tmp_path: Path) -> None:
    other = run(tmp_path / "other", seed=12)
    for kind in ("accounts", "subscriptions", "touchpoints"):
        mine = pq.read_table(company.paths[kind])
        theirs = pq.read_table(other.paths[kind])
        assert not mine.equals(theirs), kind


def test_event_volume_knob(tmp_path: Path) -> None:
    low = simulate(tmp_path / "low", accounts=50, months=3, as_of=AS_OF, events_per_user_day=0.05)
    high = simulate(tmp_path / "high", accounts=50, months=3, as_of=AS_OF, events_per_user_day=0.5)
    assert 5 < high.counts["events"] / low.counts["events"] < 20
    assert high.counts["accounts"] == low.counts["accounts"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"accounts": 0}, "accounts"),
        ({"months": 2}, "months"),
        ({"events_per_user_day": -1.0}, "events_per_user_day"),
    ],
)
def test_rejects_bad_parameters(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        simulate(tmp_path, as_of=AS_OF, **kwargs)  # type: ignore[arg-type]


def test_mid_month_as_of_keeps_everything_before_it(tmp_path: Path) -> None:
    as_of = date(2025, 3, 17)
    summary = simulate(tmp_path / "mid", accounts=60, months=4, as_of=as_of)
    con = duckdb.connect()
    latest = con.execute(
        f"SELECT max(\"timestamp\") FROM read_parquet('{summary.paths['events']}/*.parquet')"
    ).fetchone()
    assert latest is not None and latest[0].date() < as_of
    months = con.execute(
        f"SELECT min(month), max(month) FROM read_parquet('{summary.ground_truth['health']}')"
    ).fetchone()
    assert months == (date(2024, 12, 1), date(2025, 3, 1))
