"""Read models and edits behind the counter screen: month calendar, family page, walk-in families."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import event, select

from app.clock import paris
from app.models import AuditEntry, Family, Role
from app.services.booking.basket import Action, Basket
from app.services.booking.month_view import DayState, month_view
from app.services.booking.validation import confirm
from app.services.counter import activities_for, default_session, last_update
from app.services.families.edit import (
    AdultInput,
    ChildInput,
    FamilyInput,
    FieldErrors,
    create_family,
    normalise_phone,
    save_child,
    update_family,
)
from app.services.families.search import find_families
from app.services.families.view import family_summary, reservation_rows
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, new_family, row_counts


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    return demo_rw


def test_month_view_states_and_places(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    pv = activity_id(db, "CLSH-PV")
    basket = Basket(family_id)
    basket.toggle(child, pv, date(2026, 12, 21), Action.ADD)
    basket.toggle(child, pv, date(2026, 12, 22), Action.ADD)  # the demo's full day: waitlisted
    basket.toggle(child, pv, date(2026, 12, 25), Action.ADD)  # public holiday: refused
    confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    view = month_view(db, family_id, child, pv, 2026, 12)
    cells = {c.day: c for c in view.cells}
    assert cells[date(2026, 12, 21)].state is DayState.BOOKED and cells[date(2026, 12, 21)].can_remove
    assert cells[date(2026, 12, 22)].state is DayState.WAITLISTED and cells[date(2026, 12, 22)].rank == 4
    assert cells[date(2026, 12, 25)].state is DayState.CLOSED and "Noël" in cells[date(2026, 12, 25)].reason
    assert cells[date(2026, 12, 23)].state is DayState.FREE and cells[date(2026, 12, 23)].places_left == 1
    assert cells[date(2026, 12, 9)].state is DayState.CLOSED  # school time: no holiday centre
    assert cells[date(2026, 12, 5)].state is DayState.CLOSED  # Saturday
    alae = month_view(db, family_id, child, activity_id(db, "ALAE-MER"), 2027, 3)
    assert {c.day: c.state for c in alae.cells}[date(2027, 3, 3)] is DayState.NOT_OPEN  # beyond 90 days
    past = month_view(db, family_id, child, activity_id(db, "ALAE-MER"), 2026, 11)
    assert {c.day: c.state for c in past.cells}[date(2026, 11, 25)] is DayState.PAST


def test_month_view_uses_a_constant_number_of_queries(db):
    family_id, (child,) = new_family(db)
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        month_view(db, family_id, child, activity_id(db, "ALAE-MER"), 2026, 12)
        december = len(statements)
        statements.clear()
        month_view(db, family_id, child, activity_id(db, "CLSH-PV"), 2027, 7)
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
    assert december <= 15 and len(statements) <= 15  # constant: one query per kind of row


def test_family_summary_alerts_and_reservation_rows(db):
    family_id, (child,) = new_family(db, balance_cents=1300)
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 22), Action.ADD)
    confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    summary = family_summary(db, family_id)
    assert [w.label for w in summary.wallets] == ["ALAE", "ALSH", "Cantine"]
    assert summary.balance_cents == 1300 and not summary.in_debit
    assert any("liste d'attente rang 4" in a for a in summary.alerts)
    rows = reservation_rows(db, family_id)
    assert [(r.state, r.transmission) for r in rows] == [("En liste d'attente rang 4", "Non transmise")]


def test_family_in_debit_is_flagged(db):
    debtors = [r for r in find_families(db) if r.balance_cents < 0]
    summary = family_summary(db, debtors[0].id)
    assert summary.in_debit and summary.alerts[0].startswith("Compte débiteur")


def test_walk_in_family_created_with_children_and_audited(db):
    data = FamilyInput(
        name="  N'Guyen-Lefèvre ",
        phone="+33 5 63 11 22 33",
        email="helene.nguyen@example.org",
        postal_code="82700",
        city="Montech",
        quotient_familial="850",
        adults=[AdultInput("Hélène", "N'Guyen", "mère", "06 12 34 56 78", ""), AdultInput()],
    )
    family_id = create_family(
        db, actor(db, Role.AGENT), data, [ChildInput("Maël", "N'Guyen", date(2019, 4, 2), "CP")]
    )
    summary = family_summary(db, family_id)
    assert summary.name == "N'GUYEN-LEFÈVRE" and summary.phone == "05 63 11 22 33"
    assert [c.first_name for c in summary.children] == ["Maël"] and summary.quotient_familial == 850
    assert [r.id for r in find_families(db, "helene")] == [family_id]
    assert family_id in [r.id for r in find_families(db, "mael")]
    save_child(db, actor(db, Role.AGENT), family_id, ChildInput("Inès", "N'Guyen", date(2021, 1, 9), "MS"))
    data.email = "h.nguyen@example.org"
    update_family(db, actor(db, Role.AGENT), family_id, data)
    with db.reading() as uow:
        actions = list(
            uow.session.scalars(select(AuditEntry.action).where(AuditEntry.family_id == family_id))
        )
        assert actions == ["family.create", "child.create", "family.update"]
        assert uow.session.get(Family, family_id).email == "h.nguyen@example.org"


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        (FamilyInput(name=" "), "name", "nom de la famille est obligatoire"),
        (FamilyInput(name="X", email="pas-un-email"), "email", "adresse e-mail invalide"),
        (FamilyInput(name="X", phone="12 34"), "phone", "téléphone invalide"),
        (FamilyInput(name="X", quotient_familial="-3"), "quotient_familial", "Quotient familial invalide"),
        (FamilyInput(name="X", postal_code="8270"), "postal_code", "Code postal invalide"),
        (FamilyInput(name="X", adults=[AdultInput(first_name="Jo")]), "adult0name", "prénom et le nom"),
    ],
)
def test_bad_family_fields_are_refused_and_nothing_is_written(db, data, field, words):
    before = row_counts(db)
    with pytest.raises(FieldErrors) as info:
        create_family(db, actor(db, Role.AGENT), data)
    assert field in info.value.fields and words in str(info.value)
    assert row_counts(db) == before


@pytest.mark.parametrize(
    ("born", "words"),
    [(None, "obligatoire"), (date(2027, 1, 1), "dans le futur"), (date(1990, 5, 5), "improbable")],
)
def test_implausible_birth_dates_are_refused(db, born, words):
    family_id, _ = new_family(db)
    with pytest.raises(FieldErrors) as info:
        save_child(db, actor(db, Role.AGENT), family_id, ChildInput("Léo", "Test", born, "CP"))
    assert words in str(info.value)


def test_phone_normalisation():
    assert normalise_phone("0563648244") == "05 63 64 82 44"
    assert normalise_phone("+33 6 12 34 56 78") == "06 12 34 56 78"
    assert normalise_phone("05.63.64.82.44") == "05 63 64 82 44"
    assert normalise_phone("123") is None


def test_counter_session_activities_and_last_update(db):
    session = default_session(db)
    assert session.actor.role is Role.AGENT and session.actor.name == "Sophie Martin"
    assert [s.name for s in session.structures] == ["ALAE Montech", "ALSH Montech"]
    alsh = session.structures[1].id
    assert [a.name for a in activities_for(db, [alsh])] == ["CLSH Petites vacances", "CLSH Vacances d'été"]
    assert last_update(db) is not None
