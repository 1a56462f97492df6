"""``[sources]`` of outsidein.toml: how loads reconcile what sources leave unsaid.

Exports often leave a subscription open after its account churned (the churn is a CRM
record) or after an upgrade (a new row, the old one never ended). These settings say what
a load does about it (docs/loading.md, "Churn records", "Full-refresh loads"; docs/quality.md).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SourcesConfig(BaseModel):
    """Reconciling loads; every option is off by default: nothing is changed unasked."""

    model_config = ConfigDict(extra="forbid")

    churn_ends_subscriptions: bool = Field(
        False,
        description="A churn record ends its account's subscriptions open at its date "
        "(after every churn_records or subscriptions load).",
    )
    supersede_in_family: bool = Field(
        False,
        description="A subscription that starts while an older one of the same account and "
        "plan family runs ends the older one at its start (an upgrade exported as a new row).",
    )
    plan_families: dict[str, list[str]] = Field(
        default_factory=dict,
        description="Family -> plans. Plans not listed form one family together; list "
        "add-ons sold beside a main plan as a family of their own.",
    )

    @model_validator(mode="after")
    def _plan_once(self) -> SourcesConfig:
        seen: dict[str, str] = {}
        for family, plans in self.plan_families.items():
            for plan in plans:
                key = plan.strip().lower()
                if key in seen and seen[key] != family:
                    raise ValueError(
                        f"plan {plan!r} is in two families ({seen[key]!r} and {family!r})"
                    )
                seen[key] = family
        return self

    def family_sql(self, plan: str) -> str:
        """SQL of the family of the plan column ``plan`` ('' for plans not listed)."""
        whens = " ".join(
            f"WHEN {_literal(p.strip().lower())} THEN {_literal(family)}"
            for family, plans in sorted(self.plan_families.items())
            for p in plans
        )
        return f"(CASE lower(trim({plan})) {whens} ELSE '' END)" if whens else "''"


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
