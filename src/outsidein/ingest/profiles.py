"""Ready mappings for the documented exports of common tools, as ``--profile NAME``.

A profile is data: a TOML file in ``ingest/export_profiles/`` naming the kind it loads, the
system whose ids the file holds (``id_system``), date formats and a ``[load]`` section with
the same transforms ``[load.KIND]`` of outsidein.toml takes. Nothing here runs SQL: a
profile is applied through the existing transforms, under the options a user gives.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from pathlib import Path

import duckdb
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from outsidein.errors import ConfigError
from outsidein.ingest.formats import ReadOptions
from outsidein.ingest.loader import load_file
from outsidein.ingest.result import LoadResult
from outsidein.ingest.transforms.options import merge_specs, plain_maps
from outsidein.settings.load import LoadSpec

__all__ = ["Profile", "apply_profile", "load_export", "profile", "profile_names"]

PACKAGE = "outsidein.ingest.export_profiles"


class Profile(BaseModel):
    """One tool's export: what it loads as, whose ids it holds, how its columns map."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    kind: str
    id_system: str | None = None
    description: str = ""
    docs: str = Field(description="The documentation page listing the export's columns.")
    formats: dict[str, str] = Field(default_factory=dict)
    load: LoadSpec = Field(default_factory=LoadSpec)


@cache
def _profiles() -> dict[str, Profile]:
    found: dict[str, Profile] = {}
    for entry in resources.files(PACKAGE).iterdir():
        if not entry.name.endswith(".toml"):
            continue
        name = entry.name.removesuffix(".toml")
        try:
            data = tomllib.loads(entry.read_text(encoding="utf-8"))
            found[name] = Profile.model_validate({**data, "name": name})
        except (tomllib.TOMLDecodeError, ValidationError) as exc:  # a shipped file: a bug
            raise ConfigError(f"profile {name}: {exc}") from exc
    return dict(sorted(found.items()))


def profile_names() -> list[str]:
    return list(_profiles())


def profile(name: str, kind: str | None = None) -> Profile:
    """The profile called ``name``; refused naming those there are, or the kind it loads."""
    found = _profiles().get(name)
    if found is None:
        raise ConfigError(f"--profile {name}: no such profile; one of: {', '.join(_profiles())}")
    if kind is not None and found.kind != kind:
        raise ConfigError(
            f"--profile {name} loads {found.kind}, not {kind}: "
            f"outsidein load {found.kind} FILE --profile {name}"
        )
    return found


def apply_profile(
    found: Profile, cli: LoadSpec, formats: dict[str, str], id_system: str | None
) -> tuple[LoadSpec, dict[str, str], str | None]:
    """The command line's options laid over the profile's: they win target by target."""
    return (
        merge_specs(found.load, cli),
        {**found.formats, **formats},
        id_system if id_system is not None else found.id_system,
    )


def load_export(con: duckdb.DuckDBPyConnection, name: str, path: Path) -> LoadResult:
    """Load ``path`` with the profile ``name`` alone (what ``--profile NAME`` does)."""
    found = profile(name)
    plain, rest = plain_maps(found.load)
    return load_file(
        con, found.kind, path, mapping=plain, transforms=rest, id_system=found.id_system,
        options=ReadOptions(formats=dict(found.formats)),
    )  # fmt: skip
