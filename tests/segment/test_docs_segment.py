"""docs/segment.md cannot go stale: every setting, endpoint and error code is in it."""

from __future__ import annotations

from pathlib import Path

from outsidein.ingest import segment
from outsidein.ingest.segment import SegmentSettings

from .conftest import SegmentServer

DOC = (Path(__file__).resolve().parents[2] / "docs" / "segment.md").read_text(encoding="utf-8")


def test_every_setting_is_documented() -> None:
    for name in SegmentSettings.model_fields:
        assert f"`OUTSIDEIN_SEGMENT_{name.upper()}`" in DOC, name


def test_every_error_code_is_documented() -> None:
    api_only = ("SegmentError", "KeyNotFoundError", "LocalOnlyError")  # not from /v1/*
    for name in segment.__all__:
        error = getattr(segment, name)
        if isinstance(error, type) and issubclass(error, segment.SegmentError):
            assert name in api_only or f"`{error.code}`" in DOC, name


def test_every_endpoint_is_documented_and_in_the_openapi(shared_server: SegmentServer) -> None:
    paths = shared_server.http.get(shared_server.url + "/openapi.json").json()["paths"]
    for call in (*segment.TYPES, "batch"):
        assert f"/v1/{call}" in paths and f"/v1/{call}" in DOC, call
        assert set(paths[f"/v1/{call}"]["post"]["responses"]) >= {"200", "400", "401", "413", "429"}
