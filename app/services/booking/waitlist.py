"""Places and waitlist of activity days: locking days, counting places, reading queues.

Invariant: accepted reservations ≤ capacity. Waitlist positions of a day are kept contiguous (1..n) in request
order, unless a supervisor reorders them; the rank shown is the position. Status and position changes are made
by ``lifecycle`` only; these functions read (and lock) inside the caller's transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from ...models import ActivityDay, Reservation, ReservationStatus
from .. import audit
from ..actors import Actor

_LOCK_DAYS = (
    select(ActivityDay)
    .where(ActivityDay.id.in_(bindparam("ids", expanding=True)))
    .order_by(ActivityDay.id)
    .with_for_update()
    .execution_options(populate_existing=True)
)
"""Built once (a confirmation's statements are many: building each again costs more than running it)."""


def lock_days(session: Session, day_ids: list[int]) -> dict[int, ActivityDay]:
    """Lock the days' rows in a fixed order (PostgreSQL: FOR UPDATE; SQLite holds the write lock already)."""
    rows = session.scalars(_LOCK_DAYS, {"ids": sorted(set(day_ids))})
    return {d.id: d for d in rows}


def accepted_count(session: Session, day_id: int) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(Reservation)
            .where(Reservation.activity_day_id == day_id, Reservation.status == ReservationStatus.ACCEPTED)
        )
        or 0
    )


_COUNTS = (
    select(Reservation.activity_day_id, func.count())
    .where(
        Reservation.activity_day_id.in_(bindparam("days", expanding=True)),
        Reservation.status == bindparam("status"),
    )
    .group_by(Reservation.activity_day_id)
)


def _counts(session: Session, day_ids: list[int], status: ReservationStatus) -> dict[int, int]:
    """Reservations in ``status`` per day, in one grouped query (0 for the days without any)."""
    if not day_ids:
        return {}
    counts = dict.fromkeys(day_ids, 0)
    counts.update({day_id: n for day_id, n in session.execute(_COUNTS, {"days": day_ids, "status": status})})
    return counts


def accepted_counts(session: Session, day_ids: list[int]) -> dict[int, int]:
    return _counts(session, day_ids, ReservationStatus.ACCEPTED)


def waitlist_lengths(session: Session, day_ids: list[int]) -> dict[int, int]:
    return _counts(session, day_ids, ReservationStatus.WAITLISTED)


def change_capacity(
    session: Session,
    day: ActivityDay,
    capacity: int,
    now: datetime,
    actor: Actor,
    reason: str,
    action: str,
    trail: list[dict[str, Any]] | None = None,
) -> None:
    """Set a day's capacity, audited with its reason (the caller checks the invariant and promotes); the audit row
    goes to ``trail`` when given (a lifecycle's plan writes its rows together)."""
    before = day.capacity
    day.capacity = capacity
    row = audit.row(
        session,
        at=now,
        action=action,
        entity="activity_day",
        entity_id=day.id,
        agent_id=actor.agent_id,
        structure_id=day.activity.structure_id,
        before={"capacity": before},
        after={"capacity": capacity},
        reason=reason,
    )
    if trail is None:
        audit.insert_rows(session, [row])
    else:
        trail.append(row)


def waitlist(session: Session, day_id: int) -> list[Reservation]:
    return list(
        session.scalars(
            select(Reservation)
            .where(Reservation.activity_day_id == day_id, Reservation.status == ReservationStatus.WAITLISTED)
            .order_by(Reservation.waitlist_position, Reservation.requested_at, Reservation.id)
        )
    )


_QUEUES = (
    select(Reservation.activity_day_id, Reservation.id, Reservation.waitlist_position)
    .where(
        Reservation.activity_day_id.in_(bindparam("days", expanding=True)),
        Reservation.status == ReservationStatus.WAITLISTED,
    )
    .order_by(
        Reservation.activity_day_id, Reservation.waitlist_position, Reservation.requested_at, Reservation.id
    )
)


def waitlist_queues(session: Session, day_ids: list[int]) -> dict[int, tuple[tuple[int, ...], int]]:
    """Each day's waitlisted requests' ids, the next to get a place first, and its last position (0 when empty), in
    one query: what ``decide.Slot`` needs."""
    queues: dict[int, tuple[list[int], int]] = {day_id: ([], 0) for day_id in day_ids}
    if day_ids:
        for day_id, rid, position in session.execute(_QUEUES, {"days": day_ids}):
            ids, _tail = queues[day_id]
            ids.append(rid)
            queues[day_id] = (ids, max(_tail, position or 0))
    return {day_id: (tuple(ids), tail) for day_id, (ids, tail) in queues.items()}
