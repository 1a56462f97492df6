"""``[load.<kind>]`` of outsidein.toml: how one kind of export becomes canonical rows.

The same model holds what the ``outsidein load`` options say (docs/loading.md, "Transforms,
keys, custom fields"); the command line wins over the file, target by target. Only data
lives here: :mod:`outsidein.ingest.transforms` checks it against a file and compiles it.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class LoadSpec(BaseModel):
    """Transforms of one load kind; every value a user writes here is data, never SQL."""

    model_config = ConfigDict(extra="forbid")

    map: dict[str, str | list[str]] = Field(
        default_factory=dict,
        description="File column -> canonical column(s), ext:SYSTEM or custom:NAME.",
    )
    values: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description='Per target, file value -> stored value; "*" is every other value.',
    )
    values_case_sensitive: bool = Field(
        False, description="Value maps match exactly (default: ignoring case and spaces)."
    )
    set: dict[str, str] = Field(default_factory=dict, description="Target -> a constant.")
    coalesce: dict[str, list[str]] = Field(
        default_factory=dict, description="Target -> file columns; the first non-empty wins."
    )
    scale: dict[str, float | str | list[float | str]] = Field(
        default_factory=dict,
        description='Target -> factor(s) its numbers are multiplied by (0.01, "1/12", '
        '"1/12 if billing = annual").',
    )
    derive: dict[str, str] = Field(
        default_factory=dict,
        description="Target -> 'VALUE if CONDITION; ...; else VALUE' over file columns.",
    )
    where: list[str] = Field(
        default_factory=list, description="Conditions a row must meet to load (all of them)."
    )
    key_from: list[str] = Field(
        default_factory=list,
        description="File columns whose values make the kind's key (a stable hash).",
    )
    link_key: str | None = Field(
        None,
        max_length=300,
        description="A declared key (docs/identity.md): SYSTEM=COLUMN, the column holds SYSTEM's "
        "id of each row's account; or, on contacts, email: a row whose email is a stored "
        "contact's is that contact, its own id recorded as the file's system's.",
    )
    group_by: str | None = Field(None, description="Combine rows with the same target value.")
    sum: list[str] = Field(default_factory=list, description="Targets summed over a group.")
    keep_extra: bool | None = Field(
        None,
        description="Keep unmapped columns as custom fields (default: yes, for accounts, "
        "contacts, subscriptions and cases).",
    )

    def is_empty(self) -> bool:
        return self == LoadSpec()
