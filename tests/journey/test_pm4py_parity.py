"""Our discovery equals PM4Py's on the reference logs, edge for edge and variant for variant.

PM4Py (AGPL) is a test-time reference only (a dev dependency; `make test` installs it). It
reads a pandas frame sorted stably by case and time, every lifecycle transition kept as its
defaults do (the activity is ``concept:name`` alone). Tie order: events of one case at the
same instant keep their order in the file, on both sides.
"""

from __future__ import annotations

import math

import pandas as pd
import pm4py  # a dev dependency (make install): these tests must run, never skip
import pyarrow as pa
import pytest

from outsidein.journey import dfg, from_frame, performance_dfg, variants

pytestmark = [pytest.mark.pm4py, pytest.mark.slow]

LOGS = ("helpdesk", "bpic2012")
STATS = ("mean", "median", "min", "max", "sum", "stdev")


@pytest.fixture(scope="module", params=LOGS)
def frame(request: pytest.FixtureRequest) -> pd.DataFrame:
    table: pa.Table = request.getfixturevalue(request.param)
    df = table.to_pandas()
    return df.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(
        drop=True
    )


def test_dfg_equals_pm4py(frame: pd.DataFrame) -> None:
    ours = dfg(from_frame(frame))
    edges, start, end = pm4py.discover_dfg(frame)
    assert ours.edges() == dict(edges)
    assert ours.start == dict(start)
    assert ours.end == dict(end)


def test_variants_equal_pm4py(frame: pd.DataFrame) -> None:
    ours = {v.activities: v.cases for v in variants(from_frame(frame))}
    theirs = {tuple(k): int(n) for k, n in pm4py.get_variants(frame).items()}
    assert ours == theirs


def test_performance_dfg_equals_pm4py(frame: pd.DataFrame) -> None:
    ours = performance_dfg(from_frame(frame)).edges()
    theirs, _, _ = pm4py.discover_performance_dfg(frame)
    assert set(ours) == set(theirs)
    for edge, stats in theirs.items():
        for stat in STATS:
            a, b = ours[edge][stat], float(stats[stat])
            if math.isnan(b):
                assert math.isnan(a), (edge, stat)
            else:
                assert a == pytest.approx(b, rel=1e-9, abs=1e-9), (edge, stat)


def test_unsorted_frame_gives_the_same_answers(frame: pd.DataFrame) -> None:
    """Shuffled rows, sorted again by us (stable): ties in the shuffled order, same answers
    as PM4Py on the same shuffled frame sorted stably."""
    shuffled = frame.sample(frac=1.0, random_state=7).reset_index(drop=True)
    ours = from_frame(shuffled)
    assert ours.order is not None
    resorted = shuffled.sort_values(["case:concept:name", "time:timestamp"], kind="stable")
    edges, _, _ = pm4py.discover_dfg(resorted)
    assert dfg(ours).edges() == dict(edges)
    theirs = {tuple(k): int(n) for k, n in pm4py.get_variants(resorted).items()}
    assert {v.activities: v.cases for v in variants(ours)} == theirs
