"""Playbook versions: each change of a playbook's definition is its next version.

Playbooks live in the versioned configuration (``[playbooks]``; every edit is a new
configuration version). :func:`sync_versions` compares each playbook with its latest stored
version and stores a new one when it changed (or was removed: a version with no definition),
beside the configuration version that carried it; a firing names the version that fired.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb

from outsidein.errors import NotFoundError
from outsidein.settings.playbooks import PlaybooksConfig

__all__ = ["PlaybookVersion", "latest_versions", "sync_versions", "versions_of"]


@dataclass(frozen=True)
class PlaybookVersion:
    playbook: str
    version: int
    config_version: int | None
    definition: dict[str, Any] | None  # None: removed in this version
    origin: str | None
    created_at: datetime


def _canonical(definition: dict[str, Any] | None) -> str | None:
    return None if definition is None else json.dumps(definition, sort_keys=True)


def _latest(con: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, str | None]]:
    rows = con.execute(
        "SELECT playbook, version, definition FROM playbook_versions "
        "QUALIFY row_number() OVER (PARTITION BY playbook ORDER BY version DESC) = 1"
    ).fetchall()
    return {name: (version, _canonical(json.loads(d)) if d else None) for name, version, d in rows}


def sync_versions(
    con: duckdb.DuckDBPyConnection,
    config: PlaybooksConfig,
    config_version: int | None,
    origin: str | None = None,
) -> dict[str, int]:
    """Store a version for each playbook that changed; every playbook's current version."""
    latest = _latest(con)
    now = datetime.now(UTC).replace(tzinfo=None)
    rows: list[tuple[Any, ...]] = []
    current: dict[str, int] = {}
    for book in config.playbooks:
        text = _canonical(book.model_dump(mode="json"))
        version, stored = latest.get(book.name, (0, None))
        if stored != text:
            version += 1
            rows.append((book.name, version, config_version, text, origin, now))
        current[book.name] = version
    present = {b.name for b in config.playbooks}
    for name, (version, stored) in latest.items():
        if name not in present and stored is not None:  # removed: a version saying so
            rows.append((name, version + 1, config_version, None, origin, now))
    if rows:
        # The API and the step may both store the same next version: the first one stands.
        con.executemany(
            "INSERT INTO playbook_versions VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING", rows
        )
    return current


def latest_versions(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return {name: version for name, (version, _) in _latest(con).items()}


def versions_of(con: duckdb.DuckDBPyConnection, playbook: str) -> list[PlaybookVersion]:
    """Every version of ``playbook``, newest first (NotFoundError when it never existed)."""
    rows = con.execute(
        "SELECT playbook, version, config_version, definition, origin, created_at "
        "FROM playbook_versions WHERE playbook = ? ORDER BY version DESC",
        [playbook],
    ).fetchall()
    if not rows:
        raise NotFoundError(f"no playbook {playbook!r} was ever defined", playbook=playbook)
    return [
        PlaybookVersion(n, v, cv, json.loads(d) if d else None, o, at)
        for n, v, cv, d, o, at in rows
    ]
