"""The ``[analytics]`` section of ``outsidein.toml``: currencies, the value event, features.

A leaf module (pydantic and the stdlib only): ``outsidein.config`` includes it, and the
analytics package imports it from here, so reading configuration never loads Ibis.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$")]


class AnalyticsConfig(BaseModel):
    """How revenue is converted and which product events mean adoption and value."""

    model_config = ConfigDict(extra="forbid")

    reporting_currency: CurrencyCode = Field(
        "USD", description="Currency every MRR/ARR figure is reported in (ISO 4217 code)."
    )
    currency_rates: dict[CurrencyCode, Decimal] = Field(
        default_factory=dict,
        description="Units of the reporting currency one unit of each other currency is worth, "
        "e.g. EUR = 1.08 when reporting in USD.",
    )
    value_event: str | None = Field(
        None,
        description="The product event that means a customer got value; time to first value "
        "is measured to its first occurrence.",
    )
    key_features: list[str] = Field(
        default_factory=list,
        description="Events that mark use of the product's key features; breadth of adoption is "
        "the share of them an account used in a window.",
    )
    usage_windows: list[Annotated[int, Field(ge=1, le=366)]] = Field(
        default_factory=lambda: [7, 28, 90],
        description="Trailing windows (days) of the usage report. The stored daily snapshot "
        "always holds 7, 28 and 90.",
    )
    renewal_days: int = Field(
        90,
        ge=1,
        le=3660,
        description="How far ahead the renewals calendar looks, in days; an account whose "
        "next renewal is this close has the lifecycle status 'renewal'.",
    )
    onboarding_days: int = Field(
        90,
        ge=0,
        le=3660,
        description="For how many days after its first payment an account has the lifecycle "
        "status 'onboarding'.",
    )
    snapshot_history_days: int = Field(
        730,
        ge=1,
        le=36600,
        description="How many days back the daily snapshot starts when it is first built.",
    )
    snapshot_refresh_seconds: float = Field(
        30.0,
        ge=0,
        le=3600,
        description="While `outsidein serve` runs, how often it brings a built daily snapshot "
        "up to date with newly arrived data (0: only when asked).",
    )

    @field_validator("currency_rates")
    @classmethod
    def _positive_rates(cls, rates: dict[str, Decimal]) -> dict[str, Decimal]:
        for code, rate in rates.items():
            if rate <= 0:
                raise ValueError(f"the rate for {code} must be greater than 0, not {rate}")
            if rate.as_tuple().exponent < -8:  # type: ignore[operator]
                raise ValueError(f"the rate for {code} has more than 8 decimal places: {rate}")
        return rates

    @field_validator("usage_windows")
    @classmethod
    def _distinct_windows(cls, windows: list[int]) -> list[int]:
        if not windows:
            raise ValueError("give at least one window, e.g. [7, 28, 90]")
        return sorted(set(windows))

    @model_validator(mode="after")
    def _reporting_rate_is_one(self) -> AnalyticsConfig:
        rate = self.currency_rates.get(self.reporting_currency)
        if rate is not None and rate != 1:
            raise ValueError(
                f"currency_rates.{self.reporting_currency} is the reporting currency and must be "
                f"1, not {rate}"
            )
        return self

    def rates(self) -> dict[str, Decimal]:
        """Every configured rate, including 1 for the reporting currency itself."""
        return {**self.currency_rates, self.reporting_currency: Decimal(1)}
