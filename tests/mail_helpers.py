"""A real SMTP server in the test process (aiosmtpd), and helpers to read what arrives."""

from __future__ import annotations

import re
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """What the SMTP server received, parsed; aiosmtpd calls handle_DATA for each message."""

    def __init__(self):
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        message.envelope_to = list(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """Messages sent to ``address``."""
        return [m for m in self.messages if address in m.envelope_to]

    def clear(self) -> None:
        self.messages.clear()


class SmtpServer:
    """An SMTP server on a fixed local port that can be stopped and started again."""

    def __init__(self, port: int):
        self.port = port
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp(app):
    """A running SMTP server the app sends to; ``smtp.inbox.messages`` is what arrived."""
    server = SmtpServer(free_port())
    server.start()
    app.config.update(MAIL_HOST="127.0.0.1", MAIL_PORT=server.port, MAIL_TLS="none")
    yield server
    server.stop()


def body(message: EmailMessage) -> str:
    """The text of a message."""
    return message.get_content()


def link_in(message: EmailMessage, path_start: str) -> str:
    """The path of the first link in the message that starts with ``path_start`` (e.g. "/account/reset/")."""
    match = re.search(r"https?://[^/\s]+(" + re.escape(path_start) + r"[^\s]*)", body(message))
    assert match, f"no link to {path_start} in:\n{body(message)}"
    return match.group(1)
