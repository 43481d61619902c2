"""The role matrix, generated from ``app.services.permissions.RULES`` (issue 27): every public service that takes an
actor is called as an agent, a régisseur, an administrator and a family, with arguments that would succeed; the
roles the table allows succeed, the others get ``PermissionDenied`` (in French, naming the action and the role it
needs) and nothing is written — not a row, not an audit line."""

from __future__ import annotations

import importlib
import inspect
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from app.clock import paris
from app.models import (
    ActivityKind,
    AidKind,
    AidType,
    Attendance,
    Family,
    Period,
    Reservation,
    ReservationStatus,
    Role,
    Wallet,
)
from app.models import WalletKind as W
from app.services import permissions
from app.services.actors import Actor
from app.services.booking.basket import Action, Basket
from app.services.errors import PermissionDenied
from app.services.families.forgetting import BalanceChoice
from app.services.security import hash_password
from app.services.uow import Database
from tests.helpers import activity_id, actor, day_row, new_family, structure_of
from tests.test_fuzz_services import FUNCTIONS

WHO = ("agent", "supervisor", "admin", "family")
ROLE_OF = {"agent": Role.AGENT, "supervisor": Role.SUPERVISOR, "admin": Role.ADMIN}


def _key() -> str:
    return str(uuid.uuid4())


@dataclass
class World:
    """The demonstration town at 26/11/2026 10:00 with a family of two children that has a portal account and
    money on its ALSH wallet; ``people`` the four callers."""

    db: Database
    request: pytest.FixtureRequest
    people: dict[str, Actor] = field(default_factory=dict)
    n: itertools.count = field(default_factory=lambda: itertools.count(1))

    def __post_init__(self) -> None:
        db = self.db
        self.sid, self.alae = structure_of(db, "CLSH-PV"), structure_of(db, "ALAE-MER")
        self.pv = activity_id(db, "CLSH-PV")
        self.family_id, (self.lea, self.tom) = new_family(
            db, "Matrice", children=("Léa", "Tom"), balance_cents=50_000
        )
        with db.writing() as uow:
            row = uow.session.get(Family, self.family_id)
            row.portal_login, row.portal_password_hash = "matrice01", hash_password("cheval-tulipe-ardoise")
            uow.commit()
        with db.reading() as uow:
            s = uow.session
            self.wallet = s.scalar(
                select(Wallet.id).where(Wallet.family_id == self.family_id, Wallet.kind == W.ALSH)
            )
            self.caf = s.scalar(select(AidType.id).where(AidType.kind == AidKind.CAF))
        self.people = {who: actor(db, role) for who, role in ROLE_OF.items()}
        self.people["family"] = Actor.family(self.family_id, "MATRICE")
        self.admin = self.people["admin"]

    def fresh(self) -> int:
        return next(self.n)

    def basket(self, *days: date) -> Basket:
        basket = Basket(self.family_id)
        for d in days:
            basket.toggle(self.lea, self.pv, d, Action.ADD)
        return basket


Call = Callable[[Actor], Any]
Sample = Callable[[World], Call]
"""Prepares the arguments of one call (as the administrator, when the call consumes them: a payment to reverse, a
family to anonymise) and returns the call, to be made as the actor under test: arguments that succeed for a role the
table allows."""


def _with(service: str, w: World, *args: Any, **kwargs: Any) -> Call:
    return lambda a: _svc(service)(w.db, a, *args, **kwargs)


def _svc(name: str) -> Any:
    module, function = name.rsplit(".", 1)
    return getattr(importlib.import_module(f"app.services.{module}"), function)


def _closing_by_someone_else(w: World) -> int:
    from app.services.money.cash_closing import close_cash, day_expected

    clerks = w.__dict__.setdefault(
        "clerks", iter([("kbenali", w.sid), ("kbenali", w.alae), ("smartin", w.alae), ("smartin", w.sid)])
    )
    login, sid = next(clerks)
    with w.db.reading() as uow:
        from app.models import Agent

        agent = uow.session.scalar(select(Agent).where(Agent.login == login))
        clerk = Actor(agent.id, agent.role, agent.full_name)
    return close_cash(w.db, clerk, sid, _counted(day_expected(w.db, clerk, sid)), key=_key())


def _counted(expected: Any) -> Any:
    from app.models import PaymentMethod
    from app.services.money.cash_closing import CountedInput

    totals = {t.method: t for t in expected}
    euros = lambda c: f"{c // 100},{c % 100:02d}"  # noqa: E731
    cash, cheque, card = (
        totals.get(m) for m in (PaymentMethod.CASH, PaymentMethod.CHEQUE, PaymentMethod.CARD)
    )
    return CountedInput(
        euros(cash.cents if cash else 0),
        str(cheque.count if cheque else 0),
        euros(cheque.cents if cheque else 0),
        "Compté pour le test",
        euros(card.cents if card else 0),
    )


def _open_past_till(w: World) -> tuple[int, date]:
    """A till of a past day left open: a payment taken by an agent that day, never closed (a new day each time)."""
    from app.models import PaymentMethod
    from app.services.money.payments import PaymentInput, record_payment

    day = date(2026, 11, 2) + timedelta(days=next(w.n))
    now = w.db.clock.now()
    w.db.clock.set(paris(day, time(10, 0)))
    try:
        record_payment(
            w.db,
            w.people["agent"],
            w.sid,
            PaymentInput(w.family_id, W.ALSH, PaymentMethod.CASH, "10"),
            key=_key(),
        )
    finally:
        w.db.clock.set(now)
    return w.people["agent"].agent_id, day


def _payment(w: World) -> int:
    from app.models import PaymentMethod
    from app.services.money.payments import PaymentInput, record_payment

    return record_payment(
        w.db,
        w.people["agent"],
        w.sid,
        PaymentInput(w.family_id, W.ALSH, PaymentMethod.CASH, "10"),
        key=_key(),
    ).payment_id


def _cheque(w: World) -> int:
    """A cheque taken by the agent on a day of its own, its till closed: ready to be deposited."""
    from app.models import PaymentMethod
    from app.services.money.cash_closing import close_cash, day_expected
    from app.services.money.payments import PaymentInput, record_payment

    n, now, agent = w.fresh(), w.db.clock.now(), w.people["agent"]
    w.db.clock.set(paris(date(2026, 12, 1) + timedelta(days=n), time(10, 0)))
    try:
        data = PaymentInput(w.family_id, W.ALSH, PaymentMethod.CHEQUE, "10", "CIC", f"{1000 + n}")
        payment_id = record_payment(w.db, agent, w.sid, data, key=_key()).payment_id
        close_cash(w.db, agent, w.sid, _counted(day_expected(w.db, agent, w.sid)), key=_key())
    finally:
        w.db.clock.set(now)
    return payment_id


def _deposit(w: World) -> int:
    from app.services.money.deposits import create_deposit

    return create_deposit(w.db, w.admin, w.sid, [_cheque(w)], key=_key()).id


def _activity(w: World) -> int:
    from app.services.setup.activities import ActivityInput, create_activity

    return create_activity(
        w.db, w.admin, ActivityInput(w.sid, ActivityKind.ALSH_HOLIDAYS, f"Stage {w.fresh()}", "15", 16)
    )


def _past_reservation(w: World, absent: bool = False) -> int:
    """An accepted reservation of a day already gone (attendance is recorded for those)."""
    from app.models import ActivityDay
    from app.services.booking.attendance import record_attendance

    taken = w.__dict__.setdefault("taken", set())
    with w.db.reading() as uow:
        rid = uow.session.scalar(
            select(Reservation.id)
            .join(ActivityDay)
            .where(
                Reservation.status == ReservationStatus.ACCEPTED,
                ActivityDay.day < date(2026, 11, 26),
                Reservation.id.not_in(taken) if taken else True,
                Reservation.attendance == Attendance.PRESENT,
            )
            .order_by(ActivityDay.day.desc(), Reservation.id)
        )
    taken.add(rid)
    if absent:
        record_attendance(w.db, w.people["agent"], rid, Attendance.ABSENT)
    return rid


def _policy() -> dict[str, Any]:
    from app.models import DeadlineKind, DeadlineRule, OpeningKind

    rule = DeadlineRule(DeadlineKind.COUNTED_DAYS, 2, "4,5", False, None, time(23, 59))
    return {"booking": rule, "cancel": rule, "opening_kind": OpeningKind.PERIOD, "horizon_days": None}


def _import_table(w: World) -> Any:
    import csv
    import io

    from app.services.setup.family_import import DEFAULT_HEADERS, read_source

    n = w.fresh()
    row = {
        "famille": f"Importée {n}",
        "responsable_nom": "Importée",
        "responsable_prenom": "Anne",
        "email": f"importee{n}@example.org",
        "telephone": "05 63 00 00 09",
        "adresse": "2 rue Haute",
        "code_postal": "82700",
        "ville": "Montech",
        "quotient_familial": "850",
        "enfant_nom": "Importée",
        "enfant_prenom": "Noé",
        "enfant_naissance": "12/03/2018",
        "enfant_niveau": "CE2",
        "solde_alae": "0",
        "solde_alsh": "0",
    }
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=DEFAULT_HEADERS, delimiter=";", lineterminator="\r\n")
    writer.writeheader()
    writer.writerow(row)
    return read_source("familles.csv", out.getvalue().encode())


def _target_agent(w: World) -> int:
    with w.db.reading() as uow:
        from app.models import Agent

        return uow.session.scalar(select(Agent.id).where(Agent.login == "kbenali"))


def _period(w: World) -> int:
    with w.db.reading() as uow:
        return uow.session.scalar(
            select(Period.id)
            .where(Period.school_year == "2026-2027", Period.opening_date > date(2026, 11, 26))
            .order_by(Period.opening_date)
        )


def _local_closing(w: World) -> int:
    from app.services.setup.school_year import add_local_closing

    return add_local_closing(w.db, w.admin, date(2027, 3, 10 + w.fresh()), "Fermeture", w.sid)


def _new_family(w: World) -> int:
    family_id, _ = new_family(w.db, f"Oubli{w.fresh()}")
    return family_id


def _calendar(w: World) -> Call:
    from app.services.setup.school_year import school_calendar

    calendar = school_calendar(w.db, "C", "2027-2028")
    return _with(
        "setup.school_year.save_calendar", w, "C", "2027-2028", calendar.holidays, calendar.public_holidays
    )


def _structure(w: World) -> Any:
    from app.services.setup.structures import StructureInput, structure_details

    detail = next(d for d in structure_details(w.db) if d.id == w.sid)
    return StructureInput(
        detail.name,
        detail.address or "",
        detail.postal_code or "",
        detail.city or "",
        detail.phone or "",
        detail.email or "",
        detail.zone or "C",
    )


def _settings() -> Any:
    from app.services.money.online import PaymentSettingsInput

    return PaymentSettingsInput("payfip_ws", {"numcli": "123456", "saisie": "T"}, True)


def _start_online(w: World) -> Call:
    from app.services.money.online import save_payment_settings, start_online_payment

    save_payment_settings(w.db, w.admin, w.sid, _settings())
    gateway = w.request.getfixturevalue("gateway")
    return lambda a: start_online_payment(w.db, gateway, a, w.sid, w.wallet, "10")


def _edit_inputs() -> Any:
    from app.services.families import edit

    return edit


def _health_right(w: World) -> World:
    """The three agents given the right to the health files (the role matrix tests the roles; the right itself is
    tested in test_health_file)."""
    from app.models import Agent

    with w.db.writing() as uow:
        for who in ROLE_OF:
            uow.session.get(Agent, w.people[who].agent_id).health_access = True
        uow.commit()
    return w


def _fiche() -> Any:
    from app.services.families.health import HealthInput

    return HealthInput(diet="Sans porc")


SAMPLES: dict[str, Sample] = {
    "auth.change_password": lambda w: _with(
        "auth.change_password", w, "demo", f"cheval-tulipe-{w.fresh()}-ardoise"
    ),
    "booking.validation.recap": lambda w: _with("booking.validation.recap", w, w.basket(date(2026, 12, 21))),
    "booking.validation.confirm": lambda w: _with(
        "booking.validation.confirm", w, w.basket(date(2026, 12, 20 + w.fresh())), key=_key()
    ),
    "booking.copying.copy_days": lambda w: _with(
        "booking.copying.copy_days",
        w,
        w.basket(date(2026, 12, 21), date(2026, 12, 22)),
        from_child_id=w.lea,
        from_activity_id=w.pv,
        to_child_id=w.tom,
    ),
    "booking.attendance.record_attendance": lambda w: _with(
        "booking.attendance.record_attendance", w, _past_reservation(w), Attendance.PRESENT
    ),
    "booking.attendance.record_certificate": lambda w: _with(
        "booking.attendance.record_certificate", w, _past_reservation(w, absent=True), key=_key()
    ),
    "booking.days.set_capacity": lambda w: _with(
        "booking.days.set_capacity",
        w,
        day_row(w.db, "CLSH-PV", date(2026, 12, 22)).id,
        30 + w.fresh(),
        "renfort",
        key=_key(),
    ),
    "booking.days.reorder": lambda w: _with("booking.days.reorder", w, *_reorder_args(w), "priorité"),
    "booking.days.close_day": lambda w: _with(
        "booking.days.close_day",
        w,
        day_row(w.db, "CLSH-PV", date(2026, 12, 27 + w.fresh())).id,
        "grève",
        key=_key(),
    ),
    "families.edit.create_family": lambda w: _with(
        "families.edit.create_family",
        w,
        _edit_inputs().FamilyInput(name=f"Nouvelle{w.fresh()}", email="nouvelle@example.org"),
    ),
    "families.edit.update_family": lambda w: _with(
        "families.edit.update_family",
        w,
        w.family_id,
        _edit_inputs().FamilyInput(
            name="Matrice", phone="05 63 00 00 0" + str(w.fresh()), email="matrice@example.org"
        ),
    ),
    "families.edit.save_child": lambda w: _with(
        "families.edit.save_child",
        w,
        w.family_id,
        _edit_inputs().ChildInput(f"Enfant{w.fresh()}", "Matrice", date(2019, 5, 2), "CP"),
    ),
    "families.portal.update_contact": lambda w: _with(
        "families.portal.update_contact", w, "matrice@example.org", "06 11 22 33 44"
    ),
    "families.privacy.issue_portal_password": lambda w: _with(
        "families.privacy.issue_portal_password", w, _new_family(w), by_email=False
    ),
    "families.privacy.export_family": lambda w: _with("families.privacy.export_family", w, w.family_id),
    "families.forgetting.anonymise_family": lambda w: _with(
        "families.forgetting.anonymise_family", w, _new_family(w), balance=BalanceChoice.KEEP, key=_key()
    ),
    "families.forgetting.save_retention_years": lambda w: _with(
        "families.forgetting.save_retention_years", w, 5
    ),
    "families.forgetting.reapply_anonymisations": lambda w: _with(
        "families.forgetting.reapply_anonymisations", w, []
    ),
    "families.health.health_file": lambda w: _with("families.health.health_file", _health_right(w), w.lea),
    "families.health.save_health_file": lambda w: _with(
        "families.health.save_health_file", _health_right(w), w.lea, _fiche()
    ),
    "documents.attendance.attendance_pdf": lambda w: (
        lambda a: _svc("documents.attendance.attendance_pdf")(w.db, w.pv, date(2026, 12, 21), actor=a)
    ),
    "money.aids.add_aid": lambda w: _with(
        "money.aids.add_aid", w, w.family_id, w.caf, [W.ALSH], "4", date(2026, 9, 1), date(2027, 8, 31)
    ),
    "money.aids.remove_aid": lambda w: _with(
        "money.aids.remove_aid",
        w,
        _svc("money.aids.add_aid")(
            w.db, w.admin, w.family_id, w.caf, [W.ALSH], "4", date(2026, 9, 1), date(2027, 8, 31)
        )[0],
    ),
    "money.payments.record_payment": lambda w: _with(
        "money.payments.record_payment", w, w.sid, _cash(w), key=_key()
    ),
    "money.payments.reverse_payment": lambda w: _with(
        "money.payments.reverse_payment", w, _payment(w), "erreur de saisie", key=_key()
    ),
    "money.payments.adjust": lambda w: _with(
        "money.payments.adjust", w, w.sid, w.family_id, W.ALSH, "-1", "correction", key=_key()
    ),
    "booking.caf_hours.caf_hours": lambda w: _with(
        "booking.caf_hours.caf_hours", w, date(2026, 10, 1), date(2026, 10, 31), w.sid
    ),
    "money.cash_closing.day_expected": lambda w: _with("money.cash_closing.day_expected", w, w.sid),
    "money.cash_closing.close_cash": lambda w: _with(
        "money.cash_closing.close_cash",
        w,
        w.sid,
        _counted(_svc("money.cash_closing.day_expected")(w.db, w.admin, w.sid)),
        key=_key(),
    ),
    "money.cash_closing.day_cheques": lambda w: _with("money.cash_closing.day_cheques", w, w.sid),
    "money.cash_closing.close_late": lambda w: _with(
        "money.cash_closing.close_late", w, w.sid, *_open_past_till(w), _counted([]), key=_key()
    ),
    "money.cash_closing.validate_closing": lambda w: _with(
        "money.cash_closing.validate_closing", w, _closing_by_someone_else(w)
    ),
    "money.online.start_online_payment": _start_online,
    "money.online.save_payment_settings": lambda w: _with(
        "money.online.save_payment_settings", w, w.sid, _settings()
    ),
    "money.deposits.undeposited_cheques": lambda w: _with("money.deposits.undeposited_cheques", w, w.sid),
    "money.deposits.create_deposit": lambda w: _with(
        "money.deposits.create_deposit", w, w.sid, [_cheque(w)], key=_key()
    ),
    "money.deposits.past_deposits": lambda w: _with("money.deposits.past_deposits", w, w.sid),
    "documents.deposit_slip.deposit_slip_pdf": lambda w: _with(
        "documents.deposit_slip.deposit_slip_pdf", w, _deposit(w)
    ),
    "setup.agents.create_agent": lambda w: _with(
        "setup.agents.create_agent", w, f"nouvel{w.fresh()}", "Nouvel Agent", Role.AGENT, [w.sid]
    ),
    "setup.agents.set_role": lambda w: _with("setup.agents.set_role", w, _target_agent(w), Role.SUPERVISOR),
    "setup.agents.set_active": lambda w: _with("setup.agents.set_active", w, _target_agent(w), False),
    "setup.agents.update_agent": lambda w: _with(
        "setup.agents.update_agent",
        w,
        _target_agent(w),
        full_name="Karim Benali-Roux",
        role=Role.AGENT,
        structure_ids=[w.sid],
    ),
    "setup.agents.reset_password": lambda w: _with("setup.agents.reset_password", w, _target_agent(w)),
    "setup.agents.unlock": lambda w: _with("setup.agents.unlock", w, _target_agent(w)),
    "setup.agents.set_health_access": lambda w: _with(
        "setup.agents.set_health_access", w, _target_agent(w), True
    ),
    "setup.activities.create_activity": lambda w: _with(
        "setup.activities.create_activity",
        w,
        _svc("setup.activities.ActivityInput")(
            w.sid, ActivityKind.ALSH_HOLIDAYS, f"Stage {w.fresh()}", "15", 16
        ),
    ),
    "setup.activities.save_activity": lambda w: _with(
        "setup.activities.save_activity",
        w,
        _activity(w),
        _svc("setup.activities.ActivityInput")(
            w.sid, ActivityKind.ALSH_HOLIDAYS, f"Stage {w.fresh()}", "16", 12
        ),
    ),
    "setup.activities.update_activity": lambda w: _with(
        "setup.activities.update_activity", w, w.pv, price="14"
    ),
    "setup.activities.set_brackets": lambda w: _with(
        "setup.activities.set_brackets", w, w.pv, [(0, 800, "9"), (801, None, "13")]
    ),
    "setup.activities.set_booking_policy": lambda w: _with(
        "setup.activities.set_booking_policy", w, w.pv, **_policy()
    ),
    "setup.activities.set_archived": lambda w: _with("setup.activities.set_archived", w, _activity(w), True),
    "setup.activities.delete_activity": lambda w: _with("setup.activities.delete_activity", w, _activity(w)),
    "setup.catalogue.create_aid_type": lambda w: _with(
        "setup.catalogue.create_aid_type", w, AidKind.EMPLOYER, f"CE Mairie {w.fresh()}"
    ),
    "setup.catalogue.save_message": lambda w: _with(
        "setup.catalogue.save_message", w, w.sid, "Info", "Texte", date(2026, 11, 26)
    ),
    "setup.family_import.import_families": lambda w: _with(
        "setup.family_import.import_families", w, _import_table(w)
    ),
    "setup.family_import.export_families": lambda w: _with("setup.family_import.export_families", w),
    "setup.school_year.save_calendar": _calendar,
    "setup.school_year.add_local_closing": lambda w: _with(
        "setup.school_year.add_local_closing",
        w,
        date(2027, 3, 1 + w.fresh()),
        "Fermeture exceptionnelle",
        w.sid,
    ),
    "setup.school_year.remove_local_closing": lambda w: _with(
        "setup.school_year.remove_local_closing", w, _local_closing(w)
    ),
    "setup.school_year.generate_days": lambda w: _with(
        "setup.school_year.generate_days", w, "2027-2028", [w.pv]
    ),
    "setup.school_year.set_opening_date": lambda w: _with(
        "setup.school_year.set_opening_date", w, _period(w), date(2026, 12, 1 + w.fresh())
    ),
    "setup.structures.create_structure": lambda w: _with(
        "setup.structures.create_structure",
        w,
        _svc("setup.structures.StructureInput")(f"Structure {w.fresh()}"),
    ),
    "setup.structures.update_structure": lambda w: _with(
        "setup.structures.update_structure", w, w.sid, _structure(w)
    ),
    "setup.town_settings.save_portal_address": lambda w: _with(
        "setup.town_settings.save_portal_address", w, f"https://portail{w.fresh()}.ville.example"
    ),
    "documents.tax_certificate.tax_certificate_pdf": lambda w: _with(
        "documents.tax_certificate.tax_certificate_pdf", w, w.family_id, *_eligible(w)
    ),
    "documents.tax_certificate.tax_certificates_batch": lambda w: _with(
        "documents.tax_certificate.tax_certificates_batch",
        w,
        2025,
        str(w.request.getfixturevalue("tmp_path")),
    ),
}


def _eligible(w: World) -> tuple[int, int]:
    """A year and structure for which the family has a childcare tax certificate (a child of 4, a day charged)."""
    from tests.test_tax_certificates import eligible_child_day

    if "eligible" not in w.__dict__:
        w.__dict__["eligible"] = eligible_child_day(w.db, w.family_id)
    return w.__dict__["eligible"]


def _reorder_args(w: World) -> tuple[int, list[int]]:
    from app.services.booking import waitlist

    day = day_row(w.db, "CLSH-PV", date(2026, 12, 22))
    with w.db.reading() as uow:
        queue = [r.id for r in waitlist.waitlist(uow.session, day.id)]
    assert len(queue) >= 2, "the demonstration's 22/12 has a waiting list"
    return day.id, queue[::-1]


def _cash(w: World) -> Any:
    from app.models import PaymentMethod
    from app.services.money.payments import PaymentInput

    return PaymentInput(w.family_id, W.ALSH, PaymentMethod.CASH, "10")


def _all_rows(db: Database) -> dict[str, int]:
    """The rows of every table (a refusal writes none: not a row, not an audit line, not an operation key)."""
    from app.models import Base

    with db.reading() as uow:
        return {
            t.name: uow.session.scalar(select(func.count()).select_from(t))
            for t in Base.metadata.sorted_tables
        }


def test_the_table_names_every_service_that_takes_an_actor_and_the_samples_cover_it():
    taking = {
        name.removeprefix("app.services.")
        for name, fn in FUNCTIONS
        if "actor" in inspect.signature(fn).parameters
    }
    assert taking == set(permissions.RULES)
    assert set(SAMPLES) == set(permissions.RULES)
    for name in permissions.RULES:
        assert callable(_svc(name))


@pytest.mark.parametrize("service", sorted(permissions.RULES))
def test_role_matrix(demo_rw, request, service):
    db = demo_rw
    db.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    world = World(db, request)
    rule = permissions.RULES[service]
    for who in WHO:
        caller = world.people[who]
        allowed = rule.allows(ROLE_OF.get(who), family=who == "family")
        call = SAMPLES[service](world)
        if allowed:
            call(caller)  # succeeds: no exception
            continue
        before = _all_rows(db)
        with pytest.raises(PermissionDenied) as refused:
            call(caller)
        message = str(refused.value)
        assert rule.what in message, (who, message)
        if who == "family":
            assert "au guichet" in message or "réservée" in message
        elif rule.need is not None:
            assert f"Action réservée {PermissionDenied.WHO[rule.need]} : " in message, (who, message)
        else:
            assert "sur le portail" in message
        assert _all_rows(db) == before, f"{service} as {who} wrote something"
