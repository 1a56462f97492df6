"""Docs that cannot go stale: every setting, config key and canonical column is documented."""

from __future__ import annotations

from pathlib import Path

from outsidein.config import OutsideInConfig, Settings
from outsidein.settings.auth import AuthSettings
from outsidein.settings.store import StoreConfig
from outsidein.store import TABLES

ROOT = Path(__file__).resolve().parents[1]


def read(name: str) -> str:
    return (ROOT / name).read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    doc = read("docs/configuration.md")
    for name in Settings.model_fields:
        assert f"`OUTSIDEIN_{name.upper()}`" in doc, name
    for name in StoreConfig.model_fields:
        assert f"`store.{name}`" in doc, name
    for name in OutsideInConfig.model_fields:
        assert name in doc, name
    for name in AuthSettings.model_fields:
        assert f"`OUTSIDEIN_{name.upper()}`" in doc, name


def test_every_canonical_column_is_documented() -> None:
    doc = read("docs/data-model.md")
    for table in TABLES.values():
        section = doc.split(f"## {table.name}\n", 1)[1].split("\n## ", 1)[0]
        for column in table.column_names:
            assert f"| `{column}` |" in section, (table.name, column)


def test_ci_runs_the_readme_test_command() -> None:
    readme, ci = read("README.md"), read(".ci/run")
    assert "make test" in readme and "make demo" in readme
    assert "make test" in ci.splitlines()[-1]
