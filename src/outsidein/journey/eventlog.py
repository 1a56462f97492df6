"""An event log as integer codes: the one shape every discovery measure reads.

A log is three columns per event — case, activity, time — held as NumPy arrays of codes
(case and activity) and microseconds since the epoch (time), sorted by case and then time.
Ties (two events of a case at the same instant) keep the order they had in the input: the
sort is stable. That is the order PM4Py reads on a frame sorted stably by case and time,
so discovery answers equal its answers edge for edge and variant for variant.

Building the codes once lets the directly-follows graph, the variants and the times between
steps be a few vectorised passes (``np.bincount``, one sort) instead of group-bys over
strings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from outsidein.journey.errors import EventLogError

I64 = NDArray[np.int64]

__all__ = ["EventLog", "from_arrays", "from_frame"]


@dataclass(frozen=True)
class EventLog:
    """Events sorted by case then time (stable); codes index ``cases`` and ``activities``."""

    case: I64  # per event, index into ``cases``; non-decreasing
    activity: I64  # per event, index into ``activities``
    time_us: I64  # per event, microseconds since 1970-01-01 UTC
    cases: pa.Array  # case ids, each once
    activities: pa.Array  # activity names, each once
    order: I64 | None = None  # input row of each event, when the input was not sorted

    @property
    def n_events(self) -> int:
        return len(self.case)

    @property
    def n_cases(self) -> int:
        return len(self.cases)

    def case_starts(self) -> I64:
        """Index of each case's first event, plus ``n_events`` at the end."""
        bounds = np.flatnonzero(np.diff(self.case)) + 1
        return np.concatenate(([0], bounds, [self.n_events])).astype(np.int64)

    def same_case_next(self) -> NDArray[np.bool_]:
        """For events 0..n-2: does the next event belong to the same case?"""
        return np.asarray(self.case[1:] == self.case[:-1])


def _codes(values: pa.Array | pa.ChunkedArray, what: str) -> tuple[I64, pa.Array]:
    if values.null_count:
        row = int(pc.index(pc.is_null(values), True).as_py())
        raise EventLogError(
            f"event log: the {what} column is empty on row {row + 1}; every event needs one"
        )
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    encoded = pc.dictionary_encode(values)  # codes in order of first appearance
    indices = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64, copy=False)
    return indices, encoded.dictionary


def _case_codes(values: pa.Array | pa.ChunkedArray) -> tuple[I64, pa.Array]:
    """Case codes; for input grouped by case (the usual shape), by comparing neighbours
    instead of hashing every row: only the first id of each run is checked for repeats."""
    if isinstance(values, pa.ChunkedArray):
        values = values.combine_chunks()
    n = len(values)
    if n > 1 and not values.null_count:
        changed = pc.not_equal(values.slice(1), values.slice(0, n - 1))
        flags = changed.to_numpy(zero_copy_only=False)
        run_starts = np.concatenate(([0], np.flatnonzero(flags) + 1))
        firsts = values.take(pa.array(run_starts))
        if pc.count_distinct(firsts).as_py() == len(run_starts):
            codes = np.zeros(n, dtype=np.int64)
            codes[run_starts[1:]] = 1
            return np.cumsum(codes), firsts
    return _codes(values, "case")


def _times(values: pa.Array | pa.ChunkedArray) -> I64:
    if not pa.types.is_timestamp(values.type):
        try:
            values = pc.cast(values, pa.timestamp("us", tz="UTC"))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise EventLogError(
                f"event log: the time column holds {values.type}, not timestamps "
                f"(ISO 8601 text such as 2024-05-01T09:30:00+00:00 is read too): {exc}"
            ) from exc
    if values.null_count:
        row = int(pc.index(pc.is_null(values), True).as_py())
        raise EventLogError(
            f"event log: the time column is empty on row {row + 1}; every event needs a time"
        )
    unit = values.type.unit
    ints = pc.cast(values, pa.int64()).to_numpy(zero_copy_only=False)
    scale = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": 1}[unit]
    if unit == "ns":
        return np.asarray(ints // 1_000, dtype=np.int64)
    return np.asarray(ints * scale, dtype=np.int64)


def from_arrays(
    case: pa.Array | pa.ChunkedArray,
    activity: pa.Array | pa.ChunkedArray,
    time: pa.Array | pa.ChunkedArray,
) -> EventLog:
    """An event log from three equal-length Arrow columns, in any row order."""
    if not len(case) == len(activity) == len(time):
        raise EventLogError("event log: case, activity and time columns differ in length")
    case_code, cases = _case_codes(case)
    act_code, activities = _codes(activity, "activity")
    t = _times(time)
    n = len(case_code)
    order: I64 | None = None
    if n > 1:
        # Codes follow first appearance, so input grouped by case has non-decreasing codes.
        dc = np.diff(case_code)
        grouped = bool((dc >= 0).all())
        in_time = grouped and bool(((dc > 0) | (np.diff(t) >= 0)).all())
        if not in_time:
            order = np.lexsort((t, case_code)).astype(np.int64)  # stable: ties keep input order
            case_code, act_code, t = case_code[order], act_code[order], t[order]
    return EventLog(case_code, act_code, t, cases, activities, order)


def from_frame(
    frame: Any,
    case: str = "case:concept:name",
    activity: str = "concept:name",
    time: str = "time:timestamp",
) -> EventLog:
    """An event log from a pandas DataFrame or an Arrow table (PM4Py's column names by default)."""
    table = frame if isinstance(frame, pa.Table) else None
    columns: list[pa.Array | pa.ChunkedArray] = []
    for name in (case, activity, time):
        if table is not None:
            if name not in table.column_names:
                raise EventLogError(
                    f"event log: no column {name!r} (columns: {', '.join(table.column_names)})"
                )
            columns.append(table.column(name))
        else:
            if name not in frame.columns:
                raise EventLogError(
                    f"event log: no column {name!r} (columns: {', '.join(map(str, frame.columns))})"
                )
            columns.append(pa.array(frame[name], from_pandas=True))
    return from_arrays(*columns)
