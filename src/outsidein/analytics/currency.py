"""Subscriptions priced in the reporting currency, exactly.

Each subscription's MRR is converted once, ``round(mrr * rate, 2)`` in DECIMAL arithmetic,
and every total is a sum of those cents. Sums of decimals are exact on every engine, so a
bridge built from them reconciles to the cent, and DuckDB and Spark agree to the cent.
"""

from __future__ import annotations

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from outsidein.analytics.backend import MONEY, Sources
from outsidein.analytics.errors import CurrencyError
from outsidein.analytics.periods import day_of
from outsidein.settings.analytics import AnalyticsConfig

RATE = dt.Decimal(18, 8)


def rates_table(config: AnalyticsConfig) -> ir.Table:
    """The configured rates (reporting currency = 1) as a small engine table."""
    rates = config.rates()
    return ibis.memtable(
        pa.table(
            {
                "rate_currency": pa.array(list(rates), pa.string()),
                "rate": pa.array(list(rates.values()), pa.decimal128(18, 8)),
            }
        )
    )


def check_currencies(sources: Sources, config: AnalyticsConfig) -> None:
    """Fail, naming each currency and how many subscriptions use it, if a rate is missing."""
    subs = sources.subscriptions
    used = subs.group_by(currency=subs.currency.upper()).agg(n=subs.count()).to_pyarrow()
    rates = config.rates()
    missing = {
        str(code): int(n)
        for code, n in zip(used["currency"].to_pylist(), used["n"].to_pylist(), strict=True)
        if code not in rates
    }
    if missing:
        listed = ", ".join(
            f"{code} ({n} subscription{'' if n == 1 else 's'})"
            for code, n in sorted(missing.items())
        )
        example = next(iter(sorted(missing)))
        raise CurrencyError(
            f"no conversion rate for {listed}; add it to outsidein.toml, e.g. "
            f"[analytics.currency_rates] {example} = 1.0 "
            f"(how many {config.reporting_currency} one {example} is worth)"
        )


def priced_subscriptions(sources: Sources, config: AnalyticsConfig) -> ir.Table:
    """Subscriptions with ``mrr`` in the reporting currency and start/end as day numbers.

    ``end_day`` is exclusive: a subscription is active on day ``d`` when
    ``start_day <= d`` and (``end_day`` is null or ``d < end_day``).
    Call :func:`check_currencies` first; a subscription in an unknown currency is dropped here.
    """
    subs = sources.subscriptions
    rates = rates_table(config)
    joined = subs.join(rates, subs.currency.upper() == rates.rate_currency)
    converted = (joined.mrr * joined.rate).round(2).cast(MONEY)
    return joined.select(
        "subscription_id",
        "account_id",
        "plan",
        "currency",
        "seats",
        "start_date",
        "end_date",
        "contract_id",
        mrr_original=joined.mrr,
        mrr=converted,
        start_day=day_of(joined.start_date),
        end_day=day_of(joined.end_date),
    )
