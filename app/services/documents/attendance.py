"""The attendance list of one activity day, for the animators: accepted children, a presence column, the waitlist."""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Paragraph, Spacer
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...models import Activity, ActivityDay, Attendance, Child, Family, Reservation, ReservationStatus
from ...text import collation_key, count, long_date, short_date
from ..bounds import PersonName, checked
from ..errors import UnknownEntity
from ..uow import Database
from .toolkit import CONTENT_WIDTH, Letterhead, PlainTable, esc, render, styles

WIDTHS = (0.05, 0.25, 0.08, 0.08, 0.16, 0.27, 0.11)
COLUMNS = [w * CONTENT_WIDTH for w in WIDTHS]
WAITLIST = [w * CONTENT_WIDTH for w in (0.08, 0.42, 0.2, 0.3)]


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


class Line(NamedTuple):
    """A child on the list (accepted: ``rank`` None; waitlisted: its rank on the waitlist)."""

    rank: int | None
    last_name: str
    first_name: str
    school_level: str
    birth_date: date
    phone: str
    notes: str
    attendance: str = ""
    """What was recorded for a day gone (« présent », « absent », « absent (certificat) »); "" otherwise."""

    @property
    def name(self) -> str:
        return f"{self.last_name.upper()} {self.first_name}"


def children(s: Session, activity_day_id: int) -> tuple[list[Line], list[Line]]:
    """The accepted children (by name, accents ignored) and the waitlist (by rank) of a day, in one query."""
    rows = s.execute(
        select(
            Reservation.status,
            Reservation.waitlist_position,
            Child.last_name,
            Child.first_name,
            Child.school_level,
            Child.birth_date,
            Family.phone,
            Child.notes,
            Reservation.attendance,
            Reservation.certificate_at.is_not(None),
        )
        .join(Reservation.child)
        .join(Child.family)
        .where(
            Reservation.activity_day_id == activity_day_id,
            Reservation.status.in_([ReservationStatus.ACCEPTED, ReservationStatus.WAITLISTED]),
        )
    )
    accepted: list[Line] = []
    waiting: list[Line] = []
    for status, position, last, first, level, born, phone, notes, attendance, certified in rows:
        if status is ReservationStatus.ACCEPTED:
            seen = (
                ("absent (certificat)" if certified else "absent")
                if attendance is Attendance.ABSENT
                else ("présent" if attendance is Attendance.PRESENT else "")
            )
            accepted.append(Line(None, last, first, level or "", born, phone or "", notes or "", seen))
        else:  # a waitlisted reservation has a position (CHECK constraint)
            waiting.append(Line(position or 0, last, first, level or "", born, phone or "", notes or ""))
    accepted.sort(key=lambda c: (collation_key(c.last_name, c.first_name), c.last_name, c.first_name))
    waiting.sort(key=lambda c: c.rank or 0)
    return accepted, waiting


@checked
def attendance_pdf(db: Database, activity_id: int, day: date, printed_by: PersonName = "") -> bytes:
    with db.reading() as uow:
        s = uow.session
        activity = s.get(Activity, activity_id)
        if activity is None:
            raise UnknownEntity(f"Activité inconnue (n° {activity_id}).")
        found = s.execute(
            select(ActivityDay.id, ActivityDay.capacity).where(
                ActivityDay.activity_id == activity_id, ActivityDay.day == day
            )
        ).one_or_none()
        if found is None:
            raise UnknownEntity(f"« {activity.name} » n'a pas de journée le {short_date(day)}.")
        day_id, capacity = found
        accepted, waiting = children(s, day_id)
        name, letterhead = activity.name, Letterhead.of(activity.structure)
    st = styles()
    heading = f"Liste de présence – {name}"
    when = long_date(day)
    story: list[Flowable] = [
        Paragraph(esc(heading), st["title"]),
        Paragraph(
            esc(
                f"{when.capitalize()} · {count(len(accepted), 'enfant')} pour "
                f"{count(capacity, 'place')}" + (f" · {len(waiting)} en liste d'attente" if waiting else "")
            ),
            st["normal"],
        ),
        Spacer(1, 4 * mm),
    ]
    lines = [
        (str(i), c.name, c.school_level, count(_age(c.birth_date, day), "an"), c.phone, c.notes, c.attendance)
        for i, c in enumerate(accepted, start=1)
    ]
    if lines:
        header = ("N°", "Enfant", "Niveau", "Âge", "Téléphone", "Remarques", "Présent")
        story.append(PlainTable(header, lines, COLUMNS, box=6))
    else:
        story.append(Paragraph(esc("Aucun enfant inscrit ce jour-là."), st["normal"]))
    if waiting:
        ranks = [(str(c.rank), c.name, c.school_level, c.phone) for c in waiting]
        story += [
            Paragraph(esc("Liste d'attente"), st["h2"]),
            PlainTable(("Rang", "Enfant", "Niveau", "Téléphone"), ranks, WAITLIST),
        ]
    return render(
        story,
        title=f"{heading} – {short_date(day)}",
        letterhead=letterhead,
        printed_at=db.clock.now(),
        printed_by=printed_by or "Guichet Enfance",
    )
