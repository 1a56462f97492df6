"""Make the OpenAPI document describe the requests and responses the API really has.

FastAPI documents a 422 with its own body for every endpoint that takes parameters; ours
answers a request the document does not allow with 400 in the one error shape, so the
document says that instead. A 422 an endpoint declares itself in the error shape (a value
refused by a rule stated in words, e.g. ``as_of`` after today) stays, and every body can be
refused by a rule of its model (a cross-field check) with 422. Bodies a handler
parses itself (the Segment API, for speed) are documented by models that never validate
(:func:`documented_body`), with the authentication they need (:func:`documented_auth`).
The rules: docs/api.md.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel

from outsidein.web.schemas.errors import ErrorResponse

_REF = "#/components/schemas/{model}"
_ERROR_REF = {"$ref": _REF.format(model="ErrorResponse")}
_BODIES: dict[str, type[BaseModel]] = {}
_AUTH: dict[str, dict[str, Any]] = {}


def documented_body(model: type[BaseModel], description: str) -> dict[str, Any]:
    """``openapi_extra`` declaring ``model`` as the JSON body, for a handler that reads the
    raw body itself: the document describes it, FastAPI never validates it."""
    _BODIES[model.__name__] = model
    schema = {"$ref": _REF.format(model=model.__name__)}
    return {
        "requestBody": {
            "required": True,
            "description": description,
            "content": {"application/json": {"schema": schema}},
        }
    }


def documented_auth(name: str, scheme: dict[str, Any]) -> dict[str, Any]:
    """``openapi_extra`` saying the operation needs the security scheme ``scheme``."""
    _AUTH[name] = scheme
    return {"security": [{name: []}]}


def install_openapi(app: FastAPI) -> None:
    """Replace the generated 422 responses with our 400, add the shared 500 and the
    documented bodies and security schemes."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {})
        models = components.setdefault("schemas", {})
        documented: list[type[BaseModel]] = [ErrorResponse, *_BODIES.values()]
        for model in documented:
            _add_model(models, model)
        if _AUTH:
            components.setdefault("securitySchemes", {}).update(_AUTH)
        models.pop("HTTPValidationError", None)
        models.pop("ValidationError", None)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if _generated(responses.get("422")):
                    responses.pop("422")
                if operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault("400", _error("Invalid parameters"))
                if operation.get("requestBody"):
                    responses.setdefault("422", _error("The body was refused by a rule"))
                responses.setdefault("500", _error("Unexpected server error"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _add_model(models: dict[str, Any], model: type[BaseModel]) -> None:
    """``model``'s schema and the schemas it refers to, as components."""
    found = model.model_json_schema(ref_template=_REF)
    for name, definition in found.pop("$defs", {}).items():
        models.setdefault(name, definition)
    models[model.__name__] = found


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _generated(response: dict[str, Any] | None) -> bool:
    """FastAPI's own 422 (which we answer as 400), not one an endpoint declares in our shape."""
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return bool(schema != _ERROR_REF)
