"""Scorecards are part of the configuration the store versions: an edit is a new version,
and the stored copy reads back as the same scorecards (config_toml round-trips them too)."""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path

import duckdb

from outsidein.config import OutsideInConfig, config_toml, parse_config
from outsidein.settings.health import DEFAULT_SCORECARD
from outsidein.store.config_versions import current_config, save_config, seed_from_file


def test_a_scorecard_edit_is_a_new_version(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    path = tmp_path / "outsidein.toml"
    path.write_text("[analytics]\nrenewal_days = 60\n", encoding="utf-8")
    first = seed_from_file(store, path)
    assert first.config.health == OutsideInConfig().health
    card = copy.deepcopy(DEFAULT_SCORECARD)
    card["groups"]["usage"]["weight"] = 70  # type: ignore[index]
    edited = parse_config(
        {
            "analytics": {"renewal_days": 60},
            "health": {
                "scorecards": {
                    "smb": {
                        "measures": {
                            "nps": {
                                "field": "nps",
                                "scoring": {"kind": "linear", "low": 0, "high": 10},
                            }
                        },
                    },
                    "default": card,
                },
                "assign": [
                    {"scorecard": "smb", "when": "tier = 'smb'"},
                    {"scorecard": "default", "when": "tier = 'mid'"},
                ],
            },
        },
        "api",
    )
    second = save_config(store, edited, "api")
    assert second.version == (first.version or 0) + 1
    stored = current_config(store)
    assert stored is not None and stored.config.health == edited.health
    assert [r.scorecard for r in stored.config.health.assign] == ["smb", "default"]  # in order
    assert stored.config.health.scorecards["default"].groups["usage"].weight == 70
    # The TOML export reads back as the same scorecards.
    assert parse_config(tomllib.loads(config_toml(edited)), "export").health == edited.health
