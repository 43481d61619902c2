"""Places and waitlist of an activity day (DESIGN.md §2.4).

Invariant: accepted reservations ≤ capacity. Waitlist positions of a day are kept contiguous (1..n) in request
order, unless a supervisor reorders them; the rank shown is the position. Functions taking a Session run inside
the caller's transaction, with the day's row already locked by the caller.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...models import Activity, ActivityDay, Child, Family, LedgerKind, Reservation, ReservationStatus
from .. import audit
from ..actors import Actor
from ..end_of_day.outbox import queue_email
from ..errors import InvalidCapacity, OverrideReasonRequired, UnknownEntity, ValidationError
from ..money import ledger
from ..money.amounts import format_eur
from ..money.pricing import day_price
from ..uow import Database, with_retry
from .rules import long_date


def lock_days(session: Session, day_ids: list[int]) -> dict[int, ActivityDay]:
    """Lock the days' rows in a fixed order (PostgreSQL: FOR UPDATE; SQLite holds the write lock already)."""
    rows = session.scalars(
        select(ActivityDay)
        .where(ActivityDay.id.in_(sorted(set(day_ids))))
        .order_by(ActivityDay.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    return {d.id: d for d in rows}


def accepted_count(session: Session, day_id: int) -> int:
    return session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(Reservation.activity_day_id == day_id, Reservation.status == ReservationStatus.ACCEPTED)
    )


def _counts(session: Session, day_ids: list[int], status: ReservationStatus) -> dict[int, int]:
    """Reservations in ``status`` per day, in one grouped query (0 for the days without any)."""
    if not day_ids:
        return {}
    rows = session.execute(
        select(Reservation.activity_day_id, func.count())
        .where(Reservation.activity_day_id.in_(day_ids), Reservation.status == status)
        .group_by(Reservation.activity_day_id)
    ).all()
    counts = dict.fromkeys(day_ids, 0)
    counts.update(dict(rows))
    return counts


def accepted_counts(session: Session, day_ids: list[int]) -> dict[int, int]:
    return _counts(session, day_ids, ReservationStatus.ACCEPTED)


def waitlist_lengths(session: Session, day_ids: list[int]) -> dict[int, int]:
    return _counts(session, day_ids, ReservationStatus.WAITLISTED)


def change_capacity(
    session: Session, day: ActivityDay, capacity: int, now: datetime, actor: Actor, reason: str, action: str
) -> None:
    """Set a day's capacity, audited with its reason (the caller checks the invariant and promotes)."""
    before = day.capacity
    day.capacity = capacity
    audit.record(session, at=now, action=action, entity="activity_day", entity_id=day.id, agent_id=actor.agent_id,
                 structure_id=day.activity.structure_id, before={"capacity": before}, after={"capacity": capacity},
                 reason=reason)  # fmt: skip


def waitlist(session: Session, day_id: int) -> list[Reservation]:
    return list(
        session.scalars(
            select(Reservation)
            .where(Reservation.activity_day_id == day_id, Reservation.status == ReservationStatus.WAITLISTED)
            .order_by(Reservation.waitlist_position, Reservation.requested_at, Reservation.id)
        )
    )


def renumber(session: Session, day_id: int) -> None:
    """Make the day's waitlist positions 1..n again, keeping their order."""
    for position, res in enumerate(waitlist(session, day_id), start=1):
        if res.waitlist_position != position:
            res.waitlist_position = position
    session.flush()


def waitlist_tails(session: Session, day_ids: list[int]) -> dict[int, int]:
    """The last waitlist position of each day (0 when empty), in one query."""
    if not day_ids:
        return {}
    rows = session.execute(
        select(Reservation.activity_day_id, func.max(Reservation.waitlist_position))
        .where(Reservation.activity_day_id.in_(day_ids), Reservation.status == ReservationStatus.WAITLISTED)
        .group_by(Reservation.activity_day_id)
    ).all()
    tails = dict.fromkeys(day_ids, 0)
    tails.update({day_id: top or 0 for day_id, top in rows})
    return tails


def charge_reservation(
    session: Session,
    res: Reservation,
    family: Family,
    activity: Activity,
    day: ActivityDay,
    now: datetime,
    actor: Actor,
    batch: ledger.LedgerBatch | None = None,
) -> None:
    """Post the charge of an accepted reservation (its price after aids) and remember the price."""
    price = day_price(activity, day.day, family.quotient_familial, family.aids).cents
    res.price_cents = price
    if not price:
        return
    label = f"{activity.name} – {res.child.first_name} – {day.day:%d/%m/%Y}"
    if batch is not None:
        wallet = batch.wallet(family.id, activity.wallet_kind)
        batch.add(wallet, kind=LedgerKind.CHARGE, amount_cents=-price, label=label, at=now,
                  structure_id=activity.structure_id, agent_id=actor.agent_id, reservation=res)  # fmt: skip
        return
    wallet = ledger.wallet_for(session, family.id, activity.wallet_kind)
    ledger.post(session, wallet, kind=LedgerKind.CHARGE, amount_cents=-price, label=label, at=now,
                structure_id=activity.structure_id, agent_id=actor.agent_id, reservation_id=res.id)  # fmt: skip


def fill_places(session: Session, day: ActivityDay, now: datetime, actor: Actor) -> list[Reservation]:
    """Promote the oldest waitlisted requests while the day has free places; charge and notify each."""
    promoted: list[Reservation] = []
    free = day.capacity - accepted_count(session, day.id)
    if free <= 0:
        return promoted
    activity = day.activity
    for res in waitlist(session, day.id)[:free]:
        child: Child = res.child
        family: Family = child.family
        res.status = ReservationStatus.ACCEPTED
        res.waitlist_position = None
        res.decided_at = now
        session.flush()
        charge_reservation(session, res, family, activity, day, now, actor)
        audit.record(
            session,
            at=now,
            action="reservation.promote",
            entity="reservation",
            entity_id=res.id,
            agent_id=actor.agent_id,
            structure_id=activity.structure_id,
            family_id=family.id,
            before={"status": "waitlisted"},
            after={"status": "accepted", "price_cents": res.price_cents},
        )
        queue_email(
            session,
            kind="waitlist_promotion",
            dedup_key=f"promotion:{res.id}",
            family=family,
            subject=f"Une place s'est libérée – {activity.name} le {day.day:%d/%m/%Y}",
            body=(
                f"Bonjour,\n\nUne place s'est libérée : la demande en liste d'attente de {child.first_name} "
                f"pour « {activity.name} » le {long_date(day.day)} est acceptée.\n"
                f"Montant débité : {format_eur(res.price_cents or 0)}.\n\n"
                "Si cette place ne vous intéresse plus, pensez à l'annuler au plus tôt.\n\n"
                f"Le service enfance-jeunesse – {activity.structure.name}"
            ),
            now=now,
        )
        promoted.append(res)
    renumber(session, day.id)
    return promoted


# --- supervisor operations ------------------------------------------------------------------------


def set_capacity(db: Database, actor: Actor, day_id: int, capacity: int, reason: str) -> list[int]:
    """Change a day's capacity (supervisor); raising it promotes from the waitlist. Returns promoted ids."""
    actor.require_supervisor("modifier la capacité d'une journée")
    if capacity < 0:
        raise InvalidCapacity("La capacité d'une journée ne peut pas être négative.")
    if not (reason or "").strip():
        raise OverrideReasonRequired()

    def work() -> list[int]:
        with db.writing() as uow:
            s = uow.session
            now = db.clock.now()
            day = lock_days(s, [day_id]).get(day_id)
            if day is None:
                raise UnknownEntity(f"Journée inconnue (n° {day_id}).")
            taken = accepted_count(s, day.id)
            if capacity < taken:
                raise InvalidCapacity(
                    f"Capacité {capacity} impossible : {taken} places sont déjà acceptées le "
                    f"{long_date(day.day)}."
                )
            change_capacity(s, day, capacity, now, actor, reason.strip(), "activity_day.capacity")
            promoted = [r.id for r in fill_places(s, day, now, actor)]
            uow.commit()
            return promoted

    return with_retry(work)


def reorder(db: Database, actor: Actor, day_id: int, reservation_ids: list[int], reason: str) -> None:
    """Set a day's waitlist order (supervisor, audited): ``reservation_ids`` lists every waitlisted request."""
    actor.require_supervisor("réordonner une liste d'attente")
    if not (reason or "").strip():
        raise OverrideReasonRequired()

    def work() -> None:
        with db.writing() as uow:
            s = uow.session
            day = lock_days(s, [day_id]).get(day_id)
            if day is None:
                raise UnknownEntity(f"Journée inconnue (n° {day_id}).")
            current = waitlist(s, day_id)
            if sorted(r.id for r in current) != sorted(reservation_ids) or len(set(reservation_ids)) != len(
                reservation_ids
            ):
                raise ValidationError(
                    "La nouvelle liste d'attente doit reprendre exactement les demandes en attente."
                )
            by_id = {r.id: r for r in current}
            before = [r.id for r in current]
            for position, rid in enumerate(reservation_ids, start=1):
                by_id[rid].waitlist_position = position
            audit.record(
                s,
                at=db.clock.now(),
                action="waitlist.reorder",
                entity="activity_day",
                entity_id=day_id,
                agent_id=actor.agent_id,
                structure_id=day.activity.structure_id,
                before={"order": before},
                after={"order": list(reservation_ids)},
                reason=reason.strip(),
            )
            uow.commit()

    with_retry(work)


def rank_of(session: Session, res: Reservation) -> int | None:
    """The rank shown for a waitlisted request (1 = next to get a place)."""
    if res.status is not ReservationStatus.WAITLISTED:
        return None
    ahead = session.scalar(
        select(func.count())
        .select_from(Reservation)
        .where(
            Reservation.activity_day_id == res.activity_day_id,
            Reservation.status == ReservationStatus.WAITLISTED,
            Reservation.waitlist_position < res.waitlist_position,
        )
    )
    return ahead + 1
