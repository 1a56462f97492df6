"""Real receivers on 127.0.0.1 for the outbox tests: an SMTP server (aiosmtpd) and an HTTP
server (the stdlib's, threaded). Each records what it acknowledged and can be told to fail
the next requests, answer slowly, or refuse for good."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Behaviour:
    """What the receiver does with the next requests."""

    fail_next: int = 0  # answer a temporary failure this many times
    refuse: bool = False  # answer a permanent refusal
    delay: float = 0.0  # seconds before answering

    def decide(self) -> str:
        if self.delay:
            time.sleep(self.delay)
        if self.refuse:
            return "refuse"
        if self.fail_next > 0:
            self.fail_next -= 1
            return "fail"
        return "ok"


class SmtpReceiver:
    """An SMTP server; ``messages``: the emails it accepted (250)."""

    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self.messages: list[EmailMessage] = []
        self.tries = 0
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.tries += 1
        decision = self.behaviour.decide()
        if decision == "fail":
            return "451 4.3.0 try again later"
        if decision == "refuse":
            return "550 5.1.1 no such mailbox"
        raw = envelope.content if isinstance(envelope.content, bytes) else b""
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 OK"

    def __enter__(self) -> SmtpReceiver:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


@dataclass
class Received:
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class HttpReceiver:
    """An HTTP server taking POSTs; ``received``: what it acknowledged (2xx), ``tries``: all."""

    behaviour: Behaviour = field(default_factory=Behaviour)
    received: list[Received] = field(default_factory=list)
    tries: list[Received] = field(default_factory=list)

    def __post_init__(self) -> None:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", 0))
                got = Received(
                    {k.lower(): v for k, v in self.headers.items()},
                    json.loads(self.rfile.read(length)),
                )
                outer.tries.append(got)
                decision = outer.behaviour.decide()
                status = {"ok": 200, "fail": 503, "refuse": 400}[decision]
                if decision == "ok":
                    outer.received.append(got)
                try:
                    self.send_response(status)
                    self.send_header("content-length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the sender was killed mid-request (test_crash): it hears nothing

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def keys(self) -> list[str]:
        return [r.headers["idempotency-key"] for r in self.received]

    def __enter__(self) -> HttpReceiver:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
