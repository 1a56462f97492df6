"""Journey discovery against PM4Py (goal: DFG, variants and performance DFG >= 5x faster).

Two logs, each one in-memory pandas frame (PM4Py's column names, sorted stably by case and
time) that both sides start from:

* a synthetic log of ``--events`` events in ``--cases`` cases (default 1M events, 100k cases):
  20 activities walked as a Markov chain, seconds between steps drawn per activity, one step
  in 20 at the same instant as the one before (ties);
* BPIC 2012 (``../shared/data/eventlogs/bpic2012.xes.gz``, 262,200 events, 13,087 cases).

Each timed operation starts from the frame: ours is ``from_frame`` (codes, order check) plus
the measure; PM4Py's is ``pm4py.discover_dfg``, ``pm4py.get_variants`` and
``pm4py.discover_performance_dfg``. After timing, the answers are compared: edges and counts
equal, variants and counts equal, times within 1e-9 relative (PM4Py's pandas sums and ours
add in different orders). Reading the XES files (ours: :func:`outsidein.journey.read_xes`;
PM4Py: ``pm4py.read_xes`` with its defaults) is reported too, with no goal. Times are medians
of ``--repeat`` runs, the two sides alternating, as wall time and as this process's CPU time
(steadier than wall time on a shared, loaded machine).

    .venv/bin/python bench/bench_journey.py [--events 1000000] [--cases 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from outsidein.journey import dfg, from_frame, performance_dfg, read_xes, variants

EVENTLOGS = Path(
    os.environ.get(
        "OUTSIDEIN_EVENTLOGS",
        Path(__file__).resolve().parents[1].parent / "shared" / "data" / "eventlogs",
    )
)
N_ACTIVITIES = 20


def synthetic_frame(events: int, cases: int, seed: int = 7) -> pd.DataFrame:
    """A log of exactly ``events`` events in ``cases`` cases, sorted by case and time."""
    rng = np.random.default_rng(seed)
    length = rng.multinomial(events - cases, np.full(cases, 1 / cases)) + 1
    # A sparse-ish Markov chain: each activity goes to 4 likely next ones.
    probs = rng.dirichlet(np.full(N_ACTIVITIES, 0.3), N_ACTIVITIES)
    cum = np.cumsum(probs, axis=1)
    starts = np.concatenate(([0], np.cumsum(length)[:-1]))
    act = np.empty(events, dtype=np.int64)
    act[starts] = rng.integers(0, 3, cases)  # three ways in
    for k in range(1, int(length.max())):
        alive = np.flatnonzero(length > k)
        prev = act[starts[alive] + k - 1]
        u = rng.random(len(alive))[:, None]
        act[starts[alive] + k] = np.minimum((u > cum[prev]).sum(axis=1), N_ACTIVITIES - 1)
    scale = rng.uniform(60, 5 * 86_400, N_ACTIVITIES)
    gap = (rng.exponential(1.0, events) * scale[act]).astype(np.int64)
    gap[rng.random(events) < 0.05] = 0
    first = rng.integers(1_600_000_000, 1_630_000_000, cases)
    gap[starts] = first
    case_of = np.repeat(np.arange(cases), length)
    seconds = np.cumsum(gap) - np.repeat(np.cumsum(gap)[starts] - first, length)
    names = np.array([f"Step {i:02d}" for i in range(N_ACTIVITIES)], dtype=object)
    case_ids = np.array([f"C{i:07d}" for i in range(cases)], dtype=object)
    return pd.DataFrame(
        {
            "case:concept:name": pd.array(case_ids[case_of], dtype="str"),
            "concept:name": pd.array(names[act], dtype="str"),
            "time:timestamp": pd.to_datetime(seconds, unit="s", utc=True).as_unit("us"),
        }
    )


def bpic_frame() -> pd.DataFrame:
    df = read_xes(EVENTLOGS / "bpic2012.xes.gz").to_pandas()
    return df.sort_values(["case:concept:name", "time:timestamp"], kind="stable").reset_index(
        drop=True
    )


def timed(fn: Callable[[], Any], repeat: int) -> tuple[float, float, Any]:
    """Median wall and CPU seconds of ``repeat`` runs, and the last answer."""
    wall, cpu = [], []
    out = None
    for _ in range(repeat):
        w0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return statistics.median(wall), statistics.median(cpu), out


def same_perf(ours: dict[Any, dict[str, float]], theirs: dict[Any, dict[str, Any]]) -> bool:
    if set(ours) != set(theirs):
        return False
    for edge, stats in theirs.items():
        for stat in ("mean", "median", "min", "max", "sum", "stdev"):
            a, b = ours[edge][stat], float(stats[stat])
            if math.isnan(b):
                if not math.isnan(a):
                    return False
            elif not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9):
                return False
    return True


def compare(name: str, frame: pd.DataFrame, repeat: int) -> list[str]:
    import pm4py

    rows = []
    ops: list[tuple[str, Callable[[], Any], Callable[[], Any], Callable[[Any, Any], bool]]] = [
        (
            "directly-follows graph",
            lambda: dfg(from_frame(frame)),
            lambda: pm4py.discover_dfg(frame),
            lambda o, t: o.edges() == dict(t[0]) and o.start == t[1] and o.end == t[2],
        ),
        (
            "variants",
            lambda: variants(from_frame(frame)),
            lambda: pm4py.get_variants(frame),
            lambda o, t: (
                {v.activities: v.cases for v in o} == {tuple(k): int(n) for k, n in t.items()}
            ),
        ),
        (
            "performance DFG",
            lambda: performance_dfg(from_frame(frame)),
            lambda: pm4py.discover_performance_dfg(frame),
            lambda o, t: same_perf(o.edges(), t[0]),
        ),
    ]
    for op, ours, theirs, equal in ops:
        # Alternate the two sides so that a burst of load on the shared machine hits both.
        runs: dict[str, list[tuple[float, float]]] = {"ours": [], "theirs": []}
        a = b = None
        for _ in range(repeat):
            w, c, a = timed(ours, 1)
            runs["ours"].append((w, c))
            w, c, b = timed(theirs, 1)
            runs["theirs"].append((w, c))
        ok = equal(a, b)
        ow, oc = (statistics.median(x) for x in zip(*runs["ours"], strict=True))
        tw, tc = (statistics.median(x) for x in zip(*runs["theirs"], strict=True))
        rows.append(
            f"| {name} | {op} | {ow:.3f} s ({oc:.3f} s CPU) | {tw:.3f} s ({tc:.3f} s CPU) "
            f"| {tw / ow:.1f}x ({tc / oc:.1f}x CPU) | {'identical' if ok else 'DIFFERENT'} |"
        )
        print(rows[-1], flush=True)
    return rows


def xes_rows() -> list[str]:
    import pm4py

    rows = []
    for name in ("helpdesk", "bpic2012"):
        path = EVENTLOGS / f"{name}.xes.gz"
        t_ours, c_ours, table = timed(lambda p=path: read_xes(p), 1)
        t_theirs, c_theirs, df = timed(lambda p=path: pm4py.read_xes(str(p)), 1)
        rows.append(
            f"| {name} | read XES ({table.num_rows:,} events; PM4Py {len(df):,}) "
            f"| {t_ours:.2f} s ({c_ours:.2f} s CPU) | {t_theirs:.2f} s ({c_theirs:.2f} s CPU) "
            f"| {t_theirs / t_ours:.1f}x ({c_theirs / c_ours:.1f}x CPU) | no goal |"
        )
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--no-xes", action="store_true", help="skip the XES reading rows")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f}")
    print("| log | measure | Outside-In | PM4Py | ratio | answers |")
    print("|---|---|---|---|---|---|")
    synth = synthetic_frame(args.events, args.cases)
    label = f"synthetic {len(synth):,} events, {args.cases:,} cases"
    compare(label, synth, args.repeat)
    del synth
    compare("BPIC 2012", bpic_frame(), args.repeat)
    if not args.no_xes:
        xes_rows()
    print(f"load average {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
