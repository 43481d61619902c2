"""What must never be violated is enforced by the database itself, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from app.models import Payment, PaymentMethod, Reservation, ReservationStatus, Wallet, WalletKind
from tests import factories

NOW = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)


def _reservation(
    child_id: int, day_id: int, status: ReservationStatus, position: int | None = None
) -> Reservation:
    return Reservation(
        child_id=child_id,
        activity_day_id=day_id,
        status=status,
        requested_at=NOW,
        waitlist_position=position,
        refusal_reason="Complet" if status is ReservationStatus.REFUSED else None,
    )


@pytest.fixture
def booking_setup(db):
    with db.writing() as uow:
        s = uow.session
        structure = factories.structure(s)
        activity = factories.activity(s, structure.id)
        day = factories.day(s, activity.id)
        family, child = factories.family_with_child(s)
        uow.commit()
        return family.id, child.id, day.id


def test_second_live_reservation_of_same_child_and_day_is_rejected(db, booking_setup):
    _, child_id, day_id = booking_setup
    with db.writing() as uow:
        uow.session.add(_reservation(child_id, day_id, ReservationStatus.ACCEPTED))
        uow.commit()
    for status, position in ((ReservationStatus.ACCEPTED, None), (ReservationStatus.WAITLISTED, 1)):
        with db.writing() as uow, pytest.raises(IntegrityError):
            uow.session.add(_reservation(child_id, day_id, status, position))
            uow.session.flush()


def test_cancelled_and_refused_rows_do_not_block_a_new_live_reservation(db, booking_setup):
    _, child_id, day_id = booking_setup
    with db.writing() as uow:
        uow.session.add_all(
            [
                _reservation(child_id, day_id, ReservationStatus.CANCELLED),
                _reservation(child_id, day_id, ReservationStatus.REFUSED),
                _reservation(child_id, day_id, ReservationStatus.CANCELLED),
                _reservation(child_id, day_id, ReservationStatus.WAITLISTED, 1),
            ]
        )
        uow.commit()


def test_waitlist_position_only_on_waitlisted_rows(db, booking_setup):
    _, child_id, day_id = booking_setup
    with db.writing() as uow, pytest.raises(IntegrityError):
        uow.session.add(_reservation(child_id, day_id, ReservationStatus.WAITLISTED, None))
        uow.session.flush()


def test_negative_capacity_is_rejected(db):
    with db.writing() as uow, pytest.raises(IntegrityError):
        s = uow.session
        structure = factories.structure(s)
        activity = factories.activity(s, structure.id)
        factories.day(s, activity.id, capacity=-1)


def test_reservation_of_unknown_child_violates_foreign_key(db, booking_setup):
    _, _, day_id = booking_setup
    with db.writing() as uow, pytest.raises(IntegrityError):
        uow.session.add(_reservation(999_999, day_id, ReservationStatus.ACCEPTED))
        uow.session.flush()


def _payment(structure_id: int, family_id: int, wallet_id: int, seq: int) -> Payment:
    return Payment(
        structure_id=structure_id,
        family_id=family_id,
        wallet_id=wallet_id,
        receipt_year=2026,
        receipt_seq=seq,
        receipt_number=f"2026-{seq:06d}",
        method=PaymentMethod.CASH,
        amount_cents=6500,
        paid_at=NOW,
        business_date=date(2026, 11, 26),
    )


def test_duplicate_receipt_number_in_same_structure_and_year_is_rejected(db):
    with db.writing() as uow:
        s = uow.session
        structure = factories.structure(s)
        other = factories.structure(s, "ALAE-TEST")
        family, _ = factories.family_with_child(s)
        wallet = Wallet(family_id=family.id, kind=WalletKind.ALSH, balance_cents=0)
        s.add(wallet)
        s.flush()
        s.add(_payment(structure.id, family.id, wallet.id, 1))
        s.add(_payment(other.id, family.id, wallet.id, 1))  # same number, other structure: allowed
        uow.commit()
        ids = structure.id, family.id, wallet.id
    with db.writing() as uow, pytest.raises(IntegrityError):
        uow.session.add(_payment(*ids, 1))
        uow.session.flush()


def test_payment_amount_must_be_positive(db):
    with db.writing() as uow, pytest.raises(IntegrityError):
        s = uow.session
        structure = factories.structure(s)
        family, _ = factories.family_with_child(s)
        wallet = Wallet(family_id=family.id, kind=WalletKind.ALSH, balance_cents=0)
        s.add(wallet)
        s.flush()
        payment = _payment(structure.id, family.id, wallet.id, 1)
        payment.amount_cents = 0
        s.add(payment)
        s.flush()


def test_one_wallet_per_family_and_kind(db):
    with db.writing() as uow, pytest.raises(IntegrityError):
        s = uow.session
        family, _ = factories.family_with_child(s)
        s.add_all(
            [
                Wallet(family_id=family.id, kind=WalletKind.ALAE),
                Wallet(family_id=family.id, kind=WalletKind.ALAE),
            ]
        )
        s.flush()


def test_append_only_tables_refuse_update_and_delete_on_sqlite_as_on_postgresql(demo_rw, backend):
    """On PostgreSQL the counters' role has no UPDATE or DELETE on them (``test_shared_server``); on SQLite, triggers
    — the operation keys included (issue 27): a stored outcome cannot be rewritten to replay another result."""
    if backend != "sqlite":
        pytest.skip("PostgreSQL: the counters' role's rights, tested with that role")
    from datetime import UTC, datetime

    from sqlalchemy import text

    db = demo_rw  # every table holds rows
    with db.writing() as uow:
        uow.session.execute(
            text(
                "INSERT INTO operation_keys (key, kind, created_at, result) VALUES ('k-1', 'payment', :at, '1')"
            ),
            {"at": datetime(2026, 11, 26, 9, tzinfo=UTC).replace(tzinfo=None)},
        )
        uow.commit()
    for table in ("operation_keys", "audit_log", "ledger_entries", "payments"):
        for statement in (
            f"UPDATE {table} SET created_at = created_at"
            if table == "operation_keys"
            else f"UPDATE {table} SET id = id",
            f"DELETE FROM {table}",
        ):
            with db.writing() as uow, pytest.raises(IntegrityError, match="écritures définitives"):
                uow.session.execute(
                    text(statement + (" WHERE key = 'k-1'" if table == "operation_keys" else ""))
                )
