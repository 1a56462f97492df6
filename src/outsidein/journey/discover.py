"""Process discovery on an :class:`EventLog`: directly-follows graph, times, variants.

Definitions (the same as PM4Py's, so the answers can be checked against it edge for edge):

* a directly-follows edge ``a -> b`` counts each pair of consecutive events of one case,
  ``a`` then ``b``, in the log's order (case, then time, ties in input order);
* the time of an edge occurrence is the seconds from ``a``'s time to ``b``'s; per edge we
  give mean, median, p90 (linear interpolation, NumPy's default), min, max, sum and the
  sample standard deviation (``n - 1``; NaN for a single occurrence, as PM4Py
  reports it);
* a variant is the sequence of activities of a case; variants are counted over cases and
  listed by count, most frequent first, then by their activity names.

Each is a few vectorised passes over the integer codes: ``np.bincount`` over edge codes, one
sort of ``(edge, seconds)`` keys for the medians, and cases grouped by length for variants.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from itertools import pairwise, repeat
from typing import NamedTuple

import numpy as np
from numpy.typing import NDArray

from outsidein.journey.eventlog import EventLog

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

__all__ = ["Dfg", "PerformanceDfg", "Variant", "dfg", "performance_dfg", "variants"]


@dataclass(frozen=True)
class Dfg:
    """Directly-follows edges with counts, and how often each activity starts or ends a case."""

    activities: list[str]
    source: I64  # activity code of each edge's first step
    target: I64
    count: I64
    start: dict[str, int]
    end: dict[str, int]

    def edges(self) -> dict[tuple[str, str], int]:
        acts = self.activities
        return {
            (acts[s], acts[t]): int(c)
            for s, t, c in zip(
                self.source.tolist(), self.target.tolist(), self.count.tolist(), strict=True
            )
        }


@dataclass(frozen=True)
class PerformanceDfg:
    """Per directly-follows edge, the seconds between the two steps."""

    activities: list[str]
    source: I64
    target: I64
    count: I64
    mean: F64
    median: F64
    p90: F64
    min: F64
    max: F64
    sum: F64
    stdev: F64

    def edges(self) -> dict[tuple[str, str], dict[str, float]]:
        acts = self.activities
        out: dict[tuple[str, str], dict[str, float]] = {}
        for i, (s, t) in enumerate(zip(self.source.tolist(), self.target.tolist(), strict=True)):
            out[(acts[s], acts[t])] = {
                "count": float(self.count[i]),
                "mean": float(self.mean[i]),
                "median": float(self.median[i]),
                "p90": float(self.p90[i]),
                "min": float(self.min[i]),
                "max": float(self.max[i]),
                "sum": float(self.sum[i]),
                "stdev": float(self.stdev[i]),
            }
        return out


class Variant(NamedTuple):
    """A distinct sequence of activities and the number of cases that follow it."""

    activities: tuple[str, ...]
    cases: int


def _edge_codes(log: EventLog) -> tuple[I64, NDArray[np.bool_]]:
    """Edge code ``source * n_activities + target`` of each consecutive pair in one case."""
    same = log.same_case_next()
    n_act = len(log.activities)
    code = log.activity[:-1][same] * n_act + log.activity[1:][same]
    return np.asarray(code, dtype=np.int64), same


def _ends(log: EventLog) -> tuple[dict[str, int], dict[str, int]]:
    if log.n_events == 0:
        return {}, {}
    starts = log.case_starts()
    acts = log.activities.to_pylist()
    n_act = len(acts)
    first = np.bincount(log.activity[starts[:-1]], minlength=n_act)
    last = np.bincount(log.activity[starts[1:] - 1], minlength=n_act)
    return (
        {acts[i]: int(first[i]) for i in np.flatnonzero(first)},
        {acts[i]: int(last[i]) for i in np.flatnonzero(last)},
    )


def dfg(log: EventLog) -> Dfg:
    """The directly-follows graph: each edge with its count, start and end activities."""
    acts = log.activities.to_pylist()
    n_act = len(acts)
    code, _ = _edge_codes(log) if log.n_events > 1 else (np.zeros(0, np.int64), None)
    counts = np.bincount(code, minlength=n_act * n_act)
    present = np.flatnonzero(counts)
    start, end = _ends(log)
    return Dfg(
        acts, present // n_act, present % n_act, counts[present].astype(np.int64), start, end
    )


def performance_dfg(log: EventLog) -> PerformanceDfg:
    """Seconds between consecutive steps per edge: mean, median, p90, min, max, sum, stdev."""
    acts = log.activities.to_pylist()
    n_act = len(acts)
    if log.n_events < 2:
        code = np.zeros(0, np.int64)
        gap = np.zeros(0, np.int64)
    else:
        code, same = _edge_codes(log)
        gap = np.diff(log.time_us)[same]
    counts = np.bincount(code, minlength=n_act * n_act)
    present = np.flatnonzero(counts)
    n = counts[present].astype(np.int64)
    # One sort of (edge, gap) keys puts each edge's gaps in order, edges in code order.
    lo = int(gap.min()) if len(gap) else 0
    span = (int(gap.max()) - lo + 1) if len(gap) else 1
    if len(code) and (n_act * n_act) * span < 2**62:
        key = np.sort(code * span + (gap - lo))
        values = (key % span + lo).astype(np.float64) / 1e6
    else:
        order = np.lexsort((gap, code))
        values = gap[order].astype(np.float64) / 1e6
    offset = np.concatenate(([0], np.cumsum(n)[:-1])).astype(np.int64)
    group = np.repeat(np.arange(len(n)), n)
    total = np.asarray(np.bincount(group, weights=values, minlength=len(n)), dtype=np.float64)
    mean = total / np.maximum(n, 1)
    median = (values[offset + (n - 1) // 2] + values[offset + n // 2]) / 2
    pos = 0.9 * (n - 1)
    below = np.floor(pos).astype(np.int64)
    above = np.minimum(below + 1, n - 1)
    frac = pos - below
    p90 = values[offset + below] + (values[offset + above] - values[offset + below]) * frac
    dev = values - mean[group]
    squares = np.bincount(group, weights=dev * dev, minlength=len(n))
    var = np.where(n > 1, squares / np.maximum(n - 1, 1), np.nan)
    return PerformanceDfg(
        acts,
        present // n_act,
        present % n_act,
        n,
        mean,
        median,
        p90,
        values[offset] if len(n) else np.zeros(0),
        values[offset + n - 1] if len(n) else np.zeros(0),
        total,
        np.sqrt(var),
    )


def variant_codes(log: EventLog) -> tuple[I64, I64, I64]:
    """Distinct variants: a representative case of each, its case count, each case's variant.

    A prefix tree built one position at a time: at depth ``k`` each case still running gets
    the id of its prefix (parent prefix id, activity at ``k``), renumbered densely; a case's
    variant is the prefix id where it ends. A case alone on its prefix is settled at once (no
    other case can share its sequence), so diverse logs finish in a few passes. Linear in the
    number of events.
    """
    n_cases = log.n_cases
    if log.n_events == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = log.case_starts()
    first = starts[:-1]
    length = np.diff(starts)
    n_act = max(len(log.activities), 1)
    final = np.empty(n_cases, dtype=np.int64)
    alive = np.arange(n_cases)
    node = np.zeros(n_cases, dtype=np.int64)  # prefix id of each alive case
    depth_offset = 0
    n_nodes = 1
    k = 0
    while len(alive):
        key = node * n_act + log.activity[first[alive] + k]
        new, n_nodes = _relabel(key, n_nodes * n_act)
        k += 1
        ends = length[alive] == k
        final[alive[ends]] = new[ends] + depth_offset
        depth_offset += n_nodes
        single = np.bincount(new, minlength=n_nodes)[new] == 1
        settled = single & ~ends
        final[alive[settled]] = -1 - alive[settled]  # a sequence no other case has
        stay = ~(ends | single)
        alive = alive[stay]
        node, n_nodes = _relabel(new[stay], n_nodes)
    _, rep, of_case, counts = np.unique(
        final, return_index=True, return_inverse=True, return_counts=True
    )
    return rep.astype(np.int64), counts.astype(np.int64), of_case.reshape(-1).astype(np.int64)


def _relabel(key: I64, bound: int) -> tuple[I64, int]:
    """Dense ids ``0..m-1`` for the distinct values of ``key`` (all in ``0..bound-1``)."""
    if bound <= 8 * len(key) + 65_536:
        seen = np.zeros(bound, dtype=np.bool_)
        seen[key] = True
        dense = np.cumsum(seen) - 1
        return dense[key], int(dense[-1]) + 1 if bound else 0
    uniq, inverse = np.unique(key, return_inverse=True)
    return inverse.reshape(-1), len(uniq)


def variants(log: EventLog) -> list[Variant]:
    """Each distinct activity sequence with its number of cases.

    Most frequent first; equal counts in the order of their first case in the log (cases in
    the order they first appear in the input: by case id for a frame sorted by case).
    """
    rep, counts, _ = variant_codes(log)
    if len(rep) == 0:
        return []
    order = np.lexsort((rep, -counts))
    rep, counts = rep[order], counts[order]
    starts = log.case_starts()
    first, length = starts[:-1][rep], np.diff(starts)[rep]
    # Every representative's events in one gather, names by one object-array take.
    offsets = np.concatenate(([0], np.cumsum(length)))
    idx = np.repeat(first - offsets[:-1], length) + np.arange(int(offsets[-1]))
    names = np.array(log.activities.to_pylist(), dtype=object)[log.activity[idx]].tolist()
    bounds = offsets.tolist()
    with _collector_paused():
        seqs = [tuple(names[a:b]) for a, b in pairwise(bounds)]
        # tuple.__new__(Variant, (steps, cases)) is what Variant(...) does, minus a Python frame
        pairs = zip(seqs, counts.tolist(), strict=True)
        return list(map(tuple.__new__, repeat(Variant), pairs))


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while building many small tuples: they hold
    no cycles, and its generation-0 passes over the growing list would take over half the
    time (0.6 s of 0.9 s for 97k variants). Restored on exit, whatever happens."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
