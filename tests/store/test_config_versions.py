"""The versioned configuration in the store: the file seeds it, edits add versions."""

from __future__ import annotations

import tomllib
from pathlib import Path

import duckdb
import pytest

from outsidein.config import OutsideInConfig, config_toml, load_config, parse_config
from outsidein.errors import ConfigError, InvalidConfigError
from outsidein.sim.settings import company_config
from outsidein.store import connect
from outsidein.store.config_versions import (
    current_config,
    current_config_version,
    save_config,
    seed_from_file,
)


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def versions(con: duckdb.DuckDBPyConnection) -> list[tuple[int, str]]:
    return con.execute("SELECT version, source FROM config_versions ORDER BY 1").fetchall()


def test_the_file_seeds_version_1_and_an_unchanged_file_adds_nothing(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    toml = write(tmp_path / "outsidein.toml", company_config())
    assert current_config_version(store) is None
    first = seed_from_file(store, toml)
    assert (first.version, first.source, first.origin) == (1, "file", str(toml))
    assert first.toml == company_config()  # the file's own text, comments included
    assert first.config.analytics.value_event == "Report Shared"
    again = seed_from_file(store, toml)
    assert again.version == 1 and versions(store) == [(1, "file")]
    assert current_config_version(store) == 1


def test_an_edited_file_wins_but_an_unchanged_one_never_undoes_an_api_edit(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    toml = write(tmp_path / "outsidein.toml", "[analytics]\nrenewal_days = 30\n")
    seed_from_file(store, toml)
    edited = parse_config({"analytics": {"renewal_days": 45}}, "test")
    assert save_config(store, edited, "api", origin="127.0.0.1").version == 2
    # A restart with the same file: the API's edit stands.
    assert seed_from_file(store, toml).config.analytics.renewal_days == 45
    assert versions(store) == [(1, "file"), (2, "api")]
    # The user edits the file: it becomes the new version.
    write(toml, "[analytics]\nrenewal_days = 60\n")
    third = seed_from_file(store, toml)
    assert (third.version, third.config.analytics.renewal_days) == (3, 60)
    # Saving what is already current adds no version.
    assert save_config(store, third.config, "api").version == 3


def test_without_a_file_the_defaults_seed_once_and_stored_versions_stand(
    store: duckdb.DuckDBPyConnection, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./outsidein.toml here
    first = seed_from_file(store, Path("outsidein.toml"))
    assert (first.version, first.origin, first.config) == (1, None, OutsideInConfig())
    save_config(store, parse_config({"store": {"future_tolerance_hours": 1}}, "t"), "cli")
    assert seed_from_file(store, Path("outsidein.toml")).version == 2


def test_a_named_file_that_is_missing_or_invalid_is_a_clear_error(
    store: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    with pytest.raises(ConfigError, match=r"nope\.toml: config file not found"):
        seed_from_file(store, tmp_path / "nope.toml")
    bad = write(tmp_path / "bad.toml", '[analytics]\nreporting_currency = "dollars"\n')
    with pytest.raises(InvalidConfigError, match=r"bad\.toml: analytics\.reporting_currency") as e:
        seed_from_file(store, bad)
    assert e.value.details["fields"][0]["field"] == "analytics.reporting_currency"
    assert current_config(store) is None  # nothing stored


def test_a_read_only_store_gets_the_file_without_storing_it(db_path: Path, tmp_path: Path) -> None:
    connect(db_path).close()
    toml = write(tmp_path / "outsidein.toml", "[analytics]\nrenewal_days = 7\n")
    con = connect(db_path, read_only=True)
    try:
        seen = seed_from_file(con, toml, record=False)
        assert seen.version is None and seen.config.analytics.renewal_days == 7
        assert current_config(con) is None
    finally:
        con.close()


def test_versions_survive_reopening_the_file(db_path: Path, tmp_path: Path) -> None:
    con = connect(db_path)
    save_config(con, parse_config({"analytics": {"renewal_days": 12}}, "t"), "api")
    con.close()
    con = connect(db_path, read_only=True)
    try:
        current = current_config(con)
        assert current is not None and current.config.analytics.renewal_days == 12
    finally:
        con.close()


def test_generated_toml_reads_back_as_the_same_configuration(tmp_path: Path) -> None:
    config = parse_config(
        {
            **tomllib.loads(company_config()),
            "mapping": {"accounts": {"Account ID": "account_id"}},
            "store": {"future_tolerance_hours": 2.5},
        },
        "t",
    )
    text = config_toml(config)
    assert load_config(write(tmp_path / "out.toml", text)) == config
    assert config_toml(OutsideInConfig()) == ""  # the defaults need no file


def test_the_rule_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "configuration.md").read_text()
    for fact in (
        "config_versions",
        "GET /api/v1/config",
        "PUT /api/v1/config",
        "never rewrites the file",
        "outsidein config show",
        "outsidein config export --out FILE",
        "outsidein serve --config FILE",
        "outsidein demo --config FILE",
        "current_config_version(con)",
        "outsidein.settings",
    ):
        assert fact in doc, fact
