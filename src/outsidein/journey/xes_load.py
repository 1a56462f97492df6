"""Loading an XES event log as touchpoints (the other choice is analysing it in memory:
``outsidein journey discover --xes``).

Each event becomes one touchpoint: its account is the attribute ``account_from`` (default the
trace's ``case:concept:name``), its case the attribute ``case_from`` when given, its channel
(the touchpoint type) the activity ``concept:name``, its time ``time:timestamp``, its function
the attribute ``function_from`` (``org:group``, else ``org:resource``) through ``function_map``
(``VALUE=FUNCTION``), else ``function``; its outcome ``neutral``, its note the lifecycle
transition. Touchpoint ids are ``xes-STEM-CASE-NNNNNN`` (the event's place in its trace), so a
second load of the same file replaces rather than duplicates, and events of one case at one
instant keep the file's order.

Problems in the mapping (a missing attribute, a value no function is given for) stop the load
before anything is written, naming the file, the trace, the event and the field, and the fix.
The rows then go through the touchpoints loader like any file (``load_file``): rows it refuses
(an unknown account, a time in the future) go to the rejects with their event number as line;
``add_accounts`` first creates the accounts the log names that the store lacks, and a case
attribute creates the cases the store lacks (opened at the first event, closed at the last).
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from outsidein.ingest.loader import LoadResult, load_file
from outsidein.journey.errors import EventLogError
from outsidein.journey.xes import read_xes
from outsidein.settings.journey import FUNCTION_NAMES

__all__ = ["XesLoad", "load_xes_touchpoints", "parse_function_map"]

SHOWN = 5


@dataclass(frozen=True)
class XesLoad:
    """What a load did: the events read and each table's load."""

    events: int
    accounts: LoadResult | None
    cases: LoadResult | None
    touchpoints: LoadResult


def parse_function_map(items: list[str]) -> dict[str, str]:
    """``VALUE=FUNCTION`` pairs (``--function-map``), each function one of ours."""
    out: dict[str, str] = {}
    for item in items:
        value, sep, function = item.rpartition("=")
        if not sep or not value:
            raise EventLogError(
                f"--function-map {item!r}: write VALUE=FUNCTION, e.g. Value 1=support"
            )
        if function not in FUNCTION_NAMES:
            raise EventLogError(
                f"--function-map {item!r}: {function!r} is not a function "
                f"(one of {', '.join(FUNCTION_NAMES)})"
            )
        out[value] = function
    return out


def _column(table: pa.Table, key: str, path: Path, what: str) -> pa.ChunkedArray:
    if key not in table.column_names:
        known = ", ".join(sorted(table.column_names))
        raise EventLogError(f"{path}: no attribute {key!r} ({what}) in the log; it has: {known}")
    return pc.cast(table.column(key), pa.string())


def _where(cases: list[object], positions: list[int], rows: list[int]) -> str:
    return ", ".join(f"trace {cases[r]!r} event {positions[r] + 1}" for r in rows[:SHOWN])


def _mapped(
    table: pa.Table,
    path: Path,
    account_from: str,
    case_from: str | None,
    function_from: str | None,
    function_map: Mapping[str, str],
    function: str | None,
) -> pa.Table:
    """The touchpoint rows (see the module doc), or the mapping's problems as one error."""
    if function is not None and function not in FUNCTION_NAMES:
        raise EventLogError(f"--function {function!r}: one of {', '.join(FUNCTION_NAMES)}")
    trace = _column(table, "case:concept:name", path, "the trace's name").to_pylist()
    positions: list[int] = []
    last, n = None, 0
    for t in trace:
        n = n + 1 if t == last else 0
        positions.append(n)
        last = t
    account = _column(table, account_from, path, "the account").to_pylist()
    channel = _column(table, "concept:name", path, "the activity").to_pylist()
    if "time:timestamp" not in table.column_names:
        raise EventLogError(f"{path}: no attribute 'time:timestamp' (the event's time) in the log")
    at = table.column("time:timestamp")
    if not pa.types.is_timestamp(at.type):
        raise EventLogError(f"{path}: time:timestamp does not read as dates in every event")
    missing = [
        i for i, (a, c) in enumerate(zip(account, channel, strict=True)) if a is None or c is None
    ]
    if missing:
        raise EventLogError(
            f"{path}: {len(missing):,} events lack {account_from!r} or concept:name "
            f"({_where(trace, positions, missing)}); pick another --account-from"
        )
    if function_from is None:
        function_from = next(
            (k for k in ("org:group", "org:resource") if k in table.column_names), None
        )
    values = (
        _column(table, function_from, path, "the function").to_pylist()
        if function_from is not None
        else [None] * len(trace)
    )
    functions = [function_map.get(v, function) if v is not None else function for v in values]
    unmapped = [i for i, f in enumerate(functions) if f is None]
    if unmapped:
        seen = sorted({str(values[i]) for i in unmapped})
        raise EventLogError(
            f"{path}: {len(unmapped):,} events have no function: {function_from} "
            f"{', '.join(repr(v) for v in seen[:SHOWN])}{' ...' if len(seen) > SHOWN else ''} "
            f"({_where(trace, positions, unmapped)}); map each with --function-map "
            f"'{seen[0]}=support' or give every other event one with --function support"
        )
    stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", path.name.removesuffix(".gz").removesuffix(".xes"))
    cols: dict[str, object] = {
        "touchpoint_id": [f"xes-{stem}-{t}-{p:06d}" for t, p in zip(trace, positions, strict=True)],
        "account_id": account,
        "at": pc.cast(at, pa.timestamp("us")),
        "channel": channel,
        "function": functions,
        "outcome": ["neutral"] * len(trace),
    }
    if case_from is not None:
        cols["case_id"] = _column(table, case_from, path, "the case").to_pylist()
    if "lifecycle:transition" in table.column_names:
        cols["note"] = pc.cast(table.column("lifecycle:transition"), pa.string())
    return pa.table(cols)


def load_xes_touchpoints(
    con: duckdb.DuckDBPyConnection,
    path: str | Path,
    *,
    account_from: str = "case:concept:name",
    case_from: str | None = None,
    function_from: str | None = None,
    function_map: Mapping[str, str] | None = None,
    function: str | None = None,
    add_accounts: bool = False,
) -> XesLoad:
    """Load the events of an XES file as touchpoints (see the module doc)."""
    path = Path(path)
    rows = _mapped(
        read_xes(path), path, account_from, case_from, function_from, function_map or {}, function
    )
    name = f"{path} (XES events)"
    with tempfile.TemporaryDirectory(prefix="outsidein-xes-") as tmp:
        folder = Path(tmp)
        accounts = cases = None
        if add_accounts:
            accounts = _load_new(con, folder, "accounts", _accounts(rows), name)
        if case_from is not None:
            cases = _load_new(con, folder, "cases", _cases(rows), name)
        pq.write_table(rows, folder / "touchpoints.parquet")
        touchpoints = load_file(con, "touchpoints", folder / "touchpoints.parquet", name=name)
    return XesLoad(rows.num_rows, accounts, cases, touchpoints)


def _accounts(rows: pa.Table) -> pa.Table:
    first = rows.group_by("account_id").aggregate([("at", "min")])
    ids = first.column("account_id")
    return pa.table({"account_id": ids, "name": ids, "created_at": first.column("at_min")})


def _cases(rows: pa.Table) -> pa.Table:
    kept = rows.filter(pc.is_valid(rows.column("case_id")))
    spans = kept.group_by("case_id").aggregate(
        [("account_id", "min"), ("at", "min"), ("at", "max")]
    )
    n = spans.num_rows
    return pa.table({
        "case_id": spans.column("case_id"),
        "account_id": spans.column("account_id_min"),
        "opened_at": spans.column("at_min"),
        "closed_at": spans.column("at_max"),
        "priority": ["normal"] * n,
        "status": ["closed"] * n,
    })  # fmt: skip


def _load_new(
    con: duckdb.DuckDBPyConnection, folder: Path, kind: str, table: pa.Table, name: str
) -> LoadResult | None:
    """Load the rows whose key the store lacks (stored ones are left as they are)."""
    key = table.column_names[0]
    known = {r[0] for r in con.execute(f"SELECT {key} FROM {kind}").fetchall()}
    new = table.filter(pc.invert(pc.is_in(table.column(key), pa.array(sorted(known), pa.string()))))
    if new.num_rows == 0:
        return None
    file = folder / f"{kind}.parquet"
    pq.write_table(new, file)
    return load_file(con, kind, file, name=name)
