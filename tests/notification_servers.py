"""Real receivers on loopback for the notification tests: an SMTP server (aiosmtpd) and an HTTP
server that records what webhooks post. Both run in threads of the test process.

    with smtp_server() as mail:            # mail.messages: email.message.Message objects
    with webhook_receiver() as hook:       # hook.requests: [(path, headers, body bytes)]
"""

from __future__ import annotations

import contextlib
import email
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from tests.processes import free_port


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.Message] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = _Inbox()
        self._controller: Controller | None = None

    @property
    def messages(self) -> list[email.message.Message]:
        return self.inbox.messages

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def config(self, **overrides) -> dict:
        """A channel config that sends here (no TLS on loopback)."""
        return {
            "host": "127.0.0.1",
            "port": self.port,
            "tls": "none",
            "from": "ETL Fabric <alerts@example.com>",
            "recipients": ["ops@example.com"],
            **overrides,
        }


@contextlib.contextmanager
def smtp_server(*, started: bool = True) -> Iterator[SmtpServer]:
    """An SMTP server on a free loopback port; `started=False` to start it later."""
    server = SmtpServer(free_port())
    if started:
        server.start()
    try:
        yield server
    finally:
        server.stop()


class WebhookReceiver:
    def __init__(self, server: ThreadingHTTPServer, status: list[int]) -> None:
        self.server = server
        self.requests: list[tuple[str, dict[str, str], bytes]] = []
        self.status = status  # [code]: what the next requests are answered with

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/etl"


@contextlib.contextmanager
def webhook_receiver() -> Iterator[WebhookReceiver]:
    status = [200]
    receiver: WebhookReceiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's name)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            if status[0] < 300:  # what a receiver that is down refuses, it never got
                receiver.requests.append((self.path, dict(self.headers.items()), body))
            self.send_response(status[0])
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = WebhookReceiver(server, status)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def wait_until(condition, timeout: float = 30.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while not (result := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(0.1)
    return result


def body_of(message: email.message.Message) -> str:
    """An e-mail's text, decoded, with plain newlines."""
    return message.get_payload(decode=True).decode().replace("\r\n", "\n")
