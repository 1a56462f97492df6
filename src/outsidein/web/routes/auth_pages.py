"""``/login``, ``/logout`` and ``/healthz``: signing in with a password, out, and a liveness
probe that says nothing but "ok"."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import duckdb
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from outsidein.auth.errors import TooManyAttemptsError
from outsidein.auth.principal import Principal
from outsidein.auth.sessions import COOKIE, end_session, start_session
from outsidein.auth.users import authenticate
from outsidein.settings.auth import AuthSettings
from outsidein.store import audit
from outsidein.web.deps import ServerStore
from outsidein.web.templating import templates

router = APIRouter(include_in_schema=False)


def _next(target: str) -> str:
    """Only a path on this site (never ``//evil.example``) is followed after signing in."""
    return target if target.startswith("/") and not target.startswith("//") else "/"


def _settings(request: Request) -> AuthSettings:
    settings: AuthSettings = request.app.state.auth
    return settings


def secure_cookie(request: Request) -> bool:
    """Secure when asked, or (auto) when the request came over TLS, directly or through a
    trusted proxy that says so in X-Forwarded-Proto."""
    settings = _settings(request)
    if settings.secure_cookies != "auto":
        return settings.secure_cookies == "always"
    if request.url.scheme == "https":
        return True
    client = request.client.host if request.client else ""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return client in settings.proxies and forwarded == "https"


@router.get("/healthz")
def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> Response:
    return _form(request, _next(next))


def _form(request: Request, target: str, message: str = "", username: str = "", status: int = 200
          ) -> Response:  # fmt: skip
    return templates.TemplateResponse(
        request,
        "login.html",
        {"next": target, "message": message, "username": username},
        status_code=status,
    )


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the password (rate limited per user and client), start a session, go on."""
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    username = (fields.get("username") or [""])[0][:200]
    password = (fields.get("password") or [""])[0]
    target = _next((fields.get("next") or ["/"])[0])
    client = request.client.host if request.client else ""
    limiter = request.app.state.login_limiter
    store: ServerStore = request.app.state.store
    cur = store.cursor()
    try:
        try:
            limiter.check(username, client)
        except TooManyAttemptsError as exc:
            _failed(cur, username, client, "too many attempts")
            response = _form(request, target, exc.message, username, 429)
            response.headers["Retry-After"] = str(exc.details["retry_after"])
            return response
        user = await asyncio.to_thread(authenticate, cur, username, password)
        if user is None:
            limiter.failed(username, client)
            _failed(cur, username, client, "wrong user name or password")
            return _form(request, target, "Wrong user name or password.", username, 401)
        limiter.succeeded(username, client)
        session = await asyncio.to_thread(
            start_session, cur, user, _settings(request).session_hours
        )
        detail = {"client": client, "method": "password"}
        audit.record(cur, actor=user.username, action="signin.ok", target=user.username,
                     detail=detail)  # fmt: skip
    finally:
        cur.close()
    response = RedirectResponse(target, 303)
    response.set_cookie(
        COOKIE,
        session.cookie,
        max_age=session.max_age,
        httponly=True,
        samesite="lax",
        secure=secure_cookie(request),
        path="/",
    )
    return response


def _failed(cur: duckdb.DuckDBPyConnection, username: str, client: str, reason: str) -> None:
    """A refused sign-in: nobody is known, so the name tried is the target, not the actor."""
    detail = {"client": client, "reason": reason}
    audit.record(cur, actor=None, action="signin.failed", target=username[:100], detail=detail)


@router.post("/logout")
def logout(request: Request) -> Response:
    """End the session (its row is deleted: the cookie is worthless from now on)."""
    cookie = request.cookies.get(COOKIE, "")
    principal: Principal | None = getattr(request.state, "principal", None)
    if cookie:
        store: ServerStore = request.app.state.store
        cur = store.cursor()
        try:
            end_session(cur, cookie)
            if principal is not None:
                client = request.client.host if request.client else ""
                audit.record(cur, actor=principal.username, action="signout",
                             target=principal.username, detail={"client": client})  # fmt: skip
        finally:
            cur.close()
    response = RedirectResponse("/login", 303)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
    return response
