"""Column mappings: how a CRM or billing export's columns become canonical columns."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from outsidein.errors import ConfigError

EXTERNAL_ID_PREFIX = "ext:"


def parse_mapping(specs: Iterable[str]) -> dict[str, str]:
    """Parse ``--map source_col=canonical_col`` options into a dict."""
    mapping: dict[str, str] = {}
    for spec in specs:
        source, sep, target = spec.partition("=")
        if not sep or not source.strip() or not target.strip():
            raise ConfigError(f"--map {spec!r}: expected SOURCE_COLUMN=CANONICAL_COLUMN")
        mapping[source.strip()] = target.strip()
    return mapping


def merge_mappings(*mappings: Mapping[str, str]) -> dict[str, str]:
    """Later mappings win: config file first, then the command line."""
    merged: dict[str, str] = {}
    for mapping in mappings:
        merged.update(mapping)
    return merged
