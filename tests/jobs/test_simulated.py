"""Needs segments, opportunity ranks and trends on the simulator, against its ground truth
(5 seeds; docs/jobs.md#segments)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from outsidein.ingest import load_directory
from outsidein.jobs.landscape import JobsQueryError, scores, trends
from outsidein.jobs.segments import segment_respondents
from outsidein.sim import simulate
from outsidein.store import connect

pytestmark = pytest.mark.slow

SEEDS = (1, 2, 3, 4, 5)
AS_OF = date(2026, 11, 1)
ARI: dict[int, float] = {}


@pytest.fixture(scope="module", params=SEEDS)
def company(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[int, duckdb.DuckDBPyConnection, Path]]:
    folder = tmp_path_factory.mktemp(f"needs{request.param}")
    simulate(folder / "company", accounts=500, months=12, seed=request.param,
                   as_of=AS_OF, events_per_user_day=0.0)  # fmt: skip
    con = connect(folder / "store.duckdb")
    assert sum(r.rows_rejected for r in load_directory(con, folder / "company")) == 0
    yield request.param, con, folder / "company" / "ground_truth"
    con.close()


def _truth(con: duckdb.DuckDBPyConnection, gt: Path, respondents: pd.Index) -> pd.Series:
    accounts = pd.read_parquet(gt / "accounts.parquet")[["account_id", "needs_segment"]]
    owner = con.execute(
        "SELECT DISTINCT contact_id AS respondent, account_id FROM survey_responses "
        "WHERE kind = 'outcome'"
    ).df()
    return (
        owner.merge(accounts, on="account_id")
        .set_index("respondent")["needs_segment"]
        .loc[respondents]
    )


def test_segments_recover_the_latent_ones(
    company: tuple[int, duckdb.DuckDBPyConnection, Path],
) -> None:
    seed, con, gt = company
    _survey, labels, found = segment_respondents(con)
    truth = _truth(con, gt, labels.index)
    ari = adjusted_rand_score(truth, labels)
    ARI[seed] = ari
    assert ari >= 0.7, (seed, ari)
    assert found.k == truth.nunique()
    assert min(found.stability) >= 0.75, found.stability
    if len(ARI) == len(SEEDS):
        assert sum(ARI.values()) / len(ARI) >= 0.8, ARI


def test_planted_outcomes_rank_top_for_their_segment(
    company: tuple[int, duckdb.DuckDBPyConnection, Path],
) -> None:
    _, con, gt = company
    survey, labels, _ = segment_respondents(con)
    truth = _truth(con, gt, labels.index)
    planted = json.loads((gt / "needs_segments.json").read_text())["segments"]
    by_segment = scores(con, by="needs", survey=survey, labels=labels)
    for found_segment in sorted(set(labels)):
        latent = int(truth[labels == found_segment].mode()[0])
        keys = set(planted[latent]["key_outcomes"])
        ranked = [s for s in by_segment if s.group == str(found_segment) and s.score.enough]
        top = {s.outcome_id for s in ranked[: len(keys)]}
        assert top == keys, (found_segment, planted[latent]["name"], top, keys)
        if planted[latent]["underserved"]:
            assert all(s.score.band in ("high", "extreme") for s in ranked[: len(keys)])


def test_satisfaction_rises_after_the_planted_release(
    company: tuple[int, duckdb.DuckDBPyConnection, Path],
) -> None:
    _, con, gt = company
    release = json.loads((gt / "needs_segments.json").read_text())["release"]
    served = set(release["outcomes"])
    found = trends(con)
    rose = {
        t.outcome_id for t in found if t.change.significant and (t.change.satisfaction or 0) > 0
    }
    assert served <= rose, served - rose
    others = [t for t in found if t.outcome_id not in served]
    # other outcomes hardly move: at most one in twenty by chance
    assert sum(bool(t.change.significant) for t in others) <= max(1, len(others) // 10)


def test_trends_around_the_release_day_and_by_group(
    company: tuple[int, duckdb.DuckDBPyConnection, Path],
) -> None:
    """Asked around the planted release's month, the waves either side of it are the last two;
    split by account segment, each group's respondents add up to the whole."""
    _, con, gt = company
    release = json.loads((gt / "needs_segments.json").read_text())["release"]
    day = date.fromisoformat(release["month"])  # the first day of the release's month
    whole = trends(con)
    around = trends(con, around=day)
    assert [(t.outcome_id, t.change.satisfaction) for t in around] == [
        (t.outcome_id, t.change.satisfaction) for t in whole
    ]
    split = trends(con, by="segment")
    assert len({t.group for t in split}) > 1
    for t in whole:
        parts = [s for s in split if s.outcome_id == t.outcome_id]
        assert sum(s.change.after.respondents for s in parts) == t.change.after.respondents
        assert sum(s.change.before.respondents for s in parts) == t.change.before.respondents
    with pytest.raises(JobsQueryError, match="no outcome survey wave on both sides"):
        trends(con, around=date(2000, 1, 1))
    with pytest.raises(JobsQueryError, match="cannot split trends by 'needs'"):
        trends(con, by="needs")
