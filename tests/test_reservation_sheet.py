"""The reservation sheet of the usual family at the counter (issue 32): two children, the five days of the
Christmas holidays each (and the Wednesdays of December for the younger), printed on one A4 page with its
balance lines, its wallets written with their own labels (« Cantine », not « CANTINE »)."""

from __future__ import annotations

import io
from datetime import date, time

from pypdf import PdfReader
from sqlalchemy import select

from app.clock import paris
from app.models import Child, Family, PaymentMethod, Role, WalletKind
from app.services.booking.basket import Action, Basket
from app.services.booking.calendar import school_year_range
from app.services.booking.validation import confirm
from app.services.documents.sheet import reservation_sheet_pdf
from app.services.money.payments import PaymentInput, record_payment
from app.services.uow import Database, new_operation_key
from tests.helpers import activity_id, actor, structure_of

NOW = paris(date(2026, 11, 26), time(10, 0))
CHRISTMAS = [date(2026, 12, d) for d in (21, 22, 23, 24, 28)]
WEDNESDAYS = [date(2026, 12, d) for d in (2, 9, 16)]


def foucher_booked(db: Database, wednesdays: bool = True) -> int:
    """FOUCHER of the demo (the elder already has five days of the October holidays), its two children booked on
    the five Christmas days as at the counter (22 December is full: waitlisted), the younger on the Wednesdays of
    December too (9 December is full), once the family has paid what was missing."""
    db.clock.set(NOW)
    with db.reading() as uow:
        family_id = uow.session.scalar(select(Family.id).where(Family.name == "FOUCHER"))
        assert family_id is not None, "the demo has the FOUCHER family"
        children = list(
            uow.session.scalars(select(Child.id).where(Child.family_id == family_id).order_by(Child.id))
        )
    assert len(children) == 2
    record_payment(
        db,
        actor(db, Role.AGENT),
        structure_of(db, "CLSH-PV"),
        PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CASH, "100"),
        key=new_operation_key(),
    )
    basket = Basket(family_id)
    for child in children:
        for day in CHRISTMAS:
            basket.toggle(child, activity_id(db, "CLSH-PV"), day, Action.ADD)
    if wednesdays:
        for day in WEDNESDAYS:
            basket.toggle(children[1], activity_id(db, "ALAE-MER"), day, Action.ADD)
    confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    return family_id


def sheet_of(db: Database, family_id: int) -> PdfReader:
    """The sheet « Imprimer la fiche… » prints after Confirmer: the school year of the days booked."""
    start, end = school_year_range(CHRISTMAS[0])
    return PdfReader(io.BytesIO(reservation_sheet_pdf(db, family_id, start, end, "Sophie Martin")))


def test_the_sheet_of_two_children_over_the_christmas_holidays_is_one_page(demo_rw):
    reader = sheet_of(demo_rw, foucher_booked(demo_rw))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "Famille FOUCHER" in text and "Total Camille" in text
    assert len(reader.pages) == 1, f"{len(reader.pages)} pages: {reader.pages[-1].extract_text()}"
    for line in ("Solde du compte famille au 26/11/2026", "« Non transmise » : la demande est enregistrée"):
        assert line in text, line


def test_the_sheet_writes_the_wallets_with_their_own_labels(demo_rw):
    reader = sheet_of(demo_rw, foucher_booked(demo_rw, wednesdays=False))
    text = " ".join(page.extract_text() for page in reader.pages)
    assert "CANTINE" not in text and "Cantine" in text, text
