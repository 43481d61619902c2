"""A real SMTP server on loopback (aiosmtpd) for the tests, recording what it accepts."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


@dataclass
class Received:
    sender: str
    recipients: list[str]
    subject: str
    body: str
    message_id: str


@dataclass
class Recorder:
    messages: list[Received] = field(default_factory=list)
    on_mail: list = field(default_factory=list)
    """Callables run when a MAIL FROM arrives (before the message's data), with the count received so far."""
    lock: threading.Lock = field(default_factory=threading.Lock)
    refuse: set[str] = field(default_factory=set)
    """Recipients the server answers 550 for."""

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802 - aiosmtpd hook
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_MAIL(self, server, session, envelope, address, mail_options):  # noqa: N802 - aiosmtpd hook
        for hook in self.on_mail:
            hook(len(self.messages))
        envelope.mail_from = address
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 - aiosmtpd hook
        parsed = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(
                Received(
                    envelope.mail_from,
                    list(envelope.rcpt_tos),
                    str(parsed["Subject"]),
                    parsed.get_content(),
                    str(parsed["Message-ID"]).strip(),
                )
            )
        return "250 Message accepted for delivery"


def program_env(port: int) -> dict[str, str]:
    """The program's settings (``GUICHET_SMTP_*``) for a plain SMTP server on loopback at ``port``, with no login."""
    return {
        "GUICHET_SMTP_HOST": "127.0.0.1",
        "GUICHET_SMTP_PORT": str(port),
        "GUICHET_SMTP_SECURITY": "none",
        "GUICHET_SMTP_FROM": "enfance@montech.example",
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """Start with ``Server(user=..., password=...)``; ``.port``, ``.recorder``; ``.stop()``. ``recorder``: a
    subclass of Recorder with hooks of its own (the fault tests kill a sender from inside the server)."""

    def __init__(
        self, user: str | None = None, password: str | None = None, recorder: Recorder | None = None
    ) -> None:
        self.recorder = recorder if recorder is not None else Recorder()
        self.port = free_port()
        kwargs = {}
        if user is not None:

            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = (
                    isinstance(auth_data, LoginPassword)
                    and auth_data.login.decode() == user
                    and (auth_data.password.decode() == password)
                )
                return AuthResult(success=ok)

            kwargs = {"authenticator": authenticator, "auth_required": True, "auth_require_tls": False}
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
