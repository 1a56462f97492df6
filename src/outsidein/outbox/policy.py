"""When a message to a contact may go: quiet hours in their time zone, and a frequency cap.

Both hold a message back (it waits, it is not dropped): the delivery moves its next attempt
to the moment the window opens. They apply to messages that reach a contact (emails); a
webhook goes to the team's own channel and is never held.
"""

from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime, timedelta

import duckdb

from outsidein.settings.outbox import OutboxConfig, QuietHours

__all__ = ["cap_until", "quiet_until", "zone_of"]


def zone_of(name: str | None, quiet: QuietHours) -> zoneinfo.ZoneInfo:
    """The contact's zone; the configured default when they have none or an unknown one."""
    for candidate in (name, quiet.default_timezone):
        if candidate:
            try:
                return zoneinfo.ZoneInfo(candidate)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    return zoneinfo.ZoneInfo("UTC")


def quiet_until(now: datetime, zone: zoneinfo.ZoneInfo, quiet: QuietHours) -> datetime | None:
    """None when ``now`` (naive UTC) is outside the contact's quiet hours, else when they end
    (naive UTC), computed on the contact's own clock so a DST change is honoured."""
    if not quiet.enabled or quiet.start == quiet.end:
        return None
    local = now.replace(tzinfo=UTC).astimezone(zone)
    t = local.time().replace(tzinfo=None)
    if quiet.start < quiet.end:
        inside = quiet.start <= t < quiet.end
    else:  # over midnight, e.g. 20:00-08:00
        inside = t >= quiet.start or t < quiet.end
    if not inside:
        return None
    day = local.date()
    opens = datetime.combine(day, quiet.end, tzinfo=zone)
    if opens <= local:
        opens = datetime.combine(day + timedelta(days=1), quiet.end, tzinfo=zone)
    return opens.astimezone(UTC).replace(tzinfo=None)


def cap_until(
    con: duckdb.DuckDBPyConnection, contact_id: str, now: datetime, config: OutboxConfig
) -> datetime | None:
    """None when the contact may get one more message now; else when the oldest of the
    messages that fill the cap leaves the period."""
    period = timedelta(hours=config.cap_period_hours)
    rows = con.execute(
        "SELECT sent_at FROM outbox_messages WHERE contact_id = ? AND channel = 'email' "
        "AND status = 'sent' AND sent_at > ? ORDER BY sent_at DESC LIMIT ?",
        [contact_id, now - period, config.cap_messages],
    ).fetchall()
    if len(rows) < config.cap_messages:
        return None
    oldest: datetime = min(r[0] for r in rows)
    return oldest + period
