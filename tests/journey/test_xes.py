"""The XES reader: attributes, types, nesting, gzip, and clear errors on bad files."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from outsidein.journey import EventLogError, dfg, from_frame, read_xes, variants

XES = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1.0" xmlns="http://www.xes-standard.org/">
  <global scope="event"><string key="concept:name" value="UNKNOWN"/></global>
  <float key="meta" value="1.5"><float key="nested" value="2"/></float>
  <trace>
    <string key="concept:name" value="T1"/>
    <event>
      <string key="concept:name" value="open"/>
      <date key="time:timestamp" value="2026-01-01T10:00:00.500+02:00"/>
      <int key="cost" value="3"/>
      <boolean key="urgent" value="true"/>
      <list key="tags"><values><string key="tag" value="x"/></values></list>
    </event>
    <event>
      <string key="concept:name" value="close"/>
      <date key="time:timestamp" value="2026-01-01T09:00:00Z"/>
      <string key="org:resource" value="ann"/>
    </event>
    <int key="size" value="2"/>
  </trace>
  <trace>
    <string key="concept:name" value="T2"/>
    <event>
      <string key="concept:name" value="open"/>
      <date key="time:timestamp" value="2026-01-02T08:00:00+00:00"/>
      <int key="cost" value="n/a"/>
    </event>
  </trace>
</log>
"""


def write(tmp_path: Path, text: str, gz: bool = True) -> Path:
    path = tmp_path / ("log.xes.gz" if gz else "log.xes")
    data = text.encode()
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def test_events_traces_and_types(tmp_path: Path) -> None:
    table = read_xes(write(tmp_path, XES))
    assert table.num_rows == 3
    assert table.column("case:concept:name").to_pylist() == ["T1", "T1", "T2"]
    assert table.column("concept:name").to_pylist() == ["open", "close", "open"]
    assert table.column("case:size").to_pylist() == [2, 2, None]
    assert table.column("time:timestamp").to_pylist() == [
        datetime(2026, 1, 1, 8, 0, 0, 500_000, tzinfo=UTC),
        datetime(2026, 1, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 1, 2, 8, 0, tzinfo=UTC),
    ]
    assert table.column("urgent").to_pylist() == [True, None, None]
    assert table.column("org:resource").to_pylist() == [None, "ann", None]
    # "n/a" does not read as an int: the column stays text, nothing is lost
    assert table.column("cost").type == pa.string()
    assert table.column("cost").to_pylist() == ["3", None, "n/a"]
    assert "tag" not in table.column_names and "nested" not in table.column_names


def test_plain_xes_and_discovery(tmp_path: Path) -> None:
    table = read_xes(write(tmp_path, XES, gz=False))
    assert dfg(from_frame(table)).edges() == {("open", "close"): 1}


def test_bad_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(EventLogError, match="no such XES file"):
        read_xes(tmp_path / "missing.xes")
    broken = write(tmp_path, XES.replace("</trace>\n  <trace>", "</trace>\n  <trace"), gz=False)
    with pytest.raises(EventLogError, match=r"log.xes: not well-formed XML at line \d+, column"):
        read_xes(broken)
    other = write(tmp_path, "<?xml version='1.0'?><html><body/></html>", gz=False)
    with pytest.raises(EventLogError, match=r"not an XES log \(the root element is <html>"):
        read_xes(other)
    truncated = tmp_path / "cut.xes.gz"
    truncated.write_bytes(gzip.compress(XES.encode())[:60])
    with pytest.raises(EventLogError, match=r"cut\.xes\.gz"):
        read_xes(truncated)


@pytest.mark.slow  # reads both reference logs (~10 s on a quiet machine)
def test_reference_logs_have_their_published_sizes(helpdesk: pa.Table, bpic2012: pa.Table) -> None:
    """Sizes from the data sets' README (4TU.ResearchData)."""
    for table, events, cases, activities, n_variants in (
        (helpdesk, 21_348, 4_580, 14, 226),
        (bpic2012, 262_200, 13_087, 24, 4_366),
    ):
        log = from_frame(table)
        assert (log.n_events, log.n_cases, len(log.activities)) == (events, cases, activities)
        assert len(variants(log)) == n_variants
