"""The floors of the counter's reads and of the end of day return the rows the services show and write the rows
``transmit_day`` writes (the timings themselves live in ``python -m bench``)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select, update

from app.models import AuditEntry, Child, Family, OutboxMessage, Reservation, ReservationStatus
from app.services.booking.month_view import DayState, month_view
from app.services.end_of_day.transmission import transmit_day
from app.services.errors import WrongFamily
from app.services.families.search import find_families
from app.services.uow import Database
from bench.dataset import BENCH_TODAY
from bench.floor_reads import floor_end_of_day, floor_month, floor_search
from bench.measure import NOW, _untransmit


@pytest.fixture
def city(small_city):
    return small_city


def test_the_search_floor_finds_the_families_the_search_shows(city):
    db, _ = city
    with db.reading() as uow:
        names = list(uow.session.scalars(select(Family.name_key).order_by(Family.id)))
        phone = uow.session.scalar(select(Family.phone).order_by(Family.id))
    queries = sorted({n[:3] for n in names if len(n) >= 3})[:15] + ["", "a", "e", "%", "a_b", phone, "zzzzz"]
    seen_balance = False
    for query in queries:
        shown = find_families(db, query)
        assert floor_search(db.engine, query) == [
            (r.id, r.name, r.adults, r.children, r.phone, r.email, r.balance_cents, r.main_adult)
            for r in shown
        ], query
        seen_balance |= any(r.balance_cents for r in shown)
    assert seen_balance
    assert len(floor_search(db.engine, "", limit=7)) == 7
    assert [r.id for r in find_families(db, phone)] != []


def test_the_month_floor_reads_each_day_the_calendar_shows(city):
    db, loaded = city
    with db.reading() as uow:
        children = list(uow.session.execute(select(Child.id, Child.family_id).order_by(Child.id)).all())
    months = [(2026, 3), (2026, 5), (2026, 6), (2026, 7), (2026, 8), (2026, 10)]
    states: set[DayState] = set()
    for n, (child_id, family_id) in enumerate(children[:30]):
        for activity_id in (loaded.alae_ids[n % 2], loaded.alsh_id, loaded.alsh_summer_id):
            for year, month in months:
                rows = floor_month(db.engine, family_id, child_id, activity_id, year, month)
                view = month_view(db, family_id, child_id, activity_id, year, month)
                _same_month(rows, view.cells)
                states |= {c.state for c in view.cells}
    assert {DayState.PAST, DayState.BOOKED, DayState.FREE, DayState.CLOSED} <= states, states
    child_id, family_id = children[0]
    other = next(f for _, f in children if f != family_id)
    assert floor_month(db.engine, other, child_id, loaded.alsh_summer_id, 2026, 7) == []
    with pytest.raises(WrongFamily):
        month_view(db, other, child_id, loaded.alsh_summer_id, 2026, 7)


def _same_month(rows, cells) -> None:
    by_day = {c.day: c for c in cells}
    for row in rows:
        day, capacity, closed, reason = row[1:5]
        taken, queued, res_id, status, rank, refusal = row[6:]
        cell = by_day.pop(day)
        if closed:
            assert cell.state is DayState.CLOSED and cell.capacity is None
            assert cell.reason == (reason or "journée fermée par la structure")
            continue
        assert (cell.capacity, cell.places_left, cell.waiting) == (capacity, capacity - taken, queued), day
        shown = {
            DayState.BOOKED: "accepted",
            DayState.WAITLISTED: "waitlisted",
            DayState.REFUSED: "refused",
        }.get(cell.state)
        if shown is not None:
            assert (status, res_id) == (shown, cell.reservation_id), day
        elif cell.state is DayState.PAST:
            assert cell.reservation_id == res_id
        else:  # nothing live shown: no request, or a cancelled one, or a refused one the rules leave unbookable
            assert status in (None, "cancelled", "refused") and cell.reservation_id is None, (day, cell)
        if cell.state is DayState.WAITLISTED:
            assert cell.rank == rank
        if cell.state is DayState.REFUSED:
            assert cell.reason == (refusal or "")
    assert all(c.state is DayState.CLOSED and c.capacity is None for c in by_day.values())  # no activity day


def _transmitted(db: Database, at) -> set[int]:
    with db.reading() as uow:
        return set(uow.session.scalars(select(Reservation.id).where(Reservation.transmitted_at == at)))


def _outbox(db: Database) -> list[tuple]:
    with db.reading() as uow:
        return sorted(
            uow.session.execute(
                select(
                    OutboxMessage.family_id,
                    OutboxMessage.recipient,
                    OutboxMessage.subject,
                    OutboxMessage.body,
                    OutboxMessage.status,
                    OutboxMessage.created_at,
                ).where(OutboxMessage.kind == "compte_rendu")
            ).all()
        )


def _last_audit(db: Database) -> dict:
    with db.reading() as uow:
        entry = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "nightly.transmit").order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.entity_id == BENCH_TODAY.isoformat()
        return entry.after or {}


def test_the_end_of_day_floor_writes_what_the_end_of_day_writes(city):
    db, _ = city
    transmit_day(db, BENCH_TODAY)  # what the dataset left untransmitted
    _untransmit(db, 40)
    with db.writing() as uow:  # a cancellation of the day, and a request of tomorrow (not transmitted)
        ids = list(uow.session.scalars(select(Reservation.id).order_by(Reservation.id.desc()).limit(45)))
        uow.session.execute(
            update(Reservation)
            .where(Reservation.id == ids[-2])
            .values(
                transmitted_at=None,
                requested_at=NOW - timedelta(days=30),
                cancelled_at=NOW,
                status=ReservationStatus.CANCELLED,
                waitlist_position=None,
            )
        )
        uow.session.execute(
            update(Reservation)
            .where(Reservation.id == ids[-1])
            .values(transmitted_at=None, requested_at=NOW + timedelta(days=1))
        )
        uow.commit()

    report = transmit_day(db, BENCH_TODAY)
    ours = _transmitted(db, NOW)
    ours_mail, ours_audit = _outbox(db), _last_audit(db)
    assert len(ours) == report.transmitted == 41 and ids[-2] in ours and ids[-1] not in ours
    assert len(ours_mail) == report.families_notified > 0

    with db.writing() as uow:  # back to the state before the end of day
        uow.session.execute(update(Reservation).where(Reservation.id.in_(ours)).values(transmitted_at=None))
        uow.session.execute(delete(OutboxMessage).where(OutboxMessage.kind == "compte_rendu"))
        uow.commit()
    later = NOW + timedelta(minutes=5)
    assert floor_end_of_day(db.engine, BENCH_TODAY, later) == 41
    assert _transmitted(db, later) == ours
    floor_mail = _outbox(db)
    assert [m[:5] for m in floor_mail] == [m[:5] for m in ours_mail]  # same families, subjects and bodies
    assert {m[5] for m in floor_mail} == {later}
    assert _last_audit(db) == ours_audit
    assert floor_end_of_day(db.engine, BENCH_TODAY, later) == 0  # nothing left: nothing written
    assert transmit_day(db, BENCH_TODAY).already_done
    assert floor_end_of_day(db.engine, date(2026, 5, 1), later) == 0
