"""Simulated companies loaded into real stores, with the planted plays' firings imported."""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import tomli_w

from outsidein.analytics import update_snapshot
from outsidein.impact import import_firings
from outsidein.ingest import load_directory
from outsidein.sim import simulate
from outsidein.store import connect
from outsidein.store.config_versions import seed_from_file

AS_OF = date(2026, 11, 1)


@dataclass(frozen=True)
class Company:
    db: Path
    data: Path
    firings: int
    truth: dict[str, dict[str, Any]]  # play name -> its entry in ground_truth/plays.json


def build(folder: Path, *, seed: int, accounts: int, months: int) -> Company:
    """Simulate, load, compute the daily snapshot and import the plays' firings.

    The company's settings are stored without its playbooks: a server on this store runs
    none, so the firings stay the planted ones."""
    data = folder / "data"
    summary = simulate(
        data, accounts=accounts, months=months, seed=seed, as_of=AS_OF, events_per_part=200_000
    )
    assert summary.firings is not None
    db = folder / "store.duckdb"
    con = connect(db)
    try:
        settings = tomllib.loads((data / "outsidein.toml").read_text(encoding="utf-8"))
        settings.pop("playbooks", None)
        (folder / "outsidein.toml").write_text(tomli_w.dumps(settings), encoding="utf-8")
        in_force = seed_from_file(con, folder / "outsidein.toml")
        load_directory(con, data)
        update_snapshot(con, in_force.config.analytics)
        added = import_firings(con, summary.firings)
    finally:
        con.close()
    plays = json.loads(summary.ground_truth["plays"].read_text(encoding="utf-8"))["plays"]
    return Company(db, data, added, {p["name"]: p for p in plays})
