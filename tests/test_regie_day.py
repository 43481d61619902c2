"""The régie's day, exact (issue 28): a reversal belongs to the till and the day of the payment it reverses, the
arrêté journalier counts net amounts, the cheques are counted one by one."""

from __future__ import annotations

import io
import re
from datetime import date, time

import pytest
from pypdf import PdfReader

from app.clock import paris
from app.models import PaymentMethod, Role
from app.models import WalletKind as W
from app.services.documents.closing_report import closing_report_pdf
from app.services.documents.receipt import receipt_pdf
from app.services.families.edit import FieldErrors
from app.services.invariants import check
from app.services.money.cash_closing import CountedInput, close_cash, day_expected, validate_closing
from app.services.money.payments import PaymentInput, record_payment, reverse_payment
from app.services.money.till import TillClosed
from app.services.uow import new_operation_key
from tests.helpers import actor, new_agent, new_family, structure_of

DAY = date(2026, 11, 27)  # the day after the demonstration's: no payment yet


def at(hour: int, minute: int = 0):
    return paris(DAY, time(hour, minute))


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def expected(db, who, sid, day=DAY):
    return {t.method: (t.count, t.cents) for t in day_expected(db, who, sid, day)}


def test_a_reversal_belongs_to_the_till_of_the_payment_and_the_arrete_counts_net(demo_rw):
    db = demo_rw
    sid = structure_of(db, "CLSH-PV")
    sophie = new_agent(db, "slefevre", "Sophie Lefèvre", Role.AGENT, [sid])
    karim = new_agent(db, "kdupont", "Karim Dupont", Role.AGENT, [sid])
    boss = actor(db, Role.SUPERVISOR)
    family_id, _ = new_family(db, "Régie")
    other_id, _ = new_family(db, "Chèques")
    pay = lambda who, fam, method, amount, *cheque: record_payment(  # noqa: E731
        db, who, sid, PaymentInput(fam, W.ALSH, method, amount, *cheque), key=new_operation_key()
    )
    db.clock.set(at(9, 10))
    mistyped = pay(sophie, family_id, PaymentMethod.CASH, "62")  # 60,00 € handed over
    pay(sophie, other_id, PaymentMethod.CHEQUE, "40", "Crédit Agricole", "1000001")
    pay(sophie, other_id, PaymentMethod.CHEQUE, "25,50", "Banque Postale", "2000002")
    pay(karim, other_id, PaymentMethod.CASH, "13")
    db.clock.set(at(11, 30))
    reverse_payment(
        db, boss, mistyped.payment_id, "montant mal saisi (60,00 € remis)", key=new_operation_key()
    )
    pay(sophie, family_id, PaymentMethod.CASH, "60")

    # the reversal is in Sophie's till (she took the payment), not in the régisseur's
    assert expected(db, sophie, sid)[PaymentMethod.CASH] == (1, 6000)
    assert expected(db, sophie, sid)[PaymentMethod.CHEQUE] == (2, 6550)
    assert expected(db, boss, sid)[PaymentMethod.CASH] == (0, 0)
    assert expected(db, karim, sid)[PaymentMethod.CASH] == (1, 1300)

    # her real shortfall of 2,00 € shows as 2,00 €; one cheque counted instead of two is a discrepancy too
    db.clock.set(at(17, 30))
    with pytest.raises(FieldErrors) as refused:
        close_cash(db, sophie, sid, CountedInput("58", "1", "65,50"), key=new_operation_key())
    assert "commentaire" in refused.value.fields["comment"]
    closing = close_cash(db, sophie, sid, CountedInput("58", "1", "65,50", "2,00 € manquants ; un chèque agrafé"),
                         key=new_operation_key())  # fmt: skip
    validate_closing(db, boss, closing)

    # a payment of a closed till is not reversed any more: its figures stay those that were counted
    db.clock.set(at(18, 0))
    with pytest.raises(TillClosed, match="Sophie Lefèvre"):
        reverse_payment(db, boss, mistyped.payment_id + 1, "erreur", key=new_operation_key())

    text = " ".join(pdf_text(closing_report_pdf(db, sid, DAY)).split())  # lines wrapped as they fall
    assert "Annulé" in text and "montant mal saisi" not in text  # the reason stays in the journal
    assert re.search(r"Total net\s+138,50 €", text), text  # 62 − 62 + 40 + 25,50 + 13 + 60
    assert "Régie enfance-jeunesse de Montech (arrêté n° 2019-042 du 3 juin 2019)" in text
    assert "Bordereau des chèques" in text and "1000001" in text and "2000002" in text
    assert re.search(r"somme de cent trente-huit euros et cinquante centimes\s+\(138,50", text), text
    assert "Le régisseur" in text and "Karim Dupont" in text
    assert "reçus numérotés ALSH-MONTECH-AAAA-NNNNNN" in text  # ALAE's receipts are numbered apart

    receipt = pdf_text(receipt_pdf(db, mistyped.payment_id))
    assert "ANNULÉ" in receipt and "par Michel Durand" in receipt and "atteste le versement" not in receipt
    good = " ".join(pdf_text(receipt_pdf(db, mistyped.payment_id + 4)).split())  # lines wrapped as they fall
    assert "soixante euros" in good and "atteste le versement" in good and "ALSH-MONTECH-2026-" in good
    assert (
        "Régie enfance-jeunesse de Montech" in good
        and "Reçu de la famille RÉGIE la somme de 60,00 € (soixante euros) pour : alimentation du compte famille RÉGIE"
        in good
    )
    assert check(db) == []
