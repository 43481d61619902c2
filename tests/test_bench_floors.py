"""The confirmation's and the recap's floors do the work they claim: the rows they read and write are those of a
correct confirmation (the timings themselves live in ``python -m bench``)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.models import Child, LedgerEntry, Reservation, ReservationStatus, Wallet
from app.services.actors import system_actor
from app.services.booking.basket import Action, Basket
from app.services.booking.validation import confirm, recap
from app.services.booking.waitlist import accepted_counts, waitlist_lengths
from app.services.invariants import violations
from app.services.uow import Database, new_operation_key
from bench.floor import FloorRefused, floor_confirm, floor_recap
from bench.measure import _fresh_family, _future_days


@pytest.fixture
def city(small_city):
    return small_city


def _live(db: Database, child_id: int) -> dict[int, str]:
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Reservation.activity_day_id, Reservation.status).where(
                Reservation.child_id == child_id, Reservation.status.in_(["accepted", "waitlisted"])
            )
        ).all()
        return {day_id: status.value for day_id, status in rows}


def _family_balance(db: Database, family_id: int) -> int:
    with db.reading() as uow:
        return uow.session.scalar(select(func.sum(Wallet.balance_cents)).where(Wallet.family_id == family_id))


@pytest.mark.parametrize("seed", [3, 4, 5, 6])
def test_the_confirm_floor_reads_counts_and_writes_like_a_confirmation(city, seed):
    db, loaded = city
    import random

    rng = random.Random(seed)
    with db.reading() as uow:
        actor = system_actor(uow.session)
        children = list(uow.session.scalars(select(Child.id)))
    family_id, child = _fresh_family(db, rng, children)
    days = [d for d in _future_days(db, loaded.alsh_summer_id, 40) if d.id not in _live(db, child)][:6]
    first = Basket(family_id)
    for d in days[:2]:
        first.toggle(child, loaded.alsh_summer_id, d.day, Action.ADD)
    done = confirm(db, actor, first, key=new_operation_key())
    assert {o.status.value for o in done.outcomes} <= {"accepted", "waitlisted"}, done.outcomes
    with db.reading() as uow:
        taken_before = accepted_counts(uow.session, [d.id for d in days])
        entries_before = uow.session.scalar(select(func.count()).select_from(LedgerEntry))
    balance_before = _family_balance(db, family_id)

    basket = Basket(family_id)
    basket.toggle(child, loaded.alsh_summer_id, days[0].day, Action.REMOVE)  # refunded when it was accepted
    basket.toggle(child, loaded.alsh_summer_id, days[1].day, Action.ADD)  # already booked: refused
    for d in days[2:]:
        basket.toggle(child, loaded.alsh_summer_id, d.day, Action.ADD)
    with db.reading() as uow:
        waiting_on_cancelled = uow.session.scalar(
            select(func.count())
            .select_from(Reservation)
            .where(
                Reservation.activity_day_id == days[0].id, Reservation.status == ReservationStatus.WAITLISTED
            )
        )
    was_accepted = _live(db, child)[days[0].id] == "accepted"
    promoted = int(
        was_accepted and waiting_on_cancelled > 0
    )  # its place goes to the waitlist's first, charged
    print(f"cancelled day was accepted: {was_accepted}, waiting behind it: {waiting_on_cancelled}")
    outcomes = dict(floor_confirm(db, basket, child, loaded.alsh_summer_id, waitlist=True))

    assert outcomes[str(days[0].day)] == "cancelled"
    assert outcomes[str(days[1].day)] == "refused"
    live = _live(db, child)
    assert days[0].id not in live and live[days[1].id] in {"accepted", "waitlisted"}
    charged, seen_full = 0, False
    for d in days[2:]:  # accepted while places remained, else waitlisted with the next rank
        expected = "accepted" if taken_before[d.id] < d.capacity else "waitlisted"
        seen_full |= expected == "waitlisted"
        assert outcomes[str(d.day)] == expected == live[d.id]
        charged += 1300 if expected == "accepted" else 0
    assert charged and seen_full  # both outcomes were exercised
    with db.reading() as uow:
        refunded = uow.session.scalar(
            select(Reservation.price_cents).where(
                Reservation.child_id == child, Reservation.activity_day_id == days[0].id
            )
        )
        entries_after = uow.session.scalar(select(func.count()).select_from(LedgerEntry))
    assert _family_balance(db, family_id) == balance_before + (refunded or 0) - charged
    # one refund when the cancelled day was paid, one charge per accepted day
    assert entries_after - entries_before == bool(refunded) + charged // 1300 + promoted
    with db.reading() as uow:  # waitlists contiguous, freed places given to the waitlist, balances = ledgers
        assert violations(uow.session) == []


def test_the_confirm_floor_refuses_a_basket_the_balance_does_not_cover(city):
    db, loaded = city
    with db.reading() as uow:
        child = uow.session.scalars(select(Child).order_by(Child.id)).first()
        family_id, child_id = child.family_id, child.id
    with db.writing() as uow:  # an empty account
        for wallet in uow.session.scalars(select(Wallet).where(Wallet.family_id == family_id)):
            wallet.balance_cents = 0
        uow.commit()
    days = [d for d in _future_days(db, loaded.alsh_summer_id, 40) if d.id not in _live(db, child_id)][:3]
    basket = Basket(family_id)
    for d in days:
        basket.toggle(child_id, loaded.alsh_summer_id, d.day, Action.ADD)
    before = _live(db, child_id)
    with pytest.raises(FloorRefused):
        floor_confirm(db, basket, child_id, loaded.alsh_summer_id)
    assert _live(db, child_id) == before


def test_the_recap_floor_reads_what_the_recap_shows(city):
    db, loaded = city
    import random

    rng = random.Random(5)
    with db.reading() as uow:
        actor = system_actor(uow.session)
        children = list(uow.session.scalars(select(Child.id)))
    family_id, child = _fresh_family(db, rng, children)
    days = _future_days(db, loaded.alsh_summer_id, 12)
    live = _live(db, child)
    basket = Basket(family_id)
    for d in days:
        basket.toggle(child, loaded.alsh_summer_id, d.day, Action.REMOVE if d.id in live else Action.ADD)
    rows = floor_recap(db.engine, family_id, child, loaded.alsh_summer_id, [d.day for d in days])
    shown = recap(db, actor, basket)
    with db.reading() as uow:
        taken = accepted_counts(uow.session, [d.id for d in days])
        queued = waitlist_lengths(uow.session, [d.id for d in days])
    assert [r[0] for r in rows] == [d.id for d in days]
    for (_day_id, _, capacity, closed, accepted, waiting, status, balance), d in zip(rows, days, strict=True):
        assert (capacity, bool(closed), accepted, waiting) == (
            d.capacity,
            d.closed,
            taken[d.id],
            queued[d.id],
        )
        assert status == live.get(d.id)
        assert balance == shown.balance_cents == _family_balance(db, family_id)
    first = (shown.additions + shown.removals)[0]
    first_row = next(r for r in rows if str(r[1]) == str(first.line.day))
    assert first.places_left == first_row[2] - first_row[4]  # places left, as the recap shows them
    assert {ln.line.day for ln in shown.removals} == {d.day for d in days if d.id in live}


def test_the_confirm_floor_gives_a_freed_place_to_the_first_of_the_waitlist(city):
    db, loaded = city
    days = _future_days(db, loaded.alsh_summer_id, 40)
    with db.reading() as uow:
        s = uow.session
        queued = waitlist_lengths(s, [d.id for d in days])
        day = next(d for d in days if queued[d.id] >= 1)
        leaving = s.scalars(
            select(Reservation).where(
                Reservation.activity_day_id == day.id, Reservation.status == ReservationStatus.ACCEPTED
            )
        ).first()
        first = s.scalars(
            select(Reservation).where(
                Reservation.activity_day_id == day.id, Reservation.waitlist_position == 1
            )
        ).one()
        child_id, family_id, first_id = leaving.child_id, leaving.child.family_id, first.id
    basket = Basket(family_id)
    basket.toggle(child_id, loaded.alsh_summer_id, day.day, Action.REMOVE)
    assert floor_confirm(db, basket, child_id, loaded.alsh_summer_id, waitlist=True) == [
        (str(day.day), "cancelled")
    ]
    with db.reading() as uow:
        s = uow.session
        promoted = s.get(Reservation, first_id)
        assert promoted.status is ReservationStatus.ACCEPTED and promoted.price_cents == 1300
        assert waitlist_lengths(s, [day.id])[day.id] == queued[day.id] - 1
        assert violations(s) == []
