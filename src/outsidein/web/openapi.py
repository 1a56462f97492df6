"""Make the OpenAPI document describe the errors the API really returns.

FastAPI documents a 422 with its own body for every endpoint that takes parameters; ours
answers 400 in the one error shape, so the document says that instead. A 422 an endpoint
declares itself in the error shape (invalid settings in ``PUT /api/v1/config``) stays.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from outsidein.web.schemas.errors import ErrorResponse

_ERROR_REF = {"$ref": "#/components/schemas/ErrorResponse"}


def install_openapi(app: FastAPI) -> None:
    """Replace the generated 422 responses with our 400 and add the shared 500."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema:
            return app.openapi_schema
        schema = get_openapi(
            title=app.title, version=app.version, description=app.description, routes=app.routes
        )
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["ErrorResponse"] = ErrorResponse.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        for defs_name, defs in components["ErrorResponse"].pop("$defs", {}).items():
            components[defs_name] = defs
        components.pop("HTTPValidationError", None)
        components.pop("ValidationError", None)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                if _generated(responses.get("422")) and responses.pop("422"):
                    responses["400"] = _error("Invalid parameters")
                responses.setdefault("500", _error("Unexpected server error"))
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ERROR_REF}}}


def _generated(response: dict[str, Any] | None) -> bool:
    """FastAPI's own 422 (which we answer as 400), not one an endpoint declares in our shape."""
    if response is None:
        return False
    schema = response.get("content", {}).get("application/json", {}).get("schema")
    return bool(schema != _ERROR_REF)
