"""The one gate every request passes: Host allow-list, body size, who is asking, default deny.

It runs before routing, so a route added later by any capability is behind it without
doing anything (docs/security.md). In order:

1. the Host header must be one the server answers to (a DNS-rebinding page sends its own);
2. no body may exceed ``OUTSIDEIN_MAX_BODY_KB`` (file uploads have their own limit);
3. the caller is found from a session cookie, an API token (``Authorization: Bearer``) or
   the server's own token (``X-Outsidein-Token``, from the record beside the store);
4. a path that is not a declared exception (:data:`PUBLIC_PREFIXES`, :data:`PUBLIC_PATHS`)
   needs a caller: else 401 (or the login page, for a browser);
5. a state-changing request needs a same-origin ``Origin`` (when sent), the session's CSRF
   token (for a browser session) and a caller who may change things (not a viewer, not a
   ``read`` token);
6. every response carries the security headers.

Finer checks (a minimum role, the caller's book) are in :mod:`outsidein.web.access`.
"""

from __future__ import annotations

import asyncio
import hmac
import socket
from collections.abc import Callable
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import Request
from fastapi.responses import RedirectResponse, Response
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from outsidein.auth.principal import SERVER, Principal
from outsidein.auth.sessions import COOKIE, find_session
from outsidein.auth.tokens import find_token
from outsidein.errors import OutsideInError
from outsidein.settings.auth import LOOPBACK_HOSTS, AuthSettings
from outsidein.web.errors import error_response

# Declared exceptions: no data behind them, or their own credentials (Segment write keys).
# /unsubscribe/: a contact's link from an email, its signed token the credential (outbox).
# /s/: an outcome survey's form, the contact's link token the credential (jobs/surveys.py).
PUBLIC_PREFIXES = (
    "/v1/", "/static/", "/static-offline-docs/", "/assets/", "/unsubscribe/", "/s/",
)  # fmt: skip
PUBLIC_PATHS = frozenset({"/healthz", "/login", "/favicon.ico"})
SURVEY_FORM = "/s/"
# Uploads stream to disk under their own limit (OUTSIDEIN_MAX_UPLOAD_MB).
OWN_BODY_LIMIT = ("/api/v1/loads/",)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_HEADER = "x-csrf-token"
CSRF_FIELD = "csrf_token"
SERVER_TOKEN_HEADER = "x-outsidein-token"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Swagger UI and ReDoc start from an inline script of fastapi-offline's page.
DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class BodyTooLargeError(OutsideInError):
    """Raised from ``receive`` when a streamed body grows past the limit: the app's error
    handlers answer it (413) like any of our errors."""

    code = "payload_too_large"
    http_status = 413


class Guard:
    """ASGI middleware: see the module's docstring. ``hosts`` are the names answered."""

    def __init__(self, app: ASGIApp, settings: AuthSettings, hosts: Callable[[], set[str]]) -> None:
        self.app = app
        self.settings = settings
        self.hosts = hosts
        self.max_body = settings.max_body_kb * 1024

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        path, method = scope["path"], scope["method"]
        refusal = self._host_refusal(request)
        if refusal is None and not path.startswith(OWN_BODY_LIMIT):
            refusal = self._size_refusal(request)
        principal = None
        if refusal is None:
            principal = await self._principal(request)
            scope.setdefault("state", {})["principal"] = principal
            refusal = self._access_refusal(request, principal)
        if refusal is None and method not in SAFE_METHODS and not path.startswith("/v1/"):
            refusal = self._origin_refusal(request)
            # The survey form acts for the link's contact, not for whoever is signed in: a
            # viewer (or a read token) who opens a contact's link may still answer it.
            if refusal is None and principal is not None and not path.startswith(SURVEY_FORM):
                refusal, receive = await self._write_refusal(request, principal, receive)
        send = self._with_headers(send, path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        if not path.startswith(OWN_BODY_LIMIT):
            receive = self._capped(receive)
        await self.app(scope, receive, send)

    # -- 1. and 2.: where the request is addressed, how big it is ---------------------------

    def _host_refusal(self, request: Request) -> Response | None:
        host = request.headers.get("host", "")
        name = urlsplit("//" + host).hostname or ""
        allowed = self.hosts()
        if "*" in allowed or name.lower() in allowed:
            return None
        return error_response(
            request,
            400,
            "unknown_host",
            f"this server does not answer to the host {host!r}; an administrator adds it to "
            "OUTSIDEIN_ALLOWED_HOSTS",
        )

    def _size_refusal(self, request: Request) -> Response | None:
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body:
            return self._too_large(request)
        return None

    def _too_large(self, request: Request) -> Response:
        return error_response(
            request,
            413,
            "payload_too_large",
            f"the body is over this server's limit of {self.max_body:,} bytes "
            "(OUTSIDEIN_MAX_BODY_KB)",
        )

    def _capped(self, receive: Receive) -> Receive:
        received = 0

        async def capped() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body:
                raise BodyTooLargeError(
                    f"the body is over this server's limit of {self.max_body:,} bytes "
                    "(OUTSIDEIN_MAX_BODY_KB)"
                )
            return message

        return capped

    # -- 3.: who is asking ------------------------------------------------------------------

    async def _principal(self, request: Request) -> Principal | None:
        app = request.app
        owner = getattr(app.state, "owner", None)
        sent = request.headers.get(SERVER_TOKEN_HEADER, "")
        client = request.client.host if request.client else ""
        if (
            owner is not None
            and sent
            and client in LOOPBACK_HOSTS  # the record proves the same user on this machine
            and hmac.compare_digest(sent.encode(), owner.token.encode())
        ):
            return SERVER
        store = getattr(app.state, "store", None)
        if store is None:
            return None
        auth = request.headers.get("authorization", "")
        bearer = auth[7:].strip() if auth[:7].lower() == "bearer " else ""
        cookie = _cookie(request.headers.get("cookie", ""))
        if not bearer and not cookie:
            return None
        return await asyncio.to_thread(self._lookup, store, bearer, cookie)

    def _lookup(self, store: Any, bearer: str, cookie: str) -> Principal | None:
        portfolio = self.settings.csm_sees_portfolio
        cur = store.cursor()
        try:
            if bearer:
                found = find_token(cur, bearer)
                if found is None:
                    return None
                user, scope = found
                return Principal.of_user(user, "token", scope=scope, csm_sees_portfolio=portfolio)
            session = find_session(cur, cookie)
            if session is None:
                return None
            user, csrf = session
            return Principal.of_user(user, "session", csrf_token=csrf, csm_sees_portfolio=portfolio)
        finally:
            cur.close()

    # -- 4. and 5.: default deny, writes ------------------------------------------------------

    def _access_refusal(self, request: Request, principal: Principal | None) -> Response | None:
        if principal is not None or is_public(request.url.path):
            return None
        if request.method == "GET" and "text/html" in request.headers.get("accept", ""):
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return RedirectResponse("/login?next=" + quote(target, safe=""), 303)
        return error_response(
            request,
            401,
            "unauthenticated",
            "sign in first: a session (the login page), an API token "
            "(Authorization: Bearer oiat_...) or `outsidein` on the server's machine",
            headers={"WWW-Authenticate": "Bearer"},
        )

    def _origin_refusal(self, request: Request) -> Response | None:
        origin = request.headers.get("origin")
        if origin is None:
            return None  # not a browser (browsers send Origin on every cross-site write)
        if urlsplit(origin).netloc.lower() == request.headers.get("host", "").lower():
            return None
        return error_response(
            request, 403, "cross_origin", f"a request from {origin!r} may not change anything here"
        )

    async def _write_refusal(
        self, request: Request, principal: Principal, receive: Receive
    ) -> tuple[Response | None, Receive]:
        if principal.via == "session":
            sent, receive = await _csrf_sent(request, receive, self.max_body)
            expected = principal.csrf_token or ""
            if not sent or not hmac.compare_digest(sent.encode(), expected.encode()):
                return error_response(
                    request,
                    403,
                    "csrf_failed",
                    "the form's CSRF token is missing or stale: reload the page and try again",
                ), receive
        if principal.read_only and request.url.path != "/logout":
            why = "a read token" if principal.scope == "read" else "a viewer"
            return error_response(
                request,
                403,
                "forbidden",
                f"{why} cannot change anything (signed in as {principal.username})",
            ), receive
        return None, receive

    # -- 6.: headers -----------------------------------------------------------------------

    def _with_headers(self, send: Send, path: str) -> Send:
        csp = DOCS_CSP if path in DOCS_PATHS else CSP

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", csp)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
            await send(message)

        return with_headers


def _cookie(header: str) -> str:
    if not header:
        return ""
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(header)
    except Exception:  # a malformed Cookie header is no session
        return ""
    morsel = jar.get(COOKIE)
    return morsel.value if morsel is not None else ""


async def _csrf_sent(request: Request, receive: Receive, limit: int) -> tuple[str, Receive]:
    """The CSRF token from the header, or from a form body (read here and replayed)."""
    sent = request.headers.get(CSRF_HEADER, "")
    content_type = Headers(scope=request.scope).get("content-type", "")
    if sent or not content_type.startswith("application/x-www-form-urlencoded"):
        return sent, receive
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        if size > limit or not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    fields = parse_qs(body.decode("utf-8", "replace"))
    return (fields.get(CSRF_FIELD) or [""])[0], replay


def allowed_hosts(settings: AuthSettings, bound: str | None) -> set[str]:
    """The loopback names, the host the server binds, and OUTSIDEIN_ALLOWED_HOSTS."""
    names = {*LOOPBACK_HOSTS, *settings.extra_hosts}
    if bound and bound not in ("0.0.0.0", "::", ""):
        names.add(bound.strip("[]").lower())
    elif bound is not None:  # every interface: the machine's own name too
        names.add(socket.gethostname().lower())
    return names


__all__ = ["CSP", "PUBLIC_PATHS", "PUBLIC_PREFIXES", "Guard", "allowed_hosts", "is_public"]
