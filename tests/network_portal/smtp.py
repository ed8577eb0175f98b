"""A real SMTP server on loopback (aiosmtpd) that keeps what it receives, and
can be told to answer the next messages with an error."""

import socket
import threading
import time
from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from network_portal.outbox.services import close_connection


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SinkHandler:
    def __init__(self):
        self.messages: list[EmailMessage] = []
        self.sessions = 0
        # Replies for the next DATA commands, e.g. ["421 4.3.0 Try again later"].
        self.data_replies: list[str] = []
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        with self._lock:
            self.sessions += 1
        session.host_name = hostname
        return responses

    async def handle_DATA(self, server, session, envelope):
        with self._lock:
            if self.data_replies:
                return self.data_replies.pop(0)
            self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"


class SmtpSink:
    """Use as a context manager; .url is the EMAIL_URL that reaches it."""

    def __init__(self, *, idle_timeout: float = 300):
        self.port = free_port()
        self.handler = SinkHandler()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, timeout=idle_timeout)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> list[EmailMessage]:
        with self.handler._lock:
            return list(self.handler.messages)

    def outbox_ids(self) -> Counter:
        """How many times each outbox row arrived, by its X-Outbox-Id header."""
        return Counter(int(message["X-Outbox-Id"]) for message in self.messages)

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        deadline = time.monotonic() + timeout
        with self.handler._arrived:
            while len(self.handler.messages) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"expected {count} message(s), got {len(self.handler.messages)}")
                self.handler._arrived.wait(remaining)
            return list(self.handler.messages)

    def use_in(self, settings) -> None:
        """Point Django's email settings (the pytest-django fixture) at this sink."""
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST = "127.0.0.1"
        settings.EMAIL_PORT = self.port
        settings.EMAIL_HOST_USER = ""
        settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = False
        settings.EMAIL_USE_SSL = False
        settings.EMAIL_TIMEOUT = 10

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        # Do not leave this thread's cached SMTP connection pointing at a dead server.
        close_connection()
        self.controller.stop()
