"""The service blueprint on a hand-built store (every figure worked out by hand) and its
command line (JSON and the SVG file)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pytest
from typer.testing import CliRunner

from outsidein.cli import app
from outsidein.errors import ConfigError
from outsidein.journey.blueprint import blueprint
from outsidein.settings.journey import JourneyConfig

MAP = JourneyConfig()


def ts(day: int, hour: int = 9) -> datetime:
    return datetime(2026, 1, day, hour)


@pytest.fixture
def shop(store: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    meta = "'test', now()::TIMESTAMP"
    for a, seg in (("b1", "SMB"), ("b2", "Enterprise")):
        store.execute(
            "INSERT INTO accounts (account_id, name, segment, created_at, source, loaded_at) "
            f"VALUES (?, ?, ?, '2025-01-01', {meta})",
            [a, a, seg],
        )
    rows = [
        # id, account, at, channel, function, stage, outcome, handed_to, direction
        ("s1", "b1", ts(1), "ticket", "support", None, "failed", "product", "inbound"),
        ("s2", "b1", ts(1, 13), "ticket", "support", None, "success", None, "outbound"),
        ("p1", "b1", ts(2), "bug_triage", "product", "service", "success", None, None),
        ("s3", "b2", ts(3), "ticket", "support", "service", "success", "billing", "inbound"),
        ("s4", "b2", ts(3, 19), "chat", "support", None, "neutral", None, None),
        ("bl1", "b2", ts(6), "payment_reminder", "billing", None, "success", None, None),
        ("x1", "b2", ts(6), "ticket", "support", "nowhere", "failed", None, None),
    ]
    rows += [(f"d{i}", "b2", ts(10 + i), "dunning_call", "billing", None,
              "failed" if i < 10 else "neutral", None, None) for i in range(12)]  # fmt: skip
    rows += [(f"m{i}", "b1", ts(1 + i), "webinar", "marketing", None, "neutral", None, None)
             for i in range(20)]  # fmt: skip
    store.executemany(
        'INSERT INTO touchpoints (touchpoint_id, account_id, "at", channel, "function", stage, '
        f"outcome, handed_to, direction, source, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, "
        f"{meta})",
        rows,
    )
    store.executemany(
        "INSERT INTO survey_responses (response_id, account_id, survey, answered_at, kind, "
        f"score, source, loaded_at) VALUES (?, ?, 'q', ?, ?, ?, {meta})",
        [("r1", "b1", ts(5), "nps", 10), ("r2", "b2", ts(20), "nps", 3),
         ("r3", "b2", ts(4), "csat", 4), ("r4", "b2", ts(4), "outcome", 2)],
    )  # fmt: skip
    return store


def test_each_measure_of_a_cell(shop: duckdb.DuckDBPyConnection) -> None:
    bp = blueprint(shop, MAP.map(), MAP.handoffs)
    assert bp.stages == ["awareness", "consideration", "acquisition", "service", "loyalty"]
    assert bp.functions == ["marketing", "support", "billing", "product"]
    assert len(bp.cells) == 4 * 5
    support = bp.cell("support", "service")
    # s1..s4 (x1's stage is in no stage of the map: left out)
    assert (support.volume, support.failed, support.failure_rate) == (4, 1, 0.25)
    # s1 -> product followed up 24 h later (limit 72 h); s3 -> billing 72 h later (limit 48 h)
    assert (support.handoffs, support.handoffs_taken, support.handoff_success) == (2, 1, 0.5)
    # inbound s1 answered by s2 after 4 h, s3 by s4 after 10 h
    assert support.inbound == 2
    assert (support.respond_median_hours, support.respond_p90_hours) == (7.0, 9.4)
    # r1 (promoter) after s1, r2 (detractor) and r3 (CSAT 4) after s3; the outcome answer not
    assert (support.answers, support.nps, support.csat) == (3, 0.0, 4.0)
    billing = bp.cell("billing", "service")
    assert (billing.volume, billing.failed, billing.answers, billing.nps) == (13, 10, 1, -100.0)
    assert bp.cell("marketing", "awareness").volume == 20  # webinar: awareness by the map
    assert bp.cell("product", "service").volume == 1
    assert bp.cell("billing", "loyalty").volume == 0
    assert bp.volume == 38 and bp.failure_rate == round(11 / 38, 4)
    # billing fails 77 % against 29 % for all cells: it breaks; nothing else has the volume
    assert [(c.function, c.stage) for c in bp.cells if c.breaks] == [("billing", "service")]
    assert billing.breaks == ["77% of touchpoints failed (all cells: 29%)"]


def test_window_and_segment(shop: duckdb.DuckDBPyConnection) -> None:
    smb = blueprint(shop, MAP.map(), MAP.handoffs, segment="SMB")
    assert smb.cell("support", "service").volume == 2
    assert smb.functions == ["marketing", "support", "product"]
    later = blueprint(shop, MAP.map(), MAP.handoffs, since=ts(3), until=ts(7))
    assert later.cell("support", "service").volume == 2  # s3, s4
    assert later.cell("marketing", "awareness").volume == 4  # days 3..6
    near = blueprint(shop, MAP.map(), MAP.handoffs, days=2)
    assert near.cell("support", "service").answers == 1  # r3, a day after s3


def test_the_command_prints_json_and_writes_the_svg(
    shop: duckdb.DuckDBPyConnection, db_path: Path, tmp_path: Path
) -> None:
    db = db_path
    shop.close()
    svg = tmp_path / "blueprint.svg"
    result = CliRunner().invoke(
        app,
        ["journey", "blueprint", "--db", str(db), "--json", "--svg", str(svg)],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    cell = next(c for c in body["cells"] if (c["function"], c["stage"]) == ("support", "service"))
    assert (cell["volume"], cell["handoff_success"], cell["breaks"]) == (4, 0.5, [])
    root = ElementTree.parse(svg).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    text = " ".join(t.text or "" for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for word in ("Service blueprint", "billing", "service", "13 !", "77% failed",
                 "billing · service: 77% of touchpoints failed"):  # fmt: skip
        assert word in text, word
    assert 'href="http' not in svg.read_text()  # nothing fetched from elsewhere
    bad = CliRunner().invoke(
        app, ["journey", "blueprint", "--db", str(db), "--svg", str(tmp_path / "no" / "b.svg")]
    )
    assert isinstance(bad.exception, ConfigError)
    assert "b.svg: cannot be written (No such file or directory)" in str(bad.exception)
