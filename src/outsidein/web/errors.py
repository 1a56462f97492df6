"""Every error the web layer returns, mapped in one place to one shape.

JSON clients always get ``{"error": {"status", "code", "message", "details"}}``; a browser
asking for a page gets the same facts as a friendly page inside the layout. Our own
:class:`OutsideInError` carries its code and status; FastAPI's validation errors become 400
naming the parameter; unknown routes are 404; anything unexpected is 500 without a traceback
(the server log has it).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outsidein.errors import InvalidRequestError, OutsideInError
from outsidein.web.schemas.errors import ErrorBody, ErrorResponse
from outsidein.web.templating import templates

log = logging.getLogger(__name__)

INTERNAL_ERROR_MESSAGE = "internal error; the server log has the details"


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The error as JSON, or as a page when a browser asked for a page."""
    body = ErrorResponse(
        error=ErrorBody(status=status, code=code, message=message, details=_plain(details))
    )
    if wants_html(request):
        return templates.TemplateResponse(
            request, "error.html", {"error": body.error}, status_code=status, headers=headers
        )
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def wants_html(request: Request) -> bool:
    """Pages, not the API or its docs, render errors as HTML when the client accepts HTML."""
    path = request.url.path
    if path.startswith("/api/") or path in ("/openapi.json", "/docs", "/redoc"):
        return False
    return "text/html" in request.headers.get("accept", "")


def status_code_name(status: int) -> str:
    """``404`` -> ``not_found``: a stable code for HTTP errors raised by the framework."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        return "http_error"
    return phrase.lower().replace(" ", "_").replace("-", "_").replace("'", "")


def _plain(details: Any) -> Any:
    """Details as JSON-safe values; anything exotic becomes its text."""
    if details in (None, {}, []):
        return None
    return json.loads(json.dumps(details, default=str))


async def _outsidein_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, OutsideInError)
    return error_response(request, exc.http_status, exc.code, exc.message, exc.details)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 404:
        message = f"nothing at {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = str(exc.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405 and (allowed := _documented_methods(request)):
        headers["Allow"] = allowed
    return error_response(
        request, exc.status_code, status_code_name(exc.status_code), message, None, headers
    )


def _documented_methods(request: Request) -> str:
    """Every method the OpenAPI document gives this path: Starlette's 405 names only the
    first route's (``Allow: GET`` for ``/api/v1/config``, which also takes PUT)."""
    paths = request.app.openapi().get("paths", {})
    if request.url.path in paths:  # OpenAPI: a concrete path matches before a templated one
        return ", ".join(sorted(method.upper() for method in paths[request.url.path]))
    methods: set[str] = set()
    for template, operations in paths.items():
        if re.fullmatch(re.sub(r"\\{[^/]+?\\}", "[^/]+", re.escape(template)), request.url.path):
            methods |= {method.upper() for method in operations}
    return ", ".join(sorted(methods))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = []
    for err in exc.errors():
        loc = [str(part) for part in err.get("loc", ())]
        where, name = (loc[0], ".".join(loc[1:])) if len(loc) > 1 else ("request", ".".join(loc))
        problems.append({"in": where, "parameter": name, "message": err.get("msg", "invalid")})
    message = "; ".join(f"{p['in']} parameter {p['parameter']}: {p['message']}" for p in problems)
    status = 422 if _refused_by_rules(exc) else 400
    return error_response(request, status, InvalidRequestError.code, message, problems)


# Errors a model's own validators raise (a cross-field rule, an expression that does not
# type-check): the body had the documented shape and a rule refused it, which is 422; the
# others (a missing field, a wrong type, a bound of the schema) are a malformed request, 400.
RULE_ERROR_TYPES = frozenset({"value_error", "assertion_error"})


def _refused_by_rules(exc: RequestValidationError) -> bool:
    errors = exc.errors()
    return bool(errors) and all(
        err.get("type") in RULE_ERROR_TYPES and tuple(err.get("loc", ()))[:1] == ("body",)
        for err in errors
    )


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    # Last resort for errors outside CatchUnexpectedErrors; Starlette re-raises after it.
    return error_response(request, 500, "internal_error", INTERNAL_ERROR_MESSAGE)


class CatchUnexpectedErrors:
    """Answer an unexpected exception with the 500 error shape and log its traceback.

    Unlike an ``Exception`` handler, which Starlette re-raises after responding (and uvicorn
    then drops the keep-alive connection under the client's next request), this ends the
    request cleanly.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            if started:
                raise  # half a response is out; only closing the connection is left
            log.exception("unexpected error serving %s %s", scope["method"], scope["path"])
            request = Request(scope, receive)
            response = error_response(request, 500, "internal_error", INTERNAL_ERROR_MESSAGE)
            await response(scope, receive, send)


def install_error_handlers(app: FastAPI) -> None:
    """Route every kind of error through :func:`error_response`."""
    app.add_exception_handler(OutsideInError, _outsidein_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected_error)
    app.add_middleware(CatchUnexpectedErrors)
