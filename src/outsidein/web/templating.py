"""The Jinja2 environment of the dashboard: autoescaping on, strict about undefined names.

Filters format what people read (money, counts, dates); ``url_with`` rebuilds the current
URL with some query parameters changed, which every sortable, paged list needs.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from fastapi.templating import Jinja2Templates

from outsidein import __version__
from outsidein.display import money
from outsidein.labels import label
from outsidein.pipeline import Scheduler, StepStatus, steps_feeding
from outsidein.web.assets import CHARTS_PATH
from outsidein.web.nav import NavGroup, NavItem, grouped
from outsidein.web.queries.rows import utc_now

TEMPLATES_DIR = Path(__file__).parent / "templates"
STATIC_DIR = Path(__file__).parent / "static"


def number(value: float | int | None, digits: int = 0) -> str:
    """Thousands separators: ``2,000``."""
    return "—" if value is None else f"{value:,.{digits}f}"


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 account``, ``2,000 accounts``."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def when(value: datetime | date | None) -> str:
    """A timestamp to the minute, or a date, as ISO text people can sort in their head."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def _utc_day(value: datetime) -> date:
    """The calendar day of ``value`` in UTC, the store's time zone (naive values are UTC)."""
    return (value.astimezone(UTC) if value.tzinfo is not None else value).date()


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago by calendar day (UTC), in the largest whole calendar unit: ``today``,
    ``yesterday``, ``3 days ago``, ``2 weeks ago``, ``5 months ago``, ``2 years ago``.

    Days, not 24-hour periods: last night at 23:00 is "yesterday" at 01:00; months and years
    count from the same day of the month, so 2024-12-19 is "2 years ago" from 2026-12-19 on.
    """
    if value is None:
        return "never"
    then, today = _utc_day(value), _utc_day(now or utc_now())
    days = (today - then).days
    if days < 1:
        return "today"  # a timestamp a little ahead of the clock too
    if days == 1:
        return "yesterday"
    months = (today.year - then.year) * 12 + today.month - then.month
    if today.day < then.day:
        months -= 1
    if months >= 12:
        return f"{plural(months // 12, 'year')} ago"
    if months >= 1:
        return f"{plural(months, 'month')} ago"
    if days >= 7:
        return f"{plural(days // 7, 'week')} ago"
    return f"{days} days ago"


def path_part(value: str) -> str:
    """Quote an id for use as one URL path segment."""
    return quote(value, safe="")


def url_with(request: Request, **updates: Any) -> str:
    """The current path and query with ``updates`` applied; a value of None removes the key."""
    params = dict(request.query_params)
    for key, value in updates.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    query = urlencode(params)
    return f"{request.url.path}?{query}" if query else request.url.path


def url_without(request: Request, *keys: str) -> str:
    """The current URL with ``keys`` and the page number removed (a filter's "remove" link)."""
    return url_with(request, **dict.fromkeys((*keys, "page")))


def nav_items(request: Request) -> list[tuple[NavItem, bool]]:
    """The header's links, each with whether it is the current section."""
    items: list[NavItem] = request.app.state.nav
    return [(item, item.active(request.url.path)) for item in items]


def nav_groups(request: Request) -> list[NavGroup]:
    """The header's groups, and which one holds the current page (web/nav.py)."""
    return grouped(request.app.state.nav, request.url.path)


def stale_steps(request: Request) -> list[StepStatus]:
    """The background steps that write what this page shows and are failing or behind."""
    pipeline: Scheduler | None = getattr(request.app.state, "pipeline", None)
    reads = {t for item, active in nav_items(request) if active for t in item.reads}
    if pipeline is None or not reads:
        return []
    return [s for s in steps_feeding(pipeline.statuses(), reads) if s.stale]


def signed_in(request: Request) -> Any:
    """The caller the guard found for this request (None on public pages)."""
    return getattr(request.state, "principal", None)


def duration(seconds: float | None) -> str:
    """``0.42 s``, ``12 s``, ``7 min``, ``3.5 h``: as long as it reads at a glance."""
    if seconds is None:
        return "—"
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        money=money,
        number=number,
        plural=plural,
        when=when,
        ago=ago,
        label=label,
        path_part=path_part,
        duration=duration,
    )
    env.globals.update(
        url_with=url_with,
        url_without=url_without,
        nav_items=nav_items,
        nav_groups=nav_groups,
        stale_steps=stale_steps,
        signed_in=signed_in,
        version=__version__,
        charts_js=CHARTS_PATH,
    )
    return env


templates = Jinja2Templates(env=_environment())
