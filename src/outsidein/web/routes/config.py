"""``/api/v1/config``: the configuration in force, and edits to it (each a new version).

The server never rewrites outsidein.toml: an edit is stored in the store as a new version
and used from the next request on (``[store]`` settings of the Segment API from the next
start). ``outsidein config export`` writes the current version back to a file when wanted.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from fastapi import APIRouter, Request

from outsidein.auth.roles import Role
from outsidein.config import config_toml, parse_config
from outsidein.errors import MalformedRequestError
from outsidein.store.config_versions import ConfigVersion
from outsidein.web.access import PrincipalDep, actor_name, requires
from outsidein.web.background import pipeline_of
from outsidein.web.deps import CursorDep, ServerConfig
from outsidein.web.schemas.config import ConfigVersionOut
from outsidein.web.schemas.errors import ErrorResponse

router = APIRouter(prefix="/config", tags=["config"])

MAX_BODY = 1024 * 1024

_PUT_DOC: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The whole configuration, shaped like outsidein.toml (omitted keys take "
        "their shipped defaults).",
        "content": {
            "application/json": {"schema": {"$ref": "#/components/schemas/OutsideInConfig"}}
        },
    }
}


def _out(version: ConfigVersion) -> ConfigVersionOut:
    assert version.version is not None and version.created_at is not None  # stored versions
    return ConfigVersionOut(
        version=version.version,
        created_at=version.created_at,
        source=version.source,
        origin=version.origin,
        config=version.config,
        toml=version.toml or config_toml(version.config),
    )


def _server_config(request: Request) -> ServerConfig:
    config: ServerConfig = request.app.state.config
    return config


@router.get("", response_model=ConfigVersionOut, summary="The configuration in force")
def get_config(request: Request) -> ConfigVersionOut:
    return _out(_server_config(request).current)


@router.put(
    "",
    response_model=ConfigVersionOut,
    summary="Replace the configuration (stored as a new version)",
    openapi_extra=_PUT_DOC,
    dependencies=[requires(Role.ADMIN)],
    responses={
        400: {"model": ErrorResponse, "description": "The body is not a JSON object"},
        403: {"model": ErrorResponse, "description": "Not an admin"},
        422: {"model": ErrorResponse, "description": "Invalid settings; details.fields names each"},
    },
)
async def put_config(request: Request, cur: CursorDep, principal: PrincipalDep) -> ConfigVersionOut:
    """Validate with the same models as outsidein.toml; an unchanged body adds no version."""
    body = await request.body()
    if len(body) > MAX_BODY:
        raise MalformedRequestError(f"the body is over {MAX_BODY:,} bytes")
    try:
        raw = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MalformedRequestError(f"the body is not JSON: {exc}") from exc
    if not isinstance(raw, dict):
        raise MalformedRequestError("the body must be a JSON object shaped like outsidein.toml")
    config = parse_config(raw, "configuration")
    origin = actor_name(principal)
    stored = await asyncio.to_thread(_server_config(request).replace, cur, config, origin)
    pipeline_of(request.app).mark("config_versions")  # the steps reading settings catch up
    return _out(stored)
