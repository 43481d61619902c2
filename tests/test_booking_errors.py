"""Bad input gets a typed error with a French message and writes nothing; overrides are for supervisors."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from app.clock import paris
from app.models import AuditEntry, Reservation, Role
from app.services.booking.basket import Action, Basket, BasketLine
from app.services.booking.copying import copy_days
from app.services.booking.validation import confirm, recap
from app.services.errors import (
    DateOutsideCalendar,
    EmptyBasket,
    OverrideReasonRequired,
    PermissionDenied,
    UnknownEntity,
    ValidationError,
    WrongFamily,
    WrongStructure,
)
from app.services.invariants import check
from app.services.sealing import opened
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, day_row, new_agent, new_family, row_counts, structure_of

DAY = date(2026, 12, 21)


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    return demo_rw


def _refused(db, basket, error, *words):
    before = row_counts(db)
    who = actor(db, Role.SUPERVISOR if basket.override_reason else Role.AGENT)
    for call in (lambda: recap(db, who, basket), lambda: confirm(db, who, basket, key=new_operation_key())):
        with pytest.raises(error) as info:
            call()
        for w in words:
            assert w in str(info.value)
    assert row_counts(db) == before


def test_unknown_child(db):
    family_id, _ = new_family(db, balance_cents=5000)
    _refused(
        db,
        Basket(family_id, lines=[BasketLine(999_999, activity_id(db, "CLSH-PV"), DAY, Action.ADD)]),
        UnknownEntity,
        "Enfant inconnu",
    )


def test_child_of_another_family(db):
    family_id, _ = new_family(db, "Martin", balance_cents=5000)
    _, (other_child,) = new_family(db, "Autre", children=("Zoé",))
    basket = Basket(family_id, lines=[BasketLine(other_child, activity_id(db, "CLSH-PV"), DAY, Action.ADD)])
    _refused(db, basket, WrongFamily, "Zoé Autre", "n'est pas un enfant de la famille MARTIN")


def test_day_of_another_structure(db):
    """An agent books every activity of the structures they are attached to, and only those."""
    family_id, (child,) = new_family(db, balance_cents=5000)
    alae_agent = new_agent(db, "alaeonly", "Agent Alaé", Role.AGENT, [structure_of(db, "ALAE-MER")])
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), DAY, Action.ADD)
    before = row_counts(db)
    for call in (
        lambda: recap(db, alae_agent, basket),
        lambda: confirm(db, alae_agent, basket, key=new_operation_key()),
    ):
        with pytest.raises(WrongStructure) as info:
            call()
        assert "ALSH Montech" in str(info.value)
    assert row_counts(db) == before
    # The same agent books the Wednesday club without switching anything.
    wednesday = Basket(family_id)
    wednesday.toggle(child, activity_id(db, "ALAE-MER"), date(2026, 12, 2), Action.ADD)
    assert [r.ok for r in recap(db, alae_agent, wednesday).additions] == [True]


def test_unknown_activity(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    _refused(
        db, Basket(family_id, lines=[BasketLine(child, 424242, DAY, Action.ADD)]), UnknownEntity, "Activité"
    )


def test_unknown_family(db):
    _refused(
        db,
        Basket(777_777, lines=[BasketLine(1, activity_id(db, "CLSH-PV"), DAY, Action.ADD)]),
        UnknownEntity,
        "Famille inconnue",
    )


def test_empty_basket(db):
    family_id, _ = new_family(db)
    _refused(db, Basket(family_id), EmptyBasket, "Aucune demande en cours")


def test_date_outside_any_calendar(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    for d in (date(2035, 1, 3), date(2019, 1, 2)):
        basket = Basket(family_id)
        basket.toggle(child, activity_id(db, "ALAE-MER"), d, Action.ADD)
        _refused(db, basket, DateOutsideCalendar, "en dehors du calendrier")


def test_duplicate_line(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    line = BasketLine(child, activity_id(db, "CLSH-PV"), DAY, Action.ADD)
    _refused(db, Basket(family_id, lines=[line, line]), ValidationError, "deux fois")


def test_toggle_twice_undoes_and_clear_empties():
    basket = Basket(1)
    assert basket.toggle(1, 2, DAY, Action.ADD) is True
    assert basket.toggle(1, 2, DAY, Action.ADD) is False
    assert len(basket) == 0
    basket.toggle(1, 2, DAY, Action.ADD)
    basket.toggle(1, 2, date(2026, 12, 22), Action.REMOVE)
    assert basket.pending(1, 2) == {DAY: Action.ADD, date(2026, 12, 22): Action.REMOVE}
    basket.clear()
    assert len(basket) == 0


def test_override_refused_to_an_agent_and_without_reason(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    basket = Basket(
        family_id,
        lines=[
            BasketLine(
                child, activity_id(db, "ALAE-MER"), date(2026, 12, 2), Action.ADD, override_deadline=True
            )
        ],
    )
    before = row_counts(db)
    with pytest.raises(PermissionDenied):
        confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    with pytest.raises(OverrideReasonRequired):
        confirm(db, actor(db, Role.SUPERVISOR), basket, key=new_operation_key())
    assert row_counts(db) == before


def test_supervisor_deadline_override_is_flagged_and_audited(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    db.clock.set(paris(date(2026, 12, 18), time(9, 0)))  # booking for Monday 21 closed on Thursday 17
    basket = Basket(family_id, override_reason="oubli de la famille, accord du responsable")
    basket.lines.append(BasketLine(child, activity_id(db, "CLSH-PV"), DAY, Action.ADD))
    plain = recap(db, actor(db, Role.AGENT), Basket(family_id, lines=list(basket.lines)))
    assert not plain.additions[0].ok and "jeudi 17 décembre 2026" in plain.additions[0].check.reason
    basket.set_override(0, deadline=True)
    summary = recap(db, actor(db, Role.SUPERVISOR), basket)
    assert summary.additions[0].ok and summary.has_overrides
    result = confirm(db, actor(db, Role.SUPERVISOR), basket, key=new_operation_key())
    assert result.outcomes[0].label == "Acceptée"
    with db.reading() as uow:
        res = uow.session.get(Reservation, result.outcomes[0].reservation_id)
        assert res.override_reason == "oubli de la famille, accord du responsable"
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.entity_id == str(res.id)))
        assert opened(uow.session, entry.reason) == res.override_reason  # sealed with the family's key


def test_supervisor_capacity_override_keeps_the_invariant(db):
    full = day_row(db, "CLSH-PV", date(2026, 12, 22))
    family_id, (child,) = new_family(db, balance_cents=5000)
    basket = Basket(family_id, override_reason="enfant suivi par les services sociaux")
    basket.lines.append(BasketLine(child, full.activity_id, full.day, Action.ADD, override_capacity=True))
    result = confirm(db, actor(db, Role.SUPERVISOR), basket, key=new_operation_key())
    assert result.outcomes[0].label == "Acceptée"
    assert day_row(db, "CLSH-PV", full.day).capacity == full.capacity + 1
    assert check(db) == []


def test_copy_to_another_child_and_to_another_activity(db):
    family_id, (lea, tom) = new_family(db, children=("Léa", "Tom"), balance_cents=20_000)
    pv = activity_id(db, "CLSH-PV")
    basket = Basket(family_id)
    for d in (date(2026, 12, 21), date(2026, 12, 25), date(2026, 12, 28)):
        basket.toggle(lea, pv, d, Action.ADD)
    report = copy_days(
        db, actor(db, Role.AGENT), basket, from_child_id=lea, from_activity_id=pv, to_child_id=tom
    )
    assert [ln.day for ln in report.added] == [date(2026, 12, 21), date(2026, 12, 28)]
    assert [(ln.day, reason.startswith("Fermé")) for ln, reason in report.skipped] == [
        (date(2026, 12, 25), True)
    ]
    assert len(basket) == 5
    # another activity of the same child: the summer centre has no day in December
    ete = activity_id(db, "CLSH-ETE")
    other = copy_days(
        db, actor(db, Role.AGENT), basket, from_child_id=lea, from_activity_id=pv, to_activity_id=ete
    )
    assert other.added == [] and len(other.skipped) == 3
    _, (stranger,) = new_family(db, "Ailleurs")
    with pytest.raises(WrongFamily):
        copy_days(
            db, actor(db, Role.AGENT), basket, from_child_id=lea, from_activity_id=pv, to_child_id=stranger
        )
    result = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert [o.label for o in result.outcomes].count("Acceptée") == 4
