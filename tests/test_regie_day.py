"""The régie's day, exact (issue 28): a full day at one structure with two agents and a régisseur — cash, three
cheques, two card payments, a transfer, a payment reversed, an absence and a medical certificate for an earlier day —
then each till's closing (a cheque missing when ticked one by one, the card terminal's ticket), a till left open
closed late by the régisseur the next day, the arrêté journalier and the receipts, read back from the PDFs."""

from __future__ import annotations

import io
import re
from datetime import date, time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.clock import paris
from app.models import ActivityDay, Attendance, PaymentMethod, Reservation, ReservationStatus, Role
from app.models import WalletKind as W
from app.services.booking.attendance import record_attendance, record_certificate
from app.services.documents.attendance import attendance_pdf
from app.services.documents.closing_report import closing_report_pdf
from app.services.documents.receipt import receipt_pdf
from app.services.documents.sheet import reservation_sheet_pdf
from app.services.errors import PermissionDenied
from app.services.families.edit import FieldErrors
from app.services.invariants import check
from app.services.money.cash_closing import (
    CountedInput,
    close_cash,
    close_late,
    day_cheques,
    day_expected,
    open_past_tills,
    validate_closing,
)
from app.services.money.payments import PaymentInput, record_payment, reverse_payment
from app.services.money.till import TillClosed
from app.services.uow import new_operation_key
from tests.helpers import actor, new_agent, new_family, structure_of

DAY = date(2026, 11, 27)  # the day after the demonstration's: no payment yet
WEDNESDAY = date(2026, 11, 25)


def at(hour: int, minute: int = 0, day: date = DAY):
    return paris(day, time(hour, minute))


def pdf_text(pdf: bytes) -> str:
    """The PDF's text, its lines joined (a cell or a sentence wraps where it falls)."""
    return " ".join("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def expected(db, who, sid, day=DAY):
    return {t.method: (t.count, t.cents) for t in day_expected(db, who, sid, day)}


def test_the_regie_day_replayed(demo_rw):
    db = demo_rw
    sid = structure_of(db, "ALAE-MER")
    sophie = new_agent(db, "slefevre", "Sophie Lefèvre", Role.AGENT, [sid])
    karim = new_agent(db, "kdupont", "Karim Dupont", Role.AGENT, [sid])
    boss = actor(db, Role.SUPERVISOR)
    régie, chèques, virement = (new_family(db, name)[0] for name in ("Régie", "Chèques", "Virement"))
    pay = lambda who, fam, method, amount, *cheque: record_payment(  # noqa: E731
        db, who, sid, PaymentInput(fam, W.ALAE, method, amount, *cheque), key=new_operation_key()
    )
    db.clock.set(at(9, 10))
    mistyped = pay(sophie, régie, PaymentMethod.CASH, "62")  # 60,00 € handed over
    first = pay(
        sophie, chèques, PaymentMethod.CHEQUE, "40", "Crédit Agricole", "1000001", "Jean-Pierre Martin"
    )
    second = pay(sophie, chèques, PaymentMethod.CHEQUE, "25,50", "Banque Postale", "2000002")
    pay(sophie, régie, PaymentMethod.CARD, "30")
    pay(sophie, virement, PaymentMethod.CARD, "12,50")
    pay(sophie, virement, PaymentMethod.TRANSFER, "80")
    pay(karim, chèques, PaymentMethod.CASH, "13")
    pay(karim, chèques, PaymentMethod.CHEQUE, "18", "CIC", "3000003")
    # an absence last Wednesday, pointed today, and its medical certificate: a refund of today
    with db.reading() as uow:
        absent = uow.session.scalar(
            select(Reservation.id)
            .join(ActivityDay)
            .where(
                ActivityDay.day == WEDNESDAY,
                Reservation.status == ReservationStatus.ACCEPTED,
                ActivityDay.activity.has(structure_id=sid),
            )
            .order_by(Reservation.id)
            .limit(1)
        )
    record_attendance(db, sophie, absent, Attendance.ABSENT)
    refunded = record_certificate(db, sophie, absent, key=new_operation_key())
    assert refunded > 0
    db.clock.set(at(11, 30))
    reverse_payment(
        db, boss, mistyped.payment_id, "montant mal saisi (60,00 € remis)", key=new_operation_key()
    )
    good = pay(sophie, régie, PaymentMethod.CASH, "60")

    # the reversal is in Sophie's till (she took the payment), not in the régisseur's
    assert expected(db, sophie, sid) == {
        PaymentMethod.CASH: (1, 6000),
        PaymentMethod.CHEQUE: (2, 6550),
        PaymentMethod.CARD: (2, 4250),
        PaymentMethod.TRANSFER: (1, 8000),
    }
    assert expected(db, boss, sid)[PaymentMethod.CASH] == (0, 0)
    assert expected(db, karim, sid) == {
        PaymentMethod.CASH: (1, 1300),
        PaymentMethod.CHEQUE: (1, 1800),
        PaymentMethod.CARD: (0, 0),
        PaymentMethod.TRANSFER: (0, 0),
    }

    # Sophie closes: 2,00 € short in cash; one cheque of the two ticked; the card terminal's ticket
    db.clock.set(at(17, 30))
    assert [(c.receipt, c.bank, c.number, c.drawer, c.cents) for c in day_cheques(db, sophie, sid)] == [
        (first.number, "Crédit Agricole", "1000001", "Jean-Pierre Martin", 4000),
        (second.number, "Banque Postale", "2000002", "", 2550),
    ]
    counted = CountedInput(
        "58",
        "",
        "",
        "",
        "42,50",
        cheques_present=[first.payment_id],
        cash_by_denomination=[(2000, 2), (1000, 1), (500, 1), (200, 1), (100, 1)],
    )
    with pytest.raises(FieldErrors) as refused:
        close_cash(db, sophie, sid, counted, key=new_operation_key())
    assert "comment" in refused.value.fields, refused.value.fields
    assert (
        refused.value.fields["comment"]
        .replace("\xa0", " ")
        .startswith(
            f"Écart de −27,50 € ; 1 chèque compté pour 2 attendus ; chèque manquant : {second.number} (25,50 €)"
        )
    )
    for bad, field in (("-5", "card_total"), ("douze", "card_total")):
        with pytest.raises(FieldErrors) as refused:
            close_cash(db, sophie, sid, CountedInput("58", "0", "0", "x", bad), key=new_operation_key())
        assert field in refused.value.fields
    counted.comment = "2,00 € manquants ; le chèque de la Banque Postale rendu à la famille"
    closing = close_cash(db, sophie, sid, counted, key=new_operation_key())
    with pytest.raises(PermissionDenied):
        validate_closing(db, sophie, closing)
    validate_closing(db, boss, closing)

    # a payment of a closed till is not reversed any more: its figures stay those that were counted
    db.clock.set(at(18, 0))
    with pytest.raises(TillClosed, match="caisse de Sophie Lefèvre du 27/11/2026"):
        reverse_payment(db, boss, first.payment_id, "erreur", key=new_operation_key())

    # Karim went home without closing: the next day the régisseur closes his till, marked late
    db.clock.set(at(9, 0, date(2026, 11, 28)))
    tills = open_past_tills(db, sid)
    assert [(t.agent, t.day, t.payments, t.cents) for t in tills if t.day == DAY] == [
        ("Karim Dupont", DAY, 2, 3100)
    ]
    with pytest.raises(PermissionDenied):
        close_late(
            db, sophie, sid, karim.agent_id, DAY, CountedInput("13", "1", "18"), key=new_operation_key()
        )
    late = close_late(
        db, boss, sid, karim.agent_id, DAY, CountedInput("13", "1", "18"), key=new_operation_key()
    )
    assert not [t for t in open_past_tills(db, sid) if t.day == DAY]
    validate_closing(db, actor(db, Role.ADMIN), late)

    text = pdf_text(closing_report_pdf(db, sid, DAY))
    assert "Sophie Lefèvre – caisse validée par Michel Durand" in text
    assert "Karim Dupont – caisse validée par Nathalie Roques, clôturée en retard par Michel Durand" in text
    assert "Chèque : manquants : " + second.number in text and "Espèces : 2 × 20 €, 1 × 10 €" in text
    assert (
        "Annulé par Michel Durand" in text and "montant mal saisi" not in text
    )  # the reason stays in the journal
    # 62 − 62 + 40 + 25,50 + 30 + 12,50 + 80 + 13 + 18 + 60
    assert re.search(r"Total net 279,00 €", text), text
    assert (
        "Net des annulations : Espèces 73,00 € · Chèque 83,50 € · Carte bancaire 42,50 € · Virement 80,00 €"
        in text
    )
    assert "Bordereau des chèques" in text and "Jean-Pierre Martin" in text and "3000003" in text
    assert "somme de deux cent soixante-dix-neuf euros (279,00 €)" in text
    assert "Régie enfance-jeunesse de Montech (arrêté n° 2019-042 du 3 juin 2019)" in text
    assert "Le régisseur" in text and "Karim Dupont" in text
    assert "reçus numérotés ALAE-MONTECH-AAAA-NNNNNN" in text  # ALSH's receipts are numbered apart
    assert "Absences et certificats enregistrés ce jour pour d'autres journées" in text
    assert "25/11/2026" in text and "remboursée (certificat médical)" in text

    receipt = pdf_text(receipt_pdf(db, mistyped.payment_id))
    assert "ANNULÉ" in receipt and "par Michel Durand" in receipt and "atteste le versement" not in receipt
    paid = pdf_text(receipt_pdf(db, good.payment_id))
    assert "soixante euros" in paid and "atteste le versement" in paid and "ALAE-MONTECH-2026-" in paid
    assert "Régie enfance-jeunesse de Montech" in paid
    assert (
        "Reçu de la famille RÉGIE la somme de 60,00 € (soixante euros) pour : alimentation du compte famille RÉGIE"
        in paid
    )
    cheque = pdf_text(receipt_pdf(db, first.payment_id))
    assert "Reçu de Jean-Pierre Martin la somme de 40,00 € (quarante euros)" in cheque and "tireur" in cheque
    # the day refunded by the certificate: neither « Acceptée » nor in the totals on the family's sheet; the
    # attendance list of that Wednesday, printed afterwards, says what was recorded
    with db.reading() as uow:
        res = uow.session.get(Reservation, absent)
        absent_family, absent_activity, price = (
            res.child.family_id,
            res.activity_day.activity_id,
            res.price_cents,
        )
    sheet = pdf_text(reservation_sheet_pdf(db, absent_family, WEDNESDAY, WEDNESDAY))
    assert "Absent – remboursée (certificat médical)" in sheet and "Total du mois 0,00 €" in sheet, sheet
    presence = pdf_text(attendance_pdf(db, absent_activity, WEDNESDAY))
    assert "absent (certificat)" in presence
    assert price
    assert check(db) == []
