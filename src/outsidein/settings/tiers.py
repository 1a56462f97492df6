"""The ``[tiers]`` section of ``outsidein.toml``: touch tiers by ARR and potential, and the
coverage each tier implies.

Tiers are tried in order; a customer gets the first whose bounds it reaches: ``min_arr`` on its
ARR (analytics' definition), ``min_potential`` on its potential (``potential``: the accounts'
``employees`` column, or a number custom field ``custom.NAME``), either one (``match = "any"``)
or both (``"all"``). The last tier has no bounds: the long tail. ``accounts_per_csm`` is the
book one CSM can serve in the tier: the coverage it implies (docs/tiers.md).

A leaf module (pydantic and the stdlib only): reading settings loads no engine.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Tier", "TiersConfig", "default_tiers"]

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_POTENTIAL = re.compile(r"^(employees|custom\.[A-Za-z0-9_]+)$")


class Tier(BaseModel):
    """One touch tier: who is in it, and how many of its accounts one CSM serves."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    name: str = Field(min_length=1, max_length=40, description="Key: lower case, digits, `_`.")
    label: str = Field(min_length=1, max_length=40, description="Words for pages.")
    min_arr: float | None = Field(None, ge=0, description="ARR at or above this qualifies.")
    min_potential: float | None = Field(
        None, ge=0, description="Potential at or above this qualifies."
    )
    match: Literal["any", "all"] = Field(
        "any", description="`any`: either bound qualifies; `all`: both must be reached."
    )
    accounts_per_csm: float = Field(
        gt=0, le=1_000_000, description="Accounts of this tier one CSM can serve (coverage)."
    )

    @property
    def catch_all(self) -> bool:
        return self.min_arr is None and self.min_potential is None


def default_tiers() -> list[Tier]:
    """B2B SaaS defaults: high-touch from $100k ARR (or 10,000 employees), low-touch from $10k
    (or 1,000 employees), the rest tech-touch, served by automation in a pooled book."""
    return [
        Tier(name="high_touch", label="High-touch", min_arr=100_000, min_potential=10_000,
             accounts_per_csm=15),
        Tier(name="low_touch", label="Low-touch", min_arr=10_000, min_potential=1_000,
             accounts_per_csm=80),
        Tier(name="tech_touch", label="Tech-touch", accounts_per_csm=800),
    ]  # fmt: skip


class TiersConfig(BaseModel):
    """Touch tiers, in order, and what an account's potential is read from."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    potential: str = Field(
        "employees",
        description="`employees` or `custom.NAME` (a number custom field of accounts).",
    )
    tiers: list[Tier] = Field(
        default_factory=default_tiers,
        description="Tried in order: a customer gets the first it qualifies for; the last has "
        "no bounds (the long tail).",
    )

    @model_validator(mode="after")
    def _shape(self) -> TiersConfig:
        if not _POTENTIAL.match(self.potential):
            raise ValueError(
                f"potential `{self.potential}`: use `employees` or `custom.NAME` (a number "
                "custom field of accounts)"
            )
        if not self.tiers:
            raise ValueError("tiers: give at least one tier (the last one has no bounds)")
        names = [t.name for t in self.tiers]
        for name in names:
            if not _NAME.match(name):
                raise ValueError(f"tier name `{name}`: use lower-case letters, digits and `_`")
        if len(set(names)) != len(names):
            raise ValueError(f"tier names must differ: {', '.join(names)}")
        if not self.tiers[-1].catch_all:
            raise ValueError(
                f"the last tier (`{self.tiers[-1].name}`) must have no min_arr nor "
                "min_potential: every customer needs a tier"
            )
        for tier in self.tiers[:-1]:
            if tier.catch_all:
                raise ValueError(
                    f"tier `{tier.name}` has no min_arr nor min_potential: only the last tier "
                    "may catch everyone"
                )
        return self

    def custom_potential(self) -> str | None:
        """The custom field's name when potential is ``custom.NAME``."""
        return self.potential.split(".", 1)[1] if self.potential.startswith("custom.") else None

    def tier(self, name: str) -> Tier:
        for tier in self.tiers:
            if tier.name == name:
                return tier
        raise KeyError(name)
