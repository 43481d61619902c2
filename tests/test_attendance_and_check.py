"""Absences are billed unless a medical certificate comes within 48 hours; the invariant checker's CLI."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import text, update

from app.clock import paris
from app.models import Attendance, Role, Wallet
from app.services.booking.attendance import record_attendance, record_certificate
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm
from app.services.errors import CertificateRefused, ValidationError
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, balance, new_family
from tests.test_cli import run_app

DAY = date(2026, 12, 21)


@pytest.fixture
def booked(demo_rw):
    db = demo_rw
    db.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    family_id, (child,) = new_family(db, balance_cents=1300)
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), DAY, Action.ADD)
    result = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    return db, family_id, result.outcomes[0].reservation_id


def test_attendance_only_from_the_day(booked):
    db, _, res_id = booked
    with pytest.raises(ValidationError, match="le jour même"):
        record_attendance(db, actor(db, Role.AGENT), res_id, Attendance.ABSENT)


@pytest.mark.parametrize(
    ("at", "refunded"),
    [
        (paris(date(2026, 12, 21), time(18, 0)), True),
        (paris(date(2026, 12, 23), time(23, 59)), True),  # 48 hours after the end of the 21st
        (paris(date(2026, 12, 24), time(0, 0)), False),
    ],
)
def test_certificate_within_48_hours_refunds(booked, at, refunded):
    db, family_id, res_id = booked
    db.clock.set(paris(DAY, time(17, 0)))
    record_attendance(db, actor(db, Role.AGENT), res_id, Attendance.ABSENT)
    assert balance(db, family_id) == 0  # the absence is billed
    db.clock.set(at)
    if refunded:
        assert record_certificate(db, actor(db, Role.AGENT), res_id, key=new_operation_key()) == 1300
        assert balance(db, family_id) == 1300
        with pytest.raises(CertificateRefused, match="déjà"):
            record_certificate(db, actor(db, Role.AGENT), res_id, key=new_operation_key())
    else:
        with pytest.raises(CertificateRefused) as info:
            record_certificate(db, actor(db, Role.AGENT), res_id, key=new_operation_key())
        assert "hors délai" in str(info.value) and "jeudi 24 décembre 2026 à 00:00" in str(info.value)
        assert balance(db, family_id) == 0


def test_certificate_needs_an_absence(booked):
    db, _, res_id = booked
    db.clock.set(paris(DAY, time(17, 0)))
    record_attendance(db, actor(db, Role.AGENT), res_id, Attendance.PRESENT)
    with pytest.raises(CertificateRefused, match="absence"):
        record_certificate(db, actor(db, Role.AGENT), res_id, key=new_operation_key())


def test_check_command_passes_on_demo_and_lists_violations(demo_rw):
    url = demo_rw.engine.url.render_as_string(hide_password=False)
    ok = run_app("check", "--db", url)
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "aucune anomalie" in ok.stdout
    with demo_rw.writing() as uow:
        uow.session.execute(
            update(Wallet).where(Wallet.id == 1).values(balance_cents=Wallet.balance_cents + 1)
        )
        uow.session.execute(
            text(
                "UPDATE activity_days SET capacity = 0 WHERE id IN "
                "(SELECT activity_day_id FROM reservations WHERE status = 'accepted' LIMIT 1)"
            )
        )
        uow.session.execute(
            text(
                "UPDATE reservations SET waitlist_position = waitlist_position + 5 "
                "WHERE status = 'waitlisted'"
            )
        )
        uow.commit()
    bad = run_app("check", "--db", url)
    assert bad.returncode == 1
    assert "Solde faux" in bad.stdout and "Surréservation" in bad.stdout and "non contiguë" in bad.stdout
