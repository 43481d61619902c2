"""Attendance and medical certificates (DESIGN.md §2.3): an absence is billed unless a certificate is
recorded within 48 hours after the absent day, which refunds the charge."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from babel.dates import format_datetime
from sqlalchemy import select

from ...clock import PARIS
from ...models import (
    ActivityDay,
    Attendance,
    Child,
    Family,
    LedgerKind,
    Reservation,
    ReservationStatus,
    search_key,
)
from .. import audit
from ..actors import Actor
from ..errors import CertificateRefused, UnknownEntity, ValidationError
from ..money import ledger
from ..uow import Database, with_retry
from .rules import certificate_limit


def _reservation(s, reservation_id: int) -> Reservation:
    res = s.get(Reservation, reservation_id, with_for_update=True)
    if res is None:
        raise UnknownEntity(f"Réservation inconnue (n° {reservation_id}).")
    return res


def record_attendance(db: Database, actor: Actor, reservation_id: int, attendance: Attendance) -> None:
    """Present or absent, for an accepted reservation whose day has come."""

    def work() -> None:
        with db.writing() as uow:
            s = uow.session
            now = db.clock.now()
            res = _reservation(s, reservation_id)
            if res.status is not ReservationStatus.ACCEPTED:
                raise ValidationError("Seule une réservation acceptée peut être pointée présente ou absente.")
            if res.activity_day.day > now.astimezone(PARIS).date():
                raise ValidationError("La présence se pointe le jour même ou après.")
            if res.certificate_at is not None and attendance is Attendance.PRESENT:
                raise ValidationError("Un certificat médical est enregistré pour cette absence.")
            before = res.attendance
            res.attendance = attendance
            audit.record(
                s,
                at=now,
                action="reservation.attendance",
                entity="reservation",
                entity_id=res.id,
                agent_id=actor.agent_id,
                structure_id=res.activity_day.activity.structure_id,
                family_id=res.child.family_id,
                before={"attendance": before},
                after={"attendance": attendance},
            )
            uow.commit()

    with_retry(work)


def record_certificate(db: Database, actor: Actor, reservation_id: int) -> int:
    """Record a medical certificate for an absence, refunding the day. Returns the refunded cents."""

    def work() -> int:
        with db.writing() as uow:
            s = uow.session
            now = db.clock.now()
            res = _reservation(s, reservation_id)
            if res.status is not ReservationStatus.ACCEPTED or res.attendance is not Attendance.ABSENT:
                raise CertificateRefused(
                    "Un certificat médical ne s'enregistre que pour une absence pointée."
                )
            if res.certificate_at is not None:
                raise CertificateRefused("Un certificat médical est déjà enregistré pour cette absence.")
            limit = certificate_limit(res.activity_day.day)
            if now >= limit:
                last = format_datetime(limit.astimezone(PARIS), "EEEE d MMMM y 'à' HH:mm", locale="fr_FR")
                raise CertificateRefused(
                    f"Certificat hors délai : il devait être présenté dans les 48 heures (avant le {last})."
                )
            res.certificate_at = now
            refund = res.price_cents or 0
            activity = res.activity_day.activity
            if refund:
                ledger.post(
                    s,
                    ledger.wallet_for(s, res.child.family_id, activity.wallet_kind),
                    kind=LedgerKind.REFUND,
                    amount_cents=refund,
                    label=f"Certificat médical – {activity.name} – {res.child.first_name} – "
                    f"{res.activity_day.day:%d/%m/%Y}",
                    at=now,
                    structure_id=activity.structure_id,
                    agent_id=actor.agent_id,
                    reservation_id=res.id,
                )
            audit.record(
                s,
                at=now,
                action="reservation.certificate",
                entity="reservation",
                entity_id=res.id,
                agent_id=actor.agent_id,
                structure_id=activity.structure_id,
                family_id=res.child.family_id,
                after={"certificate_at": now, "refund_cents": refund},
            )
            uow.commit()
            return refund

    return with_retry(work)


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
        return {Attendance.PRESENT: "Présent", Attendance.ABSENT: "Absent (facturé)"}.get(
            self.attendance, "—"
        )


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
            )  # fmt: skip
            for res, c, fam in rows
        ]
        return sorted(result, key=lambda r: search_key(r.child))
