"""``/health``, ``/health/at-risk`` and ``/health/scorecards``: the dashboard's health pages.

They read the stored score history through web/queries/health.py (docs/dashboard.md#health);
a CSM sees their own book on each (``BookDep``); others may narrow to one CSM.
"""

from __future__ import annotations

import asyncio
import math
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from outsidein.auth.roles import Role
from outsidein.config import OutsideInConfig
from outsidein.errors import InvalidRequestError
from outsidein.web import health_view as view
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.params import CsmParam, PageParam, PageSizeParam
from outsidein.web.queries import health as q
from outsidein.web.queries.accounts import csm_names
from outsidein.web.queries.health_backtest import (
    MAX_ACCOUNTS,
    MONTHS,
    page_backtest,
    page_compare,
)
from outsidein.web.routes.accounts_pages import HeaderLink
from outsidein.web.templating import templates, url_with

router = APIRouter(include_in_schema=False)

# (sort key, header label, right-aligned number, first click sorts descending)
_COLUMNS: tuple[tuple[q.AtRiskSort, str, bool, bool], ...] = (
    ("name", "Account", False, False),
    ("score", "Health", True, False),
    ("arr", "ARR", True, True),
    ("renewal_date", "Renews", False, False),
    ("last_touch", "Last touch", False, True),
)


def _headers(request: Request, sort: str, order: str) -> list[HeaderLink]:
    links = []
    for key, label, numeric, desc_first in _COLUMNS:
        current = key == sort
        flip = "desc" if order == "asc" else "asc"
        next_order = flip if current else ("desc" if desc_first else "asc")
        links.append(
            HeaderLink(
                key=key,
                label=label,
                numeric=numeric,
                href=url_with(request, sort=key, order=next_order, page=None),
                aria_sort=("ascending" if order == "asc" else "descending") if current else "none",
                arrow=("▲" if order == "asc" else "▼") if current else "",
            )
        )
    return links


@router.get("/health", response_class=HTMLResponse, name="health_page")
def health_page(
    request: Request, cur: CursorDep, book: BookDep, config: ConfigDep, csm: CsmParam = None
) -> Response:
    p = q.portfolio(cur, config.analytics, config.health, csm=book.csm(csm))
    return templates.TemplateResponse(
        request,
        "health.html",
        {
            "p": p,
            "csm": book.csm(csm),
            "csm_names": csm_names(cur),
            "band_kinds": view.band_kinds(config.health),
            "segments_chart": view.segments_chart(p),
            "arr_chart": view.arr_chart(p),
            "window_name": view.window_name,
            "windows": view.window_names(),
        },
    )


@router.get("/health/at-risk", response_class=HTMLResponse, name="health_at_risk_page")
def at_risk_page(
    request: Request,
    cur: CursorDep,
    book: BookDep,
    config: ConfigDep,
    csm: CsmParam = None,
    sort: q.AtRiskSort = "score",
    order: q.Order = "asc",
    page: PageParam = 1,
    page_size: PageSizeParam = 25,
) -> Response:
    result = q.at_risk(
        cur,
        config.analytics,
        config.health,
        csm=book.csm(csm),
        sort=sort,
        order=order,
        page=page,
        page_size=page_size,
    )
    pages = max(1, math.ceil(result.total / page_size))
    if page > pages:
        return RedirectResponse(url_with(request, page=pages if pages > 1 else None), 303)
    first = (page - 1) * page_size + 1 if result.items else 0
    return templates.TemplateResponse(
        request,
        "health_at_risk.html",
        {
            "r": result,
            "csm": book.csm(csm),
            "mine": book.csm_id is not None,
            "band_kinds": view.band_kinds(config.health),
            "csm_names": csm_names(cur),
            "headers": _headers(request, sort, order),
            "pages": pages,
            "first": first,
            "last": first + len(result.items) - 1 if result.items else 0,
            "prev_url": url_with(request, page=page - 1) if page > 1 else None,
            "next_url": url_with(request, page=page + 1) if page < pages else None,
        },
    )


@router.get("/health/scorecards", response_class=HTMLResponse, name="health_scorecards_page")
def scorecards_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    backtest: Annotated[bool, Query(description="Run the backtest now (small stores)")] = False,
) -> Response:
    report, refused = None, None
    if backtest:
        try:
            report = page_backtest(cur, config)
        except InvalidRequestError as exc:
            refused = exc.message
    return _scorecards(request, config, {"report": report, "refused": refused})


@router.post(
    "/health/scorecards", response_class=HTMLResponse, dependencies=[requires(Role.MANAGER)]
)
async def check_draft(request: Request, cur: CursorDep, config: ConfigDep) -> Response:
    """Validate a draft ``[health]`` section (the ``draft`` field) without saving it: each
    problem named by its path, or the draft's scorecards drawn as they would be published."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    text = (fields.get("draft") or [""])[0]
    draft, problems = view.check_draft(text)
    status = 200 if draft is not None else 422
    extra: dict[str, Any] = {"draft_text": text, "draft": draft, "problems": problems}
    if draft is not None and fields.get("backtest"):
        try:
            extra["compared"] = await asyncio.to_thread(page_compare, cur, config, draft)
        except InvalidRequestError as exc:
            extra["compare_refused"] = exc.message
    return _scorecards(request, config, extra, status)


def _scorecards(
    request: Request, config: OutsideInConfig, extra: dict[str, Any], status: int = 200
) -> Response:
    health = config.health
    context: dict[str, Any] = {
        "health": health,
        "trees": {name: view.tree(card) for name, card in health.scorecards.items()},
        "report": None,
        "refused": None,
        "max_accounts": MAX_ACCOUNTS,
        "months": MONTHS,
        "draft_text": "",
        "draft": None,
        "problems": [],
        "compared": None,
        "compare_refused": None,
    }
    context.update(extra)
    if context["draft"] is not None:
        context["draft_trees"] = {
            name: view.tree(card) for name, card in context["draft"].scorecards.items()
        }
    return templates.TemplateResponse(
        request, "health_scorecards.html", context, status_code=status
    )
