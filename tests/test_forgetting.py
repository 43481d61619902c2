"""Anonymisation that forgets (issue 27): after anonymising a family with a history, no table — nor a backup
restored afterwards — holds its name, phone, e-mail, address, children's names or health notes; the money stays
exactly where it was; the family's requests to come are cancelled and refunded, its balance refunded or kept as the
régisseur chooses; the town's retention period proposes the families to forget."""

from __future__ import annotations

import json
import unicodedata
from datetime import date, time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.clock import paris
from app.models import (
    ActivityDay,
    AidKind,
    AidType,
    Attendance,
    AuditEntry,
    Base,
    Child,
    Family,
    LedgerEntry,
    LedgerKind,
    Payment,
    PaymentMethod,
    Reservation,
    ReservationStatus,
    Role,
    Wallet,
)
from app.models import WalletKind as W
from app.services import sealing
from app.services.booking.attendance import record_attendance, record_certificate
from app.services.booking.basket import Action, Basket
from app.services.booking.days import close_day
from app.services.booking.validation import confirm
from app.services.end_of_day.transmission import transmit_day
from app.services.errors import UnknownEntity, ValidationError
from app.services.families import forgetting
from app.services.families.edit import AdultInput, ChildInput, FamilyInput, create_family
from app.services.families.forgetting import BalanceChoice, anonymisation_preview, anonymise_family
from app.services.families.privacy import export_family, issue_portal_password
from app.services.invariants import check
from app.services.money.aids import add_aid
from app.services.money.payments import PaymentInput, adjust, ledger_rows, record_payment, reverse_payment
from app.services.setup.views import audit_view
from app.services.uow import Database, new_operation_key
from tests.helpers import activity_id, actor, balance, new_family, structure_of

NEEDLES = (
    "Quennevillard",
    "Perpétue",
    "Ysolde",
    "Eudoxe",
    "05 63 98 76 54",
    "0563987654",
    "perpetue.quennevillard@example.org",
    "Glycines-Bleues",
    "cajou",
    "bouleau",
    "7654321",
)
"""What names the family (its name, the mother's and the children's first names, phone, e-mail, address, health
notes, a cheque's number): none of it may be read anywhere once it is anonymised."""


def plain(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).casefold()


def found_anywhere(db: Database) -> list[str]:
    """Every place (table.column) a needle can be read in clear — a sealed value is ciphertext, checked apart."""
    hits = []
    needles = [(n, plain(n)) for n in NEEDLES]
    with db.reading() as uow:
        conn = uow.session.connection()
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(select(table)).mappings():
                for column, value in row.items():
                    if value is None or isinstance(value, bytes | int | float):
                        continue
                    if isinstance(value, str) and value.startswith(sealing.PREFIX):
                        continue
                    if isinstance(value, dict) and set(value) == {"sealed"}:
                        continue
                    text = plain(
                        value
                        if isinstance(value, str)
                        else json.dumps(value, ensure_ascii=False, default=str)
                    )
                    hits += [f"{table.name}.{column}: {needle}" for needle, key in needles if key in text]
    return hits


def sealed_for(db: Database, family_id: int) -> list[object]:
    """What the family's sealed values read now (every one of them, from every table)."""
    opened = []
    with db.reading() as uow:
        s = uow.session
        for table in Base.metadata.sorted_tables:
            for row in s.connection().execute(select(table)).mappings():
                for value in row.values():
                    token = (
                        value.get("sealed") if isinstance(value, dict) and set(value) == {"sealed"} else value
                    )
                    if sealing.family_of(token) == family_id:
                        opened.append(sealing.opened(s, value))
    return opened


def money(db: Database, family_id: int | None = None) -> dict[str, object]:
    """The accounts: every payment, every ledger entry (amount, kind, date) and the balance of every wallet."""
    with db.reading() as uow:
        s = uow.session
        return {
            "payments": sorted(
                s.execute(
                    select(
                        Payment.id,
                        Payment.receipt_number,
                        Payment.amount_cents,
                        Payment.method,
                        Payment.paid_at,
                    )
                ).all()
            ),
            "entries": sorted(
                s.execute(
                    select(
                        LedgerEntry.id,
                        LedgerEntry.wallet_id,
                        LedgerEntry.kind,
                        LedgerEntry.amount_cents,
                        LedgerEntry.created_at,
                    )
                ).all()
            ),
            "wallets": sorted(s.execute(select(Wallet.id, Wallet.balance_cents)).all()),
        }


def a_family_with_a_history(db: Database) -> tuple[int, list[int]]:
    """The Quennevillards: two adults, two children (one with a health plan), a portal account, an aid, payments
    (a cheque, a reversal), an adjustment whose reason names the mother, requests (one absent with a certificate,
    days to come, one in a day then closed), the night's compte-rendu e-mailed. Ends on 21/12/2026 at 17:00."""
    db.clock.set(paris(date(2026, 11, 26), time(10, 0)))
    clerk, boss = actor(db, Role.AGENT), actor(db, Role.SUPERVISOR)
    family_id = create_family(
        db,
        clerk,
        FamilyInput(
            name="Quennevillard",
            phone="05 63 98 76 54",
            email="perpetue.quennevillard@example.org",
            address="12 impasse des Glycines-Bleues",
            postal_code="82700",
            city="Montech",
            quotient_familial="640",
            adults=[
                AdultInput(
                    "Perpétue",
                    "Quennevillard",
                    "mère",
                    "06 63 98 76 54",
                    "perpetue.quennevillard@example.org",
                )
            ],
        ),
        [
            ChildInput(
                "Ysolde", "Quennevillard", date(2018, 5, 14), "CE2", "PAI noix de cajou et pollen de bouleau"
            ),
            ChildInput("Eudoxe", "Quennevillard", date(2020, 2, 3), "GS"),
        ],
    )
    with db.reading() as uow:
        children = list(
            uow.session.scalars(select(Child.id).where(Child.family_id == family_id).order_by(Child.id))
        )
        caf = uow.session.scalar(select(AidType.id).where(AidType.kind == AidKind.CAF))
    issue_portal_password(db, clerk, family_id, by_email=False)
    add_aid(db, clerk, family_id, caf, [W.ALSH], "2", date(2026, 9, 1), date(2027, 8, 31))
    sid = structure_of(db, "CLSH-PV")
    record_payment(
        db,
        clerk,
        sid,
        PaymentInput(family_id, W.ALSH, PaymentMethod.CHEQUE, "120", "Banque Tarnaise", "7654321"),
        key=new_operation_key(),
    )
    twice = record_payment(
        db, clerk, sid, PaymentInput(family_id, W.ALSH, PaymentMethod.CASH, "20"), key=new_operation_key()
    )
    reverse_payment(
        db, boss, twice.payment_id, "Mme Perpétue Quennevillard a payé deux fois", key=new_operation_key()
    )
    adjust(
        db, boss, sid, family_id, W.ALSH, "5", "geste pour Perpétue Quennevillard", key=new_operation_key()
    )
    pv = activity_id(db, "CLSH-PV")
    basket = Basket(family_id)
    for day in (date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23), date(2026, 12, 28)):
        basket.toggle(children[0], pv, day, Action.ADD)
    basket.toggle(children[1], pv, date(2026, 12, 23), Action.ADD)
    confirm(db, clerk, basket, key=new_operation_key())
    transmit_day(db, date(2026, 11, 26))  # the compte-rendu names the children
    db.clock.set(paris(date(2026, 12, 21), time(17, 0)))
    with db.reading() as uow:
        today = uow.session.scalar(
            select(Reservation.id)
            .join(Reservation.activity_day)
            .where(
                Reservation.child_id == children[0],
                Reservation.status == ReservationStatus.ACCEPTED,
                Reservation.activity_day.has(day=date(2026, 12, 21)),
            )
        )
    record_attendance(db, clerk, today, Attendance.ABSENT)
    record_certificate(db, clerk, today, key=new_operation_key())
    with db.reading() as uow:
        closed = uow.session.scalar(
            select(Reservation.activity_day_id)
            .where(Reservation.child_id == children[0])
            .join(Reservation.activity_day)
            .where(Reservation.activity_day.has(day=date(2026, 12, 28)))
        )
    close_day(
        db, boss, closed, "travaux", key=new_operation_key()
    )  # an e-mail to the family, names in the result
    return family_id, children


def test_an_anonymised_family_can_be_read_nowhere_and_the_money_stays(demo_rw, backend, tmp_path):
    db = demo_rw
    assert found_anywhere(db) == []  # the demonstration knows none of them
    family_id, _children = a_family_with_a_history(db)
    in_clear = {h.split(": ")[1] for h in found_anywhere(db)}
    assert in_clear == set(NEEDLES) - {
        "7654321"
    }  # each of them is there, in clear; the cheque, sealed from the start
    export = export_family(db, actor(db, Role.AGENT), family_id)
    assert [p["numéro_du_chèque"] for p in export["règlements"]] == ["7654321", None]
    assert {r["enfant"] for r in export["réservations"]} == {"Ysolde Quennevillard", "Eudoxe Quennevillard"}
    assert export["aides"][0]["aide"] == "CAF – Aide au temps libre" and export["e-mails"]
    assert any("Ysolde" in m["texte"] for m in export["e-mails"])
    if backend == "sqlite":  # a backup made before: it holds the family
        from app.backup import daily_backup

        backup = daily_backup(Path(str(db.engine.url.database)), date(2026, 12, 21), directory=tmp_path)
    before = money(db)
    with db.reading() as uow:  # the requests to come: after 21/12 (the 28th was closed)
        live = uow.session.execute(
            select(Reservation.status, Reservation.price_cents)
            .join(Child)
            .join(Reservation.activity_day)
            .where(
                Child.family_id == family_id,
                Reservation.status.in_((ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED)),
                Reservation.activity_day.has(ActivityDay.day > date(2026, 12, 21)),
            )
        ).all()
    refund = sum(price for status, price in live if status is ReservationStatus.ACCEPTED)
    assert len(live) == 3 and refund > 0
    preview = anonymisation_preview(db, family_id)
    assert (preview.name, preview.future_requests, preview.future_refund_cents) == (
        "QUENNEVILLARD",
        3,
        refund,
    )
    assert preview.can_anonymise and any("2 enfants" in line for line in preview.erased)
    done = anonymise_family(
        db, actor(db, Role.SUPERVISOR), family_id, balance=BalanceChoice.REFUND, key=new_operation_key()
    )
    assert (done.cancelled, done.refunded_cents) == (3, refund)

    assert found_anywhere(db) == []
    assert set(sealed_for(db, family_id)) == {sealing.ERASED}
    after = money(db)
    assert after["payments"] == before["payments"]  # not a payment touched
    assert set(before["entries"]) <= set(after["entries"])  # not an entry changed or removed
    new = sorted(set(after["entries"]) - set(before["entries"]))
    accepted = sum(1 for status, _ in live if status is ReservationStatus.ACCEPTED)
    assert [e.kind for e in new] == [LedgerKind.REFUND] * accepted + [LedgerKind.ADJUSTMENT]
    assert balance(db, family_id) == 0 and check(db) == []
    with db.reading() as uow:
        family = uow.session.get(Family, family_id)
        assert family.name == f"FAMILLE ANONYMISÉE {family_id}" and family.anonymized_at is not None
        assert sorted(c.first_name for c in family.children) == ["Enfant 1", "Enfant 2"]
    rows = ledger_rows(db, family_id)
    assert rows and all(r.label.endswith("(libellé effacé)") for r in rows)
    page = audit_view(db, family=f"anonymisée {family_id}", start=date(2026, 11, 1), end=date(2026, 12, 31))
    assert page.total > 10 and all(r.family == f"FAMILLE ANONYMISÉE {family_id}" for r in page.rows)
    assert {r.after for r in page.rows if r.action == "payment.create"} == {sealing.ERASED}
    with pytest.raises(UnknownEntity):
        export_family(db, actor(db, Role.AGENT), family_id)

    if backend == "sqlite":  # a restore brings the backup back, then forgets the family again
        from app.backup import reapply_after_restore, restore

        database = Path(str(db.engine.url.database))
        db.engine.dispose()
        kept = restore(backup, database)
        assert found_anywhere(db)  # the backup named the family…
        assert reapply_after_restore(database, kept) == [family_id]
        assert found_anywhere(db) == [] and check(db) == []  # … and it is forgotten again
        assert money(db)["payments"] == before["payments"]


def test_a_family_in_debit_is_not_anonymised_and_nothing_is_written(demo_rw):
    db = demo_rw
    family_id, _ = new_family(db, "Débitrice", balance_cents=-1500)
    preview = anonymisation_preview(db, family_id)
    assert not preview.can_anonymise and preview.debt_cents == 1500
    before = money(db)
    with pytest.raises(ValidationError, match="doit encore 15,00\u00a0€ : régularisez ce solde"):
        anonymise_family(
            db, actor(db, Role.SUPERVISOR), family_id, balance=BalanceChoice.KEEP, key=new_operation_key()
        )
    assert money(db) == before
    with db.reading() as uow:
        assert uow.session.get(Family, family_id).anonymized_at is None


def test_kept_as_credit_the_balance_stays_and_the_waiting_list_gets_the_places(demo_rw):
    db = demo_rw
    family_id, (child,) = new_family(db, "Créditée", balance_cents=10_000)
    other_id, (other,) = new_family(db, "Attente", balance_cents=10_000)
    pv = activity_id(db, "CLSH-PV")
    with db.writing() as uow:  # a day of the holidays with no waiting list, left with one place
        waiting = select(Reservation.activity_day_id).where(
            Reservation.status == ReservationStatus.WAITLISTED
        )
        day = uow.session.scalars(
            select(ActivityDay)
            .where(
                ActivityDay.activity_id == pv,
                ActivityDay.day > date(2026, 12, 20),
                ActivityDay.closed.is_(False),
                ActivityDay.id.not_in(waiting),
            )
            .order_by(ActivityDay.day)
        ).first()
        taken = uow.session.scalar(
            select(func.count())
            .select_from(Reservation)
            .where(Reservation.activity_day_id == day.id, Reservation.status == ReservationStatus.ACCEPTED)
        )
        day.capacity, full = taken + 1, day.day
        uow.commit()
    for fid, kid in ((family_id, child), (other_id, other)):
        basket = Basket(fid)
        basket.toggle(kid, pv, full, Action.ADD)
        confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert balance(db, family_id) == 10_000 - 1300
    done = anonymise_family(
        db, actor(db, Role.SUPERVISOR), family_id, balance=BalanceChoice.KEEP, key=new_operation_key()
    )
    assert (
        done.choice is BalanceChoice.KEEP
        and done.balance_cents == 10_000
        and balance(db, family_id) == 10_000
    )
    with db.reading() as uow:
        status = uow.session.scalar(select(Reservation.status).where(Reservation.child_id == other))
    assert status is ReservationStatus.ACCEPTED  # the freed place went to the waiting list
    assert check(db) == []


def test_the_retention_period_proposes_families_without_activity(demo_rw):
    db = demo_rw
    admin = actor(db, Role.ADMIN)
    assert forgetting.retention_years(db) == 3
    old_id, _ = new_family(db, "Ancienne")
    with db.writing() as uow:  # made six years ago, nothing since
        uow.session.get(Family, old_id).created_at = paris(date(2020, 6, 1), time(9, 0))
        uow.commit()
    dormant = forgetting.dormant_families(db)
    assert [d.id for d in dormant if d.name == "ANCIENNE"] == [old_id]
    forgetting.save_retention_years(db, admin, 10)
    assert forgetting.retention_years(db) == 10 and old_id not in [
        d.id for d in forgetting.dormant_families(db)
    ]
    with db.reading() as uow:
        entry = uow.session.scalar(select(AuditEntry).where(AuditEntry.action == "town.retention"))
    assert (entry.before, entry.after, entry.agent_id) == ({"années": 3}, {"années": 10}, admin.agent_id)


def test_exports_are_audited_and_readable_by_their_user_only(demo_rw, tmp_path):
    import os
    import stat

    from app.files import write_documents
    from app.services.setup.family_import import export_families

    db = demo_rw
    admin = actor(db, Role.ADMIN)
    content = export_families(db, admin)
    family_id, _ = new_family(db, "Exportée")
    data = export_family(db, actor(db, Role.AGENT), family_id)
    with db.reading() as uow:
        actions = uow.session.execute(
            select(AuditEntry.action, AuditEntry.agent_id, AuditEntry.after).where(
                AuditEntry.action.in_(("family.export_all", "family.export"))
            )
        ).all()
    assert ("family.export_all", admin.agent_id) in [(a, who) for a, who, _ in actions]
    assert next(after for a, _, after in actions if a == "family.export_all")["familles"] > 20
    assert "family.export" in [a for a, _, _ in actions]
    target = tmp_path / "export.json"
    target.write_text("ancien", encoding="utf-8")
    target.chmod(0o644)
    write_documents({target: json.dumps(data).encode(), tmp_path / "familles.csv": content}, private=True)
    if os.name == "posix":
        for path in (target, tmp_path / "familles.csv"):
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
