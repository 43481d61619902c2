"""Sending the outbox over SMTP: retried with backoff, marked sent, never twice from a finished attempt.

Each message is marked « sending » with a lease (committed) before the SMTP exchange and « sent » right after the
server accepts it. A sender that dies in between leaves its message « sending »: once the lease has expired the next
run sends it again, with the same Message-ID (fixed at the first attempt), and counts it as resent. Delivery is
therefore at least once: the one message that can arrive twice is one whose acceptance by the server and the mark
« sent » were separated by the sender's death (or by a sender frozen longer than the lease); no message is lost.
The SMTP password lives in the OS keyring, never in a file.
"""

from __future__ import annotations

import base64
import contextlib
import logging
import os
import re
import smtplib
import ssl
import time
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from ...config import command_line
from ...models import OutboxMessage, OutboxStatus
from ...text import count
from ..bounds import checked
from ..errors import ConfigurationError, DomainError
from ..families.portal import RESET_KIND, fresh_reset_link
from ..uow import Database

log = logging.getLogger(__name__)
KEYRING_SERVICE = "guichet-enfance-smtp"
MAX_ATTEMPTS = 8
SECRET_KINDS = ("portal_password",)
LEASE = timedelta(seconds=int(os.environ.get("GUICHET_OUTBOX_LEASE_SECONDS", "120")))
"""How long a sending job holds a message; a message of a killed job is taken again after it."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    security: str = "starttls"  # starttls | ssl | none
    user: str = ""
    sender: str = "enfance-jeunesse@localhost"
    timeout: float = 20.0

    @classmethod
    def from_env(cls) -> SmtpSettings | None:
        """GUICHET_SMTP_HOST, _PORT, _SECURITY, _USER, _FROM; None when no host is configured."""
        host = os.environ.get("GUICHET_SMTP_HOST", "").strip()
        if not host:
            return None
        security = os.environ.get("GUICHET_SMTP_SECURITY", "starttls").strip().lower()
        if security not in ("starttls", "ssl", "none"):
            raise ConfigurationError(
                f"GUICHET_SMTP_SECURITY invalide : « {security} » (starttls, ssl ou none)."
            )
        try:
            port = int(os.environ.get("GUICHET_SMTP_PORT", "465" if security == "ssl" else "587"))
        except ValueError as exc:
            raise ConfigurationError("GUICHET_SMTP_PORT doit être un nombre.") from exc
        sender = os.environ.get("GUICHET_SMTP_FROM", "").strip()
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", sender):  # never a silent « …@localhost »
            raise ConfigurationError(
                "GUICHET_SMTP_FROM manquant ou invalide : l'adresse d'expéditeur des e-mails aux familles "
                f"(ex. enfance-jeunesse@mairie-montech.fr){f', reçu « {sender[:60]} »' if sender else ''}."
            )
        return cls(host, port, security, os.environ.get("GUICHET_SMTP_USER", "").strip(), sender)

    def password(self) -> str | None:
        if not self.user:
            return None
        from ... import keyring_store

        secret = keyring_store.get(f"{self.user}@{self.host}", KEYRING_SERVICE)
        if secret is None:
            raise ConfigurationError(
                f"Aucun mot de passe SMTP dans le trousseau pour {self.user}@{self.host} : "
                f"enregistrez-le avec « {command_line('smtp-password')} »."
            )
        return secret


def store_password(settings: SmtpSettings, password: str) -> None:
    from ... import keyring_store

    keyring_store.put(f"{settings.user}@{settings.host}", password, KEYRING_SERVICE)


@dataclass
class SendReport:
    sent: int = 0
    retried: int = 0
    failed: list[str] = field(default_factory=list)
    remaining: int = 0
    unreachable: str = ""
    resent: int = 0
    """Messages whose earlier sending was interrupted (the sender died): sent again, maybe received twice."""

    def lines(self) -> list[str]:
        lines = [f"E-mails envoyés : {self.sent}."]
        if self.resent:
            lines.append(
                f"{count(self.resent, 'message renvoyé', 'messages renvoyés')} après un envoi interrompu "
                "(peut-être reçu deux fois, avec le même identifiant)."
            )
        if self.retried:
            lines.append(
                f"{count(self.retried, 'envoi en échec', 'envois en échec')}, nouvel essai plus tard."
            )
        if self.failed:
            lines.append("Abandonnés après plusieurs essais : " + ", ".join(self.failed) + ".")
        if self.unreachable:
            lines.append(
                f"Serveur d'envoi injoignable ({self.unreachable}) : nouvel essai à la prochaine exécution."
            )
        if self.remaining:
            lines.append(count(self.remaining, "message reste", "messages restent") + " en attente.")
        return lines


def backoff(attempts: int) -> timedelta:
    factor: int = 2 ** max(0, attempts - 1)  # int ** int is typed Any (a negative exponent gives a float)
    return min(timedelta(minutes=1) * factor, timedelta(hours=6))


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """smtplib only sends ASCII credentials: accented passwords go as UTF-8 in AUTH PLAIN (RFC 4616)."""
    if (user + password).isascii():
        smtp.login(user, password)
        return
    smtp.ehlo_or_helo_if_needed()
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, response = smtp.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, response)


class _Connection:
    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.secret = settings.password()  # a missing keyring entry stops the job before any claim
        self.smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.smtp is None:
            s = self.settings
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
            if s.user and self.secret is not None:
                _login(smtp, s.user, self.secret)
            self.smtp = smtp
        return self.smtp

    def close(self) -> None:
        if self.smtp is not None:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self.smtp.quit()
            self.smtp = None


def send_now(settings: SmtpSettings, recipient: str, subject: str, body: str) -> None:
    """Send one message at once, outside the outbox: for what must never be stored (a temporary password).

    Raises ``SmtpUnavailable`` (French) when the server cannot take it."""
    email = EmailMessage()
    email["From"] = settings.sender
    email["To"] = recipient
    email["Subject"] = subject
    email["Date"] = formatdate(localtime=True)
    email["Message-ID"] = make_msgid(domain="guichet-enfance.local")
    email.set_content(body)
    connection = _Connection(settings)
    try:
        connection.get().send_message(email)
    except (smtplib.SMTPException, OSError) as exc:
        raise SmtpUnavailable(f"{settings.host}:{settings.port} ({type(exc).__name__})") from exc
    finally:
        connection.close()


class SmtpUnavailable(DomainError):
    def __init__(self, where: str) -> None:
        super().__init__(f"Le serveur d'envoi des e-mails ne répond pas ou a refusé le message ({where}).")


Claimed = tuple[int, str, str, str, str, str, bool]
"""A message taken for sending: id, kind, recipient, subject, body, Message-ID, and whether an earlier sending of it
was interrupted."""


def _claim(db: Database) -> Claimed | None:
    """Take the next due message — or one left « sending » by a sender whose lease has expired — and mark it
    « sending » with a lease, committed before any SMTP exchange."""

    def work(s: Session) -> Claimed | None:
        now = db.clock.now()
        due = (OutboxMessage.status == OutboxStatus.PENDING) & (OutboxMessage.next_attempt_at <= now)
        abandoned = OutboxMessage.status == OutboxStatus.SENDING
        msg = s.scalar(
            select(OutboxMessage)
            .where(
                or_(due, abandoned),
                or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            )
            .order_by(OutboxMessage.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if msg is None:
            return None
        interrupted = msg.status is OutboxStatus.SENDING
        if interrupted:
            log.warning(
                "outbox message %s: its sending was interrupted; sent again with the same Message-ID %s",
                msg.id,
                msg.message_id,
            )
            msg.last_error = (
                "envoi précédent interrompu : renvoyé (même Message-ID), peut-être reçu deux fois"
            )
        msg.status = OutboxStatus.SENDING
        msg.claimed_until = now + LEASE
        if msg.message_id is None or (interrupted and msg.kind == RESET_KIND):  # a new link: a new e-mail
            msg.message_id = make_msgid(domain="guichet-enfance.local", idstring=f"outbox{msg.id}")
        body = fresh_reset_link(s, msg) if msg.kind == RESET_KIND else msg.body  # a link made as it leaves
        return msg.id, msg.kind, msg.recipient, msg.subject, body, msg.message_id, interrupted

    return db.write(work)


def _update(db: Database, msg_id: int, **values: object) -> None:
    def work(s: Session) -> None:
        s.execute(update(OutboxMessage).where(OutboxMessage.id == msg_id).values(**values))

    db.write(work)


@checked
def send_pending(
    db: Database, settings: SmtpSettings, *, pace: float = 0.0, limit: int | None = None
) -> SendReport:
    """Send every due message; each one is marked sent as soon as the server has accepted it.

    When the server cannot be reached (or refuses the login), the run stops without charging the messages an
    attempt: they wait for the next run. A message the server refuses is retried later with backoff.
    """
    report = SendReport()
    connection = _Connection(settings)
    try:
        while limit is None or report.sent + report.retried < limit:
            claimed = _claim(db)
            if claimed is None:
                break
            msg_id, kind, recipient, subject, body, message_id, interrupted = claimed
            try:
                smtp = connection.get()
            except (smtplib.SMTPException, OSError) as exc:
                _update(
                    db,
                    msg_id,
                    status=OutboxStatus.PENDING,
                    claimed_until=None,
                    last_error=f"{type(exc).__name__}: {exc}"[:1000],
                )
                report.unreachable = f"{settings.host}:{settings.port} ({type(exc).__name__})"
                break
            email = EmailMessage()
            email["From"] = settings.sender
            email["To"] = recipient
            email["Subject"] = subject
            email["Date"] = formatdate(localtime=True)
            email["Message-ID"] = message_id
            email.set_content(body)
            try:
                smtp.send_message(email)
            except (smtplib.SMTPException, OSError) as exc:
                connection.close()
                _record_failure(db, msg_id, exc, report, recipient)
                continue
            done = {
                "status": OutboxStatus.SENT,
                "sent_at": db.clock.now(),
                "claimed_until": None,
                "last_error": None,
            }
            if kind in SECRET_KINDS:  # (older versions queued temporary passwords: none is kept once sent)
                done["body"] = "(message envoyé ; contenu effacé car il contenait un mot de passe provisoire)"
            _update(db, msg_id, **done)
            report.sent += 1
            if interrupted:
                report.resent += 1
            if pace:
                time.sleep(pace)
    finally:
        connection.close()
    with db.reading() as uow:
        report.remaining = (
            uow.session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            )
            or 0
        )
    return report


def _record_failure(db: Database, msg_id: int, exc: Exception, report: SendReport, recipient: str) -> None:
    def work(s: Session) -> bool:
        msg = s.get(OutboxMessage, msg_id)
        assert msg is not None
        msg.attempts += 1
        msg.last_error = f"{type(exc).__name__}: {exc}"[:1000]
        msg.claimed_until = None
        msg.status = OutboxStatus.PENDING
        if msg.attempts >= MAX_ATTEMPTS:
            msg.status = OutboxStatus.FAILED
            return False
        msg.next_attempt_at = db.clock.now() + backoff(msg.attempts)
        return True

    if db.write(work):
        report.retried += 1
    else:
        report.failed.append(recipient)
