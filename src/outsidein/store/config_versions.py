"""The versioned copy of the configuration, kept in the store (table ``config_versions``).

The rule (docs/configuration.md): ``outsidein.toml`` seeds the configuration; the store keeps
every version, and the API edits it by adding one; nothing here ever writes the file.
When a process opens the store it applies :func:`seed_from_file`: the file becomes a new
version only when it says something new, that is when it differs from the latest version
and from the version last read from a file (so an unchanged file never undoes an edit made
through the API, while an edited file wins). Computed results name the version that produced
them with :func:`current_config_version`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

import duckdb

from outsidein.config import DEFAULT_CONFIG, OutsideInConfig, config_toml, load_config
from outsidein.store import audit

Source = Literal["file", "api", "cli"]
_COLUMNS = "version, created_at, source, origin, config, toml"


@dataclass(frozen=True)
class ConfigVersion:
    """One stored configuration; ``version`` is None for one read but not stored (read-only)."""

    version: int | None
    created_at: datetime | None
    source: Source
    origin: str | None
    config: OutsideInConfig
    toml: str


def canonical(config: OutsideInConfig) -> str:
    """The configuration as JSON with every key, sorted: equal text means equal settings."""
    return json.dumps(config.model_dump(mode="json"), sort_keys=True)


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    # A store opened read-only may predate the table (migrations run only on write).
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE table_name = 'config_versions'"
    ).fetchone()
    return bool(row and row[0])


def _fetch(con: duckdb.DuckDBPyConnection, where: str = "") -> ConfigVersion | None:
    if not _has_table(con):
        return None
    row = con.execute(
        f"SELECT {_COLUMNS} FROM config_versions {where} ORDER BY version DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    version, created_at, source, origin, config, toml = row
    return ConfigVersion(
        version, created_at, source, origin, OutsideInConfig.model_validate_json(config), toml
    )


def current_config(con: duckdb.DuckDBPyConnection) -> ConfigVersion | None:
    """The latest stored version, or None when none was stored yet."""
    return _fetch(con)


def current_config_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The number of the configuration in force: what computed results record beside them."""
    current = current_config(con)
    return None if current is None else current.version


def save_config(
    con: duckdb.DuckDBPyConnection,
    config: OutsideInConfig,
    source: Source,
    *,
    origin: str | None = None,
    toml: str | None = None,
    actor: str | None = None,
) -> ConfigVersion:
    """Store ``config`` as the next version, unless it equals the current one (then that).

    A new version is recorded in the audit log (``config.publish``) in the same transaction,
    by ``actor`` (default: the source, ``file``, ``api`` or ``cli``).
    """
    current = current_config(con)
    if current is not None and canonical(current.config) == canonical(config):
        return current
    text = config_toml(config) if toml is None else toml
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute(
            f"""
            INSERT INTO config_versions ({_COLUMNS})
            SELECT coalesce(max(version), 0) + 1, now()::TIMESTAMP, ?, ?, ?, ?
            FROM config_versions
            RETURNING version, created_at
            """,
            [source, origin, canonical(config), text],
        ).fetchone()
        assert row is not None  # an INSERT ... RETURNING of one row returns it
        audit.record(
            con,
            actor=actor or source,
            action="config.publish",
            target=f"version {row[0]}",
            detail={"source": source, "origin": origin},
        )
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    return ConfigVersion(row[0], row[1], source, origin, config, text)


def read_config_file(path: Path | None) -> ConfigVersion | None:
    """The file as an unsaved version; None when the default file does not exist."""
    if path is None or (not path.exists() and path == DEFAULT_CONFIG):
        return None
    config = load_config(path)  # raises ConfigError naming the file and each bad field
    return ConfigVersion(None, None, "file", str(path), config, path.read_text(encoding="utf-8"))


def seed_from_file(
    con: duckdb.DuckDBPyConnection, path: Path | None, *, record: bool = True
) -> ConfigVersion:
    """The configuration in force once the file at ``path`` has been taken into account."""
    return seed(con, read_config_file(path), record=record)


def seed(
    con: duckdb.DuckDBPyConnection, from_file: ConfigVersion | None, *, record: bool = True
) -> ConfigVersion:
    """Apply the rule to a file already read (:func:`read_config_file`).

    The file is stored as a new version when it says something new (see the module's rule);
    with ``record=False`` (a store opened read-only) the version that would be stored is
    returned unsaved. Without a file, the latest version stands, or the shipped defaults seed
    version 1.
    """
    latest = current_config(con)
    if from_file is None:
        if latest is not None:
            return latest
        from_file = ConfigVersion(None, None, "file", None, OutsideInConfig(), "")
    elif latest is not None:
        text = canonical(from_file.config)
        last_read = _fetch(con, "WHERE source = 'file'")
        if text == canonical(latest.config) or (
            last_read is not None and text == canonical(last_read.config)
        ):
            return latest
    if not record:
        return from_file
    return save_config(con, from_file.config, "file", origin=from_file.origin, toml=from_file.toml)
