"""The family portal's services: accounts (login, lockout, forced change, reset link through the
outbox) and a family acting for itself through the same booking services as the counter."""

from __future__ import annotations

import re
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from app.clock import paris
from app.models import AuditEntry, Family, OutboxMessage, Reservation, ReservationStatus, Role
from app.services.actors import Actor, PasswordChangeRequired
from app.services.auth import LoginRefused
from app.services.booking.basket import Action, Basket, OutcomeStatus
from app.services.booking.validation import confirm, recap
from app.services.errors import PermissionDenied, UnknownEntity, ValidationError
from app.services.families import portal
from app.services.families.privacy import issue_portal_password
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, new_family

NOW = paris(date(2026, 11, 26), time(10, 0))
LINK = "https://portail.example.org/mot-de-passe/nouveau?jeton="


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def _with_access(db, name: str = "Portail", **kwargs) -> tuple[int, list[int], str, str]:
    family_id, children = new_family(db, name, **kwargs)
    letter = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
    return family_id, children, letter.login, letter.temporary_password


def _signed_in(db, family_id: int, login: str, temporary: str):
    """The family's session once the counter's temporary password is replaced by its own (the portal asks that
    before anything else; the services refuse a family still on a temporary password)."""
    portal.change_family_password(db, family_id, temporary, "cheval-tulipe-ardoise")
    return portal.family_login(db, login, "cheval-tulipe-ardoise")


def test_a_temporary_password_must_be_changed_at_the_first_login(db):
    family_id, _children, login, temporary = _with_access(db)
    first = portal.family_login(db, login, temporary)
    assert first.family_id == family_id and first.must_change_password
    assert portal.family_login(db, login.upper(), temporary).family_id == family_id  # identifiers ignore case
    with pytest.raises(ValidationError, match="différent"):
        portal.change_family_password(db, family_id, temporary, temporary)
    with pytest.raises(ValidationError, match="actuel incorrect"):
        portal.change_family_password(db, family_id, "pas-le-bon", "un-nouveau-mot")
    changed = portal.change_family_password(db, family_id, temporary, "un-nouveau-mot")
    assert not changed.must_change_password
    assert not portal.family_login(db, login, "un-nouveau-mot").must_change_password
    with pytest.raises(LoginRefused):
        portal.family_login(db, login, temporary)


def test_five_wrong_passwords_lock_the_account_for_a_quarter_of_an_hour(db):
    family_id, _children, login, temporary = _with_access(db)
    for _ in range(4):
        with pytest.raises(LoginRefused, match="Identifiant ou mot de passe incorrect"):
            portal.family_login(db, login, "faux")
    with pytest.raises(portal.FamilyAccountLocked, match="bloqué jusqu'à 10:15"):
        portal.family_login(db, login, "faux")
    with pytest.raises(portal.FamilyAccountLocked):  # the sixth attempt, even with the right password
        portal.family_login(db, login, temporary)
    db.clock.set(NOW + timedelta(minutes=16))
    assert portal.family_login(db, login, temporary).family_id == family_id
    with db.reading() as uow:
        actions = list(
            uow.session.scalars(select(AuditEntry.action).where(AuditEntry.family_id == family_id))
        )
    assert actions.count("portal.failed") == 4 and "portal.locked" in actions and "portal.login" in actions
    with pytest.raises(LoginRefused):
        portal.family_login(db, "inconnu", "faux")


def _outbox(db, family_id: int) -> list[OutboxMessage]:
    with db.reading() as uow:
        return list(
            uow.session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.family_id == family_id, OutboxMessage.kind == "portal_reset"
                )
            )
        )


def _token(db, message: OutboxMessage) -> str:
    """The link's token as the sender writes it in the e-mail when it takes the message (the outbox keeps none)."""
    assert portal.LINK in message.body
    with db.writing() as uow:
        body = portal.fresh_reset_link(uow.session, uow.session.get(OutboxMessage, message.id))
        uow.commit()
    return re.search(re.escape(LINK) + r"(\S+)", body).group(1)


def test_a_forgotten_password_gets_a_single_use_link_valid_one_hour(db):
    family_id, _children, login, temporary = _with_access(db, email="portail@example.org")
    portal.request_reset(db, "PORTAIL@example.org", LINK)  # by e-mail, any case
    (message,) = _outbox(db, family_id)
    assert message.recipient == "portail@example.org" and temporary not in message.body
    token = _token(db, message)
    assert "avant 11:00 le 26/11/2026" in message.body
    assert portal.reset_link_valid(db, token)
    session = portal.reset_password(db, token, "choisi-en-ligne")
    assert session.family_id == family_id and not session.must_change_password
    assert portal.family_login(db, login, "choisi-en-ligne").family_id == family_id
    with pytest.raises(portal.ResetLinkInvalid):
        portal.reset_password(db, token, "une-seconde-fois")  # used once
    portal.request_reset(db, login, LINK)
    late = _token(db, _outbox(db, family_id)[-1])
    db.clock.set(NOW + timedelta(hours=1, minutes=1))
    assert not portal.reset_link_valid(db, late)
    with pytest.raises(portal.ResetLinkInvalid):
        portal.reset_password(db, late, "trop-tard-pour-ça")


def test_a_reset_request_says_nothing_of_unknown_accounts_and_a_new_link_cancels_the_old(db):
    family_id, _children, login, _temporary = _with_access(db, email="portail@example.org")
    portal.request_reset(db, "personne@example.org", LINK)
    portal.request_reset(db, "", LINK)
    assert _outbox(db, family_id) == []
    portal.request_reset(db, login, LINK)
    portal.request_reset(db, login, LINK)
    first, second = (_token(db, m) for m in _outbox(db, family_id))
    assert not portal.reset_link_valid(db, first) and portal.reset_link_valid(db, second)
    no_mail, _children, no_mail_login, _t = _with_access(db, "Sansmail", email=None)
    portal.request_reset(db, no_mail_login, LINK)
    assert _outbox(db, no_mail) == []


def test_a_family_books_through_the_counter_s_services_and_is_the_author(db):
    family_id, (child,), login, temporary = _with_access(db, balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    basket = Basket(family_id, [])
    basket.toggle(child, pv, date(2026, 12, 21), Action.ADD)
    with pytest.raises(PasswordChangeRequired):  # the temporary password first
        recap(db, portal.family_login(db, login, temporary).actor, basket)
    session = _signed_in(db, family_id, login, temporary)
    assert recap(db, session.actor, basket).cost_cents == 1300
    result = confirm(db, session.actor, basket, key=new_operation_key())
    assert [o.status for o in result.outcomes] == [OutcomeStatus.ACCEPTED]
    with db.reading() as uow:
        res = uow.session.scalar(select(Reservation).where(Reservation.child_id == child))
        assert res.status is ReservationStatus.ACCEPTED and res.agent_id is None
        entry = uow.session.scalar(
            select(AuditEntry).where(AuditEntry.entity == "reservation", AuditEntry.entity_id == str(res.id))
        )
        assert entry.agent_id is None and entry.family_id == family_id  # the family is the author


def test_a_family_cannot_act_for_another_family_nor_pass_over_a_rule(db):
    family_id, _children, login, temporary = _with_access(db, balance_cents=10_000)
    other_id, (other_child,) = new_family(db, "Autre", balance_cents=10_000)
    me = _signed_in(db, family_id, login, temporary).actor
    pv = activity_id(db, "CLSH-PV")
    theirs = Basket(other_id, [])
    theirs.toggle(other_child, pv, date(2026, 12, 21), Action.ADD)
    with pytest.raises(UnknownEntity, match="Famille inconnue"):
        recap(db, me, theirs)
    mixed = Basket(family_id, [])
    mixed.toggle(other_child, pv, date(2026, 12, 21), Action.ADD)  # another family's child in its own basket
    with pytest.raises(UnknownEntity, match="Enfant inconnu") as unknown:  # no other family's names
        confirm(db, me, mixed, key=new_operation_key())
    assert "Autre" not in str(unknown.value).title()
    forced = Basket(family_id, [])
    forced.toggle(_children[0], pv, date(2026, 12, 21), Action.ADD)
    forced.grant_override(forced.lines[0].key, deadline=True, capacity=False)
    forced.override_reason = "je le veux"
    with pytest.raises(PermissionDenied):
        recap(db, me, forced)
    with pytest.raises(UnknownEntity):  # an account that does not exist (or was closed) acts for nobody
        recap(db, Actor.family(999_999), Basket(999_999, forced.lines[:1]))
    with db.writing() as uow:
        uow.session.get(Family, family_id).portal_password_hash = None
        uow.commit()
    with pytest.raises(UnknownEntity, match="Compte famille"):
        recap(db, me, Basket(family_id, forced.lines[:1]))
