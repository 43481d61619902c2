"""Agents and roles, the audit trail, administration, portal accounts and personal data (services)."""

from __future__ import annotations

import json
from datetime import date, time, timedelta

import pytest
from sqlalchemy import select

from app.clock import paris
from app.models import (
    ActivityDay,
    Agent,
    AidKind,
    Attendance,
    AuditEntry,
    DeadlineKind,
    DeadlineRule,
    Family,
    LedgerEntry,
    OpeningKind,
    OutboxMessage,
    Payment,
    PaymentMethod,
    Period,
    Role,
    Wallet,
)
from app.models import WalletKind as W
from app.services.audit import audit_rows
from app.services.auth import AccountLocked, LoginRefused, change_password, login
from app.services.booking import days, waitlist
from app.services.booking.attendance import record_attendance, record_certificate
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm, recap
from app.services.end_of_day.transmission import transmit_day
from app.services.errors import PermissionDenied, ValidationError
from app.services.families.edit import ChildInput, FamilyInput, create_family, save_child, update_family
from app.services.families.forgetting import BalanceChoice, anonymise_family
from app.services.families.privacy import export_family, issue_portal_password
from app.services.families.search import find_families
from app.services.money.aids import add_aid, remove_aid
from app.services.money.cash_closing import CountedInput, close_cash, day_expected, validate_closing
from app.services.money.payments import PaymentInput, adjust, record_payment, reverse_payment
from app.services.security import verify_password
from app.services.setup import activities, school_year, structures
from app.services.setup import catalogue as admin
from app.services.setup.structures import StructureInput
from app.services.uow import new_operation_key
from tests.helpers import activity_id, actor, balance, day_row, new_family, structure_of

NOW = paris(date(2026, 11, 26), time(10, 0))


@pytest.fixture
def db(demo_rw):
    demo_rw.clock.set(NOW)
    return demo_rw


def test_login_lockout_and_password_change(db):
    session = login(db, "smartin", "demo")
    assert session.actor.name == "Sophie Martin" and session.actor.role is Role.AGENT
    with pytest.raises(LoginRefused, match="Identifiant ou mot de passe incorrect"):
        login(db, "personne", "demo")
    for _ in range(4):
        with pytest.raises(LoginRefused):
            login(db, "smartin", "faux")
    with pytest.raises(AccountLocked, match="bloqué sur ce poste jusqu'à 10:15"):
        login(db, "smartin", "faux")
    with pytest.raises(AccountLocked):
        login(db, "smartin", "demo")  # even the right password, while locked
    db.clock.set(NOW + timedelta(minutes=16))
    assert login(db, "smartin", "demo").actor.name == "Sophie Martin"
    change_password(db, session.actor, "demo", "nouveau-mot-de-passe")
    with pytest.raises(LoginRefused):
        login(db, "smartin", "demo")
    assert login(db, "smartin", "nouveau-mot-de-passe")


def test_a_lockout_holds_on_the_workstation_it_came_from_and_everywhere_only_after_many(db):
    """Someone at one counter cannot lock the only administrator out of the others (issue 27); many failures
    spread over several counters lock the account everywhere; an attempt on a locked account is audited; a wrong
    current password in « Mot de passe… » counts like a wrong login."""
    from app.services.setup.agents import agents, unlock

    for _ in range(5):
        with pytest.raises((LoginRefused, AccountLocked)):
            login(db, "admin", "faux", workstation="PC-ACCUEIL")
    with pytest.raises(
        AccountLocked, match="bloqué sur ce poste jusqu'à 10:15. Réessayez plus tard, depuis un autre"
    ):
        login(db, "admin", "demo", workstation="PC-ACCUEIL")
    administrator = login(db, "admin", "demo", workstation="PC-MAIRIE").actor  # at his own desk: in
    row = next(a for a in agents(db) if a.login == "admin")
    assert row.locked_until is None and [w for w, _ in row.locked_at] == ["PC-ACCUEIL"]
    with db.reading() as uow:
        refused = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "auth.refused_locked")
        ).all()
    assert [e.after["poste"] for e in refused] == ["PC-ACCUEIL"]
    for station in ("PC-1", "PC-2", "PC-3", "PC-4"):  # four counters, four wrong passwords each
        for _ in range(4):
            with pytest.raises(LoginRefused):
                login(db, "smartin", "faux", workstation=station)
    with pytest.raises(LoginRefused):
        login(db, "smartin", "faux", workstation="PC-5")
    with pytest.raises(LoginRefused):
        login(db, "smartin", "faux", workstation="PC-5")
    with pytest.raises(LoginRefused):
        login(db, "smartin", "faux", workstation="PC-5")
    with pytest.raises(AccountLocked, match="compte bloqué jusqu'à 10:15"):  # the twentieth: everywhere
        login(db, "smartin", "faux", workstation="PC-5")
    with pytest.raises(AccountLocked):
        login(db, "smartin", "demo", workstation="PC-6")
    unlock(db, administrator, actor(db, Role.AGENT).agent_id)
    clerk = login(db, "smartin", "demo", workstation="PC-6").actor
    for _ in range(4):
        with pytest.raises(ValidationError, match="Mot de passe actuel incorrect"):
            change_password(db, clerk, "faux", "cheval-tulipe-ardoise", workstation="PC-6")
    with pytest.raises(AccountLocked, match="sur ce poste"):
        change_password(db, clerk, "faux", "cheval-tulipe-ardoise", workstation="PC-6")
    with pytest.raises(AccountLocked):
        change_password(db, clerk, "demo", "cheval-tulipe-ardoise", workstation="PC-6")


def test_permissions_per_role_are_enforced_in_the_services(db):
    agent, supervisor, administrator = (actor(db, r) for r in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN))
    pv = activity_id(db, "CLSH-PV")
    day = day_row(db, "CLSH-PV", date(2026, 12, 22)).id
    rule = DeadlineRule(DeadlineKind.COUNTED_DAYS, 1, "", False, None, time(23, 59))
    admin_only = [
        lambda a: structures.create_structure(db, a, StructureInput("Structure X")),
        lambda a: activities.update_activity(db, a, pv, price="14"),
        lambda a: activities.set_booking_policy(
            db, a, pv, booking=rule, cancel=rule, opening_kind=OpeningKind.PERIOD, horizon_days=None
        ),
        lambda a: admin.create_aid_type(db, a, AidKind.EMPLOYER, "CE Mairie"),
        lambda a: admin.save_message(
            db, a, structure_of(db, "CLSH-PV"), "Titre", "Texte", date(2026, 11, 26)
        ),
    ]
    supervisor_or_admin = [
        lambda a: days.set_capacity(db, a, day, 26, "renfort", key=new_operation_key()),
        lambda a: days.close_day(
            db, a, day_row(db, "CLSH-PV", date(2026, 12, 31)).id, "grève", key=new_operation_key()
        ),
    ]
    for call in admin_only:
        for who in (agent, supervisor):
            with pytest.raises(PermissionDenied):
                call(who)
        call(administrator)
    for call in supervisor_or_admin:
        with pytest.raises(PermissionDenied):
            call(agent)
        call(supervisor)


def test_an_admin_change_of_the_booking_policy_changes_the_rule_outcome(db):
    family_id, (child,) = new_family(db, balance_cents=5000)
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 21), Action.ADD)
    db.clock.set(paris(date(2026, 12, 18), time(9, 0)))  # example 9: refused, deadline Thursday 17
    assert not recap(db, actor(db, Role.AGENT), basket).additions[0].ok
    one_day = DeadlineRule(DeadlineKind.COUNTED_DAYS, 1, "", False, None, time(12, 0))
    activities.set_booking_policy(
        db,
        actor(db, Role.ADMIN),
        activity_id(db, "CLSH-PV"),
        booking=one_day,
        cancel=one_day,
        opening_kind=OpeningKind.PERIOD,
        horizon_days=None,
    )
    line = recap(db, actor(db, Role.AGENT), basket).additions[0]
    assert line.ok and line.check.limit is not None  # now allowed until Sunday 20 at 12:00


def test_closing_a_day_cancels_refunds_and_notifies(db):
    family_id, (child,) = new_family(db, "Fermeture", balance_cents=1300, email="fermeture@example.org")
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 28), Action.ADD)
    confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert balance(db, family_id) == 0
    day = day_row(db, "CLSH-PV", date(2026, 12, 28))
    report = days.close_day(
        db, actor(db, Role.SUPERVISOR), day.id, "travaux dans le centre", key=new_operation_key()
    )
    assert "FERMETURE" in report.families and report.refunded_cents >= 1300 and report.emails >= 1
    assert balance(db, family_id) == 1300
    with db.reading() as uow:
        s = uow.session
        assert s.get(ActivityDay, day.id).closed
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.recipient == "fermeture@example.org"))
        assert "travaux dans le centre" in mail.body and "13,00" in mail.body


def test_messages_and_periods_import(db):
    sid = structure_of(db, "CLSH-PV")
    admin.save_message(
        db,
        actor(db, Role.ADMIN),
        sid,
        "Inscriptions été",
        "Ouverture le 6 mai.",
        date(2026, 11, 20),
        date(2026, 12, 31),
    )
    titles = [m.title for m in admin.current_messages(db, sid, date(2026, 11, 26))]
    assert "Inscriptions été" in titles and "Vacances de Noël" in titles
    assert "Inscriptions été" not in [m.title for m in admin.current_messages(db, sid, date(2027, 1, 5))]
    report = school_year.generate_days(db, actor(db, Role.ADMIN), "2027-2028", [activity_id(db, "CLSH-PV")])
    assert report.activities[0].periods_created == 4 and report.activities[0].created == 38
    with db.reading() as uow:
        period = uow.session.scalar(
            select(Period.id).where(Period.school_year == "2027-2028").order_by(Period.id)
        )
    school_year.set_opening_date(db, actor(db, Role.ADMIN), period, date(2027, 9, 15))


def test_portal_password_is_only_stored_as_a_hash(db):
    family_id, _ = new_family(db, "Portail", email="portail@example.org")
    letter = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=False)
    with db.reading() as uow:
        family = uow.session.get(Family, family_id)
        assert family.portal_login == letter.login
        assert family.portal_password_hash != letter.temporary_password
        assert verify_password(family.portal_password_hash, letter.temporary_password)
    mailed = issue_portal_password(db, actor(db, Role.AGENT), family_id, by_email=True)  # no SMTP here
    assert not mailed.emailed and mailed.email_error == "pas de serveur d'envoi configuré"
    with db.reading() as uow:
        assert (
            uow.session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "portal_password")) is None
        )
        assert not verify_password(
            uow.session.get(Family, family_id).portal_password_hash, letter.temporary_password
        )


def test_export_then_anonymise_keeps_the_accounts(db):
    family_id, (child,) = new_family(
        db, "Départ", children=("Zoé",), balance_cents=1300, email="depart@example.org"
    )
    record_payment(
        db,
        actor(db, Role.AGENT),
        structure_of(db, "CLSH-PV"),
        PaymentInput(family_id, W.ALSH, PaymentMethod.CASH, "20"),
        key=new_operation_key(),
    )
    data = export_family(db, actor(db, Role.AGENT), family_id)
    assert data["famille"]["nom"] == "DÉPART" and data["enfants"][0]["prénom"] == "Zoé"
    assert data["règlements"] and data["écritures"] and json.dumps(data, ensure_ascii=False)
    with pytest.raises(PermissionDenied):
        anonymise_family(
            db, actor(db, Role.AGENT), family_id, balance=BalanceChoice.KEEP, key=new_operation_key()
        )
    anonymise_family(
        db, actor(db, Role.SUPERVISOR), family_id, balance=BalanceChoice.KEEP, key=new_operation_key()
    )
    with db.reading() as uow:
        s = uow.session
        family = s.get(Family, family_id)
        assert family.name.startswith("FAMILLE ANONYMISÉE") and family.email is None and not family.adults
        assert family.children[0].first_name == "Enfant 1"
        assert s.scalar(select(Payment.id).where(Payment.family_id == family_id)) is not None
        entries = s.scalars(
            select(LedgerEntry)
            .join(Wallet, LedgerEntry.wallet_id == Wallet.id)
            .where(Wallet.family_id == family_id)
        ).all()
        assert len(entries) >= 2
    assert family_id not in [r.id for r in find_families(db, "depart")]


def test_every_kind_of_write_leaves_an_audit_row(db):
    agent, supervisor, administrator = (actor(db, r) for r in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN))
    sid = structure_of(db, "CLSH-PV")
    start = db.clock.now()
    login(db, "smartin", "demo")
    change_password(db, agent, "demo", "autre-mot-de-passe")  # the right current password: failures back to 0
    with pytest.raises(LoginRefused):
        login(db, "smartin", "faux")
    family_id = create_family(db, agent, FamilyInput(name="Journal", email="journal@example.org"))
    update_family(
        db, agent, family_id, FamilyInput(name="Journal", phone="05 63 00 00 01", email="journal@example.org")
    )
    child = save_child(db, agent, family_id, ChildInput("Léo", "Journal", date(2018, 1, 1), "CE1"))
    save_child(db, agent, family_id, ChildInput("Léon", "Journal", date(2018, 1, 1), "CE1"), child)
    with db.reading() as uow:
        from app.models import AidType

        caf = uow.session.scalar(select(AidType.id).where(AidType.kind == AidKind.CAF))
    (aid,) = add_aid(db, agent, family_id, caf, [W.ALSH], "4", date(2026, 9, 1), date(2027, 8, 31))
    remove_aid(db, agent, aid)
    receipt = record_payment(
        db, agent, sid, PaymentInput(family_id, W.ALSH, PaymentMethod.CASH, "100"), key=new_operation_key()
    )
    pv = activity_id(db, "CLSH-PV")
    basket = Basket(family_id)
    for d in (date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 28)):
        basket.toggle(child, pv, d, Action.ADD)
    confirm(db, agent, basket, key=new_operation_key())
    cancel = Basket(family_id)
    cancel.toggle(child, pv, date(2026, 12, 28), Action.REMOVE)
    confirm(db, agent, cancel, key=new_operation_key())
    full = day_row(db, "CLSH-PV", date(2026, 12, 22))
    with db.reading() as uow:
        queue = [r.id for r in waitlist.waitlist(uow.session, full.id)]
    days.reorder(db, supervisor, full.id, queue[::-1], "priorité")
    days.set_capacity(
        db, supervisor, full.id, full.capacity + 1, "renfort", key=new_operation_key()
    )  # promotes
    adjust(db, supervisor, sid, family_id, W.ALSH, "1", "correction", key=new_operation_key())
    reverse_payment(db, supervisor, receipt.payment_id, "erreur", key=new_operation_key())
    transmit_day(db, date(2026, 11, 26))
    issue_portal_password(db, agent, family_id, by_email=True)
    export_family(db, agent, family_id)
    structures.create_structure(db, administrator, StructureInput("Nouvelle structure"))
    activities.update_activity(db, administrator, pv, price="13")
    activities.set_brackets(db, administrator, pv, [(0, 800, "9"), (801, None, "13")])
    rule = DeadlineRule(DeadlineKind.COUNTED_DAYS, 2, "4,5", False, None, time(23, 59))
    activities.set_booking_policy(
        db, administrator, pv, booking=rule, cancel=rule, opening_kind=OpeningKind.PERIOD, horizon_days=None
    )
    school_year.generate_days(db, administrator, "2027-2028", [pv])
    with db.reading() as uow:
        period = uow.session.scalar(
            select(Period.id).where(Period.school_year == "2027-2028").order_by(Period.id)
        )
    school_year.set_opening_date(db, administrator, period, date(2027, 9, 20))
    admin.create_aid_type(db, administrator, AidKind.EMPLOYER, "CE Mairie")
    admin.save_message(db, administrator, sid, "Info", "Texte", date(2026, 11, 26))
    days.close_day(
        db, supervisor, day_row(db, "CLSH-PV", date(2026, 12, 30)).id, "grève", key=new_operation_key()
    )
    expected = {t.method: t for t in day_expected(db, agent, sid)}
    euros = lambda c: f"{c // 100},{c % 100:02d}"  # noqa: E731
    closing = close_cash(
        db,
        agent,
        sid,
        CountedInput(
            euros(expected[PaymentMethod.CASH].cents),
            str(expected[PaymentMethod.CHEQUE].count),
            euros(expected[PaymentMethod.CHEQUE].cents),
        ),
        key=new_operation_key(),
    )
    validate_closing(db, supervisor, closing)
    db.clock.set(paris(date(2026, 12, 21), time(17, 0)))
    with db.reading() as uow:
        from app.models import Reservation

        res = uow.session.scalar(
            select(Reservation.id).where(Reservation.child_id == child, Reservation.status == "accepted")
        )
    record_attendance(db, agent, res, Attendance.ABSENT)
    record_certificate(db, agent, res, key=new_operation_key())
    anonymise_family(db, supervisor, family_id, balance=BalanceChoice.REFUND, key=new_operation_key())
    with db.reading() as uow:
        actions = {e.action for e in audit_rows(uow.session, start=start, limit=10_000)}
        by_family = {e.action for e in audit_rows(uow.session, family_id=family_id)}
        by_agent = {e.action for e in audit_rows(uow.session, agent_id=agent.agent_id, start=start)}
    assert {
        "auth.login",
        "auth.failed",
        "auth.password",
        "family.create",
        "family.update",
        "child.create",
        "child.update",
        "aid.create",
        "aid.delete",
        "payment.create",
        "reservation.create",
        "reservation.cancel",
        "waitlist.reorder",
        "activity_day.capacity",
        "reservation.promote",
        "ledger.adjust",
        "payment.reverse",
        "nightly.transmit",
        "portal.password",
        "family.export",
        "structure.create",
        "activity.update",
        "activity.brackets",
        "activity.policy",
        "school_year.generate",
        "period.opening",
        "aid_type.create",
        "message.save",
        "activity_day.close",
        "closing.close",
        "closing.validate",
        "reservation.attendance",
        "reservation.certificate",
        "family.anonymise",
    } <= actions
    assert {"family.create", "reservation.create", "family.anonymise"} <= by_family
    assert "family.create" in by_agent and "activity.policy" not in by_agent
    with db.reading() as uow:
        assert (
            uow.session.scalar(select(Agent.failed_logins).where(Agent.login == "smartin")) == 1
        )  # one failure
        assert (
            uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "closing.validate")).agent_id
            == supervisor.agent_id
        )


def test_admin_input_checks_brackets_weekdays_and_past_days(db):
    pv = activity_id(db, "CLSH-PV")
    administrator = actor(db, Role.ADMIN)
    activities.set_brackets(db, administrator, pv, [(0, 800, "9"), (801, None, "13")])
    activities.set_brackets(db, administrator, pv, [(0, 900, "8"), (901, None, "13")])  # same qf_min again
    from app.services.errors import ValidationError

    with pytest.raises(ValidationError, match="entre 0 et 1\u202f000,00"):
        activities.set_brackets(db, administrator, pv, [(0, None, "-1")])
    every_day = DeadlineRule(DeadlineKind.COUNTED_DAYS, 2, "0,1,2,3,4,5,6", False, None, time(23, 59))
    with pytest.raises(ValidationError, match="Jours à ne pas décompter"):
        activities.set_booking_policy(
            db,
            administrator,
            pv,
            booking=every_day,
            cancel=every_day,
            opening_kind=OpeningKind.PERIOD,
            horizon_days=None,
        )
    with pytest.raises(ValidationError, match="est passée"):
        past = day_row(db, "ALAE-MER", date(2026, 11, 25))
        days.close_day(db, actor(db, Role.SUPERVISOR), past.id, "trop tard", key=new_operation_key())


def test_closing_a_day_does_not_refund_a_certificate_twice(db):
    family_id, (child,) = new_family(db, "Certifié", balance_cents=1300)
    basket = Basket(family_id)
    basket.toggle(child, activity_id(db, "CLSH-PV"), date(2026, 12, 21), Action.ADD)
    result = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    db.clock.set(paris(date(2026, 12, 21), time(17, 0)))
    record_attendance(db, actor(db, Role.AGENT), result.outcomes[0].reservation_id, Attendance.ABSENT)
    record_certificate(db, actor(db, Role.AGENT), result.outcomes[0].reservation_id, key=new_operation_key())
    assert balance(db, family_id) == 1300
    days.close_day(
        db,
        actor(db, Role.SUPERVISOR),
        day_row(db, "CLSH-PV", date(2026, 12, 21)).id,
        "inondation",
        key=new_operation_key(),
    )
    assert balance(db, family_id) == 1300


def test_the_journal_pages_through_everything_shows_before_and_after_whole_and_finds_a_family_by_name(db):
    from app.services.setup.views import JOURNAL_PAGE, audit_view

    agent = actor(db, Role.AGENT)
    family_id = create_family(db, agent, FamilyInput(name="Journalière", email="j@example.org"))
    long_address = "Résidence des Tilleuls, bâtiment B, escalier 3, " * 3
    for i in range(JOURNAL_PAGE + 30):
        update_family(
            db,
            agent,
            family_id,
            FamilyInput(name="Journalière", email="j@example.org", address=f"{long_address}n° {i}"),
        )
    today = db.clock.now().date()
    first = audit_view(db, family="journaliere", start=today, end=today)
    assert first.total == JOURNAL_PAGE + 31 and len(first.rows) == JOURNAL_PAGE  # not a silent cut
    second = audit_view(db, family="JOURNALIÈRE", start=today, end=today, offset=JOURNAL_PAGE)
    assert len(second.rows) == 31 and second.rows[-1].action == "family.create"
    newest = first.rows[0]
    assert newest.family == "JOURNALIÈRE" and f"{long_address}n° {JOURNAL_PAGE + 29}" in newest.after
    assert f"{long_address}n° {JOURNAL_PAGE + 28}" in newest.before  # the before side, whole too
    assert audit_view(db, family="personne-de-ce-nom", start=today, end=today).total == 0
