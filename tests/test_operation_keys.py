"""Operation keys: when the answer to a COMMIT is lost, the write is not made twice. One handover of cash is one
payment (one receipt, one credit); a confirmation shows its outcome, not "Déjà inscrit"."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import func, select

from app.clock import FixedClock, paris
from app.db import make_engine
from app.models import (
    LedgerEntry,
    LedgerKind,
    OperationRecord,
    Payment,
    PaymentMethod,
    Reservation,
    Role,
    WalletKind,
)
from app.services.booking.basket import Action, Basket, OutcomeStatus
from app.services.booking.validation import confirm
from app.services.errors import OutcomeUnknown
from app.services.money.payments import PaymentInput, record_payment
from app.services.uow import Database, new_operation_key
from tests.faults import PgProxy, sqlite_commit_reply_lost
from tests.helpers import activity_id, actor, balance, new_family, structure_of

NOW = paris(date(2026, 11, 26), time(10, 0))
NOEL = [date(2026, 12, 21), date(2026, 12, 22), date(2026, 12, 23)]  # the 22nd is full: waitlisted


@pytest.fixture
def faulty(backend, demo_rw):
    """(database whose COMMIT answer can be lost, arm(), proxy or None)."""
    demo_rw.clock.set(NOW)
    if backend == "sqlite":
        yield demo_rw, None
        return
    proxy = PgProxy()
    engine = make_engine(proxy.url(demo_rw.engine.url.render_as_string(hide_password=False)))
    yield Database(engine, FixedClock(NOW)), proxy
    engine.dispose()
    proxy.close()


def _payments(db, family_id: int) -> tuple[int, int]:
    with db.reading() as uow:
        s = uow.session
        payments = s.scalar(select(func.count()).select_from(Payment).where(Payment.family_id == family_id))
        credits = s.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .where(
                LedgerEntry.kind == LedgerKind.PAYMENT,
                LedgerEntry.payment_id.in_(select(Payment.id).where(Payment.family_id == family_id)),
            )
        )
        return payments, credits


def _lose_the_next_commit_answer(db, proxy):
    if proxy is not None:
        proxy.drop_next_commit_reply()
        return None
    return sqlite_commit_reply_lost(db)


def test_a_payment_whose_commit_answer_is_lost_is_recorded_once(faulty, demo_rw):
    db, proxy = faulty
    family_id, _children = new_family(demo_rw, "Réseau", balance_cents=0)
    agent = actor(demo_rw, Role.AGENT)
    sid = structure_of(demo_rw, "CLSH-PV")
    key = new_operation_key()  # made when the cash is handed over
    data = PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CASH, "65,00")
    injected = _lose_the_next_commit_answer(db, proxy)
    if injected is None:
        receipt = record_payment(db, agent, sid, data, key=key)
        assert proxy.dropped == 1
    else:
        with injected as fired:
            receipt = record_payment(db, agent, sid, data, key=key)
        assert fired == [1]
    # the service asked the server what happened and reports the committed payment
    assert receipt.amount_cents == 6500 and receipt.number.startswith("2026-")
    assert _payments(demo_rw, family_id) == (1, 1) and balance(demo_rw, family_id) == 6500
    # the agent's retry with the same key (or a double click) gives the same receipt, writes nothing
    again = record_payment(db, agent, sid, data, key=key)
    assert again == receipt
    assert _payments(demo_rw, family_id) == (1, 1) and balance(demo_rw, family_id) == 6500
    with demo_rw.reading() as uow:
        assert uow.session.get(OperationRecord, key).kind == "payment"


def test_a_confirmation_whose_commit_answer_is_lost_shows_its_outcome(faulty, demo_rw):
    db, proxy = faulty
    family_id, (child,) = new_family(demo_rw, "Réseau", balance_cents=5000)
    agent = actor(demo_rw, Role.AGENT)
    basket = Basket(family_id)
    for d in NOEL:
        basket.toggle(child, activity_id(demo_rw, "CLSH-PV"), d, Action.ADD)
    key = new_operation_key()
    injected = _lose_the_next_commit_answer(db, proxy)
    if injected is None:
        result = confirm(db, agent, basket, key=key)
    else:
        with injected:
            result = confirm(db, agent, basket, key=key)
    statuses = [o.status for o in result.outcomes]
    assert statuses == [OutcomeStatus.ACCEPTED, OutcomeStatus.WAITLISTED, OutcomeStatus.ACCEPTED]
    retried = confirm(db, agent, basket, key=key)  # the agent clicks "Confirmer" again
    assert retried == result and "Déjà inscrit" not in str(retried)
    with demo_rw.reading() as uow:
        mine = uow.session.scalar(
            select(func.count()).select_from(Reservation).where(Reservation.child_id == child)
        )
    assert mine == 3 and balance(demo_rw, family_id) == 5000 - 2 * 1300


def test_when_the_server_cannot_be_asked_the_agent_is_told_and_the_retry_is_safe(backend, faulty, demo_rw):
    if backend != "postgresql":
        pytest.skip("a local SQLite file can always be asked")
    db, proxy = faulty
    family_id, _children = new_family(demo_rw, "Panne", balance_cents=0)
    agent, sid = actor(demo_rw, Role.AGENT), structure_of(demo_rw, "CLSH-PV")
    key = new_operation_key()
    data = PaymentInput(family_id, WalletKind.ALSH, PaymentMethod.CHEQUE, "30", "Banque Populaire", "1234567")
    with db.reading() as uow:  # the counter is connected…
        uow.session.execute(select(1))
    proxy.drop_next_commit_reply()
    proxy.refuse_connections(True)  # the server seems down while the service wants to ask it
    with pytest.raises(OutcomeUnknown, match="a peut-être été enregistrée.*pas enregistrée deux fois"):
        record_payment(db, agent, sid, data, key=key)
    proxy.refuse_connections(False)
    receipt = record_payment(db, agent, sid, data, key=key)  # the retry finds the committed payment
    assert receipt.amount_cents == 3000
    assert _payments(demo_rw, family_id) == (1, 1) and balance(demo_rw, family_id) == 3000
