"""Journey state and interruptions against the simulator's planted truth
(ground_truth/stages.parquet and ground_truth/interruptions.parquet).

Run with ``-s`` to see the figures (docs/journey.md quotes them).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterator
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from outsidein.config import OutsideInConfig
from outsidein.ingest.directory import load_directory
from outsidein.journey.breaks import KINDS, aggregate, find_breaks
from outsidein.journey.state import LEFT, StageEntry, journey_states, stage_at
from outsidein.settings.journey import JourneyConfig
from outsidein.sim import SimulationSummary, simulate
from outsidein.store import connect

AS_OF = date(2025, 7, 1)
END = datetime(2025, 7, 1)
# floors just below the figures measured (seed 21, 300 accounts, 12 months): agreement 1.000,
# ping-pong, chasing and repeat contacts recall 1.000 and precision 1.000
AGREEMENT_FLOOR = 0.99
RECALL_FLOOR = 0.97
PRECISION_FLOOR = 0.97


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[SimulationSummary, Path]]:
    root = tmp_path_factory.mktemp("journey_state")
    summary = simulate(
        root / "company", accounts=300, months=12, seed=21, as_of=AS_OF, events_per_user_day=0.01
    )
    db = root / "store.duckdb"
    con = connect(db)
    try:
        assert sum(r.rows_rejected for r in load_directory(con, summary.out)) == 0
    finally:
        con.close()
    yield summary, db


@pytest.fixture
def con(company: tuple[SimulationSummary, Path]) -> Iterator[duckdb.DuckDBPyConnection]:
    c = connect(company[1], read_only=True)
    yield c
    c.close()


def _company_config() -> OutsideInConfig:
    """The simulated company's outsidein.toml (its currency rates)."""
    from outsidein.sim.settings import company_config

    return OutsideInConfig.model_validate(tomllib.loads(company_config()))


def _truth_at(rows: list[dict[str, Any]], t: datetime) -> str | None:
    """The simulator's state at ``t``: left between ``left`` and ``back``, else the stage."""
    current: str | None = None
    reached: str | None = None
    for r in rows:
        if r["entered_at"] > t:
            break
        if r["stage"] == LEFT:
            current = LEFT
        elif r["stage"] == "back":
            current = reached
        else:
            reached = r["stage"]
            current = current if current == LEFT else r["stage"]
    return current


def test_stages_agree_with_the_simulators_stage_truth(
    company: tuple[SimulationSummary, Path], con: duckdb.DuckDBPyConnection
) -> None:
    truth: dict[str, list[dict[str, Any]]] = {}
    for r in pq.read_table(company[0].ground_truth["stages"]).to_pylist():
        truth.setdefault(r["account_id"], []).append(r)
    states = journey_states(con, JourneyConfig().map(), END)
    created = dict(con.execute("SELECT account_id, created_at FROM accounts").fetchall())
    # the 1st and 15th of the window's last six months
    days = [datetime(2025, m, d) for m in range(1, 7) for d in (1, 15)]
    pairs = agree = 0
    for t in days:
        for a, st in states.items():
            if created[a] >= t:
                continue
            ours, true = stage_at(st.history, t), _truth_at(truth.get(a, []), t)
            if ours is None and true is None:
                continue
            pairs += 1
            agree += ours == true
    share = agree / pairs
    print(f"stage agreement: {agree} of {pairs} account-days, {share:.3f}")
    assert pairs > 2000
    assert share >= AGREEMENT_FLOOR
    # every stage of the map and the churned are seen
    seen = {e.stage for st in states.values() for e in st.history}
    assert seen >= {"awareness", "consideration", "acquisition", "service", "loyalty", LEFT}


def test_state_reads_nothing_after_as_of(con: duckdb.DuckDBPyConnection) -> None:
    early = datetime(2025, 1, 1)
    now = journey_states(con, JourneyConfig().map(), END)
    then = journey_states(con, JourneyConfig().map(), early)
    assert set(then) <= set(now)
    for a, st in then.items():
        assert all(e.at < early for e in st.history)
        # the past of today's history is the history as it was then
        assert st.history == tuple(e for e in now[a].history if e.at < early)
        if st.history:
            assert st.days_in_stage == pytest.approx((early - st.history[-1].at).days, abs=1)


def test_the_eight_step_map_gives_its_own_stages(con: duckdb.DuckDBPyConnection) -> None:
    states = journey_states(con, JourneyConfig(preset="eight").map(), END)
    seen = {st.stage for st in states.values()}
    assert {"onboarding", "renewal"} & seen
    assert not seen & {"acquisition", "loyalty"}


def _recall_precision(planted: set[str], found: set[str]) -> tuple[float, float]:
    hit = len(planted & found)
    return hit / len(planted), hit / len(found) if found else 0.0


@pytest.mark.parametrize("kind", ["ping_pong", "chasing", "repeat_contact"])
def test_planted_interruptions_are_found_by_id(
    company: tuple[SimulationSummary, Path], con: duckdb.DuckDBPyConnection, kind: str
) -> None:
    truth = pq.read_table(company[0].ground_truth["interruptions"]).to_pylist()
    planted = {t["truth_id"] for t in truth if t["kind"] == kind}
    assert len(planted) >= 20, f"too few planted {kind} to judge"
    found = find_breaks(con, JourneyConfig(), END, days=400, kinds=[kind])
    ids = {i.ref for i in found.items}
    recall, precision = _recall_precision(planted, ids)
    print(f"{kind}: {len(planted)} planted, {len(ids)} found, recall {recall:.3f}, "
          f"precision {precision:.3f}")  # fmt: skip
    assert recall >= RECALL_FLOOR
    assert precision >= PRECISION_FLOOR
    assert all(i.evidence and i.case_id for i in found.items)


def test_every_kind_is_found_with_its_stage_and_function(con: duckdb.DuckDBPyConnection) -> None:
    found = find_breaks(con, JourneyConfig(), END, days=400)
    kinds = {i.kind for i in found.items}
    assert kinds >= set(KINDS) - {"no_owner"}, kinds
    assert all(i.stage is not None and i.function for i in found.items)
    assert [i.at for i in found.items] == sorted(i.at for i in found.items)
    assert all(found.since <= i.at < END for i in found.items)
    assert found.fcr is not None and 0.5 < found.fcr < 1.0
    print(f"first-contact resolution: {found.first_contact} of {found.cases_closed} "
          f"({found.fcr:.3f})")  # fmt: skip
    table = aggregate(found.items)
    assert sum(int(r["total"]) for r in table) == len(found.items)  # type: ignore[call-overload]


def test_ping_pong_threshold_is_configurable(con: duckdb.DuckDBPyConnection) -> None:
    """The planted cases move four times: more than 2 (the default) and 3, not more than 4."""
    three = JourneyConfig.model_validate({"interruptions": {"ping_pong_moves": 3}})
    four = JourneyConfig.model_validate({"interruptions": {"ping_pong_moves": 4}})
    default = find_breaks(con, JourneyConfig(), END, days=400, kinds=["ping_pong"]).items
    assert default and {i.ref for i in default} == {
        i.ref for i in find_breaks(con, three, END, days=400, kinds=["ping_pong"]).items
    }
    assert all("4 times" in i.evidence for i in default)
    assert find_breaks(con, four, END, days=400, kinds=["ping_pong"]).items == []


def test_interruptions_are_as_of_their_day(con: duckdb.DuckDBPyConnection) -> None:
    """Nothing dated on or after as_of is read: the past window gives the same answers
    whatever happened after it (apart from what is still open, which it cannot know)."""
    early = datetime(2025, 3, 1)
    then = find_breaks(con, JourneyConfig(), early, days=60)
    now = find_breaks(con, JourneyConfig(), END, days=200)
    assert then.items and all(i.at < early for i in then.items)
    stable = {"failed_touchpoint", "repeat_contact", "chasing", "ping_pong"}
    past = {(i.kind, i.ref) for i in then.items if i.kind in stable}
    later = {(i.kind, i.ref) for i in now.items if i.kind in stable and i.at < early}
    assert past == {x for x in later if x in past} and past <= later


def test_a_stall_is_beyond_the_p90_of_comparable_stays(con: duckdb.DuckDBPyConnection) -> None:
    low = JourneyConfig.model_validate({"interruptions": {"stall_percentile": 50}})
    stalls = find_breaks(con, low, END, days=3650, kinds=["stall"]).items
    strict = find_breaks(con, JourneyConfig(), END, days=3650, kinds=["stall"]).items
    assert len(stalls) > len(strict)
    assert all(s.open and "p50" in s.evidence for s in stalls)


def test_stage_at_reads_the_history() -> None:
    h = (StageEntry("a", datetime(2025, 1, 1)), StageEntry("b", datetime(2025, 2, 1)))
    assert stage_at(h, datetime(2024, 12, 31)) is None
    assert stage_at(h, datetime(2025, 1, 15)) == "a"
    assert stage_at(h, datetime(2025, 2, 1)) == "b"
    assert stage_at(h, datetime(2025, 2, 1) + timedelta(days=300)) == "b"


def test_the_journey_fields_are_health_inputs_as_of_their_day(
    con: duckdb.DuckDBPyConnection,
) -> None:
    from outsidein.health.inputs import inputs_at

    day = date(2025, 3, 31)
    table = inputs_at(con, day, config=_company_config().analytics).to_pylist()
    found = find_breaks(con, JourneyConfig(), datetime(2025, 4, 1), days=30)
    per_account: dict[str, int] = {}
    for i in found.items:
        per_account[i.account_id] = per_account.get(i.account_id, 0) + 1
    assert sum(per_account.values()) > 20
    for row in table:
        assert row["interruptions_30d"] == per_account.get(row["account_id"], 0)
        st = found.states[row["account_id"]]
        assert row["journey_stage"] == st.stage
    assert {r["journey_stage"] for r in table} >= {"service", "loyalty", LEFT}
    assert any((r["open_interruptions"] or 0) > 0 for r in table)


def test_a_playbook_fires_once_per_interruption(
    company: tuple[SimulationSummary, Path], tmp_path: Path
) -> None:
    import shutil

    from outsidein.config import parse_config
    from outsidein.playbooks import run_playbooks
    from outsidein.sim.settings import company_config
    from outsidein.tasks import list_tasks

    db = tmp_path / "store.duckdb"
    shutil.copy(company[1], db)
    book = {
        "name": "chased",
        "cooldown_days": 0,
        "actions": [{"kind": "task", "title": "The customer chased us"}],
        "trigger": {"kind": "journey_interruption", "kinds": ["chasing"], "within_days": 60},
    }
    raw = tomllib.loads(company_config())
    cfg = parse_config({**raw, "playbooks": {"playbooks": [book]}}, "test")
    c = connect(db)
    try:
        found = find_breaks(c, JourneyConfig(), END, days=60, kinds=["chasing"]).items
        expected = {i.account_id for i in found}
        # The engine fires a playbook at most once per account and run: an account chasing
        # twice gets its second task on the next run, and then nothing fires again.
        runs = [run_playbooks(c, cfg, now=END + timedelta(minutes=5 * k)) for k in range(4)]
        opened = {t.account_id for t in list_tasks(c, now=END).items}
    finally:
        c.close()
    assert expected and opened == expected
    assert runs[0].firings == len(expected)
    assert sum(r.firings for r in runs) == len(found) and runs[-1].firings == 0


def test_the_cli_prints_and_refuses_an_unknown_kind(
    company: tuple[SimulationSummary, Path],
) -> None:
    from typer.testing import CliRunner

    from outsidein.cli import app

    db = ["--db", str(company[1]), "--as-of", "2025-06-30"]
    ok = CliRunner().invoke(app, ["journey", "interruptions", "--kind", "chasing", *db])
    assert ok.exit_code == 0, ok.output
    assert "chasing" in ok.output and "first-contact resolution" in ok.output
    state = CliRunner().invoke(app, ["journey", "state", "--stage", "loyalty", "--top", "3", *db])
    assert state.exit_code == 0 and "loyalty" in state.output, state.output
    bad = CliRunner().invoke(app, ["journey", "interruptions", "--kind", "nope", *db])
    assert bad.exit_code != 0 and "ping_pong" in bad.output


def test_the_configured_map_reaches_health_segments_and_playbooks(
    company: tuple[SimulationSummary, Path], tmp_path: Path
) -> None:
    """A `[journey]` section in force (here: ping-pong only past 50 moves) is what the health
    inputs, the segment fields and the journey trigger count with, not the default map."""
    import shutil

    from outsidein.health.backtest import backtest
    from outsidein.health.service import score_fn_for, score_now
    from outsidein.playbooks import run_playbooks
    from outsidein.playbooks.facts import gather
    from outsidein.predict.features import features_at
    from outsidein.segments import Context

    db = tmp_path / "store.duckdb"
    shutil.copy(company[1], db)
    from outsidein.sim.settings import company_config

    raw = tomllib.loads(company_config())
    strict = {**raw, "journey": {"interruptions": {"ping_pong_moves": 50}}}
    book = {
        "name": "passed-around",
        "cooldown_days": 0,
        "actions": [{"kind": "task", "title": "Passed between teams"}],
        "trigger": {"kind": "journey_interruption", "kinds": ["ping_pong"], "within_days": 365},
    }
    c = connect(db)
    try:
        default = _parse({**raw, "playbooks": {"playbooks": [book]}})
        custom = _parse({**strict, "playbooks": {"playbooks": [book]}})
        assert Context.of(custom).journey == custom.journey
        for cfg in (default, custom):  # the facts the rules read carry the map in force
            facts = gather(c, END, config=cfg.analytics, journey=cfg.journey)
            assert facts.journey == cfg.journey
        counted = {
            name: sum(v or 0 for v in gather(c, END, config=cfg.analytics, journey=cfg.journey)
                      .column("open_interruptions"))
            for name, cfg in (("default", default), ("custom", custom))
        }  # fmt: skip
        assert counted["custom"] < counted["default"]
        assert run_playbooks(c, custom, now=END).firings == 0  # no ping-pong by its map
        assert run_playbooks(c, default, now=END + timedelta(minutes=1)).firings > 0
        assert score_now(c, custom, at=END).accounts > 0  # scores with the configured map
        # the propensity features and the health backtest read the same map
        features = {
            name: sum(v or 0 for v in features_at(c, END.date() - timedelta(days=1),
                                                  config=cfg.analytics, journey=cfg.journey,
                                                  paying_only=False)
                      .column("open_interruptions").to_pylist())
            for name, cfg in (("default", default), ("custom", custom))
        }  # fmt: skip
        assert features["custom"] < features["default"]
        seen: dict[str, float] = {}

        def spy(name: str) -> Callable[[pa.Table], Any]:
            def score(inputs: pa.Table) -> Any:
                seen[name] = seen.get(name, 0) + sum(
                    v or 0 for v in inputs.column("open_interruptions").to_pylist()
                )
                return score_fn_for(default.health)(inputs)

            return score

        for name, cfg in (("default", default), ("custom", custom)):
            backtest(c, spy(name), END.date() - timedelta(days=91), months=2,
                     config=cfg.analytics, journey=cfg.journey)  # fmt: skip
        assert seen["custom"] < seen["default"]
    finally:
        c.close()


def _parse(raw: dict[str, Any]) -> OutsideInConfig:
    from outsidein.config import parse_config

    return parse_config(raw, "test")
