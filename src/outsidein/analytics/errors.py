"""Errors the analytics raise on purpose, each with a message a user can act on."""

from __future__ import annotations

from outsidein.errors import ConfigError, OutsideInError


class AnalyticsError(OutsideInError):
    """A metric cannot be computed from the data or options given."""

    code = "analytics_error"
    http_status = 422
    exit_code = 2


class CurrencyError(ConfigError):
    """Subscriptions use a currency that has no configured conversion rate."""

    code = "missing_currency_rate"
    http_status = 422  # the request is fine; the configuration lacks a rate


class BackendUnavailableError(AnalyticsError):
    """An optional engine (PySpark) is not installed or cannot start."""

    code = "backend_unavailable"
    http_status = 501


class SnapshotMissingError(AnalyticsError):
    """The daily snapshot has not been built in this store yet."""

    code = "snapshot_missing"
    http_status = 404
