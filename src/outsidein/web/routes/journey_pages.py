"""``/journey``: the journey as the data shows it — the directly-follows graph drawn by the
charting library's force layout, the stage funnel, the service blueprint heatmap (with its SVG
download), the broken hand-offs and the paths before churn (docs/journey.md#the-journey-page).

Every figure is what ``/api/v1/journey/...`` answers for the same filters: the page calls those
routes' functions.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BeforeValidator

from outsidein.auth.roles import Role
from outsidein.web.access import BookDep, requires
from outsidein.web.deps import ConfigDep, CursorDep
from outsidein.web.journey_charts import blueprint_heatmap, dfg_graph
from outsidein.web.params import IsoDate
from outsidein.web.routes.journey import (
    SegmentParam,
    blueprint_of,
    churn_path_list,
    discover,
    funnel,
    handoffs,
)
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


def _blank(value: object) -> object:
    return None if value == "" else value


# The form sends an empty field for "any day" and "All".
FormDay = Annotated[IsoDate | None, BeforeValidator(_blank), Query()]
FormSegment = Annotated[SegmentParam, BeforeValidator(_blank)]

STEPS = {"function": "Function", "stage": "Stage", "function_channel": "Function and channel"}
EDGES_DRAWN = 20
HANDOFFS_SHOWN = 25


@router.get("/journey", response_class=HTMLResponse, name="journey_page",
            dependencies=[requires(Role.VIEWER)])  # fmt: skip
def journey_page(
    request: Request,
    cur: CursorDep,
    config: ConfigDep,
    book: BookDep,
    since: FormDay = None,
    until: FormDay = None,
    segment: FormSegment = None,
    steps: Annotated[
        Literal["function", "stage", "function_channel"], Query(description="What a step is")
    ] = "function",
) -> Response:
    found = discover(cur, book, "account", steps, since, until, EDGES_DRAWN, segment)
    bp = blueprint_of(cur, config, book, since, until, segment)
    segments = [r[0] for r in cur.execute(
        "SELECT DISTINCT segment FROM accounts WHERE segment IS NOT NULL ORDER BY 1"
    ).fetchall()]  # fmt: skip
    edges = [e.model_dump(by_alias=True) for e in found.edges]
    return templates.TemplateResponse(
        request,
        "journey.html",
        {
            "found": found,
            "graph_spec": dfg_graph(edges, f"Directly-follows graph by {STEPS[steps].lower()}")
            if edges
            else None,
            "funnel": funnel(cur, config, book, since, until, segment).steps,
            "bp": bp,
            "heatmap_spec": blueprint_heatmap(bp, "Service blueprint: functions by stages"),
            "broken": handoffs(cur, config, book, None, HANDOFFS_SHOWN),
            "paths": churn_path_list(cur, book, None, 3, 90, 10, segment, steps),
            "segments": segments,
            "where": {"since": since, "until": until, "segment": segment, "steps": steps},
            "steps_names": STEPS,
            "svg_url": "/api/v1/journey/blueprint?"
            + urlencode(
                {k: v for k, v in (("since", since), ("until", until), ("segment", segment)) if v}
                | {"format": "svg"}
            ),
        },
    )
