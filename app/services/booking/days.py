"""A supervisor's decisions on an activity day: its capacity (raising it promotes from the waitlist), the order
of its waitlist, closing it (the families are cancelled, refunded and e-mailed). Each locks the day first and
leaves the status changes to ``lifecycle``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...clock import PARIS
from ...models import ActivityDay, Family
from ...text import collation_key, long_date, short_date
from ..actors import Actor
from ..bounds import Capacity, DayReason, OperationKey, Reason, checked
from ..errors import InvalidCapacity, ReasonRequired, UnknownEntity, ValidationError
from ..permissions import rule
from ..uow import Database, Operation, Shown
from . import lifecycle
from .lifecycle import ClosedDay
from .waitlist import accepted_count, change_capacity, lock_days

__all__ = ["ClosedDay", "close_day", "reorder", "set_capacity"]


def _locked_day(s: Session, day_id: int) -> ActivityDay:
    day = lock_days(s, [day_id]).get(day_id)
    if day is None:
        raise UnknownEntity(f"Journée inconnue (n° {day_id}).")
    return day


@checked
def set_capacity(
    db: Database,
    actor: Actor,
    day_id: int,
    capacity: Capacity,
    reason: Reason,
    *,
    key: OperationKey,
) -> list[int]:
    """Change a day's capacity (supervisor); raising it promotes from the waitlist. Returns promoted ids."""
    if capacity < 0:
        raise InvalidCapacity("La capacité d'une journée ne peut pas être négative.")
    if not (reason or "").strip():
        raise ReasonRequired("du changement de capacité")

    def work(s: Session) -> list[int]:
        now = db.clock.now()
        day = _locked_day(s, day_id)
        taken = accepted_count(s, day.id)
        if capacity < taken:
            raise InvalidCapacity(
                f"Capacité {capacity} impossible : {taken} places sont déjà acceptées le {long_date(day.day)}."
            )
        change_capacity(s, day, capacity, now, actor, reason.strip(), "activity_day.capacity")
        return lifecycle.promote(s, day, now, actor)

    operation = Operation(key, "day.capacity", list[int])
    return db.write(
        work,
        operation=operation,
        actor=actor,
        rule=rule("booking.days.set_capacity"),
        changed=(Shown.PLACES, Shown.ACCOUNTS),
    )


@checked
def reorder(db: Database, actor: Actor, day_id: int, reservation_ids: Sequence[int], reason: Reason) -> None:
    """Set a day's waitlist order (supervisor, audited): ``reservation_ids`` lists every waitlisted request."""
    if not (reason or "").strip():
        raise ReasonRequired("du nouvel ordre de la liste d'attente")

    def work(s: Session) -> None:
        lifecycle.reorder(
            s, _locked_day(s, day_id), list(reservation_ids), db.clock.now(), actor, reason.strip()
        )

    db.write(work, actor=actor, rule=rule("booking.days.reorder"), changed=(Shown.PLACES,))


@checked
def close_day(db: Database, actor: Actor, day_id: int, reason: DayReason, *, key: OperationKey) -> ClosedDay:
    """Close an activity day (supervisor): every live request is cancelled, charges refunded, families e-mailed.

    The day's row is locked first: a confirmation waiting for it then reads the day closed and is refused."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError("Le motif de fermeture est obligatoire (il est envoyé aux familles).")

    def work(s: Session) -> ClosedDay:
        now = db.clock.now()
        day = _locked_day(s, day_id)
        if day.day < now.astimezone(PARIS).date():
            raise ValidationError(
                f"La journée du {short_date(day.day)} est passée : elle ne peut plus être fermée."
            )
        if day.closed:
            raise ValidationError(
                f"La journée du {short_date(day.day)} est déjà fermée ({day.closed_reason or 'sans motif'})."
            )
        return lifecycle.close_day(s, day, reason, now, actor)

    operation = Operation(key, "day.close", ClosedDay)
    closed = db.write(
        work,
        operation=operation,
        actor=actor,
        rule=rule("booking.days.close_day"),
        changed=(Shown.PLACES, Shown.ACCOUNTS),
    )
    with (
        db.reading() as uow
    ):  # the names now (never stored with the outcome: an anonymisation must erase them)
        names = uow.session.scalars(select(Family.name).where(Family.id.in_(closed.family_ids)))
        return replace(closed, families=sorted(names, key=collation_key))
