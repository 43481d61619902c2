"""The portal's background work (``python -m app worker``, docs/architecture.md): a process that runs continuously beside the
portal and the counters, on the same database.

Every round (about every 15 seconds):
1. the pending online payments whose time has come are asked to their payment site (settled or expired);
2. once a day, at the configured hour, the end of day (what ``python -m app nightly`` does: transmission and
   comptes-rendus), claimed for that day so that several workers do it once;
3. the outbox is sent (reset links, access letters, receipts, promotions, comptes-rendus): a reset link asked on the
   portal arrives within a minute.

Several workers may run at once (two servers, a worker and ``python -m app portal``): outbox messages, pending
payments and the daily job are each claimed with a lease, so no work is done twice. A round that fails (the database
or the SMTP server away) is logged and the next round tries again.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import time

from .clock import local_now
from .services.end_of_day.jobs import claim_daily, finish_daily, release_daily
from .services.end_of_day.mailer import SmtpSettings, send_pending
from .services.end_of_day.nightly import end_of_day
from .services.errors import DomainError
from .services.money.online import settle_due_online_payments
from .services.money.online_backends import PaymentGateway
from .services.uow import Database
from .text import clock_time, short_date

log = logging.getLogger("app.worker")

INTERVAL_S = 15.0
END_OF_DAY = time(19, 30)
END_OF_DAY_ENV = "GUICHET_END_OF_DAY"
END_OF_DAY_JOB = "end_of_day"
RETRY_MINUTES = 10
"""A failed end of day is tried again after this long (by any worker)."""


def parse_hour(text: str) -> time | None:
    """« 19:30 » → 19:30; « aucune » / « none » → no end of day by this worker; else ValueError (French)."""
    value = text.strip().lower()
    if value in ("", "aucune", "none", "non"):
        return None
    try:
        hours, _, minutes = value.partition(":")
        return time(int(hours), int(minutes or 0))
    except ValueError as exc:
        raise ValueError(
            f"heure de fin de journée invalide « {text} » (HH:MM, ex. 19:30, ou « aucune »)"
        ) from exc


def configured_end_of_day() -> time | None:
    return parse_hour(os.environ.get(END_OF_DAY_ENV, "")) if os.environ.get(END_OF_DAY_ENV) else END_OF_DAY


@dataclass
class Worker:
    db: Database
    gateway: PaymentGateway
    smtp: SmtpSettings | None = None
    end_of_day_at: time | None = END_OF_DAY
    interval: float = INTERVAL_S
    actor_id: int | None = None
    """Who the end of day is recorded under (the « système » agent)."""
    name: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:6]}")
    say: Callable[[str], None] = log.info
    mail_failed: bool = False
    """The last round's e-mails could not all leave (the SMTP server unreachable, a message refused, the step
    failed): ``worker --once`` then exits with ``nightly``'s code for it."""

    def round(self) -> list[str]:
        """One round of work; the French lines of what it did (nothing to say: an empty list). Each step stands
        alone: one that fails (logged, said in a line) does not keep the others from running."""
        lines: list[str] = []
        self.mail_failed = False
        for step, name in (
            (self._payments, "paiements en ligne"),
            (self._end_of_day, "fin de journée"),
            (self._outbox, "envoi des e-mails"),
        ):
            try:
                lines += step()
            except DomainError as exc:
                log.warning("worker step %s refused: %s", name, exc)
                lines.append(f"{name[:1].upper()}{name[1:]} : {exc}")
                self.mail_failed |= step == self._outbox
            except Exception:  # noqa: BLE001 - the database or a server away: the next round tries again
                log.exception("worker step %s failed", name)
                self.mail_failed |= step == self._outbox
                lines.append(
                    f"{name[:1].upper()}{name[1:]} : erreur (détail dans le journal), nouvel essai plus tard."
                )
        return lines

    def _payments(self) -> list[str]:
        return settle_due_online_payments(self.db, self.gateway).lines()

    def _outbox(self) -> list[str]:
        if self.smtp is None:
            return []
        report = send_pending(self.db, self.smtp)
        self.mail_failed = bool(report.unreachable or report.retried or report.failed)
        return report.lines() if report.sent or report.retried or report.failed or report.unreachable else []

    def _end_of_day(self) -> list[str]:
        if self.end_of_day_at is None:
            return []
        now = local_now(self.db.clock)
        if now.time() < self.end_of_day_at:
            return []
        day = now.date()
        if not claim_daily(self.db, END_OF_DAY_JOB, day, self.name[:120]):
            return []
        try:
            lines = end_of_day(self.db, day, self.actor_id)
        except BaseException:
            # tried again in a while, not at every round (the outbox and the payments go on meanwhile)
            release_daily(self.db, END_OF_DAY_JOB, self.name[:120], retry_minutes=RETRY_MINUTES)
            raise
        finish_daily(self.db, END_OF_DAY_JOB, day, self.name[:120], "\n".join(lines)[:4000])
        return [f"Fin de journée du {short_date(day)} :", *lines]

    def run(self, stop: threading.Event) -> None:
        """Rounds until ``stop`` is set; a failed round is logged, and the next one tries again."""
        self.say(
            f"Travaux de fond démarrés ({self.name}) : un tour toutes les {self.interval:g} s"
            + (f", fin de journée à {clock_time(self.end_of_day_at)}" if self.end_of_day_at else "")
            + ("" if self.smtp else " ; pas de serveur SMTP configuré : les e-mails restent en file")
            + "."
        )
        while not stop.is_set():
            try:
                for line in self.round():
                    self.say(line)
            except DomainError as exc:
                log.warning("worker round refused: %s", exc)
                self.say(f"Tour interrompu : {exc}")
            except Exception:  # noqa: BLE001 - the database or a server away: the next round tries again
                log.exception("worker round failed")
                self.say(
                    "Tour interrompu par une erreur (détail dans le journal) : nouvel essai au tour suivant."
                )
            stop.wait(self.interval)
        self.say("Travaux de fond arrêtés.")


def start_in_thread(worker: Worker) -> tuple[threading.Thread, threading.Event]:
    """The worker on a thread of this process (``python -m app portal``): returns it and its stop event."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="travaux-de-fond", daemon=True)
    thread.start()
    return thread, stop
