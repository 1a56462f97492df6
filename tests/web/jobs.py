"""Waiting for a job the API started (202 with a job id)."""

from __future__ import annotations

import time
from typing import Any

import httpx


def finished(
    response: httpx.Response, base_url: str, timeout: float = 60, *, headers: dict[str, str]
) -> dict[str, Any]:
    """The job of a 202 ``response``, polled until its status is final (``headers`` sign in)."""
    assert response.status_code == 202, response.text
    job: dict[str, Any] = response.json()
    assert response.headers["Location"] == job["url"] == f"/api/v1/jobs/{job['id']}"
    deadline = time.monotonic() + timeout
    while job["status"] in ("queued", "running"):
        assert time.monotonic() < deadline, f"job still {job['status']} after {timeout} s"
        time.sleep(0.05)
        job = httpx.get(base_url + job["url"], headers=headers, timeout=30).json()
    return job
