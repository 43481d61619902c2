"""The worker (issue 26, ``python -m app worker``): the outbox sent within a minute (a reset link asked on the portal
arrives while it is still valid), pending online payments settled, the end of day once a day at its hour, several
workers at once doing no work twice, and the command itself (a round, SIGTERM, a missing SMTP password)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date
from datetime import time as dtime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.models import (
    AuditEntry,
    OnlinePayment,
    OnlinePaymentStatus,
    OutboxMessage,
    OutboxStatus,
    Reservation,
    Role,
    ScheduledJob,
)
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm
from app.services.end_of_day.mailer import SmtpSettings
from app.services.end_of_day.outbox import queue_email
from app.services.invariants import check
from app.services.money.online import (
    FIRST_CHECK,
    PaymentSettingsInput,
    save_payment_settings,
    start_online_payment,
)
from app.services.money.online_backends import PaymentGateway
from app.services.uow import new_operation_key
from app.web.app import create_app
from app.web.security import Limits
from app.worker import END_OF_DAY_JOB, Worker, parse_hour
from tests.helpers import activity_id, actor, child_encoding, new_family, structure_of
from tests.payfip_double import PayFiPDouble
from tests.smtp_server import Server, program_env
from tests.test_online_payments import PAYFIP, family, idop_of
from tests.test_portal_http import PUBLIC, SECRET, family_with_access, post

NOW = paris(date(2026, 11, 26), dtime(10, 0))
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def smtp():
    server = Server()
    yield server
    server.stop()


def _queue(db, n: int, prefix: str = "travail") -> None:
    from app.models import Family

    families = [new_family(db, f"{prefix}{i}", email=f"{prefix}{i}@example.org")[0] for i in range(n)]
    with db.writing() as uow:
        for i, family_id in enumerate(families):
            queue_email(
                uow.session,
                kind="test",
                dedup_key=f"{prefix}-{i}",
                family=uow.session.get(Family, family_id),
                subject=f"Message {i}",
                body="Bonjour.",
                now=NOW,
            )
        uow.commit()


def test_a_reset_link_asked_on_the_portal_arrives_within_a_minute(demo_rw, smtp):
    db = demo_rw
    db.clock.set(NOW)
    _family_id, _children, identifier = family_with_access(db, "Oubli", email="oubli@example.org")
    app = create_app(db, secret_key=SECRET, public_url=PUBLIC, limits=Limits.relaxed())
    worker = Worker(
        db, PaymentGateway(PUBLIC), SmtpSettings("127.0.0.1", smtp.port, "none"), None, interval=2
    )
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), daemon=True)
    thread.start()
    try:
        with TestClient(app, base_url="http://portail.test") as client:
            asked = time.monotonic()
            assert (
                "un message vient" in post(client, "/mot-de-passe-oublie", {"identifiant": identifier}).text
            )
            while not any(m.recipients == ["oubli@example.org"] for m in smtp.recorder.messages):
                assert time.monotonic() - asked < 60, "no reset e-mail within a minute"
                time.sleep(0.1)
            waited = time.monotonic() - asked
            mail = next(m for m in smtp.recorder.messages if m.recipients == ["oubli@example.org"])
            link = re.search(r"(https://\S+/nouveau-mot-de-passe\?jeton=\S+)", mail.body).group(1)
            assert client.get(link.removeprefix(PUBLIC)).status_code == 200  # still valid when it arrives
    finally:
        stop.set()
        thread.join(10)
    assert waited < 5  # a round every 2 seconds here (every 15 by default)
    with db.reading() as uow:
        sent = uow.session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "oubli@example.org"))
    assert sent.status is OutboxStatus.SENT


def test_the_end_of_day_runs_once_a_day_at_its_hour(demo_rw):
    db = demo_rw
    family_id, (child,) = new_family(db, "Soir", balance_cents=2_600, email="soir@example.org")
    db.clock.set(NOW)
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 21), Action.ADD)
    confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    worker = Worker(db, PaymentGateway(PUBLIC), None, parse_hour("19:30"))
    db.clock.set(paris(date(2026, 11, 26), dtime(19, 29)))
    assert worker.round() == []
    db.clock.set(paris(date(2026, 11, 26), dtime(19, 30)))
    lines = worker.round()
    assert lines[0] == "Fin de journée du 26/11/2026 :" and any("transmise" in line for line in lines)
    db.clock.set(paris(date(2026, 11, 26), dtime(22, 0)))
    assert worker.round() == []  # once a day
    with db.reading() as uow:
        s = uow.session
        job = s.get(ScheduledJob, END_OF_DAY_JOB)
        assert (
            job.done_for == date(2026, 11, 26) and job.claimed_by is None and "transmise" in job.last_result
        )
        assert (
            s.scalar(
                select(func.count())
                .select_from(Reservation)
                .where(Reservation.child_id == child, Reservation.transmitted_at.is_(None))
            )
            == 0
        )
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "soir@example.org"))
        assert mail.kind == "compte_rendu"
    db.clock.set(paris(date(2026, 11, 27), dtime(19, 31)))
    assert worker.round()[0] == "Fin de journée du 27/11/2026 :"
    assert Worker(db, PaymentGateway(PUBLIC), None, None).round() == []  # a worker without an end of day


def test_several_workers_at_once_do_no_work_twice(demo_rw, smtp):
    """Three workers on the same database at the same moment: each e-mail sent once, each payment settled once,
    the end of day done once."""
    db = demo_rw
    db.clock.set(NOW)
    _queue(db, 30)
    alsh = structure_of(db, "CLSH-PV")
    save_payment_settings(
        db, actor(db, Role.ADMIN), alsh, PaymentSettingsInput("payfip_ws", dict(PAYFIP), True)
    )
    with PayFiPDouble() as double:
        double.notify_enabled = False  # nobody announced them: the workers find them
        gateway = PaymentGateway(PUBLIC, payfip_double=double.url)
        for i in range(8):
            _family_id, wallet, who = family(db, f"Paie{i}")
            double.pay(idop_of(start_online_payment(db, gateway, who, alsh, wallet, "10").url), "P")
        late = paris(date(2026, 11, 26), dtime(19, 45))
        assert late - NOW > FIRST_CHECK
        workers = [
            Worker(
                type(db)(db.engine, FixedClock(late)),
                gateway,
                SmtpSettings("127.0.0.1", smtp.port, "none"),
                parse_hour("19:30"),
                name=f"travailleur-{i}",
            )
            for i in range(3)
        ]
        said: list[list[str]] = [[] for _ in workers]
        go = threading.Barrier(len(workers))

        def run(i: int) -> None:
            go.wait(10)
            for _ in range(3):
                said[i] += workers[i].round()

        threads = [threading.Thread(target=run, args=(i,)) for i in range(len(workers))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        status_calls = double.calls.get("recupererDetailPaiementSecurise", 0)
    received = Counter(m.message_id for m in smtp.recorder.messages)
    assert received and max(received.values()) == 1  # every e-mail once
    with db.reading() as uow:
        s = uow.session
        pending = s.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != OutboxStatus.SENT)
        )
        paid = s.scalar(
            select(func.count())
            .select_from(OnlinePayment)
            .where(OnlinePayment.status == OnlinePaymentStatus.PAID)
        )
        transmissions = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.action == "nightly.transmit", AuditEntry.entity_id == "2026-11-26")
        )
    assert pending == 0 and len(received) >= 30 + 8  # the queued ones and the receipts of the payments
    assert paid == 8 and status_calls == 8  # each payment asked to PayFiP once, by one worker
    assert sum(line.startswith("Fin de journée") for lines in said for line in lines) == 1
    assert transmissions == 1 and check(db) == []


@pytest.mark.posix_only(reason="sends SIGTERM (Windows has none to send: a process is terminated there)")
def test_the_worker_command_sends_in_rounds_and_stops_on_sigterm(demo_rw, smtp):
    db = demo_rw
    _queue(db, 3, "commande")
    url = db.engine.url.render_as_string(hide_password=False)
    env = {**os.environ, **program_env(smtp.port)}
    env.pop("GUICHET_SMTP_USER", None)
    once = subprocess.run(
        [sys.executable, "-m", "app", "worker", "--db", url, "--once", "--end-of-day", "aucune"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding=child_encoding(env),
        timeout=120,
    )
    assert once.returncode == 0, once.stderr
    assert "E-mails envoyés : 3." in once.stdout
    _queue(db, 2, "continu")
    worker = subprocess.Popen(
        [sys.executable, "-m", "app", "worker", "--db", url, "--interval", "1", "--end-of-day", "aucune"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        encoding=child_encoding(env),
    )
    try:
        deadline = time.monotonic() + 60
        while sum(m.recipients[0].startswith("continu") for m in smtp.recorder.messages) < 2:
            assert time.monotonic() < deadline and worker.poll() is None
            time.sleep(0.1)
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert (
        "Travaux de fond démarrés" in out
        and "Travaux de fond arrêtés." in out
        and "E-mails envoyés : 2." in out
    )


def test_the_worker_command_refuses_a_missing_smtp_password_and_a_bad_hour(demo_rw, tmp_path):
    url = demo_rw.engine.url.render_as_string(hide_password=False)
    env = {
        **os.environ,
        "GUICHET_SMTP_HOST": "127.0.0.1",
        "GUICHET_SMTP_USER": "guichet",
        "GUICHET_SMTP_SECURITY": "none",
        "GUICHET_SMTP_FROM": "enfance@montech.example",
        "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
        "XDG_DATA_HOME": str(tmp_path),
    }
    missing = subprocess.run(
        [sys.executable, "-m", "app", "worker", "--db", url, "--once"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding=child_encoding(env),
        timeout=120,
    )
    assert missing.returncode == 2 and "mot de passe SMTP" in missing.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "app", "worker", "--db", url, "--end-of-day", "25h"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        encoding=child_encoding(env),
        timeout=120,
    )
    assert bad.returncode == 2 and "heure de fin de journée invalide" in bad.stderr


def test_parse_hour():
    assert parse_hour("19:30") == dtime(19, 30) and parse_hour("7") == dtime(7, 0)
    assert parse_hour("aucune") is None and parse_hour("none") is None
    with pytest.raises(ValueError, match="invalide"):
        parse_hour("25:00")


def test_a_failing_step_does_not_stop_the_others_and_a_failed_end_of_day_waits_ten_minutes(
    demo_rw, smtp, monkeypatch
):
    import app.worker as worker_module

    db = demo_rw
    db.clock.set(paris(date(2026, 11, 26), dtime(19, 45)))
    _queue(db, 2, "isole")
    calls = []

    def broken(*args):
        calls.append(args)
        raise RuntimeError("base indisponible")

    monkeypatch.setattr(worker_module, "end_of_day", broken)
    worker = Worker(
        db, PaymentGateway(PUBLIC), SmtpSettings("127.0.0.1", smtp.port, "none"), parse_hour("19:30")
    )
    lines = worker.round()
    assert "Fin de journée : erreur (détail dans le journal), nouvel essai plus tard." in lines
    assert "E-mails envoyés : 2." in lines  # the outbox went on
    db.clock.set(paris(date(2026, 11, 26), dtime(19, 50)))
    assert worker.round() == [] and len(calls) == 1  # not at every round
    db.clock.set(paris(date(2026, 11, 26), dtime(19, 56)))
    monkeypatch.setattr(worker_module, "end_of_day", lambda *a: ["Journée du 26/11/2026 : rien."])
    assert worker.round() == ["Fin de journée du 26/11/2026 :", "Journée du 26/11/2026 : rien."]
