"""Attendance and medical certificates: an absence is billed unless a certificate is recorded within 48 hours
after the absent day, which refunds the charge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import (
    ActivityDay,
    Attendance,
    Child,
    Family,
    Reservation,
    ReservationStatus,
)
from ...text import collation_key
from ..actors import Actor
from ..bounds import OperationKey, checked
from ..errors import UnknownEntity
from ..permissions import rule
from ..uow import Database, Operation, Shown
from . import lifecycle
from .waitlist import lock_days


def _reservation(s: Session, reservation_id: int) -> Reservation:
    """The reservation, its day locked first (as every status change does), then itself."""
    day_id = s.scalar(select(Reservation.activity_day_id).where(Reservation.id == reservation_id))
    if day_id is None:
        raise UnknownEntity(f"Réservation inconnue (n° {reservation_id}).")
    lock_days(s, [day_id])
    res = s.get(Reservation, reservation_id, with_for_update=True, populate_existing=True)
    assert res is not None
    return res


@checked
def record_attendance(db: Database, actor: Actor, reservation_id: int, attendance: Attendance) -> None:
    """Present or absent (billed unless a certificate comes), for an accepted reservation whose day has come."""
    attendance = Attendance(attendance)
    db.write(
        lambda s: lifecycle.record_attendance(
            s, _reservation(s, reservation_id), attendance, db.clock.now(), actor
        ),
        actor=actor,
        rule=rule("booking.attendance.record_attendance"),
        changed=(Shown.PLACES,),
    )


@checked
def record_certificate(db: Database, actor: Actor, reservation_id: int, *, key: OperationKey) -> int:
    """Record a medical certificate for an absence, refunding the day. Returns the refunded cents."""
    operation = Operation(key, "reservation.certificate", int)
    return db.write(
        lambda s: lifecycle.record_certificate(s, _reservation(s, reservation_id), db.clock.now(), actor),
        operation=operation,
        actor=actor,
        rule=rule("booking.attendance.record_certificate"),
        changed=(Shown.PLACES, Shown.ACCOUNTS),
    )


@dataclass(frozen=True)
class AttendanceRow:
    reservation_id: int
    child: str
    family: str
    attendance: Attendance | None
    certificate: bool

    @property
    def label(self) -> str:
        if self.certificate:
            return "Absent (certificat médical)"
        labels: dict[Attendance | None, str] = {
            Attendance.PRESENT: "Présent",
            Attendance.ABSENT: "Absent (facturé)",
        }
        return labels.get(self.attendance, "—")


@checked
def day_attendance(db: Database, activity_id: int, day: date) -> list[AttendanceRow]:
    """The accepted children of an activity day, with what has been recorded for them."""
    with db.reading() as uow:
        rows = uow.session.execute(
            select(Reservation, Child, Family.name)
            .join(Reservation.child)
            .join(Child.family)
            .join(Reservation.activity_day)
            .where(
                ActivityDay.activity_id == activity_id,
                ActivityDay.day == day,
                Reservation.status == ReservationStatus.ACCEPTED,
            )
        ).all()
        result = [
            AttendanceRow(
                res.id,
                f"{c.last_name.upper()} {c.first_name}",
                fam,
                res.attendance,
                res.certificate_at is not None,
            )
            for res, c, fam in rows
        ]
        return sorted(result, key=lambda r: collation_key(r.child))
