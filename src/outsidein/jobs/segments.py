"""Needs-based segments: respondents grouped by how they rate the outcomes.

Each respondent of one wave is a vector of their importance and satisfaction ratings (one
pair per outcome), each column standardised (mean 0, sd 1; a missing answer is the column
mean). K-means (10 starts) runs for k = 2..8 and the k with the highest mean silhouette is
kept. Stability is Hennig's bootstrap: respondents are resampled, re-clustered, and each
segment's stability is the mean over draws of its best Jaccard match (>= 0.75 stable,
0.6-0.75 a pattern, < 0.6 not to be trusted). Segment ids are ordered by size.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score
from threadpoolctl import threadpool_limits

from outsidein.jobs.answers import answers
from outsidein.jobs.landscape import JobsQueryError, OutcomeScore, latest_survey, scores

__all__ = ["K_RANGE", "NeedsSegment", "Segmentation", "cluster", "segment_respondents"]

K_RANGE = range(2, 9)
STABILITY_DRAWS = 20
SILHOUETTE_SAMPLE = 3000  # respondents the silhouette reads at most (seeded sample)
MIN_RESPONDENTS_TO_SEGMENT = 40


@dataclass(frozen=True)
class Clustering:
    labels: NDArray[np.int64]  # per row of the matrix, 0..k-1 by size (0 largest)
    k: int
    silhouettes: dict[int, float]
    stability: list[float]  # per segment


@dataclass(frozen=True)
class NeedsSegment:
    segment: int
    respondents: int
    accounts: int
    stability: float
    underserved: list[OutcomeScore]  # opportunity >= 10, highest first
    overserved: list[OutcomeScore]  # satisfaction above importance
    top: list[OutcomeScore]  # every scored outcome, highest opportunity first
    arr: float | None
    health: float | None
    churn_rate: float | None


@dataclass(frozen=True)
class Segmentation:
    survey: str
    k: int
    criterion: str
    silhouettes: dict[int, float]
    labels: pd.Series  # respondent -> segment
    segments: list[NeedsSegment]
    note: str | None = None  # why ARR, health or churn are missing


def _matrix(frame: pd.DataFrame) -> tuple[pd.Index, NDArray[np.float64]]:
    wide = frame.pivot_table(
        index="respondent", columns="outcome_id", values=["importance", "satisfaction"]
    )
    values = wide.to_numpy(dtype=float)
    mean = np.nanmean(values, axis=0)
    values = np.where(np.isnan(values), mean, values)
    sd = values.std(axis=0)
    z = (values - values.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    return wide.index, z


def _kmeans(x: NDArray[np.float64], k: int, seed: int) -> NDArray[np.int64]:
    return np.asarray(KMeans(k, n_init=10, random_state=seed).fit_predict(x), np.int64)


def _by_size(labels: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    order = np.argsort(-np.bincount(labels, minlength=k), kind="stable")
    rank = np.empty(k, np.int64)
    rank[order] = np.arange(k)
    return rank[labels]


def cluster(x: NDArray[np.float64], *, seed: int = 0, draws: int = STABILITY_DRAWS) -> Clustering:
    """Choose k by silhouette, cluster, and measure each segment's bootstrap stability.

    One thread: on small matrices, BLAS/OpenMP threads cost twenty times the work."""
    with threadpool_limits(1):
        return _cluster(x, seed, draws)


def _cluster(x: NDArray[np.float64], seed: int, draws: int) -> Clustering:
    n = len(x)
    ks = [k for k in K_RANGE if k < n]
    if n < MIN_RESPONDENTS_TO_SEGMENT or not ks:
        raise JobsQueryError(
            f"needs segments need at least {MIN_RESPONDENTS_TO_SEGMENT} respondents; "
            f"this survey has {n}"
        )
    sample = min(n, SILHOUETTE_SAMPLE)
    fits = {k: _kmeans(x, k, seed) for k in ks}
    sil = {
        k: float(silhouette_score(x, lab, sample_size=sample, random_state=seed))
        for k, lab in fits.items()
    }
    k = max(sil, key=lambda j: (round(sil[j], 6), -j))
    labels = _by_size(fits[k], k)
    rng = np.random.default_rng(seed)
    jaccard = np.zeros((draws, k))
    for d in range(draws):
        idx = rng.integers(0, n, n)
        boot = KMeans(k, n_init=3, random_state=seed + d + 1).fit(x[idx])
        seen = np.unique(idx)
        mine, theirs = labels[seen], boot.predict(x[seen])
        for c in range(k):
            a = mine == c
            best = 0.0
            for b in range(k):
                inter = np.count_nonzero(a & (theirs == b))
                union = np.count_nonzero(a | (theirs == b))
                best = max(best, inter / union if union else 0.0)
            jaccard[d, c] = best
    return Clustering(labels, k, sil, [float(v) for v in jaccard.mean(axis=0)])


def segment_respondents(
    cur: duckdb.DuckDBPyConnection, *, survey: str | None = None, seed: int = 0
) -> tuple[str, pd.Series, Clustering]:
    """The needs segment of every respondent of ``survey`` [the latest wave]."""
    survey = survey or latest_survey(cur)
    if survey is None:
        raise JobsQueryError("there are no outcome survey answers to segment")
    frame = answers(cur, survey=survey)
    if frame.empty:
        raise JobsQueryError(f"no outcome survey is called {survey!r}")
    index, x = _matrix(frame)
    found = cluster(x, seed=seed)
    return survey, pd.Series(found.labels, index=index, name="segment"), found


def profile(
    cur: duckdb.DuckDBPyConnection,
    *,
    survey: str | None = None,
    seed: int = 0,
    accounts: pd.DataFrame | None = None,
) -> Segmentation:
    """Needs segments with their profiles. ``accounts``: ``account_id, arr, health,
    churned`` (from :func:`outsidein.jobs.business.account_facts`) for ARR, health and churn."""
    survey, labels, found = segment_respondents(cur, survey=survey, seed=seed)
    by_segment = scores(cur, by="needs", survey=survey, labels=labels)
    frame = answers(cur, survey=survey)
    owner = frame.drop_duplicates("respondent").set_index("respondent")["account_id"]
    # an account is in the segment most of its respondents are in
    acc = (
        pd.DataFrame({"account_id": owner.reindex(labels.index), "segment": labels})
        .groupby("account_id")["segment"]
        .agg(lambda s: int(s.value_counts().index[0]))
    )
    out = []
    for c in range(found.k):
        mine = [s for s in by_segment if s.group == str(c)]
        scored = [s for s in mine if s.score.enough]
        members = acc[acc == c].index
        arr = health = churn = None
        if accounts is not None and len(members):
            facts = accounts[accounts["account_id"].isin(members)]
            arr = float(facts["arr"].fillna(0).sum())
            health = None if facts["health"].isna().all() else float(facts["health"].mean())
            churn = float(facts["churned"].mean()) if len(facts) else None
        out.append(
            NeedsSegment(
                segment=c,
                respondents=int((labels == c).sum()),
                accounts=len(members),
                stability=found.stability[c],
                underserved=[s for s in scored if (s.score.opportunity or 0) >= 10],
                overserved=[s for s in scored if s.score.over_served],
                top=scored,
                arr=arr,
                health=health,
                churn_rate=churn,
            )
        )
    return Segmentation(survey, found.k, "silhouette", found.silhouettes, labels, out)


def as_of_default(cur: duckdb.DuckDBPyConnection) -> date:
    row = cur.execute("SELECT max(answered_at)::DATE FROM survey_responses").fetchone()
    return row[0] if row and row[0] else date.today()
