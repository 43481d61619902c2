"""A plan of decisions is written in a handful of set-based statements, whatever its size (issue 31): a basket's
new requests in one INSERT … RETURNING, its ledger entries, audit rows and e-mails in one multi-row INSERT each, its
cancellations, promotions and renumbered waitlists as UPDATEs; a closed day and a raised capacity alike. What they
write is checked elsewhere (``test_confirm_golden``, the booking tests, the invariant checker); this counts them."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

from sqlalchemy import event, func, select

from app.models import OutboxMessage, Reservation, ReservationStatus, Role
from app.services.booking.basket import Action, Basket
from app.services.booking.days import close_day, set_capacity
from app.services.booking.validation import confirm
from app.services.invariants import violations
from app.services.uow import Database, new_operation_key
from tests.helpers import activity_id, actor, day_row
from tests.test_confirm_golden import _basket

WRITE = re.compile(r"^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+\"?(\w+)", re.IGNORECASE)


@contextmanager
def writes(db: Database) -> Iterator[Counter[str]]:
    """The statements that write, counted by kind and table (``"INSERT reservations"``), executemany counted once."""
    seen: Counter[str] = Counter()

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        match = WRITE.match(statement)
        if match:
            seen[f"{match.group(1).split()[0].upper()} {match.group(2)}"] += 1

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def _live(db: Database, day_id: int, status: ReservationStatus) -> int:
    with db.reading() as uow:
        return uow.session.scalar(
            select(func.count()).where(Reservation.activity_day_id == day_id, Reservation.status == status)
        )


def test_a_basket_is_written_in_a_handful_of_statements(demo_rw):
    db = demo_rw
    basket = _basket(db)  # a cancellation promoting a waitlisted request, accepted days, waitlisted, refused
    with writes(db) as seen:
        result = confirm(db, actor(db, Role.AGENT), basket, key=new_operation_key())
    assert result.promoted_ids and {o.status for o in result.outcomes} >= {
        "accepted",
        "waitlisted",
        "cancelled",
    }
    assert seen["INSERT reservations"] == 1
    assert seen["INSERT ledger_entries"] == 1
    assert seen["INSERT outbox"] + seen["INSERT outbox_messages"] == 1  # the promoted family's e-mail
    assert seen["INSERT audit_log"] <= 2  # the plan's rows, and the operation's own
    assert seen["UPDATE reservations"] <= 3  # cancelled, promoted, the waitlist numbered again
    assert seen["UPDATE wallets"] <= 2  # the family's, the promoted family's
    with db.reading() as uow:
        assert violations(uow.session) == []


def test_a_bigger_basket_takes_no_more_statements(demo_rw):
    db = demo_rw
    pv = activity_id(db, "CLSH-PV")
    with db.reading() as uow:
        res = uow.session.scalars(
            select(Reservation)
            .where(Reservation.status == ReservationStatus.ACCEPTED)
            .order_by(Reservation.id)
        ).first()
        family_id, child_id = res.child.family_id, res.child_id
    days = [date(2026, 12, d) for d in (21, 22, 23, 24, 28, 29, 30, 31)]
    small, big = Basket(family_id), Basket(family_id)
    small.toggle(child_id, pv, days[0], Action.ADD)
    for d in days[1:]:
        big.toggle(child_id, pv, d, Action.ADD)
    agent = actor(db, Role.SUPERVISOR)
    with writes(db) as one:
        confirm(db, agent, small, key=new_operation_key())
    with writes(db) as many:
        confirm(db, agent, big, key=new_operation_key())
    assert many == one


def test_closing_a_day_cancels_refunds_and_mails_in_set_based_statements(demo_rw):
    db = demo_rw
    day = day_row(db, "CLSH-PV", date(2026, 12, 22))  # full, with a waitlist
    accepted, waiting = (
        _live(db, day.id, s) for s in (ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED)
    )
    assert accepted >= 3 and waiting >= 1
    with db.reading() as uow:
        mails_before = uow.session.scalar(select(func.count()).select_from(OutboxMessage))
    with writes(db) as seen:
        closed = close_day(db, actor(db, Role.SUPERVISOR), day.id, "Sortie annulée", key=new_operation_key())
    assert (
        _live(db, day.id, ReservationStatus.ACCEPTED) == 0 == _live(db, day.id, ReservationStatus.WAITLISTED)
    )
    with db.reading() as uow:
        mails = uow.session.scalar(select(func.count()).select_from(OutboxMessage)) - mails_before
    assert closed.emails == mails >= 1
    assert seen["UPDATE reservations"] == 1
    assert seen["INSERT ledger_entries"] == 1
    assert seen["INSERT audit_log"] <= 2
    assert sum(n for k, n in seen.items() if k.startswith("INSERT outbox")) == 1


def test_a_raised_capacity_promotes_in_set_based_statements(demo_rw):
    db = demo_rw
    day = day_row(db, "CLSH-PV", date(2026, 12, 22))
    waiting = _live(db, day.id, ReservationStatus.WAITLISTED)
    assert waiting >= 2
    with writes(db) as seen:
        promoted = set_capacity(
            db, actor(db, Role.SUPERVISOR), day.id, day.capacity + waiting, "Renfort", key=new_operation_key()
        )
    assert len(promoted) == waiting and _live(db, day.id, ReservationStatus.WAITLISTED) == 0
    assert seen["UPDATE reservations"] <= 2
    assert seen["INSERT ledger_entries"] == 1
    with db.reading() as uow:
        assert violations(uow.session) == []
